/*
 * A pool of verification threads for tracers received over UDP. Verifying a tracer costs a
 * signature check (~40 us) while receiving it costs a few microseconds, so one thread reads the
 * sockets and hands each datagram, copied into a preallocated slot, to the pool; every worker
 * has its own scratch buffer.
 *
 * Two lanes: workers take the priority lane's datagrams first, the other lane's only when the
 * priority lane is empty. Slots are bounded: a priority submit waits for a free slot (the
 * socket buffer then fills, and what the kernel drops is counted by the UDP layer); the other
 * lane leaves 8 slots per worker to the priority lane and its submits never wait: refused when
 * it is full. A priority submit thus waits at most for a worker to finish one datagram.
 */
#ifndef OFD_RECEIVER_VPOOL_H
#define OFD_RECEIVER_VPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "net/dgram.h"
#include "ofd/err.h"

#define OFD_VPOOL_META 40 /* caller's bytes carried with each datagram */

enum ofd_vpool_lane { OFD_VPOOL_FIRST, OFD_VPOOL_SECOND };

/* Handle one datagram in a worker: meta is the copy of what was submitted with it; scratch
   holds OFD_TRACER_MAX bytes owned by the worker. */
typedef void (*ofd_vpool_fn)(void *ctx, const struct ofd_dgram *dg, const void *meta, uint8_t *scratch);

struct ofd_vpool;

/* Start `workers` threads (1..64) with `slots` slots (at least 16 * workers) of max_len bytes. */
int ofd_vpool_start(struct ofd_vpool **out, unsigned workers, unsigned slots, size_t max_len, ofd_vpool_fn fn,
		    void *ctx) OFD_MUST_CHECK;

/* Queue a copy of dg (data cut at max_len: the handler sees the true length in dg->len and
   refuses it as too large) and of meta (OFD_VPOOL_META bytes, may be NULL: zeros) in lane.
   OFD_VPOOL_FIRST waits for a free slot; OFD_VPOOL_SECOND returns OFD_ELIMIT when its lane is
   full. 0 when queued; OFD_EEOF once the pool stops. Only one thread submits. */
int ofd_vpool_submit(struct ofd_vpool *p, const struct ofd_dgram *dg, enum ofd_vpool_lane lane,
		     const void *meta);

/* 1 when a submit to lane would not wait or be refused now (only workers run meanwhile, and they
   only make room). */
int ofd_vpool_room(struct ofd_vpool *p, enum ofd_vpool_lane lane);

/* Handle everything queued, then stop and free the pool. */
void ofd_vpool_stop(struct ofd_vpool *p);

#endif
