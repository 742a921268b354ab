/*
 * Segment-owned background threads (ofd_segment_spawn, include/ofd/segment.h), through the
 * public harness: they run until told to stop, wake at once from ofd_segment_thread_wait when
 * they are, are joined before fini(), and an instance gets at most OFD_SEGMENT_THREADS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <string.h>

#include "ofd/harness.h"
#include "ofd/time.h"

struct bg_state {
	uint64_t threads;
	_Atomic unsigned running, ran, woke_stopping;
	int spawn_rc[OFD_SEGMENT_THREADS + 1];
};

static unsigned fini_running = 99, fini_woke; /* what fini() saw */

static void bg_main(struct ofd_segment *seg, void *arg)
{
	struct bg_state *s = arg;
	atomic_fetch_add(&s->running, 1);
	atomic_fetch_add(&s->ran, 1);
	/* an hour at a time: only the stop can end this wait early */
	while (!ofd_segment_thread_wait(seg, 3600ull * OFD_NS_PER_S))
		;
	if (ofd_segment_thread_stopping(seg))
		atomic_fetch_add(&s->woke_stopping, 1);
	atomic_fetch_sub(&s->running, 1);
}

static int bg_init(struct ofd_segment *seg, void *state)
{
	struct bg_state *s = state;
	for (unsigned i = 0; i < s->threads && i <= OFD_SEGMENT_THREADS; i++)
		s->spawn_rc[i] = ofd_segment_spawn(seg, bg_main, s);
	return 0;
}

static void bg_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

static void bg_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	fini_running = atomic_load(&((struct bg_state *)state)->running);
	fini_woke = atomic_load(&((struct bg_state *)state)->woke_stopping);
}

static const struct ofd_cfg_key bg_keys[] = {
    OFD_KEY("threads", OFD_CFG_UINT, struct bg_state, threads, .def = "2"),
    OFD_KEY_END,
};

static const struct ofd_segment_type bg_type = {
    OFD_SEGMENT_VERSION,
    .name = "bg",
    .kind = OFD_SEG_FLOW,
    .summary = "background threads",
    .state_size = sizeof(struct bg_state),
    .config = bg_keys,
    .init = bg_init,
    .process = bg_process,
    .fini = bg_fini,
};

static void test_threads(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[256] = "";
	assert_int_equal(ofd_harness_new(&h, &bg_type, "{threads: 3}", err, sizeof(err)), 0);
	struct bg_state *s = ofd_harness_state(h);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s->spawn_rc[i], 0);
	while (atomic_load(&s->ran) < 3) /* they started */
		;
	assert_false(ofd_segment_thread_stopping(ofd_harness_segment(h)));
	uint64_t t0 = ofd_time_mono_ns();
	fini_running = 99;
	ofd_harness_free(h); /* stop, join, then fini */
	assert_true(ofd_time_mono_ns() - t0 < 10 * OFD_NS_PER_S);
	assert_int_equal(fini_running, 0); /* every thread had returned before fini() */
	assert_int_equal(fini_woke, 3);	   /* each woke from its hour-long wait by the stop */
}

static void test_limit(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[256] = "";
	assert_int_equal(ofd_harness_new(&h, &bg_type, "{threads: 9}", err, sizeof(err)), 0);
	struct bg_state *s = ofd_harness_state(h);
	for (int i = 0; i < OFD_SEGMENT_THREADS; i++)
		assert_int_equal(s->spawn_rc[i], 0);
	assert_int_equal(s->spawn_rc[OFD_SEGMENT_THREADS], OFD_ELIMIT);
	ofd_harness_free(h);
	assert_int_equal(fini_running, 0);
	assert_int_equal(fini_woke, OFD_SEGMENT_THREADS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
