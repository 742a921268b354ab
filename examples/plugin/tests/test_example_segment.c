/*
 * The example custom segment (examples/plugin/example_segment.c) tested the way a plugin
 * author tests one: its source compiled into the test with the core, run on built records
 * through the segment test harness (include/ofd/harness.h), nothing else of overflowd needed.
 * The module exports its types in ofd_segments[]; the test takes them from there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ofd/harness.h"

extern const struct ofd_segment_type *ofd_segments[];

static struct ofd_harness *open_seg(const char *config)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, ofd_segments[0], config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return h;
}

static void test_sample_every_scaled(void **state)
{
	(void)state;
	assert_string_equal(ofd_segments[0]->name, "sample_every");
	assert_null(ofd_segments[1]);
	struct ofd_harness *h = open_seg("{n: 3, scale: true}");
	/* five flows of 100 bytes, 2 packets: the 1st and 4th are kept, scaled by 3 */
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (int i = 0; i < 5; i++)
		b->flows[i].bytes = 100, b->flows[i].packets = 2;
	b->flows[3].sampling_rate = 100; /* already sampled 1:100: now 1:300 */
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0x9);
	assert_int_equal(b->flows[0].bytes, 300);
	assert_int_equal(b->flows[0].packets, 6);
	assert_int_equal(b->flows[0].sampling_rate, 3);
	assert_true(ofd_flow_has(&b->flows[0], OFD_F_SAMPLING_RATE));
	assert_int_equal(b->flows[3].sampling_rate, 300);
	/* counted across batches, dead records not counted: live 1..3 are the 6th to 8th flows */
	b = ofd_harness_batch(h, 4);
	ofd_batch_kill(b, 0);
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0x4);
	assert_int_equal(ofd_harness_counter(h, "kept"), 3);
	assert_int_equal(ofd_harness_counter(h, "skipped"), 5);
	ofd_harness_free(h);
}

static void test_sample_every_defaults_and_config(void **state)
{
	(void)state;
	struct ofd_harness *h = open_seg(NULL); /* n: 10, scale: false */
	struct ofd_batch *b = ofd_harness_batch(h, 20);
	for (int i = 0; i < 20; i++)
		b->flows[i].bytes = 7;
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 2);
	assert_int_equal(b->flows[10].bytes, 7);
	assert_int_equal(b->flows[10].sampling_rate, 0);
	ofd_harness_free(h);
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, ofd_segments[0], "{n: 0}", err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "test.yml:1: segment sample_every: key n: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_every_scaled),
	    cmocka_unit_test(test_sample_every_defaults_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
