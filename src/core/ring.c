#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int ofd_ring_init(struct ofd_ring *r, size_t cap)
{
	int err = 0;
	pthread_condattr_t ca;
	*r = (struct ofd_ring){0};
	if (cap == 0)
		return -EINVAL;
	r->slot = calloc(cap, sizeof(*r->slot));
	if (!r->slot)
		return -ENOMEM;
	r->cap = cap;
	if ((err = pthread_condattr_init(&ca)) != 0)
		goto free_slots;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if ((err = pthread_mutex_init(&r->mu, NULL)) != 0)
		goto free_attr;
	if ((err = pthread_cond_init(&r->not_empty, &ca)) != 0)
		goto free_mutex;
	if ((err = pthread_cond_init(&r->not_full, &ca)) != 0)
		goto free_cond;
	pthread_condattr_destroy(&ca);
	return 0;

free_cond:
	pthread_cond_destroy(&r->not_empty);
free_mutex:
	pthread_mutex_destroy(&r->mu);
free_attr:
	pthread_condattr_destroy(&ca);
free_slots:
	free(r->slot);
	r->slot = NULL;
	return -err;
}

void ofd_ring_fini(struct ofd_ring *r)
{
	if (!r->slot)
		return;
	pthread_cond_destroy(&r->not_full);
	pthread_cond_destroy(&r->not_empty);
	pthread_mutex_destroy(&r->mu);
	free(r->slot);
	r->slot = NULL;
}

void ofd_ring_set_wait_hook(struct ofd_ring *r, ofd_ring_wait_fn fn, void *ctx)
{
	pthread_mutex_lock(&r->mu);
	r->on_wait = fn;
	r->on_wait_ctx = ctx;
	pthread_mutex_unlock(&r->mu);
}

/* Called with the lock held, before the first wait of one operation. */
static void ring_waiting(struct ofd_ring *r, _Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
	if (r->on_wait)
		r->on_wait(r->on_wait_ctx);
}

int ofd_ring_push(struct ofd_ring *r, void *p)
{
	int err = 0;
	pthread_mutex_lock(&r->mu);
	if (r->count == r->cap && !r->closed) {
		ring_waiting(r, &r->push_waits);
		while (r->count == r->cap && !r->closed)
			pthread_cond_wait(&r->not_full, &r->mu);
	}
	if (r->closed) {
		err = OFD_EEOF;
		goto unlock;
	}
	r->slot[(r->head + r->count) % r->cap] = p;
	r->count++;
	pthread_cond_signal(&r->not_empty);
unlock:
	pthread_mutex_unlock(&r->mu);
	return err;
}

/* Take the head; the lock is held and the ring is not empty. */
static void *ring_take(struct ofd_ring *r)
{
	void *p = r->slot[r->head];
	r->head = (r->head + 1) % r->cap;
	r->count--;
	pthread_cond_signal(&r->not_full);
	return p;
}

/* deadline_ns 0: no deadline. */
static int ring_pop(struct ofd_ring *r, void **p, uint64_t deadline_ns)
{
	int err = 0;
	struct timespec ts = ofd_time_ts(deadline_ns);
	pthread_mutex_lock(&r->mu);
	if (r->count == 0 && !r->closed) {
		ring_waiting(r, &r->pop_waits);
		while (r->count == 0 && !r->closed) {
			if (!deadline_ns) {
				pthread_cond_wait(&r->not_empty, &r->mu);
			} else if (pthread_cond_timedwait(&r->not_empty, &r->mu, &ts) == ETIMEDOUT) {
				if (r->count == 0 && !r->closed) {
					err = -ETIMEDOUT;
					goto unlock;
				}
			}
		}
	}
	if (r->count == 0) {
		err = OFD_EEOF;
		goto unlock;
	}
	*p = ring_take(r);
unlock:
	pthread_mutex_unlock(&r->mu);
	return err;
}

int ofd_ring_pop(struct ofd_ring *r, void **p)
{
	return ring_pop(r, p, 0);
}

int ofd_ring_pop_until(struct ofd_ring *r, void **p, uint64_t deadline_ns)
{
	return ring_pop(r, p, deadline_ns ? deadline_ns : 1);
}

int ofd_ring_trypop(struct ofd_ring *r, void **p)
{
	int err = 0;
	pthread_mutex_lock(&r->mu);
	if (r->count)
		*p = ring_take(r);
	else
		err = r->closed ? OFD_EEOF : -EAGAIN;
	pthread_mutex_unlock(&r->mu);
	return err;
}

void ofd_ring_close(struct ofd_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->closed = 1;
	pthread_cond_broadcast(&r->not_empty);
	pthread_cond_broadcast(&r->not_full);
	pthread_mutex_unlock(&r->mu);
}
