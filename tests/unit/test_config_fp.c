/*
 * flowpipeline's configuration surface: segment names in any letter case and flowpipeline's
 * aliases, $0 as the first argument, undefined variables as "" with a warning (or refused when
 * strict), keys flowpipeline takes and we ignore, "did you mean", `jobs` on every segment, -n's
 * input workers, branch `bypass-messages`, --check refusing what the start refuses, log levels
 * and JSON log lines.
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
	return 0;
}

/* ---- test segment types ---- */

static unsigned seen_workers;  /* t_win's workers, as its init saw them */
static _Atomic uint64_t after; /* flows t_sum saw */

struct tin {
	uint64_t count;
};

static int tin_start(struct ofd_segment *seg, void *state)
{
	struct tin *t = state;
	for (uint64_t i = 0; i < t->count; i++) {
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->bytes = i;
		f->packets = 1;
	}
	return 0;
}

static const struct ofd_cfg_key tin_keys[] = {
    OFD_KEY("count", OFD_CFG_UINT, struct tin, count, .def = "100"),
    OFD_KEY_END,
};
static const struct ofd_segment_type t_in = {
    OFD_SEGMENT_VERSION, .name = "t_in",     .kind = OFD_SEG_INPUT, .state_size = sizeof(struct tin),
    .config = tin_keys,	 .start = tin_start,
};

struct twin {
	uint64_t workers;
};

static int twin_init(struct ofd_segment *seg, void *state)
{
	(void)seg;
	seen_workers = (unsigned)((struct twin *)state)->workers;
	return 0;
}

static int twin_start(struct ofd_segment *seg, void *state)
{
	(void)seg;
	(void)state;
	return 0;
}

static const struct ofd_cfg_key twin_keys[] = {
    OFD_KEY("workers", OFD_CFG_UINT, struct twin, workers, .def = "7"),
    OFD_KEY_END,
};
static const struct ofd_segment_type t_win = {
    OFD_SEGMENT_VERSION, .name = "t_win",   .kind = OFD_SEG_INPUT, .state_size = sizeof(struct twin),
    .config = twin_keys, .init = twin_init, .start = twin_start,
};

static void twout_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

/* a blocking output with a writer pool's `workers` */
static const struct ofd_segment_type t_wout = {
    OFD_SEGMENT_VERSION,
    .name = "t_wout",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .state_size = sizeof(struct twin),
    .config = twin_keys,
    .init = twin_init,
    .process = twout_process,
};

struct tkeep {
	uint64_t mod;
};

/* keeps the flows whose bytes are a multiple of mod (mod 0: none) */
static void tkeep_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	const struct tkeep *t = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && (!t->mod || b->flows[i].bytes % t->mod))
			ofd_batch_kill(b, i);
}

static const struct ofd_cfg_key tkeep_keys[] = {
    OFD_KEY("mod", OFD_CFG_UINT, struct tkeep, mod, .def = "2"),
    {.key = "buckets", .type = OFD_CFG_IGNORED, .help = "flowpipeline's buckets, not needed here"},
    OFD_KEY_END,
};
static const struct ofd_segment_type t_keep = {
    OFD_SEGMENT_VERSION,
    .name = "t_keep",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .state_size = sizeof(struct tkeep),
    .config = tkeep_keys,
    .process = tkeep_process,
};

static void tsum_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	atomic_fetch_add(&after, ofd_batch_live_count(b));
}

static const struct ofd_segment_type t_sum = {
    OFD_SEGMENT_VERSION,
    .name = "t_sum",
    .kind = OFD_SEG_FLOW,
    .process = tsum_process,
};

static const struct ofd_segment_type t_write = {
    OFD_SEGMENT_VERSION,	.name = "t_write",	 .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING, .process = tsum_process,
};

/* ---- helpers ---- */

static char err[1024];
static struct ofd_cfg_file *cfgf;

static struct ofd_registry *test_registry(void)
{
	struct ofd_registry *r;
	const struct ofd_segment_type *types[] = {&t_in, &t_win, &t_wout, &t_keep, &t_sum, &t_write};
	assert_int_equal(ofd_registry_new_empty(&r), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(ofd_registry_add(r, types[i], "test", err, sizeof(err)), 0);
	return r;
}

/* Build yaml over reg: ofd_pipeline_new's status, message in err; the pipeline in *p (or NULL). */
static int build(struct ofd_registry *reg, struct ofd_pipeline **p, const char *yaml,
		 const struct ofd_pipeline_opts *o)
{
	ofd_cfg_free(cfgf);
	cfgf = NULL;
	err[0] = 0;
	*p = NULL;
	int rc = ofd_cfg_load_string(&cfgf, "fp.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err));
	if (rc)
		return rc;
	return ofd_pipeline_new(p, reg, ofd_cfg_pipeline(cfgf), "fp.yml", o, err, sizeof(err));
}

/* Building yaml fails with exactly msg. */
static void build_fails(struct ofd_registry *reg, const char *yaml, const char *msg)
{
	struct ofd_pipeline *p;
	assert_int_not_equal(build(reg, &p, yaml, NULL), 0);
	assert_null(p);
	assert_string_equal(err, msg);
}

static void build_ok(struct ofd_registry *reg, const char *yaml, const struct ofd_pipeline_opts *o)
{
	struct ofd_pipeline *p;
	if (build(reg, &p, yaml, o))
		fail_msg("build: %s", err);
	ofd_pipeline_free(p);
}

/* Build, init, start, run to the end, finish, free. */
static void run(struct ofd_registry *reg, const char *yaml, const struct ofd_pipeline_opts *o)
{
	struct ofd_pipeline *p;
	if (build(reg, &p, yaml, o))
		fail_msg("build: %s", err);
	if (ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("init: %s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);
	ofd_pipeline_free(p);
}

/* The expanded value of key x of the first entry, with args. */
static const char *expand(const char *value, char *const *args, size_t nargs, unsigned flags)
{
	static char out[256];
	char yaml[300];
	snprintf(yaml, sizeof(yaml), "- segment: a\n  config: {x: '%s'}\n", value);
	struct ofd_cfg_file *f;
	if (ofd_cfg_load_string_flags(&f, "fp.yml", yaml, strlen(yaml), args, nargs, flags, err, sizeof(err)))
		return NULL;
	snprintf(out, sizeof(out), "%s", ofd_cfg_node_get(ofd_cfg_pipeline(f)->v[0].config, "x")->text);
	ofd_cfg_free(f);
	return out;
}

/* ---- tests ---- */

/* flowpipeline's names and ours, in any letter case; an alias is a taken name */
/* The cases that build pipelines of real segments; skipped in a build without them (make test-minimal). */
#if defined(OFD_HAVE_SEGMENT_STDIN) && defined(OFD_HAVE_SEGMENT_PASS) && defined(OFD_HAVE_SEGMENT_PRINT) &&  \
    defined(OFD_HAVE_SEGMENT_DROPFIELDS) && defined(OFD_HAVE_SEGMENT_CSV)
#define HAVE_REAL_SEGMENTS 1
#else
#define HAVE_REAL_SEGMENTS 0
#endif

static void test_names(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new(&r), 0);
	const struct ofd_segment_type *udp = ofd_registry_find(r, "udp");
	assert_non_null(udp);
	assert_ptr_equal(ofd_registry_find(r, "goflow"), udp);
	assert_ptr_equal(ofd_registry_find(r, "GoFlow"), udp);
	assert_ptr_equal(ofd_registry_find(r, "UDP"), udp);
	assert_ptr_equal(ofd_registry_find(r, "PrintFlowDump"), ofd_registry_find(r, "print"));
	assert_string_equal(ofd_registry_find(r, "FlowFilter")->name, "flowfilter");
	assert_ptr_equal(ofd_registry_find(r, "Blackhole"), ofd_registry_find(r, "drop"));
	assert_null(ofd_registry_find(r, "flowfilte"));
	assert_string_equal(ofd_registry_closest(r, "flowfilte"), "flowfilter");
	assert_string_equal(ofd_registry_closest(r, "printflowdmp"), "printflowdump");
	assert_string_equal(ofd_registry_closest(r, "Brnch"), "branch");
	assert_null(ofd_registry_closest(r, "clickhouse")); /* a segment not built */
	assert_true(ofd_registry_is_flowpipeline("KafkaConsumer"));
	assert_true(ofd_registry_is_flowpipeline("printflowdump"));
	assert_false(ofd_registry_is_flowpipeline("udp"));
	size_t nfp = 0;
	while (ofd_registry_flowpipeline_name(nfp))
		nfp++;
	assert_int_equal(nfp, 49);
	const char *target;
	int seen = 0;
	for (size_t i = 0; ofd_registry_alias_at(r, i, &target); i++)
		seen |= !strcmp(ofd_registry_alias_at(r, i, NULL), "goflow") && !strcmp(target, "udp");
	assert_true(seen);
	/* a custom type named like a built-in or an alias, in another case, is refused */
	struct ofd_segment_type dup = t_sum;
	dup.name = "GOFLOW";
	assert_int_equal(ofd_registry_add(r, &dup, "test", err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment GOFLOW: already defined (the name flowpipeline gives udp)");
	dup.name = "Count";
	assert_int_equal(ofd_registry_add(r, &dup, "test", err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "segment Count: already defined (built-in)");
	dup.name = "Branch";
	assert_int_equal(ofd_registry_add(r, &dup, "test", err, sizeof(err)), OFD_ECONFIG);
	ofd_registry_free(r);

	/* in a config: mixed-case names and branch */
	r = test_registry();
	build_ok(r,
		 "- segment: T_In\n"
		 "- segment: Branch\n"
		 "  if: [{segment: T_KEEP}]\n"
		 "  then: [{segment: t_Sum}]\n",
		 NULL);
	build_fails(r, "- segment: t_in\n- segment: t_kep\n",
		    "fp.yml:2: segment t_kep: unknown segment (did you mean t_keep?)");
	build_fails(r, "- segment: t_in\n- segment: elsewhere\n",
		    "fp.yml:2: segment elsewhere: unknown segment");
	build_fails(
	    r, "- segment: t_in\n- segment: KafkaProducer\n",
	    "fp.yml:2: segment KafkaProducer: unknown segment (flowpipeline's KafkaProducer is not in this "
	    "overflowd)");
	/* a segment the build left out says why (the list builtin.c gets from CMake) */
	static const struct ofd_registry_off off[] = {
	    {"kafkaproducer", "built without it: rdkafka was not found"}, {NULL, NULL}};
	ofd_registry_set_off(r, off);
	build_fails(
	    r, "- segment: t_in\n- segment: KafkaProducer\n",
	    "fp.yml:2: segment KafkaProducer: unknown segment (KafkaProducer is not in this overflowd: built "
	    "without it: rdkafka was not found)");
	ofd_registry_free(r);
}

/* $0 is the first argument; an undefined one is "" with a warning that names it and its line */
static void test_arguments(void **st)
{
	(void)st;
	char *args[] = {"proto tcp", "eth0", "3", "4", "5", "6", "7", "8", "9", "ten", "eleven"};
	assert_string_equal(expand("$0", args, 2, 0), "proto tcp");
	assert_string_equal(expand("${0}/$1/${10}", args, 11, 0), "proto tcp/eth0/eleven");
	assert_string_equal(expand("$10", args, 2, 0), "eth00"); /* one digit without braces */
	assert_string_equal(logcap_buf, "");
	assert_string_equal(expand("[$2]", args, 2, 0), "[]");
	assert_string_equal(
	    logcap_buf,
	    "overflowd: warning: fp.yml:2: undefined argument $2 (2 given), expanded to an empty string\n");
	assert_null(expand("[$2]", args, 2, OFD_CFG_STRICT_ENV));
	assert_string_equal(err, "fp.yml:2: undefined argument $2 (2 given)");
	assert_null(expand("$0", NULL, 0, OFD_CFG_STRICT_ENV));
	assert_string_equal(err, "fp.yml:2: undefined argument $0 (0 given)");
}

/* an unset environment variable is "" with a warning (flowpipeline's SASL password, unset) */
static void test_unset_env(void **st)
{
	(void)st;
	unsetenv("OFD_FP_KAFKA_SASL_PASS");
	assert_int_equal(setenv("OFD_FP_USER", "flows", 1), 0);
	const char *yaml = "- segment: kafkaconsumer\n"
			   "  config:\n"
			   "    user: $OFD_FP_USER\n"
			   "    pass: ${OFD_FP_KAFKA_SASL_PASS}\n";
	struct ofd_cfg_file *f;
	assert_int_equal(ofd_cfg_load_string(&f, "kafka.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err)),
			 0);
	const struct ofd_cfg_node *c = ofd_cfg_pipeline(f)->v[0].config;
	assert_string_equal(ofd_cfg_node_get(c, "user")->text, "flows");
	assert_string_equal(ofd_cfg_node_get(c, "pass")->text, "");
	assert_string_equal(logcap_buf, "overflowd: warning: kafka.yml:4: undefined variable "
					"$OFD_FP_KAFKA_SASL_PASS, expanded to an empty string\n");
	ofd_cfg_free(f);
	/* --strict-env */
	assert_int_not_equal(ofd_cfg_load_string_flags(&f, "kafka.yml", yaml, strlen(yaml), NULL, 0,
						       OFD_CFG_STRICT_ENV, err, sizeof(err)),
			     0);
	assert_null(f);
	assert_string_equal(err, "kafka.yml:4: undefined variable $OFD_FP_KAFKA_SASL_PASS");
	unsetenv("OFD_FP_USER");
}

/* keys flowpipeline takes and we do not: a warning; keys neither knows: an error, with a hint */
static void test_ignored_and_unknown_keys(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	struct ofd_registry *r = test_registry();
	build_ok(r, "- segment: t_in\n- segment: t_keep\n  config:\n    mod: 3\n    buckets: 60\n", NULL);
	assert_string_equal(logcap_buf,
			    "overflowd: warning: fp.yml:5: segment t_keep: key buckets: accepted for "
			    "flowpipeline's configs and ignored (flowpipeline's buckets, not needed here)\n");
	build_fails(
	    r, "- segment: t_in\n- segment: t_keep\n  config: {mode: 3}\n",
	    "fp.yml:3: segment t_keep: key mode: unknown key (did you mean mod? known: mod, buckets)");
	build_fails(r, "- segment: t_in\n- segment: t_keep\n  config: {colour: red}\n",
		    "fp.yml:3: segment t_keep: key colour: unknown key (known: mod, buckets)");
	build_fails(r, "- segment: t_in\n- segment: t_sum\n  config: {x: 1}\n",
		    "fp.yml:3: segment t_sum: key x: unknown key (this segment takes no config)");
	ofd_registry_free(r);

	/* flowpipeline's pass takes any key */
	assert_int_equal(ofd_registry_new(&r), 0);
	logcap_buf[0] = 0;
	build_ok(r, "- segment: stdin\n- segment: Pass\n  config:\n    jk: this segment has no config\n",
		 NULL);
	assert_string_equal(
	    logcap_buf,
	    "overflowd: warning: fp.yml:4: segment Pass: key jk: accepted for flowpipeline's "
	    "configs and ignored (pass uses no config; any key is accepted, as by flowpipeline)\n");
	ofd_registry_free(r);

	assert_int_equal(ofd_cfg_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(ofd_cfg_edit_distance("Fields", "fields"), 0);
	assert_int_equal(ofd_cfg_edit_distance("bypass_messages", "bypass-messages"), 0);
	assert_true(ofd_cfg_is_close("fileds", "fields"));
	assert_false(ofd_cfg_is_close("ab", "xy"));
	assert_false(ofd_cfg_is_close("port", "prefix"));
}

/* jobs on every segment: run, or one instance with a warning that says why */
static void test_jobs(void **st)
{
	(void)st;
	struct ofd_registry *r = test_registry();
	build_ok(r, "- segment: t_in\n- segment: t_keep\n  jobs: 4\n", NULL);
	assert_string_equal(logcap_buf, "");
	build_ok(r, "- segment: t_in\n- segment: t_keep\n  jobs: 4\n  config: {buckets: 1}\n", NULL);
	assert_string_equal(logcap_buf,
			    "overflowd: warning: fp.yml:4: segment t_keep: key buckets: accepted for "
			    "flowpipeline's configs and ignored (flowpipeline's buckets, not needed here)\n");
	logcap_buf[0] = 0;
	build_ok(r, "- segment: t_in\n- segment: t_sum\n  jobs: 4\n", NULL);
	assert_string_equal(logcap_buf,
			    "overflowd: warning: fp.yml:2: segment t_sum: key jobs: t_sum keeps state across "
			    "all flows (one instance sees them all): jobs 4 ignored\n");
	logcap_buf[0] = 0;
	build_ok(r, "- segment: t_in\n- segment: t_write\n  jobs: 3\n", NULL);
	assert_string_equal(logcap_buf,
			    "overflowd: warning: fp.yml:2: segment t_write: key jobs: t_write writes one "
			    "stream in order from one thread: jobs 3 ignored (parallel writers would "
			    "interleave the records)\n");
	logcap_buf[0] = 0;
	build_ok(r, "- segment: t_in\n  jobs: 2\n", NULL);
	assert_string_equal(logcap_buf,
			    "overflowd: warning: fp.yml:1: segment t_in: key jobs: an input reads its source "
			    "once: jobs 2 ignored\n");
	logcap_buf[0] = 0;
	build_ok(r, "- segment: t_in\n- segment: branch\n  jobs: 2\n  if: [{segment: t_keep}]\n", NULL);
	assert_string_equal(
	    logcap_buf, "overflowd: warning: fp.yml:2: segment branch: key jobs: a branch runs no jobs of "
			"its own: jobs 2 ignored (give jobs to the segments inside it)\n");
	ofd_registry_free(r);
}

/* an input's workers: its config's, else its jobs, else -n, else its default; an output's */
static void test_workers(void **st)
{
	(void)st;
	struct ofd_registry *r = test_registry();
	struct ofd_pipeline_opts n3 = {.input_workers = "3"}, n0 = {.input_workers = "0"};
	run(r, "- segment: t_win\n", NULL);
	assert_int_equal(seen_workers, 7);
	run(r, "- segment: t_win\n", &n3);
	assert_int_equal(seen_workers, 3);
	run(r, "- segment: t_win\n", &n0);
	assert_int_equal(seen_workers, 0);
	run(r, "- segment: t_win\n  jobs: 5\n", &n3);
	assert_int_equal(seen_workers, 5);
	run(r, "- segment: t_win\n  jobs: 5\n  config: {workers: 2}\n", &n3);
	assert_int_equal(seen_workers, 2);
	assert_string_equal(logcap_buf, "");
	/* a blocking output's writer pool: its config's, else its jobs, else its default (not -n) */
	run(r, "- segment: t_in\n- segment: t_wout\n", &n3);
	assert_int_equal(seen_workers, 7);
	run(r, "- segment: t_in\n- segment: t_wout\n  jobs: 4\n", &n3);
	assert_int_equal(seen_workers, 4);
	run(r, "- segment: t_in\n- segment: t_wout\n  jobs: 4\n  config: {workers: 2}\n", NULL);
	assert_int_equal(seen_workers, 2);
	assert_string_equal(logcap_buf, "");
	ofd_registry_free(r);
}

/* branch: flows dropped in then/else are dropped, unless bypass-messages */
static void test_bypass_messages(void **st)
{
	(void)st;
	struct ofd_registry *r = test_registry();
	const char *head = "- segment: t_in\n"
			   "  config: {count: 1000}\n"
			   "- segment: branch\n",
		   *tail = "  if: [{segment: t_keep, config: {mod: 2}}]\n"
			   "  then: [{segment: t_keep, config: {mod: 4}}]\n"
			   "  else: [{segment: t_keep, config: {mod: 0}}]\n"
			   "- segment: t_sum\n";
	char yaml[512];
	snprintf(yaml, sizeof(yaml), "%s%s", head, tail);
	atomic_store(&after, 0);
	run(r, yaml, NULL);
	assert_int_equal(atomic_load(&after), 250); /* multiples of 4 */
	snprintf(yaml, sizeof(yaml), "%s%s%s", head, "  config: {bypass-messages: false}\n", tail);
	atomic_store(&after, 0);
	run(r, yaml, NULL);
	assert_int_equal(atomic_load(&after), 250);
	snprintf(yaml, sizeof(yaml), "%s%s%s", head, "  config: {bypass-messages: true}\n", tail);
	atomic_store(&after, 0);
	run(r, yaml, NULL);
	assert_int_equal(atomic_load(&after), 1000);
	snprintf(yaml, sizeof(yaml), "%s%s%s", head, "  config: {bypass: true}\n", tail);
	build_fails(r, yaml, "fp.yml:4: segment branch: key bypass: unknown key (known: bypass-messages)");
	ofd_registry_free(r);
}

/* what the start refuses, building (and so --check) refuses: listen schemes, field names */
static void test_check_refusals(void **st)
{
	if (!HAVE_REAL_SEGMENTS)
		skip();
	(void)st;
	struct ofd_registry *r;
	assert_int_equal(ofd_registry_new(&r), 0);
	build_ok(
	    r,
	    "- segment: goflow\n"
	    "  config:\n"
	    "    listen: \"sflow://:6343, netflow://127.0.0.1:2055,nfl://[::1]:9995?count=2,flow://:0\"\n"
	    "    workers: 1\n",
	    NULL);
	build_fails(
	    r, "- segment: goflow\n  config: {listen: \"tcp://:2055\"}\n",
	    "fp.yml:1: segment goflow: key listen: \"tcp://:2055\": expected scheme://[address]:port with "
	    "scheme sflow, netflow, nfl, flow or udp");
	build_fails(r, "- segment: goflow\n  config: {listen: \"netflow://:2055,sflow://:65536\"}\n",
		    "fp.yml:1: segment goflow: key listen: \":65536\": expected [address]:port with an IPv4 "
		    "address, an IPv6 one in brackets or none, and a port 0-65535 (names are not resolved)");
	build_fails(
	    r, "- segment: goflow\n  config: {listen: \"netflow://::1:2055\"}\n",
	    "fp.yml:1: segment goflow: key listen: \"::1:2055\": expected [address]:port with an IPv4 "
	    "address, an IPv6 one in brackets or none, and a port 0-65535 (names are not resolved)");
	build_fails(r, "- segment: goflow\n  config: {rcvbuf: 3G}\n",
		    "fp.yml:1: segment goflow: key rcvbuf: at most 2G");
	build_fails(r, "- segment: stdin\n- segment: csv\n  config: {fields: \"SrcAddr,Nonsense\"}\n",
		    "fp.yml:2: segment csv: key fields: unknown field \"Nonsense\"");
	build_fails(
	    r,
	    "- segment: stdin\n- segment: dropfields\n  config: {policy: keep, fields: \"Bytes,,Packets\"}\n",
	    "fp.yml:2: segment dropfields: key fields: empty field name in \"Bytes,,Packets\"");
	build_ok(
	    r,
	    "- segment: stdin\n- segment: dropfields\n  config: {policy: keep, fields: \"Bytes, Packets\"}\n",
	    NULL);
	ofd_registry_free(r);
}

/* -l's names and -j's lines */
static void test_log(void **st)
{
	(void)st;
	enum ofd_log_level l;
	assert_int_equal(ofd_log_parse_level("debug", &l), 0);
	assert_int_equal(l, OFD_LOG_DEBUG);
	assert_int_equal(ofd_log_parse_level("warning", &l), 0);
	assert_int_equal(l, OFD_LOG_WARN);
	assert_int_equal(ofd_log_parse_level("Error", &l), 0);
	assert_int_equal(l, OFD_LOG_ERR);
	assert_int_equal(ofd_log_parse_level("info", &l), 0);
	assert_int_equal(l, OFD_LOG_INFO);
	assert_int_equal(ofd_log_parse_level("loud", &l), -1);
	ofd_log_set_level(OFD_LOG_WARN);
	ofd_info("not shown");
	ofd_warn("shown");
	assert_string_equal(logcap_buf, "overflowd: warning: shown\n");
	logcap_buf[0] = 0;
	ofd_log_set_json(1);
	ofd_err("a \"quoted\"\tline");
	unsigned long long t = 0;
	char msg[128] = "";
	assert_int_equal(
	    sscanf(logcap_buf, "{\"level\":\"error\",\"time\":%llu,\"message\":\"%127[^\n]", &t, msg), 2);
	assert_true(t > 1600000000ull);
	assert_string_equal(msg, "a \\\"quoted\\\"\\u0009line\"}");
	ofd_log_set_level(OFD_LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unset_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ignored_and_unknown_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bypass_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	ofd_cfg_free(cfgf);
	return rc;
}
