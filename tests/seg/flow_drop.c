/* drop: drops every record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_drop;

static void test_drop(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_drop, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
