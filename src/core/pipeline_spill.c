/*
 * The engine's side of the diskbuffer (core/spill.h keeps the files): where an input's full
 * batch goes, and the reader that brings spilled batches back.
 *
 * An input's full batch goes on as usual while nothing is spilled and the pool's use is below
 * highmemorymark; otherwise it is written to disk (in order: once anything is on disk, every
 * batch goes there until the reader has brought all back). The reader starts once the pool's
 * use falls below readingmemorymark and reads while it is below lowmemorymark, pushing each
 * batch through the same numbering as the inputs (ofd_pl_push_first). spillmu makes "nothing on
 * disk, so straight on" and "read back and pushed" one step each, so no input batch overtakes
 * a spilled one. The normal path (no diskbuffer) pays one comparison: p->spill is NULL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/spill.h"
#include "ofd/time.h"
#include "pipeline_int.h"

#define SP_POLL_NS (20u * 1000000u) /* the reader looks at the pool's use this often when idle */

int ofd_pl_spill_place(struct ofd_pipeline *p, struct pl_entry *e, char *err, size_t errlen)
{
	const char *why = NULL;
	size_t before = 0; /* segments between the inputs and the diskbuffer */
	if (e->depth)
		why =
		    "diskbuffer cannot be inside a branch: it buffers the inputs' batches, all of them, and "
		    "belongs at the top level, directly after the input(s)";
	else if (p->spill_e)
		why = "only one diskbuffer per pipeline (directly after the input(s))";
	else if (e == p->e)
		why = "diskbuffer must come after an input";
	if (why)
		return ofd_cfg_errorf(err, errlen, p->file, e->line, e->name, NULL, "%s", why);
	for (const struct pl_entry *x = p->e; x < e; x++)
		if (!x->type || x->type->kind != OFD_SEG_INPUT)
			before++;
	if (before) { /* flowpipeline's configs put it before the slow segment, wherever that is */
		char msg[512];
		(void)ofd_cfg_errorf(msg, sizeof(msg), p->file, e->line, e->name, NULL,
				     "diskbuffer buffers where the inputs hand their batches on: the %zu "
				     "entr%s before it run%s on batches as they come back from disk (put it "
				     "directly after the input(s) to say so)",
				     before, before == 1 ? "y" : "ies", before == 1 ? "s" : "");
		ofd_warn("%s", msg);
	}
	p->spill_e = e;
	return 0;
}

/* Batches of the pool in use, times 100, against mark percent of the pool. */
static int sp_above(struct ofd_pipeline *p, uint64_t mark)
{
	pthread_mutex_lock(&p->free.mu);
	size_t fr = p->free.count;
	pthread_mutex_unlock(&p->free.mu);
	return (uint64_t)(p->npool - fr) * 100 >= mark * p->npool;
}

int ofd_pl_spill_full(struct ofd_pipeline *p, struct ofd_segment *in, struct ofd_batch *b)
{
	struct ofd_spill_cfg *c = &((struct ofd_spill_state *)p->spill_e->inst[0].state)->cfg;
	uint32_t live = ofd_batch_live_count(b);
	void *v;
	atomic_fetch_add_explicit(&in->entry->out, live, memory_order_relaxed);
	pthread_mutex_lock(&p->spillmu);
	if (!ofd_spill_pending(p->spill) && !sp_above(p, c->high) && !ofd_ring_trypop(&p->free, &v)) {
		struct pl_batch *pb = v;
		ofd_batch_swap(b, &pb->b);
		atomic_fetch_add_explicit(&p->rec_in, live, memory_order_relaxed); /* before it can leave */
		atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
		in->handed = ofd_pl_push_first(p, pb) + 1;
	} else {
		/* on disk (counted into the pipeline's in when it comes back), or dropped (counted by
		   the spill, and into the in at once: it never leaves); either way the diskbuffer
		   answers for it now, so what the input handed on is through once every batch
		   numbered so far is */
		uint64_t seq = atomic_load(&p->seq);
		/* a batch of source datagrams without records (batch.h) has nothing the buffer keeps */
		int rc = b->n ? ofd_spill_put(p->spill, b) : 0;
		if (rc)
			atomic_fetch_add_explicit(&p->rec_in, live, memory_order_relaxed);
		if (rc && atomic_load(&p->acking)) { /* dropped, but its source must not be told so */
			if (!p->spill_held++)
				ofd_err("diskbuffer: a batch dropped (maxcachesize or a write error) while "
					"the input "
					"acknowledges its source: stopping; nothing from here on is "
					"acknowledged");
			ofd_pl_hold(p, seq ? seq - 1 : 0);
		}
		in->handed = seq;
	}
	pthread_mutex_unlock(&p->spillmu);
	ofd_batch_reset(b);
	return 1;
}

static void sp_status(struct ofd_pipeline *p)
{
	struct ofd_spill_stats st;
	ofd_spill_stats(p->spill, &st);
	pthread_mutex_lock(&p->free.mu);
	size_t fr = p->free.count;
	pthread_mutex_unlock(&p->free.mu);
	ofd_info("diskbuffer: pool %zu%% in use (%zu/%zu batches); on disk %" PRIu64 " batches in %" PRIu64
		 " files, %" PRIu64 " bytes",
		 (p->npool - fr) * 100 / p->npool, p->npool - fr, p->npool, st.pending, st.files, st.bytes);
}

static void *sp_reader(void *arg)
{
	struct ofd_pipeline *p = arg;
	struct ofd_spill_cfg *c = &((struct ofd_spill_state *)p->spill_e->inst[0].state)->cfg;
	int reading = 0;
	uint64_t status_at = c->status_ns ? ofd_time_mono_ns() + c->status_ns : 0;
	for (;;) {
		ofd_spill_through(p->spill, ofd_pl_done(p));
		uint64_t now = ofd_time_mono_ns();
		if (status_at && now >= status_at) {
			sp_status(p);
			status_at = now + c->status_ns;
		}
		pthread_mutex_lock(&p->spillmu);
		int quit = p->spill_quit;
		pthread_mutex_unlock(&p->spillmu);
		if (quit == 1 || (quit == 2 && !ofd_spill_pending(p->spill)))
			break;
		if (ofd_spill_pending(p->spill)) {
			if (quit == 2)
				reading =
				    1; /* the inputs have returned: everything back, at the pool's pace */
			else if (!reading && !sp_above(p, c->reading))
				reading = 1;
			else if (reading && sp_above(p, c->low))
				reading = 0;
		} else {
			reading = 0;
		}
		void *v; /* trypop: the free ring's waits count the inputs' waits, and these are not */
		if (!reading || ofd_ring_trypop(&p->free, &v)) {
			uint64_t end = now + (reading ? SP_POLL_NS / 20 : SP_POLL_NS);
			struct timespec ts = {(time_t)(end / 1000000000u), (long)(end % 1000000000u)};
			pthread_mutex_lock(&p->spillmu);
			if (!p->spill_quit || reading)
				pthread_cond_timedwait(&p->spillcv, &p->spillmu, &ts);
			pthread_mutex_unlock(&p->spillmu);
			continue;
		}
		struct pl_batch *pb = v;
		ofd_batch_reset(&pb->b);
		pb->drain = 0;
		if (!ofd_spill_get(p->spill, &pb->b)) {
			(void)ofd_ring_push(&p->free, pb);
			continue;
		}
		pthread_mutex_lock(&p->spillmu);
		atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&p->rec_in, pb->b.n, memory_order_relaxed);
		uint64_t seq = ofd_pl_push_first(p, pb);
		ofd_spill_pushed(p->spill, seq);
		pthread_mutex_unlock(&p->spillmu);
	}
	return NULL;
}

int ofd_pl_spill_start(struct ofd_pipeline *p)
{
	if (!p->spill_e)
		return 0;
	struct pl_entry *e = p->spill_e;
	struct ofd_spill_state *st = e->inst[0].state;
	if (p->inline_mode) {
		ofd_warn("%s:%u: segment %s: one-pass mode runs every segment in the input's thread: nothing "
			 "to buffer, diskbuffer passes batches on",
			 p->file, e->line, e->name);
		return 0;
	}
	if (!st->sp)
		return -EINVAL;
	p->spill = st->sp;
	int rc = pthread_create(&p->spill_thread, NULL, sp_reader, p);
	if (rc) {
		p->spill = NULL;
		return -rc;
	}
	p->spill_started = 1;
	return 0;
}

void ofd_pl_spill_stop(struct ofd_pipeline *p, int leave)
{
	if (!p->spill_started)
		return;
	pthread_mutex_lock(&p->spillmu);
	p->spill_quit = leave ? 1 : 2;
	pthread_cond_broadcast(&p->spillcv);
	pthread_mutex_unlock(&p->spillmu);
	pthread_join(p->spill_thread, NULL);
	p->spill_started = 0;
}

void ofd_pl_spill_through(struct ofd_pipeline *p)
{
	if (p->spill)
		ofd_spill_through(p->spill, UINT64_MAX);
}
