/* NetFlow v9: every mapped field form, uptime times, options sampling, bad lengths, every truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "gen_v9ipfix.h"

/* `present` is exactly the word-0 mask w0. */
static void assert_present(const struct ofd_fieldset *s, uint64_t w0)
{
	assert_int_equal(s->w[0], w0);
	for (unsigned i = 1; i < OFD_FIELDSET_WORDS; i++)
		assert_int_equal(s->w[i], 0);
}

#define EXPORT_S 1700000000u
#define UPTIME	 3600000u
#define RECV_NS	 1700000001000000000ull
#define SRC4	 0xc0000280u /* 192.0.2.128 */

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, const struct gv_msg *m, size_t len)
{
	return gv_decode(d, m->g.p, len, SRC4, 2055, RECV_NS, &sink);
}

/* Length of a gv_v4_record(): the last data set (from end_1 to full) holds three of them. */
static size_t gv_rec_len(size_t end_1, size_t full)
{
	return (full - end_1 - 4) / 3;
}

static struct ofd_decoder *new_decoder(void)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	sink.n = 0;
	return d;
}

static const struct gv_field v4f[] = {
    {1, 4, 0},	{2, 4, 0},  {4, 1, 0},	 {5, 1, 0},   {6, 1, 0},  {7, 2, 0},  {8, 4, 0},   {9, 1, 0},
    {10, 2, 0}, {11, 2, 0}, {12, 4, 0},	 {13, 1, 0},  {14, 2, 0}, {15, 4, 0}, {16, 2, 0},  {17, 4, 0},
    {18, 4, 0}, {21, 4, 0}, {22, 4, 0},	 {56, 6, 0},  {80, 6, 0}, {58, 2, 0}, {59, 2, 0},  {60, 1, 0},
    {61, 1, 0}, {70, 3, 0}, {192, 1, 0}, {54, 4, 0},  {88, 2, 0}, {89, 1, 0}, {128, 4, 0}, {38, 1, 0},
    {39, 1, 0}, {34, 4, 0}, {138, 4, 0}, {197, 1, 0},
};
#define NV4 (sizeof(v4f) / sizeof(v4f[0]))
static const uint64_t v4v[NV4] = {
    1500000,
    1000,
    6,
    0xb8,
    0x1b,
    443,
    0xc0000201,
    24,
    3,
    51000,
    0xc6336402,
    16,
    4,
    0x0a000001,
    64496,
    4200000000u,
    0x0a000002,
    3599000,
    3590000,
    0x001122334455,
    0x66778899aabb,
    100,
    200,
    4,
    1,
    0x03e811,
    63,
    0xdeadbeef,
    185,
    0x40,
    65000,
    1,
    2,
    512,
    77,
    0x40, /* fragmentFlags: DF */
};

static void test_v4_fields(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 4242, 99);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, v4f, NV4);
	gv_set_begin(&m, 256);
	gv_record(&m, v4f, NV4, v4v);
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(sink.n, 1);
	const struct ofd_flow *f = &sink.got[0];
	assert_int_equal(f->type, OFD_FT_NETFLOW_V9);
	assert_int_equal(f->sequence_num, 4242);
	assert_int_equal(f->observation_domain_id, 99);
	assert_int_equal(f->time_received_ns, RECV_NS);
	assert_int_equal(ofd_ip_v4(&f->sampler_address), SRC4);
	assert_int_equal(f->bytes, 1500000);
	assert_int_equal(f->packets, 1000);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->ip_tos, 0xb8);
	assert_int_equal(f->tcp_flags, 0x1b);
	assert_int_equal(f->src_port, 443);
	assert_int_equal(f->src_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
	assert_int_equal(f->src_net, 24);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->dst_port, 51000);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc6336402);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(f->out_if, 4);
	assert_int_equal(ofd_ip_v4(&f->next_hop), 0x0a000001);
	assert_int_equal(f->src_as, 64496);
	assert_int_equal(f->dst_as, 4200000000u);
	assert_int_equal(ofd_ip_v4(&f->bgp_next_hop), 0x0a000002);
	assert_int_equal(f->time_flow_start_ns, (EXPORT_S - 10ull) * 1000000000ull);
	assert_int_equal(f->time_flow_end_ns, (EXPORT_S - 1ull) * 1000000000ull);
	assert_int_equal(f->src_mac, 0x001122334455ull);
	assert_int_equal(f->dst_mac, 0x66778899aabbull);
	assert_int_equal(f->src_vlan, 100);
	assert_int_equal(f->vlan_id, 100);
	assert_int_equal(f->dst_vlan, 200);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(f->mpls_label, 16001);
	assert_int_equal(f->ip_ttl, 63);
	assert_int_equal(f->fragment_id, 0xdeadbeef);
	assert_int_equal(f->fragment_offset, 185);
	assert_int_equal(f->forwarding_status, 0x40);
	assert_int_equal(f->next_hop_as, 65000);
	assert_int_equal(f->engine_type, 1);
	assert_int_equal(f->engine_id, 2);
	assert_int_equal(f->sampling_rate, 512);
	assert_int_equal(f->observation_point_id, 77);
	assert_int_equal(f->ip_flags, 2); /* DF, as in the IPv4 header */
	/* TCP: no ICMP fields invented */
	assert_int_equal(f->icmp_type, 0);
	static const enum ofd_field want[] = {
	    OFD_F_TYPE,
	    OFD_F_TIME_RECEIVED,
	    OFD_F_SEQUENCE_NUM,
	    OFD_F_SAMPLING_RATE,
	    OFD_F_SAMPLER_ADDRESS,
	    OFD_F_TIME_FLOW_START,
	    OFD_F_TIME_FLOW_END,
	    OFD_F_BYTES,
	    OFD_F_PACKETS,
	    OFD_F_SRC_ADDR,
	    OFD_F_DST_ADDR,
	    OFD_F_ETYPE,
	    OFD_F_PROTO,
	    OFD_F_SRC_PORT,
	    OFD_F_DST_PORT,
	    OFD_F_IN_IF,
	    OFD_F_OUT_IF,
	    OFD_F_SRC_MAC,
	    OFD_F_DST_MAC,
	    OFD_F_SRC_VLAN,
	    OFD_F_DST_VLAN,
	    OFD_F_VLAN_ID,
	    OFD_F_IP_TOS,
	    OFD_F_FORWARDING_STATUS,
	    OFD_F_IP_TTL,
	    OFD_F_IP_FLAGS,
	    OFD_F_TCP_FLAGS,
	    OFD_F_FRAGMENT_ID,
	    OFD_F_FRAGMENT_OFFSET,
	    OFD_F_SRC_AS,
	    OFD_F_DST_AS,
	    OFD_F_NEXT_HOP,
	    OFD_F_NEXT_HOP_AS,
	    OFD_F_SRC_NET,
	    OFD_F_DST_NET,
	    OFD_F_BGP_NEXT_HOP,
	    OFD_F_MPLS_LABEL,
	    OFD_F_OBSERVATION_DOMAIN_ID,
	    OFD_F_OBSERVATION_POINT_ID,
	    OFD_F_ENGINE_TYPE,
	    OFD_F_ENGINE_ID,
	    OFD_F_FLOW_DIRECTION,
	};
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		mask |= OFD_FS_BIT(want[i]);
	/* 70 also opens the label stack (a tail field): label 16001, bottom of stack, no TTL */
	struct ofd_fieldset got = f->present;
	assert_true(ofd_fieldset_has(&got, OFD_F_MPLS_STACK));
	assert_int_equal(f->mpls_stack.n, 1);
	assert_int_equal(f->mpls_stack.lse[0], 0x03e81100u);
	ofd_fieldset_clear(&got, OFD_F_MPLS_STACK);
	assert_present(&got, mask);
	assert_int_equal(d->st.templates, 1);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	gv_free(&m);
	ofd_decoder_free(d);
}

static void test_v6_fields(void **state)
{
	(void)state;
	static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const struct gv_field f6[] = {{27, 16, 0}, {28, 16, 0}, {29, 1, 0},  {30, 1, 0},
					     {31, 3, 0},  {62, 16, 0}, {63, 16, 0}, {4, 1, 0},
					     {139, 2, 0}, {11, 2, 0},  {1, 8, 0},   {2, 8, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 300, f6, 12);
	gv_set_begin(&m, 300);
	uint8_t b[16];
	memcpy(b, a, 16);
	for (int i = 1; i <= 4; i++) { /* src ::1, dst ::2, next hop ::3, bgp next hop ::4 */
		b[15] = (uint8_t)i;
		gv_bytes(&m, b, 16);
		if (i == 2) {
			gv_uint(&m, 48, 1);
			gv_uint(&m, 64, 1);
			gv_uint(&m, 0x12345, 3);
		}
	}
	gv_uint(&m, 58, 1);
	gv_uint(&m, 0x8000, 2);
	gv_uint(&m, 0x0303, 2);
	gv_uint(&m, 123456789012ull, 8);
	gv_uint(&m, 99, 8);
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 1);
	const struct ofd_flow *f = &sink.got[0];
	assert_int_equal(f->src_addr.family, OFD_AF_INET6);
	assert_memory_equal(f->src_addr.b, a, 15);
	assert_int_equal(f->src_addr.b[15], 1);
	assert_int_equal(f->dst_addr.b[15], 2);
	assert_int_equal(f->next_hop.family, OFD_AF_INET6);
	assert_int_equal(f->next_hop.b[15], 3);
	assert_int_equal(f->bgp_next_hop.b[15], 4);
	assert_int_equal(f->src_net, 48);
	assert_int_equal(f->dst_net, 64);
	assert_int_equal(f->ipv6_flow_label, 0x12345);
	assert_int_equal(f->proto, 58);
	assert_int_equal(f->icmp_type, 128); /* from the ICMP element, not from dst_port */
	assert_int_equal(f->icmp_code, 0);
	assert_int_equal(f->dst_port, 0x0303);
	assert_int_equal(f->bytes, 123456789012ull);
	assert_int_equal(f->packets, 99);
	assert_int_equal(f->etype, 0x86dd); /* from the address family */
	assert_true(ofd_flow_has(f, OFD_F_ETYPE));
	assert_true(ofd_flow_has(f, OFD_F_IPV6_FLOW_LABEL));
	assert_false(ofd_flow_has(f, OFD_F_SAMPLING_RATE));
	gv_free(&m);
	ofd_decoder_free(d);
}

/* ICMP type/code from dst_port; post MACs only when the primary MAC is absent; 2-byte counters. */
static void test_icmp_and_post_mac(void **state)
{
	(void)state;
	static const struct gv_field fa[] = {{8, 4, 0},	 {12, 4, 0}, {4, 1, 0}, {11, 2, 0},
					     {81, 6, 0}, {57, 6, 0}, {1, 2, 0}, {243, 2, 0}};
	static const struct gv_field fb[] = {{56, 6, 0}, {81, 6, 0}, {52, 1, 0}, {192, 1, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, fa, 8);
	gv_template(&m, 257, fb, 4);
	gv_set_begin(&m, 256);
	gv_record(&m, fa, 8, (const uint64_t[]){0x01020304, 0x05060708, 1, 0x0b02, 0xa1, 0xb2, 1234, 42});
	gv_set_begin(&m, 257);
	gv_record(&m, fb, 4, (const uint64_t[]){0x111111111111, 0x222222222222, 5, 60});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 2);
	const struct ofd_flow *f = &sink.got[0];
	assert_int_equal(f->icmp_type, 11);
	assert_int_equal(f->icmp_code, 2);
	assert_int_equal(f->dst_port, 0x0b02);
	assert_true(ofd_flow_has(f, OFD_F_ICMP_TYPE));
	assert_int_equal(f->src_mac, 0xa1);
	assert_int_equal(f->dst_mac, 0xb2);
	assert_int_equal(f->bytes, 1234);
	assert_int_equal(f->vlan_id, 42);
	assert_int_equal(f->src_vlan, 42);
	assert_int_equal(f->etype, 0x0800);
	f = &sink.got[1];
	assert_int_equal(f->src_mac, 0x111111111111ull);
	assert_false(ofd_flow_has(f, OFD_F_DST_MAC));
	assert_int_equal(f->ip_ttl, 60); /* ipTTL wins over minimumTTL */
	assert_false(ofd_flow_has(f, OFD_F_ETYPE));
	gv_free(&m);
	ofd_decoder_free(d);
}

static void test_uptime_wrap(void **state)
{
	(void)state;
	static const struct gv_field ft[] = {{22, 4, 0}, {21, 4, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, 1000, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, ft, 2);
	gv_set_begin(&m, 256);
	gv_record(&m, ft, 2, (const uint64_t[]){0xfffff000u, 1000});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(sink.got[0].time_flow_start_ns, EXPORT_S * 1000000000ull - 5096000000ull);
	assert_int_equal(sink.got[0].time_flow_end_ns, EXPORT_S * 1000000000ull);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Options data (FLOW_SAMPLER_ID / MODE / RANDOM_INTERVAL) sets the rate of later data records. */
static void test_options_sampling(void **state)
{
	(void)state;
	static const struct gv_field scope[] = {{1, 4, 0}};
	static const struct gv_field opt[] = {{48, 1, 0}, {49, 1, 0}, {50, 4, 0}};
	static const struct gv_field plain[] = {{8, 4, 0}, {2, 4, 0}};
	static const struct gv_field bysampler[] = {{8, 4, 0}, {48, 1, 0}};
	static const struct gv_field own[] = {{8, 4, 0}, {34, 4, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 5);
	gv_set_begin(&m, 0);
	gv_template(&m, 300, plain, 2);
	gv_template(&m, 301, bysampler, 2);
	gv_template(&m, 302, own, 2);
	gv_set_begin(&m, 300); /* before any options data: no rate */
	gv_record(&m, plain, 2, (const uint64_t[]){1, 1});
	gv_set_begin(&m, 1);
	gv_options_template(&m, 260, scope, 1, opt, 3);
	gv_set_end(&m, 2); /* padding */
	gv_set_begin(&m, 260);
	gv_uint(&m, 0, 4);
	gv_record(&m, opt, 3, (const uint64_t[]){1, 2, 100});
	gv_uint(&m, 0, 4);
	gv_record(&m, opt, 3, (const uint64_t[]){2, 2, 1000});
	gv_set_begin(&m, 300);
	gv_record(&m, plain, 2, (const uint64_t[]){2, 1});
	gv_set_begin(&m, 301);
	gv_record(&m, bysampler, 2, (const uint64_t[]){3, 1});
	gv_record(&m, bysampler, 2, (const uint64_t[]){4, 2});
	gv_record(&m, bysampler, 2, (const uint64_t[]){5, 9});
	gv_set_begin(&m, 302);
	gv_record(&m, own, 2, (const uint64_t[]){6, 77});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 6);
	assert_int_equal(d->st.options_templates, 1);
	assert_int_equal(d->st.templates, 3);
	assert_int_equal(d->st.options_records, 2);
	assert_int_equal(sink.n, 6);
	/* sampler-scoped rates are not the exporter's; sampler 9 was never announced */
	static const uint32_t want[6] = {0, 0, 100, 1000, 0, 77};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ofd_ip_v4(&sink.got[i].src_addr), (uint32_t)i + 1);
		assert_int_equal(sink.got[i].sampling_rate, want[i]);
		assert_int_equal(!!(ofd_flow_has(&sink.got[i], OFD_F_SAMPLING_RATE)), want[i] != 0);
	}
	/* a later datagram from the same exporter keeps the rate */
	sink.n = 0;
	gv_v9_begin(&m, UPTIME, EXPORT_S, 2, 5);
	gv_set_begin(&m, 301);
	gv_record(&m, bysampler, 2, (const uint64_t[]){7, 2});
	len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(sink.got[0].sampling_rate, 1000);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Older Cisco form: SAMPLING_INTERVAL (34) and SAMPLING_ALGORITHM (35) in options data. */
static void test_options_sampling_interval(void **state)
{
	(void)state;
	static const struct gv_field scope[] = {{2, 2, 0}};
	static const struct gv_field opt[] = {{34, 4, 0}, {35, 1, 0}};
	static const struct gv_field plain[] = {{8, 4, 0}, {10, 2, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 1);
	gv_options_template(&m, 257, scope, 1, opt, 2);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, plain, 2);
	gv_set_begin(&m, 257);
	gv_uint(&m, 3, 2);
	gv_record(&m, opt, 2, (const uint64_t[]){64, 2});
	gv_set_end(&m, 1);
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 2, (const uint64_t[]){9, 3});
	gv_record(&m, plain, 2, (const uint64_t[]){10, 4});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 2);
	/* scoped by Interface 3: that interface's rate only */
	assert_int_equal(sink.got[0].sampling_rate, 64);
	assert_int_equal(sink.got[1].sampling_rate, 0);
	assert_int_equal(d->st.options_records, 1);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Template + 2 data flowsets (2 and 3 records); decode every prefix with a fresh decoder. */
static void test_truncations(void **state)
{
	(void)state;
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, gv_v4_fields, gv_v4_nfields);
	gv_set_begin(&m, 256);
	size_t end_t = m.set_off;
	for (uint32_t i = 0; i < 2; i++)
		gv_v4_record(&m, i);
	gv_set_begin(&m, 256);
	size_t end_1 = m.set_off;
	for (uint32_t i = 2; i < 5; i++)
		gv_v4_record(&m, i);
	size_t full = gv_end(&m);
	for (size_t len = 0; len <= full; len++) {
		struct ofd_decoder *d = new_decoder();
		int n = dec(d, &m, len);
		size_t boundary = len >= full ? full : len >= end_1 ? end_1 : len >= end_t ? end_t : 20;
		uint64_t drops = len < 20 || len - boundary >= 4;
		/* a cut data flowset keeps its whole records (counted as partial_set) */
		int partial = len >= end_t && len < full && len - boundary >= 4;
		int want = (len >= end_1 ? 2 : 0) + (len == full ? 3 : 0) +
			   (partial ? (int)((len - boundary - 4) / gv_rec_len(end_1, full)) : 0);
		assert_int_equal(sink.n, (unsigned)want);
		assert_int_equal(ofd_decode_drops_total(&d->st), drops);
		assert_int_equal(d->st.drops[OFD_DROP_PARTIAL_SET], partial);
		if (want)
			assert_int_equal(n, want);
		else if (drops)
			assert_true(n < 0);
		for (int i = 0; i < want; i++)
			assert_int_equal(ofd_ip_v4(&sink.got[i].src_addr), 0x0a000000u + (uint32_t)i);
		assert_int_equal(d->st.templates, len >= end_t ? 1 : 0);
		ofd_decoder_free(d);
	}
	gv_free(&m);
}

/* Lying flowset lengths end the datagram; records of earlier flowsets are kept. */
static void test_bad_lengths(void **state)
{
	(void)state;
	static const struct gv_field f1[] = {{8, 4, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, f1, 1);
	gv_set_begin(&m, 256);
	gv_ip4(&m, 1);
	gv_ip4(&m, 2);
	gv_set_begin(&m, 256);
	size_t lie = m.set_off;
	gv_ip4(&m, 3);
	size_t len = gv_end(&m);
	gen_put16(&m.g, lie + 2, 2); /* shorter than its header */
	assert_int_equal(dec(d, &m, len), 2);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_LENGTH], 1);
	gen_put16(&m.g, lie + 2, 12); /* past the datagram: its one whole record is kept */
	assert_int_equal(dec(d, &m, len), 3);
	assert_int_equal(d->st.drops[OFD_DROP_PARTIAL_SET], 1);
	assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 0);
	assert_int_equal(sink.n, 5);
	/* the header count is not trusted: 0 and 1000 both decode everything */
	gen_put16(&m.g, lie + 2, 8);
	gen_put16(&m.g, 2, 0);
	assert_int_equal(dec(d, &m, len), 3);
	gen_put16(&m.g, 2, 1000);
	assert_int_equal(dec(d, &m, len), 3);
	gv_free(&m);
	ofd_decoder_free(d);
}

static void test_bad_templates(void **state)
{
	(void)state;
	static const struct gv_field f1[] = {{8, 4, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	/* id below 256 */
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 255, f1, 1);
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 1);
	/* no fields (v9 has no withdrawal) */
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, f1, 0);
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 2);
	/* field count beyond the flowset */
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, f1, 1);
	gen_put16(&m.g, 20 + 6, 2);
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 3);
	/* options scope length not a multiple of 4 */
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 1);
	gv_options_template(&m, 256, f1, 1, f1, 1);
	gen_put16(&m.g, 20 + 6, 3);
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 4);
	/* records of zero length */
	static const struct gv_field empty[] = {{8, 0, 0}};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, empty, 1);
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 5);
	assert_int_equal(d->st.templates, 0);
	/* an address sent in the wrong size is not mapped, the fields after it still are */
	static const struct gv_field odd[] = {{8, 2, 0}, {7, 2, 0}};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, odd, 2);
	gv_set_begin(&m, 256);
	gv_record(&m, odd, 2, (const uint64_t[]){0x0102, 53});
	assert_int_equal(dec(d, &m, gv_end(&m)), 1);
	assert_int_equal(sink.got[0].src_port, 53);
	assert_false(ofd_flow_has(&sink.got[0], OFD_F_SRC_ADDR));
	/* nothing mapped at all (a plan of no steps): records still count, with header fields only
	 * (the export time stands for the flow's times) */
	static const struct gv_field none[] = {{998, 1, 0}, {999, 2, 0}};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 257, none, 2);
	gv_set_begin(&m, 257);
	gv_record(&m, none, 2, (const uint64_t[]){1, 2});
	gv_record(&m, none, 2, (const uint64_t[]){0, 3});
	assert_int_equal(dec(d, &m, gv_end(&m)), 2);
	assert_present(&sink.got[2].present, OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) |
						 OFD_W0(OFD_F_SEQUENCE_NUM) | OFD_W0(OFD_F_SAMPLER_ADDRESS) |
						 OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID) |
						 OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END));
	assert_int_equal(sink.got[2].time_flow_start_ns, EXPORT_S * 1000000000ull);
	assert_int_equal(sink.got[2].time_flow_end_ns, EXPORT_S * 1000000000ull);
	gv_free(&m);
	ofd_decoder_free(d);
}

/*
 * A data set of 5 records cut after 3.5 records by the end of the datagram (a small snaplen):
 * the 3 whole records are decoded and the set is counted once as partial_set.
 */
static void test_cut_set(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 7, 0);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, gv_v4_fields, gv_v4_nfields);
	gv_set_begin(&m, 256);
	size_t set = m.set_off;
	for (uint32_t i = 0; i < 5; i++)
		gv_v4_record(&m, i);
	size_t full = gv_end(&m);
	size_t rl = (full - set - 4) / 5;
	size_t cut = set + 4 + 3 * rl + rl / 2;
	assert_int_equal(dec(d, &m, cut), 3);
	assert_int_equal(sink.n, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(ofd_ip_v4(&sink.got[i].src_addr), 0x0a000000u + i);
	assert_int_equal(d->st.drops[OFD_DROP_PARTIAL_SET], 1);
	assert_int_equal(ofd_decode_drops_total(&d->st), 1);
	assert_string_equal(ofd_drop_name(OFD_DROP_PARTIAL_SET), "partial_set");
	/* the whole datagram afterwards: all 5, nothing more counted */
	sink.n = 0;
	assert_int_equal(dec(d, &m, full), 5);
	assert_int_equal(ofd_decode_drops_total(&d->st), 1);
	/* cut inside the flowset header: v9 has no message length, the 2 bytes are padding */
	sink.n = 0;
	assert_int_equal(dec(d, &m, set + 2), 0);
	assert_int_equal(sink.n, 0);
	assert_int_equal(ofd_decode_drops_total(&d->st), 1);
	gv_free(&m);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v4_fields),	      cmocka_unit_test(test_v6_fields),
	    cmocka_unit_test(test_icmp_and_post_mac), cmocka_unit_test(test_uptime_wrap),
	    cmocka_unit_test(test_options_sampling),  cmocka_unit_test(test_options_sampling_interval),
	    cmocka_unit_test(test_truncations),	      cmocka_unit_test(test_cut_set),
	    cmocka_unit_test(test_bad_lengths),	      cmocka_unit_test(test_bad_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
