/* The sender's HTTP(S) attempts per destination (contracts in sendq.h). */
#include "tracer/sendq.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define NIL	 UINT32_MAX
#define MAX_JOBS (UINT32_C(1) << 20)

struct sq_job {
	struct ofd_sendq_job j;
	uint32_t next; /* the destination's FIFO, or the free list */
	uint32_t dest;
};

struct sq_dest {
	struct ofd_sendq_key k;
	uint32_t head, tail; /* waiting jobs, oldest first */
	uint32_t nwait, ninflight, max_inflight, max_wait;
	uint32_t hnext; /* hash chain, or the free list */
	uint32_t rnext; /* the ready list */
	uint8_t ready;	/* in the ready list */
};

struct ofd_sendq {
	uint32_t njobs, nbuckets;
	uint32_t jobs, waiting, dests; /* in use */
	uint32_t job_free, dest_free;
	uint32_t ready_head, ready_tail;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct sq_job *job;
	struct sq_dest *dest;
	uint32_t *bucket;
};

int ofd_sendq_new(struct ofd_sendq **out, uint32_t jobs)
{
	if (jobs == 0 || jobs > MAX_JOBS)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	struct ofd_sendq *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->njobs = jobs;
	q->nbuckets = 8;
	while (q->nbuckets < 2 * jobs)
		q->nbuckets *= 2;
	q->job = calloc(jobs, sizeof(*q->job));
	q->dest = calloc(jobs, sizeof(*q->dest));
	q->bucket = malloc(q->nbuckets * sizeof(*q->bucket));
	if (!q->job || !q->dest || !q->bucket) {
		ofd_sendq_free(q);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < jobs; i++) {
		q->job[i].next = i + 1 < jobs ? i + 1 : NIL;
		q->dest[i].hnext = i + 1 < jobs ? i + 1 : NIL;
	}
	for (uint32_t i = 0; i < q->nbuckets; i++)
		q->bucket[i] = NIL;
	q->ready_head = q->ready_tail = NIL;
	randombytes_buf(q->key, sizeof(q->key));
	*out = q;
	return 0;
}

void ofd_sendq_free(struct ofd_sendq *q)
{
	if (!q)
		return;
	free(q->job);
	free(q->dest);
	free(q->bucket);
	free(q);
}

/* ---- destinations ---- */

static uint32_t *sq_bucket(const struct ofd_sendq *q, const struct ofd_sendq_key *k)
{
	uint8_t b[17], h[crypto_shorthash_BYTES];
	memset(b, 0, sizeof(b));
	if (!k->relay)
		memcpy(b, k->addr.b, 16);
	b[16] = k->relay;
	crypto_shorthash(h, b, sizeof(b), q->key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return &q->bucket[v & (q->nbuckets - 1)];
}

static int key_eq(const struct ofd_sendq_key *a, const struct ofd_sendq_key *b)
{
	return a->relay == b->relay && (a->relay || memcmp(a->addr.b, b->addr.b, 16) == 0);
}

static uint32_t dest_find(const struct ofd_sendq *q, const struct ofd_sendq_key *k)
{
	for (uint32_t i = *sq_bucket(q, k); i != NIL; i = q->dest[i].hnext)
		if (key_eq(&q->dest[i].k, k))
			return i;
	return NIL;
}

/* A new destination (the caller checked that a job is free: destinations never outnumber jobs). */
static uint32_t dest_new(struct ofd_sendq *q, const struct ofd_sendq_key *k, uint32_t max_inflight,
			 uint32_t max_wait)
{
	uint32_t i = q->dest_free, *b = sq_bucket(q, k);
	struct sq_dest *d = &q->dest[i];
	q->dest_free = d->hnext;
	memset(d, 0, sizeof(*d));
	d->k = *k;
	d->head = d->tail = d->rnext = NIL;
	d->max_inflight = max_inflight ? max_inflight : 1;
	d->max_wait = max_wait ? max_wait : 1;
	d->hnext = *b;
	*b = i;
	q->dests++;
	return i;
}

/* Forget destination i (no job left, not in the ready list). */
static void dest_forget(struct ofd_sendq *q, uint32_t i)
{
	uint32_t *p = sq_bucket(q, &q->dest[i].k);
	while (*p != i)
		p = &q->dest[*p].hnext;
	*p = q->dest[i].hnext;
	q->dest[i].hnext = q->dest_free;
	q->dest_free = i;
	q->dests--;
}

static void ready_push(struct ofd_sendq *q, uint32_t i)
{
	struct sq_dest *d = &q->dest[i];
	if (d->ready)
		return;
	d->ready = 1;
	d->rnext = NIL;
	if (q->ready_tail == NIL)
		q->ready_head = i;
	else
		q->dest[q->ready_tail].rnext = i;
	q->ready_tail = i;
}

/* Take i out of the ready list (rare: a destination whose waiting jobs were dropped). */
static void ready_remove(struct ofd_sendq *q, uint32_t i)
{
	uint32_t *p = &q->ready_head, prev = NIL;
	while (*p != i) {
		prev = *p;
		p = &q->dest[*p].rnext;
	}
	*p = q->dest[i].rnext;
	if (q->ready_tail == i)
		q->ready_tail = prev;
	q->dest[i].ready = 0;
}

static int can_start(const struct sq_dest *d)
{
	return d->nwait && d->ninflight < d->max_inflight;
}

/* ---- jobs ---- */

int ofd_sendq_push(struct ofd_sendq *q, const struct ofd_sendq_key *k, const struct ofd_sendq_job *j,
		   uint32_t max_inflight, uint32_t max_wait)
{
	uint32_t di = dest_find(q, k);
	const struct sq_dest *o = di != NIL ? &q->dest[di] : NULL;
	if (o && o->nwait + o->ninflight >= o->max_wait + o->max_inflight)
		return OFD_SENDQ_DEST_FULL;
	if (q->job_free == NIL)
		return OFD_SENDQ_FULL;
	if (di == NIL)
		di = dest_new(q, k, max_inflight, max_wait);
	struct sq_dest *d = &q->dest[di];
	uint32_t ji = q->job_free;
	struct sq_job *x = &q->job[ji];
	q->job_free = x->next;
	x->j = *j;
	x->dest = di;
	x->next = NIL;
	if (d->tail == NIL)
		d->head = ji;
	else
		q->job[d->tail].next = ji;
	d->tail = ji;
	d->nwait++;
	q->waiting++;
	q->jobs++;
	if (can_start(d))
		ready_push(q, di);
	return 0;
}

static void job_release(struct ofd_sendq *q, uint32_t ji)
{
	q->job[ji].next = q->job_free;
	q->job_free = ji;
	q->jobs--;
}

int64_t ofd_sendq_next(struct ofd_sendq *q, struct ofd_sendq_job *j)
{
	while (q->ready_head != NIL) {
		uint32_t di = q->ready_head;
		struct sq_dest *d = &q->dest[di];
		q->ready_head = d->rnext;
		if (q->ready_head == NIL)
			q->ready_tail = NIL;
		d->ready = 0;
		if (!can_start(d)) { /* its waiting jobs were dropped */
			if (!d->nwait && !d->ninflight)
				dest_forget(q, di);
			continue;
		}
		uint32_t ji = d->head;
		d->head = q->job[ji].next;
		if (d->head == NIL)
			d->tail = NIL;
		d->nwait--;
		d->ninflight++;
		q->waiting--;
		if (can_start(d))
			ready_push(q, di); /* at the back: the others take their turns first */
		*j = q->job[ji].j;
		return ji;
	}
	return -1;
}

void ofd_sendq_done(struct ofd_sendq *q, uint32_t id)
{
	uint32_t di = q->job[id].dest;
	struct sq_dest *d = &q->dest[di];
	job_release(q, id);
	d->ninflight--;
	if (can_start(d)) {
		ready_push(q, di);
	} else if (!d->nwait && !d->ninflight) { /* destinations never outnumber jobs */
		if (d->ready)
			ready_remove(q, di);
		dest_forget(q, di);
	}
}

uint32_t ofd_sendq_drop(struct ofd_sendq *q, uint32_t id, uint8_t kind,
			void (*drop)(void *ctx, const struct ofd_sendq_job *j), void *ctx)
{
	struct sq_dest *d = &q->dest[q->job[id].dest];
	uint32_t n = 0, *p = &d->head, last = NIL;
	while (*p != NIL) {
		uint32_t ji = *p;
		if (q->job[ji].j.kind != kind) {
			last = ji;
			p = &q->job[ji].next;
			continue;
		}
		*p = q->job[ji].next;
		drop(ctx, &q->job[ji].j);
		job_release(q, ji);
		d->nwait--;
		q->waiting--;
		n++;
	}
	d->tail = last;
	return n;
}

uint32_t ofd_sendq_jobs(const struct ofd_sendq *q)
{
	return q->jobs;
}

uint32_t ofd_sendq_waiting(const struct ofd_sendq *q)
{
	return q->waiting;
}

uint32_t ofd_sendq_dests(const struct ofd_sendq *q)
{
	return q->dests;
}
