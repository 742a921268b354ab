/*
 * Rate limits for tracer delivery: token buckets, a bounded table of per-address buckets, and a
 * bounded dedup window. Time is whatever clock the caller passes (ns); a clock that goes back
 * refills nothing. None of these is thread-safe: the sender calls them under its mutex.
 */
#ifndef OFD_TRACER_RATELIMIT_H
#define OFD_TRACER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

/*
 * A token bucket: `rate` tokens per second, at most `burst` held, full at start. A negative rate
 * means no limit, a zero rate (almost) no refill; burst below 1 is taken as 1. Kept as a virtual
 * scheduling time in integer ns (GCRA), so the arithmetic is exact: with rate r and burst b, b
 * takes succeed at once and then one every 1/r s.
 */
struct ofd_bucket {
	uint64_t interval_ns;  /* 1/rate */
	uint64_t tolerance_ns; /* (burst - 1) * interval */
	uint64_t tat_ns;       /* theoretical arrival time: the bucket is full when tat <= now */
	uint64_t last_ns;      /* the latest time seen, to undo a clock that went back */
	int unlimited;
};

void ofd_bucket_init(struct ofd_bucket *b, double rate, double burst, uint64_t now_ns);
/* 1 if the bucket holds burst tokens at now_ns (nothing to remember about it). */
int ofd_bucket_full(const struct ofd_bucket *b, uint64_t now_ns);
/* Take one token: 1 if taken, 0 if empty. */
int ofd_bucket_take(struct ofd_bucket *b, uint64_t now_ns);

/*
 * Per-address buckets in a fixed table (entries rounded up to a power of two, at least 8):
 * set-associative, 8 ways, indexed by a keyed SipHash of the address (random key, so that
 * nobody can aim addresses at one set). A new address takes a way of its set: an empty one, else
 * one whose bucket has refilled to full (forgetting it loses nothing), else the least recently
 * used. Memory never grows; under a flood of distinct addresses an evicted address starts again
 * with a full bucket, which the global bucket bounds.
 */
struct ofd_addrlim;

int ofd_addrlim_new(struct ofd_addrlim **out, size_t entries, double rate, double burst) OFD_MUST_CHECK;
/* Take a token from a's bucket (creating it full): 1 if taken, 0 if a is over its rate. */
int ofd_addrlim_take(struct ofd_addrlim *l, const struct ofd_ip *a, uint64_t now_ns);
size_t ofd_addrlim_used(const struct ofd_addrlim *l); /* entries in use */
size_t ofd_addrlim_capacity(const struct ofd_addrlim *l);
void ofd_addrlim_free(struct ofd_addrlim *l); /* NULL: nothing */

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
size_t ofd_dedup_capacity(const struct ofd_dedup *d);
void ofd_dedup_free(struct ofd_dedup *d); /* NULL: nothing */

#endif
