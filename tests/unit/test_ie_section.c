/*
 * RFC 7133 packet sections in NetFlow v9 / IPFIX (issue 12, defect 6): dataLinkFrameSection (315)
 * with dataLinkFrameSize (312) as Juniper inline monitoring and Cisco NCS send them,
 * ipHeaderPacketSection (313), ipPayloadPacketSection (314), the MPLS sections (316/317),
 * sectionOffset / sectionExportedOctets (409/410), the precedence of the template's own fields,
 * and truncated or lying sections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "gen_sflow.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u
#define MAC_A	 0x001c2e191a80ull
#define MAC_B	 0x001cc447d3f9ull
#define MAC_C	 0x02000000000cull
#define MAC_D	 0x02000000000dull

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, struct gv_msg *m)
{
	return gv_decode_msg(d, m, SRC4, 4739, RECV_NS, &sink);
}

static void begin(struct gv_msg *m, int v9)
{
	if (v9)
		gv_v9_begin(m, 100000, EXPORT_S, 1, 7);
	else
		gv_ipfix_begin(m, EXPORT_S, 1, 7);
}

static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

/* Ethernet MAC_A -> MAC_B (VLAN vlan if not 0), IPv4 192.168.1.2 -> 192.168.1.3 TCP. */
static void frame_tcp4(struct gen_buf *g, uint16_t vlan)
{
	struct gen_frame f = {.dst_mac = MAC_B,
			      .src_mac = MAC_A,
			      .vlan = vlan,
			      .src = {192, 168, 1, 2},
			      .dst = {192, 168, 1, 3},
			      .proto = 6,
			      .tos = 0xb8,
			      .ttl = 64,
			      .sport = 60565,
			      .dport = 443,
			      .tcp_flags = 0x18,
			      .payload_len = 100};
	gen_frame(g, &f);
}

static void check_tcp4(const struct ofd_flow *f)
{
	assert_int_equal(f->src_mac, MAC_A);
	assert_int_equal(f->dst_mac, MAC_B);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(f->src_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0a80102);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc0a80103);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->ip_tos, 0xb8);
	assert_int_equal(f->ip_ttl, 64);
	assert_int_equal(f->ip_flags, 2); /* DF */
	assert_int_equal(f->fragment_id, 0x1234);
	assert_int_equal(f->src_port, 60565);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->tcp_flags, 0x18);
	assert_int_equal(f->packets, 1);
	const unsigned ids[] = {OFD_F_SRC_MAC,	OFD_F_DST_MAC,	 OFD_F_ETYPE,  OFD_F_SRC_ADDR, OFD_F_DST_ADDR,
				OFD_F_PROTO,	OFD_F_IP_TOS,	 OFD_F_IP_TTL, OFD_F_IP_FLAGS, OFD_F_SRC_PORT,
				OFD_F_DST_PORT, OFD_F_TCP_FLAGS, OFD_F_BYTES,  OFD_F_PACKETS};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_true(ofd_flow_has(f, ids[i]));
}

/* Juniper inline monitoring: IPFIX, 315 variable length + 312 + ingress interface. */
static void test_juniper_eth_ipv4_tcp(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{10, 4, 0}, {312, 2, 0}, {315, GV_VARLEN, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 3);
	gv_set_begin(&m, 300);
	struct gen_buf g = {0};
	frame_tcp4(&g, 0);
	for (int i = 0; i < 2; i++) {
		gv_uint(&m, 17, 4);
		gv_uint(&m, 1518 - i, 2);
		gv_varlen(&m, g.p, i ? 64 : g.len); /* the second one cut inside the payload */
	}
	assert_int_equal(dec(d, &m), 2);
	for (int i = 0; i < 2; i++) {
		const struct ofd_flow *r = &sink.got[i];
		check_tcp4(r);
		assert_int_equal(r->in_if, 17);
		assert_int_equal(r->bytes, 1518 - i); /* dataLinkFrameSize */
		assert_false(ofd_flow_has(r, OFD_F_VLAN_ID));
		assert_false(ofd_flow_has(r, OFD_F_MPLS_LABEL));
	}
	gen_free(&g);
	ofd_decoder_free(d);
}

/* Cisco NCS "datalink" record: NetFlow v9, a fixed 128-byte 315 padded with zeros, 410 the frame's
 * exported octets; a VLAN-tagged frame. Also the same over IPFIX fixed-length. */
static void test_v9_fixed_vlan(void **state)
{
	(void)state;
	for (int v9 = 0; v9 < 2; v9++) {
		struct ofd_decoder *d = gv_decoder_new(&sink);
		struct gv_msg m = {0};
		const struct gv_field f[] = {{410, 2, 0}, {315, 128, 0}, {312, 4, 0}};
		begin(&m, v9);
		gv_set_begin(&m, v9 ? 0 : 2);
		gv_template(&m, 260, f, 3);
		gv_set_begin(&m, 260);
		struct gen_buf g = {0};
		frame_tcp4(&g, 100);
		size_t n = g.len < 128 ? g.len : 128;
		uint8_t sec[128] = {0};
		memcpy(sec, g.p, n);
		gv_uint(&m, n, 2);
		gv_bytes(&m, sec, 128);
		gv_uint(&m, 1000, 4);
		m.count++;
		assert_int_equal(dec(d, &m), 1);
		const struct ofd_flow *r = &sink.got[0];
		check_tcp4(r);
		assert_int_equal(r->vlan_id, 100);
		assert_true(ofd_flow_has(r, OFD_F_VLAN_ID));
		assert_int_equal(r->bytes, 1000);
		gen_free(&g);
		ofd_decoder_free(d);
	}
}

/* ipHeaderPacketSection (313) of an IPv6 UDP packet: bytes from the IP header's total length. */
static void test_ipv6_udp_header_section(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{313, GV_VARLEN, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 301, f, 1);
	gv_set_begin(&m, 301);
	struct gen_buf g = {0};
	struct gen_ip6 h = {
	    .next = 17, .tclass = 0x28, .hlim = 60, .flow_label = 0xabcde, .payload_len = 8 + 1200};
	memcpy(h.src, v6a, 16);
	memcpy(h.dst, v6b, 16);
	gen_ipv6(&g, &h);
	gen_udp(&g, 5353, 53, 1200, 0);
	gen_u32(&g, 0xdeadbeef);
	gv_varlen(&m, g.p, g.len); /* header, UDP header and 4 bytes of its payload */
	assert_int_equal(dec(d, &m), 1);
	const struct ofd_flow *r = &sink.got[0];
	assert_int_equal(r->etype, 0x86dd);
	assert_int_equal(r->src_addr.family, OFD_AF_INET6);
	assert_memory_equal(r->src_addr.b, v6a, 16);
	assert_memory_equal(r->dst_addr.b, v6b, 16);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->ip_tos, 0x28);
	assert_int_equal(r->ip_ttl, 60);
	assert_int_equal(r->ipv6_flow_label, 0xabcde);
	assert_int_equal(r->src_port, 5353);
	assert_int_equal(r->dst_port, 53);
	assert_int_equal(r->bytes, 40 + 8 + 1200);
	assert_int_equal(r->packets, 1);
	assert_false(ofd_flow_has(r, OFD_F_SRC_MAC));
	assert_false(ofd_flow_has(r, OFD_F_TCP_FLAGS));
	gen_free(&g);
	ofd_decoder_free(d);
}

/* EVPN / EoMPLS on a core link: Ethernet, two labels, control word, the customer's frame. */
static void test_mpls_pseudowire(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{315, GV_VARLEN, 0}, {312, 2, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 302, f, 2);
	gv_set_begin(&m, 302);
	struct gen_buf g = {0};
	gen_eth(&g, MAC_D, MAC_C, 0x8847);
	gen_mpls(&g, 16005, 0, 0, 254);
	gen_mpls(&g, 24017, 0, 1, 254);
	gen_u32(&g, 0); /* control word */
	frame_tcp4(&g, 0);
	gv_varlen(&m, g.p, g.len);
	gv_uint(&m, 1400, 2);
	assert_int_equal(dec(d, &m), 1);
	const struct ofd_flow *r = &sink.got[0];
	assert_int_equal(r->mpls_label, 16005);
	assert_true(ofd_flow_has(r, OFD_F_MPLS_LABEL));
	/* the whole stack with TTLs, as on the wire */
	assert_true(ofd_flow_has(r, OFD_F_MPLS_STACK));
	assert_int_equal(r->mpls_stack.n, 2);
	assert_int_equal(r->mpls_stack.lse[0], 16005u << 12 | 254);
	assert_int_equal(r->mpls_stack.lse[1], 24017u << 12 | 1u << 8 | 254);
	assert_int_equal(r->src_mac, MAC_C); /* the outer frame's MACs */
	assert_int_equal(r->dst_mac, MAC_D);
	assert_int_equal(r->etype, 0x0800);
	assert_int_equal(ofd_ip_v4(&r->src_addr), 0xc0a80102);
	assert_int_equal(ofd_ip_v4(&r->dst_addr), 0xc0a80103);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->src_port, 60565);
	assert_int_equal(r->dst_port, 443);
	assert_int_equal(r->tcp_flags, 0x18);
	assert_int_equal(r->bytes, 1400);
	assert_int_equal(r->packets, 1);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* Sections cut short, lying IP lengths, a section of 1 byte, an offset into the packet. */
static void test_truncated_and_lying(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{312, 2, 0}, {315, GV_VARLEN, 0}};
	const struct gv_field fo[] = {{409, 2, 0}, {315, GV_VARLEN, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 303, f, 2);
	gv_template(&m, 304, fo, 2);
	gv_set_begin(&m, 303);
	struct gen_buf g = {0};
	frame_tcp4(&g, 0);
	gv_uint(&m, 900, 2); /* cut inside the IPv4 header */
	gv_varlen(&m, g.p, 14 + 10);
	gv_uint(&m, 901, 2); /* one byte */
	gv_varlen(&m, g.p, 1);
	gen_put16(&g, 14 + 2, 60000); /* IPv4 total length lies upwards: bounded by the section */
	gv_uint(&m, 902, 2);
	gv_varlen(&m, g.p, 14 + 20 + 13);
	gen_put16(&g, 14 + 2, 10); /* total length below the header: impossible */
	gv_uint(&m, 903, 2);
	gv_varlen(&m, g.p, g.len);
	gv_uint(&m, 904, 2); /* empty */
	gv_varlen(&m, g.p, 0);
	gv_set_begin(&m, 304);
	gen_put16(&g, 14 + 2, 20 + 20 + 100);
	gv_uint(&m, 14, 2); /* sectionOffset 14: the headers cannot be located */
	gv_varlen(&m, g.p + 14, g.len - 14);
	assert_int_equal(dec(d, &m), 6);
	const struct ofd_flow *r = sink.got;
	assert_int_equal(r[0].src_mac, MAC_A);
	assert_int_equal(r[0].etype, 0x0800);
	assert_false(ofd_flow_has(&r[0], OFD_F_SRC_ADDR));
	assert_false(ofd_flow_has(&r[0], OFD_F_SRC_PORT));
	assert_int_equal(r[0].bytes, 900);
	assert_int_equal(r[0].packets, 1);
	assert_false(ofd_flow_has(&r[1], OFD_F_SRC_MAC));
	assert_int_equal(r[1].bytes, 901);
	assert_int_equal(ofd_ip_v4(&r[2].dst_addr), 0xc0a80103);
	assert_int_equal(r[2].src_port, 60565);
	assert_int_equal(r[2].tcp_flags, 0); /* cut before the flags */
	assert_int_equal(r[2].bytes, 902);
	assert_int_equal(r[3].src_mac, MAC_A); /* the Ethernet header is kept */
	assert_false(ofd_flow_has(&r[3], OFD_F_SRC_ADDR));
	assert_int_equal(r[3].bytes, 903);
	assert_false(ofd_flow_has(&r[4], OFD_F_SRC_MAC));
	assert_int_equal(r[4].bytes, 904);
	assert_int_equal(r[4].packets, 1);
	assert_false(ofd_flow_has(&r[5], OFD_F_SRC_ADDR));
	assert_false(ofd_flow_has(&r[5], OFD_F_SRC_MAC));
	assert_int_equal(r[5].bytes, g.len - 14); /* the section's length, nothing better known */
	assert_int_equal(r[5].packets, 1);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* The template's own fields win over the section's, before or after it; counters too. */
static void test_precedence(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0}, {7, 2, 0}, {315, GV_VARLEN, 0}, {11, 2, 0},
				     {2, 4, 0}, {1, 4, 0}, {312, 2, 0},		{58, 2, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 305, f, 8);
	gv_set_begin(&m, 305);
	struct gen_buf g = {0};
	frame_tcp4(&g, 100);
	gv_ip4(&m, 0x0a000001);
	gv_uint(&m, 1111, 2);
	gv_varlen(&m, g.p, g.len);
	gv_uint(&m, 2222, 2);
	gv_uint(&m, 5, 4);
	gv_uint(&m, 7000, 4);
	gv_uint(&m, 1500, 2);
	gv_uint(&m, 300, 2);
	assert_int_equal(dec(d, &m), 1);
	const struct ofd_flow *r = &sink.got[0];
	assert_int_equal(ofd_ip_v4(&r->src_addr), 0x0a000001); /* before the section */
	assert_int_equal(r->src_port, 1111);
	assert_int_equal(r->dst_port, 2222); /* after it */
	assert_int_equal(r->packets, 5);
	assert_int_equal(r->bytes, 7000);
	assert_int_equal(r->vlan_id, 300);
	assert_int_equal(ofd_ip_v4(&r->dst_addr), 0xc0a80103); /* from the section */
	assert_int_equal(r->tcp_flags, 0x18);
	assert_int_equal(r->src_mac, MAC_A);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* 313 with only the IPv4 header, 314 with the TCP header; 316 + 317 (the MPLS sections). */
static void test_header_payload_and_mpls_sections(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f1[] = {{313, 20, 0}, {314, GV_VARLEN, 0}, {224, 2, 0}};
	const struct gv_field f2[] = {{316, GV_VARLEN, 0}, {317, GV_VARLEN, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 306, f1, 3);
	gv_template(&m, 307, f2, 2);
	gv_set_begin(&m, 306);
	struct gen_buf g = {0};
	frame_tcp4(&g, 0);
	gv_bytes(&m, g.p + 14, 20);
	gv_varlen(&m, g.p + 34, 20);
	gv_uint(&m, 140, 2);
	gv_set_begin(&m, 307);
	struct gen_buf s = {0};
	gen_mpls(&s, 777, 0, 0, 9);
	gen_mpls(&s, 888, 0, 1, 9);
	gv_varlen(&m, s.p, s.len);
	gv_varlen(&m, g.p + 14, g.len - 14);
	assert_int_equal(dec(d, &m), 2);
	const struct ofd_flow *a = &sink.got[0], *b = &sink.got[1];
	assert_int_equal(ofd_ip_v4(&a->src_addr), 0xc0a80102);
	assert_int_equal(a->proto, 6);
	assert_int_equal(a->src_port, 60565);
	assert_int_equal(a->dst_port, 443);
	assert_int_equal(a->tcp_flags, 0x18);
	assert_int_equal(a->bytes, 140); /* ipTotalLength */
	assert_int_equal(a->packets, 1);
	assert_int_equal(b->mpls_label, 777);
	assert_int_equal(ofd_ip_v4(&b->dst_addr), 0xc0a80103);
	assert_int_equal(b->dst_port, 443);
	assert_int_equal(b->etype, 0x0800);
	assert_int_equal(b->bytes, 140); /* the IP header's total length */
	gen_free(&s);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* An ICMP echo request in a section: type and code, no ports. */
static void test_icmp_section(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{315, GV_VARLEN, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 308, f, 1);
	gv_set_begin(&m, 308);
	struct gen_buf g = {0};
	struct gen_frame fr = {.dst_mac = MAC_B,
			       .src_mac = MAC_A,
			       .src = {10, 0, 0, 1},
			       .dst = {10, 0, 0, 2},
			       .proto = 1,
			       .ttl = 5,
			       .icmp_type = 8,
			       .icmp_code = 0,
			       .payload_len = 56};
	gen_frame(&g, &fr);
	gv_varlen(&m, g.p, g.len);
	assert_int_equal(dec(d, &m), 1);
	const struct ofd_flow *r = &sink.got[0];
	assert_int_equal(r->proto, 1);
	assert_int_equal(r->icmp_type, 8);
	assert_int_equal(r->icmp_code, 0);
	assert_true(ofd_flow_has(r, OFD_F_ICMP_TYPE));
	assert_false(ofd_flow_has(r, OFD_F_SRC_PORT));
	assert_int_equal(r->bytes, 20 + 8 + 56); /* no 312: the IP total length */
	gen_free(&g);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_juniper_eth_ipv4_tcp),
	    cmocka_unit_test(test_v9_fixed_vlan),
	    cmocka_unit_test(test_ipv6_udp_header_section),
	    cmocka_unit_test(test_mpls_pseudowire),
	    cmocka_unit_test(test_truncated_and_lying),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_header_payload_and_mpls_sections),
	    cmocka_unit_test(test_icmp_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
