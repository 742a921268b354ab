/*
 * elephant: keeps the flows at or above a percentile of an aspect (bytes, pps...) over a sliding
 * window of recent flows (wall clock by default, or the flows' own time), bounded in samples,
 * after a ramp-up time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_elephant;

/* h's batch with bytes 1..n in a scrambled order (i * 37 mod n), all at time t seconds. */
static struct ofd_batch *ramp(struct ofd_harness *h, uint32_t n, uint64_t t)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	for (uint32_t i = 0; i < n; i++) {
		b->flows[i].bytes = (i * 37u) % n + 1;
		b->flows[i].packets = 1;
		b->flows[i].time_received_ns = t * 1000000000ull;
	}
	return b;
}

/* The sorted bytes of the live records, as "a b c". */
static char *kept_bytes(const struct ofd_batch *b, char *out, size_t cap)
{
	uint8_t seen[1024] = {0};
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && b->flows[i].bytes < sizeof(seen))
			seen[b->flows[i].bytes] = 1;
	size_t n = 0;
	out[0] = 0;
	for (unsigned v = 0; v < sizeof(seen); v++)
		if (seen[v])
			n += (size_t)snprintf(out + n, cap - n, "%s%u", n ? " " : "", v);
	return out;
}

static void test_elephant_percentiles(void **state)
{
	(void)state;
	char buf[4096];
	struct ofd_harness *h = st_open(&ofd_seg_elephant, NULL); /* bytes, 99th percentile */
	struct ofd_batch *b = ramp(h, 100, 1000);
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "99 100"); /* >= the 99th, as flowpipeline */
	ofd_harness_free(h);

	h = st_open(&ofd_seg_elephant, "{percentile: 90, clock: flow, window: 60}");
	b = ramp(h, 100, 1000);
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "90 91 92 93 94 95 96 97 98 99 100");
	/* a second batch in the same window: 200 samples now, threshold the 180th = 90 again */
	b = ramp(h, 100, 1010);
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "90 91 92 93 94 95 96 97 98 99 100");
	/* 70 s later the first two batches left the 60 s window: only 1..10 count */
	b = ramp(h, 10, 1080);
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "9 10");
	ofd_harness_free(h);

	/* the default clock is the wall's: flows stamped a day apart are in one 300 s window */
	h = st_open(&ofd_seg_elephant, "{percentile: 90}");
	b = ramp(h, 100, 1000);
	ofd_harness_process(h, b);
	b = ramp(h, 10, 1000 + 86400);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 0); /* 1..10 are below the 90th of 110 samples */
	ofd_harness_free(h);

	/* percentile 0: everything (at least the smallest) */
	h = st_open(&ofd_seg_elephant, "{percentile: 0}");
	b = ramp(h, 100, 5);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 100);
	ofd_harness_free(h);
}

static void test_elephant_aspects_and_bounds(void **state)
{
	(void)state;
	char buf[4096];
	/* pps: packets over the duration (at least 1 s) */
	struct ofd_harness *h = st_open(&ofd_seg_elephant, "{aspect: pps, percentile: 50}");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	const uint64_t t0 = 1000000000000ull;
	for (int i = 0; i < 4; i++) {
		b->flows[i].time_flow_start_ns = t0;
		b->flows[i].bytes = (uint64_t)i + 1; /* labels */
	}
	b->flows[0].packets = 100, b->flows[0].time_flow_end_ns = t0 + 100000000000ull; /* 1 pps */
	b->flows[1].packets = 50, b->flows[1].time_flow_end_ns = t0 + 500000000ull;	/* 50 pps */
	b->flows[2].packets = 30, b->flows[2].time_flow_end_ns = t0 + 10000000000ull;	/* 3 pps */
	b->flows[3].packets = 20, b->flows[3].time_flow_end_ns = t0 + 1000000000ull;	/* 20 pps */
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "2 3 4"); /* >= 3 pps, the median */
	ofd_harness_free(h);

	/* samples bound the memory: only the most recent 16 flows count */
	h = st_open(&ofd_seg_elephant, "{samples: 16, percentile: 50}");
	b = ramp(h, 100, 1);
	ofd_harness_process(h, b);
	/* the last 16 flows of ramp(100) (i = 84..99) have bytes 5 9 16 20 27 31 42 46 53 57 64 68 79 83 90
	   94: the 8th is 46, and 55 of the batch's 1..100 are at or above it */
	assert_int_equal(ofd_batch_live_count(b), 55);
	ofd_harness_free(h);

	/* ramp-up: everything dropped for 30 s of flow time after the first flow */
	h = st_open(&ofd_seg_elephant, "{percentile: 0, rampuptime: 30s, clock: flow}");
	b = ramp(h, 10, 100);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	b = ramp(h, 10, 131);
	ofd_harness_process(h, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "1 2 3 4 5 6 7 8 9 10");
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elephant_percentiles),
	    cmocka_unit_test(test_elephant_aspects_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
