/*
 * filegate (src/segments/flow/filegate.c): flows pass while the gate file exists and are
 * dropped (counted) while it does not; invert turns that round; the file is looked at on start
 * and every interval from tick(). Run as the ctest seg_filegate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_filegate;

#define S 1000000000ull

static uint32_t pass(struct ofd_harness *h, uint32_t n)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	ofd_harness_process(h, b);
	return ofd_batch_live_count(b);
}

static struct ofd_harness *open_gate(const char *more)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", st_path("gate"), more);
	return st_open(&ofd_seg_filegate, cfg);
}

static void test_gate(void **state)
{
	(void)state;
	unlink(st_path("gate"));
	struct ofd_harness *h = open_gate(", interval: 2s");
	ofd_harness_tick(h, 100 * S);
	assert_int_equal(pass(h, 5), 0); /* absent at start: closed */
	st_write(st_path("gate"), "");
	ofd_harness_tick(h, 101 * S); /* not looked at again yet */
	assert_int_equal(pass(h, 3), 0);
	ofd_harness_tick(h, 102 * S);
	assert_int_equal(pass(h, 4), 4); /* open */
	assert_int_equal(unlink(st_path("gate")), 0);
	ofd_harness_tick(h, 104 * S);
	assert_int_equal(pass(h, 2), 0); /* closed again */
	assert_int_equal(ofd_harness_counter(h, "gated"), 10);
	ofd_harness_free(h);
}

static void test_invert(void **state)
{
	(void)state;
	st_write(st_path("gate"), "");
	struct ofd_harness *h = open_gate(", invert: true");
	assert_int_equal(pass(h, 3), 0); /* the stop file exists */
	assert_int_equal(unlink(st_path("gate")), 0);
	ofd_harness_tick(h, 200 * S);
	assert_int_equal(pass(h, 3), 3);
	assert_int_equal(ofd_harness_counter(h, "gated"), 3);
	ofd_harness_free(h);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_filegate, NULL, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "filename"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_filegate, "{filename: x, interval: 1ms}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "segment filegate: key interval: "));
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gate),
	    cmocka_unit_test(test_invert),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
