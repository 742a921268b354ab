/*
 * The writer pool in a running pipeline: chunks the server refuses are counted and lost, and
 * the pipeline goes on when the input does not acknowledge its source (a refusal used to stop
 * a collector: one bad row ended a pcap run after 3,724 records).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/wpool.h"

#define BEFORE 1000   /* records before the input waits for the first refusal */
#define AFTER  100000 /* records after it */

static _Atomic uint64_t refused_chunks, refused_rows, after;

/* ---- the input: BEFORE records, then (once a chunk was refused) AFTER more, until stopped ---- */

static int tin_start(struct ofd_segment *seg, void *state)
{
	(void)state;
	for (uint64_t i = 0; i < BEFORE + AFTER && !ofd_segment_stopping(seg); i++) {
		if (i == BEFORE) {
			ofd_batch_flush(ofd_input_batch(seg));
			uint64_t until = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
			while (!atomic_load(&refused_chunks) && ofd_time_mono_ns() < until)
				;
		}
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		f->bytes = i;
		f->packets = 1;
	}
	return 0;
}

static const struct ofd_segment_type t_in = {
    OFD_SEGMENT_VERSION,
    .name = "t_in",
    .kind = OFD_SEG_INPUT,
    .start = tin_start,
};

/* ---- the output: rows of 10 per chunk into a server that refuses every one ---- */

static void *srv_open(void *arg, unsigned w, char *err, size_t errlen)
{
	(void)w, (void)err, (void)errlen;
	return arg;
}

static int srv_send(void *arg, void *conn, const char *data, size_t len, uint32_t rows, char *err,
		    size_t errlen)
{
	(void)arg, (void)conn, (void)data, (void)len;
	atomic_fetch_add(&refused_rows, rows);
	atomic_fetch_add(&refused_chunks, 1);
	snprintf(err, errlen, "refused");
	return OFD_WP_FAIL;
}

static const struct ofd_wpool_ops srv_ops = {srv_open, srv_send, NULL};

enum { C_WRITTEN, C_LOST, C_RETRIED, C_WAITS };
static const char *const counters[] = {"written", "lost", "retried", "waits", NULL};

struct tout {
	struct ofd_wpool *wp;
};

static int tout_init(struct ofd_segment *seg, void *state)
{
	struct tout *t = state;
	static int server;
	const struct ofd_wpool_conf c = {2, 4096, 1, 1000000, C_WRITTEN, C_LOST, C_RETRIED, C_WAITS};
	return ofd_wpool_start(&t->wp, seg, &srv_ops, &server, &c);
}

static void tout_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct tout *t = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_wpool_chunk *c = ofd_wpool_chunk(t->wp);
		c->data[c->len++] = 'x';
		c->data[c->len++] = '\n';
		if (++c->rows == 10)
			ofd_wpool_submit(t->wp);
	}
}

static void tout_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	ofd_wpool_stop(((struct tout *)state)->wp);
}

static const struct ofd_segment_type t_out = {
    OFD_SEGMENT_VERSION,
    .name = "t_out",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .state_size = sizeof(struct tout),
    .counters = counters,
    .init = tout_init,
    .process = tout_process,
    .fini = tout_fini,
};

static void tsum_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg, (void)state;
	atomic_fetch_add(&after, ofd_batch_live_count(b));
}

static const struct ofd_segment_type t_sum = {
    OFD_SEGMENT_VERSION,
    .name = "t_sum",
    .kind = OFD_SEG_FLOW,
    .process = tsum_process,
};

static void test_refusals_do_not_stop(void **st)
{
	(void)st;
	char err[1024];
	struct ofd_registry *r;
	const struct ofd_segment_type *types[] = {&t_in, &t_out, &t_sum};
	assert_int_equal(ofd_registry_new_empty(&r), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ofd_registry_add(r, types[i], "test", err, sizeof(err)), 0);
	const char *yaml = "- segment: t_in\n- segment: t_out\n- segment: t_sum\n";
	struct ofd_cfg_file *f;
	assert_int_equal(ofd_cfg_load_string(&f, "fp.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err)), 0);
	struct ofd_pipeline *p;
	if (ofd_pipeline_new(&p, r, ofd_cfg_pipeline(f), "fp.yml", NULL, err, sizeof(err)) ||
	    ofd_pipeline_init(p, err, sizeof(err)))
		fail_msg("pipeline: %s", err);
	assert_int_equal(ofd_pipeline_start(p), 0);
	while (!ofd_pipeline_wait(p, 10000))
		;
	assert_int_equal(ofd_pipeline_finish(p), 0);
	ofd_pipeline_free(p);
	ofd_cfg_free(f);
	ofd_registry_free(r);
	assert_int_equal(atomic_load(&after), BEFORE + AFTER);	      /* every record went on */
	assert_int_equal(atomic_load(&refused_rows), BEFORE + AFTER); /* and every row was offered */
	assert_int_equal(atomic_load(&refused_chunks), (BEFORE + AFTER) / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusals_do_not_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
