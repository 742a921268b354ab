/*
 * Rate limits for tracer delivery: the token buckets and the per-address table of
 * net/limiter.h, and a bounded dedup window. Time is whatever clock the caller passes (ns).
 * None of these is thread-safe: the sender calls them under its mutex.
 */
#ifndef OFD_TRACER_RATELIMIT_H
#define OFD_TRACER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "net/limiter.h"
#include "ofd/flow.h"

/*
 * The dedup window: "this flow (5-tuple and start time) was offered to this address" remembered
 * for window_s seconds from the first offer (a repeat does not extend it). Fixed table, 8-way
 * sets of 64-bit keyed-SipHash fingerprints; when a set is full the entry closest to expiry goes
 * (so under pressure a duplicate may get through: memory is bounded first).
 */
struct ofd_dedup;

int ofd_dedup_new(struct ofd_dedup **out, size_t entries, uint32_t window_s) OFD_MUST_CHECK;
/* 1 if (f, dest) was seen within the window; else remember it and return 0. */
int ofd_dedup_seen(struct ofd_dedup *d, const struct ofd_flow *f, const struct ofd_ip *dest, uint64_t now_ns);
/* Whether (f, dest) was seen within the window, without remembering it. */
int ofd_dedup_peek(const struct ofd_dedup *d, const struct ofd_flow *f, const struct ofd_ip *dest,
		   uint64_t now_ns);
size_t ofd_dedup_capacity(const struct ofd_dedup *d);
void ofd_dedup_free(struct ofd_dedup *d); /* NULL: nothing */

#endif
