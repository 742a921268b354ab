/*
 * diskbuffer (src/segments/flow/diskbuffer.c) through the segment test harness: its config
 * (flowpipeline's keys and defaults, the marks' order, bufferdir checked at init), process()
 * passing records on unchanged, its metric families. What it does in a pipeline (spilling,
 * reading back, restart) is tests/unit/test_pipeline_spill.c; the files, tests/unit/test_spill.c.
 * Run as the ctest seg_diskbuffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/spill.h"
#include "ofd/harness.h"

extern const struct ofd_segment_type ofd_seg_diskbuffer;

static char dir[64];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/ofd-segdb-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	return rmdir(dir);
}

static int open_seg(struct ofd_harness **h, const char *extra, char *err, size_t errlen)
{
	char config[512];
	snprintf(config, sizeof(config), "{bufferdir: %s%s}", dir, extra);
	return ofd_harness_new(h, &ofd_seg_diskbuffer, config, err, errlen);
}

static void test_defaults(void **st)
{
	(void)st;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(open_seg(&h, "", err, sizeof(err)), 0);
	const struct ofd_spill_cfg *c = ofd_harness_state(h);
	assert_string_equal(c->bufferdir, dir);
	assert_int_equal(c->high, 70);
	assert_int_equal(c->low, 30);
	assert_int_equal(c->reading, 5);
	assert_int_equal(c->filesize, 50000000);       /* "50 MB", as flowpipeline reads it */
	assert_int_equal(c->maxcachesize, 1000000000); /* "1 GB" */
	assert_int_equal(c->batchsize, 128);
	assert_int_equal(c->queuesize, 65536);
	assert_int_equal(c->status_ns, 0);
	assert_int_equal(c->debug, 0);
	ofd_harness_free(h);
}

static void test_keys(void **st)
{
	(void)st;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(
	    open_seg(&h,
		     ", highmemorymark: 80, lowmemorymark: 20, readingmemorymark: 10, filesize: 10MB, "
		     "maxcachesize: 2GiB, queuestatusinterval: 30s, batchdebug: true, batchsize: 64",
		     err, sizeof(err)),
	    0);
	const struct ofd_spill_cfg *c = ofd_harness_state(h);
	assert_int_equal(c->high, 80);
	assert_int_equal(c->low, 20);
	assert_int_equal(c->reading, 10);
	assert_int_equal(c->filesize, 10000000);
	assert_int_equal(c->maxcachesize, 2ull << 30);
	assert_int_equal(c->status_ns, 30000000000ull);
	assert_int_equal(c->debug, 1);
	ofd_harness_free(h);
	assert_int_equal(open_seg(&h, ", filesize: 1.5 mib, maxcachesize: 10G", err, sizeof(err)), 0);
	c = ofd_harness_state(h);
	assert_int_equal(c->filesize, 1572864);
	assert_int_equal(c->maxcachesize, 10000000000ull);
	ofd_harness_free(h);
}

static void test_refused(void **st)
{
	(void)st;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(open_seg(&h, ", lowmemorymark: 50, highmemorymark: 40", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "lowmemorymark (50) must be below highmemorymark (40)"));
	assert_int_equal(open_seg(&h, ", readingmemorymark: 40, lowmemorymark: 30", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "readingmemorymark (40) must not be above lowmemorymark (30)"));
	assert_int_equal(open_seg(&h, ", maxcachesize: 1 XB", err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(
	    err, "key maxcachesize: expected a size of 4096 bytes or more (such as 1 GB), got '1 XB'"));
	assert_int_equal(open_seg(&h, ", filesize: 100", err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "key filesize: expected a size of 4096 bytes or more"));
	assert_int_equal(open_seg(&h, ", highmemorymark: 99", err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "key highmemorymark"));
	assert_int_not_equal(
	    ofd_harness_new(&h, &ofd_seg_diskbuffer, "{bufferdir: /nonexistent/ofd-db}", err, sizeof(err)),
	    0);
	assert_null(h);
}

/* Outside a pipeline's input path it passes every record on unchanged. */
static void test_passes(void **st)
{
	(void)st;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(open_seg(&h, "", err, sizeof(err)), 0);
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (uint32_t i = 0; i < 5; i++)
		b->flows[i].bytes = 100 + i;
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(b->flows[i].bytes, 100 + i);
	ofd_harness_tick(h, 1);
	assert_int_equal(ofd_harness_counter(h, "spilled"), 0);
	assert_int_equal(ofd_harness_counter(h, "read_back"), 0);
	assert_int_equal(ofd_harness_counter(h, "dropped_full"), 0);
	assert_int_equal(ofd_harness_counter(h, "read_errors"), 0);
	size_t n = 0;
	assert_int_equal(ofd_harness_metric_n(h, "diskbuffer_batches_total", NULL, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ofd_harness_metric(h, "diskbuffer_files", NULL), 0);
	assert_int_equal(ofd_harness_metric(h, "diskbuffer_bytes", NULL), 0);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
