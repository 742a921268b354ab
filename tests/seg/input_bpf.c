/*
 * bpf: the keys refused at start, with their messages (no device, an unknown device, a filter
 * that does not compile, buffersize 0 or beyond 4G, too many workers), and, as root, a live
 * capture on lo with two workers in a fanout group: three datagrams from three sockets to one
 * port, behind a kernel filter on that port, must come out (at the stop) as three UDP flows of
 * one packet and 33 bytes each, with lo's index as in_if and no drops; the metric
 * capture_packets_total has a series per worker, summing to 3. The netns/veth test with
 * known traffic and the drop test: tests/e2e/test_afpacket_live.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_bpf;

/* What the segment logged (init's reasons go to the log; err says "init failed: ..."). */
static char logged[2048];
static void sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl, (void)ctx;
	size_t n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "%s", line);
}

/* The config is refused with rc, and msg is in the error or in what init logged. */
static void refused(const char *cfg, int rc, const char *msg)
{
	struct ofd_harness *h;
	char err[512] = "";
	logged[0] = '\0';
	ofd_log_set_sink(sink, NULL);
	int got = ofd_harness_new(&h, &ofd_seg_bpf, cfg, err, sizeof(err));
	ofd_log_set_sink(NULL, NULL);
	if (got != rc || (!strstr(err, msg) && !strstr(logged, msg)))
		print_error("%s: got %d \"%s\" (logged \"%s\"), want %d \"...%s...\"\n", cfg, got, err,
			    logged, rc, msg);
	assert_int_equal(got, rc);
	assert_null(h);
	st_assert_prefix(err, "test.yml:");
	assert_non_null(strstr(err, ": segment bpf: "));
	assert_true(strstr(err, msg) || strstr(logged, msg));
}

static void test_refused(void **state)
{
	(void)state;
	refused("{buffersize: 4M}", OFD_ECONFIG, "device");
	refused("{device: nosuchif0}", OFD_ECONFIG,
		"segment bpf: device nosuchif0: no such network interface");
	refused("{device: lo, filter: \"tcp port\"}", OFD_ECONFIG, "filter \"tcp port\": ");
	refused("{device: lo, filter: \"udp and\"}", OFD_ECONFIG, "syntax error");
	refused("{device: lo, buffersize: 0}", OFD_ECONFIG, "key buffersize: 0 is below the minimum 1");
	refused("{device: lo, buffersize: 5G}", OFD_ECONFIG, "key buffersize: 5G is above the maximum 4G");
	refused("{device: lo, buffersize: lots}", OFD_ECONFIG, "key buffersize: ");
	refused("{device: lo, workers: 65}", OFD_ECONFIG, "key workers: 65 is above the maximum 64");
}

static void test_live_lo(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* AF_PACKET needs root or CAP_NET_RAW */
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &al), 0);
	unsigned port = ntohs(a.sin_port);
	char cfg[256];
	snprintf(cfg, sizeof(cfg),
		 "{device: lo, workers: 2, filter: \"udp and dst port %u\", buffersize: 1M}", port);
	struct ofd_harness *h = st_open(&ofd_seg_bpf, cfg); /* the rings are open from here */
	struct st_collect c = ST_COLLECT_INIT;
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	for (int i = 0; i < 3; i++) {
		int tx = socket(AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(sendto(tx, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
		close(tx);
	}
	char buf[16];
	for (int i = 0; i < 3; i++) /* delivered, so they passed the packet sockets */
		assert_int_equal(recv(rx, buf, sizeof(buf), 0), 5);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(c.n, 3);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].proto, 17);
		assert_int_equal(c.v[i].packets, 1);
		assert_int_equal(c.v[i].bytes, 33);
		assert_int_equal(c.v[i].dst_port, port);
		assert_int_equal(c.v[i].in_if, if_nametoindex("lo"));
		assert_int_equal(ofd_ip_v4(&c.v[i].src_addr), 0x7f000001);
	}
	assert_true(c.v[0].src_port != c.v[1].src_port && c.v[1].src_port != c.v[2].src_port);
	assert_int_equal(ofd_harness_counter(h, "packets"), 3);
	assert_int_equal(ofd_harness_counter(h, "flows"), 3);
	assert_int_equal(ofd_harness_counter(h, "capture_dropped"), 0);
	/* the metrics: one series per worker, summing to the packets */
	size_t ns = 0;
	assert_int_equal(ofd_harness_metric_n(h, "capture_packets_total", NULL, &ns), 3);
	assert_int_equal(ns, 2);
	assert_int_equal(ofd_harness_metric(h, "capture_dropped_total", NULL), 0);
	ofd_harness_free(h);
	st_collect_reset(&c);
	close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_live_lo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
