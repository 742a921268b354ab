/* sFlow v5: every sample and record type built in code, IPv6 agent, interface formats, AS
 * paths, every truncation, lying lengths and counts, and the real capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "ofd/rd.h"
#include "gen_sflow.h"

#define MAX_GOT 64
#define T0	1302306318468863000ull
#define MAC_A	0x001c2e191a80ull
#define MAC_B	0x001cc447d3f9ull

struct sink {
	struct ofd_flow got[MAX_GOT];
	unsigned n;
	uint64_t total, bytes, tcp, rate300;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct sink *s = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (s->n < MAX_GOT)
			s->got[s->n++] = *f;
		s->total++;
		s->bytes += f->bytes;
		s->tcp += f->proto == 6;
		s->rate300 += f->sampling_rate == 300;
	}
}

/* Decode len bytes from an exact-size heap copy (ASan sees overreads). */
static int decode(struct ofd_decoder *d, const uint8_t *data, size_t len, struct sink *s)
{
	struct ofd_batch *b = malloc(sizeof(*b));
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(b);
	assert_non_null(copy);
	memcpy(copy, data, len);
	ofd_batch_init(b, collect, s);
	struct ofd_dgram dg = {.data = copy, .len = len, .src_port = 54321, .time_ns = T0};
	ofd_ip_set4u(&dg.src, 0x0a0a0a0a); /* the UDP source: not the agent */
	int n = ofd_decode(d, &dg, b);
	ofd_batch_flush(b);
	free(copy);
	free(b);
	return n;
}

static struct gen_sflow_hdr hdr4(void)
{
	struct gen_sflow_hdr h = {.sub_agent = 3, .seq = 5908, .uptime_ms = 2294190};
	ofd_ip_set4u(&h.agent, 0xc0a80101);
	return h;
}

static const struct gen_sflow_fs fs1 = {
    .seq = 28696, .src_index = 47, .rate = 300, .pool = 26431550, .in = 48, .out = 47};

/* An Ethernet/802.1Q/IPv4/TCP frame of 1518 bytes on the wire, 128 sampled. */
static void tcp_frame(struct gen_buf *g)
{
	struct gen_frame f = {.dst_mac = MAC_A,
			      .src_mac = MAC_B,
			      .vlan = 0x6000 | 12,
			      .src = {192, 168, 1, 2},
			      .dst = {192, 168, 1, 3},
			      .proto = 6,
			      .tos = 0x20,
			      .ttl = 64,
			      .sport = 60565,
			      .dport = 36875,
			      .tcp_flags = 0x10,
			      .payload_len = 128 - 58};
	gen_frame(g, &f);
}

/* Datagram with every sample type: flow (raw header + switch + router + gateway + unknown
 * record), expanded flow (sampled Ethernet + IPv4), counter, expanded counter, an unknown
 * sample, and a compact flow with a sampled IPv6 ICMPv6 record. */
static void build_all(struct gen_buf *g, const struct gen_sflow_hdr *h)
{
	struct gen_sflow s;
	struct gen_buf fr = {0};
	tcp_frame(&fr);
	gen_sflow_begin(&s, g, h);

	gen_sflow_flow_begin(&s, &fs1);
	gen_sflow_rec_raw(&s, 1, 1518, 4, fr.p, fr.len);
	gen_sflow_rec_switch(&s, 12, 3, 13, 0xffffffff);
	struct ofd_ip nh, bgp;
	ofd_ip_set4u(&nh, 0x0a000001);
	ofd_ip_set4u(&bgp, 0x0a0000fe);
	gen_sflow_rec_router(&s, &nh, 24, 16);
	static const uint32_t segs[2] = {2, 1}, path[3] = {64500, 64501, 64511};
	gen_sflow_rec_gateway(&s, &bgp, 64496, 64497, 64498, segs, 2, path);
	gen_sflow_rec_opaque(&s, 4413u << 12 | 7, "\1\2\3\4", 4);
	gen_sflow_sample_end(&s);

	struct gen_sflow_fs fs2 = {.expanded = 1,
				   .seq = 9,
				   .src_type = 0,
				   .src_index = 0x1000001,
				   .rate = 1000,
				   .pool = 7,
				   .drops = 1,
				   .in_fmt = 0,
				   .in = 0x40000001,
				   .out_fmt = 0,
				   .out = 5};
	gen_sflow_flow_begin(&s, &fs2);
	gen_sflow_rec_eth(&s, 90, MAC_A, MAC_B, 0x0800);
	struct gen_sflow_ip ip = {.len = 76, .proto = 17, .sport = 123, .dport = 4567, .tos = 0xb8};
	ofd_ip_set4u(&ip.src, 0xc0000201);
	ofd_ip_set4u(&ip.dst, 0xc6336402);
	gen_sflow_rec_ip(&s, &ip);
	gen_sflow_sample_end(&s);

	gen_sflow_counter_begin(&s, 0, 1, 0, 47);
	gen_sflow_rec_if_counters(&s, 47, 123456789, 987654321);
	gen_sflow_sample_end(&s);
	gen_sflow_counter_begin(&s, 1, 2, 0, 0x1000000);
	gen_sflow_rec_if_counters(&s, 0x1000000, 1, 2);
	gen_sflow_rec_opaque(&s, 2, "\0\0\0\0\0\0\0\0", 8);
	gen_sflow_sample_end(&s);

	gen_sflow_sample_opaque(&s, 4413u << 12 | 5, "\0\0\0\1", 4);

	struct gen_sflow_fs fs3 = {
	    .seq = 10, .src_index = 3, .rate = 64, .in = 0x3fffffff, .out = 2, .out_fmt = 2};
	gen_sflow_flow_begin(&s, &fs3);
	struct gen_sflow_ip ip6 = {.len = 1280, .proto = 58, .dport = 0x8000, .tos = 0x10};
	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
			     b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	ofd_ip_set6(&ip6.src, a6);
	ofd_ip_set6(&ip6.dst, b6);
	gen_sflow_rec_ip(&s, &ip6);
	gen_sflow_sample_end(&s);

	gen_sflow_end(&s);
	gen_free(&fr);
}

static void check_first(const struct ofd_flow *f, uint32_t agent)
{
	assert_int_equal(f->type, OFD_FT_SFLOW_5);
	assert_int_equal(ofd_ip_v4(&f->sampler_address), agent);
	assert_int_equal(f->sequence_num, 5908);
	assert_int_equal(f->sampling_rate, 300);
	assert_int_equal(f->packets, 1);
	assert_int_equal(f->bytes, 1518);
	assert_int_equal(f->time_received_ns, T0);
	assert_int_equal(f->time_flow_start_ns, T0);
	assert_int_equal(f->time_flow_end_ns, T0);
	assert_int_equal(f->in_if, 48);
	assert_int_equal(f->out_if, 47);
	assert_int_equal(f->observation_domain_id, 47);
	assert_int_equal(f->src_mac, MAC_B);
	assert_int_equal(f->dst_mac, MAC_A);
	assert_int_equal(f->vlan_id, 12);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0a80102);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc0a80103);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->ip_tos, 0x20);
	assert_int_equal(f->ip_ttl, 64);
	assert_int_equal(f->ip_flags, 2);
	assert_int_equal(f->fragment_id, 0x1234);
	assert_int_equal(f->src_port, 60565);
	assert_int_equal(f->dst_port, 36875);
	assert_int_equal(f->tcp_flags, 0x10);
	assert_int_equal(f->src_vlan, 12);
	assert_int_equal(f->dst_vlan, 13);
	assert_int_equal(ofd_ip_v4(&f->next_hop), 0x0a000001);
	assert_int_equal(f->src_net, 24);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(ofd_ip_v4(&f->bgp_next_hop), 0x0a0000fe);
	assert_int_equal(f->src_as, 64497);
	assert_int_equal(f->dst_as, 64511);
	assert_int_equal(f->next_hop_as, 64500);
	static const enum ofd_field want[] = {
	    OFD_F_TYPE,	     OFD_F_BYTES,	   OFD_F_PACKETS,      OFD_F_SRC_ADDR, OFD_F_DST_ADDR,
	    OFD_F_IN_IF,     OFD_F_OUT_IF,	   OFD_F_SRC_MAC,      OFD_F_VLAN_ID,  OFD_F_SRC_VLAN,
	    OFD_F_TCP_FLAGS, OFD_F_NEXT_HOP,	   OFD_F_BGP_NEXT_HOP, OFD_F_DST_AS,   OFD_F_NEXT_HOP_AS,
	    OFD_F_SRC_NET,   OFD_F_SAMPLER_ADDRESS};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(ofd_flow_has(f, want[i]));
	assert_false(ofd_flow_has(f, OFD_F_ICMP_TYPE));
	assert_false(ofd_flow_has(f, OFD_F_MPLS_LABEL));
	assert_false(ofd_flow_has(f, OFD_F_IPV6_FLOW_LABEL));
}

static void test_all_types(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_buf g = {0};
	struct gen_sflow_hdr h = hdr4();
	build_all(&g, &h);
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(decode(d, g.p, g.len, s), 3);
	assert_int_equal(s->n, 3);
	check_first(&s->got[0], 0xc0a80101);
	assert_int_equal(s->got[0].as_path_len, 3); /* gen_sflow_rec_gateway: 64500 64501 64511 */
	assert_int_equal(s->got[0].as_path[2], 64511);
	assert_int_equal(s->got[0].bgp_communities.n, 1);
	assert_int_equal(s->got[0].bgp_communities.v[0], 0xfde80001);

	const struct ofd_flow *f = &s->got[1]; /* expanded: sampled Ethernet + IPv4 */
	assert_int_equal(f->sampling_rate, 1000);
	assert_int_equal(f->observation_domain_id, 0x1000001);
	assert_int_equal(f->in_if, 0x40000001); /* expanded values are 32-bit */
	assert_int_equal(f->out_if, 5);
	assert_int_equal(f->bytes, 76); /* the IP length wins over the Ethernet length */
	assert_int_equal(f->src_mac, MAC_A);
	assert_int_equal(f->dst_mac, MAC_B);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc6336402);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->src_port, 123);
	assert_int_equal(f->dst_port, 4567);
	assert_int_equal(f->ip_tos, 0xb8);
	assert_int_equal(f->etype, 0x0800);
	assert_false(ofd_flow_has(f, OFD_F_SRC_VLAN));
	assert_false(ofd_flow_has(f, OFD_F_DST_AS));

	f = &s->got[2]; /* sampled IPv6 ICMPv6, unknown input, multiple outputs */
	assert_int_equal(f->src_addr.family, OFD_AF_INET6);
	assert_int_equal(f->dst_addr.b[15], 2);
	assert_int_equal(f->etype, 0x86dd);
	assert_int_equal(f->bytes, 1280);
	assert_int_equal(f->proto, 58);
	assert_int_equal(f->icmp_type, 0x80);
	assert_int_equal(f->icmp_code, 0);
	assert_true(ofd_flow_has(f, OFD_F_IN_IF)); /* format 0, 0x3fffffff: the device itself */
	assert_int_equal(f->in_if, 1073741823);
	assert_false(ofd_flow_has(f, OFD_F_OUT_IF)); /* format 2: multiple outputs */
	assert_int_equal(f->out_if, 0);
	assert_int_equal(f->sampling_rate, 64);

	assert_int_equal(d->st.sflow_counter_samples, 2);
	assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_SAMPLE], 1);
	assert_int_equal(ofd_decode_drops_total(&d->st), 1);
	assert_int_equal(d->st.records_by_type[OFD_FT_SFLOW_5], 3);
	free(s);
	gen_free(&g);
	ofd_decoder_free(d);
}

static void test_ipv6_agent_and_link_ipv4(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_sflow_hdr h = {.seq = 77};
	static const uint8_t agent[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53, 0x01};
	ofd_ip_set6(&h.agent, agent);
	struct gen_buf g = {0}, ip = {0};
	struct gen_ip4 ih = {.src = 0x08080808, .dst = 0x01010101, .proto = 17, .ttl = 50, .opt_words = 1};
	gen_ipv4(&ip, &ih, 8 + 100);
	gen_udp(&ip, 53, 40000, 100, 0);
	struct gen_sflow s;
	gen_sflow_begin(&s, &g, &h);
	struct gen_sflow_fs fs = {.seq = 1, .src_index = 9, .rate = 4096, .in = 1, .out = 0x3fffffff};
	gen_sflow_flow_begin(&s, &fs);
	gen_sflow_rec_raw(&s, 11, 132, 0, ip.p, ip.len); /* header protocol 11: IPv4 */
	static const uint32_t none[1] = {0};
	gen_sflow_rec_gateway(&s, &h.agent, 65000, 0, 0, none, 0, none);
	gen_sflow_sample_end(&s);
	gen_sflow_end(&s);
	struct sink *sk = calloc(1, sizeof(*sk));
	assert_non_null(sk);
	assert_int_equal(decode(d, g.p, g.len, sk), 1);
	const struct ofd_flow *f = &sk->got[0];
	assert_int_equal(f->sampler_address.family, OFD_AF_INET6);
	assert_memory_equal(f->sampler_address.b, agent, 16);
	assert_int_equal(f->sequence_num, 77);
	assert_int_equal(f->bytes, 132);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0x08080808);
	assert_int_equal(f->src_port, 53);
	assert_int_equal(f->ip_ttl, 50);
	assert_false(ofd_flow_has(f, OFD_F_SRC_MAC));
	assert_int_equal(f->in_if, 1);
	assert_int_equal(f->out_if, 0x3fffffff); /* format 0: terminates in the device */
	assert_true(ofd_flow_has(f, OFD_F_OUT_IF));
	assert_int_equal(f->dst_as, 65000); /* empty path: the AS field */
	assert_false(ofd_flow_has(f, OFD_F_NEXT_HOP_AS));
	assert_int_equal(f->bgp_next_hop.family, OFD_AF_INET6);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	free(sk);
	gen_free(&ip);
	gen_free(&g);
	ofd_decoder_free(d);
}

static void test_interfaces(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_sflow_hdr h = hdr4();
	struct gen_frame fr = {.proto = 17, .sport = 1, .dport = 2};
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	struct gen_buf g = {0};
	/* discarded: output format 1 -> forwarding status dropped */
	struct gen_sflow_fs fs = fs1;
	fs.out_fmt = 1;
	fs.out = 258;
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_false(ofd_flow_has(&s->got[0], OFD_F_OUT_IF));
	assert_int_equal(s->got[0].forwarding_status, 0x80);
	assert_int_equal(s->got[0].in_if, 48);
	assert_int_equal(s->got[0].bytes, 14 + 20 + 8 + 4);
	/* expanded with a non-zero format: no interface */
	gen_reset(&g);
	fs = fs1;
	fs.expanded = 1;
	fs.in_fmt = 1;
	fs.out = 0x7fffffff;
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_false(ofd_flow_has(&s->got[1], OFD_F_IN_IF));
	assert_int_equal(s->got[1].in_if, 0);
	assert_int_equal(s->got[1].out_if, 0x7fffffff);
	/* compact format 0 with 0x3fffffff both ways: the spec's value, 1073741823 */
	gen_reset(&g);
	fs = fs1;
	fs.in = 0x3fffffff;
	fs.out = 0x3fffffff;
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_int_equal(s->got[2].in_if, 1073741823);
	assert_int_equal(s->got[2].out_if, 1073741823);
	assert_true(ofd_flow_has(&s->got[2], OFD_F_IN_IF));
	assert_true(ofd_flow_has(&s->got[2], OFD_F_OUT_IF));
	assert_false(ofd_flow_has(&s->got[2], OFD_F_FORWARDING_STATUS));
	/* expanded format 0 with 0xffffffff (the expanded form's value for the device itself) */
	gen_reset(&g);
	fs = fs1;
	fs.expanded = 1;
	fs.in = 0xffffffff;
	fs.out = 0xffffffff;
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_int_equal(s->got[3].in_if, 0xffffffffu);
	assert_int_equal(s->got[3].out_if, 0xffffffffu);
	/* compact discarded (format 1) and multiple (format 2) outputs stay 0 */
	gen_reset(&g);
	fs = fs1;
	fs.out_fmt = 2;
	fs.out = 3;
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_int_equal(s->got[4].out_if, 0);
	assert_false(ofd_flow_has(&s->got[4], OFD_F_OUT_IF));
	assert_false(ofd_flow_has(&s->got[4], OFD_F_FORWARDING_STATUS));
	assert_int_equal(s->got[0].out_if, 0); /* the format-1 discard above */
	free(s);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* Every prefix of the full datagram: one drop, never a crash, no record past the cut. */
static void test_truncations(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	struct gen_sflow_hdr h = hdr4();
	build_all(&g, &h);
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	for (size_t len = 4; len < g.len; len++) {
		struct ofd_decoder *d;
		assert_int_equal(ofd_decoder_new(&d, NULL), 0);
		s->n = 0;
		int n = decode(d, g.p, len, s);
		assert_true(n <= 2); /* the last sample is cut, at least */
		assert_int_equal((unsigned)(n < 0 ? 0 : n), s->n);
		uint64_t bad = d->st.drops[OFD_DROP_TRUNCATED] + d->st.drops[OFD_DROP_MALFORMED_SAMPLE];
		assert_int_equal(bad, 1);
		if (len < 28)
			assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 1);
		if (n > 0)
			check_first(&s->got[0], 0xc0a80101);
		ofd_decoder_free(d);
	}
	free(s);
	gen_free(&g);
}

/* Offsets in a one-sample datagram from gen_sflow_simple (IPv4 agent, compact flow sample). */
#define OFF_NSAMPLES 24
#define OFF_SLEN     32
#define OFF_NREC     64
#define OFF_RLEN     72
#define OFF_HLEN     88

static void expect_malformed(const uint8_t *p, size_t len, int want_n)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	int n = decode(d, p, len, s);
	assert_int_equal(n < 0 ? -1 : n, want_n);
	assert_int_equal(d->st.drops[OFD_DROP_MALFORMED_SAMPLE], 1);
	assert_int_equal(ofd_decode_drops_total(&d->st), 1);
	free(s);
	ofd_decoder_free(d);
}

static void test_lying_lengths(void **state)
{
	(void)state;
	struct gen_sflow_hdr h = hdr4();
	struct gen_frame fr = {.proto = 6, .sport = 80, .dport = 8080};
	struct gen_buf g = {0};
	/* two identical samples; the lies go into the second so that the first is kept */
	struct gen_buf one = {0};
	gen_sflow_simple(&one, &h, &fs1, &fr, 0);
	size_t slen = one.len - 28; /* one whole sample */
	gen_bytes(&g, one.p, one.len);
	gen_bytes(&g, one.p + 28, slen);
	gen_put32(&g, OFF_NSAMPLES, 2);
	assert_int_equal(ofd_be32(g.p + OFF_SLEN), slen - 8);
	assert_int_equal(ofd_be32(g.p + OFF_NREC), 1);
	assert_int_equal(ofd_be32(g.p + OFF_RLEN), 16 + 56); /* padded */
	assert_int_equal(ofd_be32(g.p + OFF_HLEN), 54);
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(decode(d, g.p, g.len, s), 2);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	assert_int_equal(s->got[1].dst_port, 8080);
	free(s);
	ofd_decoder_free(d);

	uint8_t *p = malloc(g.len);
	assert_non_null(p);
	const size_t second = slen;
	struct {
		size_t off;
		uint32_t v;
		int want;
	} lies[] = {
	    {OFF_NSAMPLES, 1000000, -1},	/* sample count the datagram cannot hold */
	    {OFF_NSAMPLES, 0xffffffff, -1},	/* ... at the top of the range */
	    {second + OFF_SLEN, 0xfffffff0, 1}, /* sample length beyond the datagram */
	    {second + OFF_SLEN, 8, 1},		/* sample length shorter than its fixed fields */
	    {second + OFF_NREC, 0x10000000, 1}, /* record count */
	    {second + OFF_RLEN, 4096, 1},	/* record length beyond the sample */
	    {second + OFF_HLEN, 57, 1},		/* header length beyond the record */
	    {second + OFF_HLEN, 0xffffffff, 1}, /* ... by a lot */
	    {second + OFF_RLEN, 12, 1},		/* record shorter than its fixed fields */
	    {4, 3, -1},				/* agent address type */
	};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		memcpy(p, g.p, g.len);
		p[lies[i].off] = (uint8_t)(lies[i].v >> 24);
		p[lies[i].off + 1] = (uint8_t)(lies[i].v >> 16);
		p[lies[i].off + 2] = (uint8_t)(lies[i].v >> 8);
		p[lies[i].off + 3] = (uint8_t)lies[i].v;
		expect_malformed(p, g.len, lies[i].want);
	}
	free(p);
	gen_free(&one);
	gen_free(&g);
}

static void test_lying_as_path(void **state)
{
	(void)state;
	struct gen_sflow_hdr h = hdr4();
	struct gen_buf g = {0};
	struct gen_sflow s;
	gen_sflow_begin(&s, &g, &h);
	gen_sflow_flow_begin(&s, &fs1);
	struct ofd_ip nh;
	ofd_ip_set4u(&nh, 1);
	static const uint32_t segs[1] = {2}, path[2] = {1, 2};
	gen_sflow_rec_gateway(&s, &nh, 1, 2, 3, segs, 1, path);
	gen_sflow_sample_end(&s);
	gen_sflow_end(&s);
	size_t nseg_off = 96;
	assert_int_equal(ofd_be32(g.p + nseg_off), 1);
	assert_int_equal(ofd_be32(g.p + nseg_off + 8), 2);
	uint8_t *p = malloc(g.len);
	assert_non_null(p);
	memcpy(p, g.p, g.len);
	p[nseg_off] = 0x40; /* 0x40000001 segments */
	expect_malformed(p, g.len, 0);
	memcpy(p, g.p, g.len);
	p[nseg_off + 8] = 0x7f; /* a segment of 0x7f000002 ASes */
	expect_malformed(p, g.len, 0);
	memcpy(p, g.p, g.len);
	p[nseg_off - 20 + 3] = 9; /* next hop address type 9 */
	expect_malformed(p, g.len, 0);
	free(p);
	gen_free(&g);
}

/* Offsets in the extended gateway body built by gw_body. */
#define GW_OFF_SEG2_LEN 44
#define GW_OFF_NCOMM	96

/* An extended gateway body: AS_SET {65001 65002}, AS_SEQUENCE 100..111, communities
 * 0xfde80000..0xfde80009, local_pref 100. */
static void gw_body(struct gen_buf *b)
{
	gen_u32(b, 1); /* next hop IPv4 */
	gen_u32(b, 0x0a0000fe);
	gen_u32(b, 64496); /* as */
	gen_u32(b, 64497); /* src_as */
	gen_u32(b, 64498); /* src_peer_as */
	gen_u32(b, 2);	   /* segments */
	gen_u32(b, 1);	   /* AS_SET */
	gen_u32(b, 2);
	gen_u32(b, 65001);
	gen_u32(b, 65002);
	gen_u32(b, 2); /* AS_SEQUENCE */
	gen_u32(b, 12);
	for (uint32_t i = 0; i < 12; i++)
		gen_u32(b, 100 + i);
	gen_u32(b, 10); /* communities */
	for (uint32_t i = 0; i < 10; i++)
		gen_u32(b, 0xfde80000 + i);
	gen_u32(b, 100); /* local_pref */
}

/* A datagram of one flow sample: raw header, then the gateway record body last. */
static void gw_datagram(struct gen_buf *g, const struct gen_buf *body)
{
	struct gen_sflow_hdr h = hdr4();
	struct gen_buf fr = {0};
	tcp_frame(&fr);
	struct gen_sflow s;
	gen_sflow_begin(&s, g, &h);
	gen_sflow_flow_begin(&s, &fs1);
	gen_sflow_rec_raw(&s, 1, 1518, 4, fr.p, fr.len);
	gen_sflow_rec_opaque(&s, 1003, body->p, body->len);
	gen_sflow_sample_end(&s);
	gen_sflow_end(&s);
	gen_free(&fr);
}

static void test_gateway_path_communities(void **state)
{
	(void)state;
	struct gen_buf body = {0}, g = {0};
	gw_body(&body);
	assert_int_equal(ofd_be32(body.p + GW_OFF_SEG2_LEN), 12);
	assert_int_equal(ofd_be32(body.p + GW_OFF_NCOMM), 10);
	gw_datagram(&g, &body);
	size_t boff = g.len - body.len; /* the body is the datagram's last bytes */
	assert_memory_equal(g.p + boff, body.p, body.len);
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	const struct ofd_flow *f = &s->got[0];
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	assert_true(ofd_flow_has(f, OFD_F_AS_PATH));
	assert_int_equal(f->as_path_len, OFD_AS_PATH_MAX); /* 14 sent, the first 12 kept */
	static const uint32_t want_path[OFD_AS_PATH_MAX] = {65001, 65002, 100, 101, 102, 103,
							    104,   105,	  106, 107, 108, 109};
	assert_memory_equal(f->as_path, want_path, sizeof(want_path));
	assert_int_equal(f->src_as, 64497);
	assert_int_equal(f->dst_as, 111); /* the path's last AS, past the kept ones */
	assert_int_equal(f->next_hop_as, 65001);
	assert_int_equal(ofd_ip_v4(&f->bgp_next_hop), 0x0a0000fe);
	assert_true(ofd_flow_has(f, OFD_F_BGP_COMMUNITIES));
	assert_int_equal(f->bgp_communities.n, OFD_COMMUNITIES_MAX); /* 10 sent, 8 kept */
	for (unsigned i = 0; i < OFD_COMMUNITIES_MAX; i++)
		assert_int_equal(f->bgp_communities.v[i], 0xfde80000 + i);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0a80102); /* the header record still applies */
	assert_true(ofd_flow_has(f, OFD_F_LOCAL_PREF));
	assert_int_equal(f->local_pref, 100);

	/* lying counts: the sample is malformed, nothing is read past the record */
	uint8_t *p = malloc(g.len);
	assert_non_null(p);
	static const struct {
		size_t off;
		uint32_t v;
	} lies[] = {
	    {GW_OFF_NCOMM, 11},		/* one more community than the record holds with local_pref */
	    {GW_OFF_NCOMM, 12},		/* beyond the record */
	    {GW_OFF_NCOMM, 0xffffffff}, /* ... by a lot */
	    {GW_OFF_SEG2_LEN, 13},	/* a segment eating the communities count */
	    {GW_OFF_SEG2_LEN, 0x40000000},
	};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		memcpy(p, g.p, g.len);
		size_t o = boff + lies[i].off;
		p[o] = (uint8_t)(lies[i].v >> 24);
		p[o + 1] = (uint8_t)(lies[i].v >> 16);
		p[o + 2] = (uint8_t)(lies[i].v >> 8);
		p[o + 3] = (uint8_t)lies[i].v;
		expect_malformed(p, g.len, 0);
	}
	/* a record cut before its communities count: malformed too */
	gen_reset(&g);
	body.len = GW_OFF_NCOMM;
	gw_datagram(&g, &body);
	expect_malformed(g.p, g.len, 0);
	/* no communities, an empty path: neither present bit */
	gen_reset(&g);
	body.len = 20;
	gen_u32(&body, 0); /* segments */
	gen_u32(&body, 0); /* communities */
	gen_u32(&body, 0); /* local_pref */
	gw_datagram(&g, &body);
	s->n = 0;
	assert_int_equal(decode(d, g.p, g.len, s), 1);
	assert_false(ofd_flow_has(&s->got[0], OFD_F_AS_PATH));
	assert_false(ofd_flow_has(&s->got[0], OFD_F_BGP_COMMUNITIES));
	assert_int_equal(s->got[0].dst_as, 64496);
	assert_true(ofd_flow_has(&s->got[0], OFD_F_LOCAL_PREF)); /* 0 is a local_pref too */
	assert_int_equal(s->got[0].local_pref, 0);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	free(p);
	free(s);
	ofd_decoder_free(d);
	gen_free(&body);
	gen_free(&g);
}

/* The real capture: 1,000 datagrams, 5,855 flow samples, 502 counter samples. */
static void test_real_capture(void **state)
{
	(void)state;
	const char *dir = getenv("OFD_DATA");
	char path[4096];
	snprintf(path, sizeof(path), "%s/sflow.pcap", dir ? dir : "../shared/data");
	struct ofd_pcapfile *pf;
	assert_int_equal(ofd_pcapfile_open(&pf, path), 0);
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct sink *s = calloc(1, sizeof(*s));
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(s);
	assert_non_null(b);
	ofd_batch_init(b, collect, s);
	struct ofd_dgram dg;
	uint16_t port;
	unsigned dgrams = 0;
	while (ofd_pcapfile_next(pf, &dg, &port) == 1) {
		assert_int_equal(port, 6343);
		assert_true(ofd_decode(d, &dg, b) >= 0);
		dgrams++;
	}
	ofd_batch_flush(b);
	assert_int_equal(dgrams, 1000);
	assert_int_equal(s->total, 5855);
	assert_int_equal(d->st.sflow_counter_samples, 502);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	assert_int_equal(s->bytes, 6058714); /* sum of the raw headers' frame lengths (tshark) */
	assert_int_equal(s->tcp, 5855);
	assert_int_equal(s->rate300, 5855);
	/* first datagram (seq 5908), first flow sample (seq 28696), from tshark -V */
	const struct ofd_flow *f = &s->got[0];
	assert_int_equal(ofd_ip_v4(&f->sampler_address), 0xc0a80101);
	assert_int_equal(f->sequence_num, 5908);
	assert_int_equal(f->time_received_ns, 1302306318468863000ull);
	assert_int_equal(f->sampling_rate, 300);
	assert_int_equal(f->observation_domain_id, 47);
	assert_int_equal(f->in_if, 48);
	assert_int_equal(f->out_if, 47);
	assert_int_equal(f->bytes, 1518);
	assert_int_equal(f->packets, 1);
	assert_int_equal(f->src_mac, 0x001cc447d3f9ull);
	assert_int_equal(f->dst_mac, 0x001f297ad132ull);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0a80102);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc0a80103);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->ip_ttl, 64);
	assert_int_equal(f->ip_flags, 2);
	assert_int_equal(f->fragment_id, 0x796d);
	assert_int_equal(f->src_port, 60565);
	assert_int_equal(f->dst_port, 36875);
	assert_int_equal(f->tcp_flags, 0x10);
	assert_int_equal(f->src_vlan, 1);
	assert_int_equal(f->dst_vlan, 1);
	/* second flow sample (seq 28697): 70-byte frame the other way */
	f = &s->got[1];
	assert_int_equal(f->bytes, 70);
	assert_int_equal(f->in_if, 47);
	assert_int_equal(f->out_if, 48);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0a80103);
	assert_int_equal(f->src_port, 36875);
	free(b);
	free(s);
	ofd_decoder_free(d);
	ofd_pcapfile_close(pf);
}

/* extended_switch: VLAN 0xFFFFFFFF is "no VLAN" (0), not 65535; a real id is kept. */
static void test_switch_vlan_unknown(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_sflow_hdr h = hdr4();
	struct sink *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	struct gen_buf g = {0}, fr = {0};
	tcp_frame(&fr);
	struct gen_sflow sf;
	gen_sflow_begin(&sf, &g, &h);
	gen_sflow_flow_begin(&sf, &fs1);
	gen_sflow_rec_raw(&sf, 1, 1518, 4, fr.p, fr.len);
	gen_sflow_rec_switch(&sf, 0xffffffff, 0, 0xffffffff, 0);
	gen_sflow_sample_end(&sf);
	gen_sflow_flow_begin(&sf, &fs1);
	gen_sflow_rec_switch(&sf, 4094, 0, 0xffffffff, 0);
	gen_sflow_sample_end(&sf);
	gen_sflow_end(&sf);
	assert_int_equal(decode(d, g.p, g.len, s), 2);
	assert_int_equal(s->got[0].src_vlan, 0);
	assert_int_equal(s->got[0].dst_vlan, 0);
	assert_int_equal(s->got[1].src_vlan, 4094);
	assert_int_equal(s->got[1].dst_vlan, 0);
	gen_free(&g);
	gen_free(&fr);
	free(s);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_types),
	    cmocka_unit_test(test_ipv6_agent_and_link_ipv4),
	    cmocka_unit_test(test_interfaces),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_lying_lengths),
	    cmocka_unit_test(test_lying_as_path),
	    cmocka_unit_test(test_real_capture),
	    cmocka_unit_test(test_switch_vlan_unknown),
	    cmocka_unit_test(test_gateway_path_communities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
