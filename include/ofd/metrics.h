/*
 * Metrics of a segment type: the families it declares, and the values it reports when asked.
 *
 * A type lists its families in `metrics` (struct ofd_segment_type, ends with a {NULL} entry) and
 * reports values from its `collect` callback, one ofd_metric_put() per series. The core calls
 * collect() for every initialised instance, on the thread that asks (a /metrics scrape, the exit
 * summary, SIGUSR1), so collect() runs concurrently with the instance's own threads: read what
 * they publish under your own lock or from atomics, never block, never call back into the core.
 * collect() is never called before init() succeeded nor during or after fini().
 *
 * Every series gets the label segment="NAME" first (the entry's name; NAME#2, NAME#3... for a
 * later entry of the same name), unless its family is OFD_METRIC_GLOBAL. Series with the same
 * family and labels are summed: the instances of a `jobs: N` entry report as one, and a GLOBAL
 * family adds up over every entry. On /metrics a family is exposed as overflowd_<name>
 * (counters are named with their _total suffix); the exit summary prints the non-zero series of
 * the families that are not OFD_METRIC_DETAIL under their entry.
 *
 * Bounds: at most OFD_METRIC_LABELS_MAX labels per family, OFD_METRIC_VALUE_MAX bytes per label
 * value (longer ones are cut), and OFD_METRIC_SERIES_MAX series per family per collection;
 * beyond that series are not taken and the refusal is itself counted
 * (overflowd_metric_series_refused_total). Label values come from configuration or from bounded
 * sets (drop reasons, formats); a family keyed by network input (addresses) must bound itself,
 * as the decoders' per-exporter table does (top N plus "other").
 */
#ifndef OFD_METRICS_H
#define OFD_METRICS_H

#include <stdint.h>

enum ofd_metric_kind { OFD_METRIC_COUNTER, OFD_METRIC_GAUGE };

enum {
	OFD_METRIC_GLOBAL = 1 << 0, /* no segment label: summed over every entry that reports it */
	OFD_METRIC_DETAIL = 1 << 1, /* on /metrics only, not in the exit summary */
};

#define OFD_METRIC_LABELS_MAX 3
#define OFD_METRIC_VALUE_MAX  96
#define OFD_METRIC_SERIES_MAX 1024

struct ofd_metric {
	const char *name; /* NULL ends a type's list; [a-z_][a-z0-9_]*, exposed as overflowd_<name> */
	enum ofd_metric_kind kind;
	unsigned flags; /* OFD_METRIC_* */
	const char *help;
	const char *labels[OFD_METRIC_LABELS_MAX]; /* label names in order; unused ones NULL */
};

/*
 * Where collect() puts its values. The core sets `segment` before each collect() call; `put`
 * is the collector's (the exposition, the exit summary). values[i] is the value of label i of
 * m (as many as m->labels names; NULL when it names none). m must be one of the type's own
 * families (a pointer into its `metrics`).
 */
struct ofd_metric_sink {
	void (*put)(struct ofd_metric_sink *s, const struct ofd_metric *m, const char *const *values,
		    uint64_t v);
	const char *segment;
};

static inline void ofd_metric_put(struct ofd_metric_sink *s, const struct ofd_metric *m,
				  const char *const *values, uint64_t v)
{
	s->put(s, m, values, v);
}

/* Label values inline: ofd_metric_put(s, &fam[0], OFD_METRIC_VALUES("udp", "netflow_v5"), n). */
#define OFD_METRIC_VALUES(...) ((const char *const[]){__VA_ARGS__})

#endif
