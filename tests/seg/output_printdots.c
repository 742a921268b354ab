/*
 * printdots (src/segments/output/printdots.c): a dot on standard output per flowsperdot flows,
 * carried over between batches; flows passed on; flowsperdot 0 is a dot per flow. Standard
 * output is pointed at a file for the test. Run as the ctest seg_printdots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_printdots;

/* Run batches of the given sizes (with `dead` records killed in each) through printdots with
   config; what it wrote to standard output. */
static char *dots(const char *config, const uint32_t *sizes, size_t nb, uint32_t dead)
{
	int saved = dup(STDOUT_FILENO);
	int fd = open(st_path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	close(fd);
	struct ofd_harness *h = st_open(&ofd_seg_printdots, config);
	for (size_t i = 0; i < nb; i++) {
		struct ofd_batch *b = ofd_harness_batch(h, sizes[i]);
		for (uint32_t k = 0; k < dead && k < sizes[i]; k++)
			ofd_batch_kill(b, k);
		ofd_harness_process(h, b);
		assert_int_equal(ofd_batch_live_count(b), sizes[i] - (dead < sizes[i] ? dead : sizes[i]));
	}
	assert_int_equal(ofd_harness_counter(h, "write_errors"), 0);
	ofd_harness_free(h);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	return st_slurp(st_path("out"), NULL);
}

static void test_printdots(void **state)
{
	(void)state;
	const uint32_t sizes[] = {4, 3, 512, 1};
	char *s = dots("{flowsperdot: 5}", sizes, 4, 0); /* 520 flows: 104 dots */
	assert_int_equal(strlen(s), 104);
	assert_int_equal(strspn(s, "."), 104);
	free(s);
	s = dots("{flowsperdot: 3}", sizes, 2, 0); /* 7 flows: 2 dots, one carried */
	assert_string_equal(s, "..");
	free(s);
	s = dots("{flowsperdot: 2}", sizes, 2, 1); /* dropped records do not count: 5 flows */
	assert_string_equal(s, "..");
	free(s);
	s = dots("{flowsperdot: 0}", sizes, 2, 0); /* a dot per flow */
	assert_string_equal(s, ".......");
	free(s);
	s = dots(NULL, sizes, 3, 0); /* the default, 5000: none yet */
	assert_string_equal(s, "");
	free(s);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_printdots, "{flowsperdot: -1}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "segment printdots: key flowsperdot: "));
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_printdots),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
