/*
 * The segment reference (cli/segdoc.h) of a registry of made-up types: grouping by kind in
 * registry order, aliases, flags, a custom type's module, every column of the key table (types
 * in words, empty and absent defaults, bounds of durations, sizes and numbers, choices, `|`
 * escaped, the keys of a list's elements), counters, metric families; the plain list; a write error. The real
 * built-ins are checked by tests/e2e/test_segdoc.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cli/ is linked into the overflowd program only (CMakeLists.txt): the test compiles the module */
#include "cli/segdoc.h"
#include "core/registry.h"

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

struct doc_rule {
	char *match;
	int64_t weight;
};

struct doc_state {
	int b;
	uint64_t d, z, u;
	double x;
	char *s;
	int e;
	struct ofd_strlist l;
	struct ofd_cfg_list rules;
};

static const char *const doc_choices[] = {"none", "a|b", NULL};
static const struct ofd_cfg_key doc_rule_keys[] = {
    OFD_KEY("match", OFD_CFG_STRING, struct doc_rule, match, .required = 1, .help = "what"),
    OFD_KEY("weight", OFD_CFG_INT, struct doc_rule, weight, .def = "-1", .min = -10, .max = 10,
	    .help = "how much"),
    OFD_KEY_END,
};
static const struct ofd_cfg_key doc_keys[] = {
    OFD_KEY("every", OFD_CFG_DURATION, struct doc_state, d, .def = "10s", .min = 1e9, .max = 3600e9,
	    .help = "how often"),
    OFD_KEY("buf", OFD_CFG_SIZE, struct doc_state, z, .def = "64k", .min = 1024, .max = 1073741824.0,
	    .help = "buffer"),
    OFD_KEY("ratio", OFD_CFG_DOUBLE, struct doc_state, x, .def = "1", .min = 0.5, .max = 2, .help = "a | b"),
    OFD_KEY("n", OFD_CFG_UINT, struct doc_state, u, .required = 1, .min = 1, .max = 65535),
    OFD_KEY("tag", OFD_CFG_STRING, struct doc_state, s, .def = "", .help = "text"),
    OFD_KEY("mode", OFD_CFG_ENUM, struct doc_state, e, .def = "none", .choices = doc_choices, .help = "mode"),
    OFD_KEY("on", OFD_CFG_BOOL, struct doc_state, b, .def = "true", .help = "switch"),
    OFD_KEY("names", OFD_CFG_STRLIST, struct doc_state, l, .def = "[]", .help = "names"),
    OFD_KEY("rules", OFD_CFG_LIST, struct doc_state, rules, .sub = doc_rule_keys,
	    .elem_size = sizeof(struct doc_rule), .max = 8, .help = "rules"),
    OFD_KEY_END,
};
static const char *const doc_counters[] = {"errs", "late", NULL};
static const struct ofd_metric doc_metrics[] = {
    {"out_queue", OFD_METRIC_GAUGE, 0, "queued | waiting", {"state", "kind"}},
    {"out_bytes_total", OFD_METRIC_COUNTER, OFD_METRIC_GLOBAL | OFD_METRIC_DETAIL, "bytes", {"peer"}},
    {NULL, 0, 0, NULL, {NULL}},
};

static void nop_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *s)
{
	(void)seg;
	(void)state;
	(void)s;
}

static const struct ofd_segment_type doc_out = {
    OFD_SEGMENT_VERSION,	   .name = "out",
    .kind = OFD_SEG_OUTPUT,	   .flags = OFD_SEGF_BLOCKING,
    .summary = "write somewhere.", .counters = doc_counters,
    .metrics = doc_metrics,	   .collect = nop_collect,
    .process = nop_process,
};
/* "print": the registry's alias printflowdump stands for it */
static const struct ofd_segment_type doc_print = {
    OFD_SEGMENT_VERSION,	.name = "print",
    .kind = OFD_SEG_FLOW,	.flags = OFD_SEGF_PARALLEL,
    .summary = "look at flows", .state_size = sizeof(struct doc_state),
    .config = doc_keys,		.process = nop_process,
};
static const struct ofd_segment_type doc_src = {
    OFD_SEGMENT_VERSION, .name = "src", .kind = OFD_SEG_INPUT, .summary = "make flows", .start = nop_start,
};

static const char doc_want[] =
    "#### Input segments\n"
    "\n"
    "##### `src`\n"
    "\n"
    "Make flows.\n"
    "Custom segment from `/x/my.so`.\n"
    "\n"
    "#### Flow segments\n"
    "\n"
    "##### `print`\n"
    "\n"
    "Look at flows.\n"
    "Also accepted as `printflowdump`.\n"
    "Stateless per flow: `jobs: N` may run N instances.\n"
    "\n"
    "| key | type | default | required | bounds | choices | help |\n"
    "|---|---|---|---|---|---|---|\n"
    "| `every` | duration | `10s` |  | 1s to 1h |  | how often |\n"
    "| `buf` | size | `64k` |  | 1k to 1G |  | buffer |\n"
    "| `ratio` | number | `1` |  | 0.5 to 2 |  | a \\| b |\n"
    "| `n` | unsigned integer |  | yes | 1 to 65535 |  |  |\n"
    "| `tag` | string | `\"\"` |  |  |  | text |\n"
    "| `mode` | choice | `none` |  |  | `none`, `a\\|b` | mode |\n"
    "| `on` | bool | `true` |  |  |  | switch |\n"
    "| `names` | list of strings | `[]` |  |  |  | names |\n"
    "| `rules` | list of maps |  |  | at most 8 items |  | rules |\n"
    "| `rules[].match` | string |  | yes |  |  | what |\n"
    "| `rules[].weight` | integer | `-1` |  | -10 to 10 |  | how much |\n"
    "\n"
    "##### `skip`\n"
    "\n"
    "The flows matching condition skip the next segments (flowpipeline's skip).\n"
    "The config loader rewrites it into a `branch` whose `if` is a `flowfilter` on `condition` (same "
    "line, same `jobs`) and whose other side holds the skipped segments: the exit summary and /metrics "
    "show those.\n"
    "\n"
    "| key | type | default | required | bounds | choices | help |\n"
    "|---|---|---|---|---|---|---|\n"
    "| `condition` | string |  |  |  |  | flowfilter expression: the flows it matches skip the next `skip` "
    "segments of this list, the others go through them; empty or absent: every flow skips |\n"
    "| `skip` | unsigned integer | `1` |  | 0 to 4294967295 |  | how many of the following segments to "
    "skip; 0, or more than follow in this list (with a warning, as flowpipeline), skips nothing |\n"
    "| `invert` | bool | `false` |  |  |  | the flows the condition does not match skip instead |\n"
    "\n"
    "#### Output segments\n"
    "\n"
    "##### `out`\n"
    "\n"
    "Write somewhere.\n"
    "Runs in its own thread, on a copy of the flows, behind a bounded queue.\n"
    "\n"
    "Counters: `errs`, `late`.\n"
    "\n"
    "| metric | type | labels | help |\n"
    "|---|---|---|---|\n"
    "| `overflowd_out_queue` | gauge | `segment`, `state`, `kind` | queued \\| waiting |\n"
    "| `overflowd_out_bytes_total` | counter (not in the exit summary) | `peer` | bytes |\n";

static struct ofd_registry *doc_registry(void)
{
	char err[256];
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new_empty(&r), 0);
	assert_int_equal(ofd_registry_add(r, &doc_out, "built-in", err, sizeof(err)), 0);
	assert_int_equal(ofd_registry_add(r, &doc_print, "built-in", err, sizeof(err)), 0);
	assert_int_equal(ofd_registry_add(r, &doc_src, "/x/my.so", err, sizeof(err)), 0);
	return r;
}

/* What fn printed into a real (temporary) file, NUL-terminated; the caller frees it. */
static char *doc_print_to_file(int (*fn)(const struct ofd_registry *, FILE *), const struct ofd_registry *r)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fn(r, f), 0);
	long n = ftell(f);
	assert_true(n > 0);
	char *buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void test_markdown(void **st)
{
	(void)st;
	struct ofd_registry *r = doc_registry();
	char *got = doc_print_to_file(ofd_segdoc_markdown, r);
	assert_true(strncmp(got, "<!-- generated by `overflowd --segments --markdown`", 51) == 0);
	const char *body = strstr(got, "\n#### ");
	assert_non_null(body);
	assert_string_equal(body + 1, doc_want);
	/* the same registry, the same bytes */
	char *again = doc_print_to_file(ofd_segdoc_markdown, r);
	assert_string_equal(again, got);
	free(again);
	free(got);
	ofd_registry_free(r);
}

static void test_alias_at(void **st)
{
	(void)st;
	struct ofd_registry *r = doc_registry();
	const char *target = NULL;
	assert_string_equal(ofd_registry_alias_at(r, 0, &target), "printflowdump");
	assert_string_equal(target, "print");
	assert_ptr_equal(ofd_registry_find(r, "printflowdump"), &doc_print);
	size_t n = 0;
	while (ofd_registry_alias_at(r, n, NULL))
		n++;
	assert_int_equal(n, 4); /* printflowdump, goflow, blackhole, snmpinterface */
	ofd_registry_free(r);
}

static void test_list(void **st)
{
	(void)st;
	struct ofd_registry *r = doc_registry();
	char *got = doc_print_to_file(ofd_segdoc_list, r);
	assert_string_equal(
	    got,
	    "out              output   write somewhere.\n"
	    "print            flow     look at flows\n"
	    "    also accepted as printflowdump (flowpipeline's name)\n"
	    "    every          duration default 10s\n"
	    "      how often\n"
	    "    buf            size     default 64k\n"
	    "      buffer\n"
	    "    ratio          number   default 1\n"
	    "      a | b\n"
	    "    n              uint     required\n"
	    "      \n"
	    "    tag            string   default \n"
	    "      text\n"
	    "    mode           enum     default none (none|a|b)\n"
	    "      mode\n"
	    "    on             bool     default true\n"
	    "      switch\n"
	    "    names          list     default []\n"
	    "      names\n"
	    "    rules          maps    \n"
	    "      rules\n"
	    "    rules[].match  string   required\n"
	    "      what\n"
	    "    rules[].weight int      default -1\n"
	    "      how much\n"
	    "src              input    make flows (/x/my.so)\n"
	    "skip             flow     the flows matching condition skip the next segments (flowpipeline's "
	    "skip)\n"
	    "    condition      string  \n"
	    "      flowfilter expression: the flows it matches skip the next `skip` segments of this list, "
	    "the others go through them; empty or absent: every flow skips\n"
	    "    skip           uint     default 1\n"
	    "      how many of the following segments to skip; 0, or more than follow in this list (with a "
	    "warning, as flowpipeline), skips nothing\n"
	    "    invert         bool     default false\n"
	    "      the flows the condition does not match skip instead\n"
	    "branch           flow     route flows: if, then (survivors of if), else (the others)\n"
	    "    bypass-messages bool     default false\n"
	    "      every flow that entered the branch leaves it, whether then or else dropped it\n");
	free(got);
	ofd_registry_free(r);
}

/* A full disk is reported, not ignored. */
static void test_write_error(void **st)
{
	(void)st;
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	struct ofd_registry *r = doc_registry();
	assert_int_equal(ofd_segdoc_markdown(r, f), -EIO);
	fclose(f);
	ofd_registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_markdown),
	    cmocka_unit_test(test_alias_at),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
