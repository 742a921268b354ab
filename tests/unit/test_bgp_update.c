/*
 * BGP UPDATE parsing (src/net/bgp_update.c) on vectors built here field by field: every field,
 * MP_REACH with IPv6 global + link-local next hops, ADD-PATH, the RFC 6793 AS4_PATH merge,
 * each RFC 7606 outcome with a concrete message, End-of-RIB, extended messages, long paths,
 * and a valid UPDATE cut at every length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bgp_vec.h"
#include "net/bgp_msg.h"
#include "ofd/err.h"
#include "ofd/rd.h"

static const struct ofd_bgp_sess S_IBGP4 = {.as4 = 1, .ibgp = 1};
static const struct ofd_bgp_sess S_EBGP4 = {.as4 = 1};
static const struct ofd_bgp_sess S_EBGP2 = {.as4 = 0};

static struct ofd_bgp_update U; /* big: keep it off the stack */

static void seed_update(const char *name, const struct ofd_bgp_sess *s, const struct vec *m)
{
	static uint8_t b[70001];
	b[0] = (uint8_t)(s->as4 | s->addpath_v4 << 1 | s->addpath_v6 << 2 | s->ibgp << 3 | s->ext_msg << 4);
	memcpy(b + 1, m->d, m->n);
	vec_seed(name, b, m->n + 1);
}

/* Parse m for session s and require outcome OK, printing the reason otherwise. */
static void parse_ok(const struct ofd_bgp_sess *s, const struct vec *m)
{
	enum ofd_bgp_outcome o = ofd_bgp_update_parse(m->d, m->n, s, &U);
	if (o != OFD_BGP_OK)
		print_error("%s %u/%u: %s\n", ofd_bgp_outcome_name(o), U.err.code, U.err.subcode,
			    U.err.reason);
	assert_int_equal(o, OFD_BGP_OK);
}

static void pfx_str(const struct ofd_prefix *p, char *buf)
{
	ofd_prefix_str(p, buf);
}

/* ---------------------------------------------------------------------------------------- */
/* UPDATE vectors */

static const uint8_t A_ORIGIN[] = {0x40, 1, 1, 0};
static const uint8_t A_NH[] = {0x40, 3, 4, 192, 0, 2, 254};
static const uint8_t A_LP[] = {0x40, 5, 4, 0, 0, 0, 200};
static const uint8_t A_MED[] = {0x80, 4, 4, 0, 0, 0, 10};

/* the attributes of bird-test.conf's 192.0.2.0/24 route, 4-byte path 64511 64496 */
static void base_attrs(struct vec *a)
{
	a->n = 0;
	v_bytes(a, A_ORIGIN, sizeof(A_ORIGIN));
	static const uint8_t path[] = {2, 2, 0, 0, 0xfb, 0xff, 0, 0, 0xfb, 0xf0};
	v_attr(a, 0x40, 2, path, sizeof(path));
	v_bytes(a, A_NH, sizeof(A_NH));
	v_bytes(a, A_MED, sizeof(A_MED));
	v_bytes(a, A_LP, sizeof(A_LP));
	static const uint8_t comm[] = {0xfb, 0xf4, 0, 1, 0xfb, 0xff, 0, 100};
	v_attr(a, 0xc0, 8, comm, sizeof(comm));
	static const uint8_t lc[] = {0, 0, 0xfb, 0xf4, 0, 0, 0, 1, 0, 0, 0, 2};
	v_attr(a, 0xc0, 32, lc, sizeof(lc));
}

static void nlri_192(struct vec *n)
{
	n->n = 0;
	static const uint8_t p[] = {24, 192, 0, 2};
	v_bytes(n, p, sizeof(p));
}

static void test_update_fields(void **state)
{
	(void)state;
	static struct vec a, n, m, w;
	base_attrs(&a);
	static const uint8_t ext[] = {0x00, 0x02, 0xfb, 0xf4, 0, 0, 0, 7}; /* route target 64500:7 */
	v_attr(&a, 0xc0, 16, ext, sizeof(ext));
	static const uint8_t agg[] = {0, 0, 0xfb, 0xf4, 10, 0, 0, 1};
	v_attr(&a, 0xc0, 7, agg, sizeof(agg));
	v_attr(&a, 0x40, 6, NULL, 0);
	nlri_192(&n);
	w.n = 0;
	static const uint8_t wd[] = {25, 203, 0, 113, 0x80, 0};
	v_bytes(&w, wd, sizeof(wd));
	v_update(&m, &w, &a, &n);
	seed_update("update_full.bin", &S_IBGP4, &m);
	parse_ok(&S_IBGP4, &m);
	assert_null(U.err.reason);
	assert_int_equal(U.origin, 0);
	assert_int_equal(U.path.n_asn, 2);
	assert_int_equal(U.path.n_seg, 1);
	assert_int_equal(U.path.seg[0].type, OFD_BGP_AS_SEQUENCE);
	assert_int_equal(U.path.asn[0], 64511);
	assert_int_equal(U.path.asn[1], 64496);
	uint32_t orig;
	assert_int_equal(ofd_bgp_origin_as(&U.path, &orig), 1);
	assert_int_equal(orig, 64496);
	assert_int_equal(U.next_hop, 0xc00002fe);
	assert_int_equal(U.med, 10);
	assert_int_equal(U.local_pref, 200);
	assert_int_equal(U.n_comms, 2);
	assert_int_equal(ofd_bgp_comm(&U, 0), 64500u << 16 | 1);
	assert_int_equal(ofd_bgp_comm(&U, 1), 64511u << 16 | 100);
	assert_int_equal(U.n_lcomms, 1);
	uint32_t g, l1, l2;
	ofd_bgp_lcomm(&U, 0, &g, &l1, &l2);
	assert_int_equal(g, 64500);
	assert_int_equal(l1, 1);
	assert_int_equal(l2, 2);
	assert_int_equal(U.n_ecomms, 1);
	assert_memory_equal(ofd_bgp_ecomm(&U, 0), ext, 8);
	assert_int_equal(U.aggr_as, 64500);
	assert_int_equal(U.aggr_id, 0x0a000001);
	assert_true(OFD_BGP_HAS(&U, OFD_BGP_ATTR_ATOMIC_AGGREGATE));
	assert_true(OFD_BGP_HAS(&U, OFD_BGP_ATTR_MED));
	assert_false(OFD_BGP_HAS(&U, OFD_BGP_ATTR_MP_REACH));
	assert_int_equal(U.nlri.count, 1);
	assert_int_equal(U.withdrawn.count, 2);
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	char s[OFD_PREFIX_STRLEN];
	ofd_bgp_nlri_begin(&it, &U.nlri);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 1);
	pfx_str(&p, s);
	assert_string_equal(s, "192.0.2.0/24");
	assert_int_equal(ofd_prefix_check(&p), 0);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 0);
	ofd_bgp_nlri_begin(&it, &U.withdrawn);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 1);
	pfx_str(&p, s);
	assert_string_equal(s, "203.0.113.128/25");
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 1);
	pfx_str(&p, s);
	assert_string_equal(s, "0.0.0.0/0");
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 0);
	assert_int_equal(U.eor, 0);
}

/* MP_REACH for IPv6 with global + link-local next hop; ADD-PATH on both families. */
static void test_update_mp_addpath(void **state)
{
	(void)state;
	static struct vec a, n, m, mp;
	a.n = 0;
	v_bytes(&a, A_ORIGIN, sizeof(A_ORIGIN));
	static const uint8_t path[] = {2, 1, 0, 0, 0xfb, 0xf0};
	v_attr(&a, 0x40, 2, path, sizeof(path));
	v_bytes(&a, A_NH, sizeof(A_NH));
	mp.n = 0;
	v_u16(&mp, 2);
	v_u8(&mp, 1);
	v_u8(&mp, 32);
	static const uint8_t nh[32] = {
	    0x20, 0x01, 0x0d, 0xb8, [14] = 0x02, [15] = 0x54, 0xfe, 0x80, [31] = 1};
	v_bytes(&mp, nh, 32);
	v_u8(&mp, 0);
	static const uint8_t p6[] = {0, 0, 0,  7,    32,   0x20, 0x01, 0x0d, 0xb8, 0,	0,
				     0, 9, 56, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff};
	v_bytes(&mp, p6, sizeof(p6));
	v_attr(&a, 0x80, 14, mp.d, mp.n);
	n.n = 0;
	static const uint8_t p4[] = {0, 0, 0, 1, 24, 192, 0, 2, 0, 0, 0, 2, 24, 192, 0, 2};
	v_bytes(&n, p4, sizeof(p4));
	v_update(&m, NULL, &a, &n);
	struct ofd_bgp_sess s = {.as4 = 1, .addpath_v4 = 1, .addpath_v6 = 1};
	seed_update("update_addpath.bin", &s, &m);
	parse_ok(&s, &m);
	assert_int_equal(U.nlri.count, 2);
	assert_int_equal(U.mp_reach.count, 2);
	assert_int_equal(U.mp_reach.afi, 2);
	char str[OFD_IP_STRLEN];
	ofd_ip_str(&U.mp_nh, str);
	assert_string_equal(str, "2001:db8::254");
	ofd_ip_str(&U.mp_nh_ll, str);
	assert_string_equal(str, "fe80::1");
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	uint32_t pid;
	char ps[OFD_PREFIX_STRLEN];
	ofd_bgp_nlri_begin(&it, &U.nlri);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, &pid), 1);
	assert_int_equal(pid, 1);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, &pid), 1);
	assert_int_equal(pid, 2);
	pfx_str(&p, ps);
	assert_string_equal(ps, "192.0.2.0/24");
	ofd_bgp_nlri_begin(&it, &U.mp_reach);
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, &pid), 1);
	assert_int_equal(pid, 7);
	pfx_str(&p, ps);
	assert_string_equal(ps, "2001:db8::/32");
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, &pid), 1);
	assert_int_equal(pid, 9);
	pfx_str(&p, ps);
	assert_string_equal(ps, "2001:db8:ffff:ff00::/56");
	assert_int_equal(ofd_bgp_nlri_next(&it, &p, &pid), 0);
	/* the same bytes without ADD-PATH: path id 0.0.0.1 is read as a /0 then junk: reset */
	struct ofd_bgp_sess s0 = {.as4 = 1};
	assert_int_equal(ofd_bgp_update_parse(m.d, m.n, &s0, &U), OFD_BGP_SESSION_RESET);
}

/* A path attribute of 2-byte segments. */
static void as2_path(struct vec *a, unsigned type, const uint8_t *segs, size_t n)
{
	v_attr(a, type == 2 ? 0x40 : 0xc0, type, segs, n);
}

static void mk_as2(struct vec *m, const uint8_t *asp, size_t an, const uint8_t *as4, size_t n4,
		   const uint8_t *agg, size_t gn, const uint8_t *agg4)
{
	static struct vec a, n;
	a.n = 0;
	v_bytes(&a, A_ORIGIN, sizeof(A_ORIGIN));
	as2_path(&a, 2, asp, an);
	v_bytes(&a, A_NH, sizeof(A_NH));
	if (as4)
		as2_path(&a, 17, as4, n4);
	if (agg)
		v_attr(&a, 0xc0, 7, agg, gn);
	if (agg4)
		v_attr(&a, 0xc0, 18, agg4, 8);
	nlri_192(&n);
	v_update(m, NULL, &a, &n);
}

static void test_as4_merge(void **state)
{
	(void)state;
	static struct vec m;
	/* AS_PATH 64496 23456 23456, AS4_PATH 65536 65551 -> 64496 65536 65551 */
	static const uint8_t p1[] = {2, 3, 0xfb, 0xf0, 0x5b, 0xa0, 0x5b, 0xa0};
	static const uint8_t q1[] = {2, 2, 0, 1, 0, 0, 0, 1, 0, 0x0f};
	mk_as2(&m, p1, sizeof(p1), q1, sizeof(q1), NULL, 0, NULL);
	seed_update("update_as4_merge.bin", &S_EBGP2, &m);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.as4_merged, 1);
	assert_int_equal(U.path.n_asn, 3);
	assert_int_equal(U.path.asn[0], 64496);
	assert_int_equal(U.path.asn[1], 65536);
	assert_int_equal(U.path.asn[2], 65551);
	uint32_t o;
	assert_int_equal(ofd_bgp_origin_as(&U.path, &o), 1);
	assert_int_equal(o, 65551);

	/* AS4_PATH longer than AS_PATH: ignored */
	static const uint8_t q2[] = {2, 4, 0, 1, 0, 0, 0, 1, 0, 0x0f, 0, 0, 0, 1, 0, 0, 0, 2};
	mk_as2(&m, p1, sizeof(p1), q2, sizeof(q2), NULL, 0, NULL);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.as4_merged, 0);
	assert_int_equal(U.as4_ignored, 1);
	assert_int_equal(U.path.asn[2], 23456);

	/* AGGREGATOR not AS_TRANS: AS4_PATH and AS4_AGGREGATOR ignored */
	static const uint8_t ag[] = {0xfb, 0xf0, 10, 0, 0, 1};
	static const uint8_t ag4[] = {0, 1, 0, 0, 10, 0, 0, 2};
	mk_as2(&m, p1, sizeof(p1), q1, sizeof(q1), ag, sizeof(ag), ag4);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.as4_ignored, 1);
	assert_int_equal(U.path.asn[1], 23456);
	assert_int_equal(U.aggr_as, 64496);
	/* AGGREGATOR AS_TRANS: AS4_AGGREGATOR and AS4_PATH used */
	static const uint8_t agt[] = {0x5b, 0xa0, 10, 0, 0, 1};
	mk_as2(&m, p1, sizeof(p1), q1, sizeof(q1), agt, sizeof(agt), ag4);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.aggr_as, 65536);
	assert_int_equal(U.aggr_id, 0x0a000002);
	assert_int_equal(U.path.asn[1], 65536);

	/* malformed AS4_PATH (segment longer than the attribute): discarded, 2-byte path kept */
	static const uint8_t q3[] = {2, 3, 0, 1, 0, 0, 0, 1};
	mk_as2(&m, p1, sizeof(p1), q3, sizeof(q3), NULL, 0, NULL);
	assert_int_equal(ofd_bgp_update_parse(m.d, m.n, &S_EBGP2, &U), OFD_BGP_ATTR_DISCARD);
	assert_int_equal(U.as4_ignored, 1);
	assert_int_equal(U.path.n_asn, 3);
	assert_int_equal(U.path.asn[2], 23456);

	/* AS_SET counts 1: AS_PATH 100 23456 {23456,300}; AS4_PATH 70000 {70001,300}:
	   leading 3-2 = 1 ASN of AS_PATH (100), then AS4_PATH; origin undefined (a set of 2) */
	static const uint8_t p4[] = {2, 2, 0, 100, 0x5b, 0xa0, 1, 2, 0x5b, 0xa0, 1, 0x2c};
	static const uint8_t q4[] = {2, 1, 0, 1, 0x11, 0x70, 1, 2, 0, 1, 0x11, 0x71, 0, 0, 1, 0x2c};
	mk_as2(&m, p4, sizeof(p4), q4, sizeof(q4), NULL, 0, NULL);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.as4_merged, 1);
	assert_int_equal(U.path.n_seg, 3);
	assert_int_equal(U.path.asn[0], 100);
	assert_int_equal(U.path.asn[1], 70000);
	assert_int_equal(U.path.seg[2].type, OFD_BGP_AS_SET);
	assert_int_equal(U.path.asn[2], 70001);
	assert_int_equal(U.path.asn[3], 300);
	assert_int_equal(ofd_bgp_origin_as(&U.path, &o), 0);

	/* confederation segment in AS4_PATH: left out, not counted */
	static const uint8_t q5[] = {3, 1, 0, 0, 0xfd, 0xe8, 2, 2, 0, 1, 0, 0, 0, 1, 0, 0x0f};
	mk_as2(&m, p1, sizeof(p1), q5, sizeof(q5), NULL, 0, NULL);
	parse_ok(&S_EBGP2, &m);
	assert_int_equal(U.path.n_asn, 3);
	assert_int_equal(U.path.asn[1], 65536);

	/* a 4-byte session ignores AS4_PATH (and reads AS_PATH as 4-byte) */
	static struct vec a, n;
	a.n = 0;
	v_bytes(&a, A_ORIGIN, sizeof(A_ORIGIN));
	static const uint8_t p6[] = {2, 1, 0, 1, 0, 0};
	v_attr(&a, 0x40, 2, p6, sizeof(p6));
	v_bytes(&a, A_NH, sizeof(A_NH));
	v_attr(&a, 0xc0, 17, p6, sizeof(p6));
	nlri_192(&n);
	v_update(&m, NULL, &a, &n);
	parse_ok(&S_EBGP4, &m);
	assert_int_equal(U.as4_ignored, 1);
	assert_int_equal(U.path.asn[0], 65536);
}

/* One attribute list variation and its expected outcome. */
static void expect(const char *name, const struct ofd_bgp_sess *s, const struct vec *m,
		   enum ofd_bgp_outcome o, unsigned code, unsigned sub)
{
	enum ofd_bgp_outcome got = ofd_bgp_update_parse(m->d, m->n, s, &U);
	if (got != o || (code && (U.err.code != code || U.err.subcode != sub)))
		print_error("%s: %s %u/%u (%s)\n", name, ofd_bgp_outcome_name(got), U.err.code, U.err.subcode,
			    U.err.reason ? U.err.reason : "-");
	assert_int_equal(got, o);
	if (o != OFD_BGP_OK)
		assert_non_null(U.err.reason);
	if (code) {
		assert_int_equal(U.err.code, code);
		assert_int_equal(U.err.subcode, sub);
	}
	char fn[80];
	snprintf(fn, sizeof(fn), "update_7606_%s.bin", name);
	seed_update(fn, s, m);
}

/* base attributes + extra bytes appended, NLRI 192.0.2.0/24 */
static void with_extra(struct vec *m, const uint8_t *extra, size_t n)
{
	static struct vec a, nl;
	base_attrs(&a);
	v_bytes(&a, extra, n);
	nlri_192(&nl);
	v_update(m, NULL, &a, &nl);
}

/* attributes given whole, NLRI 192.0.2.0/24 */
static void with_attrs(struct vec *m, const uint8_t *attrs, size_t n)
{
	static struct vec a, nl;
	a.n = 0;
	v_bytes(&a, attrs, n);
	nlri_192(&nl);
	v_update(m, NULL, &a, &nl);
}

static void test_rfc7606(void **state)
{
	(void)state;
	static struct vec m;
	const enum ofd_bgp_outcome TAW = OFD_BGP_TREAT_AS_WITHDRAW, DISC = OFD_BGP_ATTR_DISCARD,
				   RESET = OFD_BGP_SESSION_RESET;
	/* treat-as-withdraw */
	static const uint8_t origin2[] = {0x40, 1, 2, 0, 0,    0x40, 2, 0, 0x40, 3, 4,
					  1,	2, 3, 4, 0x40, 5,    4, 0, 0,	 0, 1};
	with_attrs(&m, origin2, sizeof(origin2));
	expect("origin_len", &S_IBGP4, &m, TAW, 3, 6);
	assert_int_equal(U.nlri.count, 1); /* the routes to withdraw are known */
	static const uint8_t origin5[] = {0x40, 1, 1, 5,    0x40, 2, 0, 0x40, 3, 4, 1,
					  2,	3, 4, 0x40, 5,	  4, 0, 0,    0, 1};
	with_attrs(&m, origin5, sizeof(origin5));
	expect("origin_value", &S_IBGP4, &m, TAW, 3, 6);
	static const uint8_t aspath_bad[] = {0x40, 1, 1, 0, 0x40, 2, 6,	   2, 2, 0, 0, 0, 1, 0x40,
					     3,	   4, 1, 2, 3,	  4, 0x40, 5, 4, 0, 0, 0, 1};
	with_attrs(&m, aspath_bad, sizeof(aspath_bad));
	expect("aspath_overrun", &S_IBGP4, &m, TAW, 3, 11);
	static const uint8_t aspath_zero[] = {0x40, 1, 1, 0, 0x40, 2, 2, 2, 0, 0x40, 3, 4,
					      1,    2, 3, 4, 0x40, 5, 4, 0, 0, 0,    1};
	with_attrs(&m, aspath_zero, sizeof(aspath_zero));
	expect("aspath_zero_seg", &S_IBGP4, &m, TAW, 3, 11);
	static const uint8_t no_nh[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 5, 4, 0, 0, 0, 1};
	with_attrs(&m, no_nh, sizeof(no_nh));
	expect("missing_next_hop", &S_IBGP4, &m, TAW, 3, 3);
	assert_int_equal(U.err.data[0], 3);
	static const uint8_t no_lp[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 1, 2, 3, 4};
	with_attrs(&m, no_lp, sizeof(no_lp));
	expect("missing_local_pref_ibgp", &S_IBGP4, &m, TAW, 3, 3);
	expect("no_local_pref_ebgp", &S_EBGP4, &m, OFD_BGP_OK, 0, 0);
	static const uint8_t no_origin[] = {0x40, 2, 0, 0x40, 3, 4, 1, 2, 3, 4};
	with_attrs(&m, no_origin, sizeof(no_origin));
	expect("missing_origin", &S_EBGP4, &m, TAW, 3, 3);
	assert_int_equal(U.err.data[0], 1);
	static const uint8_t nh5[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 5, 1, 2, 3, 4, 5};
	with_attrs(&m, nh5, sizeof(nh5));
	expect("next_hop_len", &S_EBGP4, &m, TAW, 3, 5);
	static const uint8_t med_flags[] = {0x40, 1, 1, 0,    0x40, 2, 0, 0x40, 3, 4, 1,
					    2,	  3, 4, 0x40, 4,    4, 0, 0,	0, 1}; /* MED as well-known */
	with_attrs(&m, med_flags, sizeof(med_flags));
	expect("med_flags", &S_EBGP4, &m, TAW, 3, 4);
	static const uint8_t comm5[] = {0xc0, 8, 5, 1, 2, 3, 4, 5};
	static const uint8_t basic[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 1, 2, 3, 4};
	static struct vec t;
	t.n = 0;
	v_bytes(&t, basic, sizeof(basic));
	v_bytes(&t, comm5, sizeof(comm5));
	with_attrs(&m, t.d, t.n);
	expect("communities_len", &S_EBGP4, &m, TAW, 3, 9);
	static const uint8_t lc13[] = {0xc0, 32, 13, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 4};
	t.n = 0;
	v_bytes(&t, basic, sizeof(basic));
	v_bytes(&t, lc13, sizeof(lc13));
	with_attrs(&m, t.d, t.n);
	expect("large_communities_len", &S_EBGP4, &m, TAW, 3, 9);
	/* attribute length overrunning the attribute list: the list's total length is trusted */
	static const uint8_t lie[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 1, 2, 3, 4, 0xc0, 8, 40, 0, 0};
	with_attrs(&m, lie, sizeof(lie));
	expect("attr_len_overrun", &S_EBGP4, &m, TAW, 3, 1);
	assert_int_equal(U.nlri.count, 1);
	static const uint8_t stub[] = {0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 1, 2, 3, 4, 0x80, 4};
	with_attrs(&m, stub, sizeof(stub));
	expect("attr_header_cut", &S_EBGP4, &m, TAW, 3, 1);

	/* attribute discard */
	static const uint8_t dup_med[] = {0x80, 4, 4, 0, 0, 0, 99};
	with_extra(&m, dup_med, sizeof(dup_med));
	expect("duplicate_med", &S_IBGP4, &m, DISC, 3, 1);
	assert_int_equal(U.med, 10); /* the first one kept */
	assert_int_equal(U.attr_discarded, 1);
	static const uint8_t atomic1[] = {0x40, 6, 1, 0};
	with_extra(&m, atomic1, sizeof(atomic1));
	expect("atomic_len", &S_IBGP4, &m, DISC, 3, 5);
	assert_false(OFD_BGP_HAS(&U, OFD_BGP_ATTR_ATOMIC_AGGREGATE));
	static const uint8_t agg7[] = {0xc0, 7, 7, 0, 0, 0, 1, 1, 2, 3};
	with_extra(&m, agg7, sizeof(agg7));
	expect("aggregator_len", &S_IBGP4, &m, DISC, 3, 5);
	with_extra(&m, NULL, 0);
	expect("local_pref_from_ebgp", &S_EBGP4, &m, DISC, 0, 0);
	assert_int_equal(U.local_pref, 0);
	assert_int_equal(U.med, 10);
	/* an unknown optional attribute: kept raw, OK */
	static const uint8_t unk[] = {0xc0, 99, 2, 0xab, 0xcd};
	with_extra(&m, unk, sizeof(unk));
	expect("unknown_optional", &S_IBGP4, &m, OFD_BGP_OK, 0, 0);
	assert_int_equal(U.n_unknown, 1);
	assert_int_equal(U.unknown[0].type, 99);
	assert_int_equal(U.unknown[0].data[1], 0xcd);
	/* a TAW and a discard: TAW wins */
	static const uint8_t both[] = {0x40, 6, 1, 0, 0xc0, 16, 3, 1, 2, 3};
	with_extra(&m, both, sizeof(both));
	expect("taw_over_discard", &S_IBGP4, &m, TAW, 3, 9);

	/* session reset */
	static const uint8_t unk_wk[] = {0x40, 99, 1, 0};
	with_extra(&m, unk_wk, sizeof(unk_wk));
	expect("unknown_well_known", &S_IBGP4, &m, RESET, 3, 2);
	static const uint8_t mpu[] = {0x80, 15, 3, 0, 2, 1};
	t.n = 0;
	v_bytes(&t, mpu, sizeof(mpu));
	v_bytes(&t, mpu, sizeof(mpu));
	with_extra(&m, t.d, t.n);
	expect("mp_unreach_twice", &S_IBGP4, &m, RESET, 3, 1);
	static const uint8_t mpr_nh8[] = {0x80, 14, 13, 0, 2, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0};
	with_extra(&m, mpr_nh8, sizeof(mpr_nh8));
	expect("mp_reach_nh_len", &S_IBGP4, &m, RESET, 3, 9);
	static const uint8_t mpr_129[] = {0x80, 14, 22, 0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0,  0,
					  0,	0,  0,	0, 0, 0, 0,  0,	   0, 1,   0,	 129};
	with_extra(&m, mpr_129, sizeof(mpr_129));
	expect("mp_reach_prefix_129", &S_IBGP4, &m, RESET, 3, 9);
	static const uint8_t mp_flags[] = {0x40, 15, 3, 0, 2, 1};
	with_extra(&m, mp_flags, sizeof(mp_flags));
	expect("mp_flags", &S_IBGP4, &m, RESET, 3, 4);
	static const uint8_t mp_overrun[] = {0x80, 14, 40, 0, 2, 1, 16};
	with_extra(&m, mp_overrun, sizeof(mp_overrun));
	expect("mp_reach_overrun", &S_IBGP4, &m, RESET, 3, 1);
	static struct vec a, nl, w;
	base_attrs(&a);
	nl.n = 0;
	static const uint8_t p33[] = {33, 192, 0, 2, 0, 0};
	v_bytes(&nl, p33, sizeof(p33));
	v_update(&m, NULL, &a, &nl);
	expect("nlri_33", &S_IBGP4, &m, RESET, 3, 10);
	nl.n = 0;
	static const uint8_t pcut[] = {24, 192, 0};
	v_bytes(&nl, pcut, sizeof(pcut));
	v_update(&m, NULL, &a, &nl);
	expect("nlri_cut", &S_IBGP4, &m, RESET, 3, 10);
	w.n = 0;
	static const uint8_t w40[] = {40, 1, 2, 3, 4, 5};
	v_bytes(&w, w40, sizeof(w40));
	v_update(&m, &w, NULL, NULL);
	expect("withdrawn_40", &S_IBGP4, &m, RESET, 3, 1);
	/* total attribute length overrunning the message */
	with_extra(&m, NULL, 0);
	v_put16(&m, 21, (unsigned)(m.n));
	expect("attr_total_overrun", &S_IBGP4, &m, RESET, 3, 1);
	/* withdrawn length overrunning the message */
	with_extra(&m, NULL, 0);
	v_put16(&m, 19, 4000);
	expect("withdrawn_overrun", &S_IBGP4, &m, RESET, 3, 1);
	/* header length not the message length */
	with_extra(&m, NULL, 0);
	assert_int_equal(ofd_bgp_update_parse(m.d, m.n - 1, &S_IBGP4, &U), RESET);
	assert_int_equal(U.err.code, 1);
	assert_int_equal(U.err.subcode, 2);
	/* reset beats an earlier TAW */
	t.n = 0;
	v_bytes(&t, comm5, sizeof(comm5));
	v_bytes(&t, unk_wk, sizeof(unk_wk));
	with_extra(&m, t.d, t.n);
	expect("reset_over_taw", &S_IBGP4, &m, RESET, 3, 2);
}

static void test_eor_and_ext(void **state)
{
	(void)state;
	static struct vec m, a, nl;
	v_update(&m, NULL, NULL, NULL);
	parse_ok(&S_IBGP4, &m);
	assert_int_equal(U.eor, 1);
	assert_int_equal(U.eor_afi, 1);
	a.n = 0;
	static const uint8_t mpu[] = {0x80, 15, 3, 0, 2, 1};
	v_bytes(&a, mpu, sizeof(mpu));
	v_update(&m, NULL, &a, NULL);
	seed_update("update_eor6.bin", &S_IBGP4, &m);
	parse_ok(&S_IBGP4, &m);
	assert_int_equal(U.eor, 1);
	assert_int_equal(U.eor_afi, 2);
	assert_int_equal(U.eor_safi, 1);
	/* an MP_UNREACH withdrawing one prefix is not an End-of-RIB */
	a.n = 0;
	static const uint8_t mpu1[] = {0x80, 15, 8, 0, 2, 1, 32, 0x20, 1, 0xd, 0xb8};
	v_bytes(&a, mpu1, sizeof(mpu1));
	v_update(&m, NULL, &a, NULL);
	parse_ok(&S_IBGP4, &m);
	assert_int_equal(U.eor, 0);
	assert_int_equal(U.mp_unreach.count, 1);

	/* an MP_REACH without prefixes needs no ORIGIN / AS_PATH and is no End-of-RIB */
	a.n = 0;
	static const uint8_t mpr0[] = {0x80, 14, 21, 0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0,
				       0,    0,	 0,  0, 0, 0, 0,  0,	0, 0,	1,    0};
	v_bytes(&a, mpr0, sizeof(mpr0));
	v_update(&m, NULL, &a, NULL);
	parse_ok(&S_IBGP4, &m);
	assert_int_equal(U.mp_reach.count, 0);
	assert_int_equal(U.eor, 0);

	/* extended message: 1500 /24s in NLRI (6000 bytes), communities with extended length */
	base_attrs(&a);
	static uint8_t comms[400];
	for (int i = 0; i < 100; i++) {
		comms[4 * i] = 0xfb;
		comms[4 * i + 1] = 0xf4;
		comms[4 * i + 2] = 0;
		comms[4 * i + 3] = (uint8_t)i;
	}
	a.n -= (3 + 8) + (3 + 12); /* drop the communities and large community of base_attrs */
	v_attr(&a, 0xd0, 8, comms, sizeof(comms));
	nl.n = 0;
	for (unsigned i = 0; i < 1500; i++) {
		v_u8(&nl, 24);
		v_u8(&nl, 10);
		v_u8(&nl, i >> 8);
		v_u8(&nl, i & 0xff);
	}
	v_update(&m, NULL, &a, &nl);
	assert_true(m.n > 6000);
	struct ofd_bgp_sess ext = {.as4 = 1, .ibgp = 1, .ext_msg = 1};
	seed_update("update_extended.bin", &ext, &m);
	parse_ok(&ext, &m);
	assert_int_equal(U.nlri.count, 1500);
	assert_int_equal(U.n_comms, 100);
	assert_int_equal(ofd_bgp_comm(&U, 99), 64500u << 16 | 99);
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	char ps[OFD_PREFIX_STRLEN];
	ofd_bgp_nlri_begin(&it, &U.nlri);
	for (int i = 0; i < 1500; i++)
		assert_int_equal(ofd_bgp_nlri_next(&it, &p, NULL), 1);
	pfx_str(&p, ps);
	assert_string_equal(ps, "10.5.219.0/24");
	assert_int_equal(ofd_bgp_update_parse(m.d, m.n, &S_IBGP4, &U), OFD_BGP_SESSION_RESET);
	assert_int_equal(U.err.code, 1);
	assert_int_equal(U.err.subcode, 2);
}

/* A long path: cut at OFD_BGP_PATH_MAX, origin still the last ASN. */
static void test_long_path(void **state)
{
	(void)state;
	static struct vec m, a, nl, path;
	path.n = 0;
	for (int s = 0; s < 2; s++) {
		v_u8(&path, 2);
		v_u8(&path, 100);
		for (unsigned i = 0; i < 100; i++)
			v_u32(&path, 1000 + s * 100 + i);
	}
	a.n = 0;
	v_bytes(&a, A_ORIGIN, sizeof(A_ORIGIN));
	v_attr(&a, 0x50, 2, path.d, path.n);
	v_bytes(&a, A_NH, sizeof(A_NH));
	nlri_192(&nl);
	v_update(&m, NULL, &a, &nl);
	parse_ok(&S_EBGP4, &m);
	assert_int_equal(U.path.cut, 1);
	assert_int_equal(U.path.n_asn, OFD_BGP_PATH_MAX);
	assert_int_equal(U.path.asn[OFD_BGP_PATH_MAX - 1], 1000 + OFD_BGP_PATH_MAX - 1);
	uint32_t o;
	assert_int_equal(ofd_bgp_origin_as(&U.path, &o), 1);
	assert_int_equal(o, 1199);
}

/* Cut a valid UPDATE at every length: with the header's length kept (1/2) and with it patched
 * to the cut (a reset unless the cut falls exactly at the end of the attributes). */
static void test_truncated(void **state)
{
	(void)state;
	static struct vec a, nl, m;
	base_attrs(&a);
	nlri_192(&nl);
	v_update(&m, NULL, &a, &nl);
	size_t attrs_end = m.n - nl.n;
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, m.d, n);
		enum ofd_bgp_outcome o = ofd_bgp_update_parse(b, n, &S_IBGP4, &U);
		assert_int_equal(o, OFD_BGP_SESSION_RESET);
		if (n >= 19) {
			b[16] = (uint8_t)(n >> 8);
			b[17] = (uint8_t)n;
			o = ofd_bgp_update_parse(b, n, &S_IBGP4, &U);
			if (n == attrs_end) {
				assert_int_equal(o, OFD_BGP_OK);
				assert_int_equal(U.nlri.count, 0);
			} else {
				assert_int_equal(o, OFD_BGP_SESSION_RESET);
			}
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_fields), cmocka_unit_test(test_update_mp_addpath),
	    cmocka_unit_test(test_as4_merge),	  cmocka_unit_test(test_rfc7606),
	    cmocka_unit_test(test_eor_and_ext),	  cmocka_unit_test(test_long_path),
	    cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
