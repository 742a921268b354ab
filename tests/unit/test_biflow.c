/*
 * RFC 5103 biflows (issue 12, defect 8): an IPFIX record with reverse elements (enterprise
 * 29305) decodes as a forward record, exactly as without them, and a reverse record with the key
 * swapped and the reverse elements' values, when its octet or packet count is not zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/ie.h"
#include "decode/template.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u
#define MS	 1000000ull
#define REV	 29305

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, struct gv_msg *m)
{
	return gv_decode_msg(d, m, SRC4, 4739, RECV_NS, &sink);
}

/* The forward fields of the biflow template, and their values in the first record. */
static const struct gv_field fwd_f[] = {
    {8, 4, 0},	 /* sourceIPv4Address */
    {12, 4, 0},	 /* destinationIPv4Address */
    {7, 2, 0},	 /* sourceTransportPort */
    {11, 2, 0},	 /* destinationTransportPort */
    {4, 1, 0},	 /* protocolIdentifier */
    {5, 1, 0},	 /* ipClassOfService */
    {1, 8, 0},	 /* octetDeltaCount */
    {2, 8, 0},	 /* packetDeltaCount */
    {152, 8, 0}, /* flowStartMilliseconds */
    {153, 8, 0}, /* flowEndMilliseconds */
    {6, 1, 0},	 /* tcpControlBits */
    {192, 1, 0}, /* ipTTL */
    {10, 4, 0},	 /* ingressInterface */
    {14, 4, 0},	 /* egressInterface */
    {56, 6, 0},	 /* sourceMacAddress */
    {80, 6, 0},	 /* destinationMacAddress */
    {58, 2, 0},	 /* vlanId */
    {59, 2, 0},	 /* postVlanId */
    {16, 4, 0},	 /* bgpSourceAsNumber */
    {17, 4, 0},	 /* bgpDestinationAsNumber */
    {9, 1, 0},	 /* sourceIPv4PrefixLength */
    {13, 1, 0},	 /* destinationIPv4PrefixLength */
    {15, 4, 0},	 /* ipNextHopIPv4Address */
};
#define NFWD (sizeof(fwd_f) / sizeof(fwd_f[0]))

static const uint64_t fwd_v[NFWD] = {0x0a000001,
				     0x0a000002,
				     40000,
				     443,
				     6,
				     0x28,
				     1500,
				     10,
				     1700000000000ull,
				     1700000050000ull,
				     0x1b,
				     64,
				     3,
				     7,
				     0x0000000a0b01ull,
				     0x0000000a0b02ull,
				     100,
				     200,
				     64500,
				     64501,
				     24,
				     16,
				     0x0a0000fe};

/* The reverse elements (and biflowDirection) after them. */
static const struct gv_field rev_f[] = {
    {239, 1, 0},   /* biflowDirection */
    {1, 8, REV},   /* reverseOctetDeltaCount */
    {2, 8, REV},   /* reversePacketDeltaCount */
    {152, 8, REV}, /* reverseFlowStartMilliseconds */
    {153, 8, REV}, /* reverseFlowEndMilliseconds */
    {6, 1, REV},   /* reverseTcpControlBits */
    {192, 1, REV}, /* reverseIpTTL */
    {5, 1, REV},   /* reverseIpClassOfService */
    {10, 4, REV},  /* reverseIngressInterface: the key's, not a reverse value: ignored */
};
#define NREV (sizeof(rev_f) / sizeof(rev_f[0]))

static struct gv_field bi_f[NFWD + NREV];

static void bi_template(struct gv_msg *m, uint16_t tid)
{
	memcpy(bi_f, fwd_f, sizeof(fwd_f));
	memcpy(bi_f + NFWD, rev_f, sizeof(rev_f));
	gv_set_begin(m, 2);
	gv_template(m, tid, bi_f, NFWD + NREV);
}

/* One biflow record: the forward values, then direction, reverse bytes and packets, ... */
static void bi_record(struct gv_msg *m, uint64_t dir, uint64_t rbytes, uint64_t rpkts)
{
	uint64_t v[NFWD + NREV];
	memcpy(v, fwd_v, sizeof(fwd_v));
	const uint64_t r[NREV] = {dir, rbytes, rpkts, 1700000000200ull, 1700000049000ull, 0x12, 57, 0x2e, 99};
	memcpy(v + NFWD, r, sizeof(r));
	gv_record(m, bi_f, NFWD + NREV, v);
}

/* A record as the decoder built it, without what depends on the datagram's length. */
static struct ofd_flow plain(const struct ofd_flow *f)
{
	struct ofd_flow c = *f;
	c.export_bytes = 0;
	return c;
}

static void test_two_records(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	bi_template(&m, 300);
	gv_set_begin(&m, 300);
	bi_record(&m, 1, 90000, 60);
	bi_record(&m, 2, 0, 0); /* nothing came back: no reverse record */
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.n, 3);
	const struct ofd_flow *f = &sink.got[0], *r = &sink.got[1], *f2 = &sink.got[2];

	/* forward: as sent, reverse elements ignored */
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0x0a000001);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0x0a000002);
	assert_int_equal(f->src_port, 40000);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->bytes, 1500);
	assert_int_equal(f->packets, 10);
	assert_int_equal(f->tcp_flags, 0x1b);
	assert_int_equal(f->ip_ttl, 64);
	assert_int_equal(f->ip_tos, 0x28);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 7);
	assert_int_equal(f->time_flow_start_ns, 1700000000000ull * MS);
	assert_int_equal(f->time_flow_end_ns, 1700000050000ull * MS);
	assert_true(ofd_flow_has(f, OFD_F_BI_FLOW_DIRECTION));
	assert_int_equal(f->bi_flow_direction, 1);

	/* reverse: the key swapped */
	assert_int_equal(r->type, OFD_FT_IPFIX);
	assert_int_equal(ofd_ip_v4(&r->src_addr), 0x0a000002);
	assert_int_equal(ofd_ip_v4(&r->dst_addr), 0x0a000001);
	assert_int_equal(r->src_port, 443);
	assert_int_equal(r->dst_port, 40000);
	assert_int_equal(r->in_if, 7);
	assert_int_equal(r->out_if, 3);
	assert_int_equal(r->src_mac, 0x0a0b02);
	assert_int_equal(r->dst_mac, 0x0a0b01);
	assert_int_equal(r->src_vlan, 200);
	assert_int_equal(r->dst_vlan, 100);
	assert_int_equal(r->src_as, 64501);
	assert_int_equal(r->dst_as, 64500);
	assert_int_equal(r->src_net, 16);
	assert_int_equal(r->dst_net, 24);
	assert_int_equal(ofd_ip_v4(&r->next_hop), 0x0a0000fe); /* stays */
	/* ... its own counters, times, flags, TTL and TOS; the forward protocol */
	assert_int_equal(r->bytes, 90000);
	assert_int_equal(r->packets, 60);
	assert_int_equal(r->time_flow_start_ns, 1700000000200ull * MS);
	assert_int_equal(r->time_flow_end_ns, 1700000049000ull * MS);
	assert_int_equal(r->tcp_flags, 0x12);
	assert_int_equal(r->ip_ttl, 57);
	assert_int_equal(r->ip_tos, 0x2e);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->etype, 0x0800);
	assert_int_equal(r->bi_flow_direction, 2); /* initiator is now the destination */
	assert_int_equal(r->sequence_num, 1);
	assert_int_equal(r->observation_domain_id, 7);
	assert_int_equal(ofd_ip_v4(&r->sampler_address), SRC4);
	assert_int_equal(r->time_received_ns, RECV_NS);
	static const unsigned set[] = {
	    OFD_F_SRC_ADDR,	 OFD_F_DST_ADDR,
	    OFD_F_SRC_PORT,	 OFD_F_DST_PORT,
	    OFD_F_IN_IF,	 OFD_F_OUT_IF,
	    OFD_F_SRC_MAC,	 OFD_F_DST_MAC,
	    OFD_F_SRC_VLAN,	 OFD_F_DST_VLAN,
	    OFD_F_SRC_AS,	 OFD_F_DST_AS,
	    OFD_F_SRC_NET,	 OFD_F_DST_NET,
	    OFD_F_NEXT_HOP,	 OFD_F_BYTES,
	    OFD_F_PACKETS,	 OFD_F_TIME_FLOW_START,
	    OFD_F_TIME_FLOW_END, OFD_F_TCP_FLAGS,
	    OFD_F_IP_TTL,	 OFD_F_IP_TOS,
	    OFD_F_PROTO,	 OFD_F_ETYPE,
	    OFD_F_TYPE,		 OFD_F_BI_FLOW_DIRECTION,
	    OFD_F_SEQUENCE_NUM,	 OFD_F_TIME_RECEIVED,
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		assert_true(ofd_flow_has(r, set[i]));
	assert_false(ofd_flow_has(r, OFD_F_SAMPLING_RATE));
	assert_false(ofd_flow_has(r, OFD_F_ICMP_TYPE));

	/* the second record had nothing in reverse: forward only */
	assert_int_equal(f2->bytes, 1500);
	assert_int_equal(ofd_ip_v4(&f2->src_addr), 0x0a000001);
	assert_int_equal(f2->bi_flow_direction, 2);
	ofd_decoder_free(d);
}

/* The forward record of a biflow template is the record of its forward fields alone. */
static void test_forward_as_uniflow(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	bi_template(&m, 300);
	gv_template(&m, 301, fwd_f, NFWD);
	gv_set_begin(&m, 300);
	bi_record(&m, 0, 5, 1);
	gv_set_begin(&m, 301);
	gv_record(&m, fwd_f, NFWD, fwd_v);
	assert_int_equal(dec(d, &m), 3);
	struct ofd_flow a = plain(&sink.got[0]), b = plain(&sink.got[2]);
	assert_int_equal(a.bi_flow_direction, 0); /* arbitrary, stated */
	assert_true(ofd_flow_has(&a, OFD_F_BI_FLOW_DIRECTION));
	ofd_flow_clear(&a, OFD_F_BI_FLOW_DIRECTION);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(sink.got[1].bytes, 5);
	assert_int_equal(sink.got[1].packets, 1);
	assert_int_equal(sink.got[1].bi_flow_direction, 0);
	ofd_decoder_free(d);
}

/* Reverse elements without a reverse count (flags only): no second record, ever. */
static void test_no_reverse_counts(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}, {2, 4, 0}, {6, 1, REV}, {239, 1, 0}};
	const uint64_t v[] = {0x0a000001, 0x0a000002, 100, 1, 0x12, 3};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 6);
	gv_set_begin(&m, 300);
	gv_record(&m, f, 6, v);
	assert_int_equal(dec(d, &m), 1);
	assert_int_equal(sink.got[0].bytes, 100);
	assert_int_equal(sink.got[0].tcp_flags, 0); /* the reverse flags are not the forward's */
	assert_false(ofd_flow_has(&sink.got[0], OFD_F_BI_FLOW_DIRECTION)); /* a uniflow template */
	ofd_decoder_free(d);
}

/*
 * Variable-length fields before biflowDirection and the reverse elements; the reverse record
 * without reverse times or TTL takes the forward times and has no TTL; perimeter (3) has no
 * reverse value; reverseOctetTotalCount stands in for a missing reverseOctetDeltaCount.
 */
static void test_varlen_and_defaults(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0},	  {12, 4, 0},	{96, GV_VARLEN, 0}, {1, 8, 0},
				     {2, 8, 0},	  {152, 8, 0},	{153, 8, 0},	    {192, 1, 0},
				     {239, 1, 0}, {85, 8, REV}, {2, 4, REV},	    {17, 4, REV}};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 12);
	gv_set_begin(&m, 300);
	gv_ip4(&m, 0x0a000001);
	gv_ip4(&m, 0x0a000002);
	gv_varlen(&m, "https", 5);
	gv_uint(&m, 700, 8);
	gv_uint(&m, 7, 8);
	gv_uint(&m, 1700000000000ull, 8);
	gv_uint(&m, 1700000001000ull, 8);
	gv_uint(&m, 63, 1);
	gv_uint(&m, 3, 1);
	gv_uint(&m, 4242, 8);
	gv_uint(&m, 0, 4); /* no reverse packets, but octets: a reverse record */
	gv_uint(&m, 65000, 4);
	m.count++;
	assert_int_equal(dec(d, &m), 2);
	const struct ofd_flow *fw = &sink.got[0], *r = &sink.got[1];
	assert_int_equal(fw->bi_flow_direction, 3);
	assert_int_equal(fw->ip_ttl, 63);
	assert_int_equal(r->bytes, 4242);
	assert_int_equal(r->packets, 0);
	assert_true(ofd_flow_has(r, OFD_F_PACKETS));
	assert_int_equal(ofd_ip_v4(&r->src_addr), 0x0a000002);
	assert_int_equal(r->time_flow_start_ns, 1700000000000ull * MS);
	assert_int_equal(r->time_flow_end_ns, 1700000001000ull * MS);
	assert_false(ofd_flow_has(r, OFD_F_IP_TTL));
	assert_int_equal(r->ip_ttl, 0);
	assert_false(ofd_flow_has(r, OFD_F_BI_FLOW_DIRECTION));
	assert_false(ofd_flow_has(r, OFD_F_DST_AS)); /* a reverse key element is not a value */
	ofd_decoder_free(d);
}

/* Reverse uptimes resolve through the record's own systemInitTimeMilliseconds. */
static void test_reverse_uptimes(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0},	  {12, 4, 0},	{1, 4, 0},   {2, 4, 0},
				     {160, 8, 0}, {22, 4, 0},	{21, 4, 0},  {1, 4, REV},
				     {2, 4, REV}, {22, 4, REV}, {21, 4, REV}};
	uint64_t init_ms = (uint64_t)EXPORT_S * 1000 - 3600000; /* up one hour at the export */
	const uint64_t v[] = {0x0a000001, 0x0a000002, 100, 1,	    init_ms, 3500000,
			      3590000,	  200,	      2,   3500500, 3599000};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 11);
	gv_set_begin(&m, 300);
	gv_record(&m, f, 11, v);
	assert_int_equal(dec(d, &m), 2);
	uint64_t init_ns = init_ms * MS;
	assert_int_equal(sink.got[0].time_flow_start_ns, init_ns + 3500000 * MS);
	assert_int_equal(sink.got[0].time_flow_end_ns, init_ns + 3590000 * MS);
	assert_int_equal(sink.got[1].time_flow_start_ns, init_ns + 3500500 * MS);
	assert_int_equal(sink.got[1].time_flow_end_ns, init_ns + 3599000 * MS);
	assert_int_equal(sink.got[1].bytes, 200);
	ofd_decoder_free(d);
}

struct collected {
	unsigned calls, first_n;
	struct ofd_flow last_fwd;
};

static void take(struct ofd_batch *b, void *ctx)
{
	struct collected *c = ctx;
	if (!c->calls++)
		c->first_n = b->n;
	c->last_fwd = b->flows[b->n - 1];
	ofd_batch_reset(b);
}

/* The forward record takes the batch's last slot: the reverse one starts the next batch. */
static void test_batch_full(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	bi_template(&m, 300);
	assert_int_equal(dec(d, &m), 0);

	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	struct collected c = {0};
	ofd_batch_init(b, take, &c);
	for (unsigned i = 0; i < OFD_BATCH_CAP - 1; i++)
		ofd_batch_add(b)->bytes = i;
	memset(&m, 0, sizeof(m));
	gv_ipfix_begin(&m, EXPORT_S, 2, 7);
	gv_set_begin(&m, 300);
	bi_record(&m, 1, 90000, 60);
	size_t len = gv_end(&m);
	struct ofd_dgram dg = {.data = m.g.p, .len = len, .src_port = 4739, .time_ns = RECV_NS};
	ofd_ip_set4u(&dg.src, SRC4);
	assert_int_equal(ofd_decode(d, &dg, b), 2);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.first_n, OFD_BATCH_CAP);
	assert_int_equal(c.last_fwd.bytes, 1500); /* the forward record went with the full batch */
	assert_int_equal(ofd_ip_v4(&c.last_fwd.src_addr), 0x0a000001);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->flows[0].bytes, 90000); /* and its reverse starts the next one */
	assert_int_equal(ofd_ip_v4(&b->flows[0].src_addr), 0x0a000002);
	assert_int_equal(b->flows[0].src_port, 443);
	assert_int_equal(b->flows[0].bi_flow_direction, 2);
	gv_free(&m);
	free(b);
	ofd_decoder_free(d);
}

/* biflowDirection after a variable-length field with a 3-byte length (255, then 16 bits). */
static void test_dir_after_long_varlen(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0},	  {12, 4, 0},  {96, GV_VARLEN, 0}, {1, 4, 0},
				     {2, 4, REV}, {239, 1, 0}, {1, 4, REV}};
	static uint8_t name[300];
	memset(name, 'a', sizeof(name));
	gv_ipfix_begin(&m, EXPORT_S, 1, 7);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, f, 7);
	gv_set_begin(&m, 300);
	gv_ip4(&m, 0x0a000001);
	gv_ip4(&m, 0x0a000002);
	gv_varlen(&m, name, sizeof(name));
	gv_uint(&m, 64, 4);
	gv_uint(&m, 2, 4);
	gv_uint(&m, 2, 1);
	gv_uint(&m, 128, 4);
	m.count++;
	assert_int_equal(dec(d, &m), 2);
	assert_int_equal(sink.got[0].bytes, 64);
	assert_int_equal(sink.got[0].bi_flow_direction, 2);
	assert_int_equal(sink.got[1].bytes, 128);
	assert_int_equal(sink.got[1].packets, 2);
	assert_int_equal(sink.got[1].bi_flow_direction, 1);
	ofd_decoder_free(d);
}

/* The reverse plan is the template's memory too (the exporter's and the budget's bytes). */
static void test_reverse_plan_memory(void **state)
{
	(void)state;
	size_t mem[2];
	for (int i = 0; i < 2; i++) {
		struct ofd_decoder *d = gv_decoder_new(&sink);
		struct gv_msg m = {0};
		struct gv_field f[NFWD + NREV];
		memcpy(f, fwd_f, sizeof(fwd_f));
		memcpy(f + NFWD, rev_f, sizeof(rev_f));
		for (size_t k = NFWD; i == 1 && k < NFWD + NREV; k++)
			if (f[k].pen)
				f[k].pen = 6871; /* another enterprise's elements: skipped, no reverse plan */
		gv_ipfix_begin(&m, EXPORT_S, 1, 7);
		gv_set_begin(&m, 2);
		gv_template(&m, 300, f, NFWD + NREV);
		assert_int_equal(dec(d, &m), 0);
		mem[i] = ofd_tmpl_cache_mem(d->tc);
		ofd_decoder_free(d);
	}
	/* reverse steps: bytes, packets, start, end, flags, TTL, TOS (the interface is the key's) */
	assert_int_equal(mem[0] - mem[1], 7 * sizeof(struct ofd_ie_step));
}

/* the tail fields of the key swap in the reverse record; the end reason stays; NAT does not */
static void test_tail_fields(void **state)
{
	(void)state;
	static struct ofd_flow f, r;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	f.in_if_phys = 11;
	f.out_if_phys = 12;
	f.src_cvlan = 101;
	f.flow_end_reason = 3;
	f.post_nat_src_port = 4000;
	ofd_flow_set(&f, OFD_F_IN_IF_PHYS);
	ofd_flow_set(&f, OFD_F_OUT_IF_PHYS);
	ofd_flow_set(&f, OFD_F_SRC_CVLAN);
	ofd_flow_set(&f, OFD_F_FLOW_END_REASON);
	ofd_flow_set(&f, OFD_F_POST_NAT_SRC_PORT);
	ofd_ie_biflow_start(&r, &f);
	assert_int_equal(r.in_if_phys, 12);
	assert_int_equal(r.out_if_phys, 11);
	assert_true(ofd_flow_has(&r, OFD_F_DST_CVLAN));
	assert_false(ofd_flow_has(&r, OFD_F_SRC_CVLAN));
	assert_int_equal(r.dst_cvlan, 101);
	assert_int_equal(r.flow_end_reason, 3);
	assert_true(ofd_flow_has(&r, OFD_F_FLOW_END_REASON));
	assert_false(ofd_flow_has(&r, OFD_F_POST_NAT_SRC_PORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_records),		  cmocka_unit_test(test_forward_as_uniflow),
	    cmocka_unit_test(test_no_reverse_counts),	  cmocka_unit_test(test_varlen_and_defaults),
	    cmocka_unit_test(test_reverse_uptimes),	  cmocka_unit_test(test_batch_full),
	    cmocka_unit_test(test_dir_after_long_varlen), cmocka_unit_test(test_reverse_plan_memory),
	    cmocka_unit_test(test_tail_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
