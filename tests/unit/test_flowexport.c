/*
 * The IPFIX / NetFlow v9 encoder (format/flowexport.h) checked against our own decoder: concrete
 * IPv4 and IPv6 records (with and without MACs) encoded, the bytes decoded, every exported field
 * equal; the header's sequence numbers; templates only where asked; no message above the mtu;
 * the options record's sampling rate and system init time; v9 uptime origins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "format/flowexport.h"
#include "gen_v9ipfix.h"
#include "ofd/rd.h"

#define MS	  1000000ull
#define EXPORT_MS 1700000100000ull
#define INIT_MS	  1699990000000ull
#define RECV_NS	  (EXPORT_MS * MS + 5)

static struct gv_sink sink;

/* A record with every exported field set; v6: IPv6 addresses; mac: MACs. */
static void make(struct ofd_flow *f, int v6, int mac, unsigned i)
{
	memset(f, 0, sizeof(*f));
	if (v6) {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)i};
		ofd_ip_set6(&f->src_addr, a);
		a[15] = 0xfe;
		ofd_ip_set6(&f->dst_addr, a);
		a[15] = 1, a[14] = 1;
		ofd_ip_set6(&f->next_hop, a);
		a[14] = 2;
		ofd_ip_set6(&f->bgp_next_hop, a);
		f->src_net = 48, f->dst_net = 64;
	} else {
		ofd_ip_set4u(&f->src_addr, 0xc0000200u + i);
		ofd_ip_set4u(&f->dst_addr, 0xc6336407u);
		ofd_ip_set4u(&f->next_hop, 0xcb007101u);
		ofd_ip_set4u(&f->bgp_next_hop, 0xcb007102u);
		f->src_net = 24, f->dst_net = 16;
	}
	if (mac) {
		f->src_mac = 0x0a0b0c0d0e0full;
		f->dst_mac = 0x112233445566ull + i;
	}
	f->proto = i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : (v6 ? 58 : 1);
	f->src_port = f->proto == 6 || f->proto == 17 ? (uint16_t)(1024 + i) : 0;
	f->dst_port = f->proto == 6 || f->proto == 17 ? 443 : (uint16_t)(3 << 8 | 1);
	if (f->proto == 1 || f->proto == 58)
		f->icmp_type = 3, f->icmp_code = 1;
	f->ip_tos = 0x28;
	f->tcp_flags = f->proto == 6 ? 0x1b : 0;
	f->bytes = 1500ull * (i + 1) + (1ull << 33);
	f->packets = i + 1;
	f->time_flow_start_ns = (EXPORT_MS - 30000 - i) * MS;
	f->time_flow_end_ns = (EXPORT_MS - 1000 + i) * MS;
	f->in_if = 10 + i, f->out_if = 20;
	f->src_as = 64500, f->dst_as = 4200000000u;
	f->src_vlan = f->vlan_id = 100, f->dst_vlan = 200;
	f->sampling_rate = 1 + i % 2 * 99;
	f->forwarding_status = 0x40;
	f->flow_direction = (uint8_t)(i & 1);
	f->time_received_ns = RECV_NS;
}

/* Every exported field of got equals want's (times to the millisecond). */
static void same(const struct ofd_flow *got, const struct ofd_flow *want, int v9)
{
	assert_memory_equal(&got->src_addr, &want->src_addr, sizeof(want->src_addr));
	assert_memory_equal(&got->dst_addr, &want->dst_addr, sizeof(want->dst_addr));
	assert_memory_equal(&got->next_hop, &want->next_hop, sizeof(want->next_hop));
	assert_memory_equal(&got->bgp_next_hop, &want->bgp_next_hop, sizeof(want->bgp_next_hop));
	assert_int_equal(got->src_net, want->src_net);
	assert_int_equal(got->dst_net, want->dst_net);
	assert_int_equal(got->src_mac, want->src_mac);
	assert_int_equal(got->dst_mac, want->dst_mac);
	assert_int_equal(got->proto, want->proto);
	assert_int_equal(got->src_port, want->src_port);
	assert_int_equal(got->dst_port, want->dst_port);
	assert_int_equal(got->icmp_type, want->icmp_type);
	assert_int_equal(got->icmp_code, want->icmp_code);
	assert_int_equal(got->ip_tos, want->ip_tos);
	assert_int_equal(got->tcp_flags, want->tcp_flags & (v9 ? 0xff : 0xfff));
	assert_int_equal(got->bytes, want->bytes);
	assert_int_equal(got->packets, want->packets);
	assert_int_equal(got->time_flow_start_ns, want->time_flow_start_ns / MS * MS);
	assert_int_equal(got->time_flow_end_ns, want->time_flow_end_ns / MS * MS);
	assert_int_equal(got->in_if, want->in_if);
	assert_int_equal(got->out_if, want->out_if);
	assert_int_equal(got->src_as, want->src_as);
	assert_int_equal(got->dst_as, want->dst_as);
	assert_int_equal(got->src_vlan, want->src_vlan);
	assert_int_equal(got->vlan_id, want->vlan_id);
	assert_int_equal(got->dst_vlan, want->dst_vlan);
	assert_int_equal(got->sampling_rate, want->sampling_rate);
	assert_int_equal(got->forwarding_status, want->forwarding_status);
	assert_int_equal(got->flow_direction, want->flow_direction);
	assert_int_equal(got->etype, want->src_addr.family == OFD_AF_INET6 ? 0x86dd : 0x0800);
	assert_int_equal(got->type, v9 ? OFD_FT_NETFLOW_V9 : OFD_FT_IPFIX);
}

/* Encode n records made by make() (kinds cycling v4, v6, v4+MAC, v6+MAC) into messages of mtu
   bytes, decode each, compare; returns the number of messages. */
static unsigned round_trip(int version, uint32_t mtu, unsigned n, unsigned *tmpl_msgs)
{
	struct ofd_fx x;
	assert_int_equal(ofd_fx_init(&x, version, NULL, 77, mtu, 100, INIT_MS), 0);
	struct ofd_decoder *d = gv_decoder_new(&sink);
	uint8_t *buf = malloc(mtu);
	assert_non_null(buf);
	struct ofd_flow *want = calloc(n, sizeof(*want));
	assert_non_null(want);
	unsigned msgs = 0, next = 0, first = 0;
	uint32_t expect_seq = 0;
	*tmpl_msgs = 0;
	while (next < n) {
		int tmpl = msgs % 3 == 0;		      /* templates in every third message */
		ofd_fx_begin(&x, buf, EXPORT_MS - 600, tmpl); /* rounded up */
		*tmpl_msgs += (unsigned)tmpl;
		while (next < n) {
			make(&want[next], next & 1, next >> 1 & 1, next);
			assert_true(ofd_fx_clock_ok(&x, &want[next], EXPORT_MS));
			if (!ofd_fx_add(&x, &want[next]))
				break;
			next++;
		}
		uint32_t recs = x.records;
		assert_true(recs > 0); /* a message with the templates holds a record too */
		size_t len = ofd_fx_end(&x);
		assert_true(len > 0 && len <= mtu);
		/* the header: version, length/count, export time, sequence number, domain */
		assert_int_equal(ofd_be16(buf), version);
		assert_int_equal(ofd_be32(buf + (version == 9 ? 8 : 4)), EXPORT_MS / 1000);
		assert_int_equal(ofd_be32(buf + (version == 9 ? 12 : 8)), expect_seq);
		assert_int_equal(ofd_be32(buf + (version == 9 ? 16 : 12)), 77);
		if (version == 9) {
			assert_int_equal(ofd_be32(buf + 4), EXPORT_MS - INIT_MS);
			assert_int_equal(ofd_be16(buf + 2), recs + (tmpl ? 6 : 0)); /* 4 templates, options */
		} else {
			assert_int_equal(ofd_be16(buf + 2), len);
		}
		expect_seq += version == 9 ? 1 : recs;
		sink.n = 0;
		int got = gv_decode(d, buf, len, 0x7f000001u, 4739, RECV_NS, &sink);
		assert_int_equal(got, (int)recs);
		assert_int_equal(sink.n, recs);
		assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
		for (unsigned i = 0; i < recs; i++) {
			same(&sink.got[i], &want[first + i], version == 9);
			assert_int_equal(sink.got[i].sequence_num, expect_seq - (version == 9 ? 1 : recs));
			assert_int_equal(sink.got[i].observation_domain_id, 77);
		}
		first = next;
		msgs++;
	}
	/* the options record: rate 100 learnt; 4 data templates and 1 options template per refresh */
	assert_int_equal(d->st.options_records, *tmpl_msgs);
	assert_int_equal(d->st.templates, 4u * *tmpl_msgs);
	assert_int_equal(d->st.options_templates, *tmpl_msgs);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	ofd_decoder_free(d);
	free(want);
	free(buf);
	return msgs;
}

static void test_ipfix_round_trip(void **state)
{
	(void)state;
	unsigned t;
	unsigned m = round_trip(OFD_FX_IPFIX, 1400, 1000, &t);
	assert_true(m >= 1000 * 86 / 1400); /* 86 to 146 bytes a record */
	assert_int_equal(t, (m + 2) / 3);
}

static void test_v9_round_trip(void **state)
{
	(void)state;
	unsigned t;
	unsigned m = round_trip(OFD_FX_V9, 1400, 1000, &t);
	assert_true(m >= 1000 * 70 / 1400);
	assert_int_equal(t, (m + 2) / 3);
}

/* The smallest mtu: still one record at least per message and none above it. */
static void test_mtu_split(void **state)
{
	(void)state;
	unsigned t;
	struct ofd_fx x;
	/* the least mtu holds the templates, the options and the longest record (IPv6 with MACs) */
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, NULL, 0, 1400, 0, 0), 0);
	uint32_t need4 = x.mtu_need;
	assert_int_equal(ofd_fx_init(&x, OFD_FX_V9, NULL, 0, 1400, 0, 0), 0);
	uint32_t need9 = x.mtu_need;
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, NULL, 0, need4 - 1, 0, 0), OFD_ELIMIT);
	assert_int_equal(ofd_fx_init(&x, OFD_FX_V9, NULL, 0, need9 - 1, 0, 0), OFD_ELIMIT);
	assert_true(round_trip(OFD_FX_IPFIX, need4, 300, &t) > 300 * 86 / need4);
	assert_true(round_trip(OFD_FX_V9, need9, 300, &t) > 300 * 70 / need9);
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, NULL, 0, OFD_FX_MTU_MIN - 1, 0, 0), OFD_ECONFIG);
}

/* The options record alone: IPFIX sampling rate and systemInitTimeMilliseconds are learnt, and a
   data record without a sampling element then gets the exporter's rate and uptime times. */
static void test_options_record(void **state)
{
	(void)state;
	struct ofd_fx x;
	uint8_t buf[1400];
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, NULL, 5, 1400, 250, INIT_MS), 0);
	size_t len = ofd_fx_template_msg(&x, buf, EXPORT_MS);
	assert_int_equal(x.seq_records, 0);
	struct ofd_decoder *d = gv_decoder_new(&sink);
	assert_int_equal(gv_decode(d, buf, len, 0x7f000001u, 4739, RECV_NS, &sink), 0);
	assert_int_equal(d->st.options_records, 1);
	/* the options data set: template 260, domain 5, rate 250, algorithm 1, init time */
	const uint8_t *o = buf + len - 21;
	assert_int_equal(ofd_be16(o), OFD_FX_TMPL_OPTIONS);
	assert_int_equal(ofd_be16(o + 2), 21);
	assert_int_equal(ofd_be32(o + 4), 5);
	assert_int_equal(ofd_be32(o + 8), 250);
	assert_int_equal(o[12], 1);
	assert_int_equal(ofd_be64(o + 13), INIT_MS);
	/* a hand-made data set of a template with uptime times and no sampling element */
	static const uint8_t m[] = {
	    0, 10, 0, 52, 0, 0,	 0, 0, 0, 0, 0,	   0,	 0, 0,	0,    5,		 /* header */
	    0, 2,  0, 20, 1, 44, 0, 3, 0, 8, 0,	   4,	 0, 22, 0,    4,    0, 21, 0, 4, /* template 300 */
	    1, 44, 0, 16, 1, 2,	 3, 4, 0, 0, 0x27, 0x10, 0, 0,	0x4e, 0x20,		 /* its record */
	};
	uint8_t msg[sizeof(m)];
	memcpy(msg, m, sizeof(m));
	msg[4] = (uint8_t)(EXPORT_MS / 1000 >> 24), msg[5] = (uint8_t)(EXPORT_MS / 1000 >> 16);
	msg[6] = (uint8_t)(EXPORT_MS / 1000 >> 8), msg[7] = (uint8_t)(EXPORT_MS / 1000);
	sink.n = 0;
	assert_int_equal(gv_decode(d, msg, sizeof(msg), 0x7f000001u, 4739, RECV_NS, &sink), 1);
	assert_int_equal(sink.got[0].sampling_rate, 250);
	assert_int_equal(sink.got[0].time_flow_start_ns, (INIT_MS + 10000) * MS);
	assert_int_equal(sink.got[0].time_flow_end_ns, (INIT_MS + 20000) * MS);
	ofd_decoder_free(d);
}

/* v9: a record older than the uptime origin needs a new one; it then decodes exactly. */
static void test_v9_rebase(void **state)
{
	(void)state;
	struct ofd_fx x;
	uint8_t buf[1400];
	struct ofd_flow f;
	assert_int_equal(ofd_fx_init(&x, OFD_FX_V9, NULL, 1, 1400, 0, EXPORT_MS), 0);
	make(&f, 0, 0, 3);
	uint64_t old = 1185554955571ull; /* 2007: a replayed capture */
	f.time_flow_start_ns = old * MS + 123;
	f.time_flow_end_ns = (old + 256000) * MS;
	assert_false(ofd_fx_clock_ok(&x, &f, old + 300000));
	ofd_fx_rebase(&x, &f, old + 300000);
	assert_int_equal(x.boot_ms, old - OFD_FX_UPTIME_PAD);
	assert_true(ofd_fx_clock_ok(&x, &f, old + 300000));
	ofd_fx_begin(&x, buf, old + 300000, 1);
	assert_int_equal(ofd_fx_add(&x, &f), 1);
	size_t len = ofd_fx_end(&x);
	struct ofd_decoder *d = gv_decoder_new(&sink);
	assert_int_equal(gv_decode(d, buf, len, 0x7f000001u, 2055, RECV_NS, &sink), 1);
	same(&sink.got[0], &f, 1);
	ofd_decoder_free(d);
	/* times 2^32 ms apart fit no origin: written modulo 2^32, no rebase asked */
	f.time_flow_start_ns = 1000 * MS;
	assert_true(ofd_fx_clock_ok(&x, &f, old + 300000));
}

/* `fields` restricts the templates: only addresses and counters. */
static void test_fields(void **state)
{
	(void)state;
	struct ofd_fieldset fs = {0};
	ofd_fieldset_set(&fs, OFD_F_SRC_ADDR);
	ofd_fieldset_set(&fs, OFD_F_DST_ADDR);
	ofd_fieldset_set(&fs, OFD_F_BYTES);
	ofd_fieldset_set(&fs, OFD_F_PACKETS);
	struct ofd_fx x;
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, &fs, 0, 1400, 0, INIT_MS), 0);
	assert_int_equal(x.mac, 0);
	assert_int_equal(x.t[0].nsteps, 4);
	assert_int_equal(x.t[0].rec_len, 4 + 4 + 8 + 8);
	assert_int_equal(x.t[1].rec_len, 16 + 16 + 8 + 8);
	struct ofd_fieldset none = {0};
	ofd_fieldset_set(&none, OFD_F_AS_PATH);
	assert_int_equal(ofd_fx_init(&x, OFD_FX_IPFIX, &none, 0, 1400, 0, INIT_MS), OFD_ECONFIG);
}

/* The straight-line writer (no `fields`) and the step loop (`fields` naming every field) write the
   same bytes. */
static void test_fast_path_same(void **state)
{
	(void)state;
	struct ofd_fieldset all = ofd_fieldset_stored();
	for (int v = 9; v <= 10; v++) {
		struct ofd_fx a, b;
		uint8_t ba[1400], bb[1400];
		assert_int_equal(ofd_fx_init(&a, v, NULL, 3, 1400, 7, INIT_MS), 0);
		assert_int_equal(ofd_fx_init(&b, v, &all, 3, 1400, 7, INIT_MS), 0);
		assert_int_equal(a.full, 1);
		assert_int_equal(b.full, 0);
		for (unsigned i = 0; i < 64; i += 4) {
			ofd_fx_begin(&a, ba, EXPORT_MS, i == 0);
			ofd_fx_begin(&b, bb, EXPORT_MS, i == 0);
			for (unsigned k = i; k < i + 4; k++) {
				struct ofd_flow f;
				make(&f, k & 1, k >> 1 & 1, k);
				assert_int_equal(ofd_fx_add(&a, &f), 1);
				assert_int_equal(ofd_fx_add(&b, &f), 1);
			}
			size_t la = ofd_fx_end(&a), lb = ofd_fx_end(&b);
			assert_int_equal(la, lb);
			assert_memory_equal(ba, bb, la);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipfix_round_trip), cmocka_unit_test(test_v9_round_trip),
	    cmocka_unit_test(test_mtu_split),	     cmocka_unit_test(test_options_record),
	    cmocka_unit_test(test_v9_rebase),	     cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_fast_path_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
