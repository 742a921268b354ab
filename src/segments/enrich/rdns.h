/*
 * reversedns internals, shared by its files:
 *
 *   reversedns.c     the segment: config keys, process() (answers into the cache, lookups,
 *                    misses queued), counters and metrics
 *   rdns_cache.c     the bounded set-associative cache and the lock-free rings
 *   rdns_resolver.c  the background thread: c-ares PTR queries, at most `maxinflight` at once,
 *                    answers read with net/dnsptr.h
 *
 * No lock: the cache belongs to process() alone (the engine never runs it concurrently). The
 * resolver thread and process() talk through three single-producer single-consumer rings:
 * `misses` (addresses to ask for, process() -> thread, `queuesize`), `done` (finished query
 * slots, thread -> process(): process() writes their answers into the cache at the start of
 * its next batch) and `freed` (slots given back, process() -> thread). There are exactly
 * `maxinflight` slots, each in one place at a time, so `done` and `freed` never overflow; a full
 * `misses` ring drops the miss (counted). A slow resolver therefore never makes process() wait,
 * and a busy pipeline never starves the resolver (the first build shared one mutex, and
 * process() called back to back kept the thread from it for seconds).
 */
#ifndef OFD_SEG_RDNS_H
#define OFD_SEG_RDNS_H

#include <stdatomic.h>
#include <stdint.h>

#include "net/dnsptr.h"
#include "ofd/segment.h"

#define RDNS_WAYS   8  /* entries per cache bucket */
#define RDNS_INLINE 88 /* bytes of a name kept in its entry (with the NUL); longer ones overflow */

enum rdns_state { RDNS_EMPTY, RDNS_PENDING, RDNS_POS, RDNS_NEG };
enum { RDNS_F_REFRESH = 1 }; /* a refresh of this entry is queued or in flight */

/* A cache entry, two cache lines; a name of RDNS_INLINE bytes or more (with its NUL) lives in
   the overflow slot of the entry's index (OFD_DNS_NAME_MAX bytes each, touched only then). */
struct rdns_entry {
	uint64_t k0, k1;      /* the address's 16 bytes (IPv4 v4-mapped) */
	const char *memo_ptr; /* the name's copy in the batch of process() call `memo` */
	uint32_t fresh;	      /* clock second until which the answer is fresh */
	uint32_t used;	      /* clock second of the last lookup */
	uint32_t memo;
	uint8_t state; /* enum rdns_state */
	uint8_t flags; /* RDNS_F_* */
	uint8_t namelen;
	uint8_t pad;
	char name[RDNS_INLINE];
};

_Static_assert(sizeof(struct rdns_entry) == 128, "a cache entry is two cache lines");

struct rdns_key {
	uint64_t k0, k1;
};

/* The cache: nbuckets * RDNS_WAYS entries, set-associative with two choices of bucket, the
   least recently used evicted.
   tags[] holds a 32-bit fingerprint per entry (0: empty), a bucket's eight in 32 bytes, so a
   lookup reads one line of tags and then only the entry whose tag matches. */
struct rdns_cache {
	uint32_t *tags;
	struct rdns_entry *e;
	char *overflow;
	uint64_t seed;
	uint32_t nbuckets; /* a power of two */
	unsigned shift;	   /* 64 - log2(nbuckets) */
	uint32_t count;	   /* entries not empty */
};

int rdns_cache_init(struct rdns_cache *c, uint64_t entries, uint64_t seed);
void rdns_cache_fini(struct rdns_cache *c);

static inline uint64_t rdns_hash(const struct rdns_cache *c, uint64_t k0, uint64_t k1)
{
	uint64_t h = (k0 ^ c->seed) * 0x9e3779b97f4a7c15ull ^ (k1 + c->seed) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return h * 0x94d049bb133111ebull;
}

/* The buckets of a hash (two choices: an entry lives in the first, or in the second when the
   first was full; so a bucket overflows only when both are full) and its tag (never 0). */
static inline uint32_t rdns_bucket_of(const struct rdns_cache *c, uint64_t h)
{
	return (uint32_t)(h >> c->shift);
}
static inline uint32_t rdns_bucket2_of(const struct rdns_cache *c, uint64_t h)
{
	return rdns_bucket_of(c, h) ^ (((uint32_t)(h >> 8) & (c->nbuckets - 1)) | 1u);
}
static inline uint32_t rdns_tag_of(uint64_t h)
{
	return (uint32_t)h | 1u;
}

/* The entry of the key in bucket b, or NULL. */
static inline struct rdns_entry *rdns_find_in(struct rdns_cache *c, uint32_t b, uint32_t tag, uint64_t k0,
					      uint64_t k1)
{
	size_t base = (size_t)b * RDNS_WAYS;
	const uint32_t *t = &c->tags[base];
	for (int w = 0; w < RDNS_WAYS; w++) {
		if (t[w] != tag)
			continue;
		struct rdns_entry *e = &c->e[base + (size_t)w];
		if (e->k0 == k0 && e->k1 == k1)
			return e;
	}
	return NULL;
}

/* The entry of the key, or NULL. */
static inline struct rdns_entry *rdns_find(struct rdns_cache *c, uint64_t h, uint64_t k0, uint64_t k1)
{
	uint32_t tag = rdns_tag_of(h);
	struct rdns_entry *e = rdns_find_in(c, rdns_bucket_of(c, h), tag, k0, k1);
	return e ? e : rdns_find_in(c, rdns_bucket2_of(c, h), tag, k0, k1);
}

/* A slot for the key: an empty one in its first bucket, else in its second, else the least
   recently used of both (*evicted set to 1); zeroed with the key and tag set, RDNS_EMPTY. */
struct rdns_entry *rdns_take(struct rdns_cache *c, uint64_t h, uint64_t k0, uint64_t k1, int *evicted);

static inline char *rdns_name(struct rdns_cache *c, struct rdns_entry *e)
{
	return e->namelen < RDNS_INLINE ? e->name : c->overflow + (size_t)(e - c->e) * OFD_DNS_NAME_MAX;
}
/* Set e's name (a host name of at most 254 characters). */
void rdns_set_name(struct rdns_cache *c, struct rdns_entry *e, const char *name, size_t len);

/* A single-producer single-consumer ring of cap (a power of two) elements of `size` bytes. */
struct rdns_ring {
	_Alignas(64) _Atomic uint32_t head; /* the consumer's */
	_Alignas(64) _Atomic uint32_t tail; /* the producer's */
	_Alignas(64) uint32_t cap, size;
	unsigned char *v;
};
int rdns_ring_init(struct rdns_ring *r, uint32_t min_cap, uint32_t size);
void rdns_ring_fini(struct rdns_ring *r);
/* 0, or -1 when full (producer) / empty (consumer). */
int rdns_ring_push(struct rdns_ring *r, const void *elem);
int rdns_ring_pop(struct rdns_ring *r, void *elem);
uint32_t rdns_ring_len(struct rdns_ring *r);

/* The segment's counters (ofd_segment_count) */
enum {
	RC_NOTYET,     /* a lookup whose answer is not there yet: the flow goes on without the name */
	RC_QUEUE_FULL, /* a miss not queued: the queue was full */
	RC_ARENA_FULL, /* a name not set: the batch's string arena was full */
	RC_NEGATIVE,   /* a lookup answered from a negative entry (no name, cached) */
	RC_TIMEOUTS,   /* queries without an answer in time */
	RC_ERRORS,     /* queries that failed otherwise (SERVFAIL, REFUSED, a malformed answer) */
	RC_BADNAME,    /* answers whose PTR names are not host names */
	RC_EVICTED,    /* entries evicted from a full bucket */
};

/* Query outcomes, the label of reversedns_queries_total */
enum { RQ_ANSWER, RQ_NXDOMAIN, RQ_NODATA, RQ_TIMEOUT, RQ_ERROR, RQ_BADNAME, RQ__N };
/* Lookup outcomes, the label of reversedns_lookups_total */
enum { RL_HIT, RL_STALE, RL_NEGATIVE, RL_NOTYET, RL__N };

struct rdns_req; /* rdns_resolver.c */

/*
 * One address of the batch to look up: its key, hash, and where the name goes. Gathered for
 * the whole batch first (prefetching each bucket's tags), then looked up a few items behind
 * the prefetch of the matching entries, so that the cache misses of several lookups overlap
 * instead of coming one after another.
 */
struct rdns_item {
	uint64_t k0, k1, h;
	uint32_t rec; /* record index */
	uint8_t field;
	uint8_t same; /* the same key as this field's in the record before: take its answer */
};

struct rdns {
	/* config (written by the core) */
	int cache;	      /* flowpipeline's `cache`: refresh used entries every refreshinterval */
	uint64_t refresh_ns;  /* `refreshinterval` */
	char *resolver;	      /* "" or NULL: /etc/resolv.conf */
	uint64_t timeout_ns;  /* per try */
	uint64_t tries;	      /* tries per query */
	uint64_t maxinflight; /* queries on the wire at once */
	uint64_t queuesize;   /* misses waiting for a query */
	uint64_t cachesize;   /* entries */
	uint64_t minttl_ns, maxttl_ns; /* bounds of an answer's TTL */
	uint64_t negttl_ns;	       /* `negativettl`: NXDOMAIN, no PTR, timeouts, errors */

	struct ofd_segment *seg;
	struct rdns_cache c; /* process()'s alone */
	struct rdns_ring misses, done, freed;
	uint64_t clock_base_ns; /* CLOCK_MONOTONIC at init, minus one second (clock second 0 is "never") */
	uint32_t refresh_s, stale_s, minttl_s, maxttl_s, negttl_s;
	uint32_t calls; /* process() calls, for the memo */

	struct rdns_item *items; /* process()'s scratch: OFD_BATCH_CAP * 4 */
	uint32_t qcap;		 /* `queuesize`: misses queued at most (the ring may be larger) */

	/* the resolver thread's wakeup */
	int evfd;
	atomic_int sleeping;

	/* c-ares and the query slots (rdns_resolver.c) */
	void *channel;
	int ares_lib;
	struct rdns_req *reqs; /* maxinflight slots */
	uint32_t *free_slots;  /* the thread's own stack of free slot indices */
	uint32_t nfree;

	/* published for collect() */
	_Atomic uint64_t lookups[RL__N], queries[RQ__N], sent;
	atomic_uint inflight, inflight_peak, qlen_pub, entries_pub;
	struct ofd_ratelimit rl_bad, rl_err;
};

/* Seconds of the segment's clock now (CLOCK_MONOTONIC_COARSE since init, from 1). */
uint32_t rdns_now(const struct rdns *r);

/* rdns_resolver.c: the channel (init), the thread, the release (fini); process() writes the
   finished queries into the cache with rdns_apply_done() */
int rdns_resolver_init(struct rdns *r, char *err, size_t errlen);
void rdns_resolver_thread(struct ofd_segment *seg, void *arg);
void rdns_resolver_fini(struct rdns *r);
unsigned rdns_apply_done(struct rdns *r, uint32_t now, unsigned *evicted);
/* check()'s view of `resolver`: 0, or OFD_ECONFIG with the reason in err */
int rdns_resolver_check(const char *spec, char *err, size_t errlen);

#endif
