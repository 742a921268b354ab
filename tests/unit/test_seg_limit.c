/*
 * The limit segment in a real pipeline (built-in registry plus two test types: an input making
 * records 0, 1, 2... either `count` of them or until the pipeline stops, and an output counting
 * the records it sees and checking their order): exactly `count` records pass, the rest are
 * dropped and counted, and once they passed the pipeline stops by itself (an endless input
 * ends without any stop from the test). Fewer records than the limit all pass. Config errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <stdatomic.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "logcap.h"
#include "core/registry.h"
#include "segments/builtin.h"

struct gen {
	uint64_t count;
	int forever;
};

static _Atomic uint64_t produced;

static int gen_start(struct ofd_segment *seg, void *state)
{
	struct gen *g = state;
	for (uint64_t i = 0; g->forever ? !ofd_segment_stopping(seg) : i < g->count; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->bytes = i;
		f->packets = 1;
		atomic_fetch_add(&produced, 1);
	}
	return 0;
}

static const struct ofd_cfg_key gen_keys[] = {
    {.key = "count", .type = OFD_CFG_UINT, .offset = offsetof(struct gen, count), .def = "0"},
    {.key = "forever", .type = OFD_CFG_BOOL, .offset = offsetof(struct gen, forever), .def = "false"},
    {.key = NULL},
};

static const struct ofd_segment_type t_gen = {
    OFD_SEGMENT_VERSION, .name = "t_gen",    .kind = OFD_SEG_INPUT, .state_size = sizeof(struct gen),
    .config = gen_keys,	 .start = gen_start,
};

static uint64_t seen, next_id;
static int unordered;

static void sink_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg, (void)state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (b->flows[i].bytes != next_id)
			unordered = 1;
		next_id++;
		seen++;
	}
}

static const struct ofd_segment_type t_sink = {
    OFD_SEGMENT_VERSION,
    .name = "t_sink",
    .kind = OFD_SEG_OUTPUT,
    .process = sink_process,
};

static struct ofd_registry *reg;

static int setup(void **state)
{
	(void)state;
	char err[256];
	if (ofd_registry_new(&reg) || ofd_registry_add(reg, &t_gen, "test", err, sizeof(err)) ||
	    ofd_registry_add(reg, &t_sink, "test", err, sizeof(err)))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ofd_registry_free(reg);
	return 0;
}

/* Build and init a pipeline from yaml; 0, or the error (message in err). */
static int build(struct ofd_cfg_file **cfg, struct ofd_pipeline **p, const char *yaml, char *err,
		 size_t errlen)
{
	seen = next_id = 0;
	unordered = 0;
	atomic_store(&produced, 0);
	*p = NULL;
	int rc = ofd_cfg_load_string(cfg, "t.yml", yaml, strlen(yaml), NULL, 0, err, errlen);
	if (!rc)
		rc = ofd_pipeline_new(p, reg, ofd_cfg_pipeline(*cfg), "t.yml", NULL, err, errlen);
	if (!rc)
		rc = ofd_pipeline_init(*p, err, errlen);
	return rc;
}

static void limit_counters(struct ofd_pipeline *p, struct ofd_seg_counters *c)
{
	assert_string_equal(ofd_pipeline_entry_name(p, 1), "limit");
	ofd_pipeline_entry_counters(p, 1, c);
}

/* A finite input of 1000 records, limit 300: 300 pass in order, 700 are dropped at the limit. */
static void test_limit_exact(void **state)
{
	(void)state;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p;
	char err[512] = "";
	const char *yaml = "- segment: t_gen\n  config: {count: 1000}\n"
			   "- segment: limit\n  config: {count: 300}\n"
			   "- segment: t_sink\n";
	assert_int_equal(build(&cfg, &p, yaml, err, sizeof(err)), 0);
	assert_int_equal(ofd_pipeline_start(p), 0);
	assert_int_equal(ofd_pipeline_finish(p), 0);
	assert_int_equal(seen, 300);
	assert_false(unordered);
	struct ofd_seg_counters c;
	limit_counters(p, &c);
	assert_int_equal(c.in, 1000);
	assert_int_equal(c.out, 300);
	assert_int_equal(c.dropped, 700);
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	assert_int_equal(t.in, 1000);
	assert_int_equal(t.out, 300);
	ofd_pipeline_free(p);
	ofd_cfg_free(cfg);
}

/* An endless input: the limit stops the pipeline, so the inputs end without any stop from here
   (ofd_pipeline_wait sees them done); exactly 5000 reach the output, the rest are dropped. */
static void test_limit_stops(void **state)
{
	(void)state;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p;
	char err[512] = "";
	const char *yaml = "- segment: t_gen\n  config: {forever: true}\n"
			   "- segment: limit\n  config: {count: 5000}\n"
			   "- segment: t_sink\n";
	assert_int_equal(build(&cfg, &p, yaml, err, sizeof(err)), 0);
	assert_int_equal(ofd_pipeline_start(p), 0);
	assert_int_equal(ofd_pipeline_wait(p, 60000), 1);
	assert_int_equal(ofd_pipeline_finish(p), 0);
	assert_int_equal(seen, 5000);
	assert_false(unordered);
	struct ofd_seg_counters c;
	limit_counters(p, &c);
	assert_int_equal(c.out, 5000);
	assert_int_equal(c.in, atomic_load(&produced));
	assert_int_equal(c.dropped, c.in - 5000);
	ofd_pipeline_free(p);
	ofd_cfg_free(cfg);
}

/* Fewer records than the limit: all pass, nothing is dropped. */
static void test_limit_not_reached(void **state)
{
	(void)state;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p;
	char err[512] = "";
	const char *yaml = "- segment: t_gen\n  config: {count: 100}\n"
			   "- segment: limit\n  config: {count: 1000}\n"
			   "- segment: t_sink\n";
	assert_int_equal(build(&cfg, &p, yaml, err, sizeof(err)), 0);
	assert_int_equal(ofd_pipeline_start(p), 0);
	assert_int_equal(ofd_pipeline_finish(p), 0);
	assert_int_equal(seen, 100);
	struct ofd_seg_counters c;
	limit_counters(p, &c);
	assert_int_equal(c.in, 100);
	assert_int_equal(c.out, 100);
	assert_int_equal(c.dropped, 0);
	ofd_pipeline_free(p);
	ofd_cfg_free(cfg);
}

/* count is required and at least 1; jobs are ignored with a warning (the count is over the whole
   stream: one instance), as flowpipeline takes jobs on every segment. */
static void test_limit_config(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "- segment: t_gen\n- segment: limit\n",
	    "- segment: t_gen\n- segment: limit\n  config: {count: 0}\n",
	    "- segment: t_gen\n- segment: limit\n  config: {count: x}\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_cfg_file *cfg = NULL;
		struct ofd_pipeline *p;
		char err[512] = "";
		assert_int_not_equal(build(&cfg, &p, bad[i], err, sizeof(err)), 0);
		assert_non_null(strstr(err, "limit"));
		ofd_pipeline_free(p);
		ofd_cfg_free(cfg);
	}
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p;
	char err[512] = "";
	logcap_start();
	assert_int_equal(build(&cfg, &p,
			       "- segment: t_gen\n- segment: limit\n  jobs: 2\n  config: {count: 5}\n", err,
			       sizeof(err)),
			 0);
	logcap_stop();
	if (!strstr(logcap_buf, "segment limit: key jobs: ") || !strstr(logcap_buf, "jobs 2 ignored"))
		fail_msg("no jobs warning: %s", logcap_buf);
	ofd_pipeline_free(p);
	ofd_cfg_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_exact),
	    cmocka_unit_test(test_limit_stops),
	    cmocka_unit_test(test_limit_not_reached),
	    cmocka_unit_test(test_limit_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
