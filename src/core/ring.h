/*
 * A bounded queue of pointers (multi-producer, multi-consumer) on a mutex and two condition
 * variables. It never grows: a push into a full ring waits, a pop from an empty ring waits, and
 * both kinds of wait are counted. The pipeline moves whole batches (a few hundred records) per
 * operation, so the lock is taken a few ten thousand times a second at most.
 *
 * Closing wakes every waiter: pops drain what is left and then return OFD_EEOF; pushes into a
 * closed ring are refused with OFD_EEOF.
 */
#ifndef OFD_RING_H
#define OFD_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/time.h"

/* Called by a thread just before it blocks (a push on a full ring or a pop on an empty one). */
typedef void (*ofd_ring_wait_fn)(void *ctx);

struct ofd_ring {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	void **slot;
	size_t cap;
	size_t head; /* next to pop */
	size_t count;
	int closed;
	_Atomic uint64_t push_waits; /* pushes that found the ring full */
	_Atomic uint64_t pop_waits;  /* pops that found the ring empty (and not closed) */
	ofd_ring_wait_fn on_wait;
	void *on_wait_ctx;
};

int ofd_ring_init(struct ofd_ring *r, size_t cap) OFD_MUST_CHECK;
void ofd_ring_fini(struct ofd_ring *r);

/* Call fn(ctx) whenever a thread is about to block on this ring (tests, monitoring). */
void ofd_ring_set_wait_hook(struct ofd_ring *r, ofd_ring_wait_fn fn, void *ctx);

/* Append p, waiting while the ring is full. 0, or OFD_EEOF if the ring is closed. */
int ofd_ring_push(struct ofd_ring *r, void *p);

/* Take the oldest pointer, waiting while the ring is empty. 0, or OFD_EEOF once the ring is
   closed and empty. */
int ofd_ring_pop(struct ofd_ring *r, void **p);

/* As ofd_ring_pop, but gives up at deadline_ns (CLOCK_MONOTONIC): -ETIMEDOUT. */
int ofd_ring_pop_until(struct ofd_ring *r, void **p, uint64_t deadline_ns);

/* Take the oldest pointer if there is one: 0, -EAGAIN when empty, OFD_EEOF when closed and empty. */
int ofd_ring_trypop(struct ofd_ring *r, void **p);

void ofd_ring_close(struct ofd_ring *r);

static inline uint64_t ofd_ring_push_waits(struct ofd_ring *r)
{
	return atomic_load_explicit(&r->push_waits, memory_order_relaxed);
}

static inline uint64_t ofd_ring_pop_waits(struct ofd_ring *r)
{
	return atomic_load_explicit(&r->pop_waits, memory_order_relaxed);
}

#endif
