/*
 * Template lifecycle: data before its template, redefinition, withdrawal, the same id from
 * different exporters, a flood against the limits (eviction), expiry in datagram time. The
 * budgets and their eviction order in detail: test_tmpl_budget.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "decode/template.h"
#include "gen_v9ipfix.h"

#define T0 1700000000000000000ull
#define S  1000000000ull

static struct gv_sink sink;

static const struct gv_field fa[] = {{8, 4, 0}, {7, 2, 0}};
static const struct gv_field fb[] = {{7, 2, 0}, {12, 4, 0}, {1, 8, 0}};
static const struct gv_field fc[] = {{11, 2, 0}};
static const struct gv_field fd[] = {{2, 4, 0}, {8, 4, 0}};

static struct ofd_decoder *new_decoder(const struct ofd_decode_limits *lim)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, lim), 0);
	sink.n = 0;
	return d;
}

/* A message (IPFIX unless v9) from src4:port at t with one template record (if f) and/or records. */
static int send(struct ofd_decoder *d, int v9, uint32_t src4, uint16_t port, uint32_t domain, uint64_t t,
		uint16_t tid, const struct gv_field *f, size_t n, const uint64_t *vals, size_t nrec)
{
	struct gv_msg m = {0};
	if (v9)
		gv_v9_begin(&m, 1000, (uint32_t)(t / S), 1, domain);
	else
		gv_ipfix_begin(&m, (uint32_t)(t / S), 1, domain);
	if (f) {
		gv_set_begin(&m, v9 ? 0 : 2);
		gv_template(&m, tid, f, n);
	}
	if (nrec) {
		gv_set_begin(&m, tid);
		for (size_t i = 0; i < nrec; i++)
			gv_record(&m, f ? f : fa, n, vals + i * n);
	}
	size_t len = gv_end(&m);
	int r = gv_decode(d, m.g.p, len, src4, port, t, &sink);
	gv_free(&m);
	return r;
}

/* Data records for template tid laid out as f (the template is not sent). */
static int send_data(struct ofd_decoder *d, int v9, uint32_t src4, uint16_t port, uint32_t domain, uint64_t t,
		     uint16_t tid, const struct gv_field *f, size_t n, const uint64_t *vals)
{
	struct gv_msg m = {0};
	if (v9)
		gv_v9_begin(&m, 1000, (uint32_t)(t / S), 1, domain);
	else
		gv_ipfix_begin(&m, (uint32_t)(t / S), 1, domain);
	gv_set_begin(&m, tid);
	gv_record(&m, f, n, vals);
	size_t len = gv_end(&m);
	int r = gv_decode(d, m.g.p, len, src4, port, t, &sink);
	gv_free(&m);
	return r;
}

static void test_data_before_template(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL);
	for (int v9 = 0; v9 < 2; v9++) {
		sink.n = 0;
		uint64_t va[2] = {0x0a000001, 80};
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0, 256, fa, 2, va), 0);
		assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], (uint64_t)v9 + 1);
		assert_int_equal(send(d, v9, 1, 2055, 0, T0, 256, fa, 2, NULL, 0), 0);
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0, 256, fa, 2, va), 1);
		assert_int_equal(sink.n, 1);
		assert_int_equal(ofd_ip_v4(&sink.got[0].src_addr), 0x0a000001);
		assert_int_equal(sink.got[0].src_port, 80);
		assert_int_equal(sink.got[0].type, v9 ? OFD_FT_NETFLOW_V9 : OFD_FT_IPFIX);
	}
	assert_int_equal(d->st.templates, 2);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 2); /* v9 and IPFIX keep apart */
	ofd_decoder_free(d);
}

static void test_redefinition(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL);
	assert_int_equal(send(d, 0, 1, 4739, 0, T0, 256, fa, 2, (const uint64_t[]){0x0a000001, 80}, 1), 1);
	assert_int_equal(send(d, 0, 1, 4739, 0, T0, 256, fb, 3, (const uint64_t[]){443, 0x0b000001, 1500}, 1),
			 1);
	assert_int_equal(send_data(d, 0, 1, 4739, 0, T0, 256, fb, 3, (const uint64_t[]){22, 0x0b000002, 60}),
			 1);
	assert_int_equal(send(d, 0, 1, 4739, 0, T0, 256, fc, 1, (const uint64_t[]){53, 54}, 2), 2);
	assert_int_equal(sink.n, 5);
	assert_int_equal(sink.got[0].src_port, 80);
	assert_true(ofd_flow_has(&sink.got[0], OFD_F_SRC_ADDR));
	assert_int_equal(sink.got[1].src_port, 443);
	assert_int_equal(ofd_ip_v4(&sink.got[1].dst_addr), 0x0b000001);
	assert_int_equal(sink.got[1].bytes, 1500);
	assert_false(ofd_flow_has(&sink.got[1], OFD_F_SRC_ADDR));
	assert_int_equal(sink.got[2].src_port, 22);
	assert_int_equal(sink.got[2].bytes, 60);
	assert_int_equal(sink.got[3].dst_port, 53);
	assert_int_equal(sink.got[4].dst_port, 54);
	assert_false(ofd_flow_has(&sink.got[4], OFD_F_BYTES));
	assert_int_equal(d->st.templates, 3);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 1);
	ofd_decoder_free(d);
}

static void test_withdrawal(void **state)
{
	(void)state;
	static const struct gv_field sc[] = {{149, 4, 0}};
	static const struct gv_field opt[] = {{34, 4, 0}};
	struct ofd_decoder *d = new_decoder(NULL);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, 1, 1, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, fa, 2);
	gv_template(&m, 257, fc, 1);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 258, sc, 1, opt, 1);
	gv_set_begin(&m, 258);
	gv_record(&m, (const struct gv_field[]){{149, 4, 0}, {34, 4, 0}}, 2, (const uint64_t[]){0, 10});
	size_t len = gv_end(&m);
	assert_int_equal(gv_decode(d, m.g.p, len, 1, 4739, T0, NULL), 0);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 3);
	/* withdraw 256, then data for 256 and 257 */
	gv_ipfix_begin(&m, 1, 2, 0);
	gv_set_begin(&m, 2);
	gv_withdraw(&m, 256);
	gv_set_begin(&m, 256);
	gv_record(&m, fa, 2, (const uint64_t[]){1, 2});
	gv_set_begin(&m, 257);
	gv_record(&m, fc, 1, (const uint64_t[]){99});
	len = gv_end(&m);
	assert_int_equal(gv_decode(d, m.g.p, len, 1, 4739, T0, &sink), 1);
	assert_int_equal(sink.got[0].dst_port, 99);
	assert_int_equal(sink.got[0].sampling_rate, 10);
	assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], 1);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 2);
	/* withdraw all templates: the options template stays, and with it the sampling rate */
	gv_ipfix_begin(&m, 1, 3, 0);
	gv_set_begin(&m, 2);
	gv_withdraw(&m, 2);
	len = gv_end(&m);
	assert_int_equal(gv_decode(d, m.g.p, len, 1, 4739, T0, NULL), 0);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 1);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 1);
	/* withdraw all options templates: nothing left, the exporter entry goes too */
	gv_ipfix_begin(&m, 1, 4, 0);
	gv_set_begin(&m, 3);
	gv_withdraw(&m, 3);
	gv_set_end(&m, 2);
	len = gv_end(&m);
	assert_int_equal(gv_decode(d, m.g.p, len, 1, 4739, T0, NULL), 0);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 0);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 0);
	assert_int_equal(ofd_tmpl_cache_mem(d->tc), 0);
	assert_int_equal(d->st.template_withdrawals, 3);
	gv_free(&m);
	ofd_decoder_free(d);
}

/* Template 256 from four exporters (address, port, domain differ) with four layouts. */
static void test_same_id_two_exporters(void **state)
{
	(void)state;
	struct ofd_decoder *d = new_decoder(NULL);
	assert_int_equal(send(d, 0, 1, 4739, 0, T0, 256, fa, 2, NULL, 0), 0);
	assert_int_equal(send(d, 0, 2, 4739, 0, T0, 256, fb, 3, NULL, 0), 0);
	assert_int_equal(send(d, 0, 1, 4740, 0, T0, 256, fc, 1, NULL, 0), 0);
	assert_int_equal(send(d, 0, 1, 4739, 7, T0, 256, fd, 2, NULL, 0), 0);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 4);
	assert_int_equal(send_data(d, 0, 2, 4739, 0, T0, 256, fb, 3, (const uint64_t[]){22, 0x0b000002, 60}),
			 1);
	assert_int_equal(send_data(d, 0, 1, 4739, 7, T0, 256, fd, 2, (const uint64_t[]){5, 0x0c000001}), 1);
	assert_int_equal(send_data(d, 0, 1, 4740, 0, T0, 256, fc, 1, (const uint64_t[]){8080}), 1);
	assert_int_equal(send_data(d, 0, 1, 4739, 0, T0, 256, fa, 2, (const uint64_t[]){0x0d000001, 25}), 1);
	assert_int_equal(sink.n, 4);
	assert_int_equal(sink.got[0].bytes, 60);
	assert_int_equal(sink.got[0].src_port, 22);
	assert_int_equal(sink.got[1].packets, 5);
	assert_int_equal(sink.got[1].observation_domain_id, 7);
	assert_int_equal(ofd_ip_v4(&sink.got[1].src_addr), 0x0c000001);
	assert_int_equal(sink.got[2].dst_port, 8080);
	assert_int_equal(ofd_ip_v4(&sink.got[3].src_addr), 0x0d000001);
	assert_int_equal(sink.got[3].src_port, 25);
	ofd_decoder_free(d);
}

static void test_flood(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {.max_exporters = 4,
					      .max_templates_per_exporter = 8,
					      .max_templates_total = 16,
					      .max_fields = 16,
					      .template_timeout_s = 60};
	struct ofd_decoder *d = new_decoder(&lim);
	const uint64_t *st_ev = d->st.template_evictions[OFD_TMPL_BUDGET_MAIN];
	const uint64_t *st_ref = d->st.template_refusals[OFD_TMPL_BUDGET_MAIN];
	assert_int_equal(send(d, 0, 1, 4739, 0, T0, 256, fa, 2, (const uint64_t[]){0x0a000001, 80}, 1), 1);
	for (uint32_t e = 0; e < 10; e++)
		for (uint16_t t = 0; t < 10; t++)
			assert_int_equal(
			    send(d, 0, 100 + e, 4739, 0, T0 + S, (uint16_t)(256 + t), fb, 3, NULL, 0), 0);
	/* each fake keeps 8 templates (2 refused); the 16-template budget is full at each one's 8th,
	   which evicts the fake before it (no data); the legitimate exporter, which had data, stays */
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 9);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 2);
	assert_int_equal(st_ev[OFD_TMPL_EVICT_NO_DATA], 9);
	assert_int_equal(st_ev[OFD_TMPL_EVICT_IDLE], 0);
	assert_int_equal(st_ref[OFD_TMPL_REFUSE_EXPORTER_TEMPLATES], 20);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 20);
	assert_true(ofd_tmpl_cache_mem(d->tc) < 8192);
	assert_int_equal(send_data(d, 0, 1, 4739, 0, T0 + S, 256, fa, 2, (const uint64_t[]){0x0a000001, 80}),
			 1);
	/* too many fields */
	struct gv_field many[17];
	for (int i = 0; i < 17; i++)
		many[i] = (struct gv_field){(uint16_t)(i + 1), 1, 0};
	assert_int_equal(send(d, 0, 1, 4739, 0, T0 + S, 300, many, 17, NULL, 0), 0);
	assert_int_equal(st_ref[OFD_TMPL_REFUSE_FIELDS], 1);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 21);
	/* a redefinition that is refused removes the old layout */
	assert_int_equal(send(d, 0, 1, 4739, 0, T0 + S, 256, many, 17, NULL, 0), 0);
	assert_int_equal(send_data(d, 0, 1, 4739, 0, T0 + S, 256, fa, 2, (const uint64_t[]){0x0a000001, 80}),
			 0);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 8);
	/* after the timeout the rest expires and a newcomer is accepted */
	assert_int_equal(send(d, 0, 999, 4739, 0, T0 + 62 * S, 256, fc, 1, (const uint64_t[]){7}, 1), 1);
	assert_int_equal(d->st.templates_expired, 8);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 1);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 1);
	ofd_decoder_free(d);

	/* many exporters with one template each, and many observation domains from one address:
	   each newcomer evicts the one heard of least recently */
	const struct ofd_decode_limits lim2 = {.max_exporters = 64,
					       .max_templates_per_exporter = 8,
					       .max_templates_total = 1000,
					       .max_fields = 8,
					       .template_timeout_s = 0};
	d = new_decoder(&lim2);
	for (uint32_t e = 0; e < 200; e++)
		assert_int_equal(send(d, 0, 1000 + e, 4739, 0, T0, 256, fa, 2, NULL, 0), 0);
	for (uint32_t dom = 0; dom < 5000; dom++)
		assert_int_equal(send(d, dom & 1, 7, 4739, dom, T0, 256, fa, 2, NULL, 0), 0);
	assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 64);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 64);
	assert_int_equal(d->st.drops[OFD_DROP_TEMPLATE_LIMIT], 0);
	assert_int_equal(d->st.template_evictions[OFD_TMPL_BUDGET_MAIN][OFD_TMPL_EVICT_NO_DATA],
			 200 + 5000 - 64);
	/* the newest 64 are the ones kept: the last domain decodes, the first does not */
	assert_int_equal(send_data(d, 1, 7, 4739, 4999, T0, 256, fa, 2, (const uint64_t[]){1, 2}), 1);
	assert_int_equal(send_data(d, 0, 7, 4739, 4000, T0, 256, fa, 2, (const uint64_t[]){1, 2}), 0);
	assert_true(ofd_tmpl_cache_mem(d->tc) < 64 * 1024);
	ofd_decoder_free(d);
}

static void test_expiry(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {.max_exporters = 16,
					      .max_templates_per_exporter = 16,
					      .max_templates_total = 64,
					      .max_fields = 16,
					      .template_timeout_s = 60};
	uint64_t v[2] = {0x0a000001, 80};
	for (int v9 = 0; v9 < 2; v9++) {
		struct ofd_decoder *d = new_decoder(&lim);
		assert_int_equal(send(d, v9, 1, 2055, 0, T0, 256, fa, 2, v, 1), 1);
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0 + 59 * S, 256, fa, 2, v), 1);
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0 - 3600 * S, 256, fa, 2, v),
				 1); /* time went back */
		assert_int_equal(send(d, v9, 1, 2055, 0, T0 + 59 * S, 256, fa, 2, NULL, 0), 0); /* refresh */
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0 + 118 * S, 256, fa, 2, v), 1);
		assert_int_equal(d->st.templates_expired, 0);
		assert_int_equal(send_data(d, v9, 1, 2055, 0, T0 + 120 * S, 256, fa, 2, v), 0);
		assert_int_equal(d->st.templates_expired, 1);
		assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], 1);
		assert_int_equal(ofd_tmpl_cache_exporters(d->tc), 0);
		assert_int_equal(ofd_tmpl_cache_templates(d->tc), 0);
		ofd_decoder_free(d);
	}
	/* timeout 0: never */
	const struct ofd_decode_limits forever = {16, 16, 64, 16, 0, 0, 0, 0};
	struct ofd_decoder *d = new_decoder(&forever);
	assert_int_equal(send(d, 0, 1, 2055, 0, T0, 256, fa, 2, NULL, 0), 0);
	assert_int_equal(send_data(d, 0, 1, 2055, 0, T0 + 1000000 * S, 256, fa, 2, v), 1);
	assert_int_equal(d->st.templates_expired, 0);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_data_before_template),
	    cmocka_unit_test(test_redefinition),
	    cmocka_unit_test(test_withdrawal),
	    cmocka_unit_test(test_same_id_two_exporters),
	    cmocka_unit_test(test_flood),
	    cmocka_unit_test(test_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
