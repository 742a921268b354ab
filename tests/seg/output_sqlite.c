/*
 * sqlite (src/segments/output/sqlite.c) on records built here, through the segment test
 * harness (include/ofd/harness.h): its config, what process() does to a batch, its counter,
 * its metric families and tick(). Run as the ctest seg_sqlite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ofd/harness.h"

extern const struct ofd_segment_type ofd_seg_sqlite;

/* An instance with config, or fail with the harness's error. */
static struct ofd_harness *open_seg(const char *config)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, &ofd_seg_sqlite, config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return h;
}

static void test_sqlite_process(void **state)
{
	(void)state;
	struct ofd_harness *h = open_seg("{min_bytes: 1500}");
	/* four records of 100, 1500, 9000 and 2000 bytes; the last one already dropped */
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	const uint64_t bytes[4] = {100, 1500, 9000, 2000};
	for (int i = 0; i < 4; i++) {
		b->flows[i].bytes = bytes[i];
		ofd_flow_set(&b->flows[i], OFD_F_BYTES);
	}
	ofd_batch_kill(b, 3);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 3); /* passed on */
	assert_int_equal(b->flows[2].bytes, 9000);    /* unchanged */
	assert_int_equal(ofd_harness_counter(h, "large"), 2);
	assert_int_equal(ofd_harness_metric(h, "sqlite_bytes_total", "small"), 100);
	assert_int_equal(ofd_harness_metric(h, "sqlite_bytes_total", "large"), 10500);
	assert_int_equal(ofd_harness_metric(h, "sqlite_bytes_total", NULL), 10600);
	ofd_harness_free(h);
}

static void test_sqlite_window(void **state)
{
	(void)state;
	const uint64_t s = 1000000000ull; /* one second in ns */
	struct ofd_harness *h = open_seg("{min_bytes: 10, window: 5s}");
	ofd_harness_tick(h, 100 * s); /* the first window starts */
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (int i = 0; i < 3; i++)
		b->flows[i].bytes = 10;
	ofd_harness_process(h, b);
	ofd_harness_tick(h, 104 * s); /* not a whole window yet */
	assert_int_equal(ofd_harness_metric(h, "sqlite_large_recent", NULL), 0);
	ofd_harness_tick(h, 105 * s);
	assert_int_equal(ofd_harness_metric(h, "sqlite_large_recent", NULL), 3);
	ofd_harness_tick(h, 110 * s); /* a window without records */
	assert_int_equal(ofd_harness_metric(h, "sqlite_large_recent", NULL), 0);
	assert_int_equal(ofd_harness_counter(h, "large"), 3);
	ofd_harness_free(h);
}

static void test_sqlite_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	/* keys are checked against the config map: bounds, types, unknown keys */
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, "{min_bytes: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "segment sqlite: key min_bytes: "));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_sqlite, "{min_bytes: 1, no_such_key: 1}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "no_such_key"));
	/* the defaults */
	h = open_seg(NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	b->flows[0].bytes = 999;
	b->flows[1].bytes = 1000;
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "large"), 1);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sqlite_process),
	    cmocka_unit_test(test_sqlite_window),
	    cmocka_unit_test(test_sqlite_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
