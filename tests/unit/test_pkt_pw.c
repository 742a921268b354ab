/* Packet parser, issue 12: the whole MPLS label stack, a pseudowire control word and Ethernet
 * after the bottom of stack (EoMPLS, EVPN), the TCP NS bit, the section entry points
 * (OFD_LINK_MPLS, OFD_LINK_MPLS_PAYLOAD, ofd_pkt_parse_l4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "decode/pkt.h"
#include "gen_sflow.h"

#define MAC_A 0x001c2e191a80ull
#define MAC_B 0x001cc447d3f9ull
#define MAC_C 0x02000000000cull
#define MAC_D 0x02000000000dull

/* Parse from an exact-size heap copy so that ASan sees any read past the end. */
static int parse(struct ofd_pkt *p, int link, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	int rc = ofd_pkt_parse(p, link, copy, len);
	free(copy);
	return rc;
}

/* Customer frame: Ethernet MAC_C -> MAC_D, VLAN 42, IPv4 10.1.1.1 -> 10.2.2.2 TCP 1234 -> 80. */
static void inner_frame(struct gen_buf *g)
{
	gen_eth(g, MAC_D, MAC_C, 0x8100);
	gen_vlan(g, 42, 0x0800);
	struct gen_ip4 h = {.src = 0x0a010101, .dst = 0x0a020202, .proto = 6, .ttl = 9, .tos = 0x20};
	gen_ipv4(g, &h, 20);
	gen_tcp(g, 1234, 80, 0x10);
}

static void test_label_stack(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	gen_mpls(&g, 16001, 5, 0, 254);
	gen_mpls(&g, 24005, 0, 0, 253);
	gen_mpls(&g, 299776, 7, 1, 1);
	struct gen_ip4 h = {.src = 0x0a000001, .dst = 0x0a000002, .proto = 17, .ttl = 3};
	gen_ipv4(&g, &h, 8);
	gen_udp(&g, 53, 5353, 0, 0);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.mpls_label, 16001);
	assert_int_equal(p.mpls_n, 3);
	assert_int_equal(p.mpls[0], 16001u << 12 | 5u << 9 | 254);
	assert_int_equal(p.mpls[1], 24005u << 12 | 0u << 9 | 253);
	assert_int_equal(p.mpls[2], 299776u << 12 | 7u << 9 | 1u << 8 | 1);
	assert_int_equal(p.etype, 0x0800);
	assert_int_equal(p.dst_port, 5353);
	assert_false(p.layers & OFD_PKT_PW);
	/* 12 labels: all walked, the first 10 kept */
	gen_reset(&g);
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	for (uint32_t i = 0; i < 12; i++)
		gen_mpls(&g, 100 + i, 0, i == 11, (uint8_t)(64 - i));
	gen_ipv4(&g, &h, 8);
	gen_udp(&g, 53, 5353, 0, 0);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.mpls_n, OFD_PKT_MPLS_MAX);
	assert_int_equal(p.mpls[9], 109u << 12 | 55);
	assert_int_equal(ofd_ip_v4(&p.dst), 0x0a000002);
	gen_free(&g);
}

/* Two labels, a control word and the customer's Ethernet frame. */
static void test_pseudowire(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	gen_mpls(&g, 16002, 0, 0, 255);
	gen_mpls(&g, 24010, 0, 1, 255);
	gen_u32(&g, 0x00000017); /* control word: sequence number 23 */
	size_t inner = g.len;
	inner_frame(&g);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.layers,
			 OFD_PKT_L2 | OFD_PKT_MPLS | OFD_PKT_PW | OFD_PKT_VLAN | OFD_PKT_IP | OFD_PKT_L4);
	assert_int_equal(p.src_mac, MAC_A); /* the outer frame's MACs */
	assert_int_equal(p.dst_mac, MAC_B);
	assert_int_equal(p.mpls_n, 2);
	assert_int_equal(p.mpls_label, 16002);
	assert_int_equal(p.mpls[1] >> 12, 24010);
	assert_int_equal(p.vlan, 42);
	assert_int_equal(p.etype, 0x0800);
	assert_int_equal(ofd_ip_v4(&p.src), 0x0a010101);
	assert_int_equal(ofd_ip_v4(&p.dst), 0x0a020202);
	assert_int_equal(p.tos, 0x20);
	assert_int_equal(p.src_port, 1234);
	assert_int_equal(p.dst_port, 80);
	assert_int_equal(p.tcp_flags, 0x10);
	/* every cut: a defined result, the labels kept once the stack is in */
	for (size_t n = 0; n < g.len; n++) {
		int rc = parse(&p, OFD_LINK_ETHERNET, g.p, n);
		assert_true(rc == OFD_ETRUNC || (rc == 0 && n >= inner + 18 + 20));
		if (n >= 22)
			assert_int_equal(p.mpls_n, 2);
	}
	/* a pseudowire inside the pseudowire is not followed */
	gen_reset(&g);
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	gen_mpls(&g, 1, 0, 1, 1);
	gen_u32(&g, 0);
	gen_eth(&g, MAC_D, MAC_C, 0x8847);
	gen_mpls(&g, 2, 0, 1, 1);
	gen_u32(&g, 0);
	inner_frame(&g);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), OFD_EUNSUPPORTED);
	assert_int_equal(p.mpls_n, 1); /* the inner stack is walked, not kept */
	assert_int_equal(p.mpls_label, 1);
	gen_free(&g);
}

static void test_tcp_ns(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct gen_ip4 h = {.src = 1, .dst = 2, .proto = 6, .ttl = 1};
	gen_ipv4(&g, &h, 20);
	gen_tcp(&g, 1, 2, 0xc2); /* CWR ECE SYN */
	g.p[20 + 12] |= 1;	 /* NS */
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_RAW, g.p, g.len), 0);
	assert_int_equal(p.tcp_flags, 0x1c2);
	/* the header cut before the flags: ports only */
	assert_int_equal(parse(&p, OFD_LINK_RAW, g.p, 20 + 13), 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.dst_port, 2);
	gen_free(&g);
}

static void test_section_links(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct ofd_pkt p;
	/* a label stack alone (mplsLabelStackSection) */
	gen_mpls(&g, 3000, 1, 0, 10);
	gen_mpls(&g, 4000, 2, 1, 20);
	assert_int_equal(parse(&p, OFD_LINK_MPLS, g.p, g.len), OFD_ETRUNC);
	assert_int_equal(p.mpls_n, 2);
	assert_int_equal(p.mpls_label, 3000);
	assert_int_equal(p.mpls[1], 4000u << 12 | 2u << 9 | 1u << 8 | 20);
	/* what follows a stack (mplsPayloadPacketSection): control word + Ethernet, or IP */
	gen_reset(&g);
	gen_u32(&g, 0);
	inner_frame(&g);
	assert_int_equal(parse(&p, OFD_LINK_MPLS_PAYLOAD, g.p, g.len), 0);
	assert_int_equal(p.src_mac, MAC_C);
	assert_int_equal(p.vlan, 42);
	assert_int_equal(p.dst_port, 80);
	assert_int_equal(parse(&p, OFD_LINK_MPLS_PAYLOAD, g.p + 4 + 18, g.len - 4 - 18), 0);
	assert_int_equal(ofd_ip_v4(&p.src), 0x0a010101);
	assert_false(p.layers & OFD_PKT_L2);
	/* an IP payload (ipPayloadPacketSection) of a known protocol */
	gen_reset(&g);
	gen_tcp(&g, 443, 50001, 0x18);
	assert_int_equal(ofd_pkt_parse_l4(&p, 6, g.p, g.len), 0);
	assert_int_equal(p.layers, OFD_PKT_L4);
	assert_int_equal(p.src_port, 443);
	assert_int_equal(p.tcp_flags, 0x18);
	assert_int_equal(ofd_pkt_parse_l4(&p, 6, g.p, 3), OFD_ETRUNC);
	assert_int_equal(ofd_pkt_parse_l4(&p, 47, g.p, g.len), OFD_ETRUNC); /* GRE: no ports */
	assert_int_equal(ofd_pkt_parse_l4(&p, 6, NULL, 0), OFD_ETRUNC);
	gen_free(&g);
}

/* Garbage of every length through the section entry points. */
static void test_garbage(void **state)
{
	(void)state;
	uint8_t buf[200];
	uint32_t x = 0x9e3779b9;
	for (int round = 0; round < 60; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		buf[0] &= (round & 1) ? 0x0f : 0xff; /* half of them a control word */
		for (size_t n = 0; n <= sizeof(buf); n += 9) {
			struct ofd_pkt p;
			int rc = parse(&p, OFD_LINK_MPLS, buf, n);
			assert_true(rc == 0 || rc == OFD_ETRUNC || rc == OFD_EFORMAT ||
				    rc == OFD_EUNSUPPORTED);
			rc = parse(&p, OFD_LINK_MPLS_PAYLOAD, buf, n);
			assert_true(rc == 0 || rc == OFD_ETRUNC || rc == OFD_EFORMAT ||
				    rc == OFD_EUNSUPPORTED);
			assert_true(p.mpls_n <= OFD_PKT_MPLS_MAX);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_stack), cmocka_unit_test(test_pseudowire),
	    cmocka_unit_test(test_tcp_ns),	cmocka_unit_test(test_section_links),
	    cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
