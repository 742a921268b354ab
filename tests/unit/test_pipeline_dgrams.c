/*
 * Source datagrams through the engine (OFD_SEGF_DGRAMS, include/ofd/batch.h): an input decodes a
 * script of built IPFIX datagrams (templates alone, data of 10 records each, a datagram that is
 * not an export) into its batches, from its own thread and from worker threads with batches of
 * their own (ofd_input_batch_init). A recording segment that declares OFD_SEGF_DGRAMS must see
 * every datagram exactly once, byte for byte, with its records where `first` says, also in batches
 * whose records were all dropped before it and in batches of templates only; threaded and inline.
 * Without such a segment no batch carries an area. The registry refuses the flag on a blocking
 * segment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "decode/decode.h"
#include "gen_v9ipfix.h"
#include "pipehelp.h"

#define DATA_DGRAMS 60 /* data datagrams per thread: 600 records, more than a batch */

/* ---- the script ---- */

struct script {
	uint8_t *p[DATA_DGRAMS + 3];
	size_t len[DATA_DGRAMS + 3];
	unsigned n;
	uint64_t bytes, sum; /* their lengths, and a sum of every byte times its position */
};

static struct script script;

static uint64_t bytesum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += (uint64_t)p[i] * (i + 1);
	return s;
}

static void script_add(const uint8_t *p, size_t len)
{
	script.p[script.n] = malloc(len);
	memcpy(script.p[script.n], p, len);
	script.len[script.n++] = len;
	script.bytes += len;
	script.sum += bytesum(p, len);
}

/* 0: the template alone; 1..60: 10 records each; 61: not an export; 62: the template again (sent
   after a flush: a batch of it alone). */
static void script_make(void)
{
	struct gv_msg m;
	memset(&m, 0, sizeof(m));
	gv_ipfix_begin(&m, 1700000000, 0, 1);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, gv_v4_fields, gv_v4_nfields);
	size_t len = gv_end(&m);
	script_add(m.g.p, len);
	gv_free(&m);
	for (uint32_t k = 0; k < DATA_DGRAMS; k++) {
		memset(&m, 0, sizeof(m));
		gv_ipfix_begin(&m, 1700000000, k * 10, 1);
		gv_set_begin(&m, 256);
		for (uint32_t i = 0; i < 10; i++)
			gv_v4_record(&m, k * 10 + i);
		len = gv_end(&m);
		script_add(m.g.p, len);
		gv_free(&m);
	}
	static const uint8_t junk[32] = {0, 99};
	script_add(junk, sizeof(junk));
	script_add(script.p[0], script.len[0]);
}

/* ---- the input: the script from its own thread and `workers` more ---- */

struct dgin_state {
	uint64_t workers;
	struct ofd_segment *seg;
};

static void dgin_run(struct ofd_segment *seg, struct ofd_batch *b, uint32_t src)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	for (unsigned i = 0; i < script.n; i++) {
		struct ofd_dgram dg = {
		    .data = script.p[i], .len = script.len[i], .src_port = 4739, .time_ns = 1};
		ofd_ip_set4u(&dg.src, src);
		if (i + 1 == script.n)
			ofd_batch_flush(b); /* the last template alone in a batch */
		(void)ofd_decode(d, &dg, b);
	}
	ofd_batch_flush(b);
	ofd_decoder_free(d);
	(void)seg;
}

struct dgin_worker {
	struct dgin_state *s;
	struct ofd_batch b;
	uint32_t src;
	pthread_t t;
};

static void *dgin_worker_main(void *arg)
{
	struct dgin_worker *w = arg;
	dgin_run(w->s->seg, &w->b, w->src);
	return NULL;
}

static int dgin_start(struct ofd_segment *seg, void *state)
{
	struct dgin_state *s = state;
	s->seg = seg;
	struct dgin_worker *w = calloc(s->workers ? s->workers : 1, sizeof(*w));
	assert_non_null(w);
	for (unsigned i = 0; i < s->workers; i++) {
		w[i].s = s;
		w[i].src = 0x0a000002 + i;
		ofd_input_batch_init(seg, &w[i].b);
		assert_int_equal(pthread_create(&w[i].t, NULL, dgin_worker_main, &w[i]), 0);
	}
	dgin_run(seg, ofd_input_batch(seg), 0x0a000001);
	for (unsigned i = 0; i < s->workers; i++)
		pthread_join(w[i].t, NULL);
	free(w);
	return 0;
}

static const struct ofd_cfg_key dgin_keys[] = {
    OFD_KEY("workers", OFD_CFG_UINT, struct dgin_state, workers, .def = "0", .max = 4),
    OFD_KEY_END,
};

static const struct ofd_segment_type dgin_type = {
    OFD_SEGMENT_VERSION, .name = "dgin",      .kind = OFD_SEG_INPUT, .state_size = sizeof(struct dgin_state),
    .config = dgin_keys, .start = dgin_start,
};

/* ---- a segment dropping every record ---- */

static void killall_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	for (uint32_t i = 0; i < b->n; i++)
		ofd_batch_kill(b, i);
}

static const struct ofd_segment_type killall_type = {
    OFD_SEGMENT_VERSION,
    .name = "killall",
    .kind = OFD_SEG_FLOW,
    .process = killall_process,
};

/* ---- the recorders ---- */

static struct {
	uint64_t dgrams, bytes, sum, records, live, control, failed, split, batches, empty_batches;
	uint64_t areas; /* batches a plain segment saw with an area */
	int bad_first;
} seen;

static void dgrec_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	const struct ofd_dgrams *g = b->dg;
	assert_non_null(g);
	seen.batches++;
	if (!ofd_batch_live_count(b))
		seen.empty_batches++;
	seen.records += b->n;
	seen.live += ofd_batch_live_count(b);
	uint32_t prev = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct ofd_batch_dgram *d = &g->d[i];
		seen.dgrams++;
		seen.bytes += d->len;
		seen.sum += bytesum(g->bytes + d->off, d->len);
		seen.control += (d->flags & OFD_DGRAM_CONTROL) != 0;
		seen.failed += d->state == OFD_DGRAM_FAILED;
		seen.split += d->state == OFD_DGRAM_SPLIT;
		uint32_t end = ofd_batch_dgram_end(b, i);
		if (d->first < prev || end < d->first ||
		    (d->state == OFD_DGRAM_DECODED && !(d->flags & OFD_DGRAM_CONTROL) && d->len > 100 &&
		     end - d->first != 10))
			seen.bad_first++;
		prev = d->first;
	}
}

static const struct ofd_segment_type dgrec_type = {
    OFD_SEGMENT_VERSION,      .name = "dgrec",		.kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_DGRAMS, .process = dgrec_process,
};

static void plainrec_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	seen.areas += b->dg != NULL;
	seen.live += ofd_batch_live_count(b);
}

static const struct ofd_segment_type plainrec_type = {
    OFD_SEGMENT_VERSION,
    .name = "plainrec",
    .kind = OFD_SEG_OUTPUT,
    .process = plainrec_process,
};

static const struct ofd_segment_type blockdg_type = {
    OFD_SEGMENT_VERSION,	 .name = "blockdg",
    .kind = OFD_SEG_OUTPUT,	 .flags = OFD_SEGF_DGRAMS | OFD_SEGF_BLOCKING,
    .process = plainrec_process,
};

static const struct ofd_segment_type *const types[] = {&dgin_type, &killall_type, &dgrec_type, &plainrec_type,
						       NULL};

static void run(const char *yaml, int inline_run)
{
	struct seg_pipeline sp;
	struct ofd_pipeline_opts o = {.inline_run = inline_run};
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(seg_pipeline_open_opts(&sp, yaml, types, &o), 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	while (!ofd_pipeline_wait(sp.p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	seg_pipeline_close(&sp);
}

/* Every datagram of `threads` scripts seen once, whole. */
static void assert_all(unsigned threads, uint64_t live)
{
	assert_int_equal(seen.dgrams, threads * script.n);
	assert_int_equal(seen.bytes, threads * script.bytes);
	assert_int_equal(seen.sum, threads * script.sum);
	assert_int_equal(seen.records, threads * DATA_DGRAMS * 10);
	assert_int_equal(seen.live, live);
	assert_int_equal(seen.control, threads * 2);
	assert_int_equal(seen.failed, threads * 1);
	assert_int_equal(seen.split, 0);
	assert_int_equal(seen.bad_first, 0);
}

static void test_threaded(void **st)
{
	(void)st;
	run("- segment: dgin\n- segment: dgrec\n", 0);
	assert_all(1, DATA_DGRAMS * 10);
	assert_true(seen.batches >= 3); /* 600 records, then the template alone */
	assert_int_equal(seen.empty_batches, 1);
}

static void test_inline(void **st)
{
	(void)st;
	run("- segment: dgin\n- segment: dgrec\n", 1);
	assert_all(1, DATA_DGRAMS * 10);
	assert_int_equal(seen.empty_batches, 1);
}

/* Records dropped before: the batches still reach the segment with their datagrams. */
static void test_dropped_before(void **st)
{
	(void)st;
	run("- segment: dgin\n- segment: killall\n- segment: dgrec\n", 0);
	assert_all(1, 0);
	assert_int_equal(seen.empty_batches, seen.batches);
}

/* Worker threads' own batches carry datagrams too. */
static void test_workers(void **st)
{
	(void)st;
	run("- segment: dgin\n  config: {workers: 3}\n- segment: dgrec\n", 0);
	assert_all(4, 4 * DATA_DGRAMS * 10);
}

/* Without an OFD_SEGF_DGRAMS segment: no area anywhere, the same records. */
static void test_not_carried(void **st)
{
	(void)st;
	run("- segment: dgin\n  config: {workers: 1}\n- segment: plainrec\n", 0);
	assert_int_equal(seen.areas, 0);
	assert_int_equal(seen.live, 2 * DATA_DGRAMS * 10);
}

static void test_blocking_refused(void **st)
{
	(void)st;
	struct ofd_registry *reg;
	char err[256] = "";
	assert_int_equal(ofd_registry_new_empty(&reg), 0);
	assert_int_equal(ofd_registry_add(reg, &blockdg_type, "test", err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "OFD_SEGF_DGRAMS"));
	ofd_registry_free(reg);
}

int main(void)
{
	script_make();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threaded),	   cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_dropped_before), cmocka_unit_test(test_workers),
	    cmocka_unit_test(test_not_carried),	   cmocka_unit_test(test_blocking_refused),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (unsigned i = 0; i < script.n; i++)
		free(script.p[i]);
	return rc;
}
