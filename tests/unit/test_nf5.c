/* NetFlow v5: every field of a built datagram, uptime wrap, sampling bits, every truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "gen_nf5.h"

struct sink {
	struct ofd_flow got[64];
	unsigned n;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct sink *s = ctx;
	for (uint32_t i = 0; i < b->n && s->n < 64; i++)
		if (ofd_batch_is_live(b, i))
			s->got[s->n++] = b->flows[i];
}

static const struct gen_nf5_hdr hdr = {
    .uptime_ms = 3600000,
    .unix_secs = 1185523200,
    .unix_nsecs = 500000000,
    .sequence = 4242,
    .engine_type = 1,
    .engine_id = 7,
    .sampling = 0x4000 | 100,
};

static const struct gen_nf5_rec recs[2] = {
    {0xc0000201, 0xc6336402, 0x0a000001, 3, 4, 10, 15000, 3590000, 3599000, 123, 44321, 0, 17, 0xb8, 64496,
     64511, 24, 16},
    {0x7f000001, 0x08080808, 0, 65535, 1, 1, 84, 3599999, 3599999, 0, 0x0303, 0x12, 1, 0, 0, 0, 0, 0},
};

static int decode(struct ofd_decoder *d, const struct gen_buf *g, size_t len, struct sink *s)
{
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	ofd_batch_init(b, collect, s);
	struct ofd_dgram dg = {.data = g->p, .len = len, .src_port = 9500, .time_ns = 1185523201000000000ull};
	ofd_ip_set4u(&dg.src, 0x7aa604f2);
	int n = ofd_decode(d, &dg, b);
	ofd_batch_flush(b);
	free(b);
	return n;
}

static void test_fields(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_buf g = {0};
	gen_nf5(&g, &hdr, recs, 2);
	struct sink s = {0};
	assert_int_equal(decode(d, &g, g.len, &s), 2);
	assert_int_equal(s.n, 2);
	const struct ofd_flow *f = &s.got[0];
	assert_int_equal(f->type, OFD_FT_NETFLOW_V5);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
	assert_int_equal(f->src_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc6336402);
	assert_int_equal(ofd_ip_v4(&f->next_hop), 0x0a000001);
	assert_int_equal(ofd_ip_v4(&f->sampler_address), 0x7aa604f2);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 4);
	assert_int_equal(f->packets, 10);
	assert_int_equal(f->bytes, 15000);
	/* export time 1185523200.5 s at uptime 3600 s: first 3590 s is 10 s before export */
	assert_int_equal(f->time_flow_start_ns, 1185523190500000000ull);
	assert_int_equal(f->time_flow_end_ns, 1185523199500000000ull);
	assert_int_equal(f->time_received_ns, 1185523201000000000ull);
	assert_int_equal(f->src_port, 123);
	assert_int_equal(f->dst_port, 44321);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->ip_tos, 0xb8);
	assert_int_equal(f->src_as, 64496);
	assert_int_equal(f->dst_as, 64511);
	assert_int_equal(f->src_net, 24);
	assert_int_equal(f->dst_net, 16);
	assert_int_equal(f->sequence_num, 4242);
	assert_int_equal(f->engine_type, 1);
	assert_int_equal(f->engine_id, 7);
	assert_int_equal(f->sampling_rate, 100); /* mode bits masked */
	assert_int_equal(f->etype, 0x0800);
	assert_true(ofd_flow_has(f, OFD_F_NEXT_HOP));
	assert_false(ofd_flow_has(f, OFD_F_SRC_MAC));
	/* ICMP: type and code come from the destination port, which stays as sent */
	f = &s.got[1];
	assert_int_equal(f->proto, 1);
	assert_int_equal(f->dst_port, 0x0303);
	assert_int_equal(f->icmp_type, 3);
	assert_int_equal(f->icmp_code, 3);
	assert_int_equal(f->tcp_flags, 0x12);
	assert_int_equal(f->in_if, 65535);
	assert_int_equal(d->st.records, 2);
	assert_int_equal(d->st.records_by_type[OFD_FT_NETFLOW_V5], 2);
	gen_free(&g);
	ofd_decoder_free(d);
}

static void test_uptime_wrap(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_nf5_hdr h = hdr;
	h.uptime_ms = 1000; /* the router's uptime wrapped 1 s ago */
	struct gen_nf5_rec r = recs[0];
	r.first = 0xffffffffu - 999; /* 2 s before export */
	r.last = 500;		     /* 0.5 s before export */
	struct gen_buf g = {0};
	gen_nf5(&g, &h, &r, 1);
	struct sink s = {0};
	assert_int_equal(decode(d, &g, g.len, &s), 1);
	assert_int_equal(s.got[0].time_flow_start_ns, 1185523198500000000ull);
	assert_int_equal(s.got[0].time_flow_end_ns, 1185523200000000000ull);
	gen_free(&g);
	ofd_decoder_free(d);
}

/* Every cut of a valid datagram: complete records before the cut survive, the rest is counted. */
static void test_truncations(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	gen_nf5(&g, &hdr, recs, 2);
	for (size_t len = 0; len < g.len; len++) {
		struct ofd_decoder *d;
		assert_int_equal(ofd_decoder_new(&d, NULL), 0);
		/* an exact-size copy so that sanitizers see any read past the end */
		struct gen_buf cut = {0};
		gen_bytes(&cut, g.p, len);
		struct sink s = {0};
		int n = decode(d, &cut, len, &s);
		size_t whole = len < 24 ? 0 : (len - 24) / 48;
		if (len < 4) {
			assert_int_equal(n, OFD_ETRUNC);
		} else {
			assert_int_equal(n < 0 ? 0 : n, whole);
		}
		assert_int_equal(s.n, whole);
		assert_int_equal(d->st.drops[OFD_DROP_TRUNCATED], 1);
		gen_free(&cut);
		ofd_decoder_free(d);
	}
	gen_free(&g);
}

static void test_bad_version(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gen_buf g = {0};
	gen_nf5(&g, &hdr, recs, 1);
	gen_put16(&g, 0, 7);
	struct sink s = {0};
	assert_int_equal(decode(d, &g, g.len, &s), OFD_EVERSION);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_VERSION], 1);
	/* the next datagram decodes as if nothing happened */
	gen_put16(&g, 0, 5);
	assert_int_equal(decode(d, &g, g.len, &s), 1);
	gen_free(&g);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_uptime_wrap),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_bad_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
