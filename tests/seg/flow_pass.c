/* pass: passes every record on unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_pass;

static void test_pass(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_pass, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
