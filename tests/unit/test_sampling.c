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
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000100u
#define UPTIME	 3600000u
#define RECV_NS	 1700000101000000000ull
#define SRC4	 0xc0000281u

static struct gv_sink sink;

static struct ofd_decoder *new_decoder(void)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	sink.n = 0;
	return d;
}

static int dec(struct ofd_decoder *d, struct gv_msg *m)
{
	size_t len = gv_end(m);
	int n = gv_decode(d, m->g.p, len, SRC4, 4739, RECV_NS, &sink);
	gv_free(m);
	return n;
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
	struct ofd_decoder *d = new_decoder();
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
	struct ofd_decoder *d = new_decoder();
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iosxr_n_of_n),
	    cmocka_unit_test(test_systematic),
	    cmocka_unit_test(test_probabilistic),
	    cmocka_unit_test(test_interval_algorithm),
	    cmocka_unit_test(test_v9),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
