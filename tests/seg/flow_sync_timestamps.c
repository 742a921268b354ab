/* sync_timestamps: fills in missing flow start/end and received times from the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_sync_timestamps;

static void test_sync_timestamps(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_sync_timestamps, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	b->flows[0].time_flow_end_ns = 50, b->flows[0].time_received_ns = 60;	/* start from end */
	b->flows[1].time_flow_start_ns = 40, b->flows[1].time_received_ns = 60; /* end from start */
	b->flows[2].time_received_ns = 70;					/* both from received */
	b->flows[3].time_flow_start_ns = 10, b->flows[3].time_flow_end_ns = 20; /* received from end */
	b->flows[4].time_flow_start_ns = 1, b->flows[4].time_flow_end_ns = 2,
	b->flows[4].time_received_ns = 3;
	ofd_harness_process(h, b);
	const uint64_t want[5][3] = {{50, 50, 60}, {40, 40, 60}, {70, 70, 70}, {10, 20, 20}, {1, 2, 3}};
	const uint64_t bits[5] = {OFD_W0(OFD_F_TIME_FLOW_START), OFD_W0(OFD_F_TIME_FLOW_END),
				  OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END),
				  OFD_W0(OFD_F_TIME_RECEIVED), 0};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b->flows[i].time_flow_start_ns, want[i][0]);
		assert_int_equal(b->flows[i].time_flow_end_ns, want[i][1]);
		assert_int_equal(b->flows[i].time_received_ns, want[i][2]);
		assert_int_equal(b->flows[i].present.w[0], bits[i]);
		for (unsigned w = 1; w < OFD_FIELDSET_WORDS; w++)
			assert_int_equal(b->flows[i].present.w[w], 0);
	}
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_timestamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
