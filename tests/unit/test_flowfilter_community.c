/*
 * flowfilter `community` (ours): standard and large communities, `*` and ranges in a part, the
 * well-known names, flows without communities, `not`, `and`/`or`, the compiled tests, and the
 * parse errors with their columns.
 */
#include "flowfilter/eval.h"
#include "test_flowfilter_fp.h" /* verdict, TABLE */

#define COMM(asn, v)   ((uint32_t)(asn) << 16 | (uint32_t)(v))
#define LCOMM(g, a, b) ((struct ofd_large_community){(g), (a), (b)})

/*
 * A TCP flow whose destination route carries the standard communities 65000:100, 65000:250,
 * 64512:7 and no-export (65535:65281), and the large ones 65000:100:7 and 4200000000:1:2.
 */
static void base(struct ofd_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->present = ofd_fieldset_all();
	ofd_ip_set4u(&r->src_addr, 0x0a010203); /* 10.1.2.3 */
	ofd_ip_set4u(&r->dst_addr, 0xc000024d); /* 192.0.2.77 */
	r->proto = 6;
	r->src_port = 51000;
	r->dst_port = 443;
	r->dst_as = 65000;
	r->bgp_communities.v[0] = COMM(65000, 100);
	r->bgp_communities.v[1] = COMM(65000, 250);
	r->bgp_communities.v[2] = COMM(64512, 7);
	r->bgp_communities.v[3] = COMM(65535, 65281);
	r->bgp_communities.n = 4;
	r->bgp_large_communities.v[0] = LCOMM(65000, 100, 7);
	r->bgp_large_communities.v[1] = LCOMM(4200000000u, 1, 2);
	r->bgp_large_communities.n = 2;
}

static struct ofd_filter *compile(const char *expr)
{
	struct ofd_filter *f = NULL;
	char err[256];
	if (ofd_filter_compile(&f, expr, err, sizeof(err)))
		fail_msg("'%s' did not compile: %s", expr, err);
	return f;
}

static void expect_err(const char *expr, const char *msg)
{
	struct ofd_filter *f = (struct ofd_filter *)(uintptr_t)1;
	char err[256];
	int rc = ofd_filter_compile(&f, expr, err, sizeof(err));
	if (rc != OFD_EFORMAT)
		fail_msg("'%s': rc %d, want OFD_EFORMAT", expr, rc);
	assert_null(f);
	if (strcmp(err, msg) != 0)
		fail_msg("'%s':\n got  \"%s\"\n want \"%s\"", expr, err, msg);
}

static void test_standard(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"community 65000:100", 1}, {"community 65000:250", 1}, {"community 64512:7", 1},
	      {"community 65000:101", 0}, {"community 65001:100", 0}, {"community 100:65000", 0},
	      {"community 0:0", 0}, {"COMMUNITY 65000:100", 1}, {"community 65535:65281", 1},
	      /* a part may be `*` or a range */
	      {"community 65000:*", 1}, {"community 65001:*", 0}, {"community *:7", 1}, {"community *:8", 0},
	      {"community *:*", 1}, {"community 65000:200-299", 1}, {"community 65000:251-299", 0},
	      {"community 65000:0-99", 0}, {"community 64000-65000:100", 1}, {"community 64000-64999:100", 0},
	      {"community 64512-64512:7-7", 1}, {"community 64513-65534:7", 0});
	/* the largest values of each part */
	r.bgp_communities.v[0] = COMM(65535, 65535);
	TABLE(&r, {"community 65535:65535", 1}, {"community 65535:65534", 0}, {"community 65535:*", 1});
}

static void test_large(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"community 65000:100:7", 1}, {"community 4200000000:1:2", 1}, {"community 65000:100:8", 0},
	      {"community 65000:101:7", 0}, {"community 65001:100:7", 0}, {"community 1:2:4200000000", 0},
	      {"community 65000:100:*", 1}, {"community 4200000000:*:*", 1}, {"community 4200000001:*:*", 0},
	      {"community *:1:2", 1}, {"community *:*:2-7", 1}, {"community *:*:8-100", 0},
	      {"community *:*:*", 1}, {"community 65000:100-200:0-6", 0},
	      {"community 65000-4200000000:1-100:7", 1},
	      /* each part checks against the same community: 65000:*:2 is neither */
	      {"community 65000:*:2", 0}, {"community 4294967295:4294967295:4294967295", 0});
	r.bgp_large_communities.v[1] = LCOMM(UINT32_MAX, UINT32_MAX, UINT32_MAX);
	TABLE(&r, {"community 4294967295:4294967295:4294967295", 1}, {"community *:*:4294967295", 1},
	      {"community 4294967295:0:*", 0});
	/* standard and large communities are separate lists */
	memset(&r.bgp_communities, 0, sizeof(r.bgp_communities));
	TABLE(&r, {"community 65000:100", 0}, {"community *:*", 0}, {"community 65000:100:7", 1});
	base(&r);
	memset(&r.bgp_large_communities, 0, sizeof(r.bgp_large_communities));
	TABLE(&r, {"community 65000:100:0", 0}, {"community 65000:100:*", 0}, {"community *:*:*", 0},
	      {"community 65000:100", 1});
}

static const struct {
	const char *name, *numbers;
	uint32_t value;
} wellknown[] = {
    {"no-export", "65535:65281", 0xffffff01},
    {"no-advertise", "65535:65282", 0xffffff02},
    {"no-export-subconfed", "65535:65283", 0xffffff03},
    {"no-peer", "65535:65284", 0xffffff04},
    {"blackhole", "65535:666", 0xffff029a},
    {"graceful-shutdown", "65535:0", 0xffff0000},
    {"accept-own", "65535:1", 0xffff0001},
    {"llgr-stale", "65535:6", 0xffff0006},
    {"no-llgr", "65535:7", 0xffff0007},
};

static void test_wellknown(void **state)
{
	(void)state;
	struct ofd_flow r;
	char expr[64];
	for (size_t i = 0; i < NELEM(wellknown); i++) {
		base(&r);
		r.bgp_communities.v[0] = wellknown[i].value;
		r.bgp_communities.n = 1;
		for (size_t j = 0; j < NELEM(wellknown); j++) {
			snprintf(expr, sizeof(expr), "community %s", wellknown[j].name);
			if (verdict(expr, &r) != (i == j))
				fail_msg("'%s' on %s: %d", expr, wellknown[i].numbers, !(i == j));
			snprintf(expr, sizeof(expr), "community %s", wellknown[j].numbers);
			if (verdict(expr, &r) != (i == j))
				fail_msg("'%s' on %s: %d", expr, wellknown[i].numbers, !(i == j));
		}
		/* the compiled test holds the value */
		snprintf(expr, sizeof(expr), "community %s", wellknown[i].name);
		struct ofd_filter *f = compile(expr);
		assert_int_equal(f->n, 1);
		assert_int_equal(f->code[0].op, OFD_FF_OP_COMMUNITY);
		assert_int_equal(f->code[0].lo, wellknown[i].value);
		assert_int_equal(f->code[0].hi, wellknown[i].value);
		ofd_filter_free(f);
	}
	base(&r);
	TABLE(&r, {"community no-export", 1}, {"community NO-EXPORT", 1}, {"community No-Export", 1},
	      {"community blackhole", 0}, {"community no-advertise", 0},
	      {"community no-export-subconfed", 0});
}

/* A flow without communities matches no `community`; `not community` holds on it. */
static void test_absent(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	ofd_flow_clear(&r, OFD_F_BGP_COMMUNITIES);
	ofd_flow_clear(&r, OFD_F_BGP_LARGE_COMMUNITIES);
	/* the members still hold the lists: they are not read */
	TABLE(&r, {"community 65000:100", 0}, {"community *:*", 0}, {"community no-export", 0},
	      {"community 65000:100:7", 0}, {"community *:*:*", 0}, {"not community 65000:100", 1},
	      {"not community *:*", 1}, {"not community *:*:*", 1}, {"port 443", 1});
	/* present, but empty */
	base(&r);
	r.bgp_communities.n = 0;
	r.bgp_large_communities.n = 0;
	TABLE(&r, {"community 65000:100", 0}, {"community *:*", 0}, {"community *:*:*", 0},
	      {"not community 65000:100:7", 1});
	/* an empty record */
	memset(&r, 0, sizeof(r));
	TABLE(&r, {"community 0:0", 0}, {"community 0:0:0", 0}, {"community *:*", 0},
	      {"not community 0:0", 1});
	/* a count past the arrays is cut at their size: entries beyond are not read */
	base(&r);
	for (unsigned i = 0; i < OFD_COMMUNITIES_MAX; i++)
		r.bgp_communities.v[i] = COMM(100, i);
	r.bgp_communities.n = 255;
	for (unsigned i = 0; i < OFD_LARGE_COMMUNITIES_MAX; i++)
		r.bgp_large_communities.v[i] = LCOMM(200, i, i);
	r.bgp_large_communities.n = 255;
	TABLE(&r, {"community 100:7", 1}, {"community 100:8", 0}, {"community 100:8-65535", 0},
	      {"community 200:3:3", 1}, {"community 200:4:*", 0});
	/* only the first n entries count */
	r.bgp_communities.n = 2;
	r.bgp_large_communities.n = 1;
	TABLE(&r, {"community 100:1", 1}, {"community 100:2", 0}, {"community 100:2-7", 0},
	      {"community 200:0:0", 1}, {"community 200:1:1", 0}, {"community 200:1-3:*", 0});
}

static void test_expressions(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"not community 65000:100", 0}, {"not community blackhole", 1},
	      {"community 65000:100 and community 65000:100:7", 1},
	      {"community 65000:100 and not community no-export", 0},
	      {"community blackhole or community 65000:250", 1}, {"community blackhole or community 1:1", 0},
	      {"proto tcp and (community no-export or community blackhole)", 1},
	      {"proto udp and (community no-export or community blackhole)", 0},
	      {"not community blackhole and dst port 443", 1},
	      {"community 1:1 or community 2:2 or community 65000:100", 1},
	      {"not (community 65000:100 or community 1:1)", 0}, {"not (community 1:1 or community 2:2)", 1},
	      /* as every keyword: `a and b or c` is `a and (b or c)` */
	      {"community 1:1 and community 2:2 or community 65000:100", 0},
	      {"community 65000:100 and community 2:2 or community 65000:100:7", 1},
	      {"dst asn 65000 and community 65000:*", 1}, {"community 65000:100:* and port 51000", 1});
}

static void check(const char *expr, uint8_t op, uint64_t lo, uint64_t hi)
{
	struct ofd_filter *f = compile(expr);
	if (f->n != 1 || f->code[0].op != op || f->code[0].lo != lo || f->code[0].hi != hi)
		fail_msg("'%s': %u tests, op %u [%#llx, %#llx], want op %u [%#llx, %#llx]", expr, f->n,
			 f->code[0].op, (unsigned long long)f->code[0].lo, (unsigned long long)f->code[0].hi,
			 op, (unsigned long long)lo, (unsigned long long)hi);
	ofd_filter_free(f);
}

static void test_compiled(void **state)
{
	(void)state;
	check("community 65000:100", OFD_FF_OP_COMMUNITY, 0xfde80064, 0xfde80064);
	check("community 0:0", OFD_FF_OP_COMMUNITY, 0, 0);
	check("community 65000:*", OFD_FF_OP_COMMUNITY_RANGE, 0xfde80000, 0xfde8ffff);
	check("community *:666", OFD_FF_OP_COMMUNITY_RANGE, 0x0000029a, 0xffff029a);
	check("community 1-2:3-4", OFD_FF_OP_COMMUNITY_RANGE, 0x00010003, 0x00020004);
	check("community 7-7:9", OFD_FF_OP_COMMUNITY, 0x00070009, 0x00070009);
	check("community 65000:100:7", OFD_FF_OP_LCOMMUNITY, (uint64_t)65000 << 32 | 100, 7);
	check("community 4294967295:0:4294967295", OFD_FF_OP_LCOMMUNITY, 0xffffffff00000000ull, 0xffffffff);
	/* a large community with a range or `*` keeps its bounds in the pool */
	struct ofd_filter *f = compile("community 1:2-3:* or community 5:*:6");
	assert_int_equal(f->n, 2);
	static const uint32_t want0[6] = {1, 1, 2, 3, 0, UINT32_MAX}, want1[6] = {5, 5, 0, UINT32_MAX, 6, 6};
	assert_int_equal(f->code[0].op, OFD_FF_OP_LCOMMUNITY_RANGE);
	assert_int_equal(f->code[1].op, OFD_FF_OP_LCOMMUNITY_RANGE);
	assert_memory_equal(f->asns + f->code[0].aux, want0, sizeof(want0));
	assert_memory_equal(f->asns + f->code[1].aux, want1, sizeof(want1));
	ofd_filter_free(f);
	/* passes-through and community share the pool */
	f = compile("passes-through 553 3320 and community *:*:9");
	assert_int_equal(f->asns[f->code[0].aux], 553);
	assert_int_equal(f->asns[f->code[0].aux + 1], 3320);
	static const uint32_t want2[6] = {0, UINT32_MAX, 0, UINT32_MAX, 9, 9};
	assert_memory_equal(f->asns + f->code[1].aux, want2, sizeof(want2));
	ofd_filter_free(f);
}

#define NOUN "a community (ASN:VALUE, GLOBAL:LOCAL1:LOCAL2 or a name such as no-export) after 'community'"

static void test_errors(void **state)
{
	(void)state;
	expect_err("community", "column 10: expected " NOUN ", found end of expression");
	expect_err("proto tcp and community", "column 24: expected " NOUN ", found end of expression");
	expect_err("not community", "column 14: expected " NOUN ", found end of expression");
	expect_err("community no-exprt", "column 11: expected " NOUN ", found 'no-exprt'");
	expect_err("community 65000", "column 11: expected " NOUN ", found '65000'");
	expect_err("community 1:2:3:4", "column 11: expected " NOUN ", found '1:2:3:4'");
	expect_err("community 'no-export'", "column 11: expected " NOUN ", found a string");
	expect_err("community (1:2)", "column 11: expected " NOUN ", found '('");
	expect_err("community 65536:1", "column 11: community part '65536' out of range (0-65535)");
	expect_err("community 1:65536", "column 13: community part '65536' out of range (0-65535)");
	expect_err("community 1:2-65536", "column 13: community part '2-65536' out of range (0-65535)");
	expect_err("community 1:2:4294967296",
		   "column 15: community part '4294967296' out of range (0-4294967295)");
	expect_err("community 99999999999999999999999:1",
		   "column 11: community part '99999999999999999999999' out of range (0-65535)");
	expect_err("community 65000:x", "column 17: community part 'x' is not a number, a range A-B or '*'");
	expect_err("community 65000:0x10",
		   "column 17: community part '0x10' is not a number, a range A-B or '*'");
	expect_err("community 65000:1-",
		   "column 17: community part '1-' is not a number, a range A-B or '*'");
	expect_err("community 65000:-1",
		   "column 17: community part '-1' is not a number, a range A-B or '*'");
	expect_err("community 65000:**",
		   "column 17: community part '**' is not a number, a range A-B or '*'");
	expect_err("community 65000:1-*",
		   "column 17: community part '1-*' is not a number, a range A-B or '*'");
	expect_err("community 65000:0100",
		   "column 17: community part '0100' has a leading zero (decimal numbers only)");
	expect_err("community 1:2:00",
		   "column 15: community part '00' has a leading zero (decimal numbers only)");
	expect_err("community 65000:", "column 17: empty community part");
	expect_err("community :100", "column 11: empty community part");
	expect_err("community 1::3", "column 13: empty community part");
	expect_err("community 65000:200-100", "column 17: empty range '200-100' (start above end)");
	expect_err("port 1 and community 3:2-1:5", "column 24: empty range '2-1' (start above end)");
	expect_err("src community 1:1",
		   "column 5: expected a directional match (address, port, asn, netsize, "
		   "iface, cid, vrf, country) after 'src', found 'community'");
	expect_err("dst community no-export",
		   "column 5: expected a directional match (address, port, asn, "
		   "netsize, iface, cid, vrf, country) after 'dst', found 'community'");
	expect_err("community 1:1 1:2", "column 15: expected 'and', 'or' or end of expression, found '1:2'");
	expect_err("communities 1:1", "column 1: expected a match, 'not' or '(', found 'communities'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_standard),	cmocka_unit_test(test_large),
	    cmocka_unit_test(test_wellknown),	cmocka_unit_test(test_absent),
	    cmocka_unit_test(test_expressions), cmocka_unit_test(test_compiled),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
