/* flowfilter: keeps the live records that match its filter expression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
	/* filter is required */
	err[0] = 0;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_flowfilter, NULL, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "filter"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flowfilter),
	    cmocka_unit_test(test_flowfilter_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
