/* count: totals of the live records (flows, packets, bytes), one line at the end, appended;
   with `stdout: true` flowpipeline's bare PREFIX<flows> line on standard output too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_count;

/* h's batch of 5 sample flows, flow i with bytes 1000 + i; flow 1 not live. */
static struct ofd_batch *samples(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (uint32_t i = 0; i < 5; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].bytes = 1000 + i;
	}
	ofd_batch_kill(b, 1);
	return b;
}

static void test_count(void **state)
{
	(void)state;
	char cfg[600];
	/* 4 live: bytes 1000 1002 1003 1004, 10 packets each */
	snprintf(cfg, sizeof(cfg), "{filename: %s, prefix: 'pre-filter: '}", st_path("count.txt"));
	struct ofd_harness *h = st_open(&ofd_seg_count, cfg);
	ofd_harness_process(h, samples(h));
	struct ofd_batch *b = samples(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 4); /* outputs pass everything on */
	ofd_harness_free(h);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("count.txt")); /* appends */
	h = st_open(&ofd_seg_count, cfg);
	ofd_harness_process(h, samples(h));
	ofd_harness_free(h);
	char *s = st_slurp(st_path("count.txt"), NULL);
	assert_string_equal(s,
			    "pre-filter: 8 flows, 80 packets, 8018 bytes\n4 flows, 40 packets, 4009 bytes\n");
	free(s);
}

/* stdout: true: flowpipeline's line, PREFIX<flows>, on standard output (the totals still in the file) */
static void test_count_stdout(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s, prefix: 'post-filter: ', stdout: true}",
		 st_path("count2.txt"));
	int fd = open(st_path("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(STDOUT_FILENO);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	struct ofd_harness *h = st_open(&ofd_seg_count, cfg);
	ofd_harness_process(h, samples(h));
	ofd_harness_process(h, samples(h));
	ofd_harness_free(h);
	h = st_open(&ofd_seg_count, "{prefix: 'not: '}"); /* not by default */
	ofd_harness_process(h, samples(h));
	ofd_harness_free(h);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(fd);
	char *s = st_slurp(st_path("stdout.txt"), NULL);
	assert_string_equal(s, "post-filter: 8\n");
	free(s);
	s = st_slurp(st_path("count2.txt"), NULL);
	assert_string_equal(s, "post-filter: 8 flows, 80 packets, 8018 bytes\n");
	free(s);
}

static void test_count_symlink(void **state)
{
	(void)state;
	st_assert_symlink_refused(&ofd_seg_count, "");
}

/* follow_symlinks: true appends through a link */
static void test_count_follow(void **state)
{
	(void)state;
	char cfg[700];
	st_write(st_path("target.txt"), "first line\n");
	assert_int_equal(symlink(st_path("target.txt"), st_path("count-link")), 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s, follow_symlinks: true}", st_path("count-link"));
	struct ofd_harness *h = st_open(&ofd_seg_count, cfg);
	ofd_harness_process(h, samples(h));
	ofd_harness_free(h);
	char *s = st_slurp(st_path("target.txt"), NULL);
	assert_string_equal(s, "first line\n4 flows, 40 packets, 4009 bytes\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_symlink),
	    cmocka_unit_test(test_count_follow),
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_count_stdout),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
