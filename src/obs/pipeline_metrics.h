/*
 * The pipeline daemon's /metrics in the Prometheus text format: the engine's counters, every
 * entry's records in/out/dropped, queue depths, and the metric families of the segments
 * themselves (collect(), include/ofd/metrics.h: the decoders' families for the inputs, and
 * whatever a segment type declares), every family prefixed overflowd_ (the operator's list is
 * in the README).
 *
 * Any thread, at any time from ofd_pipeline_new() until ofd_pipeline_free() (which must not run
 * concurrently). Returns 0, or -ENOMEM.
 */
#ifndef OFD_OBS_PIPELINE_METRICS_H
#define OFD_OBS_PIPELINE_METRICS_H

#include "core/metric_table.h"
#include "core/pipeline.h"

struct ofd_prom;

int ofd_pipeline_metrics(struct ofd_pipeline *p, struct ofd_prom *w) OFD_MUST_CHECK;

/* Write the families of a metric table (sorted) as exposition, each name prefixed overflowd_,
   `segment` first among the labels of a family that is not GLOBAL; then the refusals. */
void ofd_obs_write_table(struct ofd_prom *w, const struct ofd_metric_table *t);

#endif
