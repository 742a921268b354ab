/*
 * NetFlow v9 / IPFIX field mapping as real devices send it (issue 12): both address families in
 * one template, egress counters, field scaling (fragmentFlags, ICMP elements, full-width
 * tcpControlBits and forwardingStatus), uptime-relative times across the 2^32 ms wrap and the
 * export-time fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u
#define S	 1000000000ull

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, struct gv_msg *m)
{
	return gv_decode_msg(d, m, SRC4, 4739, RECV_NS, &sink);
}

static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
static const uint8_t zero16[16];

/* IOS XR style: 8, 12, 27, 28 (and 60 when `ver`) in one template; one v4 and one v6 record. */
static void both_families(int v9, int ver)
{
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0}, {12, 4, 0}, {27, 16, 0}, {28, 16, 0}, {4, 1, 0}, {60, 1, 0}};
	size_t nf = ver ? 6 : 5;
	if (v9)
		gv_v9_begin(&m, 100000, EXPORT_S, 1, 7);
	else
		gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, v9 ? 0 : 2);
	gv_template(&m, 300, f, nf);
	gv_set_begin(&m, 300);
	/* IPv4 flow: the v6 fields are zeros after the v4 ones */
	gv_ip4(&m, 0x0a000001);
	gv_ip4(&m, 0x0a000002);
	gv_bytes(&m, zero16, 16);
	gv_bytes(&m, zero16, 16);
	gv_uint(&m, 6, 1);
	if (ver)
		gv_uint(&m, 4, 1);
	m.count++;
	/* IPv6 flow: the v4 fields are zeros before the v6 ones; ipVersion says 4 (a stale value) */
	gv_ip4(&m, 0);
	gv_ip4(&m, 0);
	gv_bytes(&m, v6a, 16);
	gv_bytes(&m, v6b, 16);
	gv_uint(&m, 17, 1);
	if (ver)
		gv_uint(&m, 4, 1);
	m.count++;
	/* IPv4 flow from 0.0.0.0 (DHCP) to a non-zero v4 destination */
	gv_ip4(&m, 0);
	gv_ip4(&m, 0xffffffff);
	gv_bytes(&m, zero16, 16);
	gv_bytes(&m, zero16, 16);
	gv_uint(&m, 17, 1);
	if (ver)
		gv_uint(&m, 4, 1);
	m.count++;
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.n, 3);
	const struct ofd_flow *a = &sink.got[0], *b = &sink.got[1], *c = &sink.got[2];
	assert_int_equal(a->src_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&a->src_addr), 0x0a000001);
	assert_int_equal(ofd_ip_v4(&a->dst_addr), 0x0a000002);
	assert_int_equal(a->etype, 0x0800);
	assert_int_equal(b->src_addr.family, OFD_AF_INET6);
	assert_int_equal(b->dst_addr.family, OFD_AF_INET6);
	assert_memory_equal(b->src_addr.b, v6a, 16);
	assert_memory_equal(b->dst_addr.b, v6b, 16);
	assert_int_equal(b->etype, 0x86dd);
	assert_true(ofd_flow_has(b, OFD_F_ETYPE));
	assert_int_equal(c->src_addr.family, OFD_AF_INET); /* zero source in the destination's family */
	assert_int_equal(ofd_ip_v4(&c->src_addr), 0);
	assert_int_equal(ofd_ip_v4(&c->dst_addr), 0xffffffff);
	assert_int_equal(c->etype, 0x0800);
	ofd_decoder_free(d);
}

static void test_both_families_ipfix(void **state)
{
	(void)state;
	both_families(0, 0);
	both_families(0, 1);
}

static void test_both_families_v9(void **state)
{
	(void)state;
	both_families(1, 0);
	both_families(1, 1);
}

/* Next hops of both families: the non-zero one is kept. */
static void test_both_families_next_hop(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{62, 16, 0}, {15, 4, 0}, {18, 4, 0}, {63, 16, 0}};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 4);
	gv_set_begin(&m, 300);
	gv_bytes(&m, v6a, 16);
	gv_ip4(&m, 0);
	gv_ip4(&m, 0xc0000201);
	gv_bytes(&m, zero16, 16);
	m.count++;
	assert_int_equal(dec(d, &m), 1);
	const struct ofd_flow *a = &sink.got[0];
	assert_int_equal(a->next_hop.family, OFD_AF_INET6);
	assert_memory_equal(a->next_hop.b, v6a, 16);
	assert_int_equal(a->bgp_next_hop.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&a->bgp_next_hop), 0xc0000201);
	ofd_decoder_free(d);
}

/* postOctet/PacketDeltaCount (23/24, v9 OUT_BYTES/OUT_PKTS) when 1/2 are absent. */
static void egress(int v9)
{
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field fo[] = {{23, 8, 0}, {24, 4, 0}, {4, 1, 0}};
	const struct gv_field fboth[] = {{23, 8, 0}, {24, 4, 0}, {1, 4, 0}, {2, 4, 0}};
	const struct gv_field ftot[] = {{85, 8, 0}, {86, 8, 0}, {23, 4, 0}, {24, 4, 0}};
	if (v9)
		gv_v9_begin(&m, 100000, EXPORT_S, 1, 7);
	else
		gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, v9 ? 0 : 2);
	gv_template(&m, 300, fo, 3);
	gv_template(&m, 301, fboth, 4);
	gv_template(&m, 302, ftot, 4);
	gv_set_begin(&m, 300);
	gv_record(&m, fo, 3, (const uint64_t[]){123456, 78, 6});
	gv_set_begin(&m, 301);
	gv_record(&m, fboth, 4, (const uint64_t[]){999, 9, 1500, 15});
	gv_set_begin(&m, 302);
	gv_record(&m, ftot, 4, (const uint64_t[]){1000000, 10000, 2000, 20});
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.got[0].bytes, 123456);
	assert_int_equal(sink.got[0].packets, 78);
	assert_true(ofd_flow_has(&sink.got[0], OFD_F_BYTES));
	assert_true(ofd_flow_has(&sink.got[0], OFD_F_PACKETS));
	assert_int_equal(sink.got[1].bytes, 1500); /* the ingress counts win */
	assert_int_equal(sink.got[1].packets, 15);
	assert_int_equal(sink.got[2].bytes, 2000); /* deltas before totals */
	assert_int_equal(sink.got[2].packets, 20);
	ofd_decoder_free(d);
}

static void test_egress_counters(void **state)
{
	(void)state;
	egress(1);
	egress(0);
}

/*
 * fragmentFlags (197) -> the IPv4 header's 3 flag bits (DF = 2, MF = 1); ICMP from 176-179, from
 * 32/139 with the family not in use zero, and from dst_port when the elements are all zero.
 */
static void test_scaling(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field fx[] = {{4, 1, 0},   {197, 1, 0}, {176, 1, 0}, {177, 1, 0},
				      {178, 1, 0}, {179, 1, 0}, {11, 2, 0}};
	const struct gv_field fy[] = {{4, 1, 0}, {139, 2, 0}, {32, 2, 0}, {11, 2, 0}};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, fx, 7);
	gv_template(&m, 301, fy, 4);
	gv_set_begin(&m, 300);
	gv_record(&m, fx, 7, (const uint64_t[]){1, 0x40, 3, 1, 0, 0, 0});	   /* v4 unreachable, DF */
	gv_record(&m, fx, 7, (const uint64_t[]){58, 0x20, 0, 0, 128, 0, 0});	   /* v6 echo request, MF */
	gv_record(&m, fx, 7, (const uint64_t[]){6, 0x60 | 0x1f, 0, 0, 0, 0, 443}); /* DF|MF, DC bits */
	gv_set_begin(&m, 301);
	gv_record(&m, fy, 4, (const uint64_t[]){1, 0, 0x0b01, 0});  /* v4: 139 zero, 32 later */
	gv_record(&m, fy, 4, (const uint64_t[]){58, 0x0104, 0, 0}); /* v6: 32 zero after 139 */
	gv_record(&m, fy, 4, (const uint64_t[]){1, 0, 0, 0x0302});  /* elements zero: dst_port */
	gv_record(&m, fy, 4, (const uint64_t[]){1, 0, 0, 0});	    /* echo reply */
	assert_int_equal(dec(d, &m), 7);
	const struct ofd_flow *g = sink.got;
	assert_int_equal(g[0].ip_flags, 2);
	assert_int_equal(g[0].icmp_type, 3);
	assert_int_equal(g[0].icmp_code, 1);
	assert_true(ofd_flow_has(&g[0], OFD_F_ICMP_TYPE));
	assert_true(ofd_flow_has(&g[0], OFD_F_ICMP_CODE));
	assert_true(ofd_flow_has(&g[0], OFD_F_IP_FLAGS));
	assert_int_equal(g[1].ip_flags, 1);
	assert_int_equal(g[1].icmp_type, 128);
	assert_int_equal(g[1].icmp_code, 0);
	assert_int_equal(g[2].ip_flags, 3);
	assert_int_equal(g[2].icmp_type, 0);
	assert_int_equal(g[2].dst_port, 443);
	assert_int_equal(g[3].icmp_type, 11);
	assert_int_equal(g[3].icmp_code, 1);
	assert_int_equal(g[4].icmp_type, 1);
	assert_int_equal(g[4].icmp_code, 4);
	assert_int_equal(g[5].icmp_type, 3);
	assert_int_equal(g[5].icmp_code, 2);
	assert_true(ofd_flow_has(&g[5], OFD_F_ICMP_TYPE));
	assert_int_equal(g[6].icmp_type, 0);
	assert_int_equal(g[6].icmp_code, 0);
	assert_true(ofd_flow_has(&g[6], OFD_F_ICMP_TYPE));
	ofd_decoder_free(d);
}

/* tcpControlBits (6) at 16 bits (NS 0x100; the data-offset nibble ignored), forwardingStatus (89)
 * at 4 bytes. */
static void test_full_width(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{4, 1, 0}, {6, 2, 0}, {89, 4, 0}};
	const struct gv_field f1[] = {{4, 1, 0}, {6, 1, 0}, {89, 1, 0}};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 3);
	gv_template(&m, 301, f1, 3);
	gv_set_begin(&m, 300);
	gv_record(&m, f, 3, (const uint64_t[]){6, 0x5112, 0x89});
	gv_record(&m, f, 3, (const uint64_t[]){6, 0x0002, 0x40000000});
	gv_set_begin(&m, 301);
	gv_record(&m, f1, 3, (const uint64_t[]){6, 0x12, 0x42});
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.got[0].tcp_flags, 0x112);
	assert_int_equal(sink.got[0].forwarding_status, 0x89);
	assert_int_equal(sink.got[1].tcp_flags, 2);
	assert_int_equal(sink.got[1].forwarding_status, 0x40000000u);
	assert_int_equal(sink.got[2].tcp_flags, 0x12);
	assert_int_equal(sink.got[2].forwarding_status, 0x42);
	ofd_decoder_free(d);
}

/*
 * IPFIX flowStart/EndSysUpTime (22/21) with systemInitTimeMilliseconds (160) on a router up for
 * more than 2^32 ms: resolved modulo 2^32 around the export time. Without 160 or any time field:
 * the export time.
 */
static void test_uptime_wrap_ipfix(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field fup[] = {{160, 8, 0}, {22, 4, 0}, {21, 4, 0}};
	const struct gv_field fnone[] = {{8, 4, 0}, {4, 1, 0}};
	const struct gv_field fend[] = {{153, 8, 0}};
	const uint64_t export_ms = EXPORT_S * 1000ull, wrap = 1ull << 32;
	const uint64_t init = export_ms - (wrap + 5000); /* the exporter's uptime: 2^32 + 5 s */
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, fup, 3);
	gv_template(&m, 301, fnone, 2);
	gv_template(&m, 302, fend, 1);
	gv_set_begin(&m, 300);
	gv_record(&m, fup, 3, (const uint64_t[]){init, 1000, 4500});	    /* after the wrap */
	gv_record(&m, fup, 3, (const uint64_t[]){init, 0xfffff830u, 5300}); /* before it; 0.3 s late */
	gv_set_begin(&m, 301);
	gv_record(&m, fnone, 2, (const uint64_t[]){0x0a000001, 6});
	gv_set_begin(&m, 302);
	gv_record(&m, fend, 1, (const uint64_t[]){export_ms - 7000});
	assert_int_equal(dec(d, &m), 4);
	const struct ofd_flow *g = sink.got;
	assert_int_equal(g[0].time_flow_start_ns, (export_ms - 4000) * 1000000ull);
	assert_int_equal(g[0].time_flow_end_ns, (export_ms - 500) * 1000000ull);
	assert_int_equal(g[1].time_flow_start_ns, (export_ms - 7000) * 1000000ull);
	assert_int_equal(g[1].time_flow_end_ns, (export_ms + 300) * 1000000ull);
	assert_true(ofd_flow_has(&g[1], OFD_F_TIME_FLOW_END));
	assert_int_equal(g[2].time_flow_start_ns, EXPORT_S * S); /* no time field: export time */
	assert_int_equal(g[2].time_flow_end_ns, EXPORT_S * S);
	assert_true(ofd_flow_has(&g[2], OFD_F_TIME_FLOW_START));
	assert_true(ofd_flow_has(&g[2], OFD_F_TIME_FLOW_END));
	assert_int_equal(g[3].time_flow_end_ns, (export_ms - 7000) * 1000000ull);
	assert_int_equal(g[3].time_flow_start_ns, (export_ms - 7000) * 1000000ull); /* the end's */
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_families_ipfix),
	    cmocka_unit_test(test_both_families_v9),
	    cmocka_unit_test(test_both_families_next_hop),
	    cmocka_unit_test(test_egress_counters),
	    cmocka_unit_test(test_scaling),
	    cmocka_unit_test(test_full_width),
	    cmocka_unit_test(test_uptime_wrap_ipfix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
