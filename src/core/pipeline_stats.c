/*
 * The pipeline's counters as others read them (pipeline.h): per entry, the snapshot the
 * exposition takes, queue depths, the segments' own metrics (collect), and the exit summary.
 *
 * How each number is read without a race against the threads that write it:
 * - engine and entry counters are atomics, read downstream before upstream in a snapshot (see
 *   ofd_pipeline_snapshot); an entry's dropped count is its own atomic, added once per batch, so
 *   it never seems to go back as in - out read at two moments could;
 * - the segments' metrics come from their collect() callbacks, called under the pipeline's mmu,
 *   which fini() of an instance also takes first (pipeline_build.c), so no collect() overlaps a
 *   fini();
 * - queue depths are read under each ring's own mutex, and only after the pipeline has set
 *   rings_ready (release) once its pool, stages and rings exist; they live until free.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metric_table.h"
#include "core/pipeline_int.h"

static uint64_t ps_load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t ps_ring_depth(struct ofd_ring *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->count;
	pthread_mutex_unlock(&r->mu);
	return n;
}

void ofd_pipeline_entry_counters(struct ofd_pipeline *p, size_t i, struct ofd_seg_counters *c)
{
	*c = (struct ofd_seg_counters){0};
	struct pl_entry *e = ofd_pipeline_entry_at(p, i);
	if (!e)
		return;
	c->out = ps_load(&e->out); /* out first: while running, in >= out stays true */
	c->dropped = ps_load(&e->dropped);
	c->in = ps_load(&e->in);
	if (atomic_load_explicit(&p->rings_ready, memory_order_acquire) && e->copies)
		c->queue_waits = ofd_ring_pop_waits(&e->free);
	c->nown = e->ncounters;
	for (unsigned k = 0; k < e->ncounters; k++)
		c->own[k] = ps_load(&e->own[k]);
}

void ofd_pipeline_snapshot(struct ofd_pipeline *p, struct ofd_seg_counters *c, struct ofd_pipeline_totals *t)
{
	*t = (struct ofd_pipeline_totals){0};
	t->out = ps_load(&p->rec_out);
	for (size_t i = p->ne; i-- > 0;)
		ofd_pipeline_entry_counters(p, i, &c[i]);
	t->in = ps_load(&p->rec_in);
	t->dropped = t->in > t->out ? t->in - t->out : 0;
	t->batches = ps_load(&p->batches);
	int ready = atomic_load_explicit(&p->rings_ready, memory_order_acquire);
	t->queue_waits = ready ? ofd_ring_pop_waits(&p->free) : 0;
}

void ofd_pipeline_entry_label(const struct ofd_pipeline *p, size_t i, char *buf)
{
	unsigned k = 1;
	for (size_t j = 0; j < i; j++)
		k += strcmp(p->e[j].name, p->e[i].name) == 0;
	if (k == 1)
		snprintf(buf, OFD_PIPELINE_LABEL_MAX, "%s", p->e[i].name);
	else
		snprintf(buf, OFD_PIPELINE_LABEL_MAX, "%s#%u", p->e[i].name, k);
}

int ofd_pipeline_entry_is_input(const struct ofd_pipeline *p, size_t i)
{
	return i < p->ne && p->e[i].type && p->e[i].type->kind == OFD_SEG_INPUT;
}

int ofd_pipeline_entry_queue(struct ofd_pipeline *p, size_t i, size_t *depth)
{
	if (i >= p->ne || !p->e[i].copies)
		return 0;
	int ready = atomic_load_explicit(&p->rings_ready, memory_order_acquire);
	*depth = ready ? ps_ring_depth(&p->e[i].queue) : 0;
	return 1;
}

void ofd_pipeline_queues(struct ofd_pipeline *p, struct ofd_pipeline_queues *q)
{
	*q = (struct ofd_pipeline_queues){0};
	q->ready = atomic_load_explicit(&p->rings_ready, memory_order_acquire);
	if (!q->ready)
		return;
	q->pool = p->npool;
	q->pool_free = ps_ring_depth(&p->free);
	q->stages = p->nst;
}

size_t ofd_pipeline_stage_depth(struct ofd_pipeline *p, size_t stage)
{
	if (!atomic_load_explicit(&p->rings_ready, memory_order_acquire) || stage >= p->nst)
		return 0;
	return ps_ring_depth(&p->st[stage].in);
}

/* The kept values of an entry's finished instances into t, with their refusals. */
static void ps_replay_final(const struct ofd_metric_table *final, struct ofd_metric_table *t)
{
	t->refused += final->refused;
	for (size_t k = 0; k < final->n; k++) {
		const struct ofd_mt_series *v = &final->v[k];
		const char *values[OFD_METRIC_LABELS_MAX];
		for (unsigned l = 0; l < OFD_METRIC_LABELS_MAX; l++)
			values[l] = v->values[l];
		ofd_mt_put(t, t->sink.segment, v->m, values, v->v);
	}
}

/* Entry i's instances into t (under mmu). */
static void ps_collect_entry(struct ofd_pipeline *p, size_t i, struct ofd_metric_table *t)
{
	struct ofd_metric_sink *s = &t->sink;
	struct pl_entry *e = &p->e[i];
	if (!e->type || !e->type->collect)
		return;
	char label[OFD_PIPELINE_LABEL_MAX];
	ofd_pipeline_entry_label(p, i, label);
	const char *prev = s->segment;
	s->segment = label;
	for (unsigned j = 0; j < e->jobs; j++)
		if (e->inst[j].collectable)
			e->type->collect(&e->inst[j], e->inst[j].state, s);
	if (e->final)
		ps_replay_final(e->final, t);
	s->segment = prev;
}

void ofd_pl_collect_final(struct ofd_segment *s)
{
	struct pl_entry *e = s->entry;
	pthread_mutex_lock(&s->p->mmu);
	if (s->collectable && e->type->collect) {
		if (!e->final && (e->final = malloc(sizeof(*e->final))) != NULL)
			ofd_mt_init(e->final);
		if (e->final) {
			e->final->sink.segment = e->name;
			e->type->collect(s, s->state, &e->final->sink);
		}
	}
	s->collectable = 0;
	pthread_mutex_unlock(&s->p->mmu);
}

void ofd_pipeline_collect(struct ofd_pipeline *p, struct ofd_metric_table *t)
{
	pthread_mutex_lock(&p->mmu);
	for (size_t i = 0; i < p->ne; i++)
		ps_collect_entry(p, i, t);
	pthread_mutex_unlock(&p->mmu);
}

/* An entry's own metrics for the summary: the non-zero series of its non-DETAIL families. */
static void ps_print_metrics(struct ofd_pipeline *p, size_t i, unsigned indent, FILE *f)
{
	struct ofd_metric_table t;
	ofd_mt_init(&t);
	pthread_mutex_lock(&p->mmu);
	ps_collect_entry(p, i, &t);
	pthread_mutex_unlock(&p->mmu);
	ofd_mt_sort(&t);
	const struct ofd_mt_series *v;
	size_t n;
	const struct ofd_metric *m;
	int any = 0;
	for (size_t fam = 0; (m = ofd_mt_family(&t, fam, &v, &n)) != NULL; fam++) {
		if (m->flags & OFD_METRIC_DETAIL)
			continue;
		unsigned nl = ofd_mt_nlabels(m);
		for (size_t k = 0; k < n; k++) {
			if (!v[k].v)
				continue;
			if (!any++)
				fprintf(f, "%*s  ", (int)indent, "");
			else
				fputs(", ", f);
			fputs(m->name, f);
			for (unsigned l = 0; l < nl; l++)
				fprintf(f, "%s%s=\"%s\"", l ? "," : "{", m->labels[l], v[k].values[l]);
			fprintf(f, "%s %llu", nl ? "}" : "", (unsigned long long)v[k].v);
		}
	}
	if (any)
		fputc('\n', f);
	ofd_mt_fini(&t);
}

void ofd_pipeline_print(struct ofd_pipeline *p, FILE *f)
{
	struct pl_entry *e;
	for (size_t i = 0; (e = ofd_pipeline_entry_at(p, i)) != NULL; i++) {
		struct ofd_seg_counters c;
		ofd_pipeline_entry_counters(p, i, &c);
		fprintf(f, "%*ssegment %s (%s:%u", 2 * e->depth, "", e->name, e->file, e->line);
		if (e->jobs > 1)
			fprintf(f, ", jobs %u", e->jobs);
		if (e->type && e->type->kind == OFD_SEG_INPUT)
			fprintf(f, "): out %llu", (unsigned long long)c.out);
		else
			fprintf(f, "): in %llu out %llu dropped %llu", (unsigned long long)c.in,
				(unsigned long long)c.out, (unsigned long long)c.dropped);
		if (e->copies)
			fprintf(f, ", queue-full waits %llu", (unsigned long long)c.queue_waits);
		for (unsigned k = 0; k < c.nown; k++)
			fprintf(f, ", %s %llu", e->type->counters[k], (unsigned long long)c.own[k]);
		fputc('\n', f);
		if (e->type && e->type->collect)
			ps_print_metrics(p, i, 2 * e->depth, f);
	}
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	fprintf(f, "pipeline: in %llu out %llu dropped %llu, batches %llu, queue-full waits %llu\n",
		(unsigned long long)t.in, (unsigned long long)t.out, (unsigned long long)t.dropped,
		(unsigned long long)t.batches, (unsigned long long)t.queue_waits);
	fflush(f);
}
