/*
 * tracer: picks flows with odds min(1, rate x packets), signs a tracer about each and delivers
 * it (here to a UDP relay on 127.0.0.1, the test's own socket); flows pass on unchanged. The
 * selection, signing and delivery themselves are tested in tests/unit/test_tracer_*.c and
 * tests/e2e/test_tracer.sh; this is the segment: its config, counters and a delivery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_tracer;

/* A UDP socket on 127.0.0.1 (the relay); *port gets its port. */
static int relay_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* The datagrams waiting on fd, not waiting for more; each must hold needle. */
static unsigned datagrams(int fd, const char *needle)
{
	static char buf[65536];
	unsigned n = 0;
	ssize_t len;
	while ((len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[len] = 0;
		assert_non_null(memmem(buf, (size_t)len, needle, strlen(needle)));
		n++;
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

/* h's batch of 4 sample flows to distinct destinations, flow 1 not live. */
static struct ofd_batch *flows(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (uint32_t i = 0; i < 4; i++) {
		gen_sample_flow(&b->flows[i]);
		ofd_ip_set4u(&b->flows[i].dst_addr, 0xc6336402 + i); /* 198.51.100.2 + i */
	}
	ofd_batch_kill(b, 1);
	return b;
}

static void test_tracer_relay(void **state)
{
	(void)state;
	uint16_t port;
	int fd = relay_socket(&port);
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{rate: 1, seed: 7, key: '%s', contact: abuse@example.net, send: [], "
		 "send_to: ['udp://127.0.0.1:%u']}",
		 st_path("signing.key"), port);
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	assert_int_equal(ofd_harness_counter(h, "selected"), 0);
	struct ofd_batch *b = flows(h);
	struct ofd_flow before[4];
	memcpy(before, b->flows, sizeof(before));
	ofd_harness_process(h, b);
	/* every live flow picked (10 packets at rate 1), and passed on as it was */
	assert_int_equal(ofd_harness_counter(h, "selected"), 3);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	assert_int_equal(b->live[0], 0xd);
	assert_memory_equal(b->flows, before, sizeof(before));
	ofd_harness_tick(h, 0);
	ofd_harness_free(h); /* fini() waits for the deliveries */
	assert_int_equal(datagrams(fd, "abuse@example.net"), 3);
	/* the key file was created, and is used again */
	assert_int_equal(access(st_path("signing.key"), R_OK), 0);
	h = st_open(&ofd_seg_tracer, cfg);
	ofd_harness_free(h);
	close(fd);
}

static void test_tracer_rate_zero(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{rate: 0, seed: 7, key: '%s', send: []}", st_path("signing.key"));
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	struct ofd_batch *b = flows(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "selected"), 0);
	assert_int_equal(ofd_batch_live_count(b), 3);
	ofd_harness_free(h);
}

static void test_tracer_config_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
	    {"{send: [smtp]}",
	     "test.yml:1: segment tracer: key send: 'smtp' is not one of: udp, http, https"},
	    {"{deny: [10.0.0.0/33]}",
	     "test.yml:1: segment tracer: key deny: '10.0.0.0/33' is not an address prefix"},
	    {"{seal: [10.0.0.0/8=abc]}", "test.yml:1: segment tracer: key seal: '10.0.0.0/8=abc' is not "
					 "PREFIX=HEXKEY (64 hex digits)"},
	    {"{escalate: [{multiplier: 2}]}",
	     "test.yml:1: segment tracer: key escalate[0].filter: missing required key"},
	    {"{escalate: [{filter: proto udp}, {filter: proto xyz}]}",
	     "test.yml:1: segment tracer: key escalate[1].filter: column 7: expected a protocol"},
	    {"{escalate: {filter: proto udp, multiplier: 0.5}}",
	     "test.yml:1: segment tracer: key escalate[0].multiplier: 0.5 is below the minimum 1"},
	    {"{rate: 2}", "test.yml:1: segment tracer: key rate: "},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_harness *h;
		char err[512] = "";
		assert_int_equal(ofd_harness_new(&h, &ofd_seg_tracer, bad[i][0], err, sizeof(err)),
				 OFD_ECONFIG);
		assert_null(h);
		st_assert_prefix(err, bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tracer_relay),
	    cmocka_unit_test(test_tracer_rate_zero),
	    cmocka_unit_test(test_tracer_config_errors),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
