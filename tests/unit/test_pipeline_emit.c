/*
 * Drain batches (OFD_SEGF_EMITS, include/ofd/segment.h) through the engine: a flow cache
 * (aggregate) that holds every flow until the inputs have returned empties itself into drain
 * batches, over several rounds when it holds more than a batch, in the threaded engine (one
 * stage, and behind a parallel stage that reorders), in inline mode, and behind a filter
 * that would drop empty batches; the segments after it see the records, the counters add up.
 * Segments before an emitter do not see drain batches. While no records come and the input
 * has not ended, expired flows leave through flush batches (threaded and inline).
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
#include <stdatomic.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "ofd/time.h"

extern const struct ofd_segment_type ofd_seg_aggregate;

#define KEYS 700

/* an input of `count` records: src_port = i % 700, bytes = i, one packet each */
struct tin {
	uint64_t count;
};

static int tin_start(struct ofd_segment *seg, void *state)
{
	struct tin *t = state;
	for (uint64_t i = 0; i < t->count; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->src_port = (uint16_t)(i % KEYS);
		f->bytes = i;
		f->packets = 1;
	}
	return 0;
}

static const struct ofd_cfg_key tin_keys[] = {
    {.key = "count", .type = OFD_CFG_UINT, .offset = offsetof(struct tin, count), .def = "1000"},
    {.key = NULL},
};
static const struct ofd_segment_type t_in = {
    OFD_SEGMENT_VERSION, .name = "t_in",     .kind = OFD_SEG_INPUT, .state_size = sizeof(struct tin),
    .config = tin_keys,	 .start = tin_start,
};

/* the same records, then it waits (without ending) until the collector saw every key, at most
   10 s: the flows can only have left through flush batches */
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static int seen_all, hold_timed_out;

static int thold_start(struct ofd_segment *seg, void *state)
{
	(void)tin_start(seg, state);
	ofd_input_flush(seg);
	uint64_t end = ofd_time_now_ns() + 10000000000ull;
	pthread_mutex_lock(&hold_mu);
	while (!seen_all && !ofd_segment_stopping(seg) && ofd_time_now_ns() < end) {
		struct timespec ts = ofd_time_ts(ofd_time_now_ns() + 50000000ull);
		pthread_cond_timedwait(&hold_cv, &hold_mu, &ts);
	}
	hold_timed_out = !seen_all;
	pthread_mutex_unlock(&hold_mu);
	return 0;
}

static const struct ofd_segment_type t_hold = {
    OFD_SEGMENT_VERSION, .name = "t_hold",     .kind = OFD_SEG_INPUT, .state_size = sizeof(struct tin),
    .config = tin_keys,	 .start = thold_start,
};

/* a stateless pass-through that counts the calls it got without records (it should get none) */
static _Atomic uint64_t empty_calls;

static void tpass_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg, (void)state;
	if (!ofd_batch_live_count(b))
		atomic_fetch_add(&empty_calls, 1);
}

static const struct ofd_segment_type t_pass = {
    OFD_SEGMENT_VERSION,	.name = "t_pass",	  .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL, .process = tpass_process,
};

/* the collector: records, and per key their bytes and packets */
static uint64_t n_out, bytes_out[KEYS], packets_out[KEYS], recs_per_key[KEYS];

static void tcoll_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg, (void)state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		n_out++;
		bytes_out[f->src_port % KEYS] += f->bytes;
		packets_out[f->src_port % KEYS] += f->packets;
		recs_per_key[f->src_port % KEYS]++;
	}
	if (n_out >= KEYS) {
		pthread_mutex_lock(&hold_mu);
		seen_all = 1;
		pthread_cond_broadcast(&hold_cv);
		pthread_mutex_unlock(&hold_mu);
	}
}

static const struct ofd_segment_type t_coll = {
    OFD_SEGMENT_VERSION,
    .name = "t_coll",
    .kind = OFD_SEG_OUTPUT,
    .process = tcoll_process,
};

static struct ofd_registry *reg;

static int setup(void **st)
{
	(void)st;
	char err[256];
	const struct ofd_segment_type *t[] = {&t_in, &t_hold, &t_pass, &t_coll, &ofd_seg_aggregate};
	if (ofd_registry_new_empty(&reg))
		return -1;
	for (int i = 0; i < 5; i++)
		if (ofd_registry_add(reg, t[i], "test", err, sizeof(err)))
			return -1;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	ofd_registry_free(reg);
	return 0;
}

/* Run yaml to its end; every key came out once with the sums of its records. */
static void run(const char *yaml, const struct ofd_pipeline_opts *o, uint64_t count)
{
	char err[512] = "";
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p = NULL;
	n_out = 0;
	memset(bytes_out, 0, sizeof(bytes_out));
	memset(packets_out, 0, sizeof(packets_out));
	memset(recs_per_key, 0, sizeof(recs_per_key));
	atomic_store(&empty_calls, 0);
	seen_all = hold_timed_out = 0;
	if (ofd_cfg_load_string(&cfg, "t.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err)) ||
	    ofd_pipeline_new(&p, reg, ofd_cfg_pipeline(cfg), "t.yml", o, err, sizeof(err)) ||
	    ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);

	assert_int_equal(n_out, KEYS);
	for (uint64_t k = 0; k < KEYS; k++) {
		uint64_t bytes = 0, packets = 0;
		for (uint64_t i = k; i < count; i += KEYS)
			bytes += i, packets++;
		assert_int_equal(recs_per_key[k], 1);
		assert_int_equal(bytes_out[k], bytes);
		assert_int_equal(packets_out[k], packets);
	}
	assert_int_equal(atomic_load(&empty_calls), 0);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, 2, &c); /* aggregate */
	assert_int_equal(c.in, count);
	assert_int_equal(c.out, KEYS);
	assert_int_equal(c.dropped, count - KEYS);
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	assert_int_equal(t.in, count);
	assert_int_equal(t.out, KEYS);
	ofd_pipeline_free(p);
	ofd_cfg_free(cfg);
}

static const char *yaml_one = "- segment: t_in\n"
			      "  config: {count: 5000}\n"
			      "- segment: t_pass\n"
			      "- segment: aggregate\n"
			      "  config: {activetimeout: 1h, inactivetimeout: 1h}\n"
			      "- segment: t_pass\n"
			      "- segment: t_coll\n";

static void test_threaded(void **st)
{
	(void)st;
	run(yaml_one, NULL, 5000);
}

static void test_inline(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.inline_run = 1};
	run(yaml_one, &o, 5000);
}

static void test_behind_jobs(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.pool_batches = 4}; /* drain batches wait for free ones too */
	run("- segment: t_in\n"
	    "  config: {count: 20000}\n"
	    "- segment: t_pass\n"
	    "  jobs: 3\n"
	    "- segment: aggregate\n"
	    "  config: {activetimeout: 1h, inactivetimeout: 1h, maxflows: 1000}\n"
	    "- segment: t_pass\n"
	    "  jobs: 2\n"
	    "- segment: t_coll\n",
	    &o, 20000);
}

/* No end of input: the expired flows leave through the engine's flush batches (every 10 ticks). */
static const char *yaml_hold = "- segment: t_hold\n"
			       "  config: {count: 5000}\n"
			       "- segment: t_pass\n"
			       "- segment: aggregate\n"
			       "  config: {activetimeout: 1h, inactivetimeout: 300ms}\n"
			       "- segment: t_pass\n"
			       "- segment: t_coll\n";

static void test_flush_threaded(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.tick_ns = 10000000};
	run(yaml_hold, &o, 5000);
	assert_false(hold_timed_out);
}

static void test_flush_inline(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.tick_ns = 10000000, .inline_run = 1};
	run(yaml_hold, &o, 5000);
	assert_false(hold_timed_out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threaded),	 cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_behind_jobs),	 cmocka_unit_test(test_flush_threaded),
	    cmocka_unit_test(test_flush_inline),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
