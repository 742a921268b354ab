/*
 * The diskbuffer in the engine (core/pipeline_spill.c over core/spill.h): a pool of four
 * batches and an output held behind a gate, so that the input's batches go to disk; every
 * record must come out exactly once and in order (read back while running, or at the end),
 * files appear under a mkdtemp bufferdir and are gone at the end; maxcachesize drops counted;
 * files of a previous run delivered first; a pipeline stopped on request leaves the rest on
 * disk for the next; one-pass mode passes through; diskbuffer anywhere but directly after the
 * inputs is refused with FILE:LINE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "core/spill.h"
#include "logcap.h"
#include "ofd/time.h"
#include "pipehelp.h"
#include "tmpdir.h"

extern const struct ofd_segment_type ofd_seg_diskbuffer;

#define MAXREC (64 * OFD_BATCH_CAP)

static char dir[64];
static const char cfgtext[] = "from the configuration";

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static uint64_t seen[MAXREC];
static size_t nseen;
static unsigned bad_strings;

/* what the source does (set by each test before the pipeline starts) */
static struct {
	uint64_t base;
	unsigned nb1, nb2; /* batches before the gate opens, and after */
	int wait_all;	   /* return only once the output has seen every record */
	int stop_self;	   /* ask the pipeline to stop (as a signal does) before opening the gate */
	unsigned files_seen;
} src;

static int setup(void **st)
{
	(void)st;
	return tmpdir_make(dir, sizeof(dir), "plspill");
}

static int teardown(void **st)
{
	(void)st;
	tmpdir_remove(dir);
	return 0;
}

static unsigned count_files(void)
{
	return tmpdir_count(dir, ".ofdspill");
}

/* Batch k of the source: bytes base + k*CAP + i, a note in the arena on every 7th record, an
   interface name outside it on every 5th. */
static void fill(struct ofd_batch *b, uint64_t base, unsigned k)
{
	for (unsigned i = 0; i < OFD_BATCH_CAP; i++) {
		struct ofd_flow *f = ofd_batch_add(b);
		f->bytes = base + (uint64_t)k * OFD_BATCH_CAP + i;
		if (i % 7 == 0) {
			char t[32];
			int n = snprintf(t, sizeof(t), "n%llu", (unsigned long long)f->bytes);
			f->note = ofd_batch_strdup(b, t, (size_t)n);
		}
		if (i % 5 == 0)
			f->in_if_name = cfgtext;
	}
}

static void open_gate(void)
{
	pthread_mutex_lock(&mu);
	gate_open = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int src_start(struct ofd_segment *seg, void *state)
{
	(void)state;
	unsigned k = 0;
	for (; k < src.nb1; k++) {
		fill(ofd_input_batch(seg), src.base, k);
		ofd_batch_flush(ofd_input_batch(seg));
	}
	src.files_seen = count_files();
	if (src.stop_self)
		ofd_segment_stop_pipeline(seg);
	open_gate();
	for (; k < src.nb1 + src.nb2; k++) {
		fill(ofd_input_batch(seg), src.base, k);
		ofd_batch_flush(ofd_input_batch(seg));
	}
	if (src.wait_all) { /* read back while the pipeline runs, not at its end */
		size_t want = (size_t)(src.nb1 + src.nb2) * OFD_BATCH_CAP;
		uint64_t end = ofd_time_mono_ns() + 20000000000u;
		pthread_mutex_lock(&mu);
		while (nseen < want && ofd_time_mono_ns() < end) {
			uint64_t t = ofd_time_mono_ns() + 100000000u;
			struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
			pthread_cond_timedwait(&cv, &mu, &ts);
		}
		pthread_mutex_unlock(&mu);
	}
	return 0;
}

static void gate_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	pthread_mutex_lock(&mu);
	while (!gate_open)
		pthread_cond_wait(&cv, &mu);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		uint64_t x = f->bytes, rel = x % OFD_BATCH_CAP;
		char t[32];
		snprintf(t, sizeof(t), "n%llu", (unsigned long long)x);
		if ((rel % 7 == 0) != (f->note != NULL) || (f->note && strcmp(f->note, t)))
			bad_strings++;
		if ((rel % 5 == 0) != (f->in_if_name != NULL) ||
		    (f->in_if_name && strcmp(f->in_if_name, cfgtext)))
			bad_strings++;
		if (nseen < MAXREC)
			seen[nseen++] = x;
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static const struct ofd_segment_type t_src = {
    OFD_SEGMENT_VERSION,
    .name = "t_src",
    .kind = OFD_SEG_INPUT,
    .start = src_start,
};
static const struct ofd_segment_type t_gate = {
    OFD_SEGMENT_VERSION,
    .name = "t_gate",
    .kind = OFD_SEG_OUTPUT,
    .process = gate_process,
};
static const struct ofd_segment_type *const types[] = {&t_src, &t_gate, &ofd_seg_diskbuffer, NULL};

/* the diskbuffer entry's own counters */
enum { C_SPILLED, C_READ, C_DROPPED, C_ERRORS };

/* Run src -> diskbuffer (extra config lines) -> gate with a pool of 4; the entry's counters. */
static void run(const char *extra, int inline_mode, struct ofd_seg_counters *c)
{
	char yaml[1024];
	snprintf(
	    yaml, sizeof(yaml),
	    "pipeline:\n  - segment: t_src\n  - segment: diskbuffer\n    config:\n      bufferdir: %s\n%s"
	    "  - segment: t_gate\n",
	    dir, extra ? extra : "");
	gate_open = inline_mode;
	nseen = 0;
	bad_strings = 0;
	struct seg_pipeline sp;
	struct ofd_pipeline_opts o = {.pool_batches = 4, .inline_run = inline_mode};
	assert_int_equal(seg_pipeline_open_opts(&sp, yaml, types, &o), 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	while (!ofd_pipeline_wait(sp.p, 1000))
		;
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	ofd_pipeline_entry_counters(sp.p, 1, c);
	seg_pipeline_close(&sp);
	assert_int_equal(bad_strings, 0);
}

/* Records seen are base, base+1, ... n of them. */
static void assert_seen(uint64_t base, size_t from, size_t n)
{
	assert_true(nseen >= from + n);
	for (size_t i = 0; i < n; i++)
		if (seen[from + i] != base + i)
			fail_msg("record %zu: %llu, expected %llu", from + i,
				 (unsigned long long)seen[from + i], (unsigned long long)(base + i));
}

/* Three batches fill the pool (one held by the gate, two queued): the other 17 go to disk; new
   ones follow them there while the reader brings them back; all arrive once, in order. */
static void test_read_back_while_running(void **st)
{
	(void)st;
	struct ofd_seg_counters c;
	src.base = 0;
	src.nb1 = 20;
	src.nb2 = 10;
	src.wait_all = 1;
	src.stop_self = 0;
	run(NULL, 0, &c);
	assert_int_equal(nseen, 30 * OFD_BATCH_CAP);
	assert_seen(0, 0, 30 * OFD_BATCH_CAP);
	assert_int_equal(src.files_seen, 1);
	assert_true(c.own[C_SPILLED] >= 17 * OFD_BATCH_CAP);
	assert_int_equal(c.own[C_READ], c.own[C_SPILLED]);
	assert_int_equal(c.own[C_DROPPED], 0);
	assert_int_equal(c.own[C_ERRORS], 0);
	assert_int_equal(c.in, 30 * OFD_BATCH_CAP);
	assert_int_equal(c.out, 30 * OFD_BATCH_CAP);
	assert_int_equal(count_files(), 0);
}

/* The input returns at once: the rest comes back from disk before the stages close. */
static void test_read_back_at_end(void **st)
{
	(void)st;
	struct ofd_seg_counters c;
	src.base = 0;
	src.nb1 = 20;
	src.nb2 = 0;
	src.wait_all = 0;
	src.stop_self = 0;
	run(NULL, 0, &c);
	assert_int_equal(nseen, 20 * OFD_BATCH_CAP);
	assert_seen(0, 0, 20 * OFD_BATCH_CAP);
	assert_int_equal(src.files_seen, 1);
	assert_int_equal(c.own[C_SPILLED], 17 * OFD_BATCH_CAP);
	assert_int_equal(c.own[C_READ], 17 * OFD_BATCH_CAP);
	assert_int_equal(count_files(), 0);
}

/* maxcachesize 4096: two frames of about 1.7 kB fit, the rest of the batches are dropped and
   counted; what arrives is in order, and arrived + dropped is everything. */
static void test_maxcachesize(void **st)
{
	(void)st;
	struct ofd_seg_counters c;
	src.base = 0;
	src.nb1 = 20;
	src.nb2 = 0;
	src.wait_all = 0;
	src.stop_self = 0;
	run("      maxcachesize: 4096\n", 0, &c);
	assert_true(c.own[C_DROPPED] > 0);
	assert_int_equal(nseen + c.own[C_DROPPED], 20 * OFD_BATCH_CAP);
	assert_int_equal(c.own[C_READ], c.own[C_SPILLED]);
	assert_int_equal(nseen, 3 * OFD_BATCH_CAP + c.own[C_READ]);
	for (size_t i = 1; i < nseen; i++)
		assert_true(seen[i] > seen[i - 1]);
	assert_seen(0, 0, 3 * OFD_BATCH_CAP);
	assert_int_equal(count_files(), 0);
}

/* Files a previous run left (written by the spill, never read back) come first. */
static void test_previous_run_first(void **st)
{
	(void)st;
	struct ofd_spill *old = NULL;
	struct ofd_spill_cfg cfg = {.bufferdir = dir, .filesize = 1u << 20, .maxcachesize = 1u << 30};
	char err[256];
	static struct ofd_batch b;
	assert_int_equal(ofd_spill_open(&old, &cfg, err, sizeof(err)), 0);
	for (unsigned k = 0; k < 6; k++) {
		ofd_batch_init(&b, NULL, NULL);
		fill(&b, 0, k);
		assert_int_equal(ofd_spill_put(old, &b), 0);
	}
	ofd_spill_free(old);
	assert_int_equal(count_files(), 1);

	struct ofd_seg_counters c;
	src.base = 6 * OFD_BATCH_CAP;
	src.nb1 = 0;
	src.nb2 = 5;
	src.wait_all = 0;
	src.stop_self = 0;
	run(NULL, 0, &c);
	assert_int_equal(nseen, 11 * OFD_BATCH_CAP);
	assert_seen(0, 0, 11 * OFD_BATCH_CAP);
	assert_true(c.own[C_READ] >= 6 * OFD_BATCH_CAP);
	assert_int_equal(count_files(), 0);
}

/* Stopped on request (a signal): the reader stops at once and what is on disk stays for the
   next start, which delivers it first; both runs together: every record once, in order. */
static void test_stop_leaves_rest(void **st)
{
	(void)st;
	static uint64_t first[MAXREC];
	struct ofd_seg_counters c;
	src.base = 0;
	src.nb1 = 40;
	src.nb2 = 0;
	src.wait_all = 0;
	src.stop_self = 1;
	run(NULL, 0, &c);
	size_t n1 = nseen;
	memcpy(first, seen, n1 * sizeof(*first));
	uint64_t left = 40 * OFD_BATCH_CAP - n1;
	print_message("first run: %zu records through, %llu left on disk\n", n1, (unsigned long long)left);
	assert_int_equal(c.own[C_SPILLED] - c.own[C_READ], left);
	assert_int_equal(count_files(), left ? 1 : 0);

	src.base = 40 * OFD_BATCH_CAP;
	src.nb1 = 0;
	src.nb2 = 2;
	src.stop_self = 0;
	run(NULL, 0, &c);
	assert_int_equal(n1 + nseen, 42 * OFD_BATCH_CAP);
	for (size_t i = 0; i < n1; i++)
		assert_int_equal(first[i], i);
	assert_seen(n1, 0, nseen);
	assert_int_equal(c.own[C_READ], left + c.own[C_SPILLED]); /* the new ones queue behind */
	assert_int_equal(count_files(), 0);
}

/* One-pass mode: nothing to buffer (every segment runs in the input's thread). */
static void test_inline_passes(void **st)
{
	(void)st;
	struct ofd_seg_counters c;
	src.base = 0;
	src.nb1 = 8;
	src.nb2 = 0;
	src.wait_all = 0;
	src.stop_self = 0;
	run(NULL, 1, &c);
	assert_int_equal(nseen, 8 * OFD_BATCH_CAP);
	assert_seen(0, 0, 8 * OFD_BATCH_CAP);
	assert_int_equal(c.own[C_SPILLED], 0);
	assert_int_equal(src.files_seen, 0);
}

static const struct ofd_segment_type t_pass = {
    OFD_SEGMENT_VERSION,
    .name = "t_pass",
    .kind = OFD_SEG_FLOW,
    .process = gate_process,
};

/* The build refuses yaml with err naming FILE:LINE and the reason. */
static void refused(const char *yaml, const char *want)
{
	const struct ofd_segment_type *const ts[] = {&t_src, &t_gate, &t_pass, &ofd_seg_diskbuffer, NULL};
	struct ofd_registry *reg = NULL;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p = NULL;
	char err[512] = "";
	assert_int_equal(ofd_registry_new_empty(&reg), 0);
	for (size_t i = 0; ts[i]; i++)
		assert_int_equal(ofd_registry_add(reg, ts[i], "test", err, sizeof(err)), 0);
	assert_int_equal(ofd_cfg_load_string(&cfg, "test.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err)),
			 0);
	assert_int_equal(ofd_pipeline_new(&p, reg, ofd_cfg_pipeline(cfg), "test.yml", NULL, err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(p);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	ofd_cfg_free(cfg);
	ofd_registry_free(reg);
}

static void test_refused(void **st)
{
	(void)st;
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
		 "pipeline:\n  - segment: t_src\n  - segment: branch\n    if:\n      - segment: diskbuffer\n"
		 "        config: {bufferdir: %s}\n",
		 dir);
	refused(yaml, "test.yml:5: segment diskbuffer: diskbuffer cannot be inside a branch");
	snprintf(yaml, sizeof(yaml),
		 "pipeline:\n  - segment: diskbuffer\n    config: {bufferdir: %s}\n  - segment: t_src\n",
		 dir);
	refused(yaml, "test.yml:2: segment diskbuffer: diskbuffer must come after an input");
	snprintf(yaml, sizeof(yaml),
		 "pipeline:\n  - segment: t_src\n  - segment: diskbuffer\n    config: {bufferdir: %s}\n"
		 "  - segment: diskbuffer\n    config: {bufferdir: %s}\n",
		 dir, dir);
	refused(yaml, "test.yml:5: segment diskbuffer: only one diskbuffer per pipeline");
	snprintf(yaml, sizeof(yaml),
		 "pipeline:\n  - segment: t_src\n  - segment: diskbuffer\n    config: {bufferdir: %s, "
		 "lowmemorymark: 60, highmemorymark: 50}\n",
		 dir);
	refused(yaml, "test.yml:3: segment diskbuffer: lowmemorymark (60) must be below highmemorymark (50)");
	refused("pipeline:\n  - segment: t_src\n  - segment: diskbuffer\n",
		"test.yml:3: segment diskbuffer: key bufferdir");
}

/* After other segments (as flowpipeline's configs put it, before the slow one): taken, with a
   warning that it buffers at the inputs all the same. */
static void test_after_segments_warns(void **st)
{
	(void)st;
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
		 "pipeline:\n  - segment: t_src\n  - segment: t_pass\n  - segment: diskbuffer\n    config: "
		 "{bufferdir: %s}\n  - segment: t_gate\n",
		 dir);
	const struct ofd_segment_type *const ts[] = {&t_src, &t_gate, &t_pass, &ofd_seg_diskbuffer, NULL};
	struct seg_pipeline sp;
	logcap_start();
	assert_int_equal(seg_pipeline_open(&sp, yaml, ts), 0);
	logcap_stop();
	if (!strstr(logcap_buf,
		    "test.yml:4: segment diskbuffer: diskbuffer buffers where the inputs hand their "
		    "batches on: the 1 entry before it runs on batches as they come back from disk"))
		fail_msg("warning missing: %s", logcap_buf);
	seg_pipeline_close(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_back_while_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_back_at_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_maxcachesize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_previous_run_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_leaves_rest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inline_passes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_after_segments_warns, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
