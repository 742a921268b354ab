/*
 * The sender's HTTP(S) attempts, queued per destination and served round robin.
 *
 * A job is one attempt (a tracer's slot, a method, a destination index); a destination is a key
 * (an address, or a relay's number). Every destination has its own FIFO of waiting jobs and its
 * own bound on jobs in flight, both fixed when its first job arrives. ofd_sendq_next() hands out
 * the oldest waiting job of the destination whose turn it is: destinations with work and room
 * take turns in the order they became ready, one job a turn, so a destination that holds its
 * transfers for long (a tarpit) holds only its own in-flight bound, and every other one keeps
 * its turns. The caller bounds the transfers in flight overall (it calls next() only when it
 * has a free transfer).
 *
 * Fixed memory: `jobs` jobs (waiting or in flight, all destinations together) and as many
 * destinations, allocated by ofd_sendq_new; a destination is forgotten when it has no job left.
 * The key hash is keyed SipHash (random key). Not thread-safe (the sender thread owns it).
 */
#ifndef OFD_TRACER_SENDQ_H
#define OFD_TRACER_SENDQ_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_sendq_job { /* the caller's attempt, returned as given */
	uint32_t slot;
	uint8_t kind;
	uint8_t dest;
};

struct ofd_sendq_key {
	struct ofd_ip addr; /* flow ends: the address (its 16 bytes count, not the family) */
	uint8_t relay;	    /* 0: a flow end; i + 1: relay i (addr ignored) */
};

enum { OFD_SENDQ_DEST_FULL = 1, OFD_SENDQ_FULL = 2 };

struct ofd_sendq;

/* jobs: 1 .. 1 << 20. -EINVAL out of range, -ENOMEM, -EIO when libsodium cannot start. */
int ofd_sendq_new(struct ofd_sendq **out, uint32_t jobs) OFD_MUST_CHECK;

/*
 * Queue job j for destination k: 0, or OFD_SENDQ_DEST_FULL when k already has max_inflight +
 * max_wait jobs (waiting or in flight: at most max_wait wait while max_inflight are in flight),
 * OFD_SENDQ_FULL when all jobs are taken (nothing is queued then). max_inflight and max_wait
 * (both >= 1) apply when k has no job yet; a known destination keeps its bounds.
 */
int ofd_sendq_push(struct ofd_sendq *q, const struct ofd_sendq_key *k, const struct ofd_sendq_job *j,
		   uint32_t max_inflight, uint32_t max_wait);

/* The next job to start, round robin over destinations with a waiting job and room in flight:
   its id (for done/drop) and *j, now in flight; -1 when there is none. */
int64_t ofd_sendq_next(struct ofd_sendq *q, struct ofd_sendq_job *j);

/* In-flight job id finished: its destination may take another turn. */
void ofd_sendq_done(struct ofd_sendq *q, uint32_t id);

/* Remove the waiting jobs of in-flight job id's destination whose kind is `kind` (the host does
   not answer that way): each is passed to drop(ctx, job) once. Returns how many. */
uint32_t ofd_sendq_drop(struct ofd_sendq *q, uint32_t id, uint8_t kind,
			void (*drop)(void *ctx, const struct ofd_sendq_job *j), void *ctx);

uint32_t ofd_sendq_jobs(const struct ofd_sendq *q);    /* waiting or in flight */
uint32_t ofd_sendq_waiting(const struct ofd_sendq *q); /* waiting only */
uint32_t ofd_sendq_dests(const struct ofd_sendq *q);   /* destinations with a job */
void ofd_sendq_free(struct ofd_sendq *q);	       /* NULL: nothing */

#endif
