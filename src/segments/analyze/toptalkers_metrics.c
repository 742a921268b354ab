/*
 * toptalkers_metrics and traffic_specific_toptalkers: flowpipeline's segments of those names.
 * Per address (relevantaddress: destination, source, both, or the connection, a pair) the
 * bytes and packets of the flows are summed into a ring of `buckets` buckets of
 * `bucketduration` seconds (wall clock, as the flows pass). When a bucket closes, every address
 * whose rate over the last `thresholdbuckets` whole buckets is above `thresholdbps` and
 * `thresholdpps` is published with its rate over the last `reportbuckets` whole buckets: on the
 * segment's own HTTP server (`endpoint`, path `flowdatapath`) as flowpipeline's gauges
 * traffic_bps and traffic_pps {traffic_type, address, forwarding_status} (forwarded and dropped,
 * see KEY_DROPPED), and as toptalker_bps and toptalker_pps {address, traffictype} (their sum)
 * on the daemon's /metrics (the segment's collect()).
 * Only addresses above the thresholds become series, at most OFD_METRIC_SERIES_MAX per segment
 * (more are counted as series_truncated): cardinality is bounded by construction.
 *
 * Memory is bounded by `maxmemory` (ours): the talkers live in a fixed table (common/talkertab.h,
 * a heavy-hitter table with eviction of the least; its error bound is documented there) rather
 * than a map of every address, so a flood of spoofed addresses costs evictions, not memory.
 *
 * traffic_specific_toptalkers takes a list of definitions {traffictype, filter, subfilter, and
 * every key above}: a flow counts for a definition when it matches the definition's filter and
 * those of the definitions above it; a definition with a traffictype keeps a table of its own
 * (the budget is split evenly), the keys it leaves out come from the definition above it.
 * Every flow is passed on unchanged.
 */
#include "segments/analyze/toptalkers_metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/flowfilter.h"
#include "format/promtext.h"
#include "net/httpd.h"
#include "ofd/time.h"
#include "obs/httpep.h"
#include "ofd/segment.h"
#include "segments/common/talkertab.h"

#define NS	     1000000000ull
#define TTM_MAX_DEFS 64
#define TTM_DEPTH    8
#define TTM_SERIES   OFD_METRIC_SERIES_MAX

enum { REL_DESTINATION, REL_SOURCE, REL_BOTH, REL_CONNECTION };
static const char *const rel_choices[] = {"destination", "source", "both", "connection", NULL};

/* A definition: the top-level keys of toptalkers_metrics, an element of traffic_specific's list. */
struct ttm_def {
	char *traffictype;
	uint64_t buckets, thresholdbuckets, reportbuckets, bucketduration;
	uint64_t thresholdbps, thresholdpps;
	int relevantaddress;
	char *filter;
	struct ofd_cfg_list subfilter;
};

/* A table of one traffic type, with the filters a flow must pass to count in it. */
struct ttm_tracker {
	char traffictype[OFD_METRIC_VALUE_MAX];
	uint32_t buckets, thresholdbuckets, reportbuckets;
	uint64_t width_ns, thresholdbps, thresholdpps;
	int rel;
	const struct ofd_filter *filters[TTM_DEPTH];
	unsigned nfilters;
	struct talkertab tab;
	uint64_t last_c;
};

/* An address published: its rates in all, forwarded and dropped (flowpipeline's split). */
struct ttm_series {
	char address[OFD_METRIC_VALUE_MAX];
	const char *traffictype;
	uint64_t bps, pps;
	uint64_t fwd_bps, fwd_pps, drop_bps, drop_pps;
};

/* A key's first byte: the address family, and this bit for flows not forwarded. flowpipeline
   splits by its IsForwarded(): ForwardingStatus 64..127; every other status (unknown and absent
   ones included, as in NetFlow v5) is "dropped". */
#define KEY_DROPPED 0x80u

static inline int fwd_dropped(const struct ofd_flow *f)
{
	return !(f->forwarding_status >= 64 && f->forwarding_status < 128);
}

struct ttm_state {
	/* config */
	struct ttm_def top;	  /* toptalkers_metrics: the keys at the top */
	struct ofd_cfg_list defs; /* traffic_specific_toptalkers */
	char *endpoint, *metricspath, *flowdatapath;
	uint64_t maxmemory;
	/* built at init */
	struct ttm_tracker *trk;
	unsigned ntrk;
	struct ofd_filter *compiled[TTM_MAX_DEFS];
	unsigned ncompiled;
	uint64_t now_ns;
	size_t memory;
	struct ofd_httpep *ep; /* the shared endpoint (obs/httpep.h): the daemon's, or its own */
	int routed_flowdata, routed_metrics;
	/* the published series, for collect() and the HTTP server */
	pthread_mutex_t mu;
	int mu_ok;
	struct ttm_series *pub, *work;
	size_t npub, nwork;
	_Atomic uint64_t evicted, admitted;
	_Atomic uint64_t db_size; /* talkers in the tables at the last bucket's end */
	_Atomic uint64_t seen;	  /* flows looked at (flowpipeline's kafka_messages_total) */
};

enum { C_EVICTED, C_TRUNCATED };
static const char *const ttm_counters[] = {"evicted", "series_truncated", NULL};

enum { M_BPS, M_PPS, M_MEMORY, M_ADMITTED };
static const struct ofd_metric ttm_metrics[] = {
    [M_BPS] = {"toptalker_bps",
	       OFD_METRIC_GAUGE,
	       OFD_METRIC_DETAIL,
	       "Bits per second of an address above the thresholds, over the last reportbuckets buckets.",
	       {"address", "traffictype"}},
    [M_PPS] = {"toptalker_pps",
	       OFD_METRIC_GAUGE,
	       OFD_METRIC_DETAIL,
	       "Packets per second of an address above the thresholds, over the last reportbuckets buckets.",
	       {"address", "traffictype"}},
    [M_MEMORY] = {"toptalker_memory_bytes",
		  OFD_METRIC_GAUGE,
		  0,
		  "Bytes the talker tables take (fixed at start).",
		  {NULL}},
    [M_ADMITTED] = {"toptalker_admitted_total",
		    OFD_METRIC_COUNTER,
		    OFD_METRIC_DETAIL,
		    "Addresses taken into a talker table.",
		    {NULL}},
    {.name = NULL},
};

#define DEF_KEYS(T, P)                                                                                       \
	OFD_KEY("traffictype", OFD_CFG_STRING, T, P traffictype,                                             \
		.help = "the traffic type, the traffictype label of the gauges"),                            \
	    OFD_KEY("buckets", OFD_CFG_UINT, T, P buckets, .min = 1, .max = 3600,                            \
		    .help = "buckets in the ring (default 60, or the definition's above)"),                  \
	    OFD_KEY("bucketduration", OFD_CFG_UINT, T, P bucketduration, .min = 1, .max = 86400,             \
		    .help = "seconds a bucket spans (default 1)"),                                           \
	    OFD_KEY("thresholdbuckets", OFD_CFG_UINT, T, P thresholdbuckets, .min = 1, .max = 3600,          \
		    .help = "the last N whole buckets the thresholds are checked over (default: buckets)"),  \
	    OFD_KEY("reportbuckets", OFD_CFG_UINT, T, P reportbuckets, .min = 1, .max = 3600,                \
		    .help = "the last N whole buckets the reported rates are over (default: buckets)"),      \
	    OFD_KEY("thresholdbps", OFD_CFG_UINT, T, P thresholdbps,                                         \
		    .help = "only addresses above this many bits/s (default 0)"),                            \
	    OFD_KEY("thresholdpps", OFD_CFG_UINT, T, P thresholdpps,                                         \
		    .help = "only addresses above this many packets/s (default 0)"),                         \
	    OFD_KEY("relevantaddress", OFD_CFG_ENUM, T, P relevantaddress, .choices = rel_choices,           \
		    .def = "destination", .help = "destination, source, both, or connection (a pair)")

/* subfilter nests three deep under a list element: the core checks config maps four lists deep */
#define FILTER_KEY                                                                                           \
	OFD_KEY("filter", OFD_CFG_STRING, struct ttm_def, filter,                                            \
		.help = "a flowfilter expression the flows match")
#define SUBFILTER_KEY(SUB)                                                                                   \
	OFD_KEY("subfilter", OFD_CFG_LIST, struct ttm_def, subfilter, .sub = SUB,                            \
		.elem_size = sizeof(struct ttm_def), .max = TTM_MAX_DEFS,                                    \
		.help = "definitions under this one (their flows also match this filter)")
static const struct ofd_cfg_key def_keys4[] = {DEF_KEYS(struct ttm_def, ), FILTER_KEY, OFD_KEY_END};
static const struct ofd_cfg_key def_keys3[] = {DEF_KEYS(struct ttm_def, ), FILTER_KEY,
					       SUBFILTER_KEY(def_keys4), OFD_KEY_END};
static const struct ofd_cfg_key def_keys2[] = {DEF_KEYS(struct ttm_def, ), FILTER_KEY,
					       SUBFILTER_KEY(def_keys3), OFD_KEY_END};
static const struct ofd_cfg_key ttm_def_keys[] = {DEF_KEYS(struct ttm_def, ), FILTER_KEY,
						  SUBFILTER_KEY(def_keys2), OFD_KEY_END};

#define SERVER_KEYS                                                                                          \
	OFD_KEY("endpoint", OFD_CFG_STRING, struct ttm_state, endpoint, .def = ":8080",                      \
		.help = "the address of the segment's HTTP server (\"\": none)"),                            \
	    OFD_KEY("metricspath", OFD_CFG_STRING, struct ttm_state, metricspath, .def = "/metrics",         \
		    .help = "the path of the segment's own figures (memory, evictions)"),                    \
	    OFD_KEY("flowdatapath", OFD_CFG_STRING, struct ttm_state, flowdatapath, .def = "/flowdata",      \
		    .help = "the path of the top talker gauges"),                                            \
	    OFD_KEY("maxmemory", OFD_CFG_SIZE, struct ttm_state, maxmemory, .def = "64M", .min = 4096,       \
		    .max = 1e12,                                                                             \
		    .help = "bytes the talker tables may take (ours; split between definitions)")

static const struct ofd_cfg_key tm_keys[] = {
    DEF_KEYS(struct ttm_state, top.),
    SERVER_KEYS,
    OFD_KEY_END,
};

static const struct ofd_cfg_key ts_keys[] = {
    OFD_KEY("traffic_specific_toptalkers", OFD_CFG_LIST, struct ttm_state, defs, .sub = ttm_def_keys,
	    .elem_size = sizeof(struct ttm_def), .min = 1, .max = TTM_MAX_DEFS, .required = 1,
	    .help = "list of {traffictype, filter, subfilter, and the keys above}"),
    DEF_KEYS(struct ttm_state, top.),
    SERVER_KEYS,
    OFD_KEY_END,
};

uint16_t ttm_port(const void *state)
{
	const struct ttm_state *s = state;
	return s->ep ? ofd_httpep_port(s->ep) : 0;
}

size_t ttm_memory(const void *state)
{
	return ((const struct ttm_state *)state)->memory;
}

/* ---- building the trackers ---- */

static uint64_t inherit(uint64_t v, uint64_t above)
{
	return v ? v : above;
}

/* Resolve d's keys over those of the definition above (p) into *out. */
static void resolve(struct ttm_def *out, const struct ttm_def *d, const struct ttm_def *p)
{
	*out = *d;
	out->buckets = inherit(d->buckets, p->buckets);
	out->bucketduration = inherit(d->bucketduration, p->bucketduration);
	out->thresholdbuckets = inherit(d->thresholdbuckets, p->thresholdbuckets);
	out->reportbuckets = inherit(d->reportbuckets, p->reportbuckets);
	out->thresholdbps = inherit(d->thresholdbps, p->thresholdbps);
	out->thresholdpps = inherit(d->thresholdpps, p->thresholdpps);
	if (!d->traffictype)
		out->traffictype = p->traffictype;
}

struct build {
	struct ofd_segment *seg;
	struct ttm_state *s;
	const struct ofd_filter *chain[TTM_DEPTH];
	unsigned depth;
	int count_only; /* first pass: count the trackers */
	unsigned n;
};

static int walk(struct build *bd, const struct ttm_def *d, const struct ttm_def *above, unsigned depth)
{
	struct ttm_state *s = bd->s;
	if (depth >= TTM_DEPTH) {
		ofd_seg_log(bd->seg, OFD_LOG_ERR, "subfilter nested deeper than %d", TTM_DEPTH);
		return OFD_ECONFIG;
	}
	struct ttm_def r;
	resolve(&r, d, above);
	unsigned nf = depth;
	if (d->filter && *d->filter) {
		if (!bd->count_only) {
			if (s->ncompiled >= TTM_MAX_DEFS)
				return OFD_ECONFIG;
			char err[256];
			int rc = ofd_filter_compile(&s->compiled[s->ncompiled], d->filter, err, sizeof(err));
			if (rc) {
				ofd_seg_log(bd->seg, OFD_LOG_ERR, "filter \"%s\": %s", d->filter, err);
				return OFD_ECONFIG;
			}
			bd->chain[nf] = s->compiled[s->ncompiled++];
		}
		nf++;
	}
	if (d->traffictype || d->subfilter.n == 0) {
		if (!bd->count_only) {
			struct ttm_tracker *t = &s->trk[bd->n];
			snprintf(t->traffictype, sizeof(t->traffictype), "%s",
				 r.traffictype ? r.traffictype : "");
			t->buckets = (uint32_t)r.buckets;
			t->thresholdbuckets = (uint32_t)(r.thresholdbuckets ? r.thresholdbuckets : r.buckets);
			t->reportbuckets = (uint32_t)(r.reportbuckets ? r.reportbuckets : r.buckets);
			if (t->thresholdbuckets > t->buckets || t->reportbuckets > t->buckets) {
				ofd_seg_log(bd->seg, OFD_LOG_ERR,
					    "thresholdbuckets and reportbuckets are at most buckets (%u)",
					    t->buckets);
				return OFD_ECONFIG;
			}
			t->width_ns = r.bucketduration * NS;
			t->thresholdbps = r.thresholdbps;
			t->thresholdpps = r.thresholdpps;
			t->rel = r.relevantaddress;
			memcpy(t->filters, bd->chain, nf * sizeof(t->filters[0]));
			t->nfilters = nf;
		}
		bd->n++;
	}
	for (size_t i = 0; i < d->subfilter.n; i++) {
		int rc = walk(bd, OFD_CFG_ITEM(d->subfilter, struct ttm_def, i), &r, nf);
		if (rc)
			return rc;
	}
	return 0;
}

static int build(struct ofd_segment *seg, struct ttm_state *s, int count_only)
{
	struct build bd = {.seg = seg, .s = s, .count_only = count_only};
	struct ttm_def base = s->top;
	base.buckets = inherit(base.buckets, 60);
	base.bucketduration = inherit(base.bucketduration, 1);
	base.filter = NULL;
	base.subfilter = (struct ofd_cfg_list){0};
	if (!s->defs.n) { /* toptalkers_metrics */
		int rc = walk(&bd, &base, &base, 0);
		return rc ? rc : (int)bd.n;
	}
	for (size_t i = 0; i < s->defs.n; i++) {
		struct ttm_def *d = OFD_CFG_ITEM(s->defs, struct ttm_def, i);
		int rc = walk(&bd, d, &base, 0);
		if (rc)
			return rc;
	}
	return (int)bd.n;
}

/* ---- exposition ---- */

static void on_flowdata(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs);
static void on_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs);

static int ttm_init(struct ofd_segment *seg, void *state)
{
	struct ttm_state *s = state;
	int n = build(seg, s, 1);
	if (n < 0)
		return n;
	if (n == 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "no traffic type to keep");
		return OFD_ECONFIG;
	}
	s->trk = calloc((size_t)n, sizeof(*s->trk));
	s->pub = calloc(TTM_SERIES, sizeof(*s->pub));
	s->work = calloc(TTM_SERIES, sizeof(*s->work));
	if (!s->trk || !s->pub || !s->work)
		return -ENOMEM;
	s->ntrk = (unsigned)n;
	int rc = build(seg, s, 0);
	if (rc < 0)
		return rc;
	size_t share = s->maxmemory / s->ntrk;
	for (unsigned i = 0; i < s->ntrk; i++) {
		if (talkertab_init(&s->trk[i].tab, share, s->trk[i].buckets)) {
			ofd_seg_log(seg, OFD_LOG_ERR,
				    "maxmemory %llu: cannot keep a table of %u buckets in %zu bytes",
				    (unsigned long long)s->maxmemory, s->trk[i].buckets, share);
			return -ENOMEM;
		}
		if (s->trk[i].rel != REL_CONNECTION)
			s->trk[i].tab.keylen = 17; /* the family and one address */
		s->memory += s->trk[i].tab.mem_len + s->trk[i].tab.tags_len;
	}
	if (pthread_mutex_init(&s->mu, NULL))
		return -ENOMEM;
	s->mu_ok = 1;
	if (s->endpoint && *s->endpoint) {
		if (!s->metricspath || s->metricspath[0] != '/' || !s->flowdatapath ||
		    s->flowdatapath[0] != '/' || strcmp(s->metricspath, s->flowdatapath) == 0) {
			ofd_seg_log(seg, OFD_LOG_ERR,
				    "metricspath and flowdatapath are two different paths from /");
			return OFD_ECONFIG;
		}
		const struct ofd_httpd_route fd = {
		    .path = s->flowdatapath, .methods = "GET, HEAD", .handle = on_flowdata, .ctx = s};
		const struct ofd_httpd_route mp = {
		    .path = s->metricspath, .methods = "GET, HEAD", .handle = on_metrics, .ctx = s};
		char err[256];
		if ((rc = ofd_httpep_get(&s->ep, s->endpoint, err, sizeof(err))) != 0 ||
		    (rc = ofd_httpep_route(s->ep, &fd, err, sizeof(err))) != 0) {
			ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
			return rc;
		}
		s->routed_flowdata = 1;
		/* on the daemon's server its /metrics stays the daemon's (it carries our gauges too) */
		if (!(ofd_httpep_is_daemons(s->ep) && ofd_httpep_serves(s->ep, s->metricspath))) {
			if ((rc = ofd_httpep_route(s->ep, &mp, err, sizeof(err))) != 0) {
				ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
				return rc;
			}
			s->routed_metrics = 1;
		}
	}
	return 0;
}

/* The label text of slot i's key. */
static void key_text(const struct ttm_tracker *t, const uint8_t *key, char *out, size_t len)
{
	struct ofd_ip a = {.family = (uint8_t)(key[0] & ~KEY_DROPPED)};
	memcpy(a.b, key + 1, 16);
	char x[OFD_IP_STRLEN];
	ofd_ip_str(&a, x);
	if (t->rel != REL_CONNECTION) {
		snprintf(out, len, "%s", x);
		return;
	}
	struct ofd_ip b = {.family = a.family};
	memcpy(b.b, key + 17, 16);
	char y[OFD_IP_STRLEN];
	ofd_ip_str(&b, y);
	snprintf(out, len, "%s -> %s", x, y);
}

/* Whether slot i may be half of an address above the thresholds: its ring's sums (which bound
   those of its last buckets) reach half of a threshold. Most slots end here, unread. */
static int may_be_above(const struct ttm_tracker *t, uint64_t i, double tsec)
{
	const struct talkertab_slot *sl = talkertab_at(&t->tab, i);
	if (!t->thresholdbps && !t->thresholdpps)
		return 1;
	/* only a threshold that is set says anything (one of 0 would let every slot through) */
	return (t->thresholdbps && (double)sl->wbytes * 16 / tsec >= (double)t->thresholdbps) ||
	       (t->thresholdpps && (double)sl->wpackets * 2 / tsec >= (double)t->thresholdpps);
}

/*
 * A bucket closed in tracker t: the addresses above its thresholds into s->work. An address's
 * forwarded and dropped flows are two talkers (KEY_DROPPED, its "twin"); the thresholds apply
 * to their sum, as flowpipeline's, and an address above them is published once with both rates.
 * For the sum to reach a threshold one of the twins must hold half of it: only those are read,
 * and the forwarded one publishes when both are.
 */
static uint64_t publish_tracker(struct ofd_segment *seg, struct ttm_state *s, struct ttm_tracker *t,
				uint64_t c)
{
	double tsec = (double)t->thresholdbuckets * (double)t->width_ns / NS;
	double rsec = (double)t->reportbuckets * (double)t->width_ns / NS;
	uint64_t used = 0;
	for (uint64_t i = 0; i < t->tab.nslots; i++) {
		if (!talkertab_used(&t->tab, i))
			continue;
		const struct talkertab_slot *sl = talkertab_at(&t->tab, i);
		if (sl->cur + t->buckets < c) { /* nothing of the ring in [c - buckets, c): forget it */
			talkertab_drop(&t->tab, i);
			continue;
		}
		used++;
		if (!may_be_above(t, i, tsec))
			continue;
		uint8_t twin[TALKERTAB_KEYBYTES];
		memcpy(twin, sl->key, sizeof(twin));
		twin[0] ^= KEY_DROPPED;
		uint64_t j = talkertab_find(&t->tab, twin);
		int dropped = (sl->key[0] & KEY_DROPPED) != 0;
		if (j != UINT64_MAX && talkertab_at(&t->tab, j)->cur + t->buckets < c)
			j = UINT64_MAX; /* aged out: dropped when the loop gets there */
		if (dropped && j != UINT64_MAX && may_be_above(t, j, tsec))
			continue;			 /* its forwarded twin decides */
		uint64_t by[2] = {0, 0}, pk[2] = {0, 0}; /* [0] forwarded, [1] dropped */
		talkertab_sum(&t->tab, i, c, t->thresholdbuckets, &by[dropped], &pk[dropped]);
		if (j != UINT64_MAX)
			talkertab_sum(&t->tab, j, c, t->thresholdbuckets, &by[!dropped], &pk[!dropped]);
		double bps = (double)(by[0] + by[1]) * 8 / tsec, pps = (double)(pk[0] + pk[1]) / tsec;
		if (bps < (double)t->thresholdbps || pps < (double)t->thresholdpps || (!bps && !pps))
			continue;
		if (s->nwork >= TTM_SERIES) {
			ofd_segment_count(seg, C_TRUNCATED, 1);
			continue;
		}
		if (t->reportbuckets != t->thresholdbuckets) {
			by[0] = by[1] = pk[0] = pk[1] = 0;
			talkertab_sum(&t->tab, i, c, t->reportbuckets, &by[dropped], &pk[dropped]);
			if (j != UINT64_MAX)
				talkertab_sum(&t->tab, j, c, t->reportbuckets, &by[!dropped], &pk[!dropped]);
		}
		struct ttm_series *e = &s->work[s->nwork++];
		key_text(t, sl->key, e->address, sizeof(e->address));
		e->traffictype = t->traffictype;
		e->fwd_bps = (uint64_t)((double)by[0] * 8 / rsec + 0.5);
		e->fwd_pps = (uint64_t)((double)pk[0] / rsec + 0.5);
		e->drop_bps = (uint64_t)((double)by[1] * 8 / rsec + 0.5);
		e->drop_pps = (uint64_t)((double)pk[1] / rsec + 0.5);
		e->bps = (uint64_t)((double)(by[0] + by[1]) * 8 / rsec + 0.5);
		e->pps = (uint64_t)((double)(pk[0] + pk[1]) / rsec + 0.5);
	}
	return used;
}

static void ttm_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct ttm_state *s = state;
	s->now_ns = now_ns;
	int changed = 0;
	for (unsigned k = 0; k < s->ntrk; k++) {
		uint64_t c = now_ns / s->trk[k].width_ns;
		if (c != s->trk[k].last_c)
			changed = 1;
	}
	if (!changed)
		return;
	s->nwork = 0;
	uint64_t ev = 0, ad = 0, used = 0;
	for (unsigned k = 0; k < s->ntrk; k++) {
		struct ttm_tracker *t = &s->trk[k];
		t->last_c = now_ns / t->width_ns;
		used += publish_tracker(seg, s, t, t->last_c);
		ev += t->tab.evicted;
		ad += t->tab.admitted;
	}
	uint64_t before = atomic_exchange(&s->evicted, ev);
	if (ev > before)
		ofd_segment_count(seg, C_EVICTED, ev - before);
	atomic_store(&s->admitted, ad);
	atomic_store(&s->db_size, used);
	pthread_mutex_lock(&s->mu);
	struct ttm_series *p = s->pub;
	s->pub = s->work;
	s->npub = s->nwork;
	s->work = p;
	pthread_mutex_unlock(&s->mu);
}

static inline void make_key(uint8_t *key, const struct ofd_flow *f, uint8_t family, const uint8_t *a,
			    const uint8_t *b2)
{
	key[0] = (uint8_t)(family | (fwd_dropped(f) ? KEY_DROPPED : 0));
	memcpy(key + 1, a, 16);
	if (b2)
		memcpy(key + 17, b2, 16);
	else
		memset(key + 17, 0, 16); /* neither hashed nor compared, but stored */
}

/*
 * In three passes over the batch, so that the memory accesses of different records overlap (a
 * table larger than the caches costs a miss per access): the keys of the matching records,
 * hashed, their tag lines prefetched; their candidate slot found by tag and prefetched; then
 * added. "both" makes two keys of a record.
 */
static void ttm_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct ttm_state *s = state;
	(void)seg;
	if (!s->now_ns) /* before the first tick: the clock now, not bucket 0 (dropped at the tick) */
		s->now_ns = ofd_time_now_ns();
	atomic_fetch_add_explicit(&s->seen, ofd_batch_live_count(b), memory_order_relaxed);
	uint8_t keys[2 * OFD_BATCH_CAP][TALKERTAB_KEYBYTES];
	struct talkertab_hash h[2 * OFD_BATCH_CAP];
	uint16_t rec[2 * OFD_BATCH_CAP];
	for (unsigned k = 0; k < s->ntrk; k++) {
		struct ttm_tracker *t = &s->trk[k];
		uint64_t c = s->now_ns / t->width_ns;
		uint32_t n = 0;
		for (uint32_t i = 0; i < b->n; i++) {
			if (!ofd_batch_is_live(b, i))
				continue;
			const struct ofd_flow *f = &b->flows[i];
			unsigned j = 0;
			while (j < t->nfilters && ofd_filter_match(t->filters[j], f) > 0)
				j++;
			if (j < t->nfilters)
				continue;
			switch (t->rel) {
			case REL_DESTINATION:
				make_key(keys[n], f, f->dst_addr.family, f->dst_addr.b, NULL);
				break;
			case REL_SOURCE: make_key(keys[n], f, f->src_addr.family, f->src_addr.b, NULL); break;
			case REL_BOTH:
				make_key(keys[n], f, f->src_addr.family, f->src_addr.b, NULL);
				h[n] = talkertab_hash(&t->tab, keys[n]);
				talkertab_prefetch_tags(&t->tab, &h[n]);
				rec[n++] = (uint16_t)i;
				make_key(keys[n], f, f->dst_addr.family, f->dst_addr.b, NULL);
				break;
			default: make_key(keys[n], f, f->src_addr.family, f->src_addr.b, f->dst_addr.b);
			}
			h[n] = talkertab_hash(&t->tab, keys[n]);
			talkertab_prefetch_tags(&t->tab, &h[n]);
			rec[n++] = (uint16_t)i;
		}
		uint64_t cand[2 * OFD_BATCH_CAP];
		for (uint32_t i = 0; i < n; i++)
			cand[i] = talkertab_prefetch_slot(&t->tab, &h[i], c);
		for (uint32_t i = 0; i < n; i++) {
			const struct ofd_flow *f = &b->flows[rec[i]];
			talkertab_add_at(&t->tab, &h[i], cand[i], keys[i], c, f->bytes, f->packets);
		}
	}
}

static void ttm_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct ttm_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &ttm_metrics[M_MEMORY], NULL, s->memory);
	ofd_metric_put(sink, &ttm_metrics[M_ADMITTED], NULL, atomic_load(&s->admitted));
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->npub; i++) {
		const struct ttm_series *e = &s->pub[i];
		ofd_metric_put(sink, &ttm_metrics[M_BPS], OFD_METRIC_VALUES(e->address, e->traffictype),
			       e->bps);
		ofd_metric_put(sink, &ttm_metrics[M_PPS], OFD_METRIC_VALUES(e->address, e->traffictype),
			       e->pps);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Build a text of at most cap bytes with fill(); the response takes it. */
static void answer(struct ofd_httpd_resp *rs, struct ttm_state *s,
		   void (*fill)(struct ttm_state *, struct ofd_prom *))
{
	for (size_t cap = 64 << 10; cap <= (16u << 20); cap *= 4) {
		char *buf = malloc(cap);
		if (!buf)
			break;
		struct ofd_prom w;
		ofd_prom_init(&w, buf, cap);
		fill(s, &w);
		int n = ofd_prom_end(&w);
		if (n >= 0) {
			*rs = (struct ofd_httpd_resp){.status = 200,
						      .type = "text/plain; version=0.0.4; charset=utf-8",
						      .body = buf,
						      .len = (size_t)n,
						      .owned = 1};
			return;
		}
		free(buf);
	}
	ofd_httpd_text(rs, 500, "toptalkers unavailable\n");
}

/* The flow data: flowpipeline's families and labels, so that its dashboards and alerts read ours. */
static void fill_flowdata(struct ttm_state *s, struct ofd_prom *w)
{
	static const char *const names[2] = {"traffic_bps", "traffic_pps"};
	static const char *const helps[2] = {"Traffic volume in bits per second for a given address.",
					     "Traffic in packets per second for a given address."};
	pthread_mutex_lock(&s->mu);
	for (int m = 0; m < 2; m++) {
		ofd_prom_family(w, names[m], OFD_PROM_GAUGE, helps[m]);
		for (size_t i = 0; i < s->npub; i++) {
			const struct ttm_series *e = &s->pub[i];
			struct ofd_prom_label l[3] = {{"traffic_type", e->traffictype},
						      {"address", e->address},
						      {"forwarding_status", "forwarded"}};
			ofd_prom_u64(w, l, 3, m ? e->fwd_pps : e->fwd_bps);
			l[2].value = "dropped";
			ofd_prom_u64(w, l, 3, m ? e->drop_pps : e->drop_bps);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

static void fill_metrics(struct ttm_state *s, struct ofd_prom *w)
{
	ofd_prom_single(w, "kafka_messages_total", OFD_PROM_COUNTER,
			"Number of flows looked at (flowpipeline's name).", atomic_load(&s->seen));
	ofd_prom_single(w, "toptalkers_db_size", OFD_PROM_GAUGE,
			"Number of talkers in the tables (an address's forwarded and dropped flows are two).",
			atomic_load(&s->db_size));
	ofd_prom_single(w, "overflowd_toptalker_memory_bytes", OFD_PROM_GAUGE, ttm_metrics[M_MEMORY].help,
			s->memory);
	ofd_prom_single(w, "overflowd_toptalker_evicted_total", OFD_PROM_COUNTER,
			"Addresses evicted from a full talker table.", atomic_load(&s->evicted));
	ofd_prom_single(w, "overflowd_toptalker_admitted_total", OFD_PROM_COUNTER,
			ttm_metrics[M_ADMITTED].help, atomic_load(&s->admitted));
}

static void on_flowdata(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)rq;
	answer(rs, ctx, fill_flowdata);
}

static void on_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)rq;
	answer(rs, ctx, fill_metrics);
}

static void ttm_fini(struct ofd_segment *seg, void *state)
{
	struct ttm_state *s = state;
	(void)seg;
	/* first: the handlers read the series; unroute returns once they run no more */
	if (s->routed_flowdata)
		ofd_httpep_unroute(s->ep, s->flowdatapath);
	if (s->routed_metrics)
		ofd_httpep_unroute(s->ep, s->metricspath);
	ofd_httpep_put(s->ep);
	s->ep = NULL;
	for (unsigned i = 0; i < s->ntrk; i++)
		talkertab_free(&s->trk[i].tab);
	for (unsigned i = 0; i < s->ncompiled; i++)
		ofd_filter_free(s->compiled[i]);
	free(s->trk);
	free(s->pub);
	free(s->work);
	if (s->mu_ok)
		pthread_mutex_destroy(&s->mu);
}

const struct ofd_segment_type ofd_seg_toptalkers_metrics = {
    OFD_SEGMENT_VERSION,
    .name = "toptalkers_metrics",
    .kind = OFD_SEG_ANALYZE,
    .summary = "per-address rates over ring buffers of buckets, as Prometheus gauges above thresholds",
    .state_size = sizeof(struct ttm_state),
    .config = tm_keys,
    .counters = ttm_counters,
    .metrics = ttm_metrics,
    .collect = ttm_collect,
    .init = ttm_init,
    .process = ttm_process,
    .tick = ttm_tick,
    .fini = ttm_fini,
};

const struct ofd_segment_type ofd_seg_traffic_specific_toptalkers = {
    OFD_SEGMENT_VERSION,
    .name = "traffic_specific_toptalkers",
    .kind = OFD_SEG_ANALYZE,
    .summary = "toptalkers_metrics per kind of traffic: a list of {traffictype, filter, subfilter, ...}",
    .state_size = sizeof(struct ttm_state),
    .config = ts_keys,
    .counters = ttm_counters,
    .metrics = ttm_metrics,
    .collect = ttm_collect,
    .init = ttm_init,
    .process = ttm_process,
    .tick = ttm_tick,
    .fini = ttm_fini,
};
