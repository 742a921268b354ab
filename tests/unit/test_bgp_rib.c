/*
 * net/bgp_rib: interning (one attribute set per distinct set, freed with its last route),
 * ADD-PATH paths and the best-path rule, withdrawals, graceful-restart stale marking and
 * sweeping, the path cap, snapshots (lookups through the lpm, the swap for the reader thread,
 * retired snapshots freed by the writer), RFC 7606 treat-as-withdraw through ofd_bgp_rib_apply,
 * feeds (session and BMP-monitored peers) tagged in the path id and removed or staled apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "net/bgp_rib.h"

static struct ofd_bgp_update U;

/* An update with a path of n ASNs (1000.., ending in origin), local pref lp (0: none), med. */
static const struct ofd_bgp_update *upd(unsigned n, uint32_t origin, uint32_t lp, uint32_t med,
					const uint8_t *comms, unsigned ncomms)
{
	memset(&U, 0, sizeof(U));
	U.attrs = 1u << OFD_BGP_ATTR_ORIGIN | 1u << OFD_BGP_ATTR_AS_PATH | 1u << OFD_BGP_ATTR_NEXT_HOP;
	for (unsigned i = 0; i + 1 < n; i++)
		U.path.asn[i] = 1000 + i;
	U.path.asn[n - 1] = origin;
	U.path.n_asn = (uint16_t)n;
	U.path.n_seg = 1;
	U.path.seg[0] = (struct ofd_bgp_seg){OFD_BGP_AS_SEQUENCE, (uint8_t)n, 0};
	U.path.origin_ok = 1;
	U.path.origin_as = origin;
	U.next_hop = 0xc0000201; /* 192.0.2.1 */
	if (lp) {
		U.attrs |= 1u << OFD_BGP_ATTR_LOCAL_PREF;
		U.local_pref = lp;
	}
	U.attrs |= 1u << OFD_BGP_ATTR_MED;
	U.med = med;
	U.comms = comms;
	U.n_comms = (uint16_t)ncomms;
	if (ncomms)
		U.attrs |= 1u << OFD_BGP_ATTR_COMMUNITIES;
	return &U;
}

static struct ofd_prefix pfx(const char *s)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, s), 0);
	return p;
}

static uint32_t look(struct ofd_bgp_rib *r, const char *addr, uint8_t *plen)
{
	const struct ofd_bgp_snap *s = ofd_bgp_rib_current(r);
	assert_non_null(s);
	struct ofd_ip ip;
	assert_int_equal(ofd_ip_parse(&ip, addr), 0);
	uint32_t v;
	if (!ofd_lpm_lookup(s->lpm, &ip, &v))
		return 0;
	const struct ofd_bgp_attrs *a = ofd_bgp_snap_attrs(s, v, plen);
	return a->origin_as;
}

static void test_intern(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	static const uint8_t c[8] = {0xfb, 0xf4, 0, 1, 0xff, 0xff, 0x02, 0x9a}; /* 64500:1 65535:666 */
	struct ofd_prefix a = pfx("10.1.0.0/16"), b = pfx("10.2.0.0/16"), c6 = pfx("2001:db8::/32");
	assert_int_equal(ofd_bgp_rib_announce(r, &a, 0, upd(3, 64496, 200, 10, c, 2)), 1);
	assert_int_equal(ofd_bgp_rib_announce(r, &b, 0, upd(3, 64496, 200, 10, c, 2)), 1);
	uint64_t sets;
	assert_int_equal(ofd_bgp_rib_paths(r, &sets), 2);
	assert_int_equal(sets, 1); /* the same set, stored once */
	const struct ofd_bgp_attrs *x = ofd_bgp_rib_best(r, &a);
	assert_ptr_equal(x, ofd_bgp_rib_best(r, &b));
	assert_int_equal(x->n_path, 3);
	assert_int_equal(ofd_bgp_attrs_path(x)[2], 64496);
	assert_int_equal(x->n_comms, 2);
	assert_int_equal(ofd_bgp_attrs_comms(x)[0], 64500u << 16 | 1);
	assert_int_equal(ofd_bgp_attrs_comms(x)[1], 65535u << 16 | 666);
	assert_int_equal(x->local_pref, 200);
	assert_int_equal(x->next_hop.b[15], 1);
	/* another MED: another set (the IPv6 route has no IPv4 NEXT_HOP: no next hop) */
	assert_int_equal(ofd_bgp_rib_announce(r, &c6, 0, upd(3, 64496, 200, 11, c, 2)), 1);
	ofd_bgp_rib_paths(r, &sets);
	assert_int_equal(sets, 2);
	assert_int_equal(ofd_bgp_rib_best(r, &c6)->next_hop.family, 0);
	/* re-announcing b with MED 11 (IPv4 next hop: a third set); the first one is still a's */
	assert_int_equal(ofd_bgp_rib_announce(r, &b, 0, upd(3, 64496, 200, 11, c, 2)), 1);
	assert_int_equal(ofd_bgp_rib_paths(r, &sets), 3);
	assert_int_equal(sets, 3);
	assert_int_equal(ofd_bgp_rib_withdraw(r, &a, 0), 1);
	assert_int_equal(ofd_bgp_rib_withdraw(r, &a, 0), 0);
	assert_int_equal(ofd_bgp_rib_paths(r, &sets), 2);
	assert_int_equal(sets, 2); /* a's set freed with its last route */
	assert_null(ofd_bgp_rib_best(r, &a));
	ofd_bgp_rib_free(r);
}

static void test_addpath_best(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	struct ofd_prefix p = pfx("198.51.100.0/24");
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 7, upd(2, 1, 100, 0, NULL, 0)), 1);
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 3, upd(4, 2, 100, 0, NULL, 0)), 1); /* longer path */
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 1);
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 9, upd(5, 3, 150, 0, NULL, 0)), 1); /* higher LP wins */
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 3);
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 2, upd(2, 4, 0, 5, NULL, 0)), 1); /* LP absent = 100 */
	assert_int_equal(ofd_bgp_rib_withdraw(r, &p, 9), 1);
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 1);			 /* MED 0 < 5 */
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 1, upd(2, 5, 100, 0, NULL, 0)), 1); /* tie: lowest id */
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 5);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 4);
	/* many paths of one prefix (the extra array grows) */
	for (uint32_t id = 100; id < 140; id++)
		assert_int_equal(ofd_bgp_rib_announce(r, &p, id, upd(6, id, 100, 0, NULL, 0)), 1);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 44);
	for (uint32_t id = 100; id < 140; id++)
		assert_int_equal(ofd_bgp_rib_withdraw(r, &p, id), 1);
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 5);
	ofd_bgp_rib_free(r);
}

static void test_snapshots(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	struct ofd_prefix a = pfx("10.0.0.0/8"), b = pfx("10.1.0.0/24"), c = pfx("2001:db8::/32");
	assert_int_equal(ofd_bgp_rib_announce(r, &a, 0, upd(2, 64501, 0, 0, NULL, 0)), 1);
	assert_int_equal(ofd_bgp_rib_announce(r, &b, 0, upd(2, 64502, 0, 0, NULL, 0)), 1);
	assert_int_equal(ofd_bgp_rib_announce(r, &c, 0, upd(2, 64503, 0, 0, NULL, 0)), 1);
	assert_null(ofd_bgp_rib_current(r));
	assert_int_equal(ofd_bgp_rib_publish(r, 0), 1);
	assert_int_equal(ofd_bgp_rib_publish(r, 0), 0); /* nothing changed */
	assert_null(ofd_bgp_rib_current(r));		/* not adopted yet */
	ofd_bgp_rib_adopt(r);
	uint8_t plen;
	assert_int_equal(look(r, "10.1.0.77", &plen), 64502);
	assert_int_equal(plen, 96 + 24);
	assert_int_equal(look(r, "10.2.0.1", &plen), 64501);
	assert_int_equal(plen, 96 + 8);
	assert_int_equal(look(r, "2001:db8:1::1", &plen), 64503);
	assert_int_equal(plen, 32);
	assert_int_equal(look(r, "11.0.0.1", &plen), 0);
	/* a withdrawal reaches the reader with the next snapshot only */
	const struct ofd_bgp_snap *s1 = ofd_bgp_rib_current(r);
	assert_int_equal(ofd_bgp_rib_withdraw(r, &b, 0), 1);
	assert_true(ofd_bgp_rib_dirty(r));
	assert_int_equal(look(r, "10.1.0.77", &plen), 64502);
	assert_int_equal(ofd_bgp_rib_publish(r, 0), 1);
	assert_int_equal(ofd_bgp_rib_publish(r, 1), 1); /* replaces the one not taken (freed) */
	ofd_bgp_rib_adopt(r);
	assert_ptr_not_equal(ofd_bgp_rib_current(r), s1); /* s1 retired, still allocated */
	assert_int_equal(look(r, "10.1.0.77", &plen), 64501);
	ofd_bgp_rib_reap(r); /* s1 freed: its attribute set too (its last reference) */
	uint64_t sets;
	ofd_bgp_rib_paths(r, &sets);
	assert_int_equal(sets, 2);
	struct ofd_bgp_rib_stats stt;
	ofd_bgp_rib_stats(r, &stt);
	assert_int_equal(stt.prefixes, 2);
	assert_int_equal(stt.snapshots, 3);
	assert_true(stt.snap_bytes > 0);
	ofd_bgp_rib_free(r);
}

static void test_stale_cap(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 3), 0);
	struct ofd_prefix p[4] = {pfx("10.0.0.0/8"), pfx("10.1.0.0/16"), pfx("10.2.0.0/16"),
				  pfx("10.3.0.0/16")};
	for (int i = 0; i < 4; i++)
		assert_int_equal(ofd_bgp_rib_announce(r, &p[i], 0, upd(2, 10 + (uint32_t)i, 0, 0, NULL, 0)),
				 i < 3);
	struct ofd_bgp_rib_stats s;
	ofd_bgp_rib_stats(r, &s);
	assert_int_equal(s.refused_cap, 1);
	assert_int_equal(ofd_bgp_rib_mark_stale(r), 3);
	assert_int_equal(ofd_bgp_rib_announce(r, &p[1], 0, upd(2, 11, 0, 0, NULL, 0)), 1); /* refreshed */
	assert_int_equal(ofd_bgp_rib_sweep_stale(r), 2);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 1);
	assert_non_null(ofd_bgp_rib_best(r, &p[1]));
	assert_null(ofd_bgp_rib_best(r, &p[0]));
	ofd_bgp_rib_clear(r);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 0);
	ofd_bgp_rib_free(r);
}

/* Many prefixes: growth, deletion with backward shift, everything findable. */
static void test_many(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	struct ofd_prefix p;
	memset(&p, 0, sizeof(p));
	p.addr.family = OFD_AF_INET;
	p.addr.b[10] = p.addr.b[11] = 0xff;
	p.len = 96 + 24;
	for (uint32_t i = 0; i < 20000; i++) {
		p.addr.b[12] = (uint8_t)(i >> 16);
		p.addr.b[13] = (uint8_t)(i >> 8);
		p.addr.b[14] = (uint8_t)i;
		assert_int_equal(ofd_bgp_rib_announce(r, &p, 0, upd(2, i % 100 + 1, 0, 0, NULL, 0)), 1);
	}
	for (uint32_t i = 0; i < 20000; i += 2) {
		p.addr.b[12] = (uint8_t)(i >> 16);
		p.addr.b[13] = (uint8_t)(i >> 8);
		p.addr.b[14] = (uint8_t)i;
		assert_int_equal(ofd_bgp_rib_withdraw(r, &p, 0), 1);
	}
	uint64_t sets;
	assert_int_equal(ofd_bgp_rib_paths(r, &sets), 10000);
	assert_int_equal(sets, 50); /* odd origins only */
	for (uint32_t i = 1; i < 20000; i += 2) {
		p.addr.b[12] = (uint8_t)(i >> 16);
		p.addr.b[13] = (uint8_t)(i >> 8);
		p.addr.b[14] = (uint8_t)i;
		const struct ofd_bgp_attrs *a = ofd_bgp_rib_best(r, &p);
		assert_non_null(a);
		assert_int_equal(a->origin_as, i % 100 + 1);
	}
	assert_int_equal(ofd_bgp_rib_publish(r, 0), 1);
	ofd_bgp_rib_adopt(r);
	uint8_t plen;
	assert_int_equal(look(r, "0.0.3.9", &plen), 3 % 100 + 1); /* 0.0.3.0/24 is i = 3 */
	assert_int_equal(look(r, "0.0.4.9", &plen), 0);		  /* 1024 withdrawn */
	ofd_bgp_rib_free(r);
}

/* treat-as-withdraw removes the NLRI's prefixes */
static void test_apply_taw(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	struct ofd_prefix p = pfx("192.0.2.0/24");
	assert_int_equal(ofd_bgp_rib_announce(r, &p, 0, upd(2, 1, 0, 0, NULL, 0)), 1);
	static const uint8_t nlri[4] = {24, 192, 0, 2};
	upd(2, 1, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri, 4, 1, 1, 0, 1};
	U.outcome = OFD_BGP_TREAT_AS_WITHDRAW;
	assert_int_equal(ofd_bgp_rib_apply(r, &U), 1);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 0);
	U.outcome = OFD_BGP_OK;
	assert_int_equal(ofd_bgp_rib_apply(r, &U), 1);
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 1);
	ofd_bgp_rib_free(r);
}

/* feeds: the session (0) and two BMP-monitored peers share prefixes; each leaves alone */
static void test_feeds(void **st)
{
	(void)st;
	struct ofd_bgp_rib *r;
	assert_int_equal(ofd_bgp_rib_new(&r, 0), 0);
	struct ofd_prefix p = pfx("192.0.2.0/24"), q = pfx("198.51.100.0/24");
	static const uint8_t nlri[8] = {24, 192, 0, 2, 24, 198, 51, 100};
	/* session: 2-hop path to both; peer 1: 1 hop to both (best); peer 2: 3 hops, ADD-PATH id
	   0x100007 (cut to 0x7 under feed 2) */
	upd(2, 1, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri, 8, 1, 1, 0, 2};
	assert_int_equal(ofd_bgp_rib_apply_src(r, &U, 0), 2);
	upd(1, 2, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri, 8, 1, 1, 0, 2};
	assert_int_equal(ofd_bgp_rib_apply_src(r, &U, 1), 2);
	static const uint8_t nlri_ap[8] = {0, 0x10, 0, 7, 24, 192, 0, 2};
	upd(3, 3, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri_ap, 8, 1, 1, 1, 1};
	assert_int_equal(ofd_bgp_rib_apply_src(r, &U, 2), 1);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 5);
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 2);
	assert_int_equal(ofd_bgp_rib_withdraw(r, &p, 2u << OFD_BGP_RIB_SRC_SHIFT | 7), 1);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 4);
	/* peer 1 down: the session's paths are best again */
	assert_int_equal(ofd_bgp_rib_remove_src(r, 1), 2);
	assert_int_equal(ofd_bgp_rib_best(r, &q)->origin_as, 1);
	/* the session's paths stale (graceful restart) and swept: the BMP feeds' untouched */
	upd(1, 4, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri, 8, 1, 1, 0, 2};
	assert_int_equal(ofd_bgp_rib_apply_src(r, &U, 3), 2);
	assert_int_equal(ofd_bgp_rib_mark_stale_src(r, 0), 2);
	assert_int_equal(ofd_bgp_rib_sweep_stale(r), 2);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 2);
	assert_int_equal(ofd_bgp_rib_best(r, &p)->origin_as, 4);
	/* the session back, then every BMP feed gone in one pass */
	upd(2, 1, 0, 0, NULL, 0);
	U.nlri = (struct ofd_bgp_nlri){nlri, 8, 1, 1, 0, 2};
	assert_int_equal(ofd_bgp_rib_apply_src(r, &U, 0), 2);
	assert_int_equal(ofd_bgp_rib_remove_src(r, OFD_BGP_RIB_SRC_ANY), 2);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 2);
	assert_int_equal(ofd_bgp_rib_best(r, &q)->origin_as, 1);
	assert_int_equal(ofd_bgp_rib_remove_src(r, 0), 2);
	assert_int_equal(ofd_bgp_rib_paths(r, NULL), 0);
	ofd_bgp_rib_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intern),    cmocka_unit_test(test_addpath_best),
	    cmocka_unit_test(test_snapshots), cmocka_unit_test(test_stale_cap),
	    cmocka_unit_test(test_many),      cmocka_unit_test(test_apply_taw),
	    cmocka_unit_test(test_feeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
