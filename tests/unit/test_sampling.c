/*
 * Sampling rates from NetFlow v9 / IPFIX options data: selector algorithms (RFC 5477: 304 with
 * 305/306, 307/308, 309/310, 311), the older samplingInterval/-Algorithm (34/35) and v9
 * FLOW_SAMPLER_ID/-MODE/-RANDOM_INTERVAL (48/49/50); and the options scope (exporter-wide,
 * per sampler or selector id, per interface).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/template.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define UPTIME	 3600000u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u

static struct gv_sink sink;

static int dec(struct ofd_decoder *d, struct gv_msg *m)
{
	return gv_decode_msg(d, m, SRC4, 4739, RECV_NS, &sink);
}

static uint64_t f64(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	return u;
}

static uint64_t f32(float v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof(u));
	return u;
}

static const struct gv_field plain[] = {{8, 4, 0}, {2, 4, 0}};

/*
 * One IPFIX message: an options template scoped by observationDomainId (exporter-wide) with
 * fields o, one options record of values v, then a data record; the data record's rate.
 */
static uint32_t ipfix_rate(const struct gv_field *o, size_t n, const uint64_t *v)
{
	static const struct gv_field scope[] = {{149, 4, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, scope, 1, o, n);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, plain, 2);
	gv_set_begin(&m, 400);
	gv_uint(&m, 3, 4);
	gv_record(&m, o, n, v);
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 2, (const uint64_t[]){0x0a000001, 1});
	assert_int_equal(dec(d, &m), 1);
	assert_int_equal(d->st.options_records, 1);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	uint32_t r = sink.got[0].sampling_rate;
	assert_int_equal(!!ofd_flow_has(&sink.got[0], OFD_F_SAMPLING_RATE), r != 0);
	ofd_decoder_free(d);
	return r;
}

/* Cisco IOS XR: random 1-out-of-256 with samplingPacketInterval 1 alongside. */
static void test_iosxr_n_of_n(void **state)
{
	(void)state;
	static const struct gv_field o[] = {{304, 2, 0}, {305, 4, 0}, {309, 4, 0}, {310, 4, 0}};
	assert_int_equal(ipfix_rate(o, 4, (const uint64_t[]){3, 1, 1, 256}), 256);
	/* the same elements in another order, 1-byte algorithm */
	static const struct gv_field o2[] = {{310, 4, 0}, {309, 2, 0}, {305, 4, 0}, {304, 1, 0}};
	assert_int_equal(ipfix_rate(o2, 4, (const uint64_t[]){256, 1, 1, 3}), 256);
	/* n = 3 of N = 1000: 333 */
	assert_int_equal(ipfix_rate(o, 4, (const uint64_t[]){3, 1, 3, 1000}), 333);
	/* n-out-of-N without selectorAlgorithm still wins over a packet interval of 1 */
	static const struct gv_field o3[] = {{305, 4, 0}, {309, 4, 0}, {310, 4, 0}};
	assert_int_equal(ipfix_rate(o3, 3, (const uint64_t[]){1, 2, 1000}), 500);
}

static void test_systematic(void **state)
{
	(void)state;
	static const struct gv_field count[] = {{304, 2, 0}, {305, 4, 0}, {306, 4, 0}};
	assert_int_equal(ipfix_rate(count, 3, (const uint64_t[]){1, 1, 99}), 100);
	assert_int_equal(ipfix_rate(count, 3, (const uint64_t[]){1, 2, 1022}), 512);
	/* time-based: interval/space of 305/306 when given, else 307/308 (microseconds) */
	assert_int_equal(ipfix_rate(count, 3, (const uint64_t[]){2, 1, 63}), 64);
	static const struct gv_field time[] = {{304, 2, 0}, {307, 4, 0}, {308, 4, 0}};
	assert_int_equal(ipfix_rate(time, 3, (const uint64_t[]){2, 1000, 9000}), 10);
	/* an interval of 0 states nothing */
	assert_int_equal(ipfix_rate(count, 3, (const uint64_t[]){1, 0, 99}), 0);
}

static void test_probabilistic(void **state)
{
	(void)state;
	static const struct gv_field p8[] = {{304, 2, 0}, {311, 8, 0}};
	static const struct gv_field p4[] = {{304, 2, 0}, {311, 4, 0}};
	assert_int_equal(ipfix_rate(p8, 2, (const uint64_t[]){4, f64(0.001)}), 1000);
	assert_int_equal(ipfix_rate(p8, 2, (const uint64_t[]){5, f64(0.5)}), 2);
	assert_int_equal(ipfix_rate(p4, 2, (const uint64_t[]){4, f32(0.01f)}), 100);
	assert_int_equal(ipfix_rate(p8, 2, (const uint64_t[]){4, f64(1.0)}), 1);
	/* out of (0, 1]: no rate */
	assert_int_equal(ipfix_rate(p8, 2, (const uint64_t[]){4, f64(0.0)}), 0);
	assert_int_equal(ipfix_rate(p8, 2, (const uint64_t[]){4, f64(2.0)}), 0);
	/* ... and samplingInterval (34) is the fallback */
	static const struct gv_field p34[] = {{304, 2, 0}, {311, 8, 0}, {34, 4, 0}};
	assert_int_equal(ipfix_rate(p34, 3, (const uint64_t[]){4, f64(-1.0), 128}), 128);
	/* a 311 of another length is not read */
	static const struct gv_field p2[] = {{304, 2, 0}, {311, 2, 0}, {34, 4, 0}};
	assert_int_equal(ipfix_rate(p2, 3, (const uint64_t[]){4, 7, 64}), 64);
}

/* samplingInterval (34) with samplingAlgorithm (35) 1 deterministic or 2 random. */
static void test_interval_algorithm(void **state)
{
	(void)state;
	static const struct gv_field o[] = {{34, 4, 0}, {35, 1, 0}};
	assert_int_equal(ipfix_rate(o, 2, (const uint64_t[]){1000, 1}), 1000);
	assert_int_equal(ipfix_rate(o, 2, (const uint64_t[]){1000, 2}), 1000);
}

/*
 * NetFlow v9: an options template scoped by System (scope type 1) with fields o, one record of
 * values v, then a data record; the data record's rate.
 */
static uint32_t v9_rate(const struct gv_field *o, size_t n, const uint64_t *v)
{
	static const struct gv_field scope[] = {{1, 4, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 1);
	gv_options_template(&m, 260, scope, 1, o, n);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, plain, 2);
	gv_set_begin(&m, 260);
	gv_uint(&m, 0, 4);
	gv_record(&m, o, n, v);
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 2, (const uint64_t[]){0x0a000001, 1});
	assert_int_equal(dec(d, &m), 1);
	assert_int_equal(d->st.options_records, 1);
	uint32_t r = sink.got[0].sampling_rate;
	ofd_decoder_free(d);
	return r;
}

static void test_v9(void **state)
{
	(void)state;
	static const struct gv_field mode[] = {{49, 1, 0}, {50, 4, 0}};
	assert_int_equal(v9_rate(mode, 2, (const uint64_t[]){2, 512}), 512);
	assert_int_equal(v9_rate(mode, 2, (const uint64_t[]){1, 100}), 100);
	static const struct gv_field old[] = {{34, 4, 0}, {35, 1, 0}};
	assert_int_equal(v9_rate(old, 2, (const uint64_t[]){64, 2}), 64);
	/* v9 carrying the RFC 5477 elements (IOS XR) */
	static const struct gv_field xr[] = {{304, 2, 0}, {305, 4, 0}, {309, 4, 0}, {310, 4, 0}};
	assert_int_equal(v9_rate(xr, 4, (const uint64_t[]){3, 1, 1, 256}), 256);
}

/*
 * IOS XR style: an options record scoped by selectorId (302) states selector 1's rate; one scoped
 * by the observation domain the exporter-wide one. The selector's does not overwrite it.
 */
static void test_ipfix_selector_scope(void **state)
{
	(void)state;
	static const struct gv_field sc_sel[] = {{302, 8, 0}};
	static const struct gv_field o_sel[] = {{304, 2, 0}, {305, 4, 0}, {309, 4, 0}, {310, 4, 0}};
	static const struct gv_field sc_dom[] = {{149, 4, 0}};
	static const struct gv_field o_dom[] = {{34, 4, 0}};
	static const struct gv_field sel[] = {{8, 4, 0}, {302, 8, 0}};
	static const struct gv_field sampler[] = {{8, 4, 0}, {48, 2, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, sc_dom, 1, o_dom, 1);
	gv_options_template(&m, 401, sc_sel, 1, o_sel, 4);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, plain, 2);
	gv_template(&m, 257, sel, 2);
	gv_template(&m, 258, sampler, 2);
	gv_set_begin(&m, 400);
	gv_uint(&m, 3, 4);
	gv_uint(&m, 10, 4);
	gv_set_begin(&m, 401); /* after the exporter-wide statement */
	gv_uint(&m, 1, 8);
	gv_record(&m, o_sel, 4, (const uint64_t[]){3, 1, 1, 256});
	gv_uint(&m, 2, 8);
	gv_record(&m, o_sel, 4, (const uint64_t[]){1, 1, 0, 0}); /* systematic 1 of 1: rate 1 */
	gv_set_begin(&m, 256);
	gv_record(&m, plain, 2, (const uint64_t[]){1, 1});
	gv_set_begin(&m, 257);
	gv_record(&m, sel, 2, (const uint64_t[]){2, 1});
	gv_record(&m, sel, 2, (const uint64_t[]){3, 2});
	gv_record(&m, sel, 2, (const uint64_t[]){4, 5});
	gv_record(&m, sel, 2, (const uint64_t[]){5, 0});
	gv_set_begin(&m, 258);
	gv_record(&m, sampler, 2, (const uint64_t[]){6, 1});
	assert_int_equal(dec(d, &m), 6);
	assert_int_equal(d->st.options_records, 3);
	static const uint32_t want[6] = {10, 256, 1, 0, 10, 256};
	for (unsigned i = 0; i < 6; i++) {
		const struct ofd_flow *f = &sink.got[i];
		assert_int_equal(ofd_ip_v4(&f->src_addr), i + 1);
		assert_int_equal(f->sampling_rate, want[i]);
		assert_int_equal(!!ofd_flow_has(f, OFD_F_SAMPLING_RATE), want[i] != 0);
		/* only the record naming a selector never announced says so */
		assert_int_equal(!!ofd_flow_has(f, OFD_F_NOTE), i == 3);
	}
	assert_string_equal(sink.got[3].note, OFD_TMPL_NOTE_UNKNOWN_SAMPLER);
	ofd_decoder_free(d);
}

/* IPFIX options scoped by ingressInterface (10), also behind a variable-length scope field. */
static void test_ipfix_interface_scope(void **state)
{
	(void)state;
	static const struct gv_field sc_if[] = {{10, 4, 0}};
	static const struct gv_field sc_name_if[] = {{82, GV_VARLEN, 0}, {10, 2, 0}};
	static const struct gv_field o[] = {{305, 4, 0}, {306, 4, 0}};
	static const struct gv_field sc_dom[] = {{149, 4, 0}};
	static const struct gv_field o_dom[] = {{34, 4, 0}};
	static const struct gv_field rec[] = {{8, 4, 0}, {10, 4, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, sc_if, 1, o, 2);
	gv_options_template(&m, 401, sc_name_if, 2, o, 2);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, rec, 2);
	gv_set_begin(&m, 400);
	gv_uint(&m, 5, 4);
	gv_record(&m, o, 2, (const uint64_t[]){1, 99});
	gv_set_begin(&m, 401);
	gv_varlen(&m, "Gi0/0/0/7", 9);
	gv_uint(&m, 7, 2);
	gv_record(&m, o, 2, (const uint64_t[]){1, 1999});
	gv_set_begin(&m, 256);
	gv_record(&m, rec, 2, (const uint64_t[]){1, 5});
	gv_record(&m, rec, 2, (const uint64_t[]){2, 6});
	gv_record(&m, rec, 2, (const uint64_t[]){3, 7});
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.got[0].sampling_rate, 100);
	assert_int_equal(sink.got[1].sampling_rate, 0);
	assert_false(ofd_flow_has(&sink.got[1], OFD_F_SAMPLING_RATE));
	assert_int_equal(sink.got[2].sampling_rate, 2000);
	/* an exporter-wide rate later: interface 6 takes it, 5 and 7 keep theirs */
	sink.n = 0;
	m = (struct gv_msg){0};
	gv_ipfix_begin(&m, EXPORT_S, 2, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 402, sc_dom, 1, o_dom, 1);
	gv_set_begin(&m, 402);
	gv_record(&m, (const struct gv_field[]){{149, 4, 0}, {34, 4, 0}}, 2, (const uint64_t[]){3, 16});
	gv_set_begin(&m, 256);
	gv_record(&m, rec, 2, (const uint64_t[]){1, 5});
	gv_record(&m, rec, 2, (const uint64_t[]){2, 6});
	gv_record(&m, rec, 2, (const uint64_t[]){3, 7});
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.got[0].sampling_rate, 100);
	assert_int_equal(sink.got[1].sampling_rate, 16);
	assert_int_equal(sink.got[2].sampling_rate, 2000);
	ofd_decoder_free(d);
}

/*
 * NetFlow v9 (RFC 3954 6.1): scope Interface (2) sets that interface's rate; scope System (1)
 * with FLOW_SAMPLER_ID (48) that sampler's; neither is the rate of records naming no sampler
 * from other interfaces.
 */
static void test_v9_scopes(void **state)
{
	(void)state;
	static const struct gv_field sc_if[] = {{2, 4, 0}};
	static const struct gv_field o_if[] = {{34, 4, 0}, {35, 1, 0}};
	static const struct gv_field sc_sys[] = {{1, 4, 0}};
	static const struct gv_field o_smp[] = {{48, 1, 0}, {49, 1, 0}, {50, 4, 0}};
	static const struct gv_field rec[] = {{8, 4, 0}, {10, 2, 0}};
	static const struct gv_field rec_smp[] = {{8, 4, 0}, {10, 2, 0}, {48, 1, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_v9_begin(&m, UPTIME, EXPORT_S, 1, 0);
	gv_set_begin(&m, 1);
	gv_options_template(&m, 260, sc_if, 1, o_if, 2);
	gv_options_template(&m, 261, sc_sys, 1, o_smp, 3);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, rec, 2);
	gv_template(&m, 257, rec_smp, 3);
	gv_set_begin(&m, 260);
	gv_uint(&m, 3, 4);
	gv_record(&m, o_if, 2, (const uint64_t[]){64, 1});
	gv_uint(&m, 4, 4);
	gv_record(&m, o_if, 2, (const uint64_t[]){128, 2});
	gv_set_begin(&m, 261);
	gv_uint(&m, 0, 4);
	gv_record(&m, o_smp, 3, (const uint64_t[]){1, 2, 1000});
	gv_set_begin(&m, 256);
	gv_record(&m, rec, 2, (const uint64_t[]){1, 3});
	gv_record(&m, rec, 2, (const uint64_t[]){2, 4});
	gv_record(&m, rec, 2, (const uint64_t[]){3, 5});
	gv_set_begin(&m, 257);
	gv_record(&m, rec_smp, 3, (const uint64_t[]){4, 3, 1});
	gv_record(&m, rec_smp, 3, (const uint64_t[]){5, 3, 9});
	gv_record(&m, rec_smp, 3, (const uint64_t[]){6, 4, 0});
	assert_int_equal(dec(d, &m), 6);
	assert_int_equal(d->st.options_records, 3);
	/* a sampler id names the rate; an unannounced one gives none; id 0 is no sampler */
	static const uint32_t want[6] = {64, 128, 0, 1000, 0, 128};
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(ofd_ip_v4(&sink.got[i].src_addr), i + 1);
		assert_int_equal(sink.got[i].sampling_rate, want[i]);
		assert_int_equal(!!ofd_flow_has(&sink.got[i], OFD_F_NOTE), i == 4);
	}
	ofd_decoder_free(d);
}

/* Merging saved options state: the newer wins, the older fills in samplers and interfaces. */
static void test_merge(void **state)
{
	(void)state;
	struct ofd_tmpl_opts a = {0}, b = {0};
	a.opts_ns = 2;
	a.nsamplers = 1;
	a.samplers[0] = (struct ofd_tmpl_rate){1, 10};
	a.nifaces = 1;
	a.ifaces[0] = (struct ofd_tmpl_rate){5, 50};
	b.opts_ns = 1;
	b.rate = 7;
	b.nsamplers = 2;
	b.samplers[0] = (struct ofd_tmpl_rate){1, 11};
	b.samplers[1] = (struct ofd_tmpl_rate){2, 20};
	b.nifaces = 2;
	b.ifaces[0] = (struct ofd_tmpl_rate){5, 51};
	b.ifaces[1] = (struct ofd_tmpl_rate){6, 60};
	ofd_tmpl_opts_merge(&a, &b);
	assert_int_equal(a.rate, 7);
	assert_int_equal(a.nsamplers, 2);
	assert_int_equal(a.samplers[0].rate, 10);
	assert_int_equal(a.samplers[1].id, 2);
	assert_int_equal(a.samplers[1].rate, 20);
	assert_int_equal(a.nifaces, 2);
	assert_int_equal(a.ifaces[0].rate, 50);
	assert_int_equal(a.ifaces[1].id, 6);
	assert_int_equal(a.ifaces[1].rate, 60);
}

/* More interfaces than OFD_TMPL_IFACES: the oldest slots are reused, the newest kept. */
static void test_iface_table_full(void **state)
{
	(void)state;
	static const struct gv_field sc_if[] = {{10, 4, 0}};
	static const struct gv_field o[] = {{34, 4, 0}};
	static const struct gv_field rec[] = {{8, 4, 0}, {10, 4, 0}};
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, EXPORT_S, 1, 3);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, sc_if, 1, o, 1);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, rec, 2);
	gv_set_begin(&m, 400);
	for (unsigned i = 1; i <= OFD_TMPL_IFACES + 1; i++) {
		gv_uint(&m, i, 4);
		gv_uint(&m, 100 + i, 4);
	}
	gv_set_begin(&m, 256);
	gv_record(&m, rec, 2, (const uint64_t[]){1, 1});
	gv_record(&m, rec, 2, (const uint64_t[]){2, 2});
	gv_record(&m, rec, 2, (const uint64_t[]){3, OFD_TMPL_IFACES + 1});
	assert_int_equal(dec(d, &m), 3);
	assert_int_equal(sink.got[0].sampling_rate, 0); /* its slot went to the last one */
	assert_int_equal(sink.got[1].sampling_rate, 102);
	assert_int_equal(sink.got[2].sampling_rate, 101 + OFD_TMPL_IFACES);
	ofd_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iosxr_n_of_n),
	    cmocka_unit_test(test_systematic),
	    cmocka_unit_test(test_probabilistic),
	    cmocka_unit_test(test_interval_algorithm),
	    cmocka_unit_test(test_v9),
	    cmocka_unit_test(test_ipfix_selector_scope),
	    cmocka_unit_test(test_ipfix_interface_scope),
	    cmocka_unit_test(test_v9_scopes),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_iface_table_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
