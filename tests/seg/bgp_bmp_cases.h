/*
 * The bgp segment's BMP station (src/net/bgp_bmp.c), included by enrich_bgp.c:
 *
 *   - test_bmp_stream: hand-built BMP messages over a TCP connection from 127.0.0.1 (router
 *     "bmp"): Initiation, Peer Up with both OPENs (ADD-PATH for IPv4 negotiated), Route
 *     Monitoring with two ADD-PATH paths of an IPv4 prefix (the shorter AS path wins, then the
 *     other after the withdrawal of its path id), an IPv6 route (MP_REACH), communities, MED,
 *     LOCAL_PREF, a post-policy message ignored under `policy: pre`, a second monitored peer
 *     without Peer Up and 2-byte ASNs (A flag); Peer Down removes only its peer's routes; a
 *     Route Monitoring whose length lies closes the connection (malformed 1, routes gone); a
 *     stream cut inside a message counts too (malformed 2); a new connection works again;
 *     a connection from an address that is no router's is refused;
 *   - test_bmp_post: `policy: post` takes L-flagged messages and ignores pre-policy ones;
 *     `maxroutes: 1` refuses (and counts) a second route;
 *   - test_bmp_config: bad bmp keys refused with FILE:LINE: reason;
 *   - test_bmp_gobgp: a gobgpd (AS 64501) with a bmp-servers entry pointing at the station,
 *     peered with a second gobgpd (AS 64502, on 127.0.0.2) whose `gobgp global rib add`
 *     routes reach the first one's pre-policy Adj-RIB-In: flows get their AS path, origin,
 *     MED, communities and next hop; `gobgp global rib del` withdraws; the monitored gobgpd
 *     stopped: its routes are removed. Skipped when gobgpd is not installed.
 * Bounded polls, no sleeps.
 */
#ifndef OFD_TEST_BGP_BMP_CASES_H
#define OFD_TEST_BGP_BMP_CASES_H

#include "../unit/bgp_vec.h"
#include "net/bmp.h"

static struct vec bm_body, bm_msg, bm_upd, bm_a, bm_n, bm_o1, bm_o2;

/* common header around a body */
static void bm_wrap(struct vec *out, unsigned type, const struct vec *body)
{
	out->n = 0;
	v_u8(out, 3);
	v_u32(out, (uint32_t)(6 + body->n));
	v_u8(out, type);
	v_bytes(out, body->d, body->n);
}

/* per-peer header of the peer at addr (IPv4) */
static void bm_peer(struct vec *b, unsigned flags, const char *addr, uint32_t as)
{
	struct ofd_ip ip;
	assert_int_equal(ofd_ip_parse(&ip, addr), 0);
	v_u8(b, 0);
	v_u8(b, flags);
	v_u32(b, 0);
	v_u32(b, 0);
	uint8_t a[16] = {0};
	memcpy(a + 12, ip.b + 12, 4);
	v_bytes(b, a, 16);
	v_u32(b, as);
	v_u32(b, 0x0a000000u | (as & 0xff));
	v_u32(b, 1764892800);
	v_u32(b, 0);
}

/* an OPEN: MP IPv4 and IPv6, 4-byte AS, ADD-PATH send+receive for IPv4 when addpath */
static void bm_open(struct vec *out, uint32_t as, int addpath)
{
	static struct vec b, caps;
	caps.n = 0;
	static const uint8_t mp4[] = {1, 4, 0, 1, 0, 1}, mp6[] = {1, 4, 0, 2, 0, 1};
	v_bytes(&caps, mp4, 6);
	v_bytes(&caps, mp6, 6);
	v_u8(&caps, 65);
	v_u8(&caps, 4);
	v_u32(&caps, as);
	if (addpath) {
		static const uint8_t ap[] = {69, 4, 0, 1, 1, 3};
		v_bytes(&caps, ap, 6);
	}
	b.n = 0;
	v_u8(&b, 4);
	v_u16(&b, as < 65536 ? as : OFD_BGP_AS_TRANS);
	v_u16(&b, 90);
	v_u32(&b, 0x0a000000u | (as & 0xff));
	v_u8(&b, (unsigned)caps.n + 2);
	v_u8(&b, 2);
	v_u8(&b, (unsigned)caps.n);
	v_bytes(&b, caps.d, caps.n);
	v_msg(out, 1, b.d, b.n);
}

static void bm_peer_up(struct vec *out, const char *addr, uint32_t as, int addpath)
{
	bm_body.n = 0;
	bm_peer(&bm_body, 0, addr, as);
	static const uint8_t la[16] = {[10] = 0xff, 0xff, 192, 0, 2, 254};
	v_bytes(&bm_body, la, 16);
	v_u16(&bm_body, 179);
	v_u16(&bm_body, 40000);
	bm_open(&bm_o1, 64500, addpath); /* the router's */
	bm_open(&bm_o2, as, addpath);	 /* the peer's */
	v_bytes(&bm_body, bm_o1.d, bm_o1.n);
	v_bytes(&bm_body, bm_o2.d, bm_o2.n);
	bm_wrap(out, OFD_BMP_PEER_UP, &bm_body);
}

/* AS_PATH (one sequence; 2-byte ASNs when as2), communities c[0..nc) */
static void bm_attrs(struct vec *a, const uint32_t *path, unsigned np, int as2, const uint32_t *c,
		     unsigned nc, uint32_t med, uint32_t lp)
{
	static const uint8_t origin[] = {0x40, 1, 1, 0};
	v_bytes(a, origin, 4);
	static struct vec p;
	p.n = 0;
	v_u8(&p, 2);
	v_u8(&p, np);
	for (unsigned i = 0; i < np; i++) {
		if (as2)
			v_u16(&p, path[i]);
		else
			v_u32(&p, path[i]);
	}
	v_attr(a, 0x40, 2, p.d, p.n);
	uint8_t b4[4] = {(uint8_t)(med >> 24), (uint8_t)(med >> 16), (uint8_t)(med >> 8), (uint8_t)med};
	v_attr(a, 0x80, 4, b4, 4);
	if (lp) {
		uint8_t l4[4] = {(uint8_t)(lp >> 24), (uint8_t)(lp >> 16), (uint8_t)(lp >> 8), (uint8_t)lp};
		v_attr(a, 0x40, 5, l4, 4);
	}
	if (nc) {
		p.n = 0;
		for (unsigned i = 0; i < nc; i++)
			v_u32(&p, c[i]);
		v_attr(a, 0xc0, 8, p.d, p.n);
	}
}

/* A Route Monitoring around the UPDATE in bm_upd */
static void bm_rm(struct vec *out, unsigned flags, const char *peer, uint32_t as)
{
	bm_body.n = 0;
	bm_peer(&bm_body, flags, peer, as);
	v_bytes(&bm_body, bm_upd.d, bm_upd.n);
	bm_wrap(out, OFD_BMP_ROUTE_MONITORING, &bm_body);
}

/* An IPv4 announcement of a.b.0.0/16 (path id pid when addpath >= 0) with next hop 192.0.2.1 */
static void bm_upd4(unsigned a, unsigned b, int pid, const uint32_t *path, unsigned np, int as2,
		    const uint32_t *c, unsigned nc, uint32_t med, uint32_t lp)
{
	bm_a.n = 0;
	bm_attrs(&bm_a, path, np, as2, c, nc, med, lp);
	static const uint8_t nh[] = {0x40, 3, 4, 192, 0, 2, 1};
	v_bytes(&bm_a, nh, sizeof(nh));
	bm_n.n = 0;
	if (pid >= 0)
		v_u32(&bm_n, (uint32_t)pid);
	v_u8(&bm_n, 16);
	v_u8(&bm_n, a);
	v_u8(&bm_n, b);
	v_update(&bm_upd, NULL, &bm_a, &bm_n);
}

static void send_all(int fd, const struct vec *m)
{
	assert_int_equal(send(fd, m->d, m->n, MSG_NOSIGNAL), (ssize_t)m->n);
}

static int bm_connect(unsigned port, const char *from)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	if (from) {
		inet_pton(AF_INET, from, &a.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* 1 when the station closed fd (bounded: 10 s) */
static int bm_closed(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c[64];
	return poll(&p, 1, 10000) == 1 && recv(fd, c, sizeof(c), 0) == 0;
}

#define BM_NDST 5
static const char *const BM_DST[BM_NDST] = {"10.1.2.3", "2001:db8:100::1", "10.2.0.1", "10.3.0.1",
					    "10.44.1.1"};

static struct ofd_batch *bm_flows(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, BM_NDST);
	for (int i = 0; i < BM_NDST; i++) {
		struct ofd_flow *f = &b->flows[i];
		assert_int_equal(ofd_ip_parse(&f->dst_addr, BM_DST[i]), 0);
		assert_int_equal(ofd_ip_parse(&f->src_addr, "203.0.113.130"), 0);
		assert_int_equal(ofd_ip_parse(&f->sampler_address, "127.0.0.1"), 0);
	}
	ofd_harness_process(h, b);
	return b;
}

/* Batches until the destinations with a route are exactly the bits of mask and flow i's
 * dst_as is want_as (when mask has bit i and want_as is not 0); bounded: 20 s. */
static struct ofd_batch *bm_wait(struct ofd_harness *h, unsigned mask, int i, uint32_t want_as)
{
	uint64_t t0 = ofd_time_mono_ns();
	for (;;) {
		struct ofd_batch *b = bm_flows(h);
		unsigned k = 0;
		for (int j = 0; j < BM_NDST; j++)
			k |= (unsigned)ofd_flow_has(&b->flows[j], OFD_F_DST_AS) << j;
		if (k == mask && (i < 0 || b->flows[i].dst_as == want_as))
			return b;
		if (ofd_time_mono_ns() - t0 > 20000000000ull)
			fail_msg("routes 0x%x, waited for 0x%x", k, mask);
		poll(NULL, 0, 10);
	}
}

static struct ofd_harness *bm_open_seg(unsigned port, const char *policy, const char *extra)
{
	char y[600], cfg[300];
	snprintf(y, sizeof(y),
		 "asn: 64500\nrouterid: 192.0.2.253\nsnapshotinterval: 50ms\n%s"
		 "bmp:\n  listen: 127.0.0.1\n  port: %u\n  policy: %s\n"
		 "routers:\n  - name: bmp\n    address: 127.0.0.1\n    asn: 64500\n"
		 "  - name: other\n    address: 192.0.2.99\n    asn: 64501\n",
		 extra, port, policy);
	st_write(st_path("bmp.yml"), y);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("bmp.yml"));
	return st_open(&ofd_seg_bgp, cfg);
}

#define BM(ev) ofd_harness_metric(h, "bgp_bmp_total", ev)

static void test_bmp_stream(void **state)
{
	(void)state;
	unsigned port = test_free_port(SOCK_STREAM);
	struct ofd_harness *h = bm_open_seg(port, "pre", "");
	int fd = bm_connect(port, NULL);
	/* Initiation */
	bm_body.n = 0;
	v_u16(&bm_body, 2);
	v_u16(&bm_body, 5);
	v_bytes(&bm_body, "edge1", 5);
	bm_wrap(&bm_msg, OFD_BMP_INITIATION, &bm_body);
	send_all(fd, &bm_msg);
	/* peer A 192.0.2.1 AS 64511, ADD-PATH for IPv4 */
	bm_peer_up(&bm_msg, "192.0.2.1", 64511, 1);
	send_all(fd, &bm_msg);
	const uint32_t p1[] = {64511, 65001}, p2[] = {64511, 64999, 65009},
		       c1[] = {64511u << 16 | 100, 64511u << 16 | 200};
	bm_upd4(10, 1, 2, p2, 3, 0, NULL, 0, 1, 0);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	bm_upd4(10, 1, 1, p1, 2, 0, c1, 2, 5, 150);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	/* IPv6 2001:db8:100::/48 via MP_REACH (no ADD-PATH for IPv6) */
	bm_a.n = 0;
	const uint32_t p6[] = {64511, 65002}, c6[] = {64511u << 16 | 6};
	bm_attrs(&bm_a, p6, 2, 0, c6, 1, 0, 0);
	static struct vec mp;
	mp.n = 0;
	v_u16(&mp, 2);
	v_u8(&mp, 1);
	v_u8(&mp, 16);
	static const uint8_t nh6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x66};
	v_bytes(&mp, nh6, 16);
	v_u8(&mp, 0);
	static const uint8_t pfx6[] = {48, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00};
	v_bytes(&mp, pfx6, sizeof(pfx6));
	v_attr(&bm_a, 0x90, 14, mp.d, mp.n);
	v_update(&bm_upd, NULL, &bm_a, NULL);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	/* post-policy 10.2.0.0/16: ignored under policy pre */
	bm_upd4(10, 2, 1, p1, 2, 0, NULL, 0, 0, 0);
	bm_rm(&bm_msg, OFD_BMP_F_L, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	/* peer B 192.0.2.2 AS 64512: no Peer Up, 2-byte ASNs (A flag) */
	const uint32_t pb[] = {64512, 65003};
	bm_upd4(10, 3, -1, pb, 2, 1, NULL, 0, 9, 0);
	bm_rm(&bm_msg, OFD_BMP_F_A, "192.0.2.2", 64512);
	send_all(fd, &bm_msg);
	/* a Statistics Report (counted) */
	bm_body.n = 0;
	bm_peer(&bm_body, 0, "192.0.2.1", 64511);
	v_u32(&bm_body, 1);
	v_u16(&bm_body, 0);
	v_u16(&bm_body, 4);
	v_u32(&bm_body, 3);
	bm_wrap(&bm_msg, OFD_BMP_STATS, &bm_body);
	send_all(fd, &bm_msg);

	struct ofd_batch *b = bm_wait(h, 0xb, -1, 0);
	const struct ofd_flow *f = &b->flows[0]; /* path id 1: the shorter AS path */
	assert_int_equal(f->as_path_len, 2);
	assert_int_equal(f->as_path[0], 64511);
	assert_int_equal(f->as_path[1], 65001);
	assert_int_equal(f->dst_as, 65001);
	assert_int_equal(f->next_hop_as, 64511);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(f->med, 5);
	assert_int_equal(f->local_pref, 150);
	assert_int_equal(f->bgp_communities.n, 2);
	assert_int_equal(f->bgp_communities.v[0], 64511u << 16 | 100);
	assert_int_equal(f->bgp_communities.v[1], 64511u << 16 | 200);
	char nh[OFD_IP_STRLEN];
	ofd_ip_str(&f->bgp_next_hop, nh);
	assert_string_equal(nh, "192.0.2.1");
	f = &b->flows[1];
	assert_int_equal(f->dst_as, 65002);
	assert_int_equal(f->dst_net, 48);
	assert_int_equal(f->as_path_len, 2);
	assert_int_equal(f->bgp_communities.n, 1);
	assert_int_equal(f->bgp_communities.v[0], 64511u << 16 | 6);
	ofd_ip_str(&f->bgp_next_hop, nh);
	assert_string_equal(nh, "2001:db8::66");
	assert_false(ofd_flow_has(&b->flows[2], OFD_F_DST_AS)); /* post-policy: ignored */
	f = &b->flows[3];
	assert_int_equal(f->dst_as, 65003);
	assert_int_equal(f->as_path_len, 2);
	assert_int_equal(f->as_path[0], 64512);
	assert_int_equal(f->med, 9);
	assert_false(ofd_flow_has(f, OFD_F_BGP_COMMUNITIES));
	/* withdraw path id 1 of 10.1.0.0/16 (ADD-PATH withdrawn routes): path id 2 takes over */
	bm_n.n = 0;
	v_u32(&bm_n, 1);
	v_u8(&bm_n, 16);
	v_u8(&bm_n, 10);
	v_u8(&bm_n, 1);
	v_update(&bm_upd, &bm_n, NULL, NULL);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	b = bm_wait(h, 0xb, 0, 65009);
	assert_int_equal(b->flows[0].as_path_len, 3);
	assert_int_equal(b->flows[0].med, 1);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_LOCAL_PREF));
	/* Peer Down of A (reason 4: remote closed without NOTIFICATION): only B's route stays */
	bm_body.n = 0;
	bm_peer(&bm_body, 0, "192.0.2.1", 64511);
	v_u8(&bm_body, 4);
	bm_wrap(&bm_msg, OFD_BMP_PEER_DOWN, &bm_body);
	send_all(fd, &bm_msg);
	b = bm_wait(h, 0x8, 3, 65003);
	ofd_harness_tick(h, 0);
	assert_int_equal(BM("connections"), 1);
	assert_int_equal(BM("initiation"), 1);
	assert_int_equal(BM("peer_up"), 1);
	assert_int_equal(BM("peer_down"), 1);
	assert_int_equal(BM("route_monitoring"), 6);
	assert_int_equal(BM("ignored_policy"), 1);
	assert_int_equal(BM("statistics"), 1);
	assert_int_equal(BM("messages"), 10);
	assert_int_equal(BM("malformed"), 0);
	assert_int_equal(ofd_harness_metric(h, "bgp_routes", "bmp"), 1);
	/* a Route Monitoring whose length lies: 6 + 42 + 10 says the header; an UPDATE does not fit */
	bm_body.n = 0;
	bm_peer(&bm_body, 0, "192.0.2.2", 64512);
	v_bytes(&bm_body, bm_upd.d, 10);
	bm_wrap(&bm_msg, OFD_BMP_ROUTE_MONITORING, &bm_body);
	send_all(fd, &bm_msg);
	assert_true(bm_closed(fd));
	close(fd);
	b = bm_wait(h, 0, -1, 0);
	assert_int_equal(BM("malformed"), 1);
	assert_int_equal(BM("closed"), 1);
	/* a stream cut inside a message: counted when the router closes */
	fd = bm_connect(port, NULL);
	bm_peer_up(&bm_msg, "192.0.2.1", 64511, 0);
	assert_int_equal(send(fd, bm_msg.d, 30, MSG_NOSIGNAL), 30);
	close(fd);
	uint64_t t0 = ofd_time_mono_ns();
	while (BM("closed") < 2 && ofd_time_mono_ns() - t0 < 10000000000ull)
		poll(NULL, 0, 5);
	assert_int_equal(BM("closed"), 2);
	assert_int_equal(BM("malformed"), 2);
	/* a new connection works: Peer Up without ADD-PATH, a route */
	fd = bm_connect(port, NULL);
	send_all(fd, &bm_msg);
	bm_upd4(10, 44, -1, p1, 2, 0, c1, 1, 0, 0);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	b = bm_wait(h, 0x10, 4, 65001);
	assert_int_equal(b->flows[4].bgp_communities.n, 1);
	/* not a router: refused */
	int fx = bm_connect(port, "127.0.0.9");
	assert_true(bm_closed(fx));
	close(fx);
	assert_int_equal(BM("refused_connections"), 1);
	/* Termination: closes, routes removed */
	bm_body.n = 0;
	v_u16(&bm_body, 1);
	v_u16(&bm_body, 2);
	v_u16(&bm_body, 0);
	bm_wrap(&bm_msg, OFD_BMP_TERMINATION, &bm_body);
	send_all(fd, &bm_msg);
	assert_true(bm_closed(fd));
	close(fd);
	bm_wait(h, 0, -1, 0);
	assert_int_equal(BM("termination"), 1);
	assert_int_equal(BM("connections"), 3);
	assert_int_equal(BM("malformed"), 2);
	ofd_harness_free(h);
}

static void test_bmp_post(void **state)
{
	(void)state;
	unsigned port = test_free_port(SOCK_STREAM);
	struct ofd_harness *h = bm_open_seg(port, "post", "maxroutes: 1\n");
	int fd = bm_connect(port, NULL);
	bm_peer_up(&bm_msg, "192.0.2.1", 64511, 0);
	send_all(fd, &bm_msg);
	const uint32_t pre[] = {64511, 65020}, post[] = {64511, 65021};
	bm_upd4(10, 1, -1, pre, 2, 0, NULL, 0, 0, 0);
	bm_rm(&bm_msg, 0, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	bm_upd4(10, 2, -1, post, 2, 0, NULL, 0, 0, 0);
	bm_rm(&bm_msg, OFD_BMP_F_L, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	struct ofd_batch *b = bm_wait(h, 0x4, 2, 65021);
	assert_int_equal(b->flows[2].as_path_len, 2);
	assert_int_equal(BM("ignored_policy"), 1);
	/* maxroutes 1: a second post-policy route is refused and counted */
	bm_upd4(10, 3, -1, post, 2, 0, NULL, 0, 0, 0);
	bm_rm(&bm_msg, OFD_BMP_F_L, "192.0.2.1", 64511);
	send_all(fd, &bm_msg);
	uint64_t t0 = ofd_time_mono_ns();
	while (ofd_harness_metric(h, "bgp_events_total", "routes_refused") < 1 &&
	       ofd_time_mono_ns() - t0 < 10000000000ull)
		poll(NULL, 0, 5);
	assert_int_equal(ofd_harness_metric(h, "bgp_events_total", "routes_refused"), 1);
	b = bm_wait(h, 0x4, 2, 65021);
	assert_false(ofd_flow_has(&b->flows[3], OFD_F_DST_AS));
	close(fd);
	bm_wait(h, 0, -1, 0); /* connection loss: routes removed */
	ofd_harness_free(h);
}

static void test_bmp_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "", cfg[600];
	const char *p = st_path("badbmp.yml");
	snprintf(cfg, sizeof(cfg), "{filename: %s}", p);
	const char *head = "asn: 64500\nrouterid: 192.0.2.1\nrouters:\n  - name: a\n    address: 192.0.2.3\n"
			   "    asn: 1\n";
	const struct {
		const char *bmp, *want;
	} bad[] = {
	    {"bmp: 127.0.0.1\n", "badbmp.yml:7: bmp: a map"},
	    {"bmp:\n  port: 1\n", "badbmp.yml:7: bmp: no listen address"},
	    {"bmp:\n  listen: 127.0.0.300\n", "badbmp.yml:8: bmp: listen: not an IP address"},
	    {"bmp:\n  listen: 127.0.0.1\n  port: 70000\n", "badbmp.yml:9: port: not a number"},
	    {"bmp:\n  listen: 127.0.0.1\n  policy: both\n", "badbmp.yml:9: bmp: policy: pre or post"},
	    {"bmp:\n  listen: 127.0.0.1\n  polcy: pre\n", "badbmp.yml:9: unknown key polcy"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char y[512];
		snprintf(y, sizeof(y), "%s%s", head, bad[i].bmp);
		st_write(p, y);
		assert_int_equal(ofd_harness_new(&h, &ofd_seg_bgp, cfg, err, sizeof(err)), OFD_ECONFIG);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got %s", bad[i].want, err);
	}
}

static const char BM_AFS[] =
    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "
    "\"ipv4-unicast\"\n"
    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "
    "\"ipv6-unicast\"\n";

static void test_bmp_gobgp(void **state)
{
	(void)state;
	if (access(GOBGPD_BIN, X_OK) || access(GOBGP_BIN, X_OK)) {
		skip();
		return;
	}
	unsigned port = test_free_port(SOCK_STREAM), bgp_port = test_free_port(SOCK_STREAM);
	struct ofd_harness *h = bm_open_seg(port, "pre", "");
	struct gobgp mon = {.api = test_free_port(SOCK_STREAM)}, up = {.api = test_free_port(SOCK_STREAM)};
	char c[2048], out[4096];
	/* the monitored router: listens on 127.0.0.1:bgp_port for its upstream, BMP to us */
	snprintf(
	    c, sizeof(c),
	    "[global.config]\n  as = 64501\n  router-id = \"192.0.2.251\"\n  port = %u\n"
	    "  local-address-list = [\"127.0.0.1\"]\n"
	    "[[bmp-servers]]\n  [bmp-servers.config]\n    address = \"127.0.0.1\"\n    port = %u\n"
	    "    route-monitoring-policy = \"pre-policy\"\n"
	    "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"127.0.0.2\"\n    peer-as = 64502\n"
	    "  [neighbors.transport.config]\n    passive-mode = true\n%s",
	    bgp_port, port, BM_AFS);
	gobgp_run(&mon, c);
	/* its upstream, AS 64502 from 127.0.0.2 */
	snprintf(
	    c, sizeof(c),
	    "[global.config]\n  as = 64502\n  router-id = \"192.0.2.252\"\n  port = -1\n"
	    "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"127.0.0.1\"\n    peer-as = 64501\n"
	    "  [neighbors.transport.config]\n    remote-port = %u\n    local-address = \"127.0.0.2\"\n"
	    "  [neighbors.timers.config]\n    connect-retry = 1\n%s",
	    bgp_port, BM_AFS);
	gobgp_run(&up, c);
	assert_int_equal(
	    gobgp_cli(&up,
		      "global rib add 10.44.0.0/16 aspath 65010,65011 med 12 community 65010:44,65010:45 "
		      "nexthop 192.0.2.44 -a ipv4",
		      out, sizeof(out)),
	    0);
	assert_int_equal(gobgp_cli(&up,
				   "global rib add 2001:db8:100::/48 aspath 65012 community 65012:6 nexthop "
				   "2001:db8::44 -a ipv6",
				   out, sizeof(out)),
			 0);
	struct ofd_batch *b = bm_wait(h, 0x12, -1, 0);
	const struct ofd_flow *f = &b->flows[4];
	assert_int_equal(f->as_path_len, 3); /* 64502 prepended on eBGP */
	assert_int_equal(f->as_path[0], 64502);
	assert_int_equal(f->as_path[1], 65010);
	assert_int_equal(f->as_path[2], 65011);
	assert_int_equal(f->dst_as, 65011);
	assert_int_equal(f->next_hop_as, 64502);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(f->med, 12);
	assert_int_equal(f->bgp_communities.n, 2);
	assert_int_equal(f->bgp_communities.v[0], 65010u << 16 | 44);
	assert_int_equal(f->bgp_communities.v[1], 65010u << 16 | 45);
	char nh[OFD_IP_STRLEN];
	ofd_ip_str(&f->bgp_next_hop, nh);
	assert_string_equal(nh, "192.0.2.44");
	f = &b->flows[1];
	assert_int_equal(f->as_path_len, 2);
	assert_int_equal(f->as_path[0], 64502);
	assert_int_equal(f->dst_as, 65012);
	assert_int_equal(f->dst_net, 48);
	assert_int_equal(f->bgp_communities.n, 1);
	assert_int_equal(f->bgp_communities.v[0], 65012u << 16 | 6);
	/* withdrawal */
	assert_int_equal(gobgp_cli(&up, "global rib del 10.44.0.0/16 -a ipv4", out, sizeof(out)), 0);
	bm_wait(h, 0x2, -1, 0);
	ofd_harness_tick(h, 0);
	assert_true(BM("peer_up") >= 1);
	assert_int_equal(BM("malformed"), 0);
	assert_int_equal(BM("update_errors"), 0);
	/* the monitored router stops: its BMP connection ends, its routes go */
	gobgp_stop(&mon);
	bm_wait(h, 0, -1, 0);
	assert_true(BM("closed") >= 1);
	gobgp_stop(&up);
	ofd_harness_free(h);
}

#endif
