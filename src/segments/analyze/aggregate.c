/*
 * aggregate: a flow cache. Records with the same key (flowpipeline's aggregate key: source and
 * destination address, source and destination port, protocol, ip_tos and in_if) are merged into
 * one flow, which leaves the segment when it expires:
 *
 *   - segment: aggregate
 *     config: {activetimeout: 30m, inactivetimeout: 15s, maxflows: 16384}
 *
 * - Inactive timeout: no record for the flow in `inactivetimeout`; active timeout: the flow is
 *   older than `activetimeout` (since its first record). Time is the wall clock of arrival (the
 *   last tick's, so to about 100 ms), as flowpipeline's cache keeps it.
 * - Merging: the flow is its first record, with bytes and packets summed, tcp_flags OR-ed,
 *   time_flow_start the earliest and time_flow_end the latest of the records' (0: not known).
 *   flowpipeline's cache lets the last record's numbers overwrite the sum (its own TODO says
 *   they should add up); here they add up.
 * - Emission: a record that is merged is taken out of the batch (its slot is free), and flows
 *   that expired leave through the batches that pass: into the slots this segment freed, then
 *   appended after the batch's records, up to its capacity; the rest wait for the next batch
 *   (without records coming, the engine's flush batch about every second). When the inputs
 *   have returned (end of input, SIGTERM), every flow leaves: the engine sends drain batches
 *   (OFD_SEGF_EMITS, include/ofd/segment.h) until the cache is empty.
 * - Bounds: at most `maxflows` flows are cached (allocated once at init: the hot path does not
 *   allocate). A new key in a full cache evicts the least recently updated flow, which leaves at
 *   once in the new record's place (evicted); when every flow is waiting to leave, the record
 *   passes unmerged (bypassed).
 * - Strings set by earlier segments in the batch's arena do not outlive the batch: they are
 *   cleared from a cached flow (strings_cleared); put enrichers that add text after aggregate.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ofd/segment.h"
#include "ofd/time.h"

#define NIL UINT32_MAX

struct agg_entry {
	struct ofd_flow f;
	uint64_t created, last, hash;
	uint32_t hnext;	       /* hash chain */
	uint32_t prev, next;   /* the LRU list (cached) or the ready queue (next only) */
	uint32_t aprev, anext; /* creation order (cached only) */
};

struct agg_list {
	uint32_t head, tail;
};

struct agg_state {
	/* config */
	uint64_t active_ns, inactive_ns, maxflows;
	/* process() and tick() only */
	struct agg_entry *e;
	uint32_t *bucket;
	uint32_t mask;
	uint32_t free_head;
	struct agg_list lru, age, ready;
	uint64_t seed, now;
	uint32_t nready;
	/* read by collect() */
	_Atomic uint64_t cached, waiting;
};

enum { C_MERGED, C_FLOWS, C_EVICTED, C_BYPASSED, C_STRINGS, C_LOST };
static const char *const agg_counters[] = {"merged",	      "flows_out",   "evicted", "bypassed",
					   "strings_cleared", "lost_at_end", NULL};

enum { M_CACHED, M_WAITING };
static const struct ofd_metric agg_metrics[] = {
    [M_CACHED] = {"aggregate_flows_cached", OFD_METRIC_GAUGE, 0, "Flows in the cache.", {NULL}},
    [M_WAITING] = {"aggregate_flows_waiting",
		   OFD_METRIC_GAUGE,
		   0,
		   "Expired flows waiting for room in a batch.",
		   {NULL}},
    {.name = NULL},
};

static const struct ofd_cfg_key agg_keys[] = {
    OFD_KEY("activetimeout", OFD_CFG_DURATION, struct agg_state, active_ns, .def = "30m",
	    .help = "a flow leaves once it is this old (since its first record)"),
    OFD_KEY("inactivetimeout", OFD_CFG_DURATION, struct agg_state, inactive_ns, .def = "15s",
	    .help = "a flow leaves once no record came for it for this long"),
    OFD_KEY(
	"maxflows", OFD_CFG_UINT, struct agg_state, maxflows, .def = "16384", .min = 1, .max = 1 << 24,
	.help =
	    "flows cached at most (about 800 bytes each, allocated at start); a new flow beyond evicts the "
	    "least recently updated"),
    OFD_KEY_END,
};

/* ---- key ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t key_hash(uint64_t seed, const struct ofd_flow *f)
{
	uint64_t h = seed;
	h = mix(h, load64(f->src_addr.b));
	h = mix(h, load64(f->src_addr.b + 8));
	h = mix(h, load64(f->dst_addr.b));
	h = mix(h, load64(f->dst_addr.b + 8));
	h = mix(h, (uint64_t)f->src_port << 48 | (uint64_t)f->dst_port << 32 | (uint64_t)f->proto << 24 |
		       (uint64_t)f->ip_tos << 16 | (uint64_t)f->src_addr.family << 8 | f->dst_addr.family);
	return mix(h, f->in_if);
}

static int key_eq(const struct ofd_flow *a, const struct ofd_flow *b)
{
	return a->src_port == b->src_port && a->dst_port == b->dst_port && a->proto == b->proto &&
	       a->ip_tos == b->ip_tos && a->in_if == b->in_if && a->src_addr.family == b->src_addr.family &&
	       a->dst_addr.family == b->dst_addr.family && !memcmp(a->src_addr.b, b->src_addr.b, 16) &&
	       !memcmp(a->dst_addr.b, b->dst_addr.b, 16);
}

/* ---- lists ---- */

static void lru_unlink(struct agg_state *s, uint32_t i)
{
	struct agg_entry *x = &s->e[i];
	if (x->prev != NIL)
		s->e[x->prev].next = x->next;
	else
		s->lru.head = x->next;
	if (x->next != NIL)
		s->e[x->next].prev = x->prev;
	else
		s->lru.tail = x->prev;
}

static void lru_append(struct agg_state *s, uint32_t i)
{
	struct agg_entry *x = &s->e[i];
	x->prev = s->lru.tail;
	x->next = NIL;
	if (s->lru.tail != NIL)
		s->e[s->lru.tail].next = i;
	else
		s->lru.head = i;
	s->lru.tail = i;
}

static void age_unlink(struct agg_state *s, uint32_t i)
{
	struct agg_entry *x = &s->e[i];
	if (x->aprev != NIL)
		s->e[x->aprev].anext = x->anext;
	else
		s->age.head = x->anext;
	if (x->anext != NIL)
		s->e[x->anext].aprev = x->aprev;
	else
		s->age.tail = x->aprev;
}

static void age_append(struct agg_state *s, uint32_t i)
{
	struct agg_entry *x = &s->e[i];
	x->aprev = s->age.tail;
	x->anext = NIL;
	if (s->age.tail != NIL)
		s->e[s->age.tail].anext = i;
	else
		s->age.head = i;
	s->age.tail = i;
}

static void hash_unlink(struct agg_state *s, uint32_t i)
{
	uint32_t *p = &s->bucket[s->e[i].hash & s->mask];
	while (*p != i)
		p = &s->e[*p].hnext;
	*p = s->e[i].hnext;
}

/* Take cached flow i out of the cache (hash, LRU, age). */
static void uncache(struct agg_state *s, uint32_t i)
{
	hash_unlink(s, i);
	lru_unlink(s, i);
	age_unlink(s, i);
	atomic_fetch_sub_explicit(&s->cached, 1, memory_order_relaxed);
}

/* Cached flow i has expired: to the end of the ready queue. */
static void make_ready(struct agg_state *s, uint32_t i)
{
	uncache(s, i);
	s->e[i].next = NIL;
	if (s->ready.tail != NIL)
		s->e[s->ready.tail].next = i;
	else
		s->ready.head = i;
	s->ready.tail = i;
	s->nready++;
	atomic_store_explicit(&s->waiting, s->nready, memory_order_relaxed);
}

static void entry_free(struct agg_state *s, uint32_t i)
{
	s->e[i].next = s->free_head;
	s->free_head = i;
}

/* ---- records ---- */

/* Clear the string fields of f that point into b's arena; how many were. */
static unsigned strip_arena(struct ofd_flow *f, const struct ofd_batch *b)
{
	unsigned n = 0;
	for (unsigned id = 0; id < OFD_F__STORED; id++) { /* storage-less fields have no member */
		if (ofd_fields[id].kind != OFD_FK_STR)
			continue;
		const char **p = (const char **)(void *)((char *)f + ofd_fields[id].off);
		if (*p && *p >= b->arena && *p < b->arena + OFD_BATCH_ARENA) {
			*p = NULL;
			ofd_flow_clear(f, id);
			n++;
		}
	}
	return n;
}

static void merge(struct ofd_flow *to, const struct ofd_flow *f)
{
	to->bytes += f->bytes;
	to->packets += f->packets;
	to->tcp_flags |= f->tcp_flags;
	if (f->time_flow_start_ns &&
	    (!to->time_flow_start_ns || f->time_flow_start_ns < to->time_flow_start_ns))
		to->time_flow_start_ns = f->time_flow_start_ns;
	if (f->time_flow_end_ns > to->time_flow_end_ns)
		to->time_flow_end_ns = f->time_flow_end_ns;
	to->present.w[0] |=
	    f->present.w[0] & (OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PACKETS) | OFD_W0(OFD_F_TCP_FLAGS) |
			       OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END));
}

static uint32_t lookup(const struct agg_state *s, uint64_t h, const struct ofd_flow *f)
{
	for (uint32_t i = s->bucket[h & s->mask]; i != NIL; i = s->e[i].hnext)
		if (s->e[i].hash == h && key_eq(&s->e[i].f, f))
			return i;
	return NIL;
}

/* A new cached flow from f in entry i. */
static void insert(struct agg_state *s, uint32_t i, uint64_t h, const struct ofd_flow *f)
{
	struct agg_entry *x = &s->e[i];
	x->f = *f;
	x->hash = h;
	x->created = x->last = s->now;
	x->hnext = s->bucket[h & s->mask];
	s->bucket[h & s->mask] = i;
	lru_append(s, i);
	age_append(s, i);
	atomic_fetch_add_explicit(&s->cached, 1, memory_order_relaxed);
}

/* Move every flow that expired by s->now to the ready queue. */
static void expire(struct agg_state *s)
{
	uint64_t now = s->now;
	while (s->lru.head != NIL && now - s->e[s->lru.head].last >= s->inactive_ns)
		make_ready(s, s->lru.head);
	while (s->age.head != NIL && now - s->e[s->age.head].created >= s->active_ns)
		make_ready(s, s->age.head);
}

static void agg_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct agg_state *s = state;
	uint64_t merged = 0, evicted = 0, bypassed = 0, out = 0, strings = 0;
	uint64_t freed[OFD_BATCH_CAP / 64] = {0}; /* slots this call took a record out of */
	if (!s->now)
		s->now = ofd_time_now_ns();
	for (uint32_t k = 0; k < b->n; k++) {
		if (!ofd_batch_is_live(b, k))
			continue;
		struct ofd_flow *f = &b->flows[k];
		uint64_t h = key_hash(s->seed, f);
		uint32_t i = lookup(s, h, f);
		if (i != NIL) {
			merge(&s->e[i].f, f);
			s->e[i].last = s->now;
			lru_unlink(s, i);
			lru_append(s, i);
			merged++;
			ofd_batch_kill(b, k);
			freed[k >> 6] |= UINT64_C(1) << (k & 63);
			continue;
		}
		strings += strip_arena(f, b);
		if ((i = s->free_head) != NIL) {
			s->free_head = s->e[i].next;
			insert(s, i, h, f);
			ofd_batch_kill(b, k);
			freed[k >> 6] |= UINT64_C(1) << (k & 63);
		} else if ((i = s->lru.head) != NIL) { /* full: the LRU flow leaves in this record's place */
			struct ofd_flow old = s->e[i].f;
			uncache(s, i);
			insert(s, i, h, f);
			*f = old;
			evicted++;
			out++;
		} else {
			bypassed++; /* every entry waits to leave: the record passes as it is */
		}
	}
	if (ofd_segment_draining(seg)) /* the end: everything leaves */
		while (s->age.head != NIL)
			make_ready(s, s->age.head);
	/* expired flows leave: into the freed slots, then after the records */
	uint32_t k = 0;
	while (s->ready.head != NIL) {
		while (k < b->n && !(freed[k >> 6] >> (k & 63) & 1))
			k++;
		if (k >= OFD_BATCH_CAP)
			break;
		uint32_t i = s->ready.head;
		s->ready.head = s->e[i].next;
		if (s->ready.head == NIL)
			s->ready.tail = NIL;
		s->nready--;
		if (k >= b->n) {
			b->n = k + 1;
		} else {
			freed[k >> 6] &= ~(UINT64_C(1) << (k & 63));
		}
		b->flows[k] = s->e[i].f;
		b->live[k >> 6] |= UINT64_C(1) << (k & 63);
		entry_free(s, i);
		out++;
		k++;
	}
	atomic_store_explicit(&s->waiting, s->nready, memory_order_relaxed);
	if (merged)
		ofd_segment_count(seg, C_MERGED, merged);
	if (out)
		ofd_segment_count(seg, C_FLOWS, out);
	if (evicted)
		ofd_segment_count(seg, C_EVICTED, evicted);
	if (bypassed)
		ofd_segment_count(seg, C_BYPASSED, bypassed);
	if (strings)
		ofd_segment_count(seg, C_STRINGS, strings);
}

static void agg_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct agg_state *s = state;
	(void)seg;
	if (now_ns > s->now)
		s->now = now_ns;
	expire(s);
}

static int agg_init(struct ofd_segment *seg, void *state)
{
	struct agg_state *s = state;
	(void)seg;
	uint32_t nb = 1;
	while (nb < s->maxflows)
		nb <<= 1;
	s->mask = nb - 1;
	s->e = malloc(s->maxflows * sizeof(*s->e));
	s->bucket = malloc((size_t)nb * sizeof(*s->bucket));
	if (!s->e || !s->bucket)
		return -ENOMEM;
	memset(s->bucket, 0xff, (size_t)nb * sizeof(*s->bucket));
	s->free_head = NIL;
	for (uint32_t i = (uint32_t)s->maxflows; i-- > 0;)
		entry_free(s, i);
	s->lru.head = s->lru.tail = s->age.head = s->age.tail = s->ready.head = s->ready.tail = NIL;
	if (getrandom(&s->seed, sizeof(s->seed), 0) != (ssize_t)sizeof(s->seed))
		s->seed = ofd_time_mono_ns() ^ (uint64_t)(uintptr_t)s;
	return 0;
}

static void agg_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct agg_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &agg_metrics[M_CACHED], NULL,
		       atomic_load_explicit(&s->cached, memory_order_relaxed));
	ofd_metric_put(sink, &agg_metrics[M_WAITING], NULL,
		       atomic_load_explicit(&s->waiting, memory_order_relaxed));
}

static void agg_fini(struct ofd_segment *seg, void *state)
{
	struct agg_state *s = state;
	if (s->e) {
		uint64_t lost = atomic_load(&s->cached) + s->nready;
		if (lost) {
			ofd_segment_count(seg, C_LOST, lost);
			ofd_seg_log(seg, OFD_LOG_WARN,
				    "%llu flows were still cached at the end (not emitted)",
				    (unsigned long long)lost);
		}
	}
	free(s->e);
	free(s->bucket);
}

const struct ofd_segment_type ofd_seg_aggregate = {
    OFD_SEGMENT_VERSION,
    .name = "aggregate",
    .kind = OFD_SEG_ANALYZE,
    .flags = OFD_SEGF_EMITS,
    .summary =
	"a flow cache: merge records by 5-tuple, ip_tos and in_if; emit on active/inactive timeout and at "
	"the end",
    .state_size = sizeof(struct agg_state),
    .config = agg_keys,
    .counters = agg_counters,
    .metrics = agg_metrics,
    .collect = agg_collect,
    .init = agg_init,
    .process = agg_process,
    .tick = agg_tick,
    .fini = agg_fini,
};
