/*
 * The pipeline engine (see pipeline.h for the threading model, branches and counters).
 *
 * Ownership: the pipeline owns its entries, instances, their state (config released after
 * fini), the batch pool and the rings; the config tree and the registry belong to the caller
 * and must outlive it. Nothing on the per-batch path allocates: batches come from the pool,
 * copies for blocking segments from their own bounded set, branch masks travel in the batch.
 */
#include "pipeline_int.h"

#include "ofd/time.h"

#include "core/metric_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/registry.h"

static void pl_finished(struct ofd_pipeline *p, uint64_t seq);

void ofd_pipeline_input_full(struct ofd_batch *b, void *ctx)
{
	struct ofd_segment *s = ctx;
	struct ofd_pipeline *p = s->p;
	if (p->inline_mode && p->phase == PL_STARTED) {
		ofd_pl_inline_full(p, s, b);
		return;
	}
	if (p->spill && ofd_pl_spill_full(p, s, b)) /* diskbuffer: to disk, or on in order */
		return;
	uint32_t live = ofd_batch_live_count(b);
	void *v;
	if (p->phase != PL_STARTED || ofd_ring_pop(&p->free, &v)) {
		/* records added outside start(): a segment bug, not silently ignored */
		ofd_err("segment %s (%s:%u): records added before the pipeline started (dropped %u)",
			s->entry->name, p->file, s->entry->line, live);
		ofd_batch_reset(b);
		return;
	}
	struct pl_batch *pb = v;
	ofd_batch_swap(b, &pb->b);
	ofd_batch_reset(b);
	atomic_fetch_add_explicit(&s->entry->out, live, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->rec_in, live, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
	s->handed = ofd_pl_push_first(p, pb) + 1;
}

/* Number a batch and queue it into the first stage in one step (see pushmu); its number. */
uint64_t ofd_pl_push_first(struct ofd_pipeline *p, struct pl_batch *pb)
{
	pthread_mutex_lock(&p->pushmu);
	uint64_t seq = atomic_fetch_add_explicit(&p->seq, 1, memory_order_relaxed);
	pb->seq = seq;
	if (ofd_ring_push(&p->st[0].in, pb)) { /* closed (a flush at the end): through at once */
		pb->drain = 0;
		pl_finished(p, seq);
		(void)ofd_ring_push(&p->free, pb);
	}
	pthread_mutex_unlock(&p->pushmu);
	return seq;
}

/* Batch seq has left the last stage: move `done` over every finished one in a row. */
static void pl_finished(struct ofd_pipeline *p, uint64_t seq)
{
	pthread_mutex_lock(&p->donemu);
	uint64_t d = atomic_load_explicit(&p->done, memory_order_relaxed);
	if (seq == d) {
		do
			p->fin[d++ % p->npool] = 0;
		while (p->fin[d % p->npool] && d < atomic_load_explicit(&p->seq, memory_order_relaxed));
		atomic_store_explicit(&p->done, d, memory_order_release);
	} else {
		p->fin[seq % p->npool] = 1;
	}
	pthread_mutex_unlock(&p->donemu);
}

void ofd_segment_set_acking(struct ofd_segment *seg)
{
	if (seg->p)
		atomic_store(&seg->p->acking, 1);
}

int ofd_segment_acking(const struct ofd_segment *seg)
{
	return seg->p && atomic_load_explicit(&seg->p->acking, memory_order_relaxed);
}

uint64_t ofd_segment_handed(const struct ofd_segment *seg)
{
	return seg->p ? seg->handed : 0;
}

uint64_t ofd_segment_done(const struct ofd_segment *seg)
{
	return seg->p ? ofd_pl_done(seg->p) : 0;
}

void ofd_pl_hold(struct ofd_pipeline *p, uint64_t limit)
{
	uint64_t cur = atomic_load(&p->hold);
	while (limit < cur && !atomic_compare_exchange_weak(&p->hold, &cur, limit))
		;
	atomic_store(&p->stopping, 1);
}

void ofd_segment_not_through(struct ofd_segment *seg)
{
	if (seg->p)
		ofd_pl_hold(seg->p, ofd_pl_done(seg->p));
}

static uint64_t pl_held(struct ofd_pipeline *p, uint64_t d)
{
	uint64_t h = atomic_load(&p->hold);
	return d < h ? d : h;
}

uint64_t ofd_pl_done(struct ofd_pipeline *p)
{
	if (p->phase == PL_DONE || p->inline_mode)
		return pl_held(p, atomic_load(&p->seq));
	/* the main path first: a batch it has finished queued its copies before (see pl_exec) */
	uint64_t d = atomic_load_explicit(&p->done, memory_order_acquire);
	for (size_t i = 0; i < p->ne; i++) {
		struct pl_entry *e = &p->e[i];
		if (!e->blocking)
			continue;
		uint64_t h = atomic_load(&e->handed), r = atomic_load(&e->processed);
		if (r < h && r < d) /* copies wait: those below r are through, the next may be r */
			d = r;
	}
	return pl_held(p, d);
}

/* Copy the live records of b into a free copy of blocking entry e and queue it; with `take`
   (nothing runs after e), hand over b's records by swapping stores instead, leaving b empty. */
static void pl_hand_copy(struct pl_entry *e, struct ofd_batch *b, uint64_t seq, int take)
{
	void *v;
	if (ofd_ring_pop(&e->free, &v))
		return;
	struct ofd_batch *c = v;
	ofd_batch_reset(c);
	if (e->inst[0].p->inline_mode) { /* run it here, on the batch or a copy; nothing waits */
		if (!take)
			ofd_batch_copy_live(c, b);
		e->type->process(&e->inst[0], e->inst[0].state, take ? b : c);
		(void)ofd_ring_push(&e->free, c);
		return;
	}
	if (take) {
		ofd_batch_swap(c, b);
		ofd_batch_reset(b);
	} else {
		ofd_batch_copy_live(c, b);
	}
	e->copy_seq[c - e->copies] = seq;
	atomic_store(&e->handed, seq + 1);
	(void)ofd_ring_push(&e->queue, c);
}

static void pl_count_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void ofd_pl_exec(const struct pl_op *op, struct pl_batch *pb, unsigned idx)
{
	struct ofd_batch *b = &pb->b;
	struct pl_entry *e = op->e;
	uint64_t(*m)[PL_WORDS] = pb->mask ? pb->mask + 3 * (size_t)op->slot : NULL;
	uint32_t in;
	switch (op->kind) {
	case PL_SEG: {
		int emit = pb->drain && (e->type->flags & OFD_SEGF_EMITS);
		int drain = emit && pb->drain == PL_DRAIN;
		int dgrams = b->dg && b->dg->n && (e->type->flags & OFD_SEGF_DGRAMS);
		if (!(in = ofd_batch_live_count(b)) && !emit && !dgrams)
			break;
		struct ofd_segment *s = &e->inst[e->jobs > 1 ? idx : 0];
		s->draining = drain;
		e->type->process(s, s->state, b);
		s->draining = 0;
		uint32_t out = ofd_batch_live_count(b);
		pl_count_add(&e->in, in);
		pl_count_add(&e->out, out);
		if (in > out) {
			pl_count_add(&e->dropped, in - out);
		} else if (out > in) { /* an emitting segment gave back records it took before */
			atomic_fetch_sub_explicit(&e->dropped, out - in, memory_order_relaxed);
			if (drain) /* another drain round */
				pl_count_add(&s->p->drain_added, out - in);
		}
		break;
	}
	case PL_BLOCK:
	case PL_BLOCK_TAIL:
		if (!(in = ofd_batch_live_count(b)))
			break;
		pl_count_add(&e->in, in);
		pl_count_add(&e->out, in);
		if (op->kind == PL_BLOCK_TAIL) /* the pipeline's out, before the records go */
			pl_count_add(&e->inst[0].p->rec_out, in);
		pl_hand_copy(e, b, pb->seq, op->kind == PL_BLOCK_TAIL);
		break;
	case PL_BEGIN:
		memcpy(m[0], b->live, sizeof(b->live));
		pl_count_add(&e->in, ofd_batch_live_count(b));
		break;
	case PL_THEN: memcpy(m[1], b->live, sizeof(b->live)); break;
	case PL_ELSE:
		memcpy(m[2], b->live, sizeof(b->live));
		for (unsigned w = 0; w < PL_WORDS; w++)
			b->live[w] = m[0][w] & ~m[1][w];
		break;
	case PL_END: {
		uint32_t began = 0, out;
		for (unsigned w = 0; w < PL_WORDS; w++) {
			/* bypass: every flow that entered leaves, and so do records then/else added */
			b->live[w] = b->live[w] | m[2][w] | (e->bypass ? m[0][w] : 0);
			began += (uint32_t)__builtin_popcountll(m[0][w]);
		}
		out = ofd_batch_live_count(b);
		pl_count_add(&e->out, out);
		if (began > out) /* the flows at end are a subset of those at begin */
			pl_count_add(&e->dropped, began - out);
		break;
	}
	}
}

static void pl_run(struct ofd_pipeline *p, struct pl_stage *st, unsigned idx, struct pl_batch *pb)
{
	for (size_t i = st->op0; i < st->op1; i++)
		ofd_pl_exec(&p->ops[i], pb, idx);
	if (st->last) {
		if (st->op1 == st->op0 || p->ops[st->op1 - 1].kind != PL_BLOCK_TAIL) /* else counted then */
			pl_count_add(&p->rec_out, ofd_batch_live_count(&pb->b));
		if (pb->drain == PL_FLUSH)
			pb->drain = 0;
		if (pb->drain == PL_DRAIN) {
			pb->drain = 0;
			pthread_mutex_lock(&p->mu);
			p->drains_done++;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
		}
		pl_finished(p, pb->seq);
		(void)ofd_ring_push(&p->free, pb);
	} else {
		(void)ofd_ring_push(&st[1].in, pb);
	}
}

/* A batch arrives at a stage: run it now, or park it until its predecessors have run. */
static void pl_stage_take(struct ofd_pipeline *p, struct pl_stage *st, unsigned idx, struct pl_batch *pb)
{
	if (!st->reorder) {
		pl_run(p, st, idx, pb);
		return;
	}
	if (pb->seq != st->expect) {
		st->park[pb->seq % p->npool] = pb;
		return;
	}
	for (;;) {
		pl_run(p, st, idx, pb);
		st->expect++;
		size_t k = st->expect % p->npool;
		pb = st->park[k];
		if (!pb || pb->seq != st->expect)
			break;
		st->park[k] = NULL;
	}
}

static void pl_tick_stage(struct ofd_pipeline *p, struct pl_stage *st, unsigned idx)
{
	uint64_t now = ofd_time_now_ns();
	for (size_t i = st->op0; i < st->op1; i++) {
		struct pl_entry *e = p->ops[i].e;
		if (p->ops[i].kind != PL_SEG || !e->type->tick)
			continue;
		struct ofd_segment *s = &e->inst[e->jobs > 1 ? idx : 0];
		e->type->tick(s, s->state, now);
	}
}

static void *pl_worker_main(void *arg)
{
	struct pl_worker *w = arg;
	struct ofd_pipeline *p = w->p;
	uint64_t next = ofd_time_mono_ns() + p->o.tick_ns;
	unsigned ticks = 0;
	int flusher = p->nemit && w->st == &p->st[0] && w->idx == 0;
	for (;;) {
		void *v;
		int rc = ofd_ring_pop_until(&w->st->in, &v, next);
		if (rc == 0)
			pl_stage_take(p, w->st, w->idx, v);
		else if (rc == OFD_EEOF)
			break;
		uint64_t now = ofd_time_mono_ns();
		if (now >= next) {
			pl_tick_stage(p, w->st, w->idx);
			next = now + p->o.tick_ns;
			if (flusher && ++ticks % PL_FLUSH_TICKS == 0)
				ofd_pl_flush(p);
		}
	}
	pl_tick_stage(p, w->st, w->idx);
	return NULL;
}

static void *pl_blocking_main(void *arg)
{
	struct pl_entry *e = arg;
	struct ofd_segment *s = &e->inst[0];
	const struct ofd_segment_type *t = e->type;
	uint64_t next = ofd_time_mono_ns() + s->p->o.tick_ns;
	for (;;) {
		void *v;
		int rc = ofd_ring_pop_until(&e->queue, &v, next);
		if (rc == 0) {
			struct ofd_batch *c = v;
			uint64_t seq = e->copy_seq[c - e->copies];
			t->process(s, s->state, c);
			atomic_store(&e->processed, seq + 1);
			(void)ofd_ring_push(&e->free, c);
		} else if (rc == OFD_EEOF) {
			break;
		}
		uint64_t now = ofd_time_mono_ns();
		if (now >= next) {
			if (t->tick)
				t->tick(s, s->state, ofd_time_now_ns());
			next = now + s->p->o.tick_ns;
		}
	}
	if (t->tick)
		t->tick(s, s->state, ofd_time_now_ns());
	return NULL;
}

static void *pl_input_main(void *arg)
{
	struct ofd_segment *s = arg;
	struct ofd_pipeline *p = s->p;
	int rc = s->type->start(s, s->state);
	ofd_batch_flush(s->ibatch);
	pthread_mutex_lock(&p->mu);
	if (rc < 0) {
		ofd_err("segment %s (%s:%u): %s", s->entry->name, p->file, s->entry->line, ofd_strerror(rc));
		if (!p->failed)
			p->failed = rc;
		atomic_store(&p->stopping, 1);
	}
	p->inputs_running--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- starting and stopping ---- */

/* Split the operations into stages: each parallel segment alone, the runs between in one. */
static int pl_alloc_stages(struct ofd_pipeline *p)
{
	p->st = calloc(2 * p->nops + 1, sizeof(*p->st));
	if (!p->st)
		return -ENOMEM;
	size_t start = 0;
	for (size_t i = 0; i <= p->nops; i++) {
		int par = i < p->nops && p->ops[i].kind == PL_SEG && p->ops[i].e->jobs > 1;
		if ((i == p->nops || par) && (i > start || (i == p->nops && p->nst == 0)))
			p->st[p->nst++] = (struct pl_stage){.op0 = start, .op1 = i, .nworkers = 1};
		if (par)
			p->st[p->nst++] =
			    (struct pl_stage){.op0 = i, .op1 = i + 1, .nworkers = p->ops[i].e->jobs};
		if (i == p->nops || par)
			start = i + 1;
	}
	for (size_t s = 0; s < p->nst; s++) {
		struct pl_stage *st = &p->st[s];
		st->last = s + 1 == p->nst;
		st->reorder = s > 0 && st->nworkers == 1;
		int rc = ofd_ring_init(&st->in, p->npool);
		if (rc)
			return rc;
		st->w = calloc(st->nworkers, sizeof(*st->w));
		if (!st->w || (st->reorder && !(st->park = calloc(p->npool, sizeof(*st->park)))))
			return -ENOMEM;
		for (unsigned j = 0; j < st->nworkers; j++)
			st->w[j] = (struct pl_worker){.p = p, .st = st, .idx = j};
	}
	return 0;
}

int ofd_pl_dgrams_give(struct ofd_pipeline *p, struct ofd_batch *b)
{
	if (!p->dgrams)
		return 0;
	struct ofd_dgrams *g = malloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->n = g->used = 0;
	pthread_mutex_lock(&p->mu);
	if (p->ndgblk == p->capdgblk) {
		size_t cap = p->capdgblk ? 2 * p->capdgblk : 32;
		struct ofd_dgrams **v = realloc(p->dgblk, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&p->mu);
			free(g);
			return -ENOMEM;
		}
		p->dgblk = v;
		p->capdgblk = cap;
	}
	p->dgblk[p->ndgblk++] = g;
	pthread_mutex_unlock(&p->mu);
	b->dg = g;
	return 0;
}

/* Datagram areas for the pool and the inputs' own batches (when the pipeline carries them). */
static int pl_alloc_dgrams(struct ofd_pipeline *p)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < p->npool; i++)
		rc = ofd_pl_dgrams_give(p, &p->pool[i].b);
	for (size_t i = 0; !rc && i < p->ne; i++)
		for (unsigned j = 0; !rc && p->e[i].type && p->e[i].inst && j < p->e[i].jobs; j++)
			if (p->e[i].inst[j].ibatch)
				rc = ofd_pl_dgrams_give(p, p->e[i].inst[j].ibatch);
	return rc;
}

static int pl_alloc_pool(struct ofd_pipeline *p)
{
	p->npool = p->o.pool_batches;
	p->pool = calloc(p->npool, sizeof(*p->pool));
	p->fin = calloc(p->npool, 1);
	if (!p->pool || !p->fin)
		return -ENOMEM;
	if (p->nslots && !(p->masks = calloc(p->npool * 3 * p->nslots, sizeof(*p->masks))))
		return -ENOMEM;
	int rc = ofd_ring_init(&p->free, p->npool);
	if (rc)
		return rc;
	p->free_ok = 1;
	ofd_ring_set_wait_hook(&p->free, p->o.on_queue_wait, p->o.on_queue_wait_ctx);
	for (size_t i = 0; i < p->npool; i++) {
		ofd_batch_init(&p->pool[i].b, NULL, NULL);
		p->pool[i].mask = p->masks ? p->masks + i * 3 * p->nslots : NULL;
		(void)ofd_ring_push(&p->free, &p->pool[i]);
	}
	return pl_alloc_dgrams(p);
}

static int pl_alloc_blocking(struct ofd_pipeline *p, struct pl_entry *e)
{
	unsigned n = p->o.blocking_batches;
	int rc;
	if (!(e->copies = calloc(n, sizeof(*e->copies))) || !(e->copy_seq = calloc(n, sizeof(*e->copy_seq))))
		return -ENOMEM;
	if ((rc = ofd_ring_init(&e->queue, n)) != 0 || (rc = ofd_ring_init(&e->free, n)) != 0)
		return rc;
	ofd_ring_set_wait_hook(&e->free, p->o.on_queue_wait, p->o.on_queue_wait_ctx);
	for (unsigned i = 0; i < n; i++) {
		ofd_batch_init(&e->copies[i], NULL, NULL);
		if ((rc = ofd_pl_dgrams_give(p, &e->copies[i])) != 0) /* a tail's take swaps them in */
			return rc;
		(void)ofd_ring_push(&e->free, &e->copies[i]);
	}
	return 0;
}

static int pl_start_threads(struct ofd_pipeline *p)
{
	int rc;
	if ((rc = ofd_pl_inline_start(p)) != 0)
		return rc;
	for (size_t s = 0; !p->inline_mode && s < p->nst; s++) {
		for (unsigned j = 0; j < p->st[s].nworkers; j++) {
			struct pl_worker *w = &p->st[s].w[j];
			if ((rc = pthread_create(&w->thread, NULL, pl_worker_main, w)) != 0)
				return -rc;
			w->started = 1;
		}
	}
	for (size_t i = 0; i < p->ne; i++) {
		struct pl_entry *e = &p->e[i];
		if (!e->blocking || p->inline_mode)
			continue;
		if ((rc = pthread_create(&e->thread, NULL, pl_blocking_main, e)) != 0)
			return -rc;
		e->started = 1;
	}
	if ((rc = ofd_pl_spill_start(p)) != 0)
		return rc;
	unsigned started = 0;
	pthread_mutex_lock(&p->mu);
	p->inputs_running = (unsigned)p->ninputs;
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->ne; i++) {
		struct pl_entry *e = &p->e[i];
		for (unsigned j = 0; e->type && e->type->kind == OFD_SEG_INPUT && j < e->jobs; j++) {
			struct ofd_segment *s = &e->inst[j];
			if ((rc = pthread_create(&s->thread, NULL, pl_input_main, s)) != 0) {
				pthread_mutex_lock(&p->mu);
				p->inputs_running -= (unsigned)p->ninputs - started;
				pthread_mutex_unlock(&p->mu);
				return -rc;
			}
			s->started = 1;
			started++;
		}
	}
	return 0;
}

int ofd_pipeline_start(struct ofd_pipeline *p)
{
	int rc;
	if (p->phase != PL_INITED)
		return -EINVAL;
	if ((rc = pl_alloc_pool(p)) != 0 || (rc = pl_alloc_stages(p)) != 0)
		goto fail;
	for (size_t i = 0; i < p->ne; i++)
		if (p->e[i].blocking && (rc = pl_alloc_blocking(p, &p->e[i])) != 0)
			goto fail;
	p->phase = PL_STARTED;
	atomic_store_explicit(&p->rings_ready, 1, memory_order_release); /* for metrics readers */
	if ((rc = pl_start_threads(p)) != 0) {
		ofd_err("cannot start the pipeline's threads: %s", ofd_strerror(rc));
		ofd_pipeline_stop(p);
	}
	return rc;

fail:
	ofd_err("cannot start the pipeline: %s", ofd_strerror(rc));
	return rc;
}

int ofd_pipeline_wait(struct ofd_pipeline *p, unsigned timeout_ms)
{
	uint64_t end = ofd_time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	struct timespec ts = {(time_t)(end / 1000000000u), (long)(end % 1000000000u)};
	pthread_mutex_lock(&p->mu);
	while (p->phase == PL_STARTED && p->inputs_running)
		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
			break;
	int done = p->phase != PL_STARTED || p->inputs_running == 0;
	pthread_mutex_unlock(&p->mu);
	return done;
}

void ofd_pipeline_stop(struct ofd_pipeline *p)
{
	atomic_store(&p->stopping, 1);
}

int ofd_segment_stopping(const struct ofd_segment *seg)
{
	return seg->p ? atomic_load_explicit(&seg->p->stopping, memory_order_relaxed) : seg->stop_requested;
}

int ofd_segment_draining(const struct ofd_segment *seg)
{
	return seg->draining;
}

void ofd_pl_flush(struct ofd_pipeline *p)
{
	void *v;
	if (ofd_ring_trypop(&p->free, &v)) /* none free: records are moving anyway */
		return;
	struct pl_batch *pb = v;
	ofd_batch_reset(&pb->b);
	pb->drain = PL_FLUSH;
	(void)ofd_pl_push_first(p, pb);
}

/* The inputs have returned: drain batches down the pipeline, one round at a time, until a round
   in which no emitting segment added a record (include/ofd/segment.h, OFD_SEGF_EMITS). */
static void pl_drain(struct ofd_pipeline *p)
{
	for (size_t s = 0; s < p->nst; s++) /* a failed start: nobody would take them */
		for (unsigned j = 0; j < p->st[s].nworkers; j++)
			if (!p->st[s].w[j].started)
				return;
	for (uint64_t round = p->drains_done + 1; p->nemit && !p->inline_mode; round++) {
		uint64_t before = atomic_load(&p->drain_added);
		void *v;
		if (ofd_ring_pop(&p->free, &v))
			return;
		struct pl_batch *pb = v;
		ofd_batch_reset(&pb->b);
		pb->drain = PL_DRAIN;
		atomic_fetch_add_explicit(&p->batches, 1, memory_order_relaxed);
		(void)ofd_pl_push_first(p, pb);
		pthread_mutex_lock(&p->mu);
		while (p->drains_done < round)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (atomic_load(&p->drain_added) == before)
			return;
	}
}

/* Join the inputs, then each stage in order after closing its ring (it drains it first). A
   diskbuffer's reader stops before: at once when the pipeline was asked to stop (`asked`: the
   rest stays on disk for the next start), else after reading everything back. */
static void pl_join_all(struct ofd_pipeline *p, int asked)
{
	for (size_t i = 0; i < p->ne; i++)
		for (unsigned j = 0; p->e[i].type && j < p->e[i].jobs; j++)
			if (p->e[i].inst[j].started)
				pthread_join(p->e[i].inst[j].thread, NULL);
	ofd_pl_spill_stop(p, asked);
	pl_drain(p);
	for (size_t s = 0; s < p->nst; s++) {
		struct pl_stage *st = &p->st[s];
		ofd_ring_close(&st->in);
		for (unsigned j = 0; j < st->nworkers; j++)
			if (st->w[j].started)
				pthread_join(st->w[j].thread, NULL);
		for (size_t i = st->op0; i < st->op1; i++)
			if (p->ops[i].kind == PL_BLOCK || p->ops[i].kind == PL_BLOCK_TAIL)
				ofd_ring_close(&p->ops[i].e->queue);
	}
	for (size_t i = 0; i < p->ne; i++) {
		if (p->e[i].started)
			pthread_join(p->e[i].thread, NULL);
	}
	ofd_pl_spill_through(p); /* everything read back is through */
}

int ofd_pipeline_finish(struct ofd_pipeline *p)
{
	if (p->phase == PL_STARTED) {
		int asked = atomic_load(&p->stopping);
		ofd_pipeline_stop(p);
		pl_join_all(p, asked);
		ofd_pl_inline_finish(p);
		ofd_pl_inline_drain(p);
	}
	if (p->phase == PL_STARTED || p->phase == PL_INITED)
		ofd_pl_fini_all(p, 0, 0);
	p->phase = PL_DONE;
	return p->failed;
}

void ofd_pipeline_free(struct ofd_pipeline *p)
{
	if (!p)
		return;
	(void)ofd_pipeline_finish(p);
	for (size_t i = 0; i < p->ne; i++) {
		struct pl_entry *e = &p->e[i];
		for (unsigned j = 0; e->inst && j < e->jobs; j++) {
			struct ofd_segment *s = &e->inst[j];
			if (s->applied)
				ofd_cfg_release(e->type->config ? e->type->config : ofd_pl_no_keys, s->state);
			free(s->state);
			free(s->ibatch);
		}
		free(e->inst);
		if (e->final) {
			ofd_mt_fini(e->final);
			free(e->final);
		}
		if (e->copies) {
			ofd_ring_fini(&e->queue);
			ofd_ring_fini(&e->free);
			free(e->copies);
			free(e->copy_seq);
		}
	}
	for (size_t s = 0; s < p->nst; s++) {
		ofd_ring_fini(&p->st[s].in);
		free(p->st[s].w);
		free(p->st[s].park);
	}
	if (p->free_ok)
		ofd_ring_fini(&p->free);
	for (size_t i = 0; i < p->ndgblk; i++)
		free(p->dgblk[i]);
	free(p->dgblk);
	free(p->st);
	free(p->pool);
	free(p->fin);
	free(p->masks);
	free(p->ops);
	free(p->e);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->mmu);
	pthread_mutex_destroy(&p->donemu);
	pthread_mutex_destroy(&p->pushmu);
	pthread_mutex_destroy(&p->spillmu);
	pthread_cond_destroy(&p->spillcv);
	if (p->inline_mode) {
		pthread_cond_destroy(&p->icv);
		pthread_mutex_destroy(&p->imu);
	}
	free(p);
}

/* ---- counters ---- */

size_t ofd_pipeline_entries(const struct ofd_pipeline *p)
{
	return p->ne;
}

const char *ofd_pipeline_entry_name(const struct ofd_pipeline *p, size_t i)
{
	return i < p->ne ? p->e[i].name : NULL;
}

struct pl_entry *ofd_pipeline_entry_at(struct ofd_pipeline *p, size_t i)
{
	return i < p->ne ? &p->e[i] : NULL;
}

static uint64_t pl_load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void ofd_pipeline_totals(struct ofd_pipeline *p, struct ofd_pipeline_totals *t)
{
	t->out = pl_load(&p->rec_out);
	t->in = pl_load(&p->rec_in);
	t->dropped = t->in > t->out ? t->in - t->out : 0;
	t->batches = pl_load(&p->batches);
	t->queue_waits = p->free_ok ? ofd_ring_pop_waits(&p->free) : 0;
}
