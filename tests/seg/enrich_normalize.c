/*
 * normalize (src/segments/enrich/normalize.c): counts times the sampling rate, the fallback,
 * flows without a rate, flows already normalized (not multiplied twice), saturation; and the
 * segments after it: the tracer's odds (rate x packets) and toptalkers' figures see the
 * normalized counts, with nothing multiplied twice. Run as the ctest seg_normalize.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_normalize;
#ifdef OFD_HAVE_SEGMENT_TRACER
extern const struct ofd_segment_type ofd_seg_tracer;
#endif
#ifdef OFD_HAVE_SEGMENT_TOPTALKERS
extern const struct ofd_segment_type ofd_seg_toptalkers;
#endif

static void test_rates(void **state)
{
	(void)state;
	for (int fb = 0; fb < 2; fb++) {
		struct ofd_harness *h = st_open(&ofd_seg_normalize, fb ? "{fallback: 1000}" : NULL);
		struct ofd_batch *b = ofd_harness_batch(h, 5);
		struct ofd_flow *f = b->flows;
		f[0].bytes = 1500, f[0].packets = 3, f[0].sampling_rate = 100;
		f[1].bytes = 40, f[1].packets = 1; /* no rate */
		f[2].bytes = 64, f[2].packets = 1, f[2].sampling_rate = 1;
		f[3].bytes = 500, f[3].packets = 5, f[3].sampling_rate = 10; /* normalized before */
		f[3].normalized = 1, ofd_flow_set(&f[3], OFD_F_NORMALIZED);
		f[4].bytes = UINT64_MAX / 2, f[4].packets = 7, f[4].sampling_rate = 4; /* too big */
		ofd_harness_process(h, b);
		assert_int_equal(f[0].bytes, 150000), assert_int_equal(f[0].packets, 300);
		assert_int_equal(f[0].sampling_rate, 100), assert_int_equal(f[0].normalized, 1);
		assert_true(ofd_flow_has(&f[0], OFD_F_NORMALIZED));
		if (fb) {
			assert_int_equal(f[1].bytes, 40000), assert_int_equal(f[1].packets, 1000);
			assert_int_equal(f[1].sampling_rate, 1000), assert_int_equal(f[1].normalized, 1);
		} else {
			assert_int_equal(f[1].bytes, 40), assert_int_equal(f[1].packets, 1);
			assert_int_equal(f[1].sampling_rate, 0), assert_int_equal(f[1].normalized, 0);
			assert_false(ofd_flow_has(&f[1], OFD_F_NORMALIZED));
		}
		assert_int_equal(f[2].bytes, 64), assert_int_equal(f[2].normalized, 1);
		assert_int_equal(f[3].bytes, 500), assert_int_equal(f[3].packets, 5); /* not twice */
		assert_true(f[4].bytes == UINT64_MAX), assert_int_equal(f[4].packets, 28);
		assert_int_equal(ofd_harness_counter(h, "nosamplingrate"), fb ? 0 : 1);
		assert_int_equal(ofd_harness_counter(h, "already"), 1);
		assert_int_equal(ofd_harness_counter(h, "saturated"), 1);
		assert_int_equal(ofd_batch_live_count(b), 5);
		/* a second normalize leaves it all as it is */
		uint64_t bytes0 = f[0].bytes;
		ofd_harness_process(h, b);
		assert_true(f[0].bytes == bytes0);
		ofd_harness_free(h);
	}
	struct ofd_harness *h = NULL;
	char err[512];
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_normalize, "{fallback: -1}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_normalize, "{fallback: 4294967296}", err, sizeof(err)),
			 OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment normalize: key fallback");
}

#ifdef OFD_HAVE_SEGMENT_TRACER
/*
 * The tracer picks a flow with odds min(1, rate x packets), its packets scaled by the sampling
 * rate unless already normalized. 4000 local flows of 1 sampled packet at 1:1000, rate 1e-4:
 * odds 0.1 whether normalize ran first or the tracer scales itself; scaled twice they would
 * be 1 (every flow). Seeded, so the count is exact; it must be the same both ways.
 */
static uint64_t tracer_selected(int with_normalize)
{
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{rate: 1e-4, seed: 7, key: '%s', send: []}", st_path("signing.key"));
	struct ofd_harness *n = st_open(&ofd_seg_normalize, NULL);
	struct ofd_harness *t = st_open(&ofd_seg_tracer, cfg);
	for (int k = 0; k < 8; k++) {
		struct ofd_batch *b = ofd_harness_batch(n, 500);
		for (uint32_t i = 0; i < b->n; i++) {
			struct ofd_flow *f = &b->flows[i];
			f->origin = OFD_ORIGIN_LOCAL;
			ofd_ip_set4u(&f->src_addr, 0xc0000200 + i % 200);
			ofd_ip_set4u(&f->dst_addr, 0xc6336400 + k);
			f->packets = 1, f->bytes = 60, f->sampling_rate = 1000;
		}
		if (with_normalize) {
			ofd_harness_process(n, b);
			assert_int_equal(b->flows[0].packets, 1000);
		}
		ofd_harness_process(t, b);
		assert_int_equal(ofd_batch_live_count(b), 500);
	}
	uint64_t sel = ofd_harness_counter(t, "selected");
	ofd_harness_free(t);
	ofd_harness_free(n);
	return sel;
}

static void test_tracer_after(void **state)
{
	(void)state;
	uint64_t raw = tracer_selected(0), norm = tracer_selected(1);
	print_message("tracer: %llu selected without normalize, %llu after it (of 4000, odds 0.1)\n",
		      (unsigned long long)raw, (unsigned long long)norm);
	assert_true(raw == norm);
	assert_true(norm > 250 && norm < 550); /* 400 expected; twice scaled: 4000 */
}
#endif

#ifdef OFD_HAVE_SEGMENT_TOPTALKERS
/* toptalkers sums what it is given: after normalize, the normalized bytes and packets. */
static void test_toptalkers_after(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s, window: 10, reportinterval: 5}", st_path("report"));
	struct ofd_harness *n = st_open(&ofd_seg_normalize, "{fallback: 10}");
	struct ofd_harness *t = st_open(&ofd_seg_toptalkers, cfg);
	const uint64_t S = 1000000000ull;
	ofd_harness_tick(t, 1000 * S);
	struct ofd_batch *b = ofd_harness_batch(n, 3);
	for (uint32_t i = 0; i < 3; i++) {
		ofd_ip_set4u(&b->flows[i].dst_addr, 0x0a000001);
		b->flows[i].bytes = 1000, b->flows[i].packets = 2;
	}
	b->flows[0].sampling_rate = 100; /* 100000 bytes, 200 packets */
	b->flows[1].sampling_rate = 1;	 /* 1000, 2 */
	/* [2]: the fallback 10: 10000, 20 */
	ofd_harness_process(n, b);
	ofd_harness_process(n, b); /* twice: multiplied once */
	ofd_harness_process(t, b);
	ofd_harness_tick(t, 1005 * S);
	char *r = st_slurp(st_path("report"), NULL);
	/* 111000 bytes * 8 / 10 s = 88.8 kbps; 222 packets / 10 s = 22.2 pps */
	assert_string_equal(r, "===================================================================\n"
			       "10.0.0.1: 88.8 kbps, 22.2 pps\n");
	free(r);
	ofd_harness_free(t);
	ofd_harness_free(n);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rates),
#ifdef OFD_HAVE_SEGMENT_TRACER
	    cmocka_unit_test(test_tracer_after),
#endif
#ifdef OFD_HAVE_SEGMENT_TOPTALKERS
	    cmocka_unit_test(test_toptalkers_after),
#endif
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
