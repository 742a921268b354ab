/*
 * delay_monitoring (src/segments/analyze/delay_monitoring.c): which records are sampled, the
 * moving averages of their age, records without times, and the config. The segment reads the
 * wall clock, so ages are set relative to it and checked to the millisecond plus the test's own
 * run time (a bound of 200 ms). Run as the ctest seg_delay_monitoring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_delay_monitoring;

#define MS 1000000ull

/* v is want, or at most 200 ms more (the time between setting the records up and process()). */
static void assert_about(uint64_t v, uint64_t want)
{
	if (v < want || v > want + 200)
		fail_msg("%llu ms, want %llu ms", (unsigned long long)v, (unsigned long long)want);
}

static void test_sampling_and_averages(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_delay_monitoring, "{samplingRate: 2, alpha: 0.5}");
	struct ofd_batch *b = ofd_harness_batch(h, 6);
	uint64_t now = ofd_time_now_ns();
	/* sampled: 0, 3, 5 (the dropped record 1 does not count); the others are a day old */
	static const uint64_t end_age[6] = {10000, 0, 86400000, 20000, 86400000, 30000};
	static const uint64_t recv_age[6] = {1000, 0, 86400000, 2000, 86400000, 4000};
	for (int i = 0; i < 6; i++) {
		b->flows[i].time_flow_end_ns = now - end_age[i] * MS;
		b->flows[i].time_received_ns = now - recv_age[i] * MS;
	}
	ofd_batch_kill(b, 1);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 5);
	assert_int_equal(b->flows[5].time_flow_end_ns, now - 30000 * MS); /* unchanged */
	assert_int_equal(ofd_harness_metric(h, "delay_monitoring_samples", NULL), 3);
	/* 10000, then (20000 + 10000) / 2, then (30000 + 15000) / 2 */
	assert_about(ofd_harness_metric(h, "delay_monitoring_total_delay_ms", NULL), 22500);
	/* 1000, 1500, 2750 */
	assert_about(ofd_harness_metric(h, "delay_monitoring_processing_delay_ms", NULL), 2750);
	assert_int_equal(ofd_harness_counter(h, "missing_time"), 0);

	/* the next sample is the second record of the next batch */
	b = ofd_harness_batch(h, 2);
	now = ofd_time_now_ns();
	b->flows[0].time_flow_end_ns = now - 86400000 * MS;
	b->flows[0].time_received_ns = now - 86400000 * MS;
	b->flows[1].time_flow_end_ns = now - 2500 * MS;
	b->flows[1].time_received_ns = now + 60000 * MS; /* in the future: 0 */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_metric(h, "delay_monitoring_samples", NULL), 4);
	assert_about(ofd_harness_metric(h, "delay_monitoring_total_delay_ms", NULL), 12500);
	assert_about(ofd_harness_metric(h, "delay_monitoring_processing_delay_ms", NULL), 1375);
	ofd_harness_free(h);
}

static void test_missing_times(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_delay_monitoring, "{samplingRate: 1, alpha: 1}");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	uint64_t now = ofd_time_now_ns();
	b->flows[0].time_flow_end_ns = now - 5000 * MS;
	b->flows[0].time_received_ns = now - 3000 * MS;
	b->flows[1].time_received_ns = now - 7000 * MS; /* no end: the total average stays */
	b->flows[2].time_flow_end_ns = now - 9000 * MS; /* no received time */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_metric(h, "delay_monitoring_samples", NULL), 3);
	assert_int_equal(ofd_harness_counter(h, "missing_time"), 2);
	assert_about(ofd_harness_metric(h, "delay_monitoring_total_delay_ms", NULL), 9000);
	assert_about(ofd_harness_metric(h, "delay_monitoring_processing_delay_ms", NULL), 7000);
	ofd_harness_free(h);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_delay_monitoring, "{samplingRate: 0}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "segment delay_monitoring: key samplingRate: "));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_delay_monitoring, "{alpha: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "key alpha: "));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_delay_monitoring, "{alpha: 1.5}", err, sizeof(err)),
			 OFD_ECONFIG);
	/* flowpipeline's endpoint loads (with a warning); the defaults sample the first record */
	h = st_open(&ofd_seg_delay_monitoring, "{endpoint: \":8080\"}");
	for (int k = 0; k < 2; k++) { /* 1000 records in two batches */
		struct ofd_batch *b = ofd_harness_batch(h, 500);
		uint64_t now = ofd_time_now_ns();
		for (int i = 0; i < 500; i++) {
			b->flows[i].time_flow_end_ns = now - 4000 * MS;
			b->flows[i].time_received_ns = now - 1000 * MS;
		}
		ofd_harness_process(h, b);
	}
	assert_int_equal(ofd_harness_metric(h, "delay_monitoring_samples", NULL), 1);
	assert_about(ofd_harness_metric(h, "delay_monitoring_total_delay_ms", NULL), 4000);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	ofd_harness_process(h, b); /* the 1001st: the second sample (no times: counted) */
	assert_int_equal(ofd_harness_metric(h, "delay_monitoring_samples", NULL), 2);
	assert_int_equal(ofd_harness_counter(h, "missing_time"), 1);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sampling_and_averages),
	    cmocka_unit_test(test_missing_times),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
