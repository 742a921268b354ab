/*
 * reversedns internals, shared by its files:
 *
 *   reversedns.c     the segment: config keys, process() (cache lookups, misses queued),
 *                    counters and metrics
 *   rdns_cache.c     the bounded set-associative cache and the bounded queue of misses
 *   rdns_resolver.c  the background thread: c-ares PTR queries, at most `maxinflight` at once,
 *                    answers read with net/dnsptr.h and written into the cache
 *
 * One mutex (`mu`) guards the cache and the queue. process() takes it once per batch and the
 * resolver thread once per round of answers (and once to take queued misses), never while it
 * waits on the network, so neither holds it long: the pipeline waits at most for one round of
 * cache writes, and a slow resolver never makes it wait at all.
 */
#ifndef OFD_SEG_RDNS_H
#define OFD_SEG_RDNS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "net/dnsptr.h"
#include "ofd/segment.h"

#define RDNS_WAYS     8   /* entries per cache bucket */
#define RDNS_NAME_CAP 256 /* bytes per cached name: 253 characters, the final dot, the NUL */

enum rdns_state { RDNS_EMPTY, RDNS_PENDING, RDNS_POS, RDNS_NEG };
enum { RDNS_F_REFRESH = 1 }; /* a refresh of this entry is queued or in flight */

/* A cache entry: 32 bytes; its name lives in names[index * RDNS_NAME_CAP]. */
struct rdns_entry {
	uint64_t k0, k1; /* the address's 16 bytes (IPv4 v4-mapped) */
	uint32_t fresh;	 /* clock second until which the answer is fresh */
	uint32_t used;	 /* clock second of the last lookup */
	uint32_t memo;	 /* process() call that put the name into its batch (memo_ptr) */
	uint8_t state;	 /* enum rdns_state */
	uint8_t flags;	 /* RDNS_F_* */
	uint8_t namelen; /* without the NUL */
	uint8_t pad;
};

struct rdns_key {
	uint64_t k0, k1;
};

/* The cache: nbuckets * RDNS_WAYS entries, set-associative, least recently used evicted. */
struct rdns_cache {
	struct rdns_entry *e;
	char *names;
	const char **memo_ptr; /* per entry: the name's copy in the current batch's arena */
	uint64_t seed;
	uint32_t nbuckets; /* a power of two */
	unsigned shift;	   /* 64 - log2(nbuckets) */
	uint32_t count;	   /* entries not empty */
	/* the queue of addresses to ask for */
	struct rdns_key *q;
	uint32_t qcap, qhead, qlen;
};

int rdns_cache_init(struct rdns_cache *c, uint64_t entries, uint32_t queuesize, uint64_t seed);
void rdns_cache_fini(struct rdns_cache *c);

static inline uint32_t rdns_bucket(const struct rdns_cache *c, uint64_t k0, uint64_t k1)
{
	uint64_t h = (k0 ^ c->seed) * 0x9e3779b97f4a7c15ull ^ (k1 + c->seed) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h >> c->shift);
}

/* The entry of the key, or NULL. */
static inline struct rdns_entry *rdns_find(struct rdns_cache *c, uint64_t k0, uint64_t k1)
{
	struct rdns_entry *b = &c->e[(size_t)rdns_bucket(c, k0, k1) * RDNS_WAYS];
	for (int w = 0; w < RDNS_WAYS; w++)
		if (b[w].k0 == k0 && b[w].k1 == k1 && b[w].state != RDNS_EMPTY)
			return &b[w];
	return NULL;
}

/* A slot for the key in its bucket: an empty one, else the least recently used (*evicted set
   to 1); the entry is zeroed with the key set, state RDNS_EMPTY. */
struct rdns_entry *rdns_take(struct rdns_cache *c, uint64_t k0, uint64_t k1, int *evicted);

static inline char *rdns_name(struct rdns_cache *c, const struct rdns_entry *e)
{
	return c->names + (size_t)(e - c->e) * RDNS_NAME_CAP;
}

/* The queue: push (0, or -1 when full) and pop (0, or -1 when empty). */
int rdns_push(struct rdns_cache *c, uint64_t k0, uint64_t k1);
int rdns_pop(struct rdns_cache *c, struct rdns_key *k);

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

struct rdns {
	/* config (written by the core) */
	int cache;		    /* flowpipeline's `cache`: refresh used entries every refreshinterval */
	uint64_t refresh_ns;	    /* `refreshinterval` */
	char *resolver;		    /* "" or NULL: /etc/resolv.conf */
	uint64_t timeout_ns;	    /* per try */
	uint64_t tries;		    /* tries per query */
	uint64_t maxinflight;	    /* queries on the wire at once */
	uint64_t queuesize;	    /* misses waiting for a query */
	uint64_t cachesize;	    /* entries */
	uint64_t minttl_ns, maxttl_ns; /* bounds of an answer's TTL */
	uint64_t negttl_ns;	       /* `negativettl`: NXDOMAIN, no PTR, timeouts, errors */

	struct ofd_segment *seg;
	pthread_mutex_t mu;
	int mu_ok;
	struct rdns_cache c;
	uint64_t clock_base_ns; /* CLOCK_MONOTONIC at init, minus one second (clock second 0 is "never") */
	uint32_t refresh_s, stale_s, minttl_s, maxttl_s, negttl_s;
	uint32_t calls; /* process() calls, for the memo */

	/* the resolver thread's wakeup */
	int evfd;
	atomic_int sleeping;
	atomic_uint queued; /* c.qlen, readable without the lock */

	/* c-ares (rdns_resolver.c) */
	void *channel;
	int ares_lib;
	struct rdns_req *reqs; /* maxinflight slots */
	struct rdns_req *free_reqs, *done;

	/* published for collect() */
	_Atomic uint64_t lookups[RL__N], queries[RQ__N], sent;
	atomic_uint inflight, inflight_peak, qlen_pub, entries_pub;
	struct ofd_ratelimit rl_bad, rl_err;
};

/* Seconds of the segment's clock now (CLOCK_MONOTONIC_COARSE since init, from 1). */
uint32_t rdns_now(const struct rdns *r);

/* rdns_resolver.c: the channel (init), the thread, the release (fini) */
int rdns_resolver_init(struct rdns *r, char *err, size_t errlen);
void rdns_resolver_thread(struct ofd_segment *seg, void *arg);
void rdns_resolver_fini(struct rdns *r);
/* check()'s view of `resolver`: 0, or OFD_ECONFIG with the reason in err */
int rdns_resolver_check(const char *spec, char *err, size_t errlen);

#endif
