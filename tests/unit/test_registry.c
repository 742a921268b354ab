/*
 * The segment registry: the built-in list, descriptor checks (ABI version, names, callbacks,
 * counters), duplicate names, and the example custom segment loaded from the build directory
 * ($OFD_BUILD/example_segment.so) and run in a pipeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "segments/builtin.h"
#include "core/registry.h"

static char err[512];

static void nop_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

static int nop_start(struct ofd_segment *seg, void *state)
{
	(void)seg;
	(void)state;
	return 0;
}

static void test_builtin(void **st)
{
	(void)st;
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new(&r), 0);
	const char *origin = NULL;
	size_t n = 0;
	for (const struct ofd_segment_type *t; (t = ofd_registry_at(r, n, &origin)) != NULL; n++) {
		assert_string_equal(origin, "built-in");
		assert_ptr_equal(ofd_registry_find(r, t->name), t);
		assert_int_equal(ofd_registry_check(t, err, sizeof(err)), 0);
	}
	assert_null(ofd_registry_find(r, "branch"));
	assert_null(ofd_registry_find(r, "nosuch"));
	ofd_registry_free(r);
}

static void nop_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *s)
{
	(void)seg;
	(void)state;
	(void)s;
}

static void test_check(void **st)
{
	(void)st;
	static const char *const many[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", NULL};
	struct ofd_segment_type t = {
	    .abi = OFD_SEGMENT_ABI + 1, .name = "x", .kind = OFD_SEG_FLOW, .process = nop_process};
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_EVERSION);
	char want[128];
	snprintf(want, sizeof(want),
		 "segment ABI version %d, this overflowd has %d (rebuild it against its headers)",
		 OFD_SEGMENT_ABI + 1, OFD_SEGMENT_ABI);
	assert_string_equal(err, want);
	t.abi = OFD_SEGMENT_ABI;
	t.layout = OFD_SEGMENT_LAYOUT + 1;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_EVERSION);
	snprintf(want, sizeof(want),
		 "segment x: built against record layout %08x, this overflowd has %08x (rebuild it "
		 "against its headers)",
		 (unsigned)OFD_SEGMENT_LAYOUT + 1, (unsigned)OFD_SEGMENT_LAYOUT);
	assert_string_equal(err, want);
	t.layout = OFD_SEGMENT_LAYOUT;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.name = "branch";
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment branch: the name 'branch' is reserved for the engine");
	t.name = "Skip";
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err,
			    "segment Skip: the name 'skip' is reserved for the engine (the config loader "
			    "turns it into a branch)");
	t.name = "x";
	t.flags = OFD_SEGF_EMITS | OFD_SEGF_PARALLEL;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "OFD_SEGF_EMITS on an input, a blocking or a parallel segment"));
	t.flags = OFD_SEGF_EMITS;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.flags = 0;
	t.name = "";
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	t.name = "x";
	t.process = NULL;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: a segment without process()");
	t.kind = OFD_SEG_INPUT;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: an input without start()");
	t.start = nop_start;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.counters = many;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: more counters than OFD_SEGMENT_COUNTERS_MAX");
	t.counters = many + 1; /* exactly 8 */
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.flags = 1u << 5;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	t.flags = 0;
	t.kind = (enum ofd_segment_kind)9;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: an unknown kind");
	t.kind = OFD_SEG_INPUT;

	/* a config map must fit the state it is written into */
	struct two {
		uint64_t a;
		char *s;
	};
	static const struct ofd_cfg_key keys[] = {OFD_KEY("a", OFD_CFG_UINT, struct two, a),
						  OFD_KEY("s", OFD_CFG_STRING, struct two, s), OFD_KEY_END};
	t.config = keys;
	t.state_size = sizeof(struct two);
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.state_size = sizeof(struct two) - 1;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: a config key outside the segment's state (state_size)");
	t.config = NULL;

	/* metric families: with collect(), valid names, none named like the engine's */
	static const struct ofd_metric fams[] = {{"x_total", OFD_METRIC_COUNTER, 0, "x", {"peer"}},
						 {.name = NULL}};
	static const struct ofd_metric engine[] = {{"pipeline_x_total", OFD_METRIC_COUNTER, 0, "x", {NULL}},
						   {.name = NULL}};
	static const struct ofd_metric seglabel[] = {{"y", OFD_METRIC_GAUGE, 0, "y", {"segment"}},
						     {.name = NULL}};
	t.metrics = fams;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: metric families without collect()");
	t.collect = nop_collect;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), 0);
	t.metrics = engine;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: a metric family named like the engine's own");
	t.metrics = seglabel;
	assert_int_equal(ofd_registry_check(&t, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment x: a metric family with an invalid label name");
}

static void test_duplicates(void **st)
{
	(void)st;
	static const struct ofd_segment_type a = {OFD_SEGMENT_VERSION, .name = "dup", .kind = OFD_SEG_FLOW,
						  .process = nop_process};
	static const struct ofd_segment_type b = {OFD_SEGMENT_VERSION, .name = "dup", .kind = OFD_SEG_OUTPUT,
						  .process = nop_process};
	static const struct ofd_segment_type old = {
	    .abi = 0, .name = "old", .kind = OFD_SEG_OUTPUT, .process = nop_process};
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new_empty(&r), 0);
	assert_int_equal(ofd_registry_add(r, &a, "first", err, sizeof(err)), 0);
	assert_int_equal(ofd_registry_add(r, &b, "second", err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment dup: already defined (first)");
	assert_int_equal(ofd_registry_add(r, &old, "third", err, sizeof(err)), OFD_EVERSION);
	assert_ptr_equal(ofd_registry_find(r, "dup"), &a);
	assert_null(ofd_registry_find(r, "old"));
	assert_null(ofd_registry_at(r, 1, NULL));
	ofd_registry_free(r);
}

static const char *plugin_path(char *buf, size_t len)
{
	const char *b = getenv("OFD_BUILD");
	if (!b)
		fail_msg("OFD_BUILD is not set (run under ctest)");
	snprintf(buf, len, "%s/example_segment.so", b);
	return buf;
}

/* A t_input producing count records with bytes = 1, packets = 1, src_port = index. */
struct tin {
	uint64_t count;
};

static int tin_start(struct ofd_segment *seg, void *state)
{
	struct tin *t = state;
	for (uint64_t i = 0; i < t->count; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->bytes = 1;
		f->packets = 1;
		f->src_port = (uint16_t)i;
	}
	return 0;
}

static const struct ofd_cfg_key tin_keys[] = {
    {.key = "count", .type = OFD_CFG_UINT, .offset = offsetof(struct tin, count), .def = "1000"},
    {.key = NULL},
};
static const struct ofd_segment_type t_input = {OFD_SEGMENT_VERSION,   .name = "t_input",
						.kind = OFD_SEG_INPUT, .state_size = sizeof(struct tin),
						.config = tin_keys,    .start = tin_start};

static uint64_t seen, seen_bytes, seen_ports;

static void tsum_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (ofd_batch_is_live(b, i)) {
			seen++;
			seen_bytes += b->flows[i].bytes;
			seen_ports += b->flows[i].src_port;
			assert_int_equal(b->flows[i].sampling_rate, 10);
		}
	}
}

static const struct ofd_segment_type t_sum = {OFD_SEGMENT_VERSION, .name = "t_sum", .kind = OFD_SEG_OUTPUT,
					      .process = tsum_process};

static void test_plugin(void **st)
{
	(void)st;
	char path[4096];
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new_empty(&r), 0);
	assert_int_equal(ofd_registry_add(r, &t_input, "test", err, sizeof(err)), 0);
	assert_int_equal(ofd_registry_add(r, &t_sum, "test", err, sizeof(err)), 0);
	if (ofd_registry_load(r, plugin_path(path, sizeof(path)), err, sizeof(err)))
		fail_msg("load: %s", err);
	const char *origin;
	const struct ofd_segment_type *t = ofd_registry_at(r, 2, &origin);
	assert_non_null(t);
	assert_string_equal(t->name, "sample_every");
	assert_string_equal(origin, path);
	assert_ptr_equal(ofd_registry_find(r, "sample_every"), t);

	/* the same module again: its name is taken, the module is refused whole */
	assert_int_equal(ofd_registry_load(r, path, err, sizeof(err)), OFD_ECONFIG);
	char want[8400];
	snprintf(want, sizeof(want), "%s: segment sample_every: already defined", path);
	assert_string_equal(err, want);
	assert_null(ofd_registry_at(r, 3, NULL));

	/* a module built against another record layout: refused, both layouts named */
	char other[4096];
	snprintf(other, sizeof(other), "%.*s/other_layout.so", (int)(strrchr(path, '/') - path), path);
	assert_int_equal(ofd_registry_load(r, other, err, sizeof(err)), OFD_EVERSION);
	snprintf(want, sizeof(want),
		 "%s: segment other_layout: built against record layout %08x, this overflowd has %08x "
		 "(rebuild it against its headers)",
		 other, (unsigned)(OFD_SEGMENT_LAYOUT ^ 0x5a5a0000u), (unsigned)OFD_SEGMENT_LAYOUT);
	assert_string_equal(err, want);
	assert_null(ofd_registry_find(r, "other_layout"));

	/* not a module, no such file */
	assert_int_equal(ofd_registry_load(r, "/nonexistent/x.so", err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent/x.so"));

	/* run it: 1000 flows, one in ten kept and scaled by ten */
	static const char yaml[] = "- segment: t_input\n"
				   "- segment: sample_every\n"
				   "  config: {n: 10, scale: true}\n"
				   "- segment: t_sum\n";
	struct ofd_cfg_file *f;
	assert_int_equal(ofd_cfg_load_string(&f, "p.yml", yaml, sizeof(yaml) - 1, NULL, 0, err, sizeof(err)),
			 0);
	struct ofd_pipeline *p;
	if (ofd_pipeline_new(&p, r, ofd_cfg_pipeline(f), "p.yml", NULL, err, sizeof(err)) ||
	    ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);
	assert_int_equal(seen, 100);
	assert_int_equal(seen_bytes, 1000);
	assert_int_equal(seen_ports, 49500); /* 0 + 10 + ... + 990 */
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, 1, &c);
	assert_int_equal(c.in, 1000);
	assert_int_equal(c.out, 100);
	assert_int_equal(c.nown, 2);
	assert_int_equal(c.own[0], 100);
	assert_int_equal(c.own[1], 900);

	/* a config error in the plugin's config map */
	static const char bad[] = "- segment: t_input\n"
				  "- segment: sample_every\n"
				  "  config: {n: 0}\n";
	ofd_pipeline_free(p);
	ofd_cfg_free(f);
	assert_int_equal(ofd_cfg_load_string(&f, "p.yml", bad, sizeof(bad) - 1, NULL, 0, err, sizeof(err)),
			 0);
	assert_int_equal(ofd_pipeline_new(&p, r, ofd_cfg_pipeline(f), "p.yml", NULL, err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "p.yml:3: segment sample_every: key n: "));
	ofd_cfg_free(f);
	ofd_registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_plugin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
