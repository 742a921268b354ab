/*
 * The pipeline's metrics in the Prometheus text format (pipeline.h, ofd_pipeline_metrics).
 *
 * How each number is read without a race against the threads that write it:
 * - engine and entry counters are atomics. They are read first, downstream before upstream
 *   (the pipeline's out, the entries from the last to the first, each out before its dropped
 *   and in, then the pipeline's in), so that one scrape never shows more leaving a point than
 *   entering it although the loads are not one instant. An entry's dropped count is its own
 *   atomic, added once per batch, so it never seems to go back as in - out read at two moments
 *   could;
 * - decoder statistics are the copies the inputs publish with ofd_input_decode_stats(), read
 *   under the same per-instance mutex (one copy per scrape, summed over an entry's instances);
 * - queue depths are read under each ring's own mutex, and only after the pipeline has set
 *   rings_ready (release) once its pool, stages and rings exist; they live until free.
 *
 * Entries are labelled segment="NAME"; an entry whose name an earlier entry (in config order)
 * already has is "NAME#2", "NAME#3"..., so every series is unique.
 */
#include "pipeline_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/promtext.h"

#define PM_LABEL_MAX 256

/* Label values of enum ofd_flow_type. */
static const char *const pm_format[5] = {"unknown", "sflow_v5", "netflow_v5", "netflow_v9", "ipfix"};

/* One entry's counters; for an input also what it reported, summed over its instances. */
struct pm_entry {
	uint64_t in, out, dropped;
	int is_input;
	uint64_t datagrams, dg[5], rec[5];
	uint64_t drops[OFD_DROP__COUNT];
	uint64_t templates, options, exporters;
};

/* The per-scrape snapshot (on the heap: the exporter table is a few KiB). */
struct pm_snap {
	uint64_t rec_out, rec_in, batches;
	struct ofd_exporter_drop_table exporters; /* every input's, merged */
	struct pm_entry e[];			  /* per entry */
};

static int pm_is_input(const struct pl_entry *e)
{
	return e->type && e->type->kind == OFD_SEG_INPUT;
}

static void pm_label(const struct ofd_pipeline *p, size_t i, char *buf)
{
	unsigned k = 1;
	for (size_t j = 0; j < i; j++)
		k += strcmp(p->e[j].name, p->e[i].name) == 0;
	if (k == 1)
		snprintf(buf, PM_LABEL_MAX, "%s", p->e[i].name);
	else
		snprintf(buf, PM_LABEL_MAX, "%s#%u", p->e[i].name, k);
}

static void pm_read_input(struct pl_entry *e, struct pm_entry *in, struct ofd_exporter_drop_table *ex)
{
	in->is_input = 1;
	for (unsigned j = 0; j < e->jobs; j++) {
		struct ofd_segment *s = &e->inst[j];
		pthread_mutex_lock(&s->dmu);
		if (s->has_dstats) {
			const struct ofd_decode_stats *d = &s->dstats;
			in->datagrams += d->datagrams;
			for (int t = 0; t < 5; t++) {
				in->dg[t] += d->datagrams_by_type[t];
				in->rec[t] += d->records_by_type[t];
			}
			for (int k = 0; k < OFD_DROP__COUNT; k++)
				in->drops[k] += d->drops[k];
			in->templates += d->templates_active;
			in->options += d->options_templates_active;
			in->exporters += d->template_exporters_active;
			ofd_exporter_drops_merge(ex, &d->by_exporter);
		}
		pthread_mutex_unlock(&s->dmu);
	}
}

static uint64_t pm_load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t pm_ring_depth(struct ofd_ring *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->count;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* ---- families ---- */

static void pm_engine(struct ofd_pipeline *p, struct ofd_prom *w, const struct pm_snap *s, int ready)
{
	ofd_prom_single(w, "overflowd_pipeline_batches_total", OFD_PROM_COUNTER,
			"Batches the inputs handed to the pipeline.", s->batches);
	ofd_prom_single(w, "overflowd_pipeline_records_in_total", OFD_PROM_COUNTER,
			"Records the inputs handed to the pipeline.", s->rec_in);
	ofd_prom_single(w, "overflowd_pipeline_records_out_total", OFD_PROM_COUNTER,
			"Live records that left the last segment.", s->rec_out);
	ofd_prom_single(w, "overflowd_pipeline_queue_waits_total", OFD_PROM_COUNTER,
			"Times an input waited for a free batch (back-pressure).",
			ready ? ofd_ring_pop_waits(&p->free) : 0);
}

static void pm_inputs(struct ofd_pipeline *p, struct ofd_prom *w, const struct pm_snap *s)
{
	char seg[PM_LABEL_MAX];
	ofd_prom_family(w, "overflowd_datagrams_total", OFD_PROM_COUNTER,
			"Export datagrams decoded, by input segment and format (unknown: no NetFlow v5/v9, "
			"IPFIX or sFlow v5 version).");
	for (size_t i = 0; i < p->ne; i++) {
		const struct pm_entry *in = &s->e[i];
		if (!in->is_input)
			continue;
		pm_label(p, i, seg);
		uint64_t known = 0;
		for (int t = 1; t < 5; t++) {
			known += in->dg[t];
			ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}, {"format", pm_format[t]}),
				     in->dg[t]);
		}
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}, {"format", "unknown"}),
			     in->datagrams > known ? in->datagrams - known : 0);
	}
	ofd_prom_family(w, "overflowd_records_total", OFD_PROM_COUNTER,
			"Flow records decoded, by input segment and format.");
	for (size_t i = 0; i < p->ne; i++) {
		if (!s->e[i].is_input)
			continue;
		pm_label(p, i, seg);
		for (int t = 1; t < 5; t++)
			ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}, {"format", pm_format[t]}),
				     s->e[i].rec[t]);
	}
	ofd_prom_family(w, "overflowd_drops_total", OFD_PROM_COUNTER,
			"Datagrams, records, samples or frames not delivered, by input segment and reason.");
	for (size_t i = 0; i < p->ne; i++) {
		if (!s->e[i].is_input)
			continue;
		pm_label(p, i, seg);
		for (int k = 0; k < OFD_DROP__COUNT; k++)
			ofd_prom_u64(
			    w, OFD_PROM_LABELS({"segment", seg}, {"reason", ofd_drop_name((enum ofd_drop)k)}),
			    s->e[i].drops[k]);
	}
	ofd_prom_family(w, "overflowd_templates", OFD_PROM_GAUGE,
			"NetFlow v9/IPFIX templates held now, by input segment and kind.");
	for (size_t i = 0; i < p->ne; i++) {
		const struct pm_entry *in = &s->e[i];
		if (!in->is_input)
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}, {"kind", "template"}),
			     in->templates > in->options ? in->templates - in->options : 0);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}, {"kind", "options"}), in->options);
	}
	ofd_prom_family(w, "overflowd_template_exporters", OFD_PROM_GAUGE,
			"Exporters (address, port, domain) with templates held now, by input segment.");
	for (size_t i = 0; i < p->ne; i++) {
		if (!s->e[i].is_input)
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), s->e[i].exporters);
	}
}

static int pm_exp_cmp(const void *a, const void *b)
{
	const struct ofd_exporter_drops *x = *(const struct ofd_exporter_drops *const *)a;
	const struct ofd_exporter_drops *y = *(const struct ofd_exporter_drops *const *)b;
	if (x->drops != y->drops)
		return x->drops > y->drops ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.b, y->addr.b, sizeof(x->addr.b));
}

void ofd_pipeline_metrics_exporters(struct ofd_prom *w, const struct ofd_exporter_drop_table *t, unsigned top)
{
	const struct ofd_exporter_drops *v[OFD_EXPORTER_DROP_SLOTS];
	size_t n = 0;
	uint64_t other = t->other;
	char addr[OFD_IP_STRLEN];
	for (size_t i = 0; i < OFD_EXPORTER_DROP_SLOTS; i++)
		if (t->slot[i].drops)
			v[n++] = &t->slot[i];
	qsort(v, n, sizeof(v[0]), pm_exp_cmp);
	ofd_prom_family(w, "overflowd_drops_by_exporter_total", OFD_PROM_COUNTER,
			"Drops by the decoders, by exporter address: the exporters with the most drops, the "
			"rest under exporter=\"other\".");
	for (size_t i = 0; i < n; i++) {
		if (i >= top) {
			other += v[i]->drops;
			continue;
		}
		ofd_ip_str(&v[i]->addr, addr);
		ofd_prom_u64(w, OFD_PROM_LABELS({"exporter", addr}), v[i]->drops);
	}
	ofd_prom_u64(w, OFD_PROM_LABELS({"exporter", "other"}), other);
}

static void pm_entries(struct ofd_pipeline *p, struct ofd_prom *w, const struct pm_snap *s)
{
	char seg[PM_LABEL_MAX];
	ofd_prom_family(w, "overflowd_segment_records_in_total", OFD_PROM_COUNTER,
			"Live records entering a segment (a branch: the whole branch); not for inputs.");
	for (size_t i = 0; i < p->ne; i++) {
		if (pm_is_input(&p->e[i]))
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), s->e[i].in);
	}
	ofd_prom_family(w, "overflowd_segment_records_out_total", OFD_PROM_COUNTER,
			"Live records leaving a segment (an input: records handed on).");
	for (size_t i = 0; i < p->ne; i++) {
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), s->e[i].out);
	}
	ofd_prom_family(w, "overflowd_segment_dropped_total", OFD_PROM_COUNTER,
			"Records a segment dropped (in - out); not for inputs.");
	for (size_t i = 0; i < p->ne; i++) {
		if (pm_is_input(&p->e[i]))
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), s->e[i].dropped);
	}
}

/* Queue depths and blocking segments' waits: only once the rings exist. */
static void pm_queues(struct ofd_pipeline *p, struct ofd_prom *w)
{
	char seg[PM_LABEL_MAX];
	size_t nfree = pm_ring_depth(&p->free);
	ofd_prom_family(w, "overflowd_pool_batches", OFD_PROM_GAUGE,
			"Batches of the pool between the inputs and the segments, free or in use.");
	ofd_prom_u64(w, OFD_PROM_LABELS({"state", "free"}), nfree);
	ofd_prom_u64(w, OFD_PROM_LABELS({"state", "in_use"}), p->npool > nfree ? p->npool - nfree : 0);
	ofd_prom_family(w, "overflowd_stage_queue_batches", OFD_PROM_GAUGE,
			"Batches waiting at the input of a pipeline stage (0 first; a segment with jobs > 1 "
			"is a stage of its own).");
	for (size_t s = 0; s < p->nst; s++) {
		snprintf(seg, sizeof(seg), "%zu", s);
		ofd_prom_u64(w, OFD_PROM_LABELS({"stage", seg}), pm_ring_depth(&p->st[s].in));
	}
	ofd_prom_family(w, "overflowd_output_queue_batches", OFD_PROM_GAUGE,
			"Copies queued for a blocking segment (file outputs and the like).");
	for (size_t i = 0; i < p->ne; i++) {
		if (!p->e[i].copies)
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), pm_ring_depth(&p->e[i].queue));
	}
	ofd_prom_family(w, "overflowd_segment_queue_waits_total", OFD_PROM_COUNTER,
			"Times a blocking segment's queue was full and the pipeline waited for it.");
	for (size_t i = 0; i < p->ne; i++) {
		if (!p->e[i].copies)
			continue;
		pm_label(p, i, seg);
		ofd_prom_u64(w, OFD_PROM_LABELS({"segment", seg}), ofd_ring_pop_waits(&p->e[i].free));
	}
}

int ofd_pipeline_metrics(struct ofd_pipeline *p, struct ofd_prom *w)
{
	struct pm_snap *s = calloc(1, sizeof(*s) + p->ne * sizeof(s->e[0]));
	if (!s)
		return -ENOMEM;
	/* downstream first (see the top of the file) */
	s->rec_out = pm_load(&p->rec_out);
	for (size_t i = p->ne; i-- > 0;) {
		s->e[i].out = pm_load(&p->e[i].out);
		s->e[i].dropped = pm_load(&p->e[i].dropped);
		s->e[i].in = pm_load(&p->e[i].in);
	}
	s->rec_in = pm_load(&p->rec_in);
	s->batches = pm_load(&p->batches);
	for (size_t i = 0; i < p->ne; i++)
		if (pm_is_input(&p->e[i]))
			pm_read_input(&p->e[i], &s->e[i], &s->exporters);
	int ready = atomic_load_explicit(&p->rings_ready, memory_order_acquire);
	pm_engine(p, w, s, ready);
	pm_inputs(p, w, s);
	ofd_pipeline_metrics_exporters(w, &s->exporters, OFD_METRICS_TOP_EXPORTERS);
	pm_entries(p, w, s);
	if (ready)
		pm_queues(p, w);
	free(s);
	return 0;
}
