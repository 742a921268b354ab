/*
 * A pool of verification threads for tracers received over UDP. Verifying a tracer costs a
 * signature check (~40 us) while receiving it costs a few microseconds, so one thread reads the
 * sockets and hands each datagram, copied into a preallocated slot, to the pool; every worker
 * has its own scratch buffer. Slots are bounded: when every slot is taken the reader waits
 * (the socket buffer then fills, and what the kernel drops is counted by the UDP layer).
 */
#ifndef OFD_RECEIVER_VPOOL_H
#define OFD_RECEIVER_VPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "net/dgram.h"
#include "ofd/err.h"

/* Handle one datagram in a worker; scratch holds OFD_TRACER_MAX bytes owned by the worker. */
typedef void (*ofd_vpool_fn)(void *ctx, const struct ofd_dgram *dg, uint8_t *scratch);

struct ofd_vpool;

/* Start `workers` threads (1..64) with `slots` slots of max_len bytes each. */
int ofd_vpool_start(struct ofd_vpool **out, unsigned workers, unsigned slots, size_t max_len, ofd_vpool_fn fn,
		    void *ctx) OFD_MUST_CHECK;

/* Queue a copy of dg (data cut at max_len: the handler sees the true length in dg->len and
   refuses it as too large). Waits for a free slot. */
void ofd_vpool_submit(struct ofd_vpool *p, const struct ofd_dgram *dg);

/* Handle everything queued, then stop and free the pool. */
void ofd_vpool_stop(struct ofd_vpool *p);

#endif
