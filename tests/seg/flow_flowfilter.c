/* flowfilter: keeps the live records that match its filter expression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_flowfilter;

static void test_flowfilter(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_flowfilter, "{filter: proto udp and src port 123}");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	b->flows[0].proto = 17, b->flows[0].src_port = 123; /* kept */
	b->flows[1].proto = 6, b->flows[1].src_port = 123;
	b->flows[2].proto = 17, b->flows[2].src_port = 124;
	b->flows[3].proto = 17, b->flows[3].src_port = 123; /* kept */
	for (int i = 0; i < 4; i++)
		b->flows[i].present.w[0] = OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_SRC_PORT);
	ofd_batch_kill(b, 3); /* already dropped: stays dropped */
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0x1);
	ofd_harness_free(h);

	h = st_open(&ofd_seg_flowfilter, "{filter: 'tcpflags syn and not tcpflags ack'}");
	b = ofd_harness_batch(h, 0);
	for (int i = 0; i < 3; i++)
		ofd_batch_add(b)->proto = 6;
	b->flows[0].tcp_flags = 0x02; /* SYN */
	b->flows[1].tcp_flags = 0x12; /* SYN ACK */
	b->flows[2].tcp_flags = 0x10; /* ACK */
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0x1);
	ofd_harness_free(h);
}

static void test_flowfilter_errors(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	/* a syntax error is refused by check(), before init(), naming the entry */
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_flowfilter, "{filter: 'proto udp and and'}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment flowfilter: ");
	/* a misspelt keyword (flowpipeline's own segment test) */
	err[0] = 0;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_flowfilter, "{filter: 'protoo 4'}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "key filter: column 1: expected a match"));
}

/* flowpipeline's segment cases: proto 4 keeps a proto 4 flow, proto 5 drops it; without a filter
 * (or with an empty one) every flow passes. */
static void test_flowfilter_fp(void **state)
{
	(void)state;
	static const struct {
		const char *config;
		uint64_t live;
	} cases[] = {
	    {"{filter: proto 4}", 0x1}, {"{filter: proto 5}", 0x0}, {NULL, 0x3}, {"{filter: ''}", 0x3}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ofd_harness *h = st_open(&ofd_seg_flowfilter, cases[i].config);
		struct ofd_batch *b = ofd_harness_batch(h, 0);
		ofd_batch_add(b)->proto = 4;
		ofd_batch_add(b)->proto = 6;
		ofd_harness_process(h, b);
		assert_int_equal(b->live[0], cases[i].live);
		ofd_harness_free(h);
	}
}

/* check() warns where `and` and `or` mix without parentheses, and reads them to the right. */
static void test_flowfilter_mixed(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s", st_path("stderr.txt"));
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	FILE *f = freopen(path, "w", stderr);
	assert_non_null(f);
	struct ofd_harness *h = st_open(&ofd_seg_flowfilter, "{filter: proto tcp and port 80 or port 53}");
	struct ofd_batch *b = ofd_harness_batch(h, 0);
	struct ofd_flow *r = ofd_batch_add(b); /* udp port 53: dropped (the and holds over both) */
	r->proto = 17, r->dst_port = 53;
	r = ofd_batch_add(b); /* tcp port 53: kept */
	r->proto = 6, r->dst_port = 53;
	r = ofd_batch_add(b); /* tcp port 80: kept */
	r->proto = 6, r->dst_port = 80;
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0x6);
	ofd_harness_free(h);
	h = st_open(&ofd_seg_flowfilter, "{filter: proto tcp and (port 80 or port 53)}");
	ofd_harness_free(h);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	char *text = st_slurp(path, NULL);
	const char *want =
	    "segment flowfilter: key filter \"proto tcp and port 80 or port 53\": column 23: 'and' "
	    "and 'or' mixed without parentheses;";
	const char *at = strstr(text, want);
	if (!at)
		print_error("stderr: %s\n", text);
	assert_non_null(at);
	assert_null(strstr(at + 1, "segment flowfilter")); /* once, and not for the parenthesized one */
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flowfilter),
	    cmocka_unit_test(test_flowfilter_errors),
	    cmocka_unit_test(test_flowfilter_fp),
	    cmocka_unit_test_setup_teardown(test_flowfilter_mixed, st_dir_make, st_dir_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
