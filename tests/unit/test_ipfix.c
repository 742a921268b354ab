/*
 * IPFIX: field forms (reduced size, time formats, enterprise and variable-length elements),
 * padding, options sampling and systemInitTime, message/set length lies, every truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u
#define NTP_OFF	 2208988800ull
#define S	 1000000000ull

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, const struct gv_msg *m, size_t len)
{
	return gv_decode(d, m->g.p, len, SRC4, 4739, RECV_NS, &sink);
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

static const struct gv_field fa[] = {{1, 2, 0},	  {2, 4, 0},   {6, 2, 0},   {8, 4, 0},	{12, 4, 0},
				     {15, 2, 0},  {7, 2, 0},   {11, 2, 0},  {4, 1, 0},	{150, 4, 0},
				     {151, 4, 0}, {138, 4, 0}, {243, 2, 0}, {60, 1, 0}, {192, 1, 0},
				     {70, 3, 0},  {128, 4, 0}, {89, 4, 0},  {59, 2, 0}};
#define NFA (sizeof(fa) / sizeof(fa[0]))
static const uint64_t va[NFA] = {
    1400,	   10,	0x0112, 0xc0000201, 0xc6336407, 0x0102,		5353,  53,   17, EXPORT_S - 100,
    EXPORT_S - 95, 123, 300,	4,	    64,		(100 << 4) | 1, 65001, 0x42, 301};

static const struct gv_field fms[] = {{152, 8, 0}, {153, 8, 0}};
static const struct gv_field fus[] = {{154, 8, 0}, {155, 8, 0}};
static const struct gv_field fns[] = {{156, 8, 0}, {157, 8, 0}};
static const struct gv_field fdelta[] = {{158, 4, 0}, {159, 4, 0}};
static const struct gv_field fup[] = {{160, 8, 0}, {22, 4, 0}, {21, 4, 0}};
static const struct gv_field fup2[] = {{22, 4, 0}, {21, 4, 0}};
static const struct gv_field ftot[] = {{85, 8, 0}, {86, 8, 0}, {4, 1, 0}, {32, 2, 0}, {12, 4, 0}};

static void test_fields(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 777, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, fa, NFA);
	gv_template(&m, 257, fms, 2);
	gv_template(&m, 258, fus, 2);
	gv_template(&m, 259, fns, 2);
	gv_template(&m, 260, fdelta, 2);
	gv_template(&m, 261, fup, 3);
	gv_template(&m, 262, fup2, 2);
	gv_template(&m, 263, ftot, 5);
	gv_set_begin(&m, 256);
	gv_record(&m, fa, NFA, va);
	gv_set_begin(&m, 257);
	gv_record(&m, fms, 2, (const uint64_t[]){1700000000123ull, 1700000000456ull});
	gv_set_begin(&m, 258);
	gv_record(&m, fus, 2,
		  (const uint64_t[]){(1700000000ull + NTP_OFF) << 32 | 0x80000000u, (1700000001ull + NTP_OFF)
											<< 32});
	gv_set_begin(&m, 259);
	gv_record(&m, fns, 2, (const uint64_t[]){(1700000002ull + NTP_OFF) << 32 | 0x40000000u, 5});
	gv_set_begin(&m, 260);
	gv_record(&m, fdelta, 2, (const uint64_t[]){2000000, 500});
	gv_set_begin(&m, 261);
	gv_record(&m, fup, 3, (const uint64_t[]){1699990000000ull, 1000, 5000});
	gv_set_begin(&m, 262);
	gv_record(&m, fup2, 2, (const uint64_t[]){1000, 5000});
	gv_set_begin(&m, 263);
	gv_record(&m, ftot, 5, (const uint64_t[]){5000, 50, 1, 0x0300, 0x08080808});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 8);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	assert_int_equal(d->st.templates, 8);

	const struct ofd_flow *f = &sink.got[0];
	assert_int_equal(f->type, OFD_FT_IPFIX);
	assert_int_equal(f->sequence_num, 777);
	assert_int_equal(f->observation_domain_id, 42);
	assert_int_equal(ofd_ip_v4(&f->sampler_address), SRC4);
	assert_int_equal(f->bytes, 1400);
	assert_int_equal(f->packets, 10);
	assert_int_equal(f->tcp_flags, 0x112); /* full width: NS kept */
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc6336407);
	assert_false(ofd_flow_has(f, OFD_F_NEXT_HOP)); /* 2-byte address: not mapped */
	assert_int_equal(f->src_port, 5353);
	assert_int_equal(f->dst_port, 53);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->time_flow_start_ns, (EXPORT_S - 100) * S);
	assert_int_equal(f->time_flow_end_ns, (EXPORT_S - 95) * S);
	assert_int_equal(f->observation_point_id, 123);
	assert_int_equal(f->vlan_id, 300);
	assert_int_equal(f->src_vlan, 300);
	assert_int_equal(f->dst_vlan, 301);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(f->ip_ttl, 64);
	assert_int_equal(f->mpls_label, 100);
	assert_int_equal(f->next_hop_as, 65001);
	assert_int_equal(f->forwarding_status, 0x42);
	assert_false(ofd_flow_has(f, OFD_F_SAMPLING_RATE));
	assert_false(ofd_flow_has(f, OFD_F_ICMP_TYPE));

	assert_int_equal(sink.got[1].time_flow_start_ns, 1700000000123000000ull);
	assert_int_equal(sink.got[1].time_flow_end_ns, 1700000000456000000ull);
	assert_int_equal(sink.got[2].time_flow_start_ns, 1700000000500000000ull);
	assert_int_equal(sink.got[2].time_flow_end_ns, 1700000001000000000ull);
	assert_int_equal(sink.got[3].time_flow_start_ns, 1700000002250000000ull);
	assert_int_equal(sink.got[3].time_flow_end_ns, 0); /* before 1970 */
	assert_int_equal(sink.got[4].time_flow_start_ns, (EXPORT_S - 2) * S);
	assert_int_equal(sink.got[4].time_flow_end_ns, EXPORT_S * S - 500000);
	assert_int_equal(sink.got[5].time_flow_start_ns, 1699990001000000000ull);
	assert_int_equal(sink.got[5].time_flow_end_ns, 1699990005000000000ull);
	/* uptime without systemInitTimeMilliseconds: not converted, the export time instead */
	assert_true(ofd_flow_has(&sink.got[6], OFD_F_TIME_FLOW_START));
	assert_int_equal(sink.got[6].time_flow_start_ns, EXPORT_S * S);
	assert_int_equal(sink.got[6].time_flow_end_ns, EXPORT_S * S);
	f = &sink.got[7];
	assert_int_equal(f->bytes, 5000);
	assert_int_equal(f->packets, 50);
	assert_int_equal(f->icmp_type, 3);
	assert_int_equal(f->icmp_code, 0);
	assert_int_equal(f->etype, 0x0800);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Enterprise and variable-length elements are skipped, mapped or not; padding at set ends. */
static void test_varlen_enterprise_padding(void **state)
{
	(void)state;
	static const struct gv_field fv[] = {
	    {8, 4, 0}, {100, 4, 9}, {82, GV_VARLEN, 0}, {200, GV_VARLEN, 29305},
	    {7, 2, 0}, {11, 2, 0},  {1, 4, 0},		{8, 4, 6871}};
	static const struct gv_field fe[] = {{1, 4, 9}, {8, 4, 0}, {0x7fff, 2, 0xffffffffu}, {12, 4, 0}};
	uint8_t big[300];
	for (int i = 0; i < 300; i++)
		big[i] = (uint8_t)i;
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 1);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, fv, 8);
	gv_template(&m, 257, fe, 4);
	gv_set_end(&m, 3);
	gv_set_begin(&m, 256);
	gv_ip4(&m, 0x0a000001);
	gv_uint(&m, 0xdeadbeef, 4);
	gv_varlen(&m, "eth0", 4);
	gv_varlen(&m, big, 300);
	gv_record(&m, fv + 4, 3, (const uint64_t[]){1000, 2000, 77});
	gv_ip4(&m, 0x0b000001);
	gv_ip4(&m, 0x0a000002);
	gv_uint(&m, 0, 4);
	gv_varlen(&m, "", 0);
	gv_varlen(&m, big, 3);
	gv_record(&m, fv + 4, 3, (const uint64_t[]){1, 2, 88});
	gv_ip4(&m, 0x0b000002);
	gv_set_end(&m, 3);
	gv_set_begin(&m, 257);
	gv_record(&m, fe, 4, (const uint64_t[]){99, 0x0a000003, 7, 0x0a000004});
	gv_set_end(&m, 11); /* less than one 14-byte record */
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 3);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	assert_int_equal(d->st.templates, 2);
	assert_int_equal(ofd_ip_v4(&sink.got[0].src_addr), 0x0a000001);
	assert_int_equal(sink.got[0].src_port, 1000);
	assert_int_equal(sink.got[0].dst_port, 2000);
	assert_int_equal(sink.got[0].bytes, 77);
	assert_int_equal(ofd_ip_v4(&sink.got[1].src_addr), 0x0a000002);
	assert_int_equal(sink.got[1].bytes, 88);
	assert_int_equal(ofd_ip_v4(&sink.got[2].src_addr), 0x0a000003);
	assert_int_equal(ofd_ip_v4(&sink.got[2].dst_addr), 0x0a000004);
	assert_false(ofd_flow_has(&sink.got[2], OFD_F_BYTES)); /* PEN 9 element 1 is not octets */
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Options data: samplingPacketInterval/Space, samplerId + samplingInterval, systemInitTime. */
static void test_options(void **state)
{
	(void)state;
	static const struct gv_field sc[] = {{149, 4, 0}};
	static const struct gv_field o1[] = {{305, 4, 0}, {306, 4, 0}, {160, 8, 0}};
	static const struct gv_field sc2[] = {{48, 2, 0}};
	static const struct gv_field o2[] = {{34, 4, 0}, {82, GV_VARLEN, 0}};
	static const struct gv_field plain[] = {{8, 4, 0}, {22, 4, 0}, {21, 4, 0}};
	static const struct gv_field sel[] = {{8, 4, 0}, {302, 4, 0}};
	static const struct gv_field own[] = {{8, 4, 0}, {34, 2, 0}, {48, 2, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, sc, 1, o1, 3);
	gv_options_template(&m, 401, sc2, 1, o2, 2);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, plain, 3);
	gv_template(&m, 257, sel, 2);
	gv_template(&m, 258, own, 3);
	gv_set_begin(&m, 256); /* before options data: no rate, uptime not convertible */
	gv_record(&m, plain, 3, (const uint64_t[]){1, 1000, 5000});
	gv_set_begin(&m, 401);
	gv_uint(&m, 7, 2);
	gv_uint(&m, 4096, 4);
	gv_varlen(&m, "sampler-7", 9);
	gv_set_begin(&m, 400);
	gv_record(&m, (const struct gv_field[]){{149, 4, 0}}, 1, (const uint64_t[]){3});
	gv_record(&m, o1, 3, (const uint64_t[]){1, 99, 1699990000000ull});
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 3, (const uint64_t[]){2, 1000, 5000});
	gv_set_begin(&m, 257);
	gv_record(&m, sel, 2, (const uint64_t[]){3, 7});
	gv_record(&m, sel, 2, (const uint64_t[]){4, 8});
	gv_set_begin(&m, 258);
	gv_record(&m, own, 3, (const uint64_t[]){5, 10, 7});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 5);
	assert_int_equal(d->st.options_templates, 2);
	assert_int_equal(d->st.options_records, 2);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	/* sampler 8 was never announced: no rate (test_sampling.c has the scope rules) */
	static const uint32_t want[5] = {0, 100, 4096, 0, 10};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(ofd_ip_v4(&sink.got[i].src_addr), i + 1);
		assert_int_equal(sink.got[i].sampling_rate, want[i]);
		assert_int_equal(!!(ofd_flow_has(&sink.got[i], OFD_F_SAMPLING_RATE)), want[i] != 0);
	}
	assert_int_equal(sink.got[0].time_flow_start_ns, EXPORT_S * S); /* no 160 yet: export time */
	assert_int_equal(sink.got[1].time_flow_start_ns, 1699990001000000000ull);
	assert_int_equal(sink.got[1].time_flow_end_ns, 1699990005000000000ull);
	/* the exporter's state lasts across messages */
	sink.n = 0;
	gv_ipfix_begin(&m, EXPORT_S, 2, 3);
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 3, (const uint64_t[]){9, 2000, 3000});
	len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(sink.got[0].sampling_rate, 100);
	assert_int_equal(sink.got[0].time_flow_start_ns, 1699990002000000000ull);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Template set, then data sets of 2 and 3 records; every prefix, header length as sent or cut. */
static void test_truncations(void **state)
{
	(void)state;
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 0);
	gv_set_begin(&m, 2);
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
	for (int patch = 0; patch < 2; patch++)
		for (size_t len = 0; len <= full; len++) {
			struct ofd_decoder *d = new_decoder();
			if (patch && len >= 4)
				gen_put16(&m.g, 2, (uint16_t)len);
			int n = dec(d, &m, len);
			gen_put16(&m.g, 2, (uint16_t)full);
			size_t boundary = len >= full	 ? full
					  : len >= end_1 ? end_1
					  : len >= end_t ? end_t
							 : 16;
			uint64_t drops = patch ? len != boundary : len != full;
			/* cut by the datagram (not by the header length): whole records kept */
			int partial = !patch && len >= end_t && len < full && len - boundary >= 4;
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

static void test_bad_lengths(void **state)
{
	(void)state;
	static const struct gv_field f1[] = {{8, 4, 0}};
	struct ofd_decoder *d = new_decoder();
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, f1, 1);
	gv_set_begin(&m, 256);
	gv_ip4(&m, 1);
	gv_set_begin(&m, 256);
	size_t lie = m.set_off;
	gv_ip4(&m, 2);
	size_t len = gv_end(&m);
	/* trailing bytes after the header length: counted, the message decodes */
	gen_bytes(&m.g, "\0\0\0\0\0", 5);
	assert_int_equal(dec(d, &m, len + 5), 2);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_LENGTH], 1);
	/* header length below the header */
	gen_put16(&m.g, 2, 15);
	assert_true(dec(d, &m, len) < 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_LENGTH], 2);
	gen_put16(&m.g, 2, (uint16_t)len);
	/* set length below 4, or past the message: earlier records kept */
	gen_put16(&m.g, lie + 2, 3);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_LENGTH], 3);
	gen_put16(&m.g, lie + 2, 9);
	assert_int_equal(dec(d, &m, len), 1);
	assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 1);
	assert_int_equal(sink.n, 4);
	/* malformed templates */
	gv_ipfix_begin(&m, EXPORT_S, 1, 0);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 300, f1, 0, f1, 1); /* scope count 0 */
	assert_int_equal(dec(d, &m, gv_end(&m)), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 1);
	gv_ipfix_begin(&m, EXPORT_S, 1, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, (const struct gv_field[]){{8, 4, 5}}, 1);
	len = gv_end(&m);
	assert_true(dec(d, &m, len - 2) < 0); /* PEN cut short: message and set lengths say so */
	assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 2);
	gen_put16(&m.g, 2, (uint16_t)(len - 2));
	gen_put16(&m.g, 18, (uint16_t)(len - 18));
	assert_int_equal(dec(d, &m, len - 2), 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_TEMPLATE], 2);
	assert_int_equal(d->st.templates, 3); /* the first message, decoded 3 times */
	gv_free(&m);
	ofd_decoder_free(d);
}

/* flowDirection and the VRF ids land in the enriched fields flowfilter matches on. */
static void test_direction_vrf(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder();
	static const struct gv_field fd[] = {{8, 4, 0}, {61, 1, 0}, {234, 4, 0}, {235, 4, 0}};
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, fd, 4);
	gv_set_begin(&m, 300);
	gv_record(&m, fd, 4, (const uint64_t[]){0xc0000201, 1, 7, 9});
	gv_record(&m, fd, 4, (const uint64_t[]){0xc0000202, 0, 0, 65536});
	size_t len = gv_end(&m);
	assert_int_equal(dec(d, &m, len), 2);
	assert_int_equal(sink.got[0].flow_direction, OFD_DIR_EGRESS);
	assert_int_equal(sink.got[0].src_vrf, 7);
	assert_int_equal(sink.got[0].dst_vrf, 9);
	assert_true(ofd_flow_has(&sink.got[0], OFD_F_FLOW_DIRECTION));
	assert_true(ofd_flow_has(&sink.got[0], OFD_F_SRC_VRF));
	assert_int_equal(sink.got[1].flow_direction, OFD_DIR_INGRESS);
	assert_int_equal(sink.got[1].dst_vrf, 65536);
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
	gv_ipfix_begin(&m, EXPORT_S, 7, 0);
	gv_set_begin(&m, 2);
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
	/* cut inside the set header: the set is gone, counted as truncated */
	sink.n = 0;
	assert_true(dec(d, &m, set + 2) < 0);
	assert_int_equal(sink.n, 0);
	assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 1);
	gv_free(&m);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_direction_vrf),
	    cmocka_unit_test(test_varlen_enterprise_padding),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_cut_set),
	    cmocka_unit_test(test_bad_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
