/* Packet header parser: every link type, tags, MPLS, IPv4 options, IPv6 extension headers,
 * fragments, TCP/UDP/ICMP/ICMPv6, padding, every truncation length. */
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

static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

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

static void frame4(struct gen_buf *g, uint8_t proto)
{
	struct gen_frame f = {.dst_mac = MAC_B,
			      .src_mac = MAC_A,
			      .src = {192, 168, 1, 2},
			      .dst = {192, 168, 1, 3},
			      .proto = proto,
			      .tos = 0xb8,
			      .ttl = 64,
			      .sport = 60565,
			      .dport = 36875,
			      .tcp_flags = 0x18,
			      .icmp_type = 3,
			      .icmp_code = 1,
			      .payload_len = 10};
	gen_frame(g, &f);
}

static void test_eth_ipv4_tcp(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	frame4(&g, 6);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.layers, OFD_PKT_L2 | OFD_PKT_IP | OFD_PKT_L4);
	assert_int_equal(p.dst_mac, MAC_B);
	assert_int_equal(p.src_mac, MAC_A);
	assert_int_equal(p.etype, 0x0800);
	assert_int_equal(p.src.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&p.src), 0xc0a80102);
	assert_int_equal(ofd_ip_v4(&p.dst), 0xc0a80103);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.tos, 0xb8);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_flags, 2); /* DF */
	assert_int_equal(p.frag_id, 0x1234);
	assert_int_equal(p.frag_offset, 0);
	assert_int_equal(p.ip_len, 20 + 20 + 10);
	assert_int_equal(p.src_port, 60565);
	assert_int_equal(p.dst_port, 36875);
	assert_int_equal(p.tcp_flags, 0x18);
	assert_null(p.udp_payload);
	gen_free(&g);
}

static void test_udp_padding(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	const uint8_t pl[4] = {0xde, 0xad, 0xbe, 0xef};
	struct gen_frame f = {.dst_mac = MAC_B,
			      .src_mac = MAC_A,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 2},
			      .proto = 17,
			      .ttl = 1,
			      .sport = 54321,
			      .dport = 6343,
			      .payload = pl,
			      .payload_len = 4};
	gen_frame(&g, &f);
	assert_int_equal(g.len, 14 + 20 + 8 + 4);
	while (g.len < 60)
		gen_u8(&g, 0xee); /* Ethernet padding */
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.src_port, 54321);
	assert_int_equal(p.dst_port, 6343);
	assert_int_equal(p.udp_len, 12);
	assert_int_equal(p.udp_payload_len, 4);
	assert_memory_equal(p.udp_payload, pl, 4);
	/* UDP length shorter than the IP payload bounds the payload too */
	gen_put16(&g, 14 + 20 + 4, 10);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.udp_payload_len, 2);
	/* UDP length longer than the IP payload: bounded by the IP total length */
	gen_put16(&g, 14 + 20 + 4, 500);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.udp_payload_len, 4);
	/* captured bytes bound it when the IP length lies upwards */
	gen_put16(&g, 14 + 2, 1500);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, 14 + 20 + 8 + 3), 0);
	assert_int_equal(p.udp_payload_len, 3);
	/* UDP length below 8: no payload */
	gen_put16(&g, 14 + 20 + 4, 5);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.udp_payload_len, 0);
	gen_free(&g);
}

static void test_vlan_qinq(void **state)
{
	(void)state;
	static const uint16_t outer_types[3] = {0x8100, 0x88a8, 0x9100};
	for (int i = 0; i < 3; i++) {
		struct gen_buf g = {0};
		gen_eth(&g, MAC_B, MAC_A, outer_types[i]);
		gen_vlan(&g, 0x2000 | 100, 0x8100); /* priority 1, VLAN 100 */
		gen_vlan(&g, 200, 0x0800);
		struct gen_ip4 h = {.src = 0x01020304, .dst = 0x05060708, .proto = 17, .ttl = 9};
		gen_ipv4(&g, &h, 8);
		gen_udp(&g, 53, 1053, 0, 0);
		struct ofd_pkt p;
		assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
		assert_true(p.layers & OFD_PKT_VLAN);
		assert_int_equal(p.vlan, 100);
		assert_int_equal(p.etype, 0x0800);
		assert_int_equal(ofd_ip_v4(&p.dst), 0x05060708);
		assert_int_equal(p.dst_port, 1053);
		gen_free(&g);
	}
	/* single tag via the frame builder */
	struct gen_buf g = {0};
	struct gen_frame f = {.vlan = 42, .v6 = 1, .proto = 58, .icmp_type = 128, .ttl = 255};
	memcpy(f.src, v6a, 16);
	memcpy(f.dst, v6b, 16);
	gen_frame(&g, &f);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.vlan, 42);
	assert_int_equal(p.etype, 0x86dd);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.icmp_code, 0);
	gen_free(&g);
}

static void test_mpls(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		struct gen_buf g = {0};
		gen_eth(&g, MAC_B, MAC_A, v6 ? 0x8848 : 0x8847);
		gen_mpls(&g, 16001, 5, 0, 64);
		gen_mpls(&g, 24, 0, 1, 64);
		if (v6) {
			struct gen_ip6 h = {.next = 17, .hlim = 3, .payload_len = 8, .flow_label = 0xabcde};
			memcpy(h.src, v6a, 16);
			memcpy(h.dst, v6b, 16);
			gen_ipv6(&g, &h);
		} else {
			struct gen_ip4 h = {.src = 0x0a000001, .dst = 0x0a000002, .proto = 17, .ttl = 3};
			gen_ipv4(&g, &h, 8);
		}
		gen_udp(&g, 4789, 4790, 0, 0);
		struct ofd_pkt p;
		assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
		assert_true(p.layers & OFD_PKT_MPLS);
		assert_int_equal(p.mpls_label, 16001);
		assert_int_equal(p.etype, v6 ? 0x86dd : 0x0800);
		assert_int_equal(p.src.family, v6 ? OFD_AF_INET6 : OFD_AF_INET);
		if (v6)
			assert_int_equal(p.flow_label, 0xabcde);
		assert_int_equal(p.src_port, 4789);
		assert_int_equal(p.ttl, 3);
		gen_free(&g);
	}
	/* a label stack followed by something that is neither IP nor a control word */
	struct gen_buf g = {0};
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	gen_mpls(&g, 77, 0, 1, 64);
	gen_u32(&g, 0x20000000);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), OFD_EUNSUPPORTED);
	assert_int_equal(p.mpls_label, 77);
	/* a control word (first nibble 0) without the Ethernet frame after it: cut short */
	gen_put32(&g, 14 + 4, 0);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), OFD_ETRUNC);
	assert_true(p.layers & OFD_PKT_PW);
	/* no bottom of stack: runs out of bytes */
	gen_reset(&g);
	gen_eth(&g, MAC_B, MAC_A, 0x8847);
	for (int i = 0; i < 4; i++)
		gen_mpls(&g, 1, 0, 0, 1);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), OFD_ETRUNC);
	gen_free(&g);
}

/* IPv4 TCP packet (no link layer) for the other link types. */
static void ip4_pkt(struct gen_buf *g)
{
	struct gen_ip4 h = {.src = 0xc0000201, .dst = 0xc6336402, .proto = 6, .ttl = 17};
	gen_ipv4(g, &h, 20);
	gen_tcp(g, 443, 50000, 0x12);
}

static void ip6_pkt(struct gen_buf *g)
{
	struct gen_ip6 h = {.next = 6, .hlim = 60, .payload_len = 20, .tclass = 0x28};
	memcpy(h.src, v6a, 16);
	memcpy(h.dst, v6b, 16);
	gen_ipv6(g, &h);
	gen_tcp(g, 22, 40000, 0x02);
}

static void check_ip4(const struct ofd_pkt *p)
{
	assert_int_equal(ofd_ip_v4(&p->src), 0xc0000201);
	assert_int_equal(ofd_ip_v4(&p->dst), 0xc6336402);
	assert_int_equal(p->src_port, 443);
	assert_int_equal(p->tcp_flags, 0x12);
	assert_int_equal(p->etype, 0x0800);
	assert_false(p->layers & OFD_PKT_L2);
}

static void check_ip6(const struct ofd_pkt *p)
{
	assert_int_equal(p->src.family, OFD_AF_INET6);
	assert_memory_equal(p->src.b, v6a, 16);
	assert_memory_equal(p->dst.b, v6b, 16);
	assert_int_equal(p->tos, 0x28);
	assert_int_equal(p->ttl, 60);
	assert_int_equal(p->dst_port, 40000);
	assert_int_equal(p->tcp_flags, 0x02);
	assert_int_equal(p->etype, 0x86dd);
	assert_int_equal(p->ip_len, 60);
}

static void test_link_types(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct ofd_pkt p;
	for (int v6 = 0; v6 < 2; v6++) {
		void (*build)(struct gen_buf *) = v6 ? ip6_pkt : ip4_pkt;
		void (*check)(const struct ofd_pkt *) = v6 ? check_ip6 : check_ip4;
		/* raw */
		gen_reset(&g);
		build(&g);
		assert_int_equal(parse(&p, OFD_LINK_RAW, g.p, g.len), 0);
		check(&p);
		assert_int_equal(parse(&p, v6 ? OFD_LINK_IPV6 : OFD_LINK_IPV4, g.p, g.len), 0);
		check(&p);
		assert_int_equal(parse(&p, v6 ? OFD_LINK_IPV4 : OFD_LINK_IPV6, g.p, g.len), OFD_EFORMAT);
		/* SLL: packet type, ARPHRD, address length, 8 address bytes, protocol */
		gen_reset(&g);
		gen_u16(&g, 0);
		gen_u16(&g, 1);
		gen_u16(&g, 6);
		gen_u64(&g, 0x001c2e191a800000ull);
		gen_u16(&g, v6 ? 0x86dd : 0x0800);
		build(&g);
		assert_int_equal(parse(&p, OFD_LINK_SLL, g.p, g.len), 0);
		check(&p);
		/* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 bytes */
		gen_reset(&g);
		gen_u16(&g, v6 ? 0x86dd : 0x0800);
		gen_u16(&g, 0);
		gen_u32(&g, 3);
		gen_u16(&g, 1);
		gen_u8(&g, 0);
		gen_u8(&g, 6);
		gen_u64(&g, 0);
		build(&g);
		assert_int_equal(parse(&p, OFD_LINK_SLL2, g.p, g.len), 0);
		check(&p);
	}
	/* NULL: family in the capturing host's order (either order accepted); LOOP: network order */
	static const uint32_t fams[4] = {2, 24, 28, 30};
	for (int i = 0; i < 4; i++) {
		void (*build)(struct gen_buf *) = i ? ip6_pkt : ip4_pkt;
		void (*check)(const struct ofd_pkt *) = i ? check_ip6 : check_ip4;
		gen_reset(&g);
		gen_u8(&g, (uint8_t)fams[i]); /* little-endian */
		gen_u8(&g, 0);
		gen_u16(&g, 0);
		build(&g);
		assert_int_equal(parse(&p, OFD_LINK_NULL, g.p, g.len), 0);
		check(&p);
		gen_put32(&g, 0, fams[i]); /* big-endian */
		assert_int_equal(parse(&p, OFD_LINK_NULL, g.p, g.len), 0);
		check(&p);
		assert_int_equal(parse(&p, OFD_LINK_LOOP, g.p, g.len), 0);
		check(&p);
	}
	gen_put32(&g, 0, 7);
	assert_int_equal(parse(&p, OFD_LINK_LOOP, g.p, g.len), OFD_EUNSUPPORTED);
	assert_int_equal(parse(&p, 12345, g.p, g.len), OFD_EUNSUPPORTED);
	/* ARP over Ethernet */
	gen_reset(&g);
	gen_eth(&g, 0xffffffffffffull, MAC_A, 0x0806);
	gen_u64(&g, 0x0001080006040001ull);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), OFD_EUNSUPPORTED);
	assert_int_equal(p.etype, 0x0806);
	assert_int_equal(p.src_mac, MAC_A);
	assert_int_equal(p.layers, OFD_PKT_L2);
	/* raw with a version nibble that is neither 4 nor 6 */
	gen_reset(&g);
	gen_u8(&g, 0x55);
	assert_int_equal(parse(&p, OFD_LINK_RAW, g.p, g.len), OFD_EUNSUPPORTED);
	assert_int_equal(parse(&p, OFD_LINK_RAW, NULL, 0), OFD_ETRUNC);
	gen_free(&g);
}

static void test_ipv4_options_and_errors(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct gen_ip4 h = {.src = 0x0a0a0a0a, .dst = 0x0b0b0b0b, .proto = 17, .ttl = 5, .opt_words = 10};
	gen_ipv4(&g, &h, 8 + 3);
	gen_udp(&g, 1000, 2000, 3, 0);
	gen_bytes(&g, "abc", 3);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), 0);
	assert_int_equal(p.ip_len, 60 + 11);
	assert_int_equal(p.src_port, 1000);
	assert_int_equal(p.dst_port, 2000);
	assert_int_equal(p.udp_payload_len, 3);
	assert_memory_equal(p.udp_payload, "abc", 3);
	/* options cut short: header incomplete */
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, 40), OFD_ETRUNC);
	assert_false(p.layers & OFD_PKT_IP);
	/* IHL below 5 */
	g.p[0] = 0x44;
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), OFD_EFORMAT);
	/* total length below the header length */
	g.p[0] = 0x4f;
	gen_put16(&g, 2, 40);
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), OFD_EFORMAT);
	assert_false(p.layers & OFD_PKT_IP);
	/* total length 0 (TSO capture): the capture bounds the payload */
	gen_put16(&g, 2, 0);
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), 0);
	assert_int_equal(p.udp_payload_len, 3);
	gen_free(&g);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct gen_ip4 h = {.src = 1, .dst = 2, .proto = 17, .ttl = 5, .id = 0xbeef, .flags = 1};
	gen_ipv4(&g, &h, 16);
	gen_udp(&g, 5353, 5354, 8, 0);
	gen_u64(&g, 0);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), 0);
	assert_true(p.layers & OFD_PKT_FRAG);
	assert_true(p.layers & OFD_PKT_L4); /* first fragment: ports */
	assert_int_equal(p.src_port, 5353);
	assert_int_equal(p.ip_flags, 1);
	assert_int_equal(p.frag_id, 0xbeef);
	gen_reset(&g);
	h.flags = 0;
	h.frag_offset = 185;
	gen_ipv4(&g, &h, 16);
	gen_udp(&g, 5353, 5354, 8, 0);
	gen_u64(&g, 0);
	assert_int_equal(parse(&p, OFD_LINK_IPV4, g.p, g.len), 0);
	assert_int_equal(p.layers, OFD_PKT_IP | OFD_PKT_FRAG);
	assert_int_equal(p.frag_offset, 185);
	assert_int_equal(p.src_port, 0);
	gen_free(&g);
}

static void test_ipv6_ext_headers(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	/* hop-by-hop -> routing (16 bytes) -> destination options -> AH -> TCP */
	struct gen_ip6 h = {.next = 0, .hlim = 64, .payload_len = 8 + 16 + 8 + 16 + 20};
	memcpy(h.src, v6a, 16);
	memcpy(h.dst, v6b, 16);
	gen_ipv6(&g, &h);
	gen_ipv6_ext(&g, 43, 1);
	gen_ipv6_ext(&g, 60, 2);
	gen_ipv6_ext(&g, 51, 1);
	gen_u8(&g, 6); /* AH: next, length 2 (= (2 + 2) * 4 = 16 bytes) */
	gen_u8(&g, 2);
	gen_u16(&g, 0);
	gen_u32(&g, 0x100);
	gen_u64(&g, 0);
	gen_tcp(&g, 179, 33000, 0x11);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_IPV6, g.p, g.len), 0);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.src_port, 179);
	assert_int_equal(p.dst_port, 33000);
	assert_int_equal(p.tcp_flags, 0x11);
	assert_false(p.layers & OFD_PKT_FRAG);
	/* truncated inside the extension headers: IP parsed, no L4 */
	for (size_t n = 40; n < 40 + 48 + 4; n++) {
		assert_int_equal(parse(&p, OFD_LINK_IPV6, g.p, n), 0);
		assert_false(p.layers & OFD_PKT_L4);
	}
	/* a routing header longer than the payload length says */
	g.p[40 + 1] = 200;
	assert_int_equal(parse(&p, OFD_LINK_IPV6, g.p, g.len), 0);
	assert_false(p.layers & OFD_PKT_L4);
	gen_free(&g);
}

static void test_ipv6_fragments(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct gen_ip6 h = {.next = 44, .hlim = 64, .payload_len = 8 + 8 + 4};
	memcpy(h.src, v6a, 16);
	memcpy(h.dst, v6b, 16);
	gen_ipv6(&g, &h);
	gen_ipv6_frag(&g, 17, 0, 1, 0xcafe0001);
	gen_udp(&g, 500, 4500, 4, 1400);
	gen_u32(&g, 0x01020304);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_IPV6, g.p, g.len), 0);
	assert_true(p.layers & OFD_PKT_FRAG);
	assert_true(p.layers & OFD_PKT_L4);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.frag_id, 0xcafe0001);
	assert_int_equal(p.ip_flags, 1);
	assert_int_equal(p.src_port, 500);
	assert_int_equal(p.udp_len, 1400);
	assert_int_equal(p.udp_payload_len, 4); /* bounded by the IPv6 payload length */
	/* a later fragment: no L4 */
	gen_reset(&g);
	h.payload_len = 16;
	gen_ipv6(&g, &h);
	gen_ipv6_frag(&g, 17, 175, 0, 0xcafe0001);
	gen_u64(&g, 0);
	assert_int_equal(parse(&p, OFD_LINK_IPV6, g.p, g.len), 0);
	assert_int_equal(p.layers, OFD_PKT_IP | OFD_PKT_FRAG);
	assert_int_equal(p.frag_offset, 175);
	assert_int_equal(p.proto, 17);
	gen_free(&g);
}

static void test_icmp(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	frame4(&g, 1);
	struct ofd_pkt p;
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.icmp_type, 3);
	assert_int_equal(p.icmp_code, 1);
	assert_int_equal(p.src_port, 0);
	assert_true(p.layers & OFD_PKT_L4);
	gen_reset(&g);
	struct gen_frame f = {.v6 = 1, .proto = 58, .icmp_type = 135, .icmp_code = 0, .ttl = 255};
	memcpy(f.src, v6a, 16);
	memcpy(f.dst, v6b, 16);
	gen_frame(&g, &f);
	assert_int_equal(parse(&p, OFD_LINK_ETHERNET, g.p, g.len), 0);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 135);
	gen_free(&g);
}

/* Every prefix of a frame: ETRUNC before the IP header is complete, 0 after, no overread. */
static void truncations(const uint8_t *d, size_t len, int link, size_t ip_end)
{
	struct ofd_pkt p;
	for (size_t n = 0; n <= len; n++) {
		int rc = parse(&p, link, d, n);
		if (n < ip_end) {
			assert_int_equal(rc, OFD_ETRUNC);
			assert_false(p.layers & OFD_PKT_IP);
		} else {
			assert_int_equal(rc, 0);
			assert_true(p.layers & OFD_PKT_IP);
		}
	}
}

static void test_truncations(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	for (uint8_t proto = 0; proto < 3; proto++) {
		static const uint8_t protos[3] = {6, 17, 1};
		gen_reset(&g);
		frame4(&g, protos[proto]);
		truncations(g.p, g.len, OFD_LINK_ETHERNET, 34);
	}
	gen_reset(&g);
	struct gen_frame f = {
	    .vlan = 5, .outer_vlan = 6, .mpls_label = 99, .v6 = 1, .proto = 17, .payload_len = 9};
	gen_frame(&g, &f);
	truncations(g.p, g.len, OFD_LINK_ETHERNET, 14 + 8 + 4 + 40);
	gen_reset(&g);
	ip6_pkt(&g);
	truncations(g.p, g.len, OFD_LINK_RAW, 40);
	truncations(g.p, g.len, OFD_LINK_IPV6, 40);
	gen_reset(&g);
	struct gen_ip4 h = {.proto = 17, .opt_words = 3};
	gen_ipv4(&g, &h, 8);
	gen_udp(&g, 1, 2, 0, 0);
	truncations(g.p, g.len, OFD_LINK_IPV4, 32);
	/* link types with a fixed header */
	static const int links[4] = {OFD_LINK_SLL, OFD_LINK_SLL2, OFD_LINK_NULL, OFD_LINK_LOOP};
	static const size_t hl[4] = {16, 20, 4, 4};
	for (int i = 0; i < 4; i++) {
		gen_reset(&g);
		for (size_t k = 0; k < hl[i]; k++)
			gen_u8(&g, 0);
		if (i == 0)
			gen_put16(&g, 14, 0x0800);
		else if (i == 1)
			gen_put16(&g, 0, 0x0800);
		else
			gen_put32(&g, 0, 2);
		ip4_pkt(&g);
		truncations(g.p, g.len, links[i], hl[i] + 20);
	}
	gen_free(&g);
}

/* Garbage of every length under every link type: never crashes, always a defined result. */
static void test_garbage(void **state)
{
	(void)state;
	static const int links[9] = {0, 1, 101, 108, 113, 276, 228, 229, 7};
	uint8_t buf[256];
	uint32_t x = 0x12345678;
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		if (round & 1)
			buf[14] = 0x45;
		for (int l = 0; l < 9; l++)
			for (size_t n = 0; n <= 80; n += 7) {
				struct ofd_pkt p;
				int rc = parse(&p, links[l], buf, n);
				assert_true(rc == 0 || rc == OFD_ETRUNC || rc == OFD_EFORMAT ||
					    rc == OFD_EUNSUPPORTED);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eth_ipv4_tcp),   cmocka_unit_test(test_udp_padding),
	    cmocka_unit_test(test_vlan_qinq),	   cmocka_unit_test(test_mpls),
	    cmocka_unit_test(test_link_types),	   cmocka_unit_test(test_ipv4_options_and_errors),
	    cmocka_unit_test(test_ipv4_fragments), cmocka_unit_test(test_ipv6_ext_headers),
	    cmocka_unit_test(test_ipv6_fragments), cmocka_unit_test(test_icmp),
	    cmocka_unit_test(test_truncations),	   cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
