/*
 * aslookup (src/segments/enrich/aslookup.c): origin AS and AS path from the real Route Views
 * RIB subset (../shared/data, facts in its README) and from MaxMind's GeoLite2-ASN and GeoIP2-ISP
 * test databases; every prefix's origin against bgpdump's reading of the same file; truncated,
 * corrupt and compressed files refused at start with the reason. Run as the ctest seg_aslookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/prefix.h"
#include "ofd/log.h"
#include "mrt_build.h"
#include "segtest.h"

static void write_bytes(const char *path, const uint8_t *b, size_t n);
static void compare_with_bgpdump(const char *file, size_t want_prefixes, size_t want_compared);

extern const struct ofd_segment_type ofd_seg_aslookup;

#define MRT "routeviews-jinx-rib-20140530-2200-subset.mrt"

static struct ofd_harness *open_cfg(const char *file, const char *type)
{
	char cfg[1400];
	snprintf(cfg, sizeof(cfg), "{filename: \"%s\", type: %s}", file, type);
	return st_open(&ofd_seg_aslookup, cfg);
}

static void set_ip(struct ofd_ip *ip, const char *s)
{
	if (ofd_ip_parse(ip, s) != 0)
		fail_msg("bad address %s", s);
}

struct want {
	const char *src, *dst;
	uint32_t src_as, dst_as;
	unsigned path_len;
	uint32_t path[4];
};

static void check(struct ofd_harness *h, const struct want *w, size_t n)
{
	struct ofd_batch *b = ofd_harness_batch(h, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		set_ip(&b->flows[i].src_addr, w[i].src);
		set_ip(&b->flows[i].dst_addr, w[i].dst);
	}
	ofd_harness_process(h, b);
	for (size_t i = 0; i < n; i++) {
		const struct ofd_flow *f = &b->flows[i];
		if (f->src_as != w[i].src_as || f->dst_as != w[i].dst_as)
			fail_msg("%s -> %s: AS %u -> %u, want %u -> %u", w[i].src, w[i].dst, f->src_as,
				 f->dst_as, w[i].src_as, w[i].dst_as);
		if (w[i].path_len) {
			assert_true(ofd_flow_has(f, OFD_F_AS_PATH));
			assert_int_equal(f->as_path_len, w[i].path_len);
			for (unsigned k = 0; k < w[i].path_len; k++)
				assert_int_equal(f->as_path[k], w[i].path[k]);
		}
	}
}

static void test_mrt_origins(void **state)
{
	(void)state;
	struct ofd_harness *h = open_cfg(st_data(MRT), "mrt");
	static const struct want w[] = {
	    {"8.8.8.8", "1.0.0.1", 15169, 15169, 2, {30844, 15169}},
	    {"4.1.2.3", "12.1.2.3", 3356, 7018, 0, {0}},
	    {"18.1.1.1", "17.1.2.3", 3, 714, 4, {30844, 6939, 2828, 714}},
	    {"31.13.64.1", "2c0f:ffc8:4000::1", 32934, 22355, 0, {0}},
	    /* longest match: the /22 (AS3741), not 23.42.0.0/20; 17.128.0.0/9 */
	    {"23.42.5.1", "17.253.144.10", 3741, 714, 0, {0}},
	};
	check(h, w, 5);
	/* outside the subset: the default routes are left out; a final AS_SET of one ASN is the
	   origin and stays out of the path */
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	set_ip(&b->flows[0].src_addr, "33.1.1.1");
	set_ip(&b->flows[0].dst_addr, "1.38.0.1");
	ofd_harness_process(h, b);
	assert_int_equal(b->flows[0].src_as, 0);
	assert_int_equal(b->flows[0].dst_as, 38266);
	assert_int_equal(b->flows[0].as_path_len, 5);
	assert_int_equal(b->flows[0].as_path[4], 38266);
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 1);
	assert_int_equal(ofd_harness_counter(h, "no_origin"), 0);
	assert_int_equal(ofd_harness_counter(h, "src_as_set"), 5);
	assert_int_equal(ofd_harness_counter(h, "dst_as_set"), 6);
	assert_int_equal(ofd_harness_counter(h, "as_path_set"), 6);
	ofd_harness_free(h);
}

/* What the exporter set stays: SrcAs/DstAs that are not 0, an AsPath that is there. */
static void test_mrt_keeps_exporter_values(void **state)
{
	(void)state;
	struct ofd_harness *h = open_cfg(st_data(MRT), "mrt");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	set_ip(&b->flows[0].src_addr, "8.8.8.8");
	set_ip(&b->flows[0].dst_addr, "12.1.2.3");
	b->flows[0].src_as = 64500;
	b->flows[0].as_path[0] = 64501;
	b->flows[0].as_path_len = 1;
	ofd_flow_set(&b->flows[0], OFD_F_AS_PATH);
	set_ip(&b->flows[1].src_addr, "8.8.8.8");
	set_ip(&b->flows[1].dst_addr, "12.1.2.3");
	b->flows[1].dst_as = 64502;
	ofd_batch_kill(b, 1); /* a dropped record is left alone */
	ofd_harness_process(h, b);
	assert_int_equal(b->flows[0].src_as, 64500);
	assert_int_equal(b->flows[0].dst_as, 7018);
	assert_int_equal(b->flows[0].as_path_len, 1);
	assert_int_equal(b->flows[0].as_path[0], 64501);
	assert_int_equal(b->flows[1].src_as, 0);
	assert_int_equal(b->flows[1].dst_as, 64502);
	assert_int_equal(b->flows[1].as_path_len, 0);
	ofd_harness_free(h);
}

/* ---- a file of our own: 2-byte AS_PATH with AS4_PATH, AS_SETs, IPv6, extended lengths ---- */

/* Tick h until its counter name reaches want (the reloader thread works in the background);
   a bounded wait of 20 s. */
static void wait_counter(struct ofd_harness *h, const char *name, uint64_t want)
{
	for (int i = 0; i < 20000; i++) {
		ofd_harness_tick(h, (uint64_t)i);
		if (ofd_harness_counter(h, name) >= want)
			return;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	fail_msg("%s did not reach %llu", name, (unsigned long long)want);
}

static void test_mrt_built(void **state)
{
	(void)state;
	static struct mb f, body, a, p, p4;
	memset(&f, 0, sizeof(f));
	/* PEER_INDEX_TABLE: peer 0 with a 2-byte AS, peer 1 with a 4-byte AS */
	body.n = 0;
	u32(&body, 0xc0000201);
	u16(&body, 4);
	put(&body, "view", 4);
	u16(&body, 2);
	u8(&body, 0);
	u32(&body, 0xc0000202);
	u32(&body, 0xc0000202);
	u16(&body, 64500);
	u8(&body, 2);
	u32(&body, 0xc0000203);
	u32(&body, 0xc0000203);
	u32(&body, 4200000000u);
	rec(&f, 1, &body);

	/* 192.0.2.0/24: AS_PATH of 2-byte ASNs with AS_TRANS, the real ones in AS4_PATH */
	static const uint32_t seq2[] = {64500, 23456, 23456}, seq4[] = {4200000001u, 4200000002u};
	body.n = a.n = p.n = p4.n = 0;
	rib_head(&body, 1, (const uint8_t *)"\xc0\x00\x02", 24, 1);
	seg(&p, 2, 2, seq2, 3);
	seg(&p4, 2, 4, seq4, 2);
	attr(&a, 2, &p, 0);
	attr(&a, 17, &p4, 1);
	entry(&body, 0, &a);
	rec(&f, 2, &body);

	/* 198.51.100.0/24: the first entry ends in an AS_SET of two, the second has an origin */
	static const uint32_t s1[] = {4200000000u, 64496}, set2[] = {64511, 64512},
			      s2[] = {4200000000u, 64497};
	body.n = 0;
	rib_head(&body, 2, (const uint8_t *)"\xc6\x33\x64", 24, 2);
	a.n = p.n = 0;
	seg(&p, 2, 4, s1, 2);
	seg(&p, 1, 4, set2, 2);
	attr(&a, 2, &p, 0);
	entry(&body, 1, &a);
	a.n = p.n = 0;
	seg(&p, 2, 4, s2, 2);
	attr(&a, 2, &p, 1);
	entry(&body, 1, &a);
	rec(&f, 2, &body);

	/* 203.0.113.0/24: only an AS_SET of two at the end: no origin */
	static const uint32_t s3[] = {4200000000u, 64510};
	body.n = a.n = p.n = 0;
	rib_head(&body, 3, (const uint8_t *)"\xcb\x00\x71", 24, 1);
	seg(&p, 2, 4, s3, 2);
	seg(&p, 1, 4, set2, 2);
	attr(&a, 2, &p, 0);
	entry(&body, 1, &a);
	rec(&f, 2, &body);

	/* 2001:db8::/32 (IPv6), a plain 2-byte path without AS4_PATH from peer 0 */
	static const uint32_t s4[] = {64500, 64499};
	body.n = a.n = p.n = 0;
	rib_head(&body, 4, (const uint8_t *)"\x20\x01\x0d\xb8", 32, 1);
	seg(&p, 2, 2, s4, 2);
	attr(&a, 2, &p, 0);
	entry(&body, 0, &a);
	rec(&f, 4, &body);

	/* 100.64.0.0/10 in an ADD-PATH record (RFC 8050: a path identifier after the time) */
	static const uint32_t s5[] = {4200000000u, 64505};
	body.n = a.n = p.n = 0;
	rib_head(&body, 5, (const uint8_t *)"\x64\x40", 10, 1);
	seg(&p, 2, 4, s5, 2);
	attr(&a, 2, &p, 0);
	u16(&body, 1);
	u32(&body, 1700000000);
	u32(&body, 7);
	u16(&body, (unsigned)a.n);
	put(&body, a.b, a.n);
	rec(&f, 8, &body);

	write_bytes(st_path("built.mrt"), f.b, f.n);
	struct ofd_harness *h = open_cfg(st_path("built.mrt"), "mrt");
	static const struct want w[] = {
	    {"192.0.2.1", "198.51.100.1", 4200000002u, 64497, 2, {4200000000u, 64497}},
	    {"2001:db8::1", "192.0.2.200", 64499, 4200000002u, 3, {64500, 4200000001u, 4200000002u}},
	    {"203.0.113.1", "203.0.113.9", 0, 0, 2, {4200000000u, 64510}},
	    {"100.64.1.1", "100.127.255.255", 64505, 64505, 2, {4200000000u, 64505}},
	};
	check(h, w, 4);
	assert_int_equal(ofd_harness_counter(h, "no_origin"), 2);

	/* SIGHUP: a corrupt file keeps the table; the Route Views file replaces it */
	write_bytes(st_path("built.mrt"), f.b, f.n - 3);
	ofd_reload_request();
	wait_counter(h, "reload_failed", 1);
	ofd_harness_tick(h, 1);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 0);
	check(h, w, 1);
	size_t len;
	uint8_t *m = (uint8_t *)st_slurp(st_data(MRT), &len);
	write_bytes(st_path("built.mrt"), m, len);
	free(m);
	ofd_reload_request();
	wait_counter(h, "reloads", 1); /* the reloader builds it, tick() swaps it in */
	assert_int_equal(ofd_harness_counter(h, "reload_failed"), 1);
	static const struct want after[] = {{"192.0.2.1", "8.8.8.8", 0, 15169, 2, {30844, 15169}}};
	check(h, after, 1);
	ofd_harness_free(h);
}

/* ---- the reviewer's cases: crafted files (also in fuzz/corpus/mrt/) ---- */

/* A PEER_INDEX_TABLE of n peers with 4-byte ASes 64500, 64501, ... */
static void mk_peers(struct mb *f, unsigned n)
{
	static struct mb body;
	body.n = 0;
	u32(&body, 0xc0000201);
	u16(&body, 0);
	u16(&body, n);
	for (unsigned i = 0; i < n; i++) {
		u8(&body, 2);
		u32(&body, 0x0a000001 + i);
		u32(&body, 0x0a000001 + i);
		u32(&body, 64500 + i);
	}
	rec(f, 1, &body);
}

/* A RIB record (sub 2/4 plain, 8/10 ADD-PATH) of one entry of peer with AS_PATH p (and
   AS4_PATH p4 when not NULL). */
static void mk_rib(struct mb *f, unsigned sub, const char *pfx, unsigned plen, unsigned peer,
		   const struct mb *p, const struct mb *p4)
{
	static struct mb body, a;
	struct ofd_prefix pp;
	char s[64];
	snprintf(s, sizeof(s), "%s/%u", pfx, plen);
	assert_int_equal(ofd_prefix_parse(&pp, s), 0);
	int v6 = sub == 4 || sub == 10;
	body.n = a.n = 0;
	rib_head(&body, 0, v6 ? pp.addr.b : pp.addr.b + 12, plen, 1);
	attr(&a, 2, p, p->n > 255);
	if (p4)
		attr(&a, 17, p4, p4->n > 255);
	u16(&body, peer);
	u32(&body, 1700000000);
	if (sub >= 8)
		u32(&body, 1); /* the path identifier */
	u16(&body, (unsigned)a.n);
	put(&body, a.b, a.n);
	rec(f, sub, &body);
}

static void path1(struct mb *p, unsigned type, uint32_t a, uint32_t b)
{
	const uint32_t as[] = {a, b};
	p->n = 0;
	seg(p, type, 4, as, 2);
}

/* Load file, look up dst for each of n addresses; want their DstAs. */
static struct ofd_harness *load_built(const char *name, const struct mb *f)
{
	write_bytes(st_path(name), f->b, f->n);
	return open_cfg(st_path(name), "mrt");
}

static uint32_t dst_as(struct ofd_harness *h, const char *dst, struct ofd_flow *out)
{
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	set_ip(&b->flows[0].dst_addr, dst);
	ofd_harness_process(h, b);
	if (out)
		*out = b->flows[0];
	return b->flows[0].dst_as;
}

/* 1: IPv6 routes never answer for IPv4 addresses: ::/8 and ::ffff:0:0/96 (the IPv4 default in
   disguise) are no IPv4 routes; an IPv6 prefix inside ::ffff:0:0/96 is left out. */
static void test_mrt_v6_not_v4(void **state)
{
	(void)state;
	static struct mb f, p;
	f.n = 0;
	mk_peers(&f, 1);
	path1(&p, 2, 64500, 111);
	mk_rib(&f, 2, "192.0.2.0", 24, 0, &p, NULL);
	path1(&p, 2, 64500, 64999);
	mk_rib(&f, 4, "::", 8, 0, &p, NULL);
	path1(&p, 2, 64500, 64998);
	mk_rib(&f, 4, "::ffff:0:0", 96, 0, &p, NULL);
	path1(&p, 2, 64500, 64997);
	mk_rib(&f, 4, "::ffff:10.0.0.0", 104, 0, &p, NULL);
	struct ofd_harness *h = load_built("v6v4.mrt", &f);
	assert_int_equal(dst_as(h, "192.0.2.1", NULL), 111);
	assert_int_equal(dst_as(h, "10.1.2.3", NULL), 0);
	assert_int_equal(dst_as(h, "::ffff:10.1.2.3", NULL), 0);
	assert_int_equal(dst_as(h, "198.51.100.1", NULL), 0);
	assert_int_equal(dst_as(h, "::1", NULL), 64999); /* IPv6 in ::/8 all the same */
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 3);
	ofd_harness_free(h);
}

/* 2: the origin of a path longer than anything kept (2295 ASNs, extended attribute length). */
static void test_mrt_long_path(void **state)
{
	(void)state;
	static struct mb f, p;
	static uint32_t as[255];
	f.n = p.n = 0;
	mk_peers(&f, 1);
	for (unsigned k = 0; k < 9; k++) {
		for (unsigned i = 0; i < 255; i++)
			as[i] = 100000 + k * 255 + i;
		if (k == 8)
			as[254] = 65001;
		seg(&p, 2, 4, as, 255);
	}
	mk_rib(&f, 2, "192.0.2.0", 24, 0, &p, NULL);
	struct ofd_harness *h = load_built("long.mrt", &f);
	struct ofd_flow fl;
	assert_int_equal(dst_as(h, "192.0.2.9", &fl), 65001);
	assert_int_equal(fl.as_path_len, OFD_AS_PATH_MAX);
	assert_int_equal(fl.as_path[0], 100000);
	assert_int_equal(fl.as_path[OFD_AS_PATH_MAX - 1], 100000 + OFD_AS_PATH_MAX - 1);
	ofd_harness_free(h);
}

/* 3: each AS_SET a segment of its own: 10 20 {30,31} {40} ends in the set {40}; a 2-byte
   {1,2} {3} 4 23456 with AS4_PATH 400000 5 is {1,2} {3} 400000 5 (RFC 6793 4.2.3). */
static void test_mrt_adjacent_sets(void **state)
{
	(void)state;
	static struct mb f, p, p4;
	f.n = p.n = p4.n = 0;
	mk_peers(&f, 1);
	static const uint32_t s10[] = {10, 20}, s30[] = {30, 31}, s40[] = {40};
	seg(&p, 2, 4, s10, 2);
	seg(&p, 1, 4, s30, 2);
	seg(&p, 1, 4, s40, 1);
	mk_rib(&f, 2, "203.0.113.0", 24, 0, &p, NULL);
	static const uint32_t s12[] = {1, 2}, s3[] = {3}, s4[] = {4, 23456}, a4[] = {400000, 5};
	p.n = 0;
	seg(&p, 1, 2, s12, 2);
	seg(&p, 1, 2, s3, 1);
	seg(&p, 2, 2, s4, 2);
	seg(&p4, 2, 4, a4, 2);
	mk_rib(&f, 2, "198.51.100.0", 24, 0, &p, &p4);
	struct ofd_harness *h = load_built("sets.mrt", &f);
	struct ofd_flow fl;
	assert_int_equal(dst_as(h, "203.0.113.1", &fl), 40);
	assert_int_equal(fl.as_path_len, 2);
	assert_int_equal(fl.as_path[0], 10);
	assert_int_equal(fl.as_path[1], 20);
	assert_int_equal(dst_as(h, "198.51.100.1", &fl), 5);
	assert_int_equal(fl.as_path_len, 2);
	assert_int_equal(fl.as_path[0], 400000);
	assert_int_equal(fl.as_path[1], 5);
	ofd_harness_free(h);
}

/* 4: a prefix in several records: the first entry with a defined origin wins over the file,
   as within one record (and as bgpdump's reading of the same file). */
static void test_mrt_dup_prefix(void **state)
{
	(void)state;
	static struct mb f, p;
	f.n = 0;
	mk_peers(&f, 2);
	path1(&p, 2, 64500, 111);
	mk_rib(&f, 2, "192.0.2.0", 24, 0, &p, NULL);
	path1(&p, 1, 7, 8); /* ends in a set of two: no origin */
	mk_rib(&f, 2, "198.51.100.0", 24, 1, &p, NULL);
	path1(&p, 1, 7, 8);
	mk_rib(&f, 8, "192.0.2.0", 24, 1, &p, NULL);
	path1(&p, 2, 64501, 222);
	mk_rib(&f, 8, "198.51.100.0", 24, 0, &p, NULL);
	path1(&p, 2, 64501, 333);
	mk_rib(&f, 2, "198.51.100.0", 24, 0, &p, NULL);
	struct ofd_harness *h = load_built("dup.mrt", &f);
	assert_int_equal(dst_as(h, "192.0.2.1", NULL), 111);
	assert_int_equal(dst_as(h, "198.51.100.1", NULL), 222);
	assert_int_equal(ofd_harness_counter(h, "no_origin"), 0);
	ofd_harness_free(h);
	compare_with_bgpdump(st_path("dup.mrt"), 2, 2);
}

static char logbuf[4096];
static void sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 1);
}

/* 5: a malformed AS4_PATH is ignored (RFC 6793 section 6): the 2-byte AS_PATH is the path, the
   file is read on, the start line counts it. */
static void test_mrt_bad_as4(void **state)
{
	(void)state;
	static struct mb f, p, p4;
	f.n = p.n = p4.n = 0;
	mk_peers(&f, 1);
	static const uint32_t s2[] = {64500, 64499}, bad[] = {400000};
	seg(&p, 2, 2, s2, 2);
	seg(&p4, 9, 4, bad, 1); /* no such segment type */
	mk_rib(&f, 2, "192.0.2.0", 24, 0, &p, &p4);
	p4.n = 0;
	u8(&p4, 2); /* a segment of 2 ASNs holding 1 */
	u8(&p4, 2);
	u32(&p4, 400000);
	mk_rib(&f, 2, "198.51.100.0", 24, 0, &p, &p4);
	path1(&p, 2, 64500, 111);
	mk_rib(&f, 2, "203.0.113.0", 24, 0, &p, NULL);
	write_bytes(st_path("as4.mrt"), f.b, f.n);
	logbuf[0] = 0;
	ofd_log_set_sink(sink, NULL);
	struct ofd_harness *h = open_cfg(st_path("as4.mrt"), "mrt");
	ofd_log_set_sink(NULL, NULL);
	if (!strstr(logbuf, "3 prefixes (0 without an origin") ||
	    !strstr(logbuf, "2 2-byte AS_PATHs, 0 AS4_PATHs merged, 2 malformed AS4_PATHs ignored"))
		fail_msg("start line: %s", logbuf);
	struct ofd_flow fl;
	assert_int_equal(dst_as(h, "192.0.2.1", &fl), 64499);
	assert_int_equal(fl.as_path_len, 2);
	assert_int_equal(fl.as_path[0], 64500);
	assert_int_equal(dst_as(h, "198.51.100.1", NULL), 64499);
	assert_int_equal(dst_as(h, "203.0.113.1", NULL), 111);
	ofd_harness_free(h);
}

/* 7: a SIGHUP during the first load is not lost (the generation is read before loading). */
static void hup_sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	int *armed = ctx;
	if (*armed && strstr(line, " prefixes (")) { /* the start line: the table is loaded */
		*armed = 0;
		ofd_reload_request();
	}
}

static void test_mrt_hup_during_load(void **state)
{
	(void)state;
	int armed = 1;
	ofd_log_set_sink(hup_sink, &armed);
	struct ofd_harness *h = open_cfg(st_data(MRT), "mrt");
	ofd_log_set_sink(NULL, NULL);
	assert_int_equal(armed, 0);
	wait_counter(h, "reloads", 1);
	assert_int_equal(ofd_harness_counter(h, "reload_failed"), 0);
	ofd_harness_free(h);
}

/* ---- every prefix against bgpdump ---- */

struct ref {
	struct ofd_prefix p;
	uint32_t origin; /* 0: none */
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = memcmp(x->p.addr.b, y->p.addr.b, 16);
	return c ? c : (int)x->p.len - (int)y->p.len;
}

/* bgpdump's origin of a path: the last token, a number or a set of one ("{X}"); 0 else. */
static uint32_t path_origin(const char *path)
{
	const char *t = strrchr(path, ' ');
	t = t ? t + 1 : path;
	if (*t == '{') {
		if (strchr(t, ','))
			return 0;
		t++;
	}
	return (uint32_t)strtoul(t, NULL, 10);
}

struct line_ref {
	struct ref r;
	size_t order; /* its line in bgpdump's output */
};

static int line_cmp(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;
	int c = ref_cmp(&x->r, &y->r);
	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Every prefix of file looked up at its network address against bgpdump -m's reading of it:
 * TABLE_DUMP2 and TABLE_DUMP2_AP (ADD-PATH, a path identifier before the path) lines, the
 * first entry of a prefix with an origin in file order, else none.
 */
static void compare_with_bgpdump(const char *file, size_t want_prefixes, size_t want_compared)
{
	char cmd[1200];
	if (system("command -v bgpdump >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "bgpdump -m '%s' 2>/dev/null", file);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1024, nl = 0;
	struct line_ref *l = calloc(cap, sizeof(*l));
	assert_non_null(l);
	char line[4096];
	while (fgets(line, sizeof(line), p)) {
		char *f[9] = {0};
		char *s = line;
		for (int i = 0; i < 9 && s; i++) {
			f[i] = s;
			s = strchr(s, '|');
			if (s)
				*s++ = 0;
		}
		int ap = strcmp(f[0], "TABLE_DUMP2_AP") == 0;
		if (!ap && strcmp(f[0], "TABLE_DUMP2") != 0)
			continue;
		const char *path = ap ? f[7] : f[6];
		if (!path)
			continue;
		if (nl == cap) {
			cap *= 2;
			l = realloc(l, cap * sizeof(*l));
			assert_non_null(l);
		}
		assert_int_equal(ofd_prefix_parse(&l[nl].r.p, f[5]), 0);
		l[nl].r.origin = path_origin(path);
		l[nl].order = nl;
		nl++;
	}
	assert_int_equal(pclose(p), 0);
	qsort(l, nl, sizeof(*l), line_cmp);
	struct ref *r = calloc(nl + 1, sizeof(*r));
	assert_non_null(r);
	size_t n = 0;
	for (size_t i = 0; i < nl; i++) {
		if (n && ref_cmp(&r[n - 1], &l[i].r) == 0) { /* the same prefix again */
			if (!r[n - 1].origin)
				r[n - 1].origin = l[i].r.origin;
			continue;
		}
		r[n++] = l[i].r;
	}
	free(l);
	assert_int_equal(n, want_prefixes);
	struct ofd_harness *h = open_cfg(file, "mrt");
	size_t compared = 0, i = 0;
	while (i < n) {
		struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
		size_t idx[OFD_BATCH_CAP], m = 0;
		for (; i < n && m < OFD_BATCH_CAP; i++) {
			/* the network address is this prefix's own unless a longer one starts there; the
			   default routes are left out on purpose */
			if ((i + 1 < n && memcmp(r[i + 1].p.addr.b, r[i].p.addr.b, 16) == 0) ||
			    r[i].p.len == 0 || (r[i].p.len == 96 && r[i].p.addr.family == OFD_AF_INET))
				continue;
			b->flows[m].dst_addr = r[i].p.addr;
			b->flows[m].src_addr = r[i].p.addr;
			idx[m++] = i;
		}
		b->n = (uint32_t)m;
		ofd_harness_process(h, b);
		for (size_t k = 0; k < m; k++) {
			const struct ref *x = &r[idx[k]];
			if (b->flows[k].dst_as != x->origin || b->flows[k].src_as != x->origin) {
				char ps[OFD_PREFIX_STRLEN];
				ofd_prefix_str(&x->p, ps);
				fail_msg("%s: AS %u/%u, bgpdump's origin %u", ps, b->flows[k].src_as,
					 b->flows[k].dst_as, x->origin);
			}
			compared++;
		}
	}
	print_message("%s: compared %zu of %zu prefixes with bgpdump\n", file, compared, n);
	assert_true(compared >= want_compared);
	ofd_harness_free(h);
	free(r);
}

static void test_mrt_against_bgpdump(void **state)
{
	(void)state;
	compare_with_bgpdump(st_data(MRT), 25438, 24000); /* the README's distinct prefixes */
}

/* ---- type: db ---- */

static void test_db_asn(void **state)
{
	(void)state;
	static const struct want w[] = {
	    {"1.128.0.1", "12.81.92.1", 1221, 7018, 0, {0}},
	    {"12.81.96.1", "18.1.2.3", 7018, 3, 0, {0}}, /* no organization: the number all the same */
	    {"2600:6000::1", "1.1.1.1", 237, 0, 0, {0}},
	};
	for (int cache = 0; cache < 2; cache++) {
		char cfg[1400];
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\", type: db, cachesize: %d}",
			 st_data("GeoLite2-ASN-Test.mmdb"), cache ? 1024 : 0);
		struct ofd_harness *h = st_open(&ofd_seg_aslookup, cfg);
		check(h, w, 3);
		check(h, w, 3); /* again: from the cache when there is one */
		assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
		assert_int_equal(ofd_harness_counter(h, "src_as_set"), 6);
		assert_int_equal(ofd_harness_counter(h, "dst_as_set"), 4);
		ofd_harness_free(h);
	}
	/* the ISP database has the number too */
	struct ofd_harness *h = open_cfg(st_data("GeoIP2-ISP-Test.mmdb"), "db");
	static const struct want isp[] = {{"1.128.0.1", "12.81.96.1", 1221, 7018, 0, {0}},
					  {"18.1.2.3", "1.1.1.1", 3, 0, 0, {0}}};
	check(h, isp, 2);
	ofd_harness_free(h);
}

/* ---- refused at start ---- */

static void refused(const char *file, const char *type, const char *reason)
{
	char cfg[1400], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{filename: \"%s\", type: %s}", file, type);
	struct ofd_harness *h = NULL;
	logbuf[0] = 0;
	ofd_log_set_sink(sink, NULL);
	int rc = ofd_harness_new(&h, &ofd_seg_aslookup, cfg, err, sizeof(err));
	ofd_log_set_sink(NULL, NULL);
	assert_int_not_equal(rc, 0);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment aslookup: ");
	if (!strstr(logbuf, reason))
		fail_msg("log \"%s\" does not say \"%s\"", logbuf, reason);
}

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void test_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *m = (uint8_t *)st_slurp(st_data(MRT), &len);
	assert_true(len > 100000);
	/* cut in the middle of a record */
	write_bytes(st_path("cut.mrt"), m, len - 7);
	refused(st_path("cut.mrt"), "mrt",
		"record body past the end of the file (truncated) at record 25438");
	write_bytes(st_path("hdr.mrt"), m, 5);
	refused(st_path("hdr.mrt"), "mrt", "truncated record header at record 0 (byte 0)");
	/* the first RIB record's prefix length (after the PEER_INDEX_TABLE) made 33 */
	uint32_t pit = (uint32_t)m[8] << 24 | (uint32_t)m[9] << 16 | (uint32_t)m[10] << 8 | m[11];
	size_t rib = 12 + pit;
	uint8_t *bad = malloc(len);
	assert_non_null(bad);
	memcpy(bad, m, len);
	bad[rib + 12 + 4] = 33;
	write_bytes(st_path("bad.mrt"), bad, len);
	char want[128];
	snprintf(want, sizeof(want), "prefix length out of range at record 1 (byte %zu)", rib);
	refused(st_path("bad.mrt"), "mrt", want);
	/* a RIB record first */
	write_bytes(st_path("nopeers.mrt"), m + rib, len - rib);
	refused(st_path("nopeers.mrt"), "mrt", "RIB record before the PEER_INDEX_TABLE at record 0");
	/* the PEER_INDEX_TABLE alone */
	write_bytes(st_path("peers.mrt"), m, rib);
	refused(st_path("peers.mrt"), "mrt", "no routes (1 MRT records");
	write_bytes(st_path("gz.mrt"), (const uint8_t *)"\x1f\x8b\x08\x00rest", 8);
	refused(st_path("gz.mrt"), "mrt", "gzip-compressed: decompress the MRT file first");
	write_bytes(st_path("empty.mrt"), m, 0);
	refused(st_path("empty.mrt"), "mrt", "empty file");
	refused(st_path("absent.mrt"), "mrt", "absent.mrt: cannot open: No such file or directory");
	/* an MRT file is not an mmdb, and a truncated mmdb is refused */
	refused(st_data(MRT), "db", "not a usable MaxMind DB");
	size_t dl;
	uint8_t *db = (uint8_t *)st_slurp(st_data("GeoLite2-ASN-Test.mmdb"), &dl);
	write_bytes(st_path("cut.mmdb"), db, dl / 2);
	refused(st_path("cut.mmdb"), "db", "cut.mmdb: not a usable MaxMind DB (truncated or corrupt?)");
	free(db);
	free(bad);
	free(m);
}

/* config: an unknown type is refused before anything is opened */
static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_not_equal(
	    ofd_harness_new(&h, &ofd_seg_aslookup, "{filename: x.mrt, type: rib}", err, sizeof(err)), 0);
	st_assert_prefix(err, "test.yml:1: segment aslookup: key type: ");
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_aslookup, "{type: mrt}", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "filename"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mrt_origins),
	    cmocka_unit_test(test_mrt_keeps_exporter_values),
	    cmocka_unit_test(test_mrt_built),
	    cmocka_unit_test(test_mrt_against_bgpdump),
	    cmocka_unit_test(test_mrt_v6_not_v4),
	    cmocka_unit_test(test_mrt_long_path),
	    cmocka_unit_test(test_mrt_adjacent_sets),
	    cmocka_unit_test(test_mrt_dup_prefix),
	    cmocka_unit_test(test_mrt_bad_as4),
	    cmocka_unit_test(test_mrt_hup_during_load),
	    cmocka_unit_test(test_db_asn),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
