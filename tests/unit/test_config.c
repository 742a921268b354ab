/* Config loader and config maps: pipeline shape, branches, jobs, expansion, bounds, every type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static char err[512];

static struct ofd_cfg_file *load_args(const char *yaml, char *const *args, size_t nargs)
{
	struct ofd_cfg_file *f = NULL;
	err[0] = '\0';
	int rc = ofd_cfg_load_string(&f, "config.yml", yaml, strlen(yaml), args, nargs, err, sizeof(err));
	if (rc)
		fail_msg("unexpected error %d: %s", rc, err);
	assert_non_null(f);
	return f;
}

static struct ofd_cfg_file *load(const char *yaml)
{
	return load_args(yaml, NULL, 0);
}

/* Loading yaml fails with exactly msg (undefined variables refused: --strict-env). */
static void load_fails_args(const char *yaml, size_t len, char *const *args, size_t nargs, const char *msg)
{
	struct ofd_cfg_file *f = (struct ofd_cfg_file *)1;
	err[0] = '\0';
	int rc = ofd_cfg_load_string_flags(&f, "config.yml", yaml, len, args, nargs, OFD_CFG_STRICT_ENV, err,
					   sizeof(err));
	assert_true(rc < 0);
	assert_null(f);
	assert_string_equal(err, msg);
}

static void load_fails(const char *yaml, const char *msg)
{
	load_fails_args(yaml, strlen(yaml), NULL, 0, msg);
}

/* The last entry's config of yaml applied to state with keys: the return code, message in err. */
static int apply(const char *yaml, const struct ofd_cfg_key *keys, void *state)
{
	struct ofd_cfg_file *f = load(yaml);
	const struct ofd_cfg_entry *e = &ofd_cfg_pipeline(f)->v[ofd_cfg_pipeline(f)->n - 1];
	err[0] = '\0';
	int rc =
	    ofd_cfg_apply(keys, e->config, state, ofd_cfg_path(f), e->segment, e->line, err, sizeof(err));
	ofd_cfg_free(f);
	return rc;
}

static void test_shape(void **state)
{
	(void)state;
	struct ofd_cfg_file *f =
	    load("# overflowd\n"
		 "- segment: udp\n"
		 "  config: { listen: \"netflow://:2055\" }\n"
		 "- segment: flowfilter\n"
		 "  jobs: 4\n"
		 "  config:\n"
		 "    filter: proto udp and src port 123\n"
		 "- segment: branch\n"
		 "  if:   [ { segment: flowfilter, config: { filter: \"tcpflags syn\" } } ]\n"
		 "  then: [ { segment: csv, config: { filename: syn.csv } } ]\n"
		 "  else:\n"
		 "    - segment: json\n"
		 "- segment: count\n"
		 "  config:\n");
	const struct ofd_cfg_pipeline *p = ofd_cfg_pipeline(f);
	assert_string_equal(ofd_cfg_path(f), "config.yml");
	assert_int_equal(p->n, 4);
	assert_string_equal(p->v[0].segment, "udp");
	assert_int_equal(p->v[0].line, 2);
	assert_int_equal(p->v[0].jobs, 1);
	assert_null(p->v[0].if_);
	const struct ofd_cfg_node *listen = ofd_cfg_node_get(p->v[0].config, "listen");
	assert_non_null(listen);
	assert_int_equal(listen->kind, OFD_CFGN_SCALAR);
	assert_string_equal(listen->text, "netflow://:2055");
	assert_int_equal(listen->line, 3);
	assert_int_equal(listen->col, 21);
	assert_null(ofd_cfg_node_get(p->v[0].config, "nosuch"));
	assert_null(ofd_cfg_node_get(listen, "listen"));
	assert_null(ofd_cfg_node_get(NULL, "listen"));
	assert_int_equal(p->v[1].jobs, 4);
	assert_int_equal(p->v[1].line, 4);
	assert_int_equal(p->v[1].config->key_lines[0], 7);
	assert_string_equal(ofd_cfg_node_get(p->v[1].config, "filter")->text, "proto udp and src port 123");
	const struct ofd_cfg_entry *b = &p->v[2];
	assert_string_equal(b->segment, "branch");
	assert_null(b->config);
	assert_int_equal(b->if_->n, 1);
	assert_string_equal(b->if_->v[0].segment, "flowfilter");
	assert_int_equal(b->if_->v[0].line, 9);
	assert_string_equal(ofd_cfg_node_get(b->if_->v[0].config, "filter")->text, "tcpflags syn");
	assert_string_equal(b->then_->v[0].segment, "csv");
	assert_int_equal(b->else_->n, 1);
	assert_string_equal(b->else_->v[0].segment, "json");
	assert_int_equal(b->else_->v[0].line, 12);
	assert_null(b->else_->v[0].config);
	assert_string_equal(p->v[3].segment, "count");
	assert_null(p->v[3].config); /* `config:` with nothing: no config */
	const struct ofd_cfg_node *root = ofd_cfg_root(f);
	assert_int_equal(root->kind, OFD_CFGN_LIST);
	assert_int_equal(root->n, 4);
	ofd_cfg_free(f);
	ofd_cfg_free(NULL);
}

static void test_nested_branches(void **state)
{
	(void)state;
	struct ofd_cfg_file *f = load("- segment: branch\n"
				      "  if: [ {segment: pass} ]\n"
				      "  then:\n"
				      "    - segment: branch\n"
				      "      if: []\n"
				      "      else:\n"
				      "        - segment: branch\n"
				      "          if: [ {segment: drop} ]\n"
				      "          then: [ {segment: print} ]\n"
				      "  else:\n");
	const struct ofd_cfg_entry *b1 = &ofd_cfg_pipeline(f)->v[0];
	assert_null(b1->else_); /* empty: the flows pass through */
	const struct ofd_cfg_entry *b2 = &b1->then_->v[0];
	assert_string_equal(b2->segment, "branch");
	assert_int_equal(b2->if_->n, 0);
	assert_null(b2->then_);
	const struct ofd_cfg_entry *b3 = &b2->else_->v[0];
	assert_int_equal(b3->line, 7);
	assert_string_equal(b3->if_->v[0].segment, "drop");
	assert_string_equal(b3->then_->v[0].segment, "print");
	assert_null(b3->else_);
	ofd_cfg_free(f);

	/* 32 nested branches load, 33 do not */
	for (unsigned depth = 32; depth <= 33; depth++) {
		char buf[4096] = "", *p = buf;
		for (unsigned i = 0; i < depth; i++)
			p += snprintf(p, sizeof(buf) - (size_t)(p - buf), "[{segment: branch, if: ");
		p += snprintf(p, sizeof(buf) - (size_t)(p - buf), "[]");
		for (unsigned i = 0; i < depth; i++)
			p += snprintf(p, sizeof(buf) - (size_t)(p - buf), "}]");
		if (depth == 32) {
			ofd_cfg_free(load(buf));
		} else {
			load_fails(buf,
				   "config.yml:1: segment branch: key if: branches nested deeper than 32");
		}
	}
}

static void test_entry_errors(void **state)
{
	(void)state;
	load_fails("- segment: csv\n  config: {}\n  confgi: {}\n",
		   "config.yml:3: segment csv: key confgi: unknown key (did you mean config? an entry takes "
		   "segment, config, jobs)");
	load_fails("- segment: branch\n  if: []\n  when: []\n",
		   "config.yml:3: segment branch: key when: unknown key (did you mean then? a branch takes "
		   "segment, config, jobs, if, "
		   "then, else)");
	load_fails("- segment: csv\n  then: []\n",
		   "config.yml:2: segment csv: key then: only allowed on segment: branch");
	load_fails("- segment: pass\n- segment: branch\n  then: [ {segment: pass} ]\n",
		   "config.yml:2: segment branch: key if: missing required key");
	load_fails("- segment: branch\n  if:\n",
		   "config.yml:2: segment branch: key if: expected a list of segments, "
		   "got an empty value");
	load_fails("- segment: branch\n  if: {segment: pass}\n",
		   "config.yml:2: segment branch: key if: expected a list of segments, got a map");
	load_fails("- segment: branch\n  if: [ {segment: pass, jobs: 2, x: 1} ]\n",
		   "config.yml:2: segment pass: key x: unknown key (an entry takes segment, config, jobs)");
	load_fails("- segment: csv\n  config: [a, b]\n",
		   "config.yml:2: segment csv: key config: expected a map, got a list");
	load_fails("- segment: csv\n  config: yes\n",
		   "config.yml:2: segment csv: key config: expected a map, got a string");
	load_fails("- segment: csv\n-\n  - segment: json\n",
		   "config.yml:3: expected a map with a segment key, got a list");
	load_fails("- csv\n", "config.yml:1: expected a map with a segment key, got a string");
	load_fails("- config: {}\n", "config.yml:1: key segment: missing required key");
	load_fails("- segment: [a]\n", "config.yml:1: key segment: expected a segment name, got a list");
	load_fails("- segment: ''\n",
		   "config.yml:1: key segment: expected a segment name, got an empty value");
	/* a map's key must be a scalar */
	load_fails("- ? [a]\n  : b\n", "config.yml:1: map keys must be scalars");
}

static void test_jobs(void **state)
{
	(void)state;
	struct ofd_cfg_file *f =
	    load("- {segment: a, jobs: 64}\n- {segment: b, jobs: 0x10}\n- {segment: c, jobs: 1}\n");
	assert_int_equal(ofd_cfg_pipeline(f)->v[0].jobs, 64);
	assert_int_equal(ofd_cfg_pipeline(f)->v[1].jobs, 16);
	assert_int_equal(ofd_cfg_pipeline(f)->v[2].jobs, 1);
	ofd_cfg_free(f);
	load_fails("- segment: a\n  jobs: 0\n",
		   "config.yml:2: segment a: key jobs: 0 is below the minimum 1");
	load_fails("- segment: a\n  jobs: 65\n",
		   "config.yml:2: segment a: key jobs: 65 is above the maximum 64");
	load_fails("- segment: a\n  jobs: many\n",
		   "config.yml:2: segment a: key jobs: expected an unsigned integer, got 'many'");
	load_fails("- segment: a\n  jobs: -1\n",
		   "config.yml:2: segment a: key jobs: expected an unsigned integer, got '-1'");
	load_fails("- segment: a\n  jobs: [1]\n",
		   "config.yml:2: segment a: key jobs: expected an unsigned integer, got a list");
	load_fails("- segment: a\n  jobs: 99999999999999999999999\n",
		   "config.yml:2: segment a: key jobs: 99999999999999999999999 is out of range");
}

static void test_top_level(void **state)
{
	(void)state;
	load_fails("", "config.yml:1: the file is empty, expected a list of segments");
	load_fails("# only a comment\n\n", "config.yml:1: the file is empty, expected a list of segments");
	load_fails("---\n", "config.yml:1: the file is empty, expected a list of segments");
	load_fails("# comment\nsegment: x\n", "config.yml:2: expected a list of segments");
	load_fails("just text\n", "config.yml:1: expected a list of segments");
	load_fails("\n[]\n", "config.yml:2: the list of segments is empty");
	load_fails("- segment: a\n---\n- segment: b\n", "config.yml:2: only one YAML document is allowed");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	load_fails("- segment: a\n  config:\n    x: 1\n    y: z: 2\n",
		   "config.yml:4: YAML syntax error: mapping values are not allowed in this context");
	load_fails("- segment: a\n  config: {x: \"open\n\n",
		   "config.yml:4: YAML syntax error: found unexpected end of stream (while scanning a quoted "
		   "scalar on "
		   "line 2)");
	load_fails("- segment: a\n- segment: \xff\n",
		   "config.yml:2: YAML syntax error: invalid leading UTF-8 octet");
	load_fails("- segment: a\n  config: {x: \"a\\0b\"}\n", "config.yml:2: NUL character in a value");
	load_fails_args("- segment: a\0\n", 14, NULL, 0,
			"config.yml:1: YAML syntax error: control characters are not allowed");
}

static void test_duplicates(void **state)
{
	(void)state;
	load_fails("- segment: a\n  segment: b\n", "config.yml:2: duplicate key 'segment' (first on line 1)");
	load_fails("- segment: a\n  config:\n    x: 1\n    y: 2\n    x: 3\n    y: 4\n",
		   "config.yml:5: duplicate key 'x' (first on line 3)");
	load_fails("- segment: a\n  config: {m: [ {k: 1, j: 2, k: 3} ]}\n",
		   "config.yml:2: duplicate key 'k' (first on line 2)");
}

static void test_aliases(void **state)
{
	(void)state;
	load_fails("- segment: a\n  config: &c {x: 1}\n- segment: b\n  config: *c\n",
		   "config.yml:4: YAML aliases are not supported (*c)");
	load_fails("- &a [x, x, x, x, x, x, x, x, x]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		   "- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
		   "config.yml:2: YAML aliases are not supported (*a)");
	/* an anchor alone and a tag are harmless and ignored */
	struct ofd_cfg_file *f = load("- segment: a\n  config: &c {x: !!str 1}\n");
	assert_string_equal(ofd_cfg_node_get(ofd_cfg_pipeline(f)->v[0].config, "x")->text, "1");
	ofd_cfg_free(f);
}

static void test_bounds(void **state)
{
	(void)state;
	size_t big = OFD_CFG_MAX_FILE + 1;
	char *buf = malloc(big + 1);
	assert_non_null(buf);
	memset(buf, '#', big);
	buf[big] = '\0';
	load_fails(buf, "config.yml: larger than 1048576 bytes");
	/* nesting deeper than 128 */
	memset(buf, '[', 129);
	memset(buf + 129, ']', 129);
	buf[258] = '\0';
	load_fails(buf, "config.yml:1: nested deeper than 128 levels");
	buf[128 + 128] = '\0';
	memset(buf, '[', 128);
	memset(buf + 128, ']', 128);
	load_fails(buf, "config.yml:1: expected a map with a segment key, got a list");
	/* more than 65536 nodes */
	size_t o = 0;
	buf[o++] = '[';
	for (unsigned i = 0; i < 70000; i++) {
		buf[o++] = '1';
		buf[o++] = ',';
	}
	buf[o++] = ']';
	buf[o] = '\0';
	load_fails(buf, "config.yml:1: too many nodes (more than 65536)");
	/* an expanded value over 1 MiB */
	memset(buf, 'v', 600000);
	buf[600000] = '\0';
	assert_int_equal(setenv("OFD_TEST_BIG", buf, 1), 0);
	load_fails("- segment: a\n  config: {x: $OFD_TEST_BIG$OFD_TEST_BIG}\n",
		   "config.yml:2: value too long after expansion");
	struct ofd_cfg_file *f = load("- segment: a\n  config: {x: $OFD_TEST_BIG}\n");
	assert_int_equal(strlen(ofd_cfg_node_get(ofd_cfg_pipeline(f)->v[0].config, "x")->text), 600000);
	ofd_cfg_free(f);
	unsetenv("OFD_TEST_BIG");
	free(buf);
}

static const char *expand(const char *value, char *const *args, size_t nargs, char *out, size_t len)
{
	char yaml[512];
	snprintf(yaml, sizeof(yaml), "- segment: a\n  config: {x: '%s'}\n", value);
	struct ofd_cfg_file *f = load_args(yaml, args, nargs);
	snprintf(out, len, "%s", ofd_cfg_node_get(ofd_cfg_pipeline(f)->v[0].config, "x")->text);
	ofd_cfg_free(f);
	return out;
}

static void test_expansion(void **state)
{
	(void)state;
	char out[256];
	char *args[] = {"one", "two", "3", "4", "5", "6", "7", "8", "9", "ten"};
	assert_int_equal(setenv("OFD_T_HOST", "example.org", 1), 0);
	assert_int_equal(setenv("OFD_T_EMPTY", "", 1), 0);
	assert_int_equal(setenv("OFD_T_DOLLAR", "$OFD_T_HOST", 1), 0);
	unsetenv("OFD_T_UNSET");
	assert_string_equal(expand("$OFD_T_HOST:2055", NULL, 0, out, sizeof(out)), "example.org:2055");
	assert_string_equal(expand("${OFD_T_HOST}x", NULL, 0, out, sizeof(out)), "example.orgx");
	assert_string_equal(expand("a${OFD_T_EMPTY}b$OFD_T_EMPTY", NULL, 0, out, sizeof(out)), "ab");
	assert_string_equal(expand("$0-$1-${9}-$8", args, 10, out, sizeof(out)), "one-two-ten-9");
	assert_string_equal(expand("$12", args, 2, out, sizeof(out)), "two2"); /* one digit without braces */
	assert_string_equal(expand("$$1 $$$OFD_T_HOST", args, 1, out, sizeof(out)), "$1 $example.org");
	assert_string_equal(expand("5$", NULL, 0, out, sizeof(out)), "5$");
	assert_string_equal(expand("a $ b $- $.", NULL, 0, out, sizeof(out)), "a $ b $- $.");
	assert_string_equal(expand("$OFD_T_DOLLAR", NULL, 0, out, sizeof(out)),
			    "$OFD_T_HOST"); /* once only */
	/* every value expands, whatever its quoting, list items and segment names too; keys do not */
	struct ofd_cfg_file *f = load_args("- segment: $0\n  config:\n    l: [\"$1\", $OFD_T_HOST]\n"
					   "    $1: x\n",
					   args, 2);
	const struct ofd_cfg_entry *e = &ofd_cfg_pipeline(f)->v[0];
	assert_string_equal(e->segment, "one");
	assert_string_equal(ofd_cfg_node_get(e->config, "l")->items[0]->text, "two");
	assert_string_equal(ofd_cfg_node_get(e->config, "l")->items[1]->text, "example.org");
	assert_string_equal(ofd_cfg_node_get(e->config, "$1")->text, "x");
	ofd_cfg_free(f);
	load_fails("- segment: a\n\n  config:\n    x: 1\n    y: $OFD_T_UNSET\n",
		   "config.yml:5: undefined variable $OFD_T_UNSET");
	load_fails("- segment: a\n  config: {x: \"${OFD_T_UNSET}\"}\n",
		   "config.yml:2: undefined variable $OFD_T_UNSET");
	load_fails_args("- segment: $3\n", 14, args, 2, "config.yml:1: undefined argument $3 (2 given)");
	load_fails_args("- segment: ${11}\n", 17, args, 10,
			"config.yml:1: undefined argument $11 (10 given)");
	load_fails_args("- segment: $2\n", 14, args, 2, "config.yml:1: undefined argument $2 (2 given)");
	load_fails("- segment: a${OFD_T_HOST\n", "config.yml:1: unterminated ${ in value");
	load_fails("- segment: a${}\n", "config.yml:1: bad variable name '${}'");
	load_fails("- segment: a${A-B}\n", "config.yml:1: bad variable name '${A-B}'");
	load_fails("- segment: a${1a}\n", "config.yml:1: bad variable name '${1a}'");
	unsetenv("OFD_T_HOST");
	unsetenv("OFD_T_EMPTY");
	unsetenv("OFD_T_DOLLAR");
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/ofd_test_config_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char yaml[] = "- segment: print\n  config: {x: $0}\n";
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), (ssize_t)sizeof(yaml) - 1);
	close(fd);
	struct ofd_cfg_file *f;
	char *args[] = {"arg"};
	assert_int_equal(ofd_cfg_load(&f, path, args, 1, err, sizeof(err)), 0);
	assert_string_equal(ofd_cfg_path(f), path);
	assert_string_equal(ofd_cfg_node_get(ofd_cfg_pipeline(f)->v[0].config, "x")->text, "arg");
	ofd_cfg_free(f);
	assert_int_not_equal(ofd_cfg_load_flags(&f, path, NULL, 0, OFD_CFG_STRICT_ENV, err, sizeof(err)), 0);
	char want[128];
	snprintf(want, sizeof(want), "%s:2: undefined argument $0 (0 given)", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(ofd_cfg_load(&f, path, NULL, 0, err, sizeof(err)), -ENOENT);
	assert_null(f);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(ofd_cfg_load(&f, "/tmp", NULL, 0, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/tmp: cannot read: Is a directory");
}

/* A state with one field of every type. */
struct st {
	int b;
	int64_t i;
	uint64_t u;
	double d;
	char *s;
	struct ofd_strlist l;
	int e;
	uint64_t dur;
	uint64_t size;
	const struct ofd_cfg_node *node;
};

static const char *const comp[] = {"none", "zstd", NULL};

#define K(name, t, field) .key = name, .type = t, .offset = offsetof(struct st, field)
static const struct ofd_cfg_key all_keys[] = {
    {K("b", OFD_CFG_BOOL, b), .help = "bool"},
    {K("i", OFD_CFG_INT, i)},
    {K("u", OFD_CFG_UINT, u)},
    {K("d", OFD_CFG_DOUBLE, d)},
    {K("s", OFD_CFG_STRING, s)},
    {K("l", OFD_CFG_STRLIST, l)},
    {K("compression", OFD_CFG_ENUM, e), .choices = comp},
    {K("dur", OFD_CFG_DURATION, dur)},
    {K("size", OFD_CFG_SIZE, size)},
    {K("node", OFD_CFG_NODE, node)},
    {0},
};

/* Apply "{key: value}" to a zeroed state with all_keys; state released by the caller. */
static int one(const char *key, const char *value, struct st *s)
{
	char yaml[512];
	snprintf(yaml, sizeof(yaml), "- segment: x\n  config:\n    %s: %s\n", key, value);
	memset(s, 0, sizeof(*s));
	int rc = apply(yaml, all_keys, s);
	if (rc)
		ofd_cfg_release(all_keys, s);
	return rc;
}

static void good(const char *key, const char *value, struct st *s)
{
	if (one(key, value, s))
		fail_msg("%s: %s: %s", key, value, err);
}

static void bad(const char *key, const char *value, const char *reason)
{
	struct st s;
	assert_int_equal(one(key, value, &s), OFD_ECONFIG);
	char want[512];
	snprintf(want, sizeof(want), "config.yml:3: segment x: key %s: %s", key, reason);
	assert_string_equal(err, want);
}

static void test_scalar_types(void **state)
{
	(void)state;
	struct st s;
	static const char *const t[] = {"true", "yes", "on", "1", "True", "YES"};
	static const char *const f[] = {"false", "no", "off", "0", "FALSE", "Off"};
	for (size_t n = 0; n < 6; n++) {
		good("b", t[n], &s);
		assert_int_equal(s.b, 1);
		good("b", f[n], &s);
		assert_int_equal(s.b, 0);
	}
	bad("b", "maybe", "expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'");
	bad("b", "''", "expected a boolean (true/false, yes/no, on/off, 1/0), got an empty value");
	bad("b", "{}", "expected a boolean (true/false, yes/no, on/off, 1/0), got a map");
	good("i", "-42", &s);
	assert_int_equal(s.i, -42);
	good("i", "0x7fffffffffffffff", &s);
	assert_true(s.i == INT64_MAX);
	good("i", "-9223372036854775808", &s);
	assert_true(s.i == INT64_MIN);
	good("i", "+0X1f", &s);
	assert_int_equal(s.i, 31);
	bad("i", "9223372036854775808", "9223372036854775808 is out of range");
	bad("i", "1.5", "expected an integer, got '1.5'");
	bad("i", "0x", "expected an integer, got '0x'");
	bad("i", "' 5'", "expected an integer, got ' 5'");
	bad("i", "[1]", "expected an integer, got a list");
	good("u", "18446744073709551615", &s);
	assert_true(s.u == UINT64_MAX);
	bad("u", "18446744073709551616", "18446744073709551616 is out of range");
	bad("u", "0x10000000000000000", "0x10000000000000000 is out of range");
	bad("u", "-1", "expected an unsigned integer, got '-1'");
	good("d", "1e-6", &s);
	assert_true(s.d == 1e-6);
	good("d", "-0.5", &s);
	assert_true(s.d == -0.5);
	bad("d", "0.5x", "expected a number, got '0.5x'");
	bad("d", "nan", "nan is out of range");
	bad("d", "1e999", "1e999 is out of range");
	bad("d", "' 1'", "expected a number, got ' 1'");
	good("s", "\"a: b\"", &s);
	assert_string_equal(s.s, "a: b");
	ofd_cfg_release(all_keys, &s);
	assert_null(s.s);
	bad("s", "[a]", "expected a string, got a list");
	good("compression", "zstd", &s);
	assert_int_equal(s.e, 1);
	good("compression", "NONE", &s);
	assert_int_equal(s.e, 0);
	bad("compression", "[zstd]", "expected one of: none, zstd, got a list");
	/* NODE: the subtree itself, valid while its file lives */
	struct ofd_cfg_file *file = load("- segment: x\n  config:\n    node: [ {a: 1}, b ]\n");
	const struct ofd_cfg_entry *e = &ofd_cfg_pipeline(file)->v[0];
	memset(&s, 0, sizeof(s));
	assert_int_equal(ofd_cfg_apply(all_keys, e->config, &s, "config.yml", "x", 1, err, sizeof(err)), 0);
	assert_ptr_equal(s.node, ofd_cfg_node_get(e->config, "node"));
	assert_int_equal(s.node->kind, OFD_CFGN_LIST);
	assert_int_equal(s.node->n, 2);
	assert_int_equal(s.node->items[0]->kind, OFD_CFGN_MAP);
	assert_string_equal(ofd_cfg_node_get(s.node->items[0], "a")->text, "1");
	assert_string_equal(s.node->items[1]->text, "b");
	assert_null(s.s); /* absent, no default */
	ofd_cfg_release(all_keys, &s);
	ofd_cfg_free(file);
}

static void test_units(void **state)
{
	(void)state;
	struct st s;
	static const struct {
		const char *text;
		uint64_t ns;
	} d[] = {{"10", 10000000000ull},
		 {"1.5s", 1500000000ull},
		 {"500ms", 500000000ull},
		 {"250us", 250000},
		 {"7ns", 7},
		 {"5m", 300000000000ull},
		 {"1h", 3600000000000ull},
		 {"2d", 172800000000000ull},
		 {"2w", 1209600000000000ull},
		 {"0.5", 500000000ull},
		 {"1.25m", 75000000000ull},
		 {"0", 0},
		 {".5s", 500000000},
		 {"18446744073s", 18446744073000000000ull}};
	for (size_t n = 0; n < sizeof(d) / sizeof(d[0]); n++) {
		good("dur", d[n].text, &s);
		assert_true(s.dur == d[n].ns);
	}
	static const char dur_err[] =
	    "expected a duration (a number with ns, us, ms, s, m, h, d or w; none: seconds), got ";
	char want[256];
	static const char *const bad_durs[] = {"10x", "s", "-1s", "1.2.3s", "10 s", "1e3s", "."};
	for (size_t n = 0; n < sizeof(bad_durs) / sizeof(bad_durs[0]); n++) {
		snprintf(want, sizeof(want), "%s'%s'", dur_err, bad_durs[n]);
		char quoted[32];
		snprintf(quoted, sizeof(quoted), "'%s'", bad_durs[n]);
		bad("dur", quoted, want);
	}
	bad("dur", "18446744074s", "18446744074s is out of range");
	bad("dur", "{}",
	    "expected a duration (a number with ns, us, ms, s, m, h, d or w; none: seconds), got a map");
	static const struct {
		const char *text;
		uint64_t bytes;
	} z[] = {{"100", 100},	     {"64k", 65536},	{"64K", 65536},	  {"2KiB", 2048},
		 {"16M", 16u << 20}, {"1MiB", 1 << 20}, {"1G", 1u << 30}, {"3GiB", 3ull << 30},
		 {"1T", 1ull << 40}, {"1.5k", 1536},	{"7B", 7}};
	for (size_t n = 0; n < sizeof(z) / sizeof(z[0]); n++) {
		good("size", z[n].text, &s);
		assert_true(s.size == z[n].bytes);
	}
	bad("size", "16MB", "expected a size (a number with k, M, G or T; none: bytes), got '16MB'");
	bad("size", "16m", "expected a size (a number with k, M, G or T; none: bytes), got '16m'");
	bad("size", "99999999T", "99999999T is out of range");
}

static void test_strlist(void **state)
{
	(void)state;
	struct st s;
	good("l", "[a, \"b, c\", '']", &s);
	assert_int_equal(s.l.n, 3);
	assert_string_equal(s.l.v[0], "a");
	assert_string_equal(s.l.v[1], "b, c");
	assert_string_equal(s.l.v[2], "");
	assert_null(s.l.v[3]);
	ofd_cfg_release(all_keys, &s);
	assert_null(s.l.v);
	assert_int_equal(s.l.n, 0);
	good("l", "src_addr,dst_addr", &s); /* one scalar: a list of one, commas not split */
	assert_int_equal(s.l.n, 1);
	assert_string_equal(s.l.v[0], "src_addr,dst_addr");
	ofd_cfg_release(all_keys, &s);
	good("l", "[]", &s);
	assert_int_equal(s.l.n, 0);
	assert_non_null(s.l.v);
	ofd_cfg_release(all_keys, &s);
	good("l", "", &s);
	assert_int_equal(s.l.n, 0);
	ofd_cfg_release(all_keys, &s);
	bad("l", "{a: 1}", "expected a list of strings, got a map");
	bad("l", "[a, [b]]", "expected a list of strings, got a list as item 2");
}

static void test_apply_messages(void **state)
{
	(void)state;
	struct {
		char *filter;
		struct ofd_strlist fields;
		int compression;
		double rate;
	} st = {0};
	const struct ofd_cfg_key ff[] = {{.key = "filter", .type = OFD_CFG_STRING, .required = 1}, {0}};
	assert_int_equal(apply("- segment: udp\n\n- segment: flowfilter\n", ff, &st), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment flowfilter: key filter: missing required key");
	const struct ofd_cfg_key csv[] = {
	    {.key = "fields", .type = OFD_CFG_STRLIST, .offset = offsetof(__typeof__(st), fields)}, {0}};
	assert_int_equal(apply("- segment: csv\n  config:\n    filename: x\n    fields: {a: b}\n", csv, &st),
			 OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment csv: key filename: unknown key (known: fields)");
	assert_int_equal(apply("- segment: csv\n  config:\n\n    fields: {a: b}\n", csv, &st), OFD_ECONFIG);
	assert_string_equal(err,
			    "config.yml:4: segment csv: key fields: expected a list of strings, got a map");
	const struct ofd_cfg_key json[] = {{.key = "compression",
					    .type = OFD_CFG_ENUM,
					    .offset = offsetof(__typeof__(st), compression),
					    .def = "none",
					    .choices = comp},
					   {0}};
	assert_int_equal(
	    apply("- segment: pass\n- segment: json\n  config:\n\n\n\n\n\n    compression: zsdt\n", json,
		  &st),
	    OFD_ECONFIG);
	assert_string_equal(err,
			    "config.yml:9: segment json: key compression: 'zsdt' is not one of: none, zstd");
	const struct ofd_cfg_key rate[] = {{.key = "rate",
					    .type = OFD_CFG_DOUBLE,
					    .offset = offsetof(__typeof__(st), rate),
					    .def = NULL,
					    .required = 0,
					    .min = 0,
					    .max = 1},
					   {0}};
	assert_int_equal(apply("- segment: x\n  config:\n    rate: 5\n", rate, &st), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment x: key rate: 5 is above the maximum 1");
	assert_int_equal(apply("- segment: x\n  config:\n    rate: -0.5\n", rate, &st), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment x: key rate: -0.5 is below the minimum 0");
	assert_int_equal(apply("- segment: x\n  config:\n    rate: 0.25\n", rate, &st), 0);
	assert_true(st.rate == 0.25);
	assert_int_equal(apply("- segment: x\n  config: {y: 1}\n", NULL, &st), OFD_ECONFIG);
	assert_string_equal(err,
			    "config.yml:2: segment x: key y: unknown key (this segment takes no config)");
	assert_int_equal(ofd_cfg_apply(NULL, NULL, &st, "config.yml", "x", 1, err, sizeof(err)), 0);
	struct ofd_cfg_node list = {.kind = OFD_CFGN_LIST, .line = 7};
	assert_int_equal(ofd_cfg_apply(rate, &list, &st, "config.yml", "x", 1, err, sizeof(err)),
			 OFD_ECONFIG);
	assert_string_equal(err, "config.yml:7: segment x: key config: expected a map, got a list");
}

/* Bounds of durations and sizes print in their units. */
static void test_unit_bounds(void **state)
{
	(void)state;
	struct {
		uint64_t t, z;
	} b = {0};
	const struct ofd_cfg_key units[] = {{.key = "t",
					     .type = OFD_CFG_DURATION,
					     .offset = 0,
					     .def = NULL,
					     .required = 0,
					     .min = 1e6,
					     .max = 3600e9},
					    {.key = "z",
					     .type = OFD_CFG_SIZE,
					     .offset = 8,
					     .def = NULL,
					     .required = 0,
					     .min = 0,
					     .max = 65536},
					    {0}};
	assert_int_equal(apply("- segment: x\n  config: {t: 2h}\n", units, &b), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:2: segment x: key t: 2h is above the maximum 1h");
	assert_int_equal(apply("- segment: x\n  config: {t: 10us}\n", units, &b), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:2: segment x: key t: 10us is below the minimum 1ms");
	assert_int_equal(apply("- segment: x\n  config: {z: 1M}\n", units, &b), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:2: segment x: key z: 1M is above the maximum 64k");
	assert_int_equal(apply("- segment: x\n  config: {z: 64k, t: 1.5s}\n", units, &b), 0);
	assert_true(b.z == 65536 && b.t == 1500000000ull);
}

static void test_defaults(void **state)
{
	(void)state;
	static const char *const modes[] = {"keep", "drop", NULL};
	struct d {
		int b;
		int64_t i;
		uint64_t dur, size;
		double x;
		char *s;
		struct ofd_strlist l, one;
		int mode;
		const struct ofd_cfg_node *node;
	} s = {0};
	const struct ofd_cfg_key keys[] = {
	    {.key = "b", .type = OFD_CFG_BOOL, .offset = offsetof(struct d, b), .def = "yes"},
	    {.key = "i", .type = OFD_CFG_INT, .offset = offsetof(struct d, i), .def = "-0x10"},
	    {.key = "dur", .type = OFD_CFG_DURATION, .offset = offsetof(struct d, dur), .def = "500ms"},
	    {.key = "size", .type = OFD_CFG_SIZE, .offset = offsetof(struct d, size), .def = "16M"},
	    {.key = "x", .type = OFD_CFG_DOUBLE, .offset = offsetof(struct d, x), .def = "0.5"},
	    {.key = "s", .type = OFD_CFG_STRING, .offset = offsetof(struct d, s), .def = "\"-\""},
	    {.key = "l",
	     .type = OFD_CFG_STRLIST,
	     .offset = offsetof(struct d, l),
	     .def = "[src_addr, dst_addr]"},
	    {.key = "one", .type = OFD_CFG_STRLIST, .offset = offsetof(struct d, one), .def = "bytes"},
	    {.key = "mode",
	     .type = OFD_CFG_ENUM,
	     .offset = offsetof(struct d, mode),
	     .def = "drop",
	     .choices = modes},
	    {.key = "node", .type = OFD_CFG_NODE, .offset = offsetof(struct d, node), .def = "[a]"},
	    {0},
	};
	assert_int_equal(apply("- segment: x\n", keys, &s), 0);
	assert_int_equal(s.b, 1);
	assert_int_equal(s.i, -16);
	assert_true(s.dur == 500000000ull);
	assert_true(s.size == 16u << 20);
	assert_true(s.x == 0.5);
	assert_string_equal(s.s, "-");
	assert_int_equal(s.l.n, 2);
	assert_string_equal(s.l.v[1], "dst_addr");
	assert_int_equal(s.one.n, 1);
	assert_int_equal(s.mode, 1);
	assert_null(s.node);
	ofd_cfg_release(keys, &s);
	/* a given value wins over the default */
	assert_int_equal(apply("- segment: x\n  config: {s: given, l: [a]}\n", keys, &s), 0);
	assert_string_equal(s.s, "given");
	assert_int_equal(s.l.n, 1);
	ofd_cfg_release(keys, &s);
	/* a broken default is reported at the entry */
	const struct ofd_cfg_key broken[] = {
	    {.key = "i", .type = OFD_CFG_INT, .offset = offsetof(struct d, i), .def = "ten"}, {0}};
	assert_int_equal(apply("- segment: x\n", broken, &s), OFD_ECONFIG);
	assert_string_equal(err,
			    "config.yml:1: segment x: key i: expected an integer, got 'ten' (the default)");
	const struct ofd_cfg_key broken2[] = {
	    {.key = "i", .type = OFD_CFG_INT, .offset = offsetof(struct d, i), .def = "[1"}, {0}};
	assert_int_equal(apply("- segment: x\n", broken2, &s), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:1: segment x: key i: bad default '[1'");
}

/* A failed apply leaves the strings it wrote for ofd_cfg_release (LeakSanitizer checks). */
static void test_release_after_error(void **state)
{
	(void)state;
	struct st s = {0};
	assert_int_equal(apply("- segment: x\n  config: {s: kept, l: [a, b], i: nope}\n", all_keys, &s),
			 OFD_ECONFIG);
	assert_string_equal(s.s, "kept");
	assert_int_equal(s.l.n, 2);
	ofd_cfg_release(all_keys, &s);
	assert_null(s.s);
	ofd_cfg_release(all_keys, &s); /* twice is harmless */
}

/* Typed lists of maps: elements applied with their own map, defaults, bounds, errors named KEY[i].SUB. */
struct peer {
	char *addr;
	uint64_t asn;
	int passive;
};
struct peers_state {
	struct ofd_cfg_list peers;
};
static const struct ofd_cfg_key peer_keys[] = {
    OFD_KEY("address", OFD_CFG_STRING, struct peer, addr, .required = 1),
    OFD_KEY("asn", OFD_CFG_UINT, struct peer, asn, .def = "65000", .min = 1, .max = 4294967295.0),
    OFD_KEY("passive", OFD_CFG_BOOL, struct peer, passive, .def = "false"),
    OFD_KEY_END,
};
static const struct ofd_cfg_key peers_keys[] = {
    OFD_KEY("peers", OFD_CFG_LIST, struct peers_state, peers, .sub = peer_keys,
	    .elem_size = sizeof(struct peer), .max = 3),
    OFD_KEY_END,
};

static void test_list_of_maps(void **state)
{
	(void)state;
	struct peers_state s = {0};
	assert_int_equal(apply("- segment: bgp\n"
			       "  config:\n"
			       "    peers:\n"
			       "      - {address: 192.0.2.1, asn: 64500}\n"
			       "      - address: 192.0.2.2\n"
			       "        passive: yes\n",
			       peers_keys, &s),
			 0);
	assert_int_equal(s.peers.n, 2);
	const struct peer *p0 = OFD_CFG_ITEM(s.peers, struct peer, 0),
			  *p1 = OFD_CFG_ITEM(s.peers, struct peer, 1);
	assert_string_equal(p0->addr, "192.0.2.1");
	assert_int_equal(p0->asn, 64500);
	assert_int_equal(p0->passive, 0);
	assert_string_equal(p1->addr, "192.0.2.2");
	assert_int_equal(p1->asn, 65000); /* the default */
	assert_int_equal(p1->passive, 1);
	ofd_cfg_release(peers_keys, &s);
	assert_int_equal(s.peers.n, 0);
	assert_null(s.peers.v);

	/* one map is a list of one */
	assert_int_equal(
	    apply("- segment: bgp\n  config:\n    peers: {address: 2001:db8::1}\n", peers_keys, &s), 0);
	assert_int_equal(s.peers.n, 1);
	ofd_cfg_release(peers_keys, &s);

	/* errors name the element and the sub-key, at the line of the value */
	assert_int_equal(
	    apply(
		"- segment: bgp\n  config:\n    peers:\n      - {address: a}\n      - {asn: 0, address: b}\n",
		peers_keys, &s),
	    OFD_ECONFIG);
	assert_string_equal(err, "config.yml:5: segment bgp: key peers[1].asn: 0 is below the minimum 1");
	assert_int_equal(
	    apply("- segment: bgp\n  config:\n    peers:\n      - {address: a}\n      - {passive: no}\n",
		  peers_keys, &s),
	    OFD_ECONFIG);
	assert_string_equal(err, "config.yml:5: segment bgp: key peers[1].address: missing required key");
	assert_int_equal(
	    apply("- segment: bgp\n  config:\n    peers:\n      - {address: a, port: 179}\n", peers_keys, &s),
	    OFD_ECONFIG);
	assert_string_equal(
	    err, "config.yml:4: segment bgp: key peers[0].port: unknown key (known: address, asn, passive)");
	assert_int_equal(apply("- segment: bgp\n  config:\n    peers: [a]\n", peers_keys, &s), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment bgp: key peers[0]: expected a map, got 'a'");
	assert_int_equal(apply("- segment: bgp\n  config:\n    peers: x\n", peers_keys, &s), OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment bgp: key peers: expected a list of maps, got 'x'");
	assert_int_equal(
	    apply("- segment: bgp\n  config:\n    peers: [{address: a}, {address: b}, {address: c}, "
		  "{address: d}]\n",
		  peers_keys, &s),
	    OFD_ECONFIG);
	assert_string_equal(err, "config.yml:3: segment bgp: key peers: at most 3 items, got 4");
	assert_null(s.peers.v); /* nothing kept from a refused list */
	/* no value is an empty list */
	assert_int_equal(apply("- segment: bgp\n  config:\n    peers:\n", peers_keys, &s), 0);
	assert_int_equal(s.peers.n, 0);
	ofd_cfg_release(peers_keys, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape),
	    cmocka_unit_test(test_nested_branches),
	    cmocka_unit_test(test_entry_errors),
	    cmocka_unit_test(test_jobs),
	    cmocka_unit_test(test_top_level),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_expansion),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_scalar_types),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test(test_strlist),
	    cmocka_unit_test(test_apply_messages),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_release_after_error),
	    cmocka_unit_test(test_unit_bounds),
	    cmocka_unit_test(test_list_of_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
