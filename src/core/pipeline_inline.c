/*
 * Inline mode (ofd_pipeline_opts.inline_run): every segment runs in the thread of the input
 * that filled the batch, for commands that process a capture once (dump, -f) and are cheapest
 * with one thread per record: no hand-off between threads, no batch crossing a core.
 *
 * A full input batch is swapped into the first pool batch and every operation runs on it under
 * `imu`, so segments are still called by one thread at a time even when an input runs several
 * threads. Blocking segments run there too (on a copy, as in the threaded engine, unless they end
 * the pipeline). Ticks come from a ticker thread every tick_ns under the same mutex, so windows
 * and flushes keep their schedule while the input is idle, and once more at finish, after the
 * inputs returned. Counters are those of the threaded engine.
 */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "core/pipeline_int.h"
#include "ofd/time.h"

static int pl_inline_eligible(const struct ofd_pipeline *p)
{
	for (size_t i = 0; i < p->ne; i++)
		if (p->e[i].jobs > 1)
			return 0;
	return p->o.inline_run && p->npool > 0;
}

/* Every segment's tick(), under imu. */
static void pl_inline_tick(struct ofd_pipeline *p)
{
	uint64_t now = ofd_time_now_ns();
	for (size_t i = 0; i < p->nops; i++) {
		const struct pl_op *op = &p->ops[i];
		if ((op->kind != PL_SEG && op->kind != PL_BLOCK && op->kind != PL_BLOCK_TAIL) ||
		    !op->e->type->tick)
			continue;
		struct ofd_segment *s = &op->e->inst[0];
		op->e->type->tick(s, s->state, now);
	}
}

static uint64_t pl_inline_empty(struct ofd_pipeline *p, int kind);

static void *pl_ticker_main(void *arg)
{
	struct ofd_pipeline *p = arg;
	unsigned ticks = 0;
	pthread_mutex_lock(&p->imu);
	while (!p->ticker_stop) {
		struct timespec ts = ofd_time_ts(ofd_time_now_ns() + p->o.tick_ns);
		if (pthread_cond_timedwait(&p->icv, &p->imu, &ts) == ETIMEDOUT && !p->ticker_stop) {
			pl_inline_tick(p);
			if (p->nemit && ++ticks % PL_FLUSH_TICKS == 0) /* pool[0] is free under imu */
				(void)pl_inline_empty(p, PL_FLUSH);
		}
	}
	pthread_mutex_unlock(&p->imu);
	return NULL;
}

int ofd_pl_inline_start(struct ofd_pipeline *p)
{
	if (!pl_inline_eligible(p))
		return 0;
	pthread_mutex_init(&p->imu, NULL);
	pthread_cond_init(&p->icv, NULL);
	p->inline_mode = 1;
	int rc = pthread_create(&p->ticker, NULL, pl_ticker_main, p);
	if (rc)
		return -rc;
	p->ticker_started = 1;
	return 0;
}

void ofd_pl_inline_full(struct ofd_pipeline *p, struct ofd_segment *in, struct ofd_batch *b)
{
	uint32_t live = ofd_batch_live_count(b);
	pthread_mutex_lock(&p->imu);
	struct pl_batch *pb = &p->pool[0];
	ofd_batch_swap(b, &pb->b);
	atomic_fetch_add_explicit(&in->entry->out, live, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->rec_in, live, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
	for (size_t i = 0; i < p->nops; i++)
		ofd_pl_exec(&p->ops[i], pb, 0);
	if (!p->nops || p->ops[p->nops - 1].kind != PL_BLOCK_TAIL) /* else counted as it took them */
		atomic_fetch_add_explicit(&p->rec_out, ofd_batch_live_count(&pb->b), memory_order_relaxed);
	ofd_batch_reset(&pb->b);
	in->handed = atomic_fetch_add(&p->seq, 1) + 1; /* through at once: ofd_segment_done is seq */
	pthread_mutex_unlock(&p->imu);
	ofd_batch_reset(b);
}

void ofd_pl_inline_finish(struct ofd_pipeline *p)
{
	if (!p->inline_mode)
		return;
	pthread_mutex_lock(&p->imu);
	p->ticker_stop = 1;
	pthread_cond_broadcast(&p->icv);
	pthread_mutex_unlock(&p->imu);
	if (p->ticker_started)
		pthread_join(p->ticker, NULL);
	p->ticker_started = 0;
	pthread_mutex_lock(&p->imu);
	pl_inline_tick(p); /* the final one, after the inputs drained */
	pthread_mutex_unlock(&p->imu);
}

/* One batch without records of kind PL_FLUSH or PL_DRAIN through every operation, under imu;
   returns the records emitting segments added in it (a drain round goes on while they do). */
static uint64_t pl_inline_empty(struct ofd_pipeline *p, int kind)
{
	struct pl_batch *pb = &p->pool[0];
	uint64_t before = atomic_load(&p->drain_added);
	ofd_batch_reset(&pb->b);
	pb->drain = kind;
	for (size_t i = 0; i < p->nops; i++)
		ofd_pl_exec(&p->ops[i], pb, 0);
	if (!p->nops || p->ops[p->nops - 1].kind != PL_BLOCK_TAIL)
		atomic_fetch_add_explicit(&p->rec_out, ofd_batch_live_count(&pb->b), memory_order_relaxed);
	pb->drain = 0;
	ofd_batch_reset(&pb->b);
	return atomic_load(&p->drain_added) - before;
}

void ofd_pl_inline_drain(struct ofd_pipeline *p)
{
	if (!p->inline_mode || !p->nemit)
		return;
	pthread_mutex_lock(&p->imu);
	do
		atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
	while (pl_inline_empty(p, PL_DRAIN));
	pthread_mutex_unlock(&p->imu);
}
