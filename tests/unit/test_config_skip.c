/*
 * flowpipeline's `skip`, which the config loader rewrites into a branch: the entries it builds
 * (a flowfilter on the condition in `if`, the skipped entries on the side the condition's flows
 * do not take), its keys, counts past the end, nesting, and pipelines run on built flows through
 * the real flowfilter that show which flows went through the skipped segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "ofd/segment.h"
#include "segments/builtin.h"

#include "logcap.h"

static char err[1024];
static struct ofd_cfg_file *cfgf;

static int setup(void **st)
{
	(void)st;
	logcap_start();
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	logcap_stop();
	ofd_cfg_free(cfgf);
	cfgf = NULL;
	return 0;
}

/* The loaded pipeline of yaml (args $0...), or NULL with the message in err. */
static const struct ofd_cfg_pipeline *load(const char *yaml, char *const *args, size_t nargs)
{
	ofd_cfg_free(cfgf);
	cfgf = NULL;
	err[0] = 0;
	if (ofd_cfg_load_string(&cfgf, "skip.yml", yaml, strlen(yaml), args, nargs, err, sizeof(err)))
		return NULL;
	return ofd_cfg_pipeline(cfgf);
}

static void load_fails(const char *yaml, const char *msg)
{
	assert_null(load(yaml, NULL, 0));
	assert_string_equal(err, msg);
}

/* e is the branch of a skip on line `line`: its `if` one flowfilter on `filter` (NULL: no config). */
static void assert_skip_branch(const struct ofd_cfg_entry *e, unsigned line, const char *filter)
{
	assert_string_equal(e->segment, "branch");
	assert_int_equal(e->line, line);
	assert_null(e->config);
	assert_non_null(e->if_);
	assert_int_equal(e->if_->n, 1);
	const struct ofd_cfg_entry *ff = &e->if_->v[0];
	assert_string_equal(ff->segment, "flowfilter");
	assert_int_equal(ff->line, line);
	assert_null(ff->if_);
	if (!filter) {
		assert_null(ff->config);
		return;
	}
	assert_non_null(ff->config);
	assert_int_equal(ff->config->n, 1);
	assert_string_equal(ff->config->keys[0], "filter");
	assert_string_equal(ofd_cfg_node_get(ff->config, "filter")->text, filter);
}

/* ---- the entries built ---- */

/* The cases that build pipelines of real segments; skipped in a build without them (make test-minimal). */
#if defined(OFD_HAVE_SEGMENT_STDIN) && defined(OFD_HAVE_SEGMENT_FLOWFILTER) &&                               \
    defined(OFD_HAVE_SEGMENT_COUNT) && defined(OFD_HAVE_SEGMENT_DROP) && defined(OFD_HAVE_SEGMENT_PASS) &&   \
    defined(OFD_HAVE_SEGMENT_JSON)
#define HAVE_REAL_SEGMENTS 1
#else
#define HAVE_REAL_SEGMENTS 0
#endif

static void test_default_one(void **st)
{
	(void)st;
	const struct ofd_cfg_pipeline *p = load("- segment: stdin\n"
						"- segment: Skip\n"
						"  config:\n"
						"    condition: proto tcp\n"
						"- segment: count\n"
						"- segment: json\n",
						NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 3);
	assert_string_equal(p->v[0].segment, "stdin");
	assert_skip_branch(&p->v[1], 2, "proto tcp");
	assert_int_equal(ofd_cfg_node_get(p->v[1].if_->v[0].config, "filter")->line, 4);
	assert_null(p->v[1].then_); /* tcp flows: nothing */
	assert_non_null(p->v[1].else_);
	assert_int_equal(p->v[1].else_->n, 1);
	assert_string_equal(p->v[1].else_->v[0].segment, "count");
	assert_int_equal(p->v[1].else_->v[0].line, 5);
	assert_string_equal(p->v[2].segment, "json");
	assert_int_equal(p->v[2].line, 6);
	assert_string_equal(logcap_buf, "");
}

static void test_invert_two(void **st)
{
	(void)st;
	const struct ofd_cfg_pipeline *p = load("- segment: stdin\n"
						"- segment: SKIP\n"
						"  jobs: 2\n"
						"  config: {condition: 'port 53', skip: 2, invert: true}\n"
						"- segment: count\n"
						"- segment: pass\n"
						"- segment: json\n",
						NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 3);
	assert_skip_branch(&p->v[1], 2, "port 53");
	assert_int_equal(p->v[1].if_->v[0].jobs, 2);
	assert_int_equal(p->v[1].jobs, 1);
	assert_null(p->v[1].else_);
	assert_int_equal(p->v[1].then_->n, 2);
	assert_string_equal(p->v[1].then_->v[0].segment, "count");
	assert_string_equal(p->v[1].then_->v[1].segment, "pass");
	assert_string_equal(p->v[2].segment, "json");
}

/* skip: 0 and an absent condition: a branch with both sides empty, the entries after it stay */
static void test_zero_and_empty(void **st)
{
	(void)st;
	const struct ofd_cfg_pipeline *p = load("- segment: stdin\n"
						"- segment: skip\n"
						"  config: {skip: 0}\n"
						"- segment: count\n",
						NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 3);
	assert_skip_branch(&p->v[1], 2, NULL);
	assert_null(p->v[1].then_);
	assert_null(p->v[1].else_);
	assert_string_equal(p->v[2].segment, "count");
	p = load("- segment: stdin\n- segment: skip\n- segment: count\n", NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 2);
	assert_skip_branch(&p->v[1], 2, NULL);
	assert_int_equal(p->v[1].else_->n, 1);
	assert_string_equal(logcap_buf, "");
}

/* past the end of its list: nothing skipped, as flowpipeline, with a warning naming the line */
static void test_past_end(void **st)
{
	(void)st;
	const struct ofd_cfg_pipeline *p = load("- segment: stdin\n"
						"- segment: skip\n"
						"  config: {condition: proto udp, skip: 3}\n"
						"- segment: count\n"
						"- segment: json\n",
						NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 4);
	assert_skip_branch(&p->v[1], 2, "proto udp");
	assert_null(p->v[1].then_);
	assert_null(p->v[1].else_);
	assert_string_equal(p->v[2].segment, "count");
	assert_string_equal(p->v[3].segment, "json");
	assert_non_null(strstr(logcap_buf, "skip.yml:2: segment skip: key skip: 3 segments, but 2 follow in "
					   "this list: nothing is skipped"));
	/* up to the end is allowed */
	logcap_buf[0] = 0;
	p = load(
	    "- segment: stdin\n- segment: skip\n  config: {skip: 2}\n- segment: count\n- segment: json\n",
	    NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 2);
	assert_int_equal(p->v[1].else_->n, 2);
	assert_string_equal(logcap_buf, "");
}

static void test_keys(void **st)
{
	(void)st;
	load_fails("- segment: stdin\n"
		   "- segment: skip\n"
		   "  config:\n"
		   "    condtion: proto tcp\n"
		   "- segment: count\n",
		   "skip.yml:4: segment skip: key condtion: unknown key (did you mean condition? known: "
		   "condition, skip, invert)");
	assert_null(
	    load("- segment: stdin\n- segment: Skip\n  config: {skip: -1}\n- segment: count\n", NULL, 0));
	assert_non_null(strstr(err, "skip.yml:3: segment Skip: key skip: "));
	assert_null(load("- segment: stdin\n- segment: skip\n  config: {invert: maybe}\n", NULL, 0));
	assert_non_null(strstr(err, "skip.yml:3: segment skip: key invert: "));
	assert_null(load("- segment: stdin\n- segment: skip\n  config: {condition: [a]}\n", NULL, 0));
	assert_non_null(strstr(err, "skip.yml:3: segment skip: key condition: "));
	load_fails("- segment: stdin\n- segment: skip\n  then:\n  - segment: count\n",
		   "skip.yml:3: segment skip: key then: only allowed on segment: branch");
}

/* inside a branch's list, and a skip among the entries another skips */
static void test_nesting(void **st)
{
	(void)st;
	const struct ofd_cfg_pipeline *p = load("- segment: stdin\n"
						"- segment: branch\n"
						"  if:\n"
						"  - segment: pass\n"
						"  then:\n"
						"  - segment: skip\n"
						"    config: {condition: proto tcp, skip: 3}\n"
						"  - segment: count\n"
						"  - segment: skip\n"
						"    config: {condition: proto udp}\n"
						"  - segment: json\n"
						"  - segment: drop\n",
						NULL, 0);
	assert_non_null(p);
	assert_int_equal(p->n, 2);
	const struct ofd_cfg_pipeline *then = p->v[1].then_;
	assert_int_equal(then->n, 2);
	assert_skip_branch(&then->v[0], 6, "proto tcp");
	const struct ofd_cfg_pipeline *side = then->v[0].else_;
	assert_int_equal(side->n, 2);
	assert_string_equal(side->v[0].segment, "count");
	assert_skip_branch(&side->v[1], 9, "proto udp");
	assert_int_equal(side->v[1].else_->n, 1);
	assert_string_equal(side->v[1].else_->v[0].segment, "json");
	assert_string_equal(then->v[1].segment, "drop");

	load_fails("- segment: stdin\n"
		   "- segment: skip\n"
		   "  config: {skip: 2}\n"
		   "- segment: skip\n"
		   "  config: {skip: 2}\n"
		   "- segment: count\n"
		   "- segment: json\n",
		   "skip.yml:4: segment skip: key skip: 2 segments reach past the 2 that the skip on "
		   "line 2 skips (overlapping skips are not supported)");
}

/* a chain of skips each skipping the rest nests one branch per skip, bounded */
static void test_depth(void **st)
{
	(void)st;
	char yaml[4096] = "- segment: stdin\n";
	size_t o = strlen(yaml);
	for (unsigned i = 0; i < 40; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "- segment: skip\n  config: {skip: %u}\n",
				      40 - i);
	snprintf(yaml + o, sizeof(yaml) - o, "- segment: count\n");
	assert_null(load(yaml, NULL, 0));
	assert_non_null(strstr(err, "segment skip: branches nested deeper than 32 (a skip is a branch)"));
}

/* ---- pipelines on built flows ---- */

#define NFLOWS 40
static uint32_t seen[NFLOWS]; /* per flow (dst_port): src_as + 1 at t_rec, 0: never arrived */

static int tin_start(struct ofd_segment *seg, void *state)
{
	(void)state;
	for (unsigned i = 0; i < NFLOWS; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->proto = i % 2 ? 6 : 17; /* odd: tcp, even: udp */
		f->dst_port = (uint16_t)i;
		f->src_port = 1000;
		f->packets = 1;
		f->bytes = 100;
	}
	return 0;
}

static const struct ofd_segment_type t_in = {
    OFD_SEGMENT_VERSION,
    .name = "t_in",
    .kind = OFD_SEG_INPUT,
    .start = tin_start,
};

struct tmark {
	uint64_t add;
};

static void tmark_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	const struct tmark *t = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i))
			b->flows[i].src_as += (uint32_t)t->add;
}

static const struct ofd_cfg_key tmark_keys[] = {
    OFD_KEY("add", OFD_CFG_UINT, struct tmark, add, .def = "1"),
    OFD_KEY_END,
};
static const struct ofd_segment_type t_mark = {
    OFD_SEGMENT_VERSION,  .name = "t_mark",	    .kind = OFD_SEG_FLOW, .state_size = sizeof(struct tmark),
    .config = tmark_keys, .process = tmark_process,
};

static void trec_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && b->flows[i].dst_port < NFLOWS)
			seen[b->flows[i].dst_port] = b->flows[i].src_as + 1;
}

static const struct ofd_segment_type t_rec = {
    OFD_SEGMENT_VERSION,
    .name = "t_rec",
    .kind = OFD_SEG_FLOW,
    .process = trec_process,
};

/* Run yaml (args $0...) over the built-in segments and the test ones; seen[] is filled. */
static void run(const char *yaml, char *const *args, size_t nargs)
{
	struct ofd_registry *r;
	const struct ofd_segment_type *types[] = {&t_in, &t_mark, &t_rec};
	assert_int_equal(ofd_registry_new(&r), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(ofd_registry_add(r, types[i], "test", err, sizeof(err)), 0);
	memset(seen, 0, sizeof(seen));
	const struct ofd_cfg_pipeline *c = load(yaml, args, nargs);
	if (!c)
		fail_msg("load: %s", err);
	struct ofd_pipeline *p;
	if (ofd_pipeline_new(&p, r, c, "skip.yml", NULL, err, sizeof(err)))
		fail_msg("build: %s", err);
	if (ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("init: %s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);
	ofd_pipeline_free(p);
	ofd_registry_free(r);
}

/* every flow arrived at t_rec with src_as tcp_as (odd dst_port) or udp_as (even) */
static void assert_seen(uint32_t tcp_as, uint32_t udp_as)
{
	for (unsigned i = 0; i < NFLOWS; i++) {
		uint32_t want = (i % 2 ? tcp_as : udp_as) + 1;
		if (seen[i] != want)
			fail_msg("flow %u (%s): seen %u, want %u", i, i % 2 ? "tcp" : "udp", seen[i], want);
	}
}

static void test_run_skip(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	static const char *const base = "- segment: t_in\n"
					"- segment: skip\n"
					"  config: {condition: proto tcp, skip: 2%s}\n"
					"- segment: t_mark\n"
					"  config: {add: 1}\n"
					"- segment: t_mark\n"
					"  config: {add: 10}\n"
					"- segment: t_mark\n"
					"  config: {add: 100}\n"
					"- segment: t_rec\n";
	char yaml[512];
	snprintf(yaml, sizeof(yaml), base, "");
	run(yaml, NULL, 0);
	assert_seen(100, 111); /* tcp skipped the first two marks */
	snprintf(yaml, sizeof(yaml), base, ", invert: true");
	run(yaml, NULL, 0);
	assert_seen(111, 100);
	snprintf(yaml, sizeof(yaml), base, ", skip: 0");
	assert_null(load(yaml, NULL, 0)); /* a duplicate key */
	run("- segment: t_in\n- segment: skip\n  config: {condition: proto tcp, skip: 0}\n"
	    "- segment: t_mark\n- segment: t_rec\n",
	    NULL, 0);
	assert_seen(1, 1);
	run("- segment: t_in\n- segment: skip\n- segment: t_mark\n- segment: t_rec\n", NULL, 0);
	assert_seen(0, 0); /* empty condition: every flow skips the mark */
	run("- segment: t_in\n- segment: skip\n  config: {invert: true}\n- segment: t_mark\n- segment: "
	    "t_rec\n",
	    NULL, 0);
	assert_seen(1, 1);
}

/* a filter among the skipped segments drops only the flows that go through it */
static void test_run_drop_inside(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	run("- segment: t_in\n"
	    "- segment: skip\n"
	    "  config: {condition: 'dst port <10'}\n"
	    "- segment: flowfilter\n"
	    "  config: {filter: proto udp}\n"
	    "- segment: t_rec\n",
	    NULL, 0);
	for (unsigned i = 0; i < NFLOWS; i++)
		assert_int_equal(seen[i] != 0, i < 10 || i % 2 == 0);
}

/* flowpipeline's highlighted flowdump: skip: 2 on `not ($0)` over a mark and blackhole */
static void test_run_not_arg(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	char *args[] = {"proto tcp and dst port <20"};
	run("- segment: t_in\n"
	    "- segment: skip\n"
	    "  config:\n"
	    "    condition: not ($0)\n"
	    "    skip: 3\n"
	    "- segment: t_mark\n"
	    "  config: {add: 1}\n"
	    "- segment: t_rec\n"
	    "- segment: blackhole\n"
	    "- segment: t_mark\n"
	    "  config: {add: 10}\n"
	    "- segment: t_rec\n",
	    args, 1);
	for (unsigned i = 0; i < NFLOWS; i++)
		assert_int_equal(seen[i], (i % 2 && i < 20 ? 1u : 10u) + 1);
}

/* a syntax error in the condition: refused at build, on the skip's line, with the user's column */
static void test_bad_condition(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	struct ofd_registry *r;
	struct ofd_pipeline *p = NULL;
	assert_int_equal(ofd_registry_new(&r), 0);
	const struct ofd_cfg_pipeline *c = load("- segment: stdin\n"
						"- segment: skip\n"
						"  config:\n"
						"    condition: proto tcpp\n"
						"- segment: count\n",
						NULL, 0);
	assert_non_null(c);
	assert_int_not_equal(ofd_pipeline_new(&p, r, c, "skip.yml", NULL, err, sizeof(err)), 0);
	assert_null(p);
	assert_non_null(strstr(err, "skip.yml:2: segment flowfilter: key filter: column 7: "));
	ofd_registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_default_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invert_two, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_and_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_past_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nesting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_condition, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_skip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_drop_inside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_not_arg, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
