/*
 * pcap: decodes the export datagrams in capture files, in order, and ends. Run on the shared
 * NetFlow v5 capture (skipped when $OFD_DATA does not have it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_pcap;

static char capture[512];

static int setup(void **st)
{
	snprintf(capture, sizeof(capture), "%s", st_data("netflow_4M.pcap"));
	return st_dir_make(st);
}

static void test_pcap(void **state)
{
	(void)state;
	if (access(capture, R_OK) != 0)
		skip();
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: [%s]}", capture);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_pcap, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 78684);
	uint64_t packets = 0, bytes = 0;
	for (size_t i = 0; i < c.n; i++) {
		packets += c.v[i].packets;
		bytes += c.v[i].bytes;
		assert_int_equal(c.v[i].type, OFD_FT_NETFLOW_V5);
	}
	assert_int_equal(packets, 2862857);
	assert_int_equal(bytes, 2048144412ull);
	/* the decoder's families: every record decoded, in 2708 datagrams */
	assert_int_equal(ofd_harness_metric(h, "records_total", "netflow_v5"), 78684);
	assert_int_equal(ofd_harness_metric(h, "records_total", NULL), 78684);
	assert_int_equal(ofd_harness_metric(h, "datagrams_total", "netflow_v5"), 2708);
	/* the file is cut in its last frame: one capture_truncated drop, nothing else */
	assert_int_equal(ofd_harness_metric(h, "drops_total", "capture_truncated"), 1);
	assert_int_equal(ofd_harness_metric(h, "drops_total", NULL), 1);
	ofd_harness_free(h);
	st_collect_reset(&c);

	/* a list of two files: twice the records */
	snprintf(cfg, sizeof(cfg), "{filename: [%s, %s]}", capture, capture);
	h = st_open(&ofd_seg_pcap, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 2 * 78684);
	assert_int_equal(ofd_harness_metric(h, "drops_total", "capture_truncated"), 2);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

static void test_pcap_errors(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char cfg[600], err[512] = "";
	/* a missing file refuses the start */
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("none.pcap"));
	assert_true(ofd_harness_new(&h, &ofd_seg_pcap, cfg, err, sizeof(err)) < 0);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment pcap: ");
	/* filename is required */
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_pcap, NULL, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pcap),
	    cmocka_unit_test(test_pcap_errors),
	};
	return cmocka_run_group_tests(tests, setup, st_dir_remove);
}
