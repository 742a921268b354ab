/*
 * The functions the core provides to segments (include/ofd/segment.h), and the counters of
 * the pipeline's entries (pipeline.h).
 */
#include <stdatomic.h>
#include <stdio.h>

#include "core/pipeline.h"
#include "ofd/segment.h"

const char *ofd_segment_name(const struct ofd_segment *seg)
{
	return seg->entry->name;
}

const char *ofd_segment_file(const struct ofd_segment *seg)
{
	return seg->entry->file;
}

unsigned ofd_segment_line(const struct ofd_segment *seg)
{
	return seg->entry->line;
}

void ofd_segment_count(struct ofd_segment *seg, unsigned i, uint64_t n)
{
	struct pl_entry *e = seg->entry;
	if (i < e->ncounters)
		atomic_fetch_add_explicit(&e->own[i], n, memory_order_relaxed);
}

struct ofd_batch *ofd_input_batch(struct ofd_segment *seg)
{
	return seg->ibatch;
}

void ofd_input_flush(struct ofd_segment *seg)
{
	if (seg->ibatch)
		ofd_batch_flush(seg->ibatch);
}

void ofd_input_batch_init(struct ofd_segment *seg, struct ofd_batch *b)
{
	ofd_batch_init(b, ofd_pipeline_input_full, seg);
}

void ofd_input_decode_stats(struct ofd_segment *seg, const struct ofd_decode_stats *st)
{
	pthread_mutex_lock(&seg->dmu);
	seg->dstats = *st;
	seg->has_dstats = 1;
	pthread_mutex_unlock(&seg->dmu);
}

/* ---- counters ---- */

static uint64_t seg_load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void ofd_pipeline_entry_counters(struct ofd_pipeline *p, size_t i, struct ofd_seg_counters *c)
{
	*c = (struct ofd_seg_counters){0};
	struct pl_entry *e = ofd_pipeline_entry_at(p, i);
	if (!e)
		return;
	c->out = seg_load(&e->out); /* out first: while running, in >= out stays true */
	c->in = seg_load(&e->in);
	c->dropped = c->in > c->out ? c->in - c->out : 0;
	if (e->copies)
		c->queue_waits = ofd_ring_pop_waits(&e->free);
	c->nown = e->ncounters;
	for (unsigned k = 0; k < e->ncounters; k++)
		c->own[k] = seg_load(&e->own[k]);
}

/* The decoder statistics of an input, summed over its instances. */
static void pl_print_decode(struct pl_entry *e, FILE *f)
{
	struct ofd_decode_stats sum = {0};
	int any = 0;
	for (unsigned j = 0; j < e->jobs; j++) {
		struct ofd_segment *s = &e->inst[j];
		pthread_mutex_lock(&s->dmu);
		if (s->has_dstats) {
			any = 1;
			sum.datagrams += s->dstats.datagrams;
			sum.records += s->dstats.records;
			for (int k = 0; k < OFD_DROP__COUNT; k++)
				sum.drops[k] += s->dstats.drops[k];
		}
		pthread_mutex_unlock(&s->dmu);
	}
	if (!any)
		return;
	fprintf(f, "%*s  decoded: datagrams %llu, records %llu", 2 * e->depth, "",
		(unsigned long long)sum.datagrams, (unsigned long long)sum.records);
	for (int k = 0; k < OFD_DROP__COUNT; k++)
		if (sum.drops[k])
			fprintf(f, ", dropped %s %llu", ofd_drop_name((enum ofd_drop)k),
				(unsigned long long)sum.drops[k]);
	fputc('\n', f);
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
		if (e->type && e->type->kind == OFD_SEG_INPUT)
			pl_print_decode(e, f);
	}
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	fprintf(f, "pipeline: in %llu out %llu dropped %llu, batches %llu, queue-full waits %llu\n",
		(unsigned long long)t.in, (unsigned long long)t.out, (unsigned long long)t.dropped,
		(unsigned long long)t.batches, (unsigned long long)t.queue_waits);
	fflush(f);
}

/* A segment's request to stop (limit): the same flag ofd_pipeline_stop() sets; the inputs poll
   it, nothing else changes (the records already under way still flow). */
void ofd_segment_stop_pipeline(struct ofd_segment *seg)
{
	ofd_pipeline_stop(seg->p);
}
