/*
 * The decoders' metric families (include/ofd/metrics.h), for the inputs that decode export
 * datagrams: datagrams and records by format, drops by reason (every reason, zeros included),
 * template gauges, template evictions and refusals by budget and reason, and drops by exporter address (the
 * OFD_METRICS_TOP_EXPORTERS exporters with the most drops, the rest under exporter="other"; a GLOBAL family,
 * summed over the inputs).
 *
 * An input sets `.metrics = ofd_decode_metrics` in its segment type and, from its collect()
 * callback, calls ofd_decode_metrics_put() with the counters it last published.
 */
#ifndef OFD_DECODE_METRICS_H
#define OFD_DECODE_METRICS_H

#include "decode/decode.h"
#include "ofd/metrics.h"

#define OFD_METRICS_TOP_EXPORTERS 64

extern const struct ofd_metric ofd_decode_metrics[];

void ofd_decode_metrics_put(struct ofd_metric_sink *s, const struct ofd_decode_stats *st);

/* The drops_by_exporter family alone, from a table, with `top` named exporters. */
void ofd_decode_metrics_exporters(struct ofd_metric_sink *s, const struct ofd_exporter_drop_table *t,
				  unsigned top);

#endif
