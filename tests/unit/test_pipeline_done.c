/*
 * ofd_segment_handed / ofd_segment_done, the engine's at-least-once watermark: an input hands
 * on three batches and watches `done` while a blocking output holds the first one behind a gate
 * (done must stay below what it handed), then opens the gate (done must reach it); the same
 * with a parallel stage between (batches finish out of order there), and in inline mode. An
 * output that loses the second batch (ofd_segment_not_through) holds done below it for good and
 * stops the pipeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include "ofd/time.h"
#include "pipehelp.h"

#define NBATCH 3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static uint64_t seen_handed[NBATCH], done_gated, done_after, done_at_fini;
static uint64_t processed;

/* done() until it reaches want or 10 s pass; the last value */
static uint64_t wait_done(struct ofd_segment *seg, uint64_t want)
{
	uint64_t end = ofd_time_mono_ns() + 10000000000u, d;
	while ((d = ofd_segment_done(seg)) < want && ofd_time_mono_ns() < end)
		sched_yield();
	return d;
}

static int src_start(struct ofd_segment *seg, void *state)
{
	(void)state;
	for (unsigned k = 0; k < NBATCH; k++) {
		for (unsigned i = 0; i < OFD_BATCH_CAP; i++)
			ofd_batch_add(ofd_input_batch(seg))->bytes = k * OFD_BATCH_CAP + i;
		ofd_batch_flush(ofd_input_batch(seg));
		seen_handed[k] = ofd_segment_handed(seg);
	}
	/* the gate holds the first batch in the blocking output: nothing may count as through */
	done_gated = ofd_segment_done(seg);
	pthread_mutex_lock(&mu);
	gate_open = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	done_after = wait_done(seg, seen_handed[NBATCH - 1]);
	return 0;
}

static void src_fini(struct ofd_segment *seg, void *state)
{
	(void)state;
	done_at_fini = ofd_segment_done(seg);
}

static void gated_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	pthread_mutex_lock(&mu);
	while (!gate_open)
		pthread_cond_wait(&cv, &mu);
	processed += ofd_batch_live_count(b);
	pthread_mutex_unlock(&mu);
}

static void pass_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

/* the lossy output: the second batch it sees is "not written" */
static unsigned lossy_seen;
static uint64_t lost_done, lost_handed, lost_final;

static void lossy_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)state;
	(void)b;
	if (++lossy_seen == 2)
		ofd_segment_not_through(seg);
}

static int lsrc_start(struct ofd_segment *seg, void *state)
{
	(void)state;
	for (unsigned k = 0; k < NBATCH; k++) {
		for (unsigned i = 0; i < OFD_BATCH_CAP; i++)
			ofd_batch_add(ofd_input_batch(seg))->bytes = i;
		ofd_batch_flush(ofd_input_batch(seg));
		seen_handed[k] = ofd_segment_handed(seg);
	}
	lost_handed = seen_handed[NBATCH - 1];
	lost_done = wait_done(seg, 1); /* the first batch is through, the others never are */
	return 0;
}

static void lsrc_fini(struct ofd_segment *seg, void *state)
{
	(void)state;
	lost_final = ofd_segment_done(seg);
}

static const struct ofd_segment_type t_src = {
    OFD_SEGMENT_VERSION, .name = "t_src", .kind = OFD_SEG_INPUT, .start = src_start, .fini = src_fini,
};
static const struct ofd_segment_type t_gated = {
    OFD_SEGMENT_VERSION,	.name = "t_gated",	  .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING, .process = gated_process,
};
static const struct ofd_segment_type t_par = {
    OFD_SEGMENT_VERSION,	.name = "t_par",	 .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL, .process = pass_process,
};
static const struct ofd_segment_type t_tail = {
    OFD_SEGMENT_VERSION,
    .name = "t_tail",
    .kind = OFD_SEG_OUTPUT,
    .process = pass_process,
};
static const struct ofd_segment_type t_lsrc = {
    OFD_SEGMENT_VERSION, .name = "t_lsrc", .kind = OFD_SEG_INPUT, .start = lsrc_start, .fini = lsrc_fini,
};
static const struct ofd_segment_type t_lossy = {
    OFD_SEGMENT_VERSION,	.name = "t_lossy",	  .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING, .process = lossy_process,
};
static const struct ofd_segment_type *const types[] = {&t_src,	&t_gated, &t_par, &t_tail,
						       &t_lsrc, &t_lossy, NULL};

static void run(const char *yaml, int inline_mode)
{
	struct seg_pipeline sp;
	gate_open = inline_mode; /* inline: the output runs in the input's thread */
	processed = 0;
	done_gated = done_after = done_at_fini = 0;
	struct ofd_pipeline_opts o = {.inline_run = inline_mode};
	assert_int_equal(seg_pipeline_open_opts(&sp, yaml, types, &o), 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	while (!ofd_pipeline_wait(sp.p, 1000))
		;
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	for (unsigned k = 0; k < NBATCH; k++)
		assert_int_equal(seen_handed[k], k + 1);
	if (inline_mode)
		assert_int_equal(done_gated, NBATCH);
	else
		assert_int_equal(done_gated, 0);
	assert_int_equal(done_after, NBATCH);
	assert_int_equal(done_at_fini, NBATCH);
	assert_int_equal(processed, NBATCH * OFD_BATCH_CAP);
	seg_pipeline_close(&sp);
}

static void test_blocking_holds_done(void **st)
{
	(void)st;
	run("pipeline:\n  - segment: t_src\n  - segment: t_gated\n  - segment: t_tail\n", 0);
}

static void test_blocking_tail_holds_done(void **st)
{
	(void)st;
	run("pipeline:\n  - segment: t_src\n  - segment: t_par\n    jobs: 2\n  - segment: t_gated\n", 0);
}

static void test_parallel_last(void **st)
{
	(void)st;
	run("pipeline:\n  - segment: t_src\n  - segment: t_gated\n  - segment: t_par\n    jobs: 2\n", 0);
}

static void test_inline(void **st)
{
	(void)st;
	run("pipeline:\n  - segment: t_src\n  - segment: t_gated\n  - segment: t_tail\n", 1);
}

static void test_not_through(void **st)
{
	(void)st;
	struct seg_pipeline sp;
	assert_int_equal(
	    seg_pipeline_open(&sp, "pipeline:\n  - segment: t_lsrc\n  - segment: t_lossy\n", types), 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	while (!ofd_pipeline_wait(sp.p, 1000))
		;
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	assert_int_equal(lossy_seen, NBATCH); /* what was on its way still came */
	assert_int_equal(lost_handed, NBATCH);
	assert_int_equal(lost_done, 1);
	assert_int_equal(lost_final, 1); /* held at the end too: nothing after the loss is through */
	seg_pipeline_close(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blocking_holds_done), cmocka_unit_test(test_blocking_tail_holds_done),
	    cmocka_unit_test(test_parallel_last),	cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_not_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
