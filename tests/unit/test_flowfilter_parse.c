/*
 * flowfilter parser: every keyword and literal form compiles to the expected tests, every error
 * message names its column, precedence and `not` binding, nesting and size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/eval.h"
#include "flowfilter/flowfilter.h"

static struct ofd_filter *compile(const char *expr)
{
	struct ofd_filter *f = NULL;
	char err[256];
	int rc = ofd_filter_compile(&f, expr, err, sizeof(err));
	if (rc)
		fail_msg("'%s' did not compile: %s", expr, err);
	return f;
}

/* expr compiles to one test per entry of ops with the given [lo, hi]. */
struct want {
	uint8_t op;
	uint64_t lo, hi;
};

static void check_code(const char *expr, const struct want *w, uint32_t n)
{
	struct ofd_filter *f = compile(expr);
	if (f->n != n)
		fail_msg("'%s': %u tests, want %u", expr, f->n, n);
	for (uint32_t i = 0; i < n; i++) {
		if (f->code[i].op != w[i].op || f->code[i].lo != w[i].lo || f->code[i].hi != w[i].hi)
			fail_msg("'%s' test %u: op %u [%llu, %llu], want op %u [%llu, %llu]", expr, i,
				 f->code[i].op, (unsigned long long)f->code[i].lo,
				 (unsigned long long)f->code[i].hi, w[i].op, (unsigned long long)w[i].lo,
				 (unsigned long long)w[i].hi);
	}
	ofd_filter_free(f);
}

#define CHECK(expr, ...)                                                                                     \
	do {                                                                                                 \
		const struct want w_[] = {__VA_ARGS__};                                                      \
		check_code(expr, w_, sizeof(w_) / sizeof(w_[0]));                                            \
	} while (0)

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

#define U64MAX UINT64_MAX

static void test_literals(void **state)
{
	(void)state;
	CHECK("bytes 42", {OFD_FF_OP_BYTES, 42, 42});
	CHECK("bytes 0x2A", {OFD_FF_OP_BYTES, 42, 42});
	CHECK("bytes 0X2a", {OFD_FF_OP_BYTES, 42, 42});
	CHECK("bytes 0b101010", {OFD_FF_OP_BYTES, 42, 42});
	CHECK("bytes 0", {OFD_FF_OP_BYTES, 0, 0});
	CHECK("bytes 18446744073709551615", {OFD_FF_OP_BYTES, U64MAX, U64MAX});
	CHECK("bytes 10-20", {OFD_FF_OP_BYTES, 10, 20});
	CHECK("bytes 0x10-0b11111", {OFD_FF_OP_BYTES, 16, 31});
	CHECK("bytes 10 - 20", {OFD_FF_OP_BYTES, 10, 20});
	CHECK("bytes 7-7", {OFD_FF_OP_BYTES, 7, 7});
	CHECK("bytes <10", {OFD_FF_OP_BYTES, 0, 9});
	CHECK("bytes < 10", {OFD_FF_OP_BYTES, 0, 9});
	CHECK("bytes <=10", {OFD_FF_OP_BYTES, 0, 10});
	CHECK("bytes <= 10", {OFD_FF_OP_BYTES, 0, 10});
	CHECK("bytes >10", {OFD_FF_OP_BYTES, 11, U64MAX});
	CHECK("bytes > 10", {OFD_FF_OP_BYTES, 11, U64MAX});
	CHECK("bytes >=10", {OFD_FF_OP_BYTES, 10, U64MAX});
	CHECK("bytes >= 0x0a", {OFD_FF_OP_BYTES, 10, U64MAX});
	/* empty ranges compile and never match */
	CHECK("bytes <0", {OFD_FF_OP_BYTES, 1, 0});
	CHECK("bytes >18446744073709551615", {OFD_FF_OP_BYTES, 1, 0});
	CHECK("bytes >=0", {OFD_FF_OP_BYTES, 0, U64MAX});
	/* keywords and words ignore ASCII case */
	CHECK("PROTO UDP", {OFD_FF_OP_PROTO, 17, 17});
	CHECK("Src Port 53", {OFD_FF_OP_SRC_PORT, 53, 53});
	/* strings in either quote, spaces kept */
	struct ofd_filter *f = compile("iface name 'Hu 0' or iface desc \"It's\"");
	assert_int_equal(f->n, 4);
	assert_string_equal(f->strings + f->code[0].aux, "hu 0");
	assert_string_equal(f->strings + f->code[2].aux, "it's");
	ofd_filter_free(f);
	f = compile("iface name \"\"");
	assert_string_equal(f->strings + f->code[0].aux, "");
	ofd_filter_free(f);
}

static void test_directional(void **state)
{
	(void)state;
	CHECK("port 80", {OFD_FF_OP_SRC_PORT, 80, 80}, {OFD_FF_OP_DST_PORT, 80, 80});
	CHECK("src port 80", {OFD_FF_OP_SRC_PORT, 80, 80});
	CHECK("dst port 80", {OFD_FF_OP_DST_PORT, 80, 80});
	CHECK("asn 64512-65534", {OFD_FF_OP_SRC_AS, 64512, 65534}, {OFD_FF_OP_DST_AS, 64512, 65534});
	CHECK("dst asn 553", {OFD_FF_OP_DST_AS, 553, 553});
	CHECK("src netsize <24", {OFD_FF_OP_SRC_NET, 0, 23});
	CHECK("netsize 8", {OFD_FF_OP_SRC_NET, 8, 8}, {OFD_FF_OP_DST_NET, 8, 8});
	CHECK("cid <20000", {OFD_FF_OP_CID, 0, 19999});
	CHECK("dst cid 7", {OFD_FF_OP_DST_CID, 7, 7});
	CHECK("vrf 3", {OFD_FF_OP_SRC_VRF, 3, 3}, {OFD_FF_OP_DST_VRF, 3, 3});
	CHECK("src vrf 3", {OFD_FF_OP_SRC_VRF, 3, 3});
	CHECK("iface 5", {OFD_FF_OP_IN_IF, 5, 5}, {OFD_FF_OP_OUT_IF, 5, 5});
	CHECK("interface 5", {OFD_FF_OP_IN_IF, 5, 5}, {OFD_FF_OP_OUT_IF, 5, 5});
	CHECK("src iface id 1-3", {OFD_FF_OP_IN_IF, 1, 3});
	CHECK("dst interface id 4", {OFD_FF_OP_OUT_IF, 4, 4});
	CHECK("src iface speed 100", {OFD_FF_OP_IN_SPEED_G, 100, 100});
	CHECK("iface speed 1-10", {OFD_FF_OP_IN_SPEED_G, 1, 10}, {OFD_FF_OP_OUT_SPEED_G, 1, 10});
	CHECK("dst iface speed 100G", {OFD_FF_OP_OUT_SPEED, 100000000000, 100000000000});
	CHECK("iface speed 1g-10G", {OFD_FF_OP_IN_SPEED, 1000000000, 10000000000},
	      {OFD_FF_OP_OUT_SPEED, 1000000000, 10000000000});
	CHECK("src iface speed >10k", {OFD_FF_OP_IN_SPEED, 10001, U64MAX});
	CHECK("src iface speed <1T", {OFD_FF_OP_IN_SPEED, 0, 999999999999});
	CHECK("src iface speed 40M", {OFD_FF_OP_IN_SPEED, 40000000, 40000000});
	CHECK("src iface name 'x'", {OFD_FF_OP_IN_NAME, 0, 0});
	CHECK("dst iface desc 'x'", {OFD_FF_OP_OUT_DESC, 0, 0});
	CHECK("iface desc 'x'", {OFD_FF_OP_IN_DESC, 0, 0}, {OFD_FF_OP_OUT_DESC, 0, 0});
	CHECK("country de", {OFD_FF_OP_COUNTRY, 0x4445, 0x4445});
	CHECK("src country US", {OFD_FF_OP_SRC_COUNTRY, 0x5553, 0x5553});
	CHECK("dst country fR", {OFD_FF_OP_DST_COUNTRY, 0x4652, 0x4652});
	CHECK("address 10.0.0.0/8", {OFD_FF_OP_SRC_ADDR, 0, 0}, {OFD_FF_OP_DST_ADDR, 0, 0});
	CHECK("src address ::/0", {OFD_FF_OP_SRC_ADDR, 0, 0});
	CHECK("dst address 0.0.0.0/0", {OFD_FF_OP_DST_ADDR, 0, 0});
}

static void test_prefixes(void **state)
{
	(void)state;
	struct ofd_filter *f = compile("src address 10.1.2.3/8");
	const struct ofd_ff_prefix *p = &f->prefixes[f->code[0].aux];
	uint8_t net[16], mask[16];
	memcpy(net, p->net, 16);
	memcpy(mask, p->mask, 16);
	static const uint8_t want_net[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0};
	static const uint8_t want_mask[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0,	  0,	0};
	assert_int_equal(p->family, OFD_AF_INET);
	assert_memory_equal(net, want_net, 16);
	assert_memory_equal(mask, want_mask, 16);
	ofd_filter_free(f);

	f = compile("dst address 2001:db8::1:2/33");
	p = &f->prefixes[f->code[0].aux];
	memcpy(net, p->net, 16);
	memcpy(mask, p->mask, 16);
	static const uint8_t net6[16] = {0x20, 0x01, 0x0d, 0xb8, 0};
	static const uint8_t mask6[16] = {0xff, 0xff, 0xff, 0xff, 0x80};
	assert_int_equal(p->family, OFD_AF_INET6);
	assert_memory_equal(net, net6, 16);
	assert_memory_equal(mask, mask6, 16);
	ofd_filter_free(f);

	/* a host address without a length is /32 or /128 */
	f = compile("router 192.0.2.1 or nexthop fe80::1 or address ::/0 or address 1.2.3.4/32");
	assert_int_equal(f->n, 6);
	assert_int_equal(f->code[0].op, OFD_FF_OP_ROUTER);
	assert_int_equal(f->code[1].op, OFD_FF_OP_NEXTHOP);
	p = &f->prefixes[f->code[0].aux];
	assert_true(p->mask[0] == UINT64_MAX && p->mask[1] == UINT64_MAX);
	p = &f->prefixes[f->code[1].aux];
	assert_int_equal(p->family, OFD_AF_INET6);
	assert_true(p->mask[0] == UINT64_MAX && p->mask[1] == UINT64_MAX);
	p = &f->prefixes[f->code[2].aux];
	assert_true(p->mask[0] == 0 && p->mask[1] == 0 && p->family == OFD_AF_INET6);
	ofd_filter_free(f);
}

static void test_regular(void **state)
{
	(void)state;
	CHECK("nexthopasn 553", {OFD_FF_OP_NEXTHOP_AS, 553, 553});
	CHECK("packets >1", {OFD_FF_OP_PACKETS, 2, U64MAX});
	CHECK("duration >0", {OFD_FF_OP_DURATION, 1, U64MAX});
	CHECK("samplingrate <512", {OFD_FF_OP_SAMPLING, 0, 511});
	CHECK("bps >1048576", {OFD_FF_OP_BPS, 1048577, U64MAX});
	CHECK("pps <=1000", {OFD_FF_OP_PPS, 0, 1000});
	CHECK("med <200", {OFD_FF_OP_MED, 0, 199});
	CHECK("localpref >100", {OFD_FF_OP_LOCALPREF, 101, U64MAX});
	CHECK("iptos 0xb8", {OFD_FF_OP_IPTOS, 0xb8, 0xb8});
	CHECK("dsfield 4-8", {OFD_FF_OP_IPTOS, 4, 8});
	CHECK("iptos ce", {OFD_FF_OP_IPTOS_MASK, 3, 3});
	CHECK("dsfield ect0", {OFD_FF_OP_IPTOS_MASK, 2, 2});
	CHECK("iptos ect1", {OFD_FF_OP_IPTOS_MASK, 1, 1});
	CHECK("dscp 46", {OFD_FF_OP_DSCP, 46, 46});
	CHECK("dscp ef", {OFD_FF_OP_DSCP, 46, 46});
	CHECK("dscp default", {OFD_FF_OP_DSCP, 0, 0});
	CHECK("dscp af41", {OFD_FF_OP_DSCP, 34, 34});
	CHECK("dscp cs6", {OFD_FF_OP_DSCP, 48, 48});
	CHECK("dscp 8-15", {OFD_FF_OP_DSCP, 8, 15});
	CHECK("ecn ce", {OFD_FF_OP_ECN, 3, 3});
	CHECK("ecn ect0", {OFD_FF_OP_ECN, 2, 2});
	CHECK("ecn ect1", {OFD_FF_OP_ECN, 1, 1});
	CHECK("ecn notect", {OFD_FF_OP_ECN, 0, 0});
	CHECK("ecn 0b11", {OFD_FF_OP_ECN, 3, 3});
	CHECK("etype ipv4", {OFD_FF_OP_ETYPE, 0x0800, 0x0800});
	CHECK("etype ipv6", {OFD_FF_OP_ETYPE, 0x86dd, 0x86dd});
	CHECK("etype arp", {OFD_FF_OP_ETYPE, 0x0806, 0x0806});
	CHECK("etype 0x86DD", {OFD_FF_OP_ETYPE, 0x86dd, 0x86dd});
	CHECK("proto icmp", {OFD_FF_OP_PROTO, 1, 1});
	CHECK("proto tcp", {OFD_FF_OP_PROTO, 6, 6});
	CHECK("proto udp", {OFD_FF_OP_PROTO, 17, 17});
	CHECK("proto icmpv6", {OFD_FF_OP_PROTO, 58, 58});
	CHECK("proto ipip", {OFD_FF_OP_PROTO, 94, 94});
	CHECK("proto vrrp", {OFD_FF_OP_PROTO, 112, 112});
	CHECK("proto gre", {OFD_FF_OP_PROTO, 47, 47});
	CHECK("proto esp", {OFD_FF_OP_PROTO, 50, 50});
	CHECK("proto sctp", {OFD_FF_OP_PROTO, 132, 132});
	CHECK("proto 6", {OFD_FF_OP_PROTO, 6, 6});
	CHECK("status forwarded", {OFD_FF_OP_STATUS_MASK, 0x40, 0x40});
	CHECK("status dropped", {OFD_FF_OP_STATUS_MASK, 0x80, 0x80});
	CHECK("status consumed", {OFD_FF_OP_STATUS_MASK, 0xc0, 0xc0});
	CHECK("status acldeny", {OFD_FF_OP_STATUS_MASK, 129, 129});
	CHECK("status acldrop", {OFD_FF_OP_STATUS_MASK, 130, 130});
	CHECK("status unroutable", {OFD_FF_OP_STATUS_MASK, 131, 131});
	CHECK("status policerdrop", {OFD_FF_OP_STATUS_MASK, 138, 138});
	CHECK("status 0b10000000", {OFD_FF_OP_STATUS, 128, 128});
	CHECK("tcpflags fin", {OFD_FF_OP_TCPFLAGS_MASK, 1, 1});
	CHECK("tcpflags syn", {OFD_FF_OP_TCPFLAGS_MASK, 2, 2});
	CHECK("tcpflags rst", {OFD_FF_OP_TCPFLAGS_MASK, 4, 4});
	CHECK("tcpflags psh", {OFD_FF_OP_TCPFLAGS_MASK, 8, 8});
	CHECK("tcpflags ack", {OFD_FF_OP_TCPFLAGS_MASK, 16, 16});
	CHECK("tcpflags urg", {OFD_FF_OP_TCPFLAGS_MASK, 32, 32});
	CHECK("tcpflags ece", {OFD_FF_OP_TCPFLAGS_MASK, 256, 256});
	CHECK("tcpflags cwr", {OFD_FF_OP_TCPFLAGS_MASK, 128, 128});
	CHECK("tcpflags synack", {OFD_FF_OP_TCPFLAGS_MASK, 18, 18});
	CHECK("tcpflags 0b010000", {OFD_FF_OP_TCPFLAGS, 16, 16});
	CHECK("icmp type 3", {OFD_FF_OP_ICMP_TYPE, 3, 3});
	CHECK("icmp code 0-4", {OFD_FF_OP_ICMP_CODE, 0, 4});
	CHECK("rpki valid", {OFD_FF_OP_RPKI, OFD_RPKI_VALID, OFD_RPKI_VALID});
	CHECK("rpki invalid", {OFD_FF_OP_RPKI, OFD_RPKI_INVALID, OFD_RPKI_INVALID});
	CHECK("rpki notfound", {OFD_FF_OP_RPKI, OFD_RPKI_NOTFOUND, OFD_RPKI_NOTFOUND});
	CHECK("rpki unknown", {OFD_FF_OP_RPKI, OFD_RPKI_UNKNOWN, OFD_RPKI_UNKNOWN});
	CHECK("direction incoming", {OFD_FF_OP_DIRECTION, OFD_DIR_INGRESS, OFD_DIR_INGRESS});
	CHECK("direction outgoing", {OFD_FF_OP_DIRECTION, OFD_DIR_EGRESS, OFD_DIR_EGRESS});
	CHECK("incoming", {OFD_FF_OP_DIRECTION, OFD_DIR_INGRESS, OFD_DIR_INGRESS});
	CHECK("outgoing", {OFD_FF_OP_DIRECTION, OFD_DIR_EGRESS, OFD_DIR_EGRESS});
	CHECK("normalized", {OFD_FF_OP_NORMALIZED, 1, 1});
	CHECK("passes-through 553", {OFD_FF_OP_PASSES, 1, 0});

	struct ofd_filter *f = compile("passes-through 100 0x66 0b1 and passes-through 7");
	assert_int_equal(f->n, 2);
	assert_int_equal(f->code[0].lo, 3);
	assert_int_equal(f->asns[f->code[0].aux], 100);
	assert_int_equal(f->asns[f->code[0].aux + 1], 102);
	assert_int_equal(f->asns[f->code[0].aux + 2], 1);
	assert_int_equal(f->asns[f->code[1].aux], 7);
	ofd_filter_free(f);
	f = compile("passes-through 1 2 3 4 5 6 7 8 9 10 11 4294967295");
	assert_int_equal(f->code[0].lo, 12);
	ofd_filter_free(f);
}

/* The jump layout of `and`, `or`, `not` (eval.h). */
static void test_structure(void **state)
{
	(void)state;
	struct ofd_filter *f = compile("proto udp and src port 123 and packets > 1");
	assert_int_equal(f->n, 3);
	assert_int_equal(f->code[0].jt, 1);
	assert_int_equal(f->code[0].jf, OFD_FF_REJECT);
	assert_int_equal(f->code[1].jt, 2);
	assert_int_equal(f->code[2].jt, OFD_FF_ACCEPT);
	assert_int_equal(f->code[2].jf, OFD_FF_REJECT);
	ofd_filter_free(f);
	/* a and b or c is a and (b or c): a false rejects, b false goes to c */
	f = compile("proto 1 and proto 2 or proto 3");
	assert_int_equal(f->code[0].jt, 1);
	assert_int_equal(f->code[0].jf, OFD_FF_REJECT);
	assert_int_equal(f->code[1].jt, OFD_FF_ACCEPT);
	assert_int_equal(f->code[1].jf, 2);
	assert_int_equal(f->code[2].jt, OFD_FF_ACCEPT);
	assert_int_equal(f->code[2].jf, OFD_FF_REJECT);
	ofd_filter_free(f);
	/* the empty expression: no tests, every flow passes */
	f = compile("");
	assert_int_equal(f->n, 0);
	ofd_filter_free(f);
	/* not swaps the exits */
	f = compile("not proto 1");
	assert_int_equal(f->code[0].jt, OFD_FF_REJECT);
	assert_int_equal(f->code[0].jf, OFD_FF_ACCEPT);
	ofd_filter_free(f);
}

/* Grouping (to the right, as flowfilter) and `not` binding, through evaluation: a = proto 6,
 * b = src port 1, c = dst port 2. */
static int eval3(const char *expr, int a, int b, int c)
{
	struct ofd_filter *f = compile(expr);
	struct ofd_flow r = {0};
	r.proto = a ? 6 : 17;
	r.src_port = b ? 1 : 9;
	r.dst_port = c ? 2 : 9;
	int m = ofd_filter_match(f, &r);
	ofd_filter_free(f);
	return m;
}

static void test_precedence(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		int a = i & 1, b = i >> 1 & 1, c = i >> 2 & 1;
		assert_int_equal(eval3("proto 6 and src port 1 or dst port 2", a, b, c), a && (b || c));
		assert_int_equal(eval3("dst port 2 or proto 6 and src port 1 or dst port 2", a, b, c),
				 c || (a && (b || c)));
		assert_int_equal(eval3("proto 6 and src port 1 or dst port 2 and proto 6", a, b, c),
				 a && (b || (c && a)));
		assert_int_equal(eval3("(proto 6 and src port 1) or dst port 2", a, b, c), (a && b) || c);
		assert_int_equal(eval3("proto 6 or src port 1 and dst port 2", a, b, c), a || (b && c));
		assert_int_equal(eval3("proto 6 and (src port 1 or dst port 2)", a, b, c), a && (b || c));
		assert_int_equal(eval3("(proto 6 or src port 1) and dst port 2", a, b, c), (a || b) && c);
		assert_int_equal(eval3("not proto 6 and src port 1", a, b, c), !a && b);
		assert_int_equal(eval3("not proto 6 or src port 1", a, b, c), !a || b);
		assert_int_equal(eval3("not (proto 6 and src port 1)", a, b, c), !(a && b));
		assert_int_equal(eval3("not (not proto 6)", a, b, c), a);
		assert_int_equal(eval3("proto 6 and not src port 1 or dst port 2", a, b, c), a && (!b || c));
		assert_int_equal(eval3("", a, b, c), 1);
		assert_int_equal(eval3("proto 6 and not (src port 1 or not dst port 2)", a, b, c),
				 a && !(b || !c));
		assert_int_equal(eval3("((proto 6))", a, b, c), a);
		assert_int_equal(eval3("proto 6 or src port 1 or dst port 2", a, b, c), a || b || c);
		assert_int_equal(eval3("proto 6 and src port 1 and dst port 2", a, b, c), a && b && c);
	}
}

static void test_errors(void **state)
{
	(void)state;
	expect_err("()", "column 2: expected a match, 'not' or '(' inside '( )', found ')'");
	expect_err("not not port 1",
		   "column 5: 'not not' is refused (as flowpipeline does); write 'not (not ...)'");
	expect_err("not", "column 4: expected a match, 'not' or '(', found end of expression");
	expect_err("foo", "column 1: expected a match, 'not' or '(', found 'foo'");
	expect_err("proto udp and", "column 14: expected a match, 'not' or '(', found end of expression");
	expect_err("proto udp and or port 1", "column 15: expected a match, 'not' or '(', found 'or'");
	expect_err("and", "column 1: expected a match, 'not' or '(', found 'and'");
	expect_err("not", "column 4: expected a match, 'not' or '(', found end of expression");
	expect_err("'x'", "column 1: expected a match, 'not' or '(', found a string");
	expect_err("proto udp port 1", "column 11: expected 'and', 'or' or end of expression, found 'port'");
	expect_err("proto udp)", "column 10: expected 'and', 'or' or end of expression, found ')'");
	expect_err(
	    "(proto udp",
	    "column 11: expected 'and', 'or' or ')' to close '(' at column 1, found end of expression");
	expect_err("x and (y", "column 1: expected a match, 'not' or '(', found 'x'");
	expect_err("port 1 and (port 2 or (port 3) port 4)",
		   "column 32: expected 'and', 'or' or ')' to close '(' at column 12, found 'port'");
	expect_err("proto udp and src port 'x'",
		   "column 24: expected a port range after 'port', found a string");
	expect_err("src port", "column 9: expected a port range after 'port', found end of expression");
	expect_err("port abc", "column 6: expected a port range after 'port', found 'abc'");
	expect_err("port 0x", "column 6: expected a port range after 'port', found '0x'");
	expect_err("port 0b2", "column 6: expected a port range after 'port', found '0b2'");
	expect_err("port 1-", "column 8: expected a port range after 'port', found end of expression");
	expect_err("port 1-x", "column 6: expected a port range after 'port', found '1-x'");
	expect_err("port 1 - x", "column 10: expected a port range after 'port', found 'x'");
	expect_err("port <", "column 7: expected a port range after 'port', found end of expression");
	expect_err("port <x", "column 6: expected a port range after 'port', found '<x'");
	expect_err("port >=", "column 8: expected a port range after 'port', found end of expression");
	expect_err("port 10-4", "column 6: empty range '10-4' (start above end)");
	expect_err("port 10 - 4", "column 6: empty range '10 - 4' (start above end)");
	expect_err("bytes 18446744073709551616", "column 7: number '18446744073709551616' too large");
	expect_err("iface speed 18446744073709551615G",
		   "column 13: number '18446744073709551615G' too large");
	expect_err("asn x", "column 5: expected an ASN range after 'asn', found 'x'");
	expect_err("netsize",
		   "column 8: expected a prefix length range after 'netsize', found end of expression");
	expect_err("cid x", "column 5: expected a customer id range after 'cid', found 'x'");
	expect_err("vrf x", "column 5: expected a VRF id range after 'vrf', found 'x'");
	expect_err("src",
		   "column 4: expected a directional match (address, port, asn, netsize, iface, cid, vrf, "
		   "country) after 'src', found end of expression");
	expect_err("dst bytes 5",
		   "column 5: expected a directional match (address, port, asn, netsize, iface, cid, "
		   "vrf, country) after 'dst', found 'bytes'");
	expect_err("address",
		   "column 8: expected an address (IP or IP/LEN) after 'address', found end of expression");
	expect_err("address 10.0.0",
		   "column 9: expected an address (IP or IP/LEN) after 'address', found '10.0.0'");
	expect_err("address 10.0.0.0/", "column 18: prefix length '' is not a number");
	expect_err("address 10.0.0.0/x", "column 18: prefix length 'x' is not a number");
	expect_err("address 10.0.0.0/-0", "column 18: prefix length '-0' is not a number");
	expect_err("router 'x'",
		   "column 8: expected an address (IP or IP/LEN) after 'router', found a string");
	expect_err("nexthop foo",
		   "column 9: expected an address (IP or IP/LEN) after 'nexthop', found 'foo'");
	expect_err("iface",
		   "column 6: expected an interface id, 'id', 'name', 'desc' or 'speed' after 'iface', found "
		   "end of expression");
	expect_err("interface foo",
		   "column 11: expected an interface id, 'id', 'name', 'desc' or 'speed' after "
		   "'interface', found 'foo'");
	expect_err("iface id x", "column 10: expected an interface id range after 'iface id', found 'x'");
	expect_err("iface name hu", "column 12: expected a quoted string after 'iface name', found 'hu'");
	expect_err("interface desc",
		   "column 15: expected a quoted string after 'interface desc', found end of "
		   "expression");
	expect_err("iface speed fast",
		   "column 13: expected a speed range (Gbit/s, or with K, M, G, T) after 'iface "
		   "speed', found 'fast'");
	expect_err("country DEU",
		   "column 9: expected a two-letter country code after 'country', found 'DEU'");
	expect_err("country D1", "column 9: expected a two-letter country code after 'country', found 'D1'");
	expect_err("direction up", "column 11: expected incoming or outgoing after 'direction', found 'up'");
	expect_err("rpki 1",
		   "column 6: expected valid, invalid, notfound or unknown after 'rpki', found '1'");
	expect_err("proto foo",
		   "column 7: expected a protocol number or name (tcp, udp, icmp, ...) after 'proto', "
		   "found 'foo'");
	expect_err("etype ip",
		   "column 7: expected an ethertype or ipv4, ipv6, arp after 'etype', found 'ip'");
	expect_err("tcpflags syn-ack",
		   "column 10: expected TCP flags (number, fin, syn, rst, psh, ack, urg, ece, "
		   "cwr, synack) after 'tcpflags', found 'syn-ack'");
	expect_err("status ok",
		   "column 8: expected a forwarding status (number, forwarded, dropped, consumed, "
		   "acldeny, acldrop, unroutable, policerdrop) after 'status', found 'ok'");
	expect_err("dscp x",
		   "column 6: expected a DSCP range or class (default, csN, afNN, ef, ...) after 'dscp', "
		   "found 'x'");
	expect_err("ecn x",
		   "column 5: expected an ECN value or ce, ect0, ect1, notect after 'ecn', found 'x'");
	expect_err("iptos x", "column 7: expected a TOS range or ce, ect0, ect1 after 'iptos', found 'x'");
	expect_err("dsfield",
		   "column 8: expected a TOS range or ce, ect0, ect1 after 'dsfield', found end of "
		   "expression");
	expect_err("bytes", "column 6: expected a byte count range after 'bytes', found end of expression");
	expect_err("packets x", "column 9: expected a packet count range after 'packets', found 'x'");
	expect_err("duration x",
		   "column 10: expected a duration range (seconds) after 'duration', found 'x'");
	expect_err("samplingrate x",
		   "column 14: expected a sampling rate range after 'samplingrate', found 'x'");
	expect_err("bps x", "column 5: expected a bits per second range after 'bps', found 'x'");
	expect_err("pps x", "column 5: expected a packets per second range after 'pps', found 'x'");
	expect_err("med x", "column 5: expected a MED range after 'med', found 'x'");
	expect_err("localpref x",
		   "column 11: expected a local preference range after 'localpref', found 'x'");
	expect_err("nexthopasn x", "column 12: expected an ASN range after 'nexthopasn', found 'x'");
	expect_err("icmp", "column 5: expected 'type' or 'code' after 'icmp', found end of expression");
	expect_err("icmp type x", "column 11: expected an ICMP type range after 'icmp type', found 'x'");
	expect_err("icmp code",
		   "column 10: expected an ICMP code range after 'icmp code', found end of expression");
	expect_err("passes-through",
		   "column 15: expected an ASN after 'passes-through', found end of expression");
	expect_err("passes-through x", "column 16: expected an ASN after 'passes-through', found 'x'");
	expect_err("passes-through 4294967296", "column 16: ASN '4294967296' out of range (0-4294967295)");
	expect_err("passes-through 1 2 3 4 5 6 7 8 9 10 11 12 13",
		   "column 43: more than 12 ASNs after 'passes-through'");
	expect_err("passes-through 1 x", "column 18: expected 'and', 'or' or end of expression, found 'x'");
	/* lexical errors */
	expect_err("iface name \"Hu", "column 12: unterminated string");
	expect_err("iface name 'Hu\"", "column 12: unterminated string");
	expect_err("proto\ttcp and \x01", "column 15: unexpected byte 0x01");
	expect_err("proto t\xc3\xa9", "column 8: unexpected byte 0xc3 outside a string");
	/* a long token is cut in the message */
	expect_err("port aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		   "column 6: expected a port range after 'port', found "
		   "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

/* Errors with a small or no buffer; NULL expression. */
static void test_error_buffers(void **state)
{
	(void)state;
	struct ofd_filter *f;
	char small[8];
	assert_int_equal(ofd_filter_compile(&f, "port x", small, sizeof(small)), OFD_EFORMAT);
	assert_string_equal(small, "column ");
	assert_int_equal(ofd_filter_compile(&f, "port x", NULL, 0), OFD_EFORMAT);
	assert_int_equal(ofd_filter_compile(&f, "port x", small, 0), OFD_EFORMAT);
	assert_int_equal(ofd_filter_compile(&f, "iface name 'x", small, 1), OFD_EFORMAT);
	assert_string_equal(small, "");
	char err[64];
	assert_int_equal(ofd_filter_compile(&f, NULL, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 1: no expression");
	assert_int_equal(ofd_filter_compile(&f, "port 1", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	ofd_filter_free(f);
	ofd_filter_free(NULL);
}

static char *repeat(const char *head, const char *unit, unsigned n, const char *tail)
{
	size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
	char *s = malloc(len);
	assert_non_null(s);
	size_t o = 0;
	memcpy(s, head, strlen(head));
	o += strlen(head);
	for (unsigned i = 0; i < n; i++, o += strlen(unit))
		memcpy(s + o, unit, strlen(unit));
	memcpy(s + o, tail, strlen(tail) + 1);
	return s;
}

static void test_limits(void **state)
{
	(void)state;
	struct ofd_filter *f;
	char err[128];
	/* 64 parentheses and 64 nots nest; 65 do not */
	char *s = repeat("", "(", 64, "port 1");
	char *t = repeat(s, ")", 64, "");
	f = compile(t);
	assert_int_equal(f->n, 2);
	ofd_filter_free(f);
	free(s);
	free(t);
	s = repeat("", "(", 65, "port 1");
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 65: nesting deeper than 64");
	free(s);
	s = repeat("", "not (", 32, "port 1");
	t = repeat(s, ")", 32, "");
	f = compile(t);
	ofd_filter_free(f);
	free(s);
	free(t);
	s = repeat("", "not (", 32, "not port 1");
	t = repeat(s, ")", 32, "");
	assert_int_equal(ofd_filter_compile(&f, t, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 161: nesting deeper than 64");
	free(s);
	free(t);
	s = repeat("", "( not ", 32, "port 1");
	t = repeat(s, ")", 32, "");
	f = compile(t);
	ofd_filter_free(f);
	free(s);
	free(t);
	/* nesting is depth, not count: many sibling groups are fine */
	s = repeat("port 1", " or (not port 2)", 500, "");
	f = compile(s);
	assert_int_equal(f->n, 1002);
	ofd_filter_free(f);
	free(s);

	/* 4096 tokens: "port 1" and 2047 times " or port 1" is 2 + 2047 * 3 = 6143 > 4096 */
	s = repeat("port 1", " or port 1", 1364, ""); /* 2 + 1364 * 3 = 4094 tokens */
	f = compile(s);
	assert_int_equal(f->n, 2 * 1365);
	ofd_filter_free(f);
	free(s);
	s = repeat("port 1", " or port 1", 1364, " or 1"); /* 4096 tokens */
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 13651: expected a match, 'not' or '(', found '1'");
	free(s);
	s = repeat("port 1", " or port 1", 1364, " or port 1"); /* 4097 tokens */
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 13656: expression longer than 4096 tokens");
	free(s);
	/* 65536 characters at most */
	s = repeat("iface name '", "x", 65536 - 13, "'");
	assert_int_equal(strlen(s), 65536);
	f = compile(s);
	ofd_filter_free(f);
	free(s);
	s = repeat("iface name '", "x", 65536 - 12, "'");
	assert_int_equal(ofd_filter_compile(&f, s, err, sizeof(err)), OFD_EFORMAT);
	assert_string_equal(err, "column 65537: expression longer than 65536 characters");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),  cmocka_unit_test(test_directional),
	    cmocka_unit_test(test_prefixes),  cmocka_unit_test(test_regular),
	    cmocka_unit_test(test_structure), cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_errors),    cmocka_unit_test(test_error_buffers),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
