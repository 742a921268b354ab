/*
 * Rate limits by address: a token bucket, and a bounded table of buckets keyed by address.
 * Time is whatever clock the caller passes (ns): tests inject theirs; a clock that goes back
 * refills nothing. Nothing here is thread-safe: callers hold their own lock.
 */
#ifndef OFD_NET_LIMITER_H
#define OFD_NET_LIMITER_H

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
/* 1 if ofd_bucket_take() would take a token at now_ns; b is left as it is. */
int ofd_bucket_peek(const struct ofd_bucket *b, uint64_t now_ns);

/*
 * Per-address buckets in a fixed table (entries rounded up to a power of two, at least 8):
 * set-associative, 8 ways, indexed by a keyed SipHash of the address (random key, so that
 * nobody can aim addresses at one set). An address is its 16 bytes (IPv4 as v4-mapped IPv6,
 * whatever its family field says); an IPv6 address that is not v4-mapped counts by its first
 * v6_prefix bits (64: a /64 is one sender; 128: every address alone).
 *
 * A new address takes a way of its set: an empty one, else one whose bucket has refilled to
 * full (forgetting it loses nothing), else the least recently taken from. Memory never grows;
 * under a flood of distinct addresses an evicted address starts again with a full bucket, so
 * the table bounds what one address costs, not what all of them cost together.
 */
struct ofd_limiter;

/* entries: up to 1 << 30 (rounded up, at least 8); v6_prefix: 0..128. OFD_ELIMIT or
   OFD_ECONFIG when out of range, -ENOMEM, -EIO when libsodium cannot start. rate, burst: as
   for a bucket (a negative rate: every take succeeds, nothing is remembered). */
int ofd_limiter_new(struct ofd_limiter **out, size_t entries, double rate, double burst,
		    unsigned v6_prefix) OFD_MUST_CHECK;
/* Take a token from a's bucket (creating it full): 1 if taken, 0 if a is over its rate. */
int ofd_limiter_take(struct ofd_limiter *l, const struct ofd_ip *a, uint64_t now_ns);
/* 1 if ofd_limiter_take() would succeed now: an address not in the table would. Spends
   nothing, creates nothing, does not count as a use. */
int ofd_limiter_peek(const struct ofd_limiter *l, const struct ofd_ip *a, uint64_t now_ns);
size_t ofd_limiter_used(const struct ofd_limiter *l); /* entries in use */
size_t ofd_limiter_capacity(const struct ofd_limiter *l);
void ofd_limiter_free(struct ofd_limiter *l); /* NULL: nothing */

#endif
