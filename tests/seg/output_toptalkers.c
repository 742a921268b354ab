/*
 * toptalkers (src/segments/output/toptalkers.c) on records built here: the report's form and
 * figures (go-humanize SI units), the sliding window, topn, thresholds, logprefix, the final
 * report at the end, eviction from a full table, the config. Reports go to a file in a scratch
 * directory; time is driven by tick(). Run as the ctest seg_toptalkers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_toptalkers;

#define S    1000000000ull
#define RULE "==================================================================="

static struct ofd_harness *open_tt(const char *more)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", st_path("report"), more);
	return st_open(&ofd_seg_toptalkers, cfg);
}

/* n flows to IPv4 dst (a.b.c.d as a u32), each of bytes and packets. */
static void feed(struct ofd_harness *h, uint32_t dst, uint32_t n, uint64_t bytes, uint64_t packets)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	for (uint32_t i = 0; i < n; i++) {
		ofd_ip_set4u(&b->flows[i].dst_addr, dst);
		b->flows[i].bytes = bytes;
		b->flows[i].packets = packets;
	}
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), n); /* passed on */
}

static char *report(void)
{
	return st_slurp(st_path("report"), NULL);
}

static void test_report_form_and_figures(void **state)
{
	(void)state;
	struct ofd_harness *h = open_tt(", window: 10, reportinterval: 5");
	ofd_harness_tick(h, 1000 * S);
	/* 193.192.168.5: 655,307,200 bytes in 10 s -> 524.24576 Mbps; 3,508,800 packets -> 350.88 kpps */
	feed(h, 0xc1c0a805, 400, 1638268, 8772);
	feed(h, 0x0a000001, 1, 1250, 1); /* 1 kbps, 100 mpps */
	feed(h, 0x0a000002, 2, 0, 0);	 /* no bytes: no line */
	ofd_harness_tick(h, 1004 * S);	 /* not yet */
	char *r = report();
	assert_string_equal(r, "");
	free(r);
	ofd_harness_tick(h, 1005 * S);
	r = report();
	assert_string_equal(r, RULE
			    "\n193.192.168.5: 524.24576 Mbps, 350.88 kpps\n10.0.0.1: 1 kbps, 100 mpps\n");
	free(r);
	ofd_harness_free(h); /* no flows since the report: no final report */
	r = report();
	assert_string_equal(r, RULE
			    "\n193.192.168.5: 524.24576 Mbps, 350.88 kpps\n10.0.0.1: 1 kbps, 100 mpps\n");
	free(r);
}

static void test_window_slides(void **state)
{
	(void)state;
	struct ofd_harness *h = open_tt(", window: 4, reportinterval: 1");
	ofd_harness_tick(h, 2000 * S);
	feed(h, 0x0a000001, 1, 4000, 4); /* second 2000 */
	ofd_harness_tick(h, 2002 * S);	 /* report: 4000 * 8 / 4 */
	feed(h, 0x0a000001, 1, 8000, 8); /* second 2002 */
	ofd_harness_tick(h, 2003 * S);	 /* report: both in the window: 12000 * 8 / 4 */
	ofd_harness_tick(h, 2004 * S);	 /* the first fell out: 8000 * 8 / 4 */
	ofd_harness_tick(h, 2006 * S);	 /* the second too: an empty report, the talker forgotten */
	char *r = report();
	assert_string_equal(r, RULE "\n10.0.0.1: 8 kbps, 1 pps\n" RULE "\n10.0.0.1: 24 kbps, 3 pps\n" RULE
				    "\n10.0.0.1: 16 kbps, 2 pps\n" RULE "\n");
	free(r);
	ofd_harness_free(h);
}

static void test_topn_thresholds_prefix_ties(void **state)
{
	(void)state;
	struct ofd_harness *h = open_tt(", window: 1, reportinterval: 1, topn: 3, logprefix: \"tt> \", "
					"thresholdbps: 800, thresholdpps: 2");
	ofd_harness_tick(h, 3000 * S);
	feed(h, 0x0a000005, 1, 1000, 1); /* 8 kbps but 1 pps: under thresholdpps, skipped */
	feed(h, 0x0a000004, 1, 500, 5);	 /* 4 kbps */
	feed(h, 0x0a000003, 1, 500, 5);	 /* a tie: the lower address first */
	feed(h, 0x0a000002, 1, 600, 3);	 /* 4.8 kbps */
	feed(h, 0x0a000001, 1, 99, 9);	 /* 792 bps: under thresholdbps */
	feed(h, 0x0a000006, 1, 100, 9);	 /* 800 bps: at the threshold, listed but beyond topn */
	ofd_harness_free(h);		 /* the final report */
	char *r = report();
	assert_string_equal(r, "tt> " RULE "\ntt> 10.0.0.2: 4.8 kbps, 3 pps\ntt> 10.0.0.3: 4 kbps, 5 pps\n"
			       "tt> 10.0.0.4: 4 kbps, 5 pps\n");
	free(r);
}

static void test_ipv6_and_no_address(void **state)
{
	(void)state;
	struct ofd_harness *h = open_tt(", window: 2");
	ofd_harness_tick(h, 4000 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	ofd_ip_set6(&b->flows[0].dst_addr, v6);
	b->flows[0].bytes = 3000000;
	b->flows[0].packets = 2000;
	b->flows[1].bytes = 1; /* no destination address */
	b->flows[1].packets = 1;
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	char *r = report();
	assert_string_equal(r, RULE "\n2001:db8::1: 12 Mbps, 1 kpps\ninvalid IP: 4 bps, 500 mpps\n");
	free(r);
}

static void test_eviction(void **state)
{
	(void)state;
	/* 8 talkers fit at least (one set, two choices of it); 64 addresses must evict */
	struct ofd_harness *h = open_tt(", maxtalkers: 8, window: 1, topn: 1");
	ofd_harness_tick(h, 5000 * S);
	feed(h, 0xc0000201, 1, 1000000, 1000); /* the big one stays: evictions take the smallest */
	for (uint32_t i = 0; i < 64; i++)
		feed(h, 0x0a000000 + i, 1, 10 + i, 1);
	assert_int_equal(ofd_harness_counter(h, "evicted"), 64 - 7);
	ofd_harness_free(h);
	char *r = report();
	assert_string_equal(r, RULE "\n192.0.2.1: 8 Mbps, 1 kpps\n");
	free(r);
}

/* Within one batch: a talker evicted after its candidate way was found is counted anew, and
   repeats of a new address find the slot made for the first. */
static void test_eviction_within_a_batch(void **state)
{
	(void)state;
	struct ofd_harness *h = open_tt(", maxtalkers: 8, window: 1, topn: 8");
	ofd_harness_tick(h, 6000 * S);
	feed(h, 0x0a090909, 1, 1, 1); /* B: the smallest, evicted first */
	struct ofd_batch *b = ofd_harness_batch(h, 19);
	for (uint32_t i = 0; i < 16; i++) {
		ofd_ip_set4u(&b->flows[i].dst_addr, 0xc6336400 + i); /* 198.51.100.i */
		b->flows[i].bytes = 1000 + i;
		b->flows[i].packets = 1;
	}
	ofd_ip_set4u(&b->flows[16].dst_addr, 0xc633640f); /* 198.51.100.15 again */
	b->flows[16].bytes = 1000;
	b->flows[16].packets = 1;
	ofd_ip_set4u(&b->flows[17].dst_addr, 0x0a090909); /* B again: its old way is gone */
	b->flows[17].bytes = 5;
	b->flows[17].packets = 1;
	ofd_ip_set4u(&b->flows[18].dst_addr, 0x0a090909);
	b->flows[18].bytes = 5;
	b->flows[18].packets = 1;
	ofd_harness_process(h, b);
	/* 7 ways were free; 9 more new addresses and B's return evict 10 */
	assert_int_equal(ofd_harness_counter(h, "evicted"), 10);
	ofd_harness_free(h);
	char *r = report();
	assert_string_equal(r, RULE "\n198.51.100.15: 16.12 kbps, 2 pps\n198.51.100.14: 8.112 kbps, 1 pps\n"
				    "198.51.100.13: 8.104 kbps, 1 pps\n198.51.100.12: 8.096 kbps, 1 pps\n"
				    "198.51.100.11: 8.088 kbps, 1 pps\n198.51.100.10: 8.08 kbps, 1 pps\n"
				    "198.51.100.9: 8.072 kbps, 1 pps\n10.9.9.9: 80 bps, 2 pps\n");
	free(r);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers, "{window: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "segment toptalkers: key window: "));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers, "{window: 1500ms}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "whole seconds"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers, "{topn: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers, "{reportintervall: 5}", err, sizeof(err)),
			 OFD_ECONFIG);
	/* 16M talkers of 60 buckets need 16 GiB and their tags: refused before any allocation */
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers, "{maxtalkers: 16777216}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "maxtalkers 16777216 with 60 buckets may take 17246978048 bytes, over "
				    "maxmemory 1073741824"));
	/* 600,000 fit in 1G (about 0.6 GiB) */
	h = st_open(&ofd_seg_toptalkers, "{maxtalkers: 600000}");
	ofd_harness_free(h);
	h = NULL;
	h = st_open(&ofd_seg_toptalkers, "{maxtalkers: 100000, maxmemory: 256M}");
	ofd_harness_free(h);
	h = NULL;
	assert_null(h);
	/* defaults: window 60 s, reports every 10 s, to standard output (nothing seen: nothing printed) */
	h = st_open(&ofd_seg_toptalkers, "{window: 5m}");
	ofd_harness_free(h);
	st_assert_symlink_refused(&ofd_seg_toptalkers, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_form_and_figures),
	    cmocka_unit_test(test_window_slides),
	    cmocka_unit_test(test_topn_thresholds_prefix_ties),
	    cmocka_unit_test(test_ipv6_and_no_address),
	    cmocka_unit_test(test_eviction),
	    cmocka_unit_test(test_eviction_within_a_batch),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
