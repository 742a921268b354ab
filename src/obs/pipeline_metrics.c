/*
 * The pipeline's metrics in the Prometheus text format (pipeline_metrics.h).
 *
 * Entries are labelled segment="NAME"; an entry whose name an earlier entry (in config order)
 * already has is "NAME#2", "NAME#3"..., so every series is unique. The engine's counters are
 * one snapshot (ofd_pipeline_snapshot: never more leaving a point than entering it); the
 * segments' own families come from ofd_pipeline_collect() into a metric table.
 */
#include "obs/pipeline_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "format/promtext.h"

#define PM_NAME_MAX 160

static void pm_engine(struct ofd_prom *w, const struct ofd_pipeline_totals *t)
{
	ofd_prom_single(w, "overflowd_pipeline_batches_total", OFD_PROM_COUNTER,
			"Batches the inputs handed to the pipeline.", t->batches);
	ofd_prom_single(w, "overflowd_pipeline_records_in_total", OFD_PROM_COUNTER,
			"Records the inputs handed to the pipeline.", t->in);
	ofd_prom_single(w, "overflowd_pipeline_records_out_total", OFD_PROM_COUNTER,
			"Live records that left the last segment.", t->out);
	ofd_prom_single(w, "overflowd_pipeline_queue_waits_total", OFD_PROM_COUNTER,
			"Times an input waited for a free batch (back-pressure).", t->queue_waits);
}

static void pm_entries(struct ofd_pipeline *p, struct ofd_prom *w, const struct ofd_seg_counters *c)
{
	char seg[OFD_PIPELINE_LABEL_MAX];
	size_t ne = ofd_pipeline_entries(p);
	ofd_prom_family(w, "overflowd_segment_records_in_total", OFD_PROM_COUNTER,
			"Live records entering a segment (a branch: the whole branch); not for inputs.");
	for (size_t i = 0; i < ne; i++) {
		if (ofd_pipeline_entry_is_input(p, i))
			continue;
		ofd_pipeline_entry_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), c[i].in);
	}
	ofd_prom_family(w, "overflowd_segment_records_out_total", OFD_PROM_COUNTER,
			"Live records leaving a segment (an input: records handed on).");
	for (size_t i = 0; i < ne; i++) {
		ofd_pipeline_entry_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), c[i].out);
	}
	ofd_prom_family(w, "overflowd_segment_dropped_total", OFD_PROM_COUNTER,
			"Records a segment dropped (in - out); not for inputs.");
	for (size_t i = 0; i < ne; i++) {
		if (ofd_pipeline_entry_is_input(p, i))
			continue;
		ofd_pipeline_entry_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), c[i].dropped);
	}
}

/* Queue depths and blocking segments' waits: only once the rings exist. */
static void pm_queues(struct ofd_pipeline *p, struct ofd_prom *w, const struct ofd_seg_counters *c)
{
	char seg[OFD_PIPELINE_LABEL_MAX];
	struct ofd_pipeline_queues q;
	ofd_pipeline_queues(p, &q);
	if (!q.ready)
		return;
	ofd_prom_family(w, "overflowd_pool_batches", OFD_PROM_GAUGE,
			"Batches of the pool between the inputs and the segments, free or in use.");
	ofd_prom_u64(w, OFD_PROM_LABELS({"state", "free"}), q.pool_free);
	ofd_prom_u64(w, OFD_PROM_LABELS({"state", "in_use"}),
		     q.pool > q.pool_free ? q.pool - q.pool_free : 0);
	ofd_prom_family(w, "overflowd_stage_queue_batches", OFD_PROM_GAUGE,
			"Batches waiting at the input of a pipeline stage (0 first; a segment with jobs > 1 "
			"is a stage of its own).");
	for (size_t s = 0; s < q.stages; s++) {
		snprintf(seg, sizeof(seg), "%zu", s);
		ofd_prom_u64(w, OFD_PROM_LABELS({"stage", seg}), ofd_pipeline_stage_depth(p, s));
	}
	size_t ne = ofd_pipeline_entries(p), depth;
	ofd_prom_family(w, "overflowd_output_queue_batches", OFD_PROM_GAUGE,
			"Copies queued for a blocking segment (file outputs and the like).");
	for (size_t i = 0; i < ne; i++) {
		if (!ofd_pipeline_entry_queue(p, i, &depth))
			continue;
		ofd_pipeline_entry_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), depth);
	}
	ofd_prom_family(w, "overflowd_segment_queue_waits_total", OFD_PROM_COUNTER,
			"Times a blocking segment's queue was full and the pipeline waited for it.");
	for (size_t i = 0; i < ne; i++) {
		if (!ofd_pipeline_entry_queue(p, i, &depth))
			continue;
		ofd_pipeline_entry_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), c[i].queue_waits);
	}
}

void ofd_obs_write_table(struct ofd_prom *w, const struct ofd_metric_table *t)
{
	const struct ofd_mt_series *v;
	const struct ofd_metric *m;
	size_t n;
	char name[PM_NAME_MAX];
	for (size_t f = 0; (m = ofd_mt_family(t, f, &v, &n)) != NULL; f++) {
		snprintf(name, sizeof(name), "overflowd_%s", m->name);
		ofd_prom_family(w, name, m->kind == OFD_METRIC_GAUGE ? OFD_PROM_GAUGE : OFD_PROM_COUNTER,
				m->help);
		unsigned nl = ofd_mt_nlabels(m), g = !(m->flags & OFD_METRIC_GLOBAL);
		for (size_t k = 0; k < n; k++) {
			struct ofd_prom_label l[OFD_METRIC_LABELS_MAX + 1];
			if (g)
				l[0] = (struct ofd_prom_label){"segment", v[k].segment};
			for (unsigned j = 0; j < nl; j++)
				l[g + j] = (struct ofd_prom_label){m->labels[j], v[k].values[j]};
			ofd_prom_u64(w, l, g + nl, v[k].v);
		}
	}
	ofd_prom_single(w, "overflowd_metric_series_refused_total", OFD_PROM_COUNTER,
			"Series of segments' metric families not exposed: over a family's bound of series, "
			"or no memory.",
			t->refused);
}

int ofd_pipeline_metrics(struct ofd_pipeline *p, struct ofd_prom *w)
{
	size_t ne = ofd_pipeline_entries(p);
	struct ofd_seg_counters *c = calloc(ne ? ne : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	struct ofd_pipeline_totals t;
	ofd_pipeline_snapshot(p, c, &t);
	struct ofd_metric_table mt;
	ofd_mt_init(&mt);
	ofd_pipeline_collect(p, &mt);
	ofd_mt_sort(&mt);
	pm_engine(w, &t);
	ofd_obs_write_table(w, &mt);
	pm_entries(p, w, c);
	pm_queues(p, w, c);
	ofd_mt_fini(&mt);
	free(c);
	return 0;
}
