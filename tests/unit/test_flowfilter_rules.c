/*
 * flowfilter as flowpipeline reads it: one test per rule where our reading once differed (issue
 * 13): grouping to the right, the mixed and/or warning, status masks, ICMP from the destination
 * port, interface speed in Gbit/s, cid, absent fields as zero, the empty filter, the literal
 * forms it tolerates, the other keywords.
 */
#include "flowfilter/eval.h"
#include "test_flowfilter_fp.h"

/* and/or have no precedence: each joins its left statement with everything to its right. */
static void test_rule_grouping(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	r.proto = 17;
	r.dst_port = 53;
	/* flowpipeline: proto tcp and (port 80 or port 53) -> a UDP DNS flow is dropped */
	TABLE(&r, {"proto tcp and port 80 or port 53", 0}, {"(proto tcp and port 80) or port 53", 1},
	      {"port 53 or proto tcp and port 80", 1}, {"port 80 or proto tcp and port 53", 0},
	      {"proto udp and port 80 or port 53 and proto udp", 1},
	      {"proto udp and port 80 or port 53 and proto tcp", 0}, {"not proto tcp and port 53", 1},
	      {"not (proto udp and port 53) or port 53", 1}, {"not proto udp and port 53 or port 53", 0});
	r.proto = 6;
	r.dst_port = 80;
	TABLE(&r, {"proto tcp and port 80 or port 53", 1}, {"proto udp and port 80 or port 80", 0},
	      {"proto udp or port 81 and port 80 or proto tcp", 0},
	      {"proto udp or port 80 and port 81 or proto tcp", 1});
}

/* --check's warning: where `and` and `or` meet without parentheses, and only there. */
static void test_rule_mixed_warning(void **state)
{
	(void)state;
	char msg[512];
	static const struct {
		const char *expr;
		int col; /* 0: no warning */
	} cases[] = {
	    {"proto tcp and port 80 or port 53", 23},
	    {"port 53 or proto tcp and port 80", 22},
	    {"a or b", 0}, /* does not compile: no warning either */
	    {"proto tcp and port 80 and port 53", 0},
	    {"port 80 or port 53 or port 443", 0},
	    {"proto tcp and (port 80 or port 53)", 0},
	    {"(proto tcp and port 80) or port 53", 0},
	    {"not (proto tcp or proto udp) and port 53", 0},
	    {"proto tcp and (port 80 or port 53 and proto udp)", 35},
	    {"", 0},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		int m = ofd_filter_mixed(cases[i].expr, msg, sizeof(msg));
		if (m != (cases[i].col != 0))
			fail_msg("'%s': mixed %d", cases[i].expr, m);
		if (!m) {
			assert_string_equal(msg, "");
			continue;
		}
		char want[32];
		snprintf(want, sizeof(want), "column %d: ", cases[i].col);
		if (strncmp(msg, want, strlen(want)) != 0)
			fail_msg("'%s': %s", cases[i].expr, msg);
		assert_non_null(strstr(msg, "'a and b or c' is 'a and (b or c)'"));
	}
	/* a short buffer is cut, not overrun */
	char small[10];
	assert_int_equal(ofd_filter_mixed("port 1 and port 2 or port 3", small, sizeof(small)), 1);
	assert_string_equal(small, "column 19");
	assert_int_equal(ofd_filter_mixed("port 1 and port 2 or port 3", NULL, 0), 1);
}

/* status words are bit masks of forwarding_status, numbers exact. */
static void test_rule_status_masks(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	ofd_flow_set(&r, OFD_F_FORWARDING_STATUS);
	static const struct {
		uint32_t fs;
		const char *yes[4], *no[4];
	} cases[] = {
	    {0x40, {"status forwarded", "status 64"}, {"status dropped", "status consumed", "status 65"}},
	    {0x42, {"status forwarded", "status 0b01000010"}, {"status dropped", "status 64"}},
	    {0x80,
	     {"status dropped", "status 128"},
	     {"status forwarded", "status acldeny", "status consumed"}},
	    {0x81, {"status acldeny", "status dropped"}, {"status acldrop", "status unroutable"}},
	    {0x83,
	     {"status unroutable", "status acldeny", "status acldrop", "status dropped"},
	     {"status 129"}},
	    {0x8a,
	     {"status policerdrop", "status acldrop", "status dropped"},
	     {"status acldeny", "status unroutable"}},
	    {0xc0,
	     {"status consumed", "status dropped", "status forwarded"},
	     {"status acldeny", "status 128"}},
	    {0x00, {"status 0"}, {"status forwarded", "status dropped", "status consumed"}},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		r.forwarding_status = cases[i].fs;
		for (size_t k = 0; k < 4 && cases[i].yes[k]; k++)
			if (!verdict(cases[i].yes[k], &r))
				fail_msg("0x%x: '%s' should match", cases[i].fs, cases[i].yes[k]);
		for (size_t k = 0; k < 4 && cases[i].no[k]; k++)
			if (verdict(cases[i].no[k], &r))
				fail_msg("0x%x: '%s' should not match", cases[i].fs, cases[i].no[k]);
	}
}

/* icmp type/code: protocol 1 only, type = dst_port >> 8, code = dst_port & 0xff. */
static void test_rule_icmp(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	r.proto = 1;
	r.dst_port = 0x0303; /* 3/3: port unreachable */
	r.icmp_type = 0;     /* the ICMP fields are not what it reads */
	r.icmp_code = 0;
	ofd_flow_set(&r, OFD_F_ICMP_TYPE);
	ofd_flow_set(&r, OFD_F_ICMP_CODE);
	TABLE(&r, {"icmp type 3", 1}, {"icmp code 3", 1}, {"icmp type 3 and icmp code 3", 1},
	      {"icmp type 0", 0}, {"icmp code 0", 0});
	r.dst_port = 0x0b00; /* 11/0 */
	TABLE(&r, {"icmp type 11", 1}, {"icmp code 0", 1}, {"icmp type 3", 0});
	r.proto = 58; /* ICMPv6 is not protocol 1 */
	TABLE(&r, {"icmp type 11", 0}, {"icmp code 0", 0});
	r.proto = 17;
	TABLE(&r, {"icmp type 11", 0}, {"not icmp code 0", 1});
}

/* iface speed: a bare number is whole Gbit/s of the interface (Mbit/s / 1000, rounded down). */
static void test_rule_iface_speed(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	ofd_flow_set(&r, OFD_F_IN_IF_SPEED);
	ofd_flow_set(&r, OFD_F_OUT_IF_SPEED);
	r.in_if_speed = 100000000000ull; /* 100 Gbit/s */
	r.out_if_speed = 2500000000ull;	 /* 2.5 Gbit/s */
	TABLE(&r, {"iface speed 100", 1}, {"src iface speed 100", 1}, {"dst iface speed 2", 1},
	      {"dst iface speed 3", 0}, {"iface speed 100000", 0}, {"iface speed >99", 1},
	      {"dst iface speed <3", 1}, {"iface speed 1-10", 1}, {"src iface speed 1-10", 0},
	      /* ours: with a unit, exact bit/s */
	      {"dst iface speed 2500M", 1}, {"dst iface speed 2G", 0}, {"src iface speed 100G", 1});
	r.out_if_speed = 999000000ull; /* below 1 Gbit/s reads as 0 */
	TABLE(&r, {"dst iface speed 0", 1}, {"dst iface speed >0", 0});
	/* a bare bound and a unit bound in one range are refused */
	struct ofd_filter *f;
	char err[256];
	assert_int_equal(ofd_filter_compile(&f, "iface speed 1-10G", err, sizeof(err)), OFD_EFORMAT);
	assert_non_null(strstr(err, "column 13: a speed range with and without a unit"));
}

/* cid: without a direction cid, src_cid or dst_cid; src cid / dst cid one each. */
static void test_rule_cid(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	ofd_flow_set(&r, OFD_F_CID);
	r.cid = 7;
	TABLE(&r, {"cid 7", 1}, {"src cid 7", 0}, {"dst cid 7", 0}, {"cid 8", 0}, {"src cid 0", 1});
	ofd_flow_set(&r, OFD_F_SRC_CID);
	ofd_flow_set(&r, OFD_F_DST_CID);
	r.src_cid = 100;
	r.dst_cid = 200;
	TABLE(&r, {"cid 7", 1}, {"cid 100", 1}, {"cid 200", 1}, {"cid 0", 0}, {"src cid 100", 1},
	      {"src cid 200", 0}, {"dst cid 200", 1}, {"cid 150-160", 0}, {"cid <8", 1});
}

/* A field the flow does not carry compares as zero. */
static void test_rule_absent_zero(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	ofd_flow_set(&r, OFD_F_PROTO);
	r.proto = 6;
	/* stale member values behind clear present bits are not read */
	r.med = 5, r.local_pref = 5, r.src_vrf = 5, r.dst_vrf = 5, r.rpki = OFD_RPKI_VALID;
	r.flow_direction = OFD_DIR_EGRESS, r.normalized = 1, r.cid = 5, r.src_cid = 5, r.dst_cid = 5;
	r.forwarding_status = 0x80, r.in_if_speed = 5000000000ull;
	memcpy(r.remote_country, "DE", 2);
	r.as_path_len = 1, r.as_path[0] = 553;
	TABLE(&r, {"med 0", 1}, {"localpref 0", 1}, {"vrf 0", 1}, {"src vrf 0", 1}, {"rpki unknown", 1},
	      {"incoming", 1}, {"direction incoming", 1}, {"outgoing", 0}, {"not normalized", 1},
	      {"cid 0", 1}, {"status 0", 1}, {"status dropped", 0}, {"iface speed 0", 1}, {"country DE", 0},
	      {"passes-through 553", 0}, {"iface name ''", 1}, {"iface desc 'x'", 0}, {"med >0", 0});
}

/* The empty filter passes every flow. */
static void test_rule_empty(void **state)
{
	(void)state;
	struct ofd_flow a = {0}, b;
	ref_flow(&b);
	static const char *const empty[] = {"", " ", "\t\n"};
	expect_all(empty, NELEM(empty), &a, 1);
	expect_all(empty, NELEM(empty), &b, 1);
	struct ofd_filter *f;
	assert_int_equal(ofd_filter_compile(&f, "", NULL, 0), 0);
	struct ofd_batch *batch = malloc(sizeof(*batch));
	assert_non_null(batch);
	ofd_batch_init(batch, NULL, NULL);
	for (int i = 0; i < 70; i++)
		(void)ofd_batch_add(batch);
	ofd_batch_kill(batch, 3);
	assert_int_equal(ofd_filter_batch(f, batch), 69);
	ofd_filter_free(f);
	free(batch);
}

/* Literal forms: `port 1 -4`, octal numbers, dscp besteffort, prefix lengths past the width. */
static void test_rule_literals(void **state)
{
	(void)state;
	struct ofd_flow r = {0};
	r.src_port = 3;
	r.dst_port = 8;
	ofd_ip_set4u(&r.src_addr, 0x0a000001);
	set_v6(&r.dst_addr, "2001:db8::1");
	TABLE(&r, {"src port 1 -4", 1}, {"src port 1- 4", 1}, {"src port 1 - 4", 1}, {"src port 4 -5", 0},
	      {"dst port 010", 1}, {"dst port 8", 1}, {"dst port 0x8", 1}, {"dst port 0b1000", 1},
	      {"dst port 0010", 1}, {"src port 03", 1},
	      /* a length past the family's width is taken and never holds */
	      {"address 10.0.0.1/33", 0}, {"address 10.0.0.1/255", 0}, {"not address 10.0.0.1/255", 1},
	      {"address 2001:db8::1/129", 0}, {"address 10.0.0.1/32", 1}, {"address 2001:db8::1/128", 1},
	      {"address 10.0.0.0/8", 1}, {"address 0.0.0.0/0", 1}, {"dst address 0.0.0.0/0", 0},
	      {"address 10.0.0.1", 1});
	r.ip_tos = 0x00;
	TABLE(&r, {"dscp besteffort", 1}, {"dscp default", 1}, {"dscp 0", 1});
	r.ip_tos = 0xb8; /* EF */
	TABLE(&r, {"dscp besteffort", 0}, {"dscp 46", 1});
}

/* The other keywords against a second flow: names, ranges, <, >, directions. */
static void test_rule_keywords(void **state)
{
	(void)state;
	struct ofd_flow r;
	ref_flow(&r);
	r.proto = 6;
	r.tcp_flags = 0x192; /* ece (0x100 here), cwr, ack, syn */
	r.flow_direction = OFD_DIR_EGRESS;
	r.normalized = 1;
	memcpy(r.remote_country, "US", 2);
	TABLE(&r, {"tcpflags syn", 1}, {"tcpflags ack", 1}, {"tcpflags synack", 1}, {"tcpflags cwr", 1},
	      {"tcpflags ece", 1}, {"tcpflags fin", 0}, {"tcpflags 0x192", 1}, {"tcpflags 0x12", 0},
	      {"outgoing", 1}, {"incoming", 0}, {"direction outgoing", 1}, {"normalized", 1},
	      {"country us", 1}, {"country DE", 0}, {"proto tcp", 1}, {"proto ipip", 0}, {"etype ipv4", 1},
	      {"etype arp", 0}, {"asn 12345", 1}, {"dst asn >12344", 1}, {"dst asn <12345", 0},
	      {"nexthop 10.11.0.1", 1}, {"router 10.0.0.2", 0}, {"duration >249", 1}, {"duration <250", 0},
	      {"ecn 3", 1}, {"ecn ect0", 0}, {"iptos 3", 1}, {"iptos >3", 0}, {"packets 400", 1},
	      {"bytes 20490000-20490000", 1}, {"src netsize 24", 1}, {"dst netsize 24", 0});
	r.tcp_flags = 0x40; /* the real ECE bit is no flowfilter word */
	TABLE(&r, {"tcpflags ece", 0}, {"tcpflags cwr", 0}, {"tcpflags 64", 1});
	r.proto = 94;
	TABLE(&r, {"proto ipip", 1}, {"proto 94", 1}, {"proto 4", 0});
}

/* A chain changes between `and` and `or` at most 256 times (each change is a level of nesting). */
static void test_rule_chain_limit(void **state)
{
	(void)state;
	static const char unit[] = " and port 2 or port 3";
	size_t cap = 16 + 128 * strlen(unit) + 32;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t o = (size_t)snprintf(s, cap, "port 1");
	for (int i = 0; i < 128; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s", unit);
	snprintf(s + o, cap - o, " and port 4"); /* 256 changes */
	struct ofd_filter *f;
	char err[128];
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), 0);
	assert_int_equal(f->n, 2 * 258);
	ofd_filter_free(f);
	snprintf(s + o, cap - o, " and port 4 or port 5"); /* 257 */
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err,
			    "column 2707: more than 256 changes between 'and' and 'or' without parentheses");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_grouping),     cmocka_unit_test(test_rule_mixed_warning),
	    cmocka_unit_test(test_rule_status_masks), cmocka_unit_test(test_rule_icmp),
	    cmocka_unit_test(test_rule_iface_speed),  cmocka_unit_test(test_rule_cid),
	    cmocka_unit_test(test_rule_absent_zero),  cmocka_unit_test(test_rule_empty),
	    cmocka_unit_test(test_rule_literals),     cmocka_unit_test(test_rule_keywords),
	    cmocka_unit_test(test_rule_chain_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
