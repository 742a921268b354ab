/*
 * reversedns: the host names of a flow's addresses from reverse DNS (PTR records), as
 * flowpipeline's reversedns segment sets them: SrcHostName, DstHostName, NextHopHostName and
 * SamplerHostName, each from SrcAddr, DstAddr, NextHop and SamplerAddress, names as the
 * resolver returns them with their final dot ("dns.google.").
 *
 *   - segment: reversedns
 *     config:
 *       cache: true            # flowpipeline's: refresh names in use every refreshinterval
 *       refreshinterval: 5m
 *       resolver: 127.0.0.1:53 # ours (below); default: the servers of /etc/resolv.conf
 *
 * Unlike flowpipeline, which asks and waits for every flow, lookups never wait: process() only
 * reads a bounded cache of its own and queues the addresses it does not know into a bounded
 * lock-free queue (full: counted, asked later); a background thread asks with c-ares, at most
 * `maxinflight` queries at once, and hands the answers back through another ring, which
 * process() writes into the cache at the start of its next batch (rdns.h). A flow whose
 * answer is not there yet goes on without the name (counted `notyet`); the next flows with
 * that address get it. Answers are kept for their TTL (clamped to minttl..maxttl) and, with
 * `cache: true`, at most refreshinterval: a name in use is then served while it is asked for
 * again (for up to another refreshinterval). No name (NXDOMAIN, no PTR record, a name that is
 * not a host name) and failures (timeouts, SERVFAIL, REFUSED) are cached for `negativettl`;
 * a refresh that fails keeps the old name. Unset and all-zero addresses (0.0.0.0, ::) are not
 * looked up. The names are copied into the batch's string arena, once per batch and name.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rdns.h"

static const char *const rdns_counters[] = {"notyet", "queue_full", "arena_full", "negative", "timeouts",
					    "errors", "badname",    "evicted",	  NULL};

enum { M_LOOKUPS, M_QUERIES, M_SENT, M_INFLIGHT, M_INFLIGHT_PEAK, M_QUEUE, M_ENTRIES };
static const struct ofd_metric rdns_metrics[] = {
    [M_LOOKUPS] = {"reversedns_lookups_total",
		   OFD_METRIC_COUNTER,
		   0,
		   "Address lookups in the cache, by result (hit, stale: served while asked again, negative, "
		   "notyet).",
		   {"result"}},
    [M_QUERIES] = {"reversedns_queries_total",
		   OFD_METRIC_COUNTER,
		   0,
		   "Finished PTR queries, by outcome (answer, nxdomain, nodata, timeout, error, badname).",
		   {"outcome"}},
    [M_SENT] = {"reversedns_queries_sent_total", OFD_METRIC_COUNTER, 0, "PTR queries started.", {NULL}},
    [M_INFLIGHT] = {"reversedns_inflight", OFD_METRIC_GAUGE, 0, "PTR queries on the wire now.", {NULL}},
    [M_INFLIGHT_PEAK] = {"reversedns_inflight_peak",
			 OFD_METRIC_GAUGE,
			 OFD_METRIC_DETAIL,
			 "The most PTR queries on the wire at once so far (at most maxinflight).",
			 {NULL}},
    [M_QUEUE] = {"reversedns_queue", OFD_METRIC_GAUGE, 0, "Addresses waiting for a query.", {NULL}},
    [M_ENTRIES] = {"reversedns_cache_entries", OFD_METRIC_GAUGE, 0, "Entries in the cache.", {NULL}},
    {.name = NULL},
};

static const struct ofd_cfg_key rdns_keys[] = {
    OFD_KEY("cache", OFD_CFG_BOOL, struct rdns, cache, .def = "true",
	    .help =
		"flowpipeline's: refresh the names in use every refreshinterval and serve them meanwhile; "
		"false: keep an answer only for its TTL"),
    OFD_KEY("refreshinterval", OFD_CFG_DURATION, struct rdns, refresh_ns, .def = "5m", .min = 1e9,
	    .max = 86400e9 * 7,
	    .help = "flowpipeline's: how often a name in use is asked for again (with cache)"),
    OFD_KEY("resolver", OFD_CFG_STRING, struct rdns, resolver, .def = "",
	    .help =
		"DNS servers, comma-separated ADDR, ADDR:PORT, IPV6 or [IPV6]:PORT; empty: /etc/resolv.conf"),
    OFD_KEY("timeout", OFD_CFG_DURATION, struct rdns, timeout_ns, .def = "2s", .min = 1e7, .max = 60e9,
	    .help = "wait per try of a query"),
    OFD_KEY("tries", OFD_CFG_UINT, struct rdns, tries, .def = "2", .min = 1, .max = 10,
	    .help = "tries per query (and server) before it counts as a timeout"),
    OFD_KEY("maxinflight", OFD_CFG_UINT, struct rdns, maxinflight, .def = "256", .min = 1, .max = 16384,
	    .help = "PTR queries on the wire at once (c-ares picks a free 16-bit query id for each: kept far "
		    "from 65536)"),
    OFD_KEY("queuesize", OFD_CFG_UINT, struct rdns, queuesize, .def = "8192", .min = 1, .max = 1048576,
	    .help = "addresses waiting for a query; more misses are dropped (queue_full) and asked later"),
    OFD_KEY("cachesize", OFD_CFG_UINT, struct rdns, cachesize, .def = "65536", .min = 16, .max = 16777216,
	    .help = "cache entries (rounded up to a power of two of 8-entry buckets; 132 bytes each, 256 "
		    "more for a name over 87 characters)"),
    OFD_KEY("minttl", OFD_CFG_DURATION, struct rdns, minttl_ns, .def = "30s", .min = 1e9, .max = 86400e9 * 7,
	    .help = "the shortest time an answer is kept (a smaller TTL is raised to it)"),
    OFD_KEY("maxttl", OFD_CFG_DURATION, struct rdns, maxttl_ns, .def = "1d", .min = 1e9, .max = 86400e9 * 7,
	    .help = "the longest time an answer is kept (a larger TTL is lowered to it)"),
    OFD_KEY("negativettl", OFD_CFG_DURATION, struct rdns, negttl_ns, .def = "5m", .min = 1e9,
	    .max = 86400e9 * 7,
	    .help = "how long no name (NXDOMAIN, no PTR, a bad name) or a failure is kept"),
    OFD_KEY_END,
};

uint32_t rdns_now(const struct rdns *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return (uint32_t)((ns - r->clock_base_ns) / 1000000000u);
}

static int rdns_check(const void *state, char *err, size_t errlen)
{
	const struct rdns *r = state;
	if (r->minttl_ns > r->maxttl_ns) {
		snprintf(err, errlen, "key minttl: larger than maxttl");
		return OFD_ECONFIG;
	}
	return rdns_resolver_check(r->resolver, err, errlen);
}

static int rdns_init(struct ofd_segment *seg, void *state)
{
	struct rdns *r = state;
	char err[256] = "";
	r->seg = seg;
	r->evfd = -1;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	r->clock_base_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - 1000000000u;
	r->refresh_s = (uint32_t)(r->refresh_ns / 1000000000u);
	r->stale_s = r->cache ? r->refresh_s : 0;
	r->minttl_s = (uint32_t)(r->minttl_ns / 1000000000u);
	r->maxttl_s = (uint32_t)(r->maxttl_ns / 1000000000u);
	r->negttl_s = (uint32_t)(r->negttl_ns / 1000000000u);
	uint64_t seed =
	    (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^ (uintptr_t)r;
	r->qcap = (uint32_t)r->queuesize;
	int rc = rdns_cache_init(&r->c, r->cachesize, seed);
	r->items = calloc((size_t)OFD_BATCH_CAP * 4, sizeof(*r->items));
	if (!rc && !r->items)
		rc = -ENOMEM;
	if (!rc)
		rc = rdns_ring_init(&r->misses, r->qcap, sizeof(struct rdns_key));
	if (!rc)
		rc = rdns_ring_init(&r->done, (uint32_t)r->maxinflight, sizeof(uint32_t));
	if (!rc)
		rc = rdns_ring_init(&r->freed, (uint32_t)r->maxinflight, sizeof(uint32_t));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate a cache of %llu entries",
			    (unsigned long long)r->cachesize);
		return rc;
	}
	rc = rdns_resolver_init(r, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return rc;
	}
	rc = ofd_segment_spawn(seg, rdns_resolver_thread, r);
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot start the resolver thread: %s", ofd_strerror(rc));
		return rc;
	}
	return 0;
}

struct pass {
	struct rdns *r;
	struct ofd_batch *b;
	uint32_t now, call;
	uint32_t qlen; /* misses in the ring, as process() last counted them */
	unsigned queued, queue_full, arena_full, negative, evicted;
	int kind; /* the outcome of the last lookup (RL_*, or RL__N: the arena was full) */
	uint64_t n[RL__N];
};

/* Queue the key; 1 if queued. */
static int ask(struct pass *p, uint64_t k0, uint64_t k1)
{
	struct rdns_key k = {k0, k1};
	if (p->qlen >= p->r->qcap) {
		p->qlen = rdns_ring_len(&p->r->misses); /* the thread may have taken some */
		if (p->qlen >= p->r->qcap) {
			p->queue_full++;
			return 0;
		}
	}
	if (rdns_ring_push(&p->r->misses, &k)) {
		p->queue_full++;
		return 0;
	}
	p->qlen++;
	p->queued++;
	return 1;
}

/* e's name copied into b's arena (ofd_batch_strdup's contract), or NULL when it is full. A
   short inline name is copied as a fixed 48 bytes (a few vector moves instead of a call): the
   entry has them, and the bytes after the NUL land in arena room not yet taken. */
static inline const char *copy_name(struct ofd_batch *b, struct rdns *r, struct rdns_entry *e)
{
	size_t len = e->namelen;
	if (len < 48 && ofd_batch_arena_free(b) >= 48) {
		char *d = b->arena + b->arena_used;
		memcpy(d, e->name, 48);
		d[len] = '\0';
		b->arena_used += (uint32_t)len + 1;
		return d;
	}
	return ofd_batch_strdup(b, rdns_name(&r->c, e), len);
}

/* The name of the key, in the batch's arena, or NULL (counted). */
static const char *lookup(struct pass *p, uint64_t h, uint64_t k0, uint64_t k1)
{
	struct rdns *r = p->r;
	struct rdns_entry *e = rdns_find(&r->c, h, k0, k1);
	if (!e) {
		int ev;
		if (!ask(p, k0, k1)) {
			p->n[p->kind = RL_NOTYET]++;
			return NULL;
		}
		e = rdns_take(&r->c, h, k0, k1, &ev);
		p->evicted += (unsigned)ev;
		e->state = RDNS_PENDING;
		e->used = p->now;
		p->n[p->kind = RL_NOTYET]++;
		return NULL;
	}
	if (e->used != p->now)
		e->used = p->now;
	switch (e->state) {
	case RDNS_POS:
		if (p->now < e->fresh) {
			p->n[p->kind = RL_HIT]++;
		} else if (p->now < e->fresh + r->stale_s) {
			p->n[p->kind = RL_STALE]++;
			if (!(e->flags & RDNS_F_REFRESH) && ask(p, k0, k1))
				e->flags |= RDNS_F_REFRESH;
		} else {
			/* too old to serve */
			if (ask(p, k0, k1))
				e->state = RDNS_PENDING;
			p->n[p->kind = RL_NOTYET]++;
			return NULL;
		}
		if (e->memo != p->call) {
			const char *s = copy_name(p->b, r, e);
			if (!s) {
				p->arena_full++;
				p->kind = RL__N;
				return NULL;
			}
			e->memo_ptr = s;
			e->memo = p->call;
		}
		return e->memo_ptr;
	case RDNS_NEG:
		if (p->now < e->fresh) {
			p->n[p->kind = RL_NEGATIVE]++;
			p->negative++;
			return NULL;
		}
		if (ask(p, k0, k1))
			e->state = RDNS_PENDING;
		p->n[p->kind = RL_NOTYET]++;
		return NULL;
	default: /* pending */ p->n[p->kind = RL_NOTYET]++; return NULL;
	}
}

/* The address's key; 0 when it is unset or all zero (not looked up). */
static inline int key_of(const struct ofd_ip *a, uint64_t *k0, uint64_t *k1)
{
	if (!a->family)
		return 0;
	memcpy(k0, a->b, 8);
	memcpy(k1, a->b + 8, 8);
	/* :: and ::ffff:0.0.0.0 (0.0.0.0 v4-mapped; the high half 00 00 ff ff in memory order) */
	uint64_t mapped0;
	static const uint8_t m[8] = {0, 0, 0xff, 0xff, 0, 0, 0, 0};
	memcpy(&mapped0, m, 8);
	return *k0 != 0 || (*k1 != 0 && *k1 != mapped0);
}

/* Wake the resolver thread if it sleeps. The fence orders the ring's store before the load of
   `sleeping` (the thread sets `sleeping`, then looks at the rings): one of the two sees the
   other, so no wakeup is lost (at worst the thread would sleep its 100 ms). */
static void wake(struct rdns *r, struct ofd_segment *seg)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load(&r->sleeping))
		return;
	uint64_t one = 1;
	if (write(r->evfd, &one, sizeof(one)) < 0)
		ofd_seg_log(seg, OFD_LOG_DEBUG, "eventfd write failed");
}

#define RDNS_AHEAD 16

static void rdns_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct rdns *r = state;
	struct pass p = {.r = r, .b = b};
	static const unsigned ids[4] = {OFD_F_SRC_HOST_NAME, OFD_F_DST_HOST_NAME, OFD_F_NEXT_HOP_HOST_NAME,
					OFD_F_SAMPLER_HOST_NAME};
	static const size_t offs[4] = {
	    offsetof(struct ofd_flow, src_host_name), offsetof(struct ofd_flow, dst_host_name),
	    offsetof(struct ofd_flow, next_hop_host_name), offsetof(struct ofd_flow, sampler_host_name)};
	p.now = rdns_now(r);
	p.call = ++r->calls;
	if (p.call == 0) { /* wrapped: 0 is every entry's "never", and an old memo must not match */
		for (size_t i = 0; i < (size_t)r->c.nbuckets * RDNS_WAYS; i++)
			r->c.e[i].memo = 0;
		p.call = ++r->calls;
	}
	/* the answers that came since the last batch */
	if (rdns_apply_done(r, p.now, &p.evicted))
		wake(r, seg); /* slots were given back */
	p.qlen = rdns_ring_len(&r->misses);

	/* gather: every address to look up, its bucket's tags prefetched */
	struct rdns_item *it = r->items;
	uint32_t n = 0;
	uint64_t last0[4] = {0}, last1[4] = {0};
	int have_last[4] = {0};
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		const struct ofd_ip *addr[4] = {&f->src_addr, &f->dst_addr, &f->next_hop,
						&f->sampler_address};
		for (int k = 0; k < 4; k++) {
			uint64_t k0, k1;
			if (!key_of(addr[k], &k0, &k1))
				continue;
			struct rdns_item *x = &it[n++];
			x->k0 = k0;
			x->k1 = k1;
			x->rec = i;
			x->field = (uint8_t)k;
			x->same = have_last[k] && k0 == last0[k] && k1 == last1[k];
			if (!x->same) {
				x->h = rdns_hash(&r->c, k0, k1);
				__builtin_prefetch(
				    &r->c.tags[(size_t)rdns_bucket_of(&r->c, x->h) * RDNS_WAYS]);
			}
			last0[k] = k0;
			last1[k] = k1;
			have_last[k] = 1;
		}
	}
	/* look up, RDNS_AHEAD items behind the prefetch of their entries */
	const char *last_name[4] = {NULL};
	int last_kind[4] = {RL_NOTYET, RL_NOTYET, RL_NOTYET, RL_NOTYET};
	for (uint32_t j = 0; j < n; j++) {
		if (j + RDNS_AHEAD < n && !it[j + RDNS_AHEAD].same) {
			/* the entry whose tag matches (its key is compared when it is looked up) */
			const struct rdns_item *y = &it[j + RDNS_AHEAD];
			uint32_t tag = rdns_tag_of(y->h);
			size_t base = (size_t)rdns_bucket_of(&r->c, y->h) * RDNS_WAYS;
			for (int w = 0; w < RDNS_WAYS; w++)
				if (r->c.tags[base + (size_t)w] == tag) {
					const char *e = (const char *)&r->c.e[base + (size_t)w];
					__builtin_prefetch(e);
					__builtin_prefetch(e + 64);
				}
		}
		const struct rdns_item *x = &it[j];
		const char *name;
		if (x->same) {
			/* counted as the record before was: each flow that goes without is counted */
			name = last_name[x->field];
			int kind = last_kind[x->field];
			if (kind == RL__N)
				p.arena_full++;
			else
				p.n[kind]++;
			if (kind == RL_NEGATIVE)
				p.negative++;
		} else {
			name = lookup(&p, x->h, x->k0, x->k1);
			last_name[x->field] = name;
			last_kind[x->field] = p.kind;
		}
		if (name) {
			struct ofd_flow *f = &b->flows[x->rec];
			memcpy((char *)f + offs[x->field], &name, sizeof(name));
			ofd_flow_set(f, ids[x->field]);
		}
	}
	atomic_store_explicit(&r->entries_pub, r->c.count, memory_order_relaxed);
	atomic_store_explicit(&r->qlen_pub, p.qlen, memory_order_relaxed);
	if (p.queued)
		wake(r, seg);
	for (int i = 0; i < RL__N; i++)
		if (p.n[i])
			atomic_fetch_add_explicit(&r->lookups[i], p.n[i], memory_order_relaxed);
	if (p.n[RL_NOTYET])
		ofd_segment_count(seg, RC_NOTYET, p.n[RL_NOTYET]);
	if (p.queue_full)
		ofd_segment_count(seg, RC_QUEUE_FULL, p.queue_full);
	if (p.arena_full)
		ofd_segment_count(seg, RC_ARENA_FULL, p.arena_full);
	if (p.negative)
		ofd_segment_count(seg, RC_NEGATIVE, p.negative);
	if (p.evicted)
		ofd_segment_count(seg, RC_EVICTED, p.evicted);
}

static void rdns_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct rdns *r = state;
	static const char *const lk[RL__N] = {"hit", "stale", "negative", "notyet"};
	static const char *const qo[RQ__N] = {"answer", "nxdomain", "nodata", "timeout", "error", "badname"};
	(void)seg;
	for (int i = 0; i < RL__N; i++)
		ofd_metric_put(sink, &rdns_metrics[M_LOOKUPS], OFD_METRIC_VALUES(lk[i]),
			       atomic_load_explicit(&r->lookups[i], memory_order_relaxed));
	for (int i = 0; i < RQ__N; i++)
		ofd_metric_put(sink, &rdns_metrics[M_QUERIES], OFD_METRIC_VALUES(qo[i]),
			       atomic_load_explicit(&r->queries[i], memory_order_relaxed));
	ofd_metric_put(sink, &rdns_metrics[M_SENT], NULL,
		       atomic_load_explicit(&r->sent, memory_order_relaxed));
	ofd_metric_put(sink, &rdns_metrics[M_INFLIGHT], NULL, atomic_load(&r->inflight));
	ofd_metric_put(sink, &rdns_metrics[M_INFLIGHT_PEAK], NULL, atomic_load(&r->inflight_peak));
	ofd_metric_put(sink, &rdns_metrics[M_QUEUE], NULL, atomic_load(&r->qlen_pub));
	ofd_metric_put(sink, &rdns_metrics[M_ENTRIES], NULL, atomic_load(&r->entries_pub));
}

static void rdns_fini(struct ofd_segment *seg, void *state)
{
	struct rdns *r = state;
	(void)seg;
	rdns_resolver_fini(r);
	rdns_cache_fini(&r->c);
	rdns_ring_fini(&r->misses);
	rdns_ring_fini(&r->done);
	rdns_ring_fini(&r->freed);
	free(r->items);
	r->items = NULL;
}

const struct ofd_segment_type ofd_seg_reversedns = {
    OFD_SEGMENT_VERSION,
    .name = "reversedns",
    .kind = OFD_SEG_ENRICH,
    .summary = "host names of the addresses from reverse DNS, looked up in the background with c-ares: "
	       "SrcHostName, DstHostName, NextHopHostName, SamplerHostName (as flowpipeline)",
    .state_size = sizeof(struct rdns),
    .config = rdns_keys,
    .counters = rdns_counters,
    .metrics = rdns_metrics,
    .collect = rdns_collect,
    .check = rdns_check,
    .init = rdns_init,
    .process = rdns_process,
    .fini = rdns_fini,
};
