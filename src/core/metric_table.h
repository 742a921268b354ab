/*
 * A metric table: the collector behind struct ofd_metric_sink (include/ofd/metrics.h) that both
 * the /metrics exposition (src/obs/) and the exit summary use. It takes the series that
 * collect() callbacks put, sums series of the same family and labels, bounds each family to
 * OFD_METRIC_SERIES_MAX series (the rest counted in `refused`), and hands them back grouped by
 * family, families in the order they first appeared, series in the order they first appeared.
 *
 * Not thread-safe: one table per collection (a scrape builds its own).
 */
#ifndef OFD_CORE_METRIC_TABLE_H
#define OFD_CORE_METRIC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/metrics.h"

#define OFD_MT_SEGMENT_MAX 128

struct ofd_mt_series {
	const struct ofd_metric *m;
	unsigned fam;			  /* family index, in order of first appearance */
	uint64_t hash;			  /* of family name, segment and values */
	char segment[OFD_MT_SEGMENT_MAX]; /* "" for OFD_METRIC_GLOBAL families */
	char values[OFD_METRIC_LABELS_MAX][OFD_METRIC_VALUE_MAX];
	uint64_t v;
};

struct ofd_metric_table {
	struct ofd_metric_sink sink; /* first: the table is its own sink */
	struct ofd_mt_series *v;
	size_t n, cap;
	uint32_t *index; /* open addressing over v, 0: empty, else position + 1 */
	size_t icap;
	const struct ofd_metric **fam; /* families in order of first appearance */
	size_t *fam_n;		       /* series per family */
	size_t nfam, famcap;
	uint64_t refused; /* series over a family's bound, or not stored for want of memory */
	int sorted;
};

void ofd_mt_init(struct ofd_metric_table *t);
void ofd_mt_fini(struct ofd_metric_table *t);

/* Forget every series (keeps the memory). */
void ofd_mt_clear(struct ofd_metric_table *t);

/* Put one series directly (what the sink's put does, with the sink's segment). */
void ofd_mt_put(struct ofd_metric_table *t, const char *segment, const struct ofd_metric *m,
		const char *const *values, uint64_t v);

/* Group the series by family (call once collection is done); then iterate with ofd_mt_family(). */
void ofd_mt_sort(struct ofd_metric_table *t);

/* Family i (0 .. nfam-1) after ofd_mt_sort(): its descriptor and *n series from *series. */
const struct ofd_metric *ofd_mt_family(const struct ofd_metric_table *t, size_t i,
				       const struct ofd_mt_series **series, size_t *n);

/* The number of labels a family names. */
unsigned ofd_mt_nlabels(const struct ofd_metric *m);

#endif
