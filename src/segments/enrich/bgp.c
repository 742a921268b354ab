/*
 * bgp: routes from the routers themselves onto every flow, as flowpipeline's bgp segment does:
 *
 *   - segment: bgp
 *     config:
 *       filename: sessions.yml   # routers and global settings (segments/enrich/bgp_conf.h)
 *       fallbackrouter: r1       # the router whose routes a flow gets when no router has its
 *                                # sampler address (default: none)
 *       usefallbackonly: false   # true: every flow gets the fallback router's routes
 *
 * A collector-only BGP speaker (net/bgp_session.h) runs on a thread of the segment: a passive
 * listener and active sessions, one RIB per router. A flow takes the RIB of the router one of
 * whose addresses equals its sampler address (else the fallback), and looks up its source and
 * destination addresses in that RIB's current snapshot (ofd_lpm_lookup_batch, per router, per
 * batch). Fields set where a route matched (best path, see net/bgp_rib.h):
 *   src_as        origin AS of the source route        src_net  its prefix length
 *   dst_as        origin AS of the destination route   dst_net  its prefix length
 *   as_path       the destination route's AS path (first OFD_AS_PATH_MAX ASNs)
 *   next_hop_as   the first AS of that path
 *   bgp_next_hop  the destination route's next hop
 *   med, local_pref, bgp_communities, bgp_large_communities: the destination route's
 * RPKI: with `rpkifile` and/or `rtr` (segments/enrich/bgp_rpki.h) the destination route's
 * prefix and origin AS are validated (RFC 6811) into the rpki field.
 *
 * With `bmp` in the sessions file a BMP station (net/bgp_bmp.h) on the same thread feeds the
 * same RIBs from the routers' BMP streams (the connection's source address picks the router).
 *
 * Not OFD_SEGF_PARALLEL: one instance, one reader thread per RIB (the snapshot swap relies on it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/bgp_bmp.h"
#include "net/bgp_session.h"
#include "net/mrt.h"
#include "util/fileio.h"
#include "ofd/segment.h"
#include "segments/enrich/bgp_conf.h"
#include "segments/enrich/bgp_rpki.h"

enum { C_NO_ROUTER, C_SRC_MISS, C_DST_MISS, C_UP, C_DOWN, C_RESETS, C_UPDATES, C_MALFORMED };
static const char *const bgp_counters[] = {"no_router",	  "src_miss",	   "dst_miss",
					   "sessions_up", "sessions_down", "session_resets",
					   "updates",	  "malformed",	   NULL};

enum { M_ROUTES, M_STATE, M_ATTRS, M_EVENTS, M_BMP, M_RPKI, M_VRPS };
static const struct ofd_metric bgp_metrics[] = {
    {"bgp_routes", OFD_METRIC_GAUGE, 0, "paths in the router's RIB", {"router"}},
    {"bgp_session_established",
     OFD_METRIC_GAUGE,
     0,
     "1 while the router's session is established",
     {"router"}},
    {"bgp_attr_sets", OFD_METRIC_GAUGE, 0, "distinct attribute sets in the router's RIB", {"router"}},
    {"bgp_events_total",
     OFD_METRIC_COUNTER,
     0,
     "speaker events: treat_as_withdraw (RFC 7606), routes_refused (over maxroutes), refused_connections "
     "(not "
     "a router, or a second one), eor (End-of-RIB), notifications_received, stale_kept, stale_swept",
     {"event"}},
    {"bgp_bmp_total",
     OFD_METRIC_COUNTER,
     0,
     "BMP station events (with bmp in the sessions file): connections, refused_connections (not a "
     "router), closed, messages, initiation, termination, route_monitoring, statistics, peer_up, "
     "peer_down, route_mirroring, malformed (the connection is closed), update_errors (UPDATE dropped), "
     "ignored_policy (the other pre/post policy, Loc-RIB), ignored_peers (over 1024 per router)",
     {"event"}},
    {"bgp_rpki_total",
     OFD_METRIC_COUNTER,
     0,
     "RPKI sources (with rpkifile or rtr): file_loads, file_load_failures, rtr_sets (VRP sets from the "
     "RTR cache), rtr_expirations, rtr_connects, rtr_connect_failures, rtr_disconnects, rtr_resets "
     "(session forgotten after a failed Serial Query: a Reset Query at once)",
     {"event"}},
    {"bgp_rpki_vrps", OFD_METRIC_GAUGE, 0, "VRPs in the newest set (with rpkifile or rtr)", {NULL}},
    {NULL, 0, 0, NULL, {NULL}},
};

struct bgp_state {
	/* config */
	char *filename, *fallback;
	int fallback_only;
	/* run */
	struct bgp_conf conf;
	struct ofd_bgp_speaker *sp;
	struct ofd_bgp_bmp *bmp; /* NULL without `bmp` in the sessions file */
	struct ofd_segment *seg;
	int fb;		    /* fallback router index, -1 none */
	uint64_t seen[8];   /* speaker counters already added to the segment's */
	struct bgp_rpki rk; /* origin validation (segments/enrich/bgp_rpki.h) */
	/* per batch scratch */
	uint32_t nrp; /* destination routes to validate */
	struct ofd_prefix rp_route[OFD_BATCH_CAP];
	const struct ofd_prefix *rp_ptr[OFD_BATCH_CAP];
	uint32_t rp_origin[OFD_BATCH_CAP];
	uint8_t rp_out[OFD_BATCH_CAP];
	struct ofd_flow *rp_flow[OFD_BATCH_CAP];
	int16_t ri[OFD_BATCH_CAP];
	uint32_t idx[OFD_BATCH_CAP];
	const struct ofd_ip *addr[OFD_BATCH_CAP];
	uint32_t val[OFD_BATCH_CAP];
	int last_router;
	struct ofd_ip last_sampler;
};

static void log_cb(void *ctx, int err, const char *msg)
{
	struct bgp_state *s = ctx;
	ofd_seg_log(s->seg, err ? OFD_LOG_WARN : OFD_LOG_INFO, "%s", msg);
}

static void speaker_thread(struct ofd_segment *seg, void *arg)
{
	struct bgp_state *s = arg;
	while (!ofd_segment_thread_stopping(seg))
		ofd_bgp_speaker_poll(s->sp, 100);
}

/* A router's routes from an MRT dump (before the session thread runs: this thread writes). */
static int load_mrt(struct bgp_state *s, size_t i)
{
	char *buf = NULL;
	size_t len = 0;
	const char *path = s->conf.mrt[i];
	if (ofd_read_file(path, (size_t)1 << 32, &buf, &len)) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "router %s: mrt %s: %s", s->conf.peers[i].name, path,
			    strerror(errno));
		return OFD_ECONFIG;
	}
	struct ofd_mrt_stats st;
	struct ofd_bgp_rib *r = ofd_bgp_speaker_rib(s->sp, i);
	int rc = ofd_bgp_rib_load_mrt(r, (const uint8_t *)buf, len, &st);
	free(buf);
	if (rc) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "router %s: mrt %s: %s (record %llu, offset %llu)",
			    s->conf.peers[i].name, path, st.error ? st.error : ofd_strerror(rc),
			    (unsigned long long)st.err_record, (unsigned long long)st.err_offset);
		return OFD_ECONFIG;
	}
	if ((rc = ofd_bgp_rib_publish(r, 1)) < 0)
		return rc;
	ofd_seg_log(s->seg, OFD_LOG_INFO, "router %s: %llu routes from %s", s->conf.peers[i].name,
		    (unsigned long long)st.entries, path);
	return 0;
}

/* The sessions file (configuration, not data: --check reads it when it is there) and the
 * fallback router, refused with the file's line and the reason. A file that is not there yet
 * passes --check, as every segment's files do, and is refused at start. */
static int bgp_check(const void *state, char *err, size_t errlen)
{
	const struct bgp_state *s = state;
	if (s->fallback_only && !(s->fallback && *s->fallback)) {
		snprintf(err, errlen, "usefallbackonly without a fallbackrouter");
		return OFD_ECONFIG;
	}
	if (bgp_rpki_check(&s->rk, err, errlen))
		return OFD_ECONFIG;
	if (s->filename && access(s->filename, F_OK) && errno == ENOENT)
		return 0;
	struct bgp_conf c;
	int rc = bgp_conf_load(&c, s->filename, err, errlen);
	if (rc)
		return OFD_ECONFIG;
	if (s->fallback && *s->fallback) {
		rc = OFD_ECONFIG;
		for (size_t i = 0; i < c.n; i++)
			if (!strcmp(c.peers[i].name, s->fallback))
				rc = 0;
		if (rc)
			snprintf(err, errlen, "fallbackrouter %s is not a router of %s", s->fallback,
				 s->filename);
	} else if (s->fallback_only) {
		snprintf(err, errlen, "usefallbackonly without a fallbackrouter");
		rc = OFD_ECONFIG;
	}
	bgp_conf_free(&c);
	return rc;
}

static int bgp_init(struct ofd_segment *seg, void *state)
{
	struct bgp_state *s = state;
	s->seg = seg;
	s->fb = -1;
	s->last_router = -2;
	char err[512];
	int rc = bgp_conf_load(&s->conf, s->filename, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return rc;
	}
	if (s->fallback && *s->fallback) {
		for (size_t i = 0; i < s->conf.n; i++)
			if (!strcmp(s->conf.peers[i].name, s->fallback))
				s->fb = (int)i;
		if (s->fb < 0) {
			ofd_seg_log(seg, OFD_LOG_ERR, "fallbackrouter %s is not a router of %s", s->fallback,
				    s->filename);
			return OFD_ECONFIG;
		}
	} else if (s->fallback_only) {
		ofd_seg_log(seg, OFD_LOG_ERR, "usefallbackonly without a fallbackrouter");
		return OFD_ECONFIG;
	}
	rc = ofd_bgp_speaker_new(&s->sp, &s->conf.sp, s->conf.peers, s->conf.n, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", rc == -ENOMEM ? "out of memory" : err);
		return rc;
	}
	ofd_bgp_speaker_set_log(s->sp, log_cb, s);
	for (size_t i = 0; i < s->conf.n; i++)
		if (s->conf.mrt[i] && (rc = load_mrt(s, i)) != 0)
			return rc;
	if (s->conf.sp.listen.family)
		ofd_seg_log(seg, OFD_LOG_INFO, "listening for BGP on port %u", ofd_bgp_speaker_port(s->sp));
	if (s->conf.bmp.listen.family) {
		rc = ofd_bgp_bmp_new(&s->bmp, &s->conf.bmp, s->sp, err, sizeof(err));
		if (rc) {
			ofd_seg_log(seg, OFD_LOG_ERR, "BMP: %s", rc == -ENOMEM ? "out of memory" : err);
			return rc;
		}
		ofd_bgp_bmp_set_log(s->bmp, log_cb, s);
		ofd_seg_log(seg, OFD_LOG_INFO, "listening for BMP on port %u (%s-policy)",
			    ofd_bgp_bmp_port(s->bmp), s->conf.bmp.post_policy ? "post" : "pre");
	}
	rc = ofd_segment_spawn(seg, speaker_thread, s);
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot start the session thread: %s", ofd_strerror(rc));
		return rc;
	}
	return bgp_rpki_init(&s->rk, seg);
}

/* The router of a sampler address: index, or -1. */
static int router_of(struct bgp_state *s, const struct ofd_ip *a)
{
	if (s->fallback_only)
		return s->fb;
	if (s->last_router != -2 && !memcmp(a->b, s->last_sampler.b, 16))
		return s->last_router;
	int r = -1;
	for (size_t i = 0; i < s->conf.n && r < 0; i++)
		for (unsigned j = 0; j < s->conf.peers[i].n_addr; j++)
			if (!memcmp(s->conf.peers[i].addr[j].b, a->b, 16))
				r = (int)i;
	if (r < 0)
		r = s->fb;
	s->last_sampler = *a;
	s->last_router = r;
	return r;
}

static void set_dst(struct bgp_state *s, struct ofd_flow *f, const struct ofd_bgp_attrs *a, uint8_t plen)
{
	uint8_t v4 = ofd_ip_is_v4mapped(&f->dst_addr);
	f->dst_net = (uint8_t)(v4 && plen >= 96 ? plen - 96 : plen);
	ofd_flow_set(f, OFD_F_DST_NET);
	if (a->flags & OFD_BGPA_ORIGIN_AS) {
		f->dst_as = a->origin_as;
		ofd_flow_set(f, OFD_F_DST_AS);
	}
	unsigned n = a->n_path < OFD_AS_PATH_MAX ? a->n_path : OFD_AS_PATH_MAX;
	memcpy(f->as_path, ofd_bgp_attrs_path(a), n * 4);
	f->as_path_len = (uint8_t)n;
	ofd_flow_set(f, OFD_F_AS_PATH);
	if (a->n_path) {
		f->next_hop_as = ofd_bgp_attrs_path(a)[0];
		ofd_flow_set(f, OFD_F_NEXT_HOP_AS);
	}
	if (a->next_hop.family) {
		f->bgp_next_hop = a->next_hop;
		ofd_flow_set(f, OFD_F_BGP_NEXT_HOP);
	}
	if (a->flags & OFD_BGPA_MED) {
		f->med = a->med;
		ofd_flow_set(f, OFD_F_MED);
	}
	if (a->flags & OFD_BGPA_LOCAL_PREF) {
		f->local_pref = a->local_pref;
		ofd_flow_set(f, OFD_F_LOCAL_PREF);
	}
	if (a->n_comms) {
		unsigned k = a->n_comms < OFD_COMMUNITIES_MAX ? a->n_comms : OFD_COMMUNITIES_MAX;
		memcpy(f->bgp_communities.v, ofd_bgp_attrs_comms(a), k * 4);
		f->bgp_communities.n = (uint8_t)k;
		ofd_flow_set(f, OFD_F_BGP_COMMUNITIES);
	}
	if (a->n_lcomms) {
		unsigned k =
		    a->n_lcomms < OFD_LARGE_COMMUNITIES_MAX ? a->n_lcomms : OFD_LARGE_COMMUNITIES_MAX;
		const uint32_t *l = ofd_bgp_attrs_lcomms(a);
		for (unsigned i = 0; i < k; i++)
			f->bgp_large_communities.v[i] =
			    (struct ofd_large_community){l[3 * i], l[3 * i + 1], l[3 * i + 2]};
		f->bgp_large_communities.n = (uint8_t)k;
		ofd_flow_set(f, OFD_F_BGP_LARGE_COMMUNITIES);
	}
	if (bgp_rpki_on(&s->rk)) { /* validated for the whole batch in lookup_router() */
		uint32_t k = s->nrp++;
		s->rp_route[k] = (struct ofd_prefix){.addr = f->dst_addr, .len = plen};
		s->rp_ptr[k] = &s->rp_route[k];
		s->rp_origin[k] = (a->flags & OFD_BGPA_ORIGIN_AS) ? a->origin_as : 0; /* AS_SET: none */
		s->rp_flow[k] = f;
	}
}

/* Look up the records idx[0..n) of router r: sources, then destinations. */
static void lookup_router(struct bgp_state *s, int r, uint32_t n, struct ofd_batch *b, uint64_t *miss)
{
	const struct ofd_bgp_snap *snap = ofd_bgp_rib_current(ofd_bgp_speaker_rib(s->sp, (size_t)r));
	if (!snap) {
		miss[0] += n;
		miss[1] += n;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		s->addr[i] = &b->flows[s->idx[i]].src_addr;
	ofd_lpm_lookup_batch(snap->lpm, s->addr, n, s->val, OFD_BGP_SNAP_MISS);
	for (uint32_t i = 0; i < n; i++) {
		struct ofd_flow *f = &b->flows[s->idx[i]];
		if (s->val[i] == OFD_BGP_SNAP_MISS) {
			miss[0]++;
			continue;
		}
		uint8_t plen;
		const struct ofd_bgp_attrs *a = ofd_bgp_snap_attrs(snap, s->val[i], &plen);
		f->src_net = (uint8_t)(ofd_ip_is_v4mapped(&f->src_addr) && plen >= 96 ? plen - 96 : plen);
		ofd_flow_set(f, OFD_F_SRC_NET);
		if (a->flags & OFD_BGPA_ORIGIN_AS) {
			f->src_as = a->origin_as;
			ofd_flow_set(f, OFD_F_SRC_AS);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		s->addr[i] = &b->flows[s->idx[i]].dst_addr;
	ofd_lpm_lookup_batch(snap->lpm, s->addr, n, s->val, OFD_BGP_SNAP_MISS);
	s->nrp = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s->val[i] == OFD_BGP_SNAP_MISS) {
			miss[1]++;
			continue;
		}
		uint8_t plen;
		const struct ofd_bgp_attrs *a = ofd_bgp_snap_attrs(snap, s->val[i], &plen);
		set_dst(s, &b->flows[s->idx[i]], a, plen);
	}
	if (s->nrp) { /* the routes' origins, their memory misses overlapped */
		bgp_rpki_batch(&s->rk, s->rp_ptr, s->rp_origin, s->nrp, s->rp_out);
		for (uint32_t k = 0; k < s->nrp; k++) {
			s->rp_flow[k]->rpki = s->rp_out[k];
			ofd_flow_set(s->rp_flow[k], OFD_F_RPKI);
		}
	}
}

static void bgp_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct bgp_state *s = state;
	for (size_t i = 0; i < s->conf.n; i++)
		ofd_bgp_rib_adopt(ofd_bgp_speaker_rib(s->sp, i));
	bgp_rpki_take(&s->rk);
	uint64_t no_router = 0, miss[2] = {0, 0};
	int first = -1, multi = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i)) {
			s->ri[i] = -1;
			continue;
		}
		int r = router_of(s, &b->flows[i].sampler_address);
		s->ri[i] = (int16_t)r;
		if (r < 0)
			no_router++;
		else if (first < 0)
			first = r;
		else if (r != first)
			multi = 1;
	}
	if (first >= 0) {
		for (size_t r = multi ? 0 : (size_t)first; r < (multi ? s->conf.n : (size_t)first + 1); r++) {
			uint32_t n = 0;
			for (uint32_t i = 0; i < b->n; i++)
				if (s->ri[i] == (int)r)
					s->idx[n++] = i;
			if (n)
				lookup_router(s, (int)r, n, b, miss);
		}
	}
	if (no_router)
		ofd_segment_count(seg, C_NO_ROUTER, no_router);
	if (miss[0])
		ofd_segment_count(seg, C_SRC_MISS, miss[0]);
	if (miss[1])
		ofd_segment_count(seg, C_DST_MISS, miss[1]);
}

/* Move the speaker's counters into the segment's (deltas). */
static void bgp_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct bgp_state *s = state;
	(void)now_ns;
	if (!s->sp)
		return;
	struct ofd_bgp_counters *c = ofd_bgp_speaker_counters(s->sp);
	const uint64_t v[5] = {atomic_load(&c->up), atomic_load(&c->down), atomic_load(&c->resets),
			       atomic_load(&c->updates), atomic_load(&c->malformed)};
	for (unsigned i = 0; i < 5; i++) {
		if (v[i] != s->seen[i])
			ofd_segment_count(seg, C_UP + i, v[i] - s->seen[i]);
		s->seen[i] = v[i];
	}
	for (size_t i = 0; i < s->conf.n; i++) /* a snapshot published while no batch came */
		ofd_bgp_rib_adopt(ofd_bgp_speaker_rib(s->sp, i));
}

static void collect_events(struct bgp_state *s, struct ofd_metric_sink *sink)
{
	struct ofd_bgp_counters *c = ofd_bgp_speaker_counters(s->sp);
	const struct {
		const char *name;
		_Atomic uint64_t *v;
	} ev[] = {{"treat_as_withdraw", &c->treat_as_withdraw},
		  {"routes_refused", &c->routes_refused},
		  {"refused_connections", &c->refused_peers},
		  {"eor", &c->eor},
		  {"notifications_received", &c->notif_recv},
		  {"stale_kept", &c->stale_kept},
		  {"stale_swept", &c->stale_swept}};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		ofd_metric_put(sink, &bgp_metrics[M_EVENTS], OFD_METRIC_VALUES(ev[i].name),
			       atomic_load(ev[i].v));
	for (int e = 0; s->bmp && e < OFD_BMPE__N; e++)
		ofd_metric_put(sink, &bgp_metrics[M_BMP], OFD_METRIC_VALUES(ofd_bgp_bmp_event_names[e]),
			       ofd_bgp_bmp_count(s->bmp, (enum ofd_bgp_bmp_event)e));
}

static void bgp_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct bgp_state *s = state;
	(void)seg;
	if (!s->sp)
		return;
	for (size_t i = 0; i < s->conf.n; i++) {
		const char *name = s->conf.peers[i].name;
		ofd_metric_put(sink, &bgp_metrics[M_ROUTES], OFD_METRIC_VALUES(name),
			       ofd_bgp_speaker_routes(s->sp, i, NULL));
		uint64_t sets;
		ofd_bgp_speaker_routes(s->sp, i, &sets);
		ofd_metric_put(sink, &bgp_metrics[M_ATTRS], OFD_METRIC_VALUES(name), sets);
		ofd_metric_put(sink, &bgp_metrics[M_STATE], OFD_METRIC_VALUES(name),
			       ofd_bgp_speaker_state(s->sp, i) == OFD_BGPS_ESTABLISHED);
	}
	collect_events(s, sink);
	if (bgp_rpki_on(&s->rk))
		bgp_rpki_collect(&s->rk, sink, &bgp_metrics[M_RPKI], &bgp_metrics[M_VRPS]);
}

static void bgp_fini(struct ofd_segment *seg, void *state)
{
	struct bgp_state *s = state;
	(void)seg;
	bgp_tick(seg, state, 0);
	ofd_bgp_bmp_free(s->bmp); /* the speaker's hook: before the speaker */
	s->bmp = NULL;
	ofd_bgp_speaker_free(s->sp);
	s->sp = NULL;
	bgp_conf_free(&s->conf);
	bgp_rpki_fini(&s->rk);
}

static const struct ofd_cfg_key bgp_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct bgp_state, filename, .required = 1,
	    .help =
		"the sessions file (YAML: asn, routerid, listen, port, routers: name, address, asn, ...)"),
    OFD_KEY("fallbackrouter", OFD_CFG_STRING, struct bgp_state, fallback, .def = "",
	    .help = "the router whose routes flows get when their sampler address is no router's"),
    OFD_KEY("usefallbackonly", OFD_CFG_BOOL, struct bgp_state, fallback_only, .def = "false",
	    .help = "every flow gets the fallback router's routes, whatever its sampler address"),
    OFD_KEY("rpkifile", OFD_CFG_STRING, struct bgp_state, rk.file, .def = "",
	    .help = "ours: VRPs for the rpki field (Routinator or rpki-client JSON, rpki-client CSV), "
		    "reloaded on SIGHUP"),
    OFD_KEY("rtr", OFD_CFG_STRING, struct bgp_state, rk.rtr, .def = "",
	    .help = "ours: an RTR cache (HOST:PORT, RFC 8210 or 6810) for the rpki field"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_bgp = {
    OFD_SEGMENT_VERSION,
    .name = "bgp",
    .kind = OFD_SEG_ENRICH,
    .summary = "BGP sessions with the routers: AS path, origin ASes, MED, local pref, communities per flow",
    .state_size = sizeof(struct bgp_state),
    .config = bgp_keys,
    .counters = bgp_counters,
    .metrics = bgp_metrics,
    .collect = bgp_collect,
    .check = bgp_check,
    .init = bgp_init,
    .process = bgp_process,
    .tick = bgp_tick,
    .fini = bgp_fini,
};
