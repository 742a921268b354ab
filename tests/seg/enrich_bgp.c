/*
 * bgp (src/segments/enrich/bgp.c) through the segment harness, with real speakers:
 *
 *   - config errors: the sessions file's line and reason, an unknown fallback router;
 *   - BIRD 2 connects to the segment's passive listener (bird-test.conf, 10 routes): flows
 *     whose destinations are in the routes get exactly the AS path, origin AS, MED, local pref,
 *     communities, large communities and prefix length that `birdc show route for ADDR export
 *     collector_ibgp all` reports; sources get src_as/src_net; a flow of another exporter gets
 *     nothing (no_router) unless a fallback router is set;
 *   - `birdc disable routes4` withdraws the IPv4 routes: seen within the snapshot interval
 *     (plus the poll round);
 *   - BIRD killed (SIGKILL, no NOTIFICATION) with graceful restart (BIRD's default "aware"):
 *     the routes stay (stale) and are removed when `maxstale` (2 s) runs out; with
 *     `graceful restart off` they are removed at once.
 * No sleeps but bounded polls of the harness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bgp_bird_cases.h"
#include "bird_peer.h"
#include "gobgp_peer.h"
#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_bgp;

static void sessions_file(const char *path, unsigned port, const char *extra)
{
	char y[1024];
	snprintf(y, sizeof(y),
		 "asn: 64500\nrouterid: 192.0.2.253\nlisten: 127.0.0.1\nport: %u\nholdtime: 30\n"
		 "snapshotinterval: 100ms\n%s"
		 "routers:\n  - name: bird\n    address: [127.0.0.1, 10.9.9.9]\n    asn: 64500\n"
		 "  - name: other\n    address: 192.0.2.99\n    asn: 64501\n",
		 port, extra ? extra : "");
	st_write(path, y);
}

/* Parse `birdc show route for A export collector_ibgp all` and compare with flow f. */
static void check_flow(const struct bird *bd, const struct ofd_flow *f, const char *addr)
{
	char cmd[128], out[8192];
	snprintf(cmd, sizeof(cmd), "show route for %s export collector_ibgp all", addr);
	birdc(bd, cmd, out, sizeof(out));
	char *pl = strchr(out, '/');
	assert_non_null(pl);
	unsigned plen = (unsigned)strtoul(pl + 1, NULL, 10);
	assert_int_equal(f->dst_net, plen);
	char *ap = strstr(out, "BGP.as_path:");
	assert_non_null(ap);
	ap += 12;
	uint32_t path[32];
	unsigned n = 0;
	while (*ap && *ap != '\n') {
		char *e;
		unsigned long v = strtoul(ap, &e, 10);
		if (e == ap) {
			ap++;
			continue;
		}
		path[n++] = (uint32_t)v;
		ap = e;
	}
	assert_true(n > 0);
	assert_int_equal(f->as_path_len, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->as_path[i], path[i]);
	assert_int_equal(f->dst_as, path[n - 1]);
	assert_int_equal(f->next_hop_as, path[0]);
	char *m = strstr(out, "BGP.med:");
	assert_non_null(m);
	assert_int_equal(f->med, strtoul(m + 8, NULL, 10));
	char *lp = strstr(out, "BGP.local_pref:");
	assert_non_null(lp);
	assert_int_equal(f->local_pref, strtoul(lp + 15, NULL, 10));
	char *c = strstr(out, "BGP.community:");
	unsigned nc = 0;
	for (char *p = c; p && *p && *p != '\n'; p++) {
		unsigned a, v;
		if (*p == '(' && sscanf(p, "(%u,%u)", &a, &v) == 2) {
			assert_true(nc < f->bgp_communities.n);
			assert_int_equal(f->bgp_communities.v[nc], a << 16 | v);
			nc++;
		}
	}
	assert_int_equal(f->bgp_communities.n, nc);
	char *l = strstr(out, "BGP.large_community:");
	unsigned nl = 0;
	for (char *p = l; p && *p && *p != '\n'; p++) {
		unsigned g, a, v;
		if (*p == '(' && sscanf(p, "(%u, %u, %u)", &g, &a, &v) == 3) {
			assert_true(nl < f->bgp_large_communities.n);
			assert_int_equal(f->bgp_large_communities.v[nl].global, g);
			assert_int_equal(f->bgp_large_communities.v[nl].local1, a);
			assert_int_equal(f->bgp_large_communities.v[nl].local2, v);
			nl++;
		}
	}
	assert_int_equal(f->bgp_large_communities.n, nl);
	assert_true(ofd_flow_has(f, OFD_F_BGP_NEXT_HOP));
}

static int have_bird(void)
{
	return access(BIRD_BIN, X_OK) == 0 && access(BIRDC_BIN, X_OK) == 0;
}

static void test_bird_routes(void **state)
{
	(void)state;
	if (!have_bird()) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM);
	sessions_file(st_path("s.yml"), port, NULL);
	size_t vlen;
	char *vrps = st_slurp(st_data("vrps-sample.json"), &vlen);
	st_write(st_path("vrps.json"), vrps);
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: %s, rpkifile: %s}", st_path("s.yml"), st_path("vrps.json"));
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	struct bird bd;
	bird_start(&bd, port, NULL);
	struct ofd_batch *b = bird_wait_routes(h, BIRD_NADDRS);
	for (int i = 0; i < BIRD_NADDRS; i++)
		check_flow(&bd, &b->flows[i], bird_addrs[i]);
	/* RPKI: the states bird-test.conf's comments give against vrps-sample.json (BIRD's
	   roa_check agrees, ../shared/data/README.md; bgp_bird_cases.h); the flow's route is the
	   most specific */
	for (int i = 0; i < BIRD_NADDRS; i++) {
		assert_true(ofd_flow_has(&b->flows[i], OFD_F_RPKI));
		if (b->flows[i].rpki != bird_want_rpki[i])
			fail_msg("%s: rpki %u, want %u", bird_addrs[i], b->flows[i].rpki, bird_want_rpki[i]);
	}
	/* a new file on SIGHUP: 192.0.2.0/24 now belongs to AS64511 (the route's origin is 64496) */
	char *at = strstr(vrps, "\"AS64496\", \"prefix\": \"192.0.2.0/24\"");
	if (!at)
		at = strstr(vrps, "\"AS64496\",\"prefix\":\"192.0.2.0/24\"");
	if (at) {
		memcpy(at + 5, "511", 3); /* AS64496 -> AS64511 */
		st_write(st_path("vrps.json"), vrps);
		ofd_reload_request();
		uint64_t t0 = ofd_time_mono_ns();
		do
			b = bird_flows(h, "127.0.0.1");
		while (b->flows[0].rpki != OFD_RPKI_INVALID && ofd_time_mono_ns() - t0 < 10000000000ull);
		assert_int_equal(b->flows[0].rpki, OFD_RPKI_INVALID);
		assert_int_equal(b->flows[5].rpki, OFD_RPKI_VALID); /* 2001:db8::/32 kept */
		assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "file_loads"), 2);
		assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "file_load_failures"), 0);
		assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_sets"), 0);
		assert_int_equal(ofd_harness_metric(h, "bgp_rpki_vrps", NULL), 6);
	} else {
		fail_msg("vrps-sample.json: no 192.0.2.0/24 VRP of AS64496 in the expected form");
	}
	free(vrps);
	/* the source 203.0.113.130 is in 203.0.113.128/25, origin 65551 */
	assert_int_equal(b->flows[0].src_as, 65551);
	assert_int_equal(b->flows[0].src_net, 25);
	assert_int_equal(b->flows[2].dst_net, 26); /* the more specific of /25 and /26 */
	ofd_harness_tick(h, 0);
	assert_int_equal(ofd_harness_counter(h, "sessions_up"), 1);
	assert_int_equal(ofd_harness_metric(h, "bgp_routes", "bird"), 10);
	assert_int_equal(ofd_harness_metric(h, "bgp_session_established", "bird"), 1);
	assert_int_equal(ofd_harness_metric(h, "bgp_session_established", "other"), 0);
	assert_int_equal(ofd_harness_metric(h, "bgp_events_total", "eor"), 2); /* IPv4 and IPv6 */
	assert_int_equal(ofd_harness_metric(h, "bgp_events_total", "treat_as_withdraw"), 0);
	/* another exporter: no router, nothing set */
	uint64_t nr = ofd_harness_counter(h, "no_router");
	b = bird_flows(h, "192.0.2.50");
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
	assert_int_equal(ofd_harness_counter(h, "no_router"), nr + 10);
	/* the router's second address is its sampler address too */
	b = bird_flows(h, "10.9.9.9");
	assert_int_equal(b->flows[0].dst_as, 64496);

	/* withdrawal of the IPv4 routes: seen within the snapshot interval (+ a poll round) */
	char out[4096];
	birdc(&bd, "disable routes4", out, sizeof(out));
	uint64_t took;
	b = bird_wait_routes_t(h, 5, &took);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
	assert_true(ofd_flow_has(&b->flows[5], OFD_F_DST_AS));
	assert_true(took < 1000000000ull);
	print_message("withdrawal seen after %.0f ms\n", (double)took / 1e6);
	birdc(&bd, "enable routes4", out, sizeof(out));
	bird_wait_routes(h, BIRD_NADDRS);

	/* BIRD killed: it announced graceful restart (aware), the routes stay stale until maxstale */
	bird_stop(&bd, SIGKILL);
	uint64_t t0 = ofd_time_mono_ns();
	while (ofd_harness_metric(h, "bgp_session_established", "bird") == 1 &&
	       ofd_time_mono_ns() - t0 < 20000000000ull)
		poll(NULL, 0, 10);
	assert_int_equal(ofd_harness_metric(h, "bgp_session_established", "bird"), 0);
	b = bird_flows(h, "127.0.0.1");
	assert_true(ofd_flow_has(&b->flows[0], OFD_F_DST_AS)); /* stale, kept */
	ofd_harness_free(h);
}

/* graceful restart: maxstale 2 s removes the stale routes; without GR they go at once */
static void run_loss(int gr)
{
	if (!have_bird()) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM);
	sessions_file(st_path("g.yml"), port, "maxstale: 2s\n");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("g.yml"));
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	struct bird bd;
	bird_start(&bd, port, gr ? NULL : "graceful restart off;");
	bird_wait_routes(h, BIRD_NADDRS);
	bird_stop(&bd, SIGKILL);
	uint64_t t0 = ofd_time_mono_ns();
	while (ofd_harness_metric(h, "bgp_session_established", "bird") == 1 &&
	       ofd_time_mono_ns() - t0 < 20000000000ull)
		poll(NULL, 0, 10);
	uint64_t took;
	if (gr) {
		struct ofd_batch *b = bird_flows(h, "127.0.0.1");
		assert_true(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
		bird_wait_routes_t(h, 0, &took);
		print_message("stale routes removed %.1f s after the loss was seen\n", (double)took / 1e9);
		assert_true(took > 1000000000ull); /* not at once: maxstale 2 s */
	} else {
		bird_wait_routes_t(h, 0, &took);
		assert_true(took < 1000000000ull); /* the next snapshot */
	}
	ofd_harness_tick(h, 0);
	assert_int_equal(ofd_harness_counter(h, "sessions_down"), 1);
	ofd_harness_free(h);
}

static void test_bird_gr(void **state)
{
	(void)state;
	run_loss(1);
}

static void test_bird_nogr(void **state)
{
	(void)state;
	run_loss(0);
}

/* ADD-PATH: BIRD sends path ids (`add paths tx`), the routes are the same */
static void test_bird_addpath(void **state)
{
	(void)state;
	if (!have_bird()) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM);
	sessions_file(st_path("a.yml"), port, NULL);
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("a.yml"));
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	struct bird bd;
	bird_start_x(&bd, port, NULL, "add paths tx;", NULL);
	struct ofd_batch *b = bird_wait_routes(h, BIRD_NADDRS);
	for (int i = 0; i < BIRD_NADDRS; i++)
		check_flow(&bd, &b->flows[i], bird_addrs[i]);
	char out[8192];
	birdc(&bd, "show protocols all collector_ibgp", out, sizeof(out));
	assert_non_null(strstr(out, "ADD-PATH"));
	ofd_harness_tick(h, 0);
	assert_int_equal(ofd_harness_metric(h, "bgp_routes", "bird"), 10);
	bird_stop(&bd, SIGTERM);
	ofd_harness_free(h);
}

/* graceful restart: BIRD killed, restarted without its IPv4 routes: the new session's
 * End-of-RIBs sweep the stale IPv4 paths (long before maxstale), the IPv6 ones are fresh */
static void test_bird_gr_eor(void **state)
{
	(void)state;
	if (!have_bird()) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM);
	sessions_file(st_path("e.yml"), port, "maxstale: 60s\n");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("e.yml"));
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	struct bird bd;
	bird_start(&bd, port, NULL);
	bird_wait_routes(h, BIRD_NADDRS);
	bird_stop(&bd, SIGKILL);
	uint64_t t0 = ofd_time_mono_ns();
	while (ofd_harness_metric(h, "bgp_session_established", "bird") == 1 &&
	       ofd_time_mono_ns() - t0 < 20000000000ull)
		poll(NULL, 0, 10);
	assert_int_equal(ofd_harness_metric(h, "bgp_events_total", "stale_kept"), 10);
	bird_wait_routes(h, BIRD_NADDRS); /* kept */
	bird_start_x(&bd, port, NULL, NULL, "disabled;");
	uint64_t took;
	struct ofd_batch *b = bird_wait_routes_t(h, 5, &took);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
	assert_int_equal(b->flows[5].dst_as, 64496);
	assert_true(took < 20000000000ull); /* the new session's End-of-RIB, not maxstale (60 s) */
	assert_int_equal(ofd_harness_metric(h, "bgp_events_total", "stale_swept"), 5);
	ofd_harness_tick(h, 0);
	assert_int_equal(ofd_harness_counter(h, "sessions_up"), 2);
	bird_stop(&bd, SIGTERM);
	ofd_harness_free(h);
}

/* flows to 10.33.1.1 and 2001:db8:33::1 from sampler 127.0.0.1; the count with a route */
static int gb_flows(struct ofd_harness *h, struct ofd_batch **out)
{
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	assert_int_equal(ofd_ip_parse(&b->flows[0].dst_addr, "10.33.1.1"), 0);
	assert_int_equal(ofd_ip_parse(&b->flows[1].dst_addr, "2001:db8:33::1"), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ofd_ip_parse(&b->flows[i].sampler_address, "127.0.0.1"), 0);
	ofd_harness_process(h, b);
	*out = b;
	return ofd_flow_has(&b->flows[0], OFD_F_DST_AS) + ofd_flow_has(&b->flows[1], OFD_F_DST_AS);
}

static struct ofd_batch *gb_wait(struct ofd_harness *h, int n, uint64_t *took)
{
	uint64_t t0 = ofd_time_mono_ns();
	struct ofd_batch *b;
	while (gb_flows(h, &b) != n) {
		if (ofd_time_mono_ns() - t0 > 20000000000ull) {
			print_error("gobgp: waited for %d routes\n", n);
			fail();
		}
		poll(NULL, 0, 10);
	}
	if (took)
		*took = ofd_time_mono_ns() - t0;
	return b;
}

/* The AS path gobgp sent us for prefix (adj-out), into path; returns its length. */
static unsigned gb_adj_path(const struct gobgp *g, const char *fam, const char *prefix, uint32_t *path)
{
	char args[128], out[8192];
	snprintf(args, sizeof(args), "neighbor 127.0.0.1 adj-out -a %s", fam);
	assert_int_equal(gobgp_cli(g, args, out, sizeof(out)), 0);
	char *l = strstr(out, prefix);
	assert_non_null(l);
	char *e = strchr(l, '\n');
	if (e)
		*e = 0;
	/* columns: prefix, next hop, AS path..., age (hh:mm:ss), attributes */
	char *sv, *t = strtok_r(l, " ", &sv);
	t = t ? strtok_r(NULL, " ", &sv) : NULL;
	unsigned n = 0;
	for (t = t ? strtok_r(NULL, " ", &sv) : NULL; t && !strchr(t, ':') && n < 32;
	     t = strtok_r(NULL, " ", &sv))
		path[n++] = (uint32_t)strtoul(t, NULL, 10);
	return n;
}

static void test_gobgp(void **state)
{
	(void)state;
	if (access(GOBGPD_BIN, X_OK) || access(GOBGP_BIN, X_OK)) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM);
	char y[512], cfg[600], out[4096];
	snprintf(y, sizeof(y),
		 "asn: 64500\nrouterid: 192.0.2.253\nlisten: 127.0.0.1\nport: %u\nsnapshotinterval: 100ms\n"
		 "routers:\n  - name: gobgp\n    address: 127.0.0.1\n    asn: 64501\n",
		 port);
	st_write(st_path("gb.yml"), y);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("gb.yml"));
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	struct gobgp g;
	gobgp_start(&g, port);
	assert_int_equal(gobgp_cli(&g,
				   "global rib add 10.33.0.0/16 aspath 65001,65002 med 7 community 65001:7 "
				   "large-community 65001:1:2 nexthop 192.0.2.33 -a ipv4",
				   out, sizeof(out)),
			 0);
	assert_int_equal(
	    gobgp_cli(&g, "global rib add 2001:db8:33::/48 aspath 65003 nexthop 2001:db8::33 -a ipv6", out,
		      sizeof(out)),
	    0);
	struct ofd_batch *b = gb_wait(h, 2, NULL);
	uint32_t path[32];
	unsigned n = gb_adj_path(&g, "ipv4", "10.33.0.0/16", path);
	assert_int_equal(n, 3); /* 64501 prepended on eBGP */
	const struct ofd_flow *f = &b->flows[0];
	assert_int_equal(f->as_path_len, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->as_path[i], path[i]);
	assert_int_equal(f->as_path[0], 64501);
	assert_int_equal(f->dst_as, 65002);
	assert_int_equal(f->next_hop_as, 64501);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(f->med, 7);
	assert_false(ofd_flow_has(f, OFD_F_LOCAL_PREF)); /* not sent on eBGP */
	assert_int_equal(f->bgp_communities.n, 1);
	assert_int_equal(f->bgp_communities.v[0], 65001u << 16 | 7);
	assert_int_equal(f->bgp_large_communities.n, 1);
	assert_int_equal(f->bgp_large_communities.v[0].global, 65001);
	assert_int_equal(f->bgp_large_communities.v[0].local2, 2);
	char nh[OFD_IP_STRLEN];
	ofd_ip_str(&f->bgp_next_hop, nh);
	assert_string_equal(nh, "192.0.2.33");
	n = gb_adj_path(&g, "ipv6", "2001:db8:33::/48", path);
	assert_int_equal(n, 2);
	assert_int_equal(b->flows[1].as_path_len, 2);
	assert_int_equal(b->flows[1].as_path[1], path[1]);
	assert_int_equal(b->flows[1].dst_as, 65003);
	assert_int_equal(b->flows[1].dst_net, 48);
	ofd_ip_str(&b->flows[1].bgp_next_hop, nh);
	assert_string_equal(nh, "2001:db8::33");
	/* withdrawal */
	assert_int_equal(gobgp_cli(&g, "global rib del 10.33.0.0/16 -a ipv4", out, sizeof(out)), 0);
	uint64_t took;
	b = gb_wait(h, 1, &took);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
	assert_true(took < 1000000000ull);
	/* gobgpd stopped: NOTIFICATION (Cease), no graceful restart: routes gone */
	gobgp_stop(&g);
	gb_wait(h, 0, NULL);
	ofd_harness_tick(h, 0);
	assert_int_equal(ofd_harness_counter(h, "sessions_up"), 1);
	assert_int_equal(ofd_harness_counter(h, "sessions_down"), 1);
	assert_int_equal(ofd_harness_counter(h, "malformed"), 0);
	ofd_harness_free(h);
}

static char logbuf_bgp[4096];

static void bgp_sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	strncat(logbuf_bgp, line, sizeof(logbuf_bgp) - strlen(logbuf_bgp) - 1);
}

static void test_bgp_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "", cfg[600];
	const char *p = st_path("bad.yml");
	snprintf(cfg, sizeof(cfg), "{filename: %s}", p);
	st_write(p, "asn: 64500\nrouterid: 192.0.2.1\nroutes: []\n");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bad.yml:3: unknown key routes"));
	st_write(
	    p,
	    "asn: 64500\nrouterid: 192.0.2.1\nrouters:\n  - name: a\n    address: 192.0.2.300\n    asn: 1\n");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bad.yml:5: address: not an IP address"));
	st_write(
	    p, "asn: 64500\nrouterid: 0.0.0.0\nrouters:\n  - name: a\n    address: 192.0.2.3\n    asn: 1\n");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bad.yml:2: routerid: 0.0.0.0 is not a BGP identifier"));
	st_write(p, "asn: 64500\nrouterid: 192.0.2.1\nholdtime: 2\nrouters:\n  - name: a\n    address: "
		    "192.0.2.3\n    asn: 1\n");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bad.yml:3: holdtime"));
	st_write(
	    p, "asn: 64500\nrouterid: 192.0.2.1\nrouters:\n  - name: a\n    address: 192.0.2.3\n    asn: 1\n"
	       "  - name: a\n    address: 192.0.2.4\n    asn: 2\n");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bad.yml:7: router a named twice"));
	/* a good file, an unknown fallback router */
	st_write(
	    p,
	    "asn: 64500\nrouterid: 192.0.2.1\nrouters:\n  - name: a\n    address: 192.0.2.3\n    asn: 1\n");
	snprintf(cfg, sizeof(cfg), "{filename: %s, fallbackrouter: b}", p);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "fallbackrouter b is not a router of"));
	snprintf(cfg, sizeof(cfg), "{filename: %s, usefallbackonly: true}", p);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "usefallbackonly without a fallbackrouter"));
	/* a missing file passes --check (as every segment's files do) and is refused at start */
	snprintf(cfg, sizeof(cfg), "{filename: %s/nonexistent.yml}", st_dir);
	logbuf_bgp[0] = 0;
	ofd_log_set_sink(bgp_sink, NULL);
	int rc = ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err));
	ofd_log_set_sink(NULL, NULL);
	assert_int_equal(rc, OFD_ECONFIG);
	assert_null(h);
	if (!strstr(logbuf_bgp, "nonexistent.yml: cannot read"))
		fail_msg("log: %s", logbuf_bgp);
	/* no listener, one active router that is not there: runs, flows get nothing */
	st_write(p, "asn: 64500\nrouterid: 192.0.2.1\nconnectretry: 100ms\nrouters:\n  - name: a\n"
		    "    address: 127.0.0.1\n    asn: 1\n    connect: true\n    peerport: 9\n");
	snprintf(cfg, sizeof(cfg), "{filename: %s, fallbackrouter: a, usefallbackonly: true}", p);
	h = st_open(&ofd_seg_bgp, cfg);
	struct ofd_batch *b = bird_flows(h, "192.0.2.77");
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_DST_AS));
	assert_int_equal(ofd_harness_counter(h, "dst_miss"), 10);
	assert_int_equal(ofd_harness_counter(h, "no_router"), 0);
	ofd_harness_free(h);
}

#include "bgp_bmp_cases.h"

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bgp_config),	cmocka_unit_test(test_bird_routes),
	    cmocka_unit_test(test_bird_gr),	cmocka_unit_test(test_bird_nogr),
	    cmocka_unit_test(test_gobgp),	cmocka_unit_test(test_bird_addpath),
	    cmocka_unit_test(test_bird_gr_eor), cmocka_unit_test(test_bmp_stream),
	    cmocka_unit_test(test_bmp_post),	cmocka_unit_test(test_bmp_config),
	    cmocka_unit_test(test_bmp_gobgp),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
