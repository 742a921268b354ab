/*
 * The template cache's budgets and eviction (template.h), written as the attack: 4,200 IPFIX
 * template-only messages of 148 bytes from 4,096 forged exporters, then a real exporter, whose
 * data must decode from its first template, with the default limits, without and with an
 * allow-list (the flood then in the unlisted budget). Then the eviction order (an exporter that
 * had data is kept over those that never had; then the least recently heard of goes), the
 * unlisted budget that cannot take from the main one, the per-exporter byte bound, and the
 * records' provenance (origin, export_bytes) set by ofd_decode_from().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "decode/template.h"
#include "gen_nf5.h"
#include "gen_v9ipfix.h"

#define T0 1700000000000000000ull
#define S  1000000000ull

#define MAIN	 OFD_TMPL_BUDGET_MAIN
#define UNLISTED OFD_TMPL_BUDGET_UNLISTED

static struct gv_sink sink;

static const struct gv_field fa[] = {{8, 4, 0}, {7, 2, 0}};

static struct ofd_decoder *new_decoder(const struct ofd_decode_limits *lim)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, lim), 0);
	sink.n = 0;
	return d;
}

/* An IPFIX message from src4:port with template tid (fa) if `tmpl`, and nrec records of it. */
static int msg(struct ofd_decoder *d, uint32_t src4, uint16_t port, enum ofd_origin origin,
	       enum ofd_tmpl_budget budget, uint16_t tid, int tmpl, unsigned nrec)
{
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, (uint32_t)(T0 / S), 1, 0);
	if (tmpl) {
		gv_set_begin(&m, 2);
		gv_template(&m, tid, fa, 2);
	}
	if (nrec) {
		gv_set_begin(&m, tid);
		for (unsigned i = 0; i < nrec; i++)
			gv_record(&m, fa, 2, (const uint64_t[]){0x0a000001 + i, 80});
	}
	size_t len = gv_end(&m);
	int r = gv_decode_from(d, m.g.p, len, src4, port, T0, origin, budget, &sink);
	gv_free(&m);
	return r;
}

/*
 * The attack's flood: message i (0..4199) from 10.0.0.0 + i % 4096, port 40000, one template
 * of 31 fields (id 256, or 257 for the second message of an address): 148 bytes each.
 */
static void flood(struct ofd_decoder *d, enum ofd_tmpl_budget budget)
{
	struct gv_field f[31];
	for (int i = 0; i < 31; i++)
		f[i] = (struct gv_field){(uint16_t)(i + 1), 4, 0};
	for (uint32_t i = 0; i < 4200; i++) {
		struct gv_msg m = {0};
		gv_ipfix_begin(&m, (uint32_t)(T0 / S), i, 0);
		gv_set_begin(&m, 2);
		gv_template(&m, (uint16_t)(256 + i / 4096), f, 31);
		size_t len = gv_end(&m);
		assert_int_equal(len, 148);
		assert_int_equal(gv_decode_from(d, m.g.p, len, 0x0a000000 + i % 4096, 40000, T0,
						OFD_ORIGIN_UNLISTED, budget, NULL),
				 0);
		gv_free(&m);
	}
}

#define REAL 0x0ac80001 /* 10.200.0.1 */

static void test_attack_no_list(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL); /* the default limits */
	flood(d, MAIN);
	/* the flood fills the main budget's 4,096 exporters, as it did before */
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 4096);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 4200);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
	/* a real exporter: its first message (template and 5 records) decodes */
	assert_int_equal(msg(d, REAL, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 1, 5), 5);
	assert_int_equal(sink.n, 5);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_NO_DATA], 1);
	/* later data, and a template-only first message then data */
	assert_int_equal(msg(d, REAL, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 0, 3), 3);
	assert_int_equal(msg(d, REAL + 1, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 1, 0), 0);
	assert_int_equal(msg(d, REAL + 1, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 0, 2), 2);
	/* the first restarts with a new source port: decodes at once again */
	assert_int_equal(msg(d, REAL, 50001, OFD_ORIGIN_UNLISTED, MAIN, 300, 1, 4), 4);
	assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], 0);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_NO_DATA], 3);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_IDLE], 0);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 4096);
	/* a second flood evicts itself, not the exporters that had data */
	flood(d, MAIN);
	assert_int_equal(msg(d, REAL, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 0, 1), 1);
	assert_int_equal(msg(d, REAL + 1, 50000, OFD_ORIGIN_UNLISTED, MAIN, 300, 0, 1), 1);
	assert_int_equal(msg(d, REAL, 50001, OFD_ORIGIN_UNLISTED, MAIN, 300, 0, 1), 1);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_IDLE], 0);
	ofd_decoder_free(d);
}

static void test_attack_with_list(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL);
	flood(d, UNLISTED); /* off the list: the unlisted budget, 64 exporters and 512 templates */
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, UNLISTED), 64);
	assert_int_equal(ofd_tmpl_cache_budget_templates(d->tc, UNLISTED), 64);
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, MAIN), 0);
	assert_int_equal(d->st.template_evictions[UNLISTED][OFD_TMPL_EVICT_NO_DATA], 4200 - 64);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
	/* the listed exporter: the main budget, nothing evicted there */
	assert_int_equal(msg(d, REAL, 50000, OFD_ORIGIN_LISTED, MAIN, 300, 1, 5), 5);
	assert_int_equal(sink.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(sink.got[i].origin, OFD_ORIGIN_LISTED);
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, MAIN), 1);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_NO_DATA], 0);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_IDLE], 0);
	ofd_decoder_free(d);
}

/* An exporter that had data is kept over those that never had; then the least recently heard
   of among those that had goes. */
static void test_data_kept(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {4, 8, 64, 16, 0, 0, 0, 0};
	struct ofd_decoder *d = new_decoder(&lim);
	const uint64_t *ev = d->st.template_evictions[MAIN];
	assert_int_equal(msg(d, 1, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 1), 1);
	for (uint32_t e = 2; e <= 20; e++)
		assert_int_equal(msg(d, e, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 0), 0);
	assert_int_equal(ev[OFD_TMPL_EVICT_NO_DATA], 16);
	assert_int_equal(msg(d, 1, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1);  /* kept */
	assert_int_equal(msg(d, 17, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 0); /* evicted */
	/* now all four have data; 1 is heard of last, 18 least recently */
	for (uint32_t e = 18; e <= 20; e++)
		assert_int_equal(msg(d, e, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1);
	assert_int_equal(msg(d, 1, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1);
	assert_int_equal(msg(d, 21, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 0), 0);
	assert_int_equal(ev[OFD_TMPL_EVICT_IDLE], 1);
	assert_int_equal(msg(d, 18, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 0);
	assert_int_equal(msg(d, 19, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1); /* 20, 1, 19 */
	assert_int_equal(msg(d, 22, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 0), 0); /* evicts 21 */
	/* a template message counts as heard of too: 1, 19, 20 */
	assert_int_equal(msg(d, 20, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 0), 0);
	assert_int_equal(msg(d, 22, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1); /* 1, 19, 20, 22 */
	assert_int_equal(msg(d, 23, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 0), 0); /* evicts 1 */
	assert_int_equal(msg(d, 1, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 0);
	assert_int_equal(msg(d, 19, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1);
	assert_int_equal(msg(d, 20, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 0, 1), 1);
	assert_int_equal(ev[OFD_TMPL_EVICT_NO_DATA], 17);
	assert_int_equal(ev[OFD_TMPL_EVICT_IDLE], 2);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
	ofd_decoder_free(d);
}

/* The unlisted budget is small and apart: it never takes from the main one. */
static void test_unlisted_apart(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {4, 8, 64, 16, 0, 0, 2, 4};
	struct ofd_decoder *d = new_decoder(&lim);
	for (uint32_t e = 1; e <= 4; e++)
		assert_int_equal(msg(d, e, 2055, OFD_ORIGIN_LISTED, MAIN, 256, 1, 1), 1);
	for (uint32_t e = 100; e < 110; e++)
		assert_int_equal(msg(d, e, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, 256, 1, 0), 0);
	assert_int_equal(d->st.template_evictions[UNLISTED][OFD_TMPL_EVICT_NO_DATA], 8);
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, UNLISTED), 2);
	for (uint32_t e = 1; e <= 4; e++)
		assert_int_equal(msg(d, e, 2055, OFD_ORIGIN_LISTED, MAIN, 256, 0, 1), 1);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_NO_DATA], 0);
	assert_int_equal(d->st.template_evictions[MAIN][OFD_TMPL_EVICT_IDLE], 0);
	/* an unlisted exporter that had data keeps its budget's room over a newcomer's */
	assert_int_equal(msg(d, 109, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, 256, 0, 2), 2);
	assert_int_equal(msg(d, 110, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, 256, 1, 0), 0); /* evicts 108 */
	assert_int_equal(msg(d, 109, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, 256, 0, 1), 1);
	/* 4 templates in all: the fifth of one exporter cannot fit whatever is evicted */
	for (uint16_t t = 0; t < 5; t++)
		assert_int_equal(msg(d, 111, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, (uint16_t)(256 + t), 1, 0),
				 0);
	assert_int_equal(d->st.template_refusals[UNLISTED][OFD_TMPL_REFUSE_BUDGET], 1);
	assert_int_equal(ofd_tmpl_cache_budget_templates(d->tc, UNLISTED), 4);
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, UNLISTED), 1);
	assert_int_equal(ofd_tmpl_cache_budget_exporters(d->tc, MAIN), 4);
	ofd_decoder_free(d);

	/* no unlisted budget at all: refused, counted */
	const struct ofd_decode_limits none = {4, 8, 64, 16, 0, 0, 0, 0};
	d = new_decoder(&none);
	assert_int_equal(msg(d, 100, 2055, OFD_ORIGIN_UNLISTED, UNLISTED, 256, 1, 1), 0);
	assert_int_equal(d->st.template_refusals[UNLISTED][OFD_TMPL_REFUSE_BUDGET], 1);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 1);
	assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], 1);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 0);
	ofd_decoder_free(d);
}

/* The per-exporter byte bound refuses one exporter's templates and no one else's. */
static void test_exporter_bytes(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {16, 64, 64, 16, 0, 2048, 0, 0};
	struct ofd_decoder *d = new_decoder(&lim);
	unsigned ok = 0;
	for (uint16_t t = 0; t < 40; t++)
		ok += msg(d, 1, 2055, OFD_ORIGIN_LOCAL, MAIN, (uint16_t)(256 + t), 1, 1) == 1;
	uint64_t refused = d->st.template_refusals[MAIN][OFD_TMPL_REFUSE_EXPORTER_BYTES];
	assert_true(ok > 1 && ok < 40);
	assert_int_equal(refused, 40 - ok);
	assert_true(ofd_tmpl_cache_mem(d->tc) <= 2048);
	assert_int_equal(msg(d, 2, 2055, OFD_ORIGIN_LOCAL, MAIN, 256, 1, 1), 1);
	assert_int_equal(d->st.template_refusals[MAIN][OFD_TMPL_REFUSE_EXPORTER_BYTES], refused);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 2);
	ofd_decoder_free(d);
}

/* ---- provenance: origin and export_bytes ---- */

struct marks {
	uint64_t n, batches;
	uint64_t origin_bad;
	uint64_t by_share[8]; /* records with export_bytes 0..7 (7: 7 or more) */
	uint16_t last_share;
};

static void marks_take(struct ofd_batch *b, void *ctx)
{
	struct marks *k = ctx;
	k->batches++;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct ofd_flow *f = &b->flows[i];
		k->n++;
		k->origin_bad += f->origin != OFD_ORIGIN_LISTED;
		k->by_share[f->export_bytes < 7 ? f->export_bytes : 7]++;
		k->last_share = f->export_bytes;
	}
}

/* An IPFIX message of nrec records of template 256 (one 4-byte field), template first if set. */
static size_t small_records(struct gv_msg *m, unsigned nrec, int tmpl)
{
	static const struct gv_field f4[] = {{8, 4, 0}};
	gv_ipfix_begin(m, (uint32_t)(T0 / S), 1, 0);
	if (tmpl) {
		gv_set_begin(m, 2);
		gv_template(m, 256, f4, 1);
	}
	if (nrec) {
		gv_set_begin(m, 256);
		for (unsigned i = 0; i < nrec; i++)
			gv_record(m, f4, 1, (const uint64_t[]){i});
	}
	return gv_end(m);
}

static void decode_into(struct ofd_decoder *d, struct gv_msg *m, size_t len, struct ofd_batch *b)
{
	struct ofd_dgram dg = {.data = m->g.p, .len = len, .src_port = 4739, .time_ns = T0};
	ofd_ip_set4u(&dg.src, 0x0a000001);
	(void)ofd_decode_from(d, &dg, OFD_ORIGIN_LISTED, MAIN, b);
	gv_free(m);
}

static void test_marks(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL);
	struct marks k = {0};
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	ofd_batch_init(b, marks_take, &k);
	struct gv_msg m = {0};
	decode_into(d, &m, small_records(&m, 0, 1), b);
	/* 100 datagrams of 30 records, 20 + 120 = 140 bytes each: 4 bytes of export per record;
	   the batch is handed on before a datagram that would not fit, never in one */
	for (int i = 0; i < 100; i++) {
		size_t len = small_records(&m, 30, 0);
		assert_int_equal(len, 140);
		decode_into(d, &m, len, b);
	}
	ofd_batch_flush(b);
	assert_int_equal(k.n, 3000);
	assert_int_equal(k.origin_bad, 0);
	assert_int_equal(k.by_share[4], 3000);
	assert_int_equal(k.batches, 6); /* 17 datagrams (510 records) a batch */

	/* one datagram of 400 records where recent ones had 30: the batch fills in the middle,
	   the records handed on then keep 0 (unknown), the rest get 1620 / 400 = 4 */
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 10; i++)
		decode_into(d, &m, small_records(&m, 30, 0), b);
	size_t len = small_records(&m, 400, 0);
	assert_int_equal(len, 1620);
	decode_into(d, &m, len, b);
	ofd_batch_flush(b);
	assert_int_equal(k.n, 700);
	assert_int_equal(k.by_share[0], 512 - 300);
	assert_int_equal(k.by_share[4], 300 + 400 - (512 - 300));
	assert_int_equal(k.last_share, 4);
	free(b);

	/* NetFlow v5 from a capture: local, 24 + 48 * n bytes over n records */
	struct gen_buf g = {0};
	struct gen_nf5_hdr h = {.uptime_ms = 1000, .unix_secs = 1700000000};
	struct gen_nf5_rec r[3];
	memset(r, 0, sizeof(r));
	gen_nf5(&g, &h, r, 3);
	struct ofd_dgram dg = {.data = g.p, .len = g.len, .time_ns = T0};
	ofd_ip_set4u(&dg.src, 0x7f000001);
	struct ofd_batch *b2 = malloc(sizeof(*b2));
	assert_non_null(b2);
	ofd_batch_init(b2, NULL, NULL);
	assert_int_equal(ofd_decode(d, &dg, b2), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(b2->flows[i].origin, OFD_ORIGIN_LOCAL);
		assert_int_equal(b2->flows[i].export_bytes, (24 + 48 * 3) / 3);
	}
	free(b2);
	gen_free(&g);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_attack_no_list), cmocka_unit_test(test_attack_with_list),
	    cmocka_unit_test(test_data_kept),	   cmocka_unit_test(test_unlisted_apart),
	    cmocka_unit_test(test_exporter_bytes), cmocka_unit_test(test_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
