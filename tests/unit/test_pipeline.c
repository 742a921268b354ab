/*
 * The pipeline engine with real threads, on segment types defined here: an input producing
 * records with ids 0..count-1 (in `bytes`), a filter keeping ids with id % mod == rem, an output
 * recording the ids it saw (in order?), the same as a blocking output, and a type whose init can
 * fail. Branch routing (nested, absent then/else), exact counters, back-pressure on a tiny pool,
 * blocking outputs, parallel jobs with order kept, stop while producing, init failure, config
 * errors. No sleeps: every wait is a condition variable or a join.
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

#define MAXID (1u << 20)
#define NCOLL 6

/* ---- test segment types ---- */

static _Atomic uint64_t produced;
static _Atomic int input_started;

struct tin {
	uint64_t count;
	int forever;
};

static int tin_start(struct ofd_segment *seg, void *state)
{
	struct tin *t = state;
	atomic_store(&input_started, 1);
	for (uint64_t i = 0; t->forever ? !ofd_segment_stopping(seg) : i < t->count; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->bytes = i;
		f->packets = 1;
		f->src_port = (uint16_t)i;
		atomic_fetch_add(&produced, 1);
		ofd_segment_count(seg, 0, 1);
	}
	return 0;
}

static const struct ofd_cfg_key tin_keys[] = {
    {.key = "count", .type = OFD_CFG_UINT, .offset = offsetof(struct tin, count), .def = "1000"},
    {.key = "forever", .type = OFD_CFG_BOOL, .offset = offsetof(struct tin, forever), .def = "false"},
    {.key = NULL},
};
static const char *const tin_counters[] = {"made", NULL};
static const struct ofd_segment_type t_input = {
    OFD_SEGMENT_VERSION,
    .name = "t_input",
    .kind = OFD_SEG_INPUT,
    .flags = OFD_SEGF_PARALLEL,
    .state_size = sizeof(struct tin),
    .config = tin_keys,
    .counters = tin_counters,
    .start = tin_start,
};

struct tkeep {
	uint64_t mod, rem;
};

static void tkeep_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct tkeep *k = state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (ofd_batch_is_live(b, i) && b->flows[i].bytes % k->mod != k->rem) {
			ofd_batch_kill(b, i);
			ofd_segment_count(seg, 0, 1);
		}
	}
}

static const struct ofd_cfg_key tkeep_keys[] = {
    {.key = "mod",
     .type = OFD_CFG_UINT,
     .offset = offsetof(struct tkeep, mod),
     .def = "2",
     .min = 1,
     .max = 1e9},
    {.key = "rem", .type = OFD_CFG_UINT, .offset = offsetof(struct tkeep, rem), .def = "0"},
    {.key = NULL},
};
static const char *const tkeep_counters[] = {"killed", NULL};
static const struct ofd_segment_type t_keep = {
    OFD_SEGMENT_VERSION,
    .name = "t_keep",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .state_size = sizeof(struct tkeep),
    .config = tkeep_keys,
    .counters = tkeep_counters,
    .process = tkeep_process,
};

/* What a collector saw. */
struct coll {
	uint64_t n;
	uint64_t last;
	int unordered;
	uint64_t ticks;
	int tick_thread_mismatch;
	int fini;
	pthread_t thread;
	int have_thread;
	uint8_t seen[MAXID / 8];
};

static struct coll C[NCOLL];
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, enough;

struct tcoll {
	uint64_t id;
	int gate;
	uint64_t notify;
	int gated;
};

static void tcoll_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	struct tcoll *t = state;
	struct coll *c = &C[t->id];
	if (t->gate && !t->gated) {
		t->gated = 1;
		pthread_mutex_lock(&gate_mu);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		pthread_mutex_unlock(&gate_mu);
	}
	c->thread = pthread_self();
	c->have_thread = 1;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		uint64_t id = b->flows[i].bytes;
		if (c->n && id <= c->last)
			c->unordered = 1;
		c->last = id;
		c->n++;
		if (id < MAXID)
			c->seen[id / 8] |= (uint8_t)(1u << (id % 8));
	}
	if (t->notify && c->n >= t->notify) {
		pthread_mutex_lock(&gate_mu);
		enough = 1;
		pthread_cond_broadcast(&gate_cv);
		pthread_mutex_unlock(&gate_mu);
	}
}

static void tcoll_tick(struct ofd_segment *seg, void *state, uint64_t now)
{
	(void)seg;
	(void)now;
	struct coll *c = &C[((struct tcoll *)state)->id];
	c->ticks++;
	if (c->have_thread && !pthread_equal(c->thread, pthread_self()))
		c->tick_thread_mismatch = 1;
}

static void tcoll_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	C[((struct tcoll *)state)->id].fini++;
}

static const struct ofd_cfg_key tcoll_keys[] = {
    {.key = "id", .type = OFD_CFG_UINT, .offset = offsetof(struct tcoll, id), .def = "0", .max = NCOLL - 1},
    {.key = "gate", .type = OFD_CFG_BOOL, .offset = offsetof(struct tcoll, gate), .def = "false"},
    {.key = "notify", .type = OFD_CFG_UINT, .offset = offsetof(struct tcoll, notify), .def = "0"},
    {.key = NULL},
};
static const struct ofd_segment_type t_collect = {
    OFD_SEGMENT_VERSION,    .name = "t_collect",
    .kind = OFD_SEG_OUTPUT, .state_size = sizeof(struct tcoll),
    .config = tcoll_keys,   .process = tcoll_process,
    .tick = tcoll_tick,	    .fini = tcoll_fini,
};
static const struct ofd_segment_type t_bcollect = {
    OFD_SEGMENT_VERSION,
    .name = "t_bcollect",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .state_size = sizeof(struct tcoll),
    .config = tcoll_keys,
    .process = tcoll_process,
    .tick = tcoll_tick,
    .fini = tcoll_fini,
};

/* init/fini order log: "i1 i2 f2 f1 " */
static char lifelog[256];

static void lifelog_add(const char *what, uint64_t id)
{
	size_t n = strlen(lifelog);
	snprintf(lifelog + n, sizeof(lifelog) - n, "%s%llu ", what, (unsigned long long)id);
}

struct tlife {
	uint64_t id;
	int fail;
};

static int tlife_init(struct ofd_segment *seg, void *state)
{
	(void)seg;
	struct tlife *t = state;
	lifelog_add("i", t->id);
	return t->fail ? OFD_ELIMIT : 0;
}

static void tlife_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	lifelog_add("f", ((struct tlife *)state)->id);
}

static void tlife_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

static const struct ofd_cfg_key tlife_keys[] = {
    {.key = "id", .type = OFD_CFG_UINT, .offset = offsetof(struct tlife, id), .required = 1},
    {.key = "fail", .type = OFD_CFG_BOOL, .offset = offsetof(struct tlife, fail), .def = "false"},
    {.key = NULL},
};
static const struct ofd_segment_type t_life = {
    OFD_SEGMENT_VERSION,  .name = "t_life",   .kind = OFD_SEG_FLOW,	.state_size = sizeof(struct tlife),
    .config = tlife_keys, .init = tlife_init, .process = tlife_process, .fini = tlife_fini,
};

/* ---- helpers ---- */

static struct ofd_registry *reg;
static struct ofd_cfg_file *cfgf;
static char err[512];

static int setup(void **st)
{
	(void)st;
	assert_int_equal(ofd_registry_new_empty(&reg), 0);
	const struct ofd_segment_type *types[] = {&t_input, &t_keep, &t_collect, &t_bcollect, &t_life};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(ofd_registry_add(reg, types[i], "test", err, sizeof(err)), 0);
	memset(C, 0, sizeof(C));
	atomic_store(&produced, 0);
	atomic_store(&input_started, 0);
	gate_open = 0;
	enough = 0;
	lifelog[0] = 0;
	cfgf = NULL;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	ofd_cfg_free(cfgf);
	ofd_registry_free(reg);
	return 0;
}

/* Build (not init) a pipeline from YAML; returns the ofd_pipeline_new status, message in err. */
static int build(struct ofd_pipeline **p, const char *yaml, const struct ofd_pipeline_opts *o)
{
	ofd_cfg_free(cfgf);
	cfgf = NULL;
	err[0] = 0;
	int rc = ofd_cfg_load_string(&cfgf, "t.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err));
	if (rc) {
		print_error("config: %s\n", err);
		return rc;
	}
	return ofd_pipeline_new(p, reg, ofd_cfg_pipeline(cfgf), "t.yml", o, err, sizeof(err));
}

/* Build, init, start, run until the inputs end, finish. */
static struct ofd_pipeline *run(const char *yaml, const struct ofd_pipeline_opts *o)
{
	struct ofd_pipeline *p = NULL;
	if (build(&p, yaml, o))
		fail_msg("build: %s", err);
	if (ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("init: %s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);
	return p;
}

static void counters(struct ofd_pipeline *p, size_t i, const char *name, uint64_t in, uint64_t out)
{
	struct ofd_seg_counters c;
	assert_string_equal(ofd_pipeline_entry_name(p, i), name);
	ofd_pipeline_entry_counters(p, i, &c);
	assert_int_equal(c.in, in);
	assert_int_equal(c.out, out);
	assert_int_equal(c.dropped, in - out);
}

typedef int (*pred_fn)(uint64_t id);

/* Collector c saw exactly the ids below count for which want() holds, in order. */
static void saw(unsigned c, uint64_t count, pred_fn want)
{
	uint64_t n = 0;
	for (uint64_t id = 0; id < count; id++) {
		int got = C[c].seen[id / 8] >> (id % 8) & 1;
		if (got != want(id))
			fail_msg("collector %u: id %llu %s", c, (unsigned long long)id,
				 got ? "seen" : "missing");
		n += (uint64_t)got;
	}
	assert_int_equal(C[c].n, n);
	assert_false(C[c].unordered);
	assert_int_equal(C[c].fini, 1);
	assert_true(C[c].ticks >= 1); /* the final tick at least */
	assert_false(C[c].tick_thread_mismatch);
}

static int p_all(uint64_t id)
{
	return (void)id, 1;
}
static int p_even(uint64_t id)
{
	return id % 2 == 0;
}
static int p_odd(uint64_t id)
{
	return id % 2 == 1;
}

static void totals(struct ofd_pipeline *p, uint64_t in, uint64_t out)
{
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	assert_int_equal(t.in, in);
	assert_int_equal(t.out, out);
	assert_int_equal(t.dropped, in - out);
	assert_int_equal(t.batches, (in + OFD_BATCH_CAP - 1) / OFD_BATCH_CAP);
}

/* ---- tests ---- */

static void test_linear(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.pool_batches = 32}; /* no wait for the 20 batches */
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 10000}\n"
				     "- segment: t_keep\n"
				     "  config: {mod: 2, rem: 0}\n"
				     "- segment: t_collect\n",
				     &o);
	assert_int_equal(ofd_pipeline_entries(p), 3);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, 0, &c);
	assert_int_equal(c.out, 10000);
	assert_int_equal(c.own[0], 10000);
	counters(p, 1, "t_keep", 10000, 5000);
	ofd_pipeline_entry_counters(p, 1, &c);
	assert_int_equal(c.nown, 1);
	assert_int_equal(c.own[0], 5000);
	counters(p, 2, "t_collect", 5000, 5000);
	totals(p, 10000, 5000);
	saw(0, 10000, p_even);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ofd_pipeline_print(p, f);
	fclose(f);
	assert_string_equal(buf,
			    "segment t_input (t.yml:1): out 10000, made 10000\n"
			    "segment t_keep (t.yml:3): in 10000 out 5000 dropped 5000, killed 5000\n"
			    "segment t_collect (t.yml:5): in 5000 out 5000 dropped 0\n"
			    "pipeline: in 10000 out 5000 dropped 5000, batches 20, queue-full waits 0\n");
	free(buf);
	ofd_pipeline_free(p);
}

static int p_then1(uint64_t id)
{
	return id % 4 == 0;
}
static int p_else1(uint64_t id)
{
	return id % 2 == 1 && id % 3 == 1;
}
static int p_after1(uint64_t id)
{
	return p_then1(id) || p_else1(id);
}

/* if drops odd ids: evens go to then (which keeps id%4==0), odds to else (keeps id%3==1). */
static void test_branch(void **st)
{
	(void)st;
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 12000}\n"
				     "- segment: branch\n"
				     "  if:\n"
				     "    - segment: t_keep\n"
				     "      config: {mod: 2, rem: 0}\n"
				     "  then:\n"
				     "    - segment: t_keep\n"
				     "      config: {mod: 4, rem: 0}\n"
				     "    - segment: t_collect\n"
				     "      config: {id: 0}\n"
				     "  else:\n"
				     "    - segment: t_collect\n"
				     "      config: {id: 1}\n"
				     "    - segment: t_keep\n"
				     "      config: {mod: 3, rem: 1}\n"
				     "- segment: t_collect\n"
				     "  config: {id: 2}\n",
				     NULL);
	saw(0, 12000, p_then1);
	saw(1, 12000, p_odd);
	saw(2, 12000, p_after1);
	counters(p, 1, "branch", 12000, 3000 + 2000);
	counters(p, 2, "t_keep", 12000, 6000);	 /* if */
	counters(p, 3, "t_keep", 6000, 3000);	 /* then */
	counters(p, 4, "t_collect", 3000, 3000); /* then */
	counters(p, 5, "t_collect", 6000, 6000); /* else */
	counters(p, 6, "t_keep", 6000, 2000);	 /* else */
	counters(p, 7, "t_collect", 5000, 5000); /* after */
	totals(p, 12000, 5000);
	ofd_pipeline_free(p);
}

static int p_nested_then(uint64_t id)
{
	return id % 4 == 0;
}
static int p_nested_else(uint64_t id)
{
	return id % 4 == 2 && id % 3 == 0;
}
static int p_nested_after(uint64_t id)
{
	return p_nested_then(id) || p_nested_else(id) || id % 2 == 1;
}

static void test_branch_nested(void **st)
{
	(void)st;
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 12000}\n"
				     "- segment: branch\n"
				     "  if: [{segment: t_keep, config: {mod: 2, rem: 0}}]\n"
				     "  then:\n"
				     "    - segment: branch\n"
				     "      if: [{segment: t_keep, config: {mod: 4, rem: 0}}]\n"
				     "      then: [{segment: t_collect, config: {id: 3}}]\n"
				     "      else:\n"
				     "        - segment: t_keep\n"
				     "          config: {mod: 3, rem: 0}\n"
				     "        - segment: t_collect\n"
				     "          config: {id: 4}\n"
				     "  else: [{segment: t_collect, config: {id: 1}}]\n"
				     "- segment: t_collect\n"
				     "  config: {id: 2}\n",
				     NULL);
	saw(3, 12000, p_nested_then);
	saw(4, 12000, p_nested_else);
	saw(1, 12000, p_odd);
	saw(2, 12000, p_nested_after);
	counters(p, 1, "branch", 12000, 3000 + 1000 + 6000);
	counters(p, 3, "branch", 6000, 4000);
	totals(p, 12000, 10000);
	ofd_pipeline_free(p);
}

/* Absent then and else: everything passes; a then that drops all leaves only the else flows. */
static void test_branch_absent(void **st)
{
	(void)st;
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 3000}\n"
				     "- segment: branch\n"
				     "  if: [{segment: t_keep, config: {mod: 2, rem: 0}}]\n"
				     "- segment: t_collect\n"
				     "  config: {id: 0}\n"
				     "- segment: branch\n"
				     "  if: [{segment: t_keep, config: {mod: 2, rem: 0}}]\n"
				     "  then: [{segment: t_keep, config: {mod: 1, rem: 1}}]\n"
				     "- segment: t_collect\n"
				     "  config: {id: 1}\n"
				     "- segment: branch\n"
				     "  if: [{segment: t_keep, config: {mod: 2, rem: 0}}]\n"
				     "  else: [{segment: t_keep, config: {mod: 1, rem: 1}}]\n"
				     "- segment: t_collect\n"
				     "  config: {id: 2}\n",
				     NULL);
	saw(0, 3000, p_all);
	saw(1, 3000, p_odd);
	assert_int_equal(C[2].n, 0);
	totals(p, 3000, 0);
	ofd_pipeline_free(p);
}

static void open_gate(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* A pool of 2 batches and an output that holds the first batch until the input has to wait. */
static void test_backpressure(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.pool_batches = 2, .on_queue_wait = open_gate};
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 100000}\n"
				     "- segment: t_collect\n"
				     "  config: {gate: true}\n",
				     &o);
	saw(0, 100000, p_all);
	totals(p, 100000, 100000);
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	assert_true(t.queue_waits >= 1);
	ofd_pipeline_free(p);
}

/* A blocking output with one copy in flight: the worker waits for it (counted); nothing lost. */
static void test_blocking(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.blocking_batches = 1, .on_queue_wait = open_gate};
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 50000}\n"
				     "- segment: t_keep\n"
				     "  config: {mod: 2, rem: 1}\n"
				     "- segment: t_bcollect\n"
				     "  config: {gate: true, id: 1}\n"
				     "- segment: t_collect\n",
				     &o);
	saw(1, 50000, p_odd);
	saw(0, 50000, p_odd);
	counters(p, 2, "t_bcollect", 25000, 25000);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, 2, &c);
	assert_true(c.queue_waits >= 1);
	assert_false(pthread_equal(C[0].thread, C[1].thread));
	totals(p, 50000, 25000);
	ofd_pipeline_free(p);
}

static int p_then1_even(uint64_t id)
{
	return p_after1(id) && id % 2 == 0;
}

/*
 * Inline mode: every segment runs in the input's thread, with the threaded engine's results:
 * branches, a blocking segment in the middle (on a copy: its drops do not reach the segments
 * after it) and one at the end, counters, and the final tick.
 */
static void test_inline(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.inline_run = 1};
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 12000}\n"
				     "- segment: branch\n"
				     "  if: [{segment: t_keep, config: {mod: 2, rem: 0}}]\n"
				     "  then:\n"
				     "    - {segment: t_keep, config: {mod: 4, rem: 0}}\n"
				     "    - {segment: t_collect, config: {id: 0}}\n"
				     "  else:\n"
				     "    - {segment: t_collect, config: {id: 1}}\n"
				     "    - {segment: t_keep, config: {mod: 3, rem: 1}}\n"
				     "- segment: t_bcollect\n"
				     "  config: {id: 3}\n"
				     "- segment: t_keep\n"
				     "  config: {mod: 2, rem: 0}\n"
				     "- segment: t_bcollect\n"
				     "  config: {id: 2}\n",
				     &o);
	/* the ticks come from the ticker thread in this mode, never during a process() */
	for (int c = 0; c < 4; c++)
		C[c].tick_thread_mismatch = 0;
	saw(0, 12000, p_then1);
	saw(1, 12000, p_odd);
	saw(3, 12000, p_after1);
	saw(2, 12000, p_then1_even);
	for (int c = 1; c < 4; c++)
		assert_true(pthread_equal(C[0].thread, C[c].thread)); /* one thread for all */
	counters(p, 7, "t_bcollect", 5000, 5000);
	counters(p, 8, "t_keep", 5000, 3000);
	counters(p, 9, "t_bcollect", 3000, 3000);
	totals(p, 12000, 3000);
	ofd_pipeline_free(p);
}

static int p_mod4_2(uint64_t id)
{
	return id % 4 == 2;
}

/* jobs: 4 on a parallel filter, and jobs: 3 inside a branch; order is kept after them. */
static void test_jobs(void **st)
{
	(void)st;
	struct ofd_pipeline_opts o = {.pool_batches = 8};
	struct ofd_pipeline *p = run("- segment: t_input\n"
				     "  config: {count: 200000}\n"
				     "- segment: t_keep\n"
				     "  jobs: 4\n"
				     "  config: {mod: 2, rem: 0}\n"
				     "- segment: t_collect\n"
				     "  config: {id: 0}\n"
				     "- segment: branch\n"
				     "  if:\n"
				     "    - segment: t_keep\n"
				     "      jobs: 3\n"
				     "      config: {mod: 4, rem: 0}\n"
				     "  else: [{segment: t_collect, config: {id: 1}}]\n"
				     "- segment: t_collect\n"
				     "  config: {id: 2}\n",
				     &o);
	saw(0, 200000, p_even);
	saw(1, 200000, p_mod4_2);
	saw(2, 200000, p_even);
	counters(p, 1, "t_keep", 200000, 100000);
	counters(p, 3, "branch", 100000, 100000);
	counters(p, 4, "t_keep", 100000, 50000);
	totals(p, 200000, 100000);
	ofd_pipeline_free(p);
}

/* Stop while the input still produces: produced == seen + dropped. */
static void test_stop(void **st)
{
	(void)st;
	struct ofd_pipeline *p = NULL;
	struct ofd_pipeline_opts o = {.pool_batches = 4};
	assert_int_equal(build(&p,
			       "- segment: t_input\n"
			       "  config: {forever: true}\n"
			       "- segment: t_keep\n"
			       "  config: {mod: 3, rem: 0}\n"
			       "- segment: t_bcollect\n"
			       "  config: {id: 1}\n"
			       "- segment: t_collect\n"
			       "  config: {notify: 20000}\n",
			       &o),
			 0);
	assert_int_equal(ofd_pipeline_init(p, err, sizeof(err)), 0);
	assert_int_equal(ofd_pipeline_start(p), 0);
	pthread_mutex_lock(&gate_mu);
	while (!enough)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	assert_false(ofd_pipeline_wait(p, 0));
	ofd_pipeline_stop(p);
	assert_int_equal(ofd_pipeline_finish(p), 0);
	uint64_t made = atomic_load(&produced);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, 1, &c);
	assert_true(C[0].n >= 20000);
	assert_int_equal(made, C[0].n + c.own[0]);
	assert_int_equal(C[1].n, C[0].n);
	counters(p, 1, "t_keep", made, C[0].n);
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(p, &t);
	assert_int_equal(t.in, made);
	assert_int_equal(t.out, C[0].n);
	ofd_pipeline_free(p);
}

/* The third segment's init fails: fini for it and the two before, in reverse; nothing started. */
static void test_init_failure(void **st)
{
	(void)st;
	struct ofd_pipeline *p = NULL;
	assert_int_equal(build(&p,
			       "- segment: t_input\n"
			       "- segment: t_life\n"
			       "  config: {id: 1}\n"
			       "- segment: t_life\n"
			       "  config: {id: 2}\n"
			       "- segment: t_life\n"
			       "  config: {id: 3, fail: true}\n"
			       "- segment: t_life\n"
			       "  config: {id: 4}\n"
			       "- segment: t_collect\n",
			       NULL),
			 0);
	assert_int_equal(ofd_pipeline_init(p, err, sizeof(err)), OFD_ELIMIT);
	assert_string_equal(err, "t.yml:6: segment t_life: init failed: limit reached");
	assert_string_equal(lifelog, "i1 i2 i3 f3 f2 f1 ");
	assert_int_not_equal(ofd_pipeline_start(p), 0);
	ofd_pipeline_free(p);
	assert_string_equal(lifelog, "i1 i2 i3 f3 f2 f1 ");
	assert_int_equal(atomic_load(&input_started), 0);
	assert_int_equal(C[0].fini, 0);

	/* and without a failure, fini runs once for each, in config order */
	lifelog[0] = 0;
	p = run("- segment: t_input\n"
		"- segment: t_life\n"
		"  config: {id: 1}\n"
		"- segment: t_life\n"
		"  config: {id: 2}\n",
		NULL);
	assert_string_equal(lifelog, "i1 i2 f1 f2 ");
	ofd_pipeline_free(p);
	assert_string_equal(lifelog, "i1 i2 f1 f2 ");
}

static void expect_error(const char *yaml, const char *msg)
{
	struct ofd_pipeline *p = NULL;
	assert_int_not_equal(build(&p, yaml, NULL), 0);
	assert_null(p);
	assert_string_equal(err, msg);
}

static void test_config_errors(void **st)
{
	(void)st;
	expect_error("- segment: t_input\n"
		     "- segment: nosuch\n",
		     "t.yml:2: segment nosuch: unknown segment");
	expect_error("- segment: t_input\n"
		     "- segment: t_collect\n"
		     "  jobs: 65\n",
		     "t.yml:3: segment t_collect: key jobs: 65 is above the maximum 64");
	expect_error("- segment: t_input\n"
		     "- segment: t_keep\n"
		     "  config: {mod: 2, nope: 1}\n",
		     "t.yml:3: segment t_keep: key nope: unknown key (known: mod, rem)");
	expect_error("- segment: t_input\n"
		     "- segment: branch\n"
		     "  if: [{segment: t_input}]\n",
		     "t.yml:3: segment t_input: an input cannot be inside a branch");
	expect_error("- segment: t_collect\n",
		     "t.yml: no input segment (a pipeline starts with an input such as pcap or udp)");
	expect_error("- segment: t_input\n"
		     "- segment: branch\n"
		     "  config: {a: 1}\n"
		     "  if: [{segment: t_collect}]\n",
		     "t.yml:3: segment branch: key a: unknown key (known: bypass-messages)");
	expect_error("- segment: t_input\n"
		     "- segment: t_life\n",
		     "t.yml:2: segment t_life: key id: missing required key");
	assert_string_equal(lifelog, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_branch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_branch_nested, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_branch_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blocking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
