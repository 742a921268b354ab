/*
 * replay (src/segments/input/replay.c) through the segment test harness
 * (include/ofd/harness.h): the input runs in a real pipeline whose sink hands every batch to
 * the test; its records, counter and metric family, and its config. Run as the ctest
 * seg_replay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "ofd/harness.h"

extern const struct ofd_segment_type ofd_seg_replay;

/* What the sink handed over (on the pipeline's thread: under a lock). */
struct seen {
	pthread_mutex_t mu;
	uint64_t records, bytes, batches;
};

static void on_batch(void *ctx, const struct ofd_batch *b)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->mu);
	s->batches++;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i)) {
			s->records++;
			s->bytes += b->flows[i].bytes;
		}
	pthread_mutex_unlock(&s->mu);
}

/* Run the input with config to its end; what it produced into *s. */
static struct ofd_harness *run(const char *config, struct seen *s)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, &ofd_seg_replay, config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(ofd_harness_start(h, on_batch, s), 0);
	while (!ofd_harness_wait(h, 1000))
		;
	assert_int_equal(ofd_harness_stop(h), 0); /* start()'s result */
	return h;
}

static void test_replay_records(void **state)
{
	(void)state;
	struct seen s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
	struct ofd_harness *h = run("{count: 1200}", &s);
	assert_int_equal(s.records, 1200);
	assert_int_equal(s.bytes, 1200ull * 1201 / 2); /* 1 + 2 + ... + 1200 */
	assert_int_equal(s.batches, 3);		       /* 512 + 512 + 176 */
	assert_int_equal(ofd_harness_counter(h, "records"), 1200);
	assert_int_equal(ofd_harness_metric(h, "replay_bytes_total", NULL), 1200ull * 1201 / 2);
	ofd_harness_free(h);
}

static void test_replay_defaults_and_config(void **state)
{
	(void)state;
	struct seen s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
	struct ofd_harness *h = run(NULL, &s); /* count: 1000 */
	assert_int_equal(s.records, 1000);
	ofd_harness_free(h);
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_replay, "{count: many}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "segment replay: key count: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_records),
	    cmocka_unit_test(test_replay_defaults_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
