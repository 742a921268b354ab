/*
 * The ipfix output on 127.0.0.1, its messages read back by the test and decoded by our decoder:
 * over UDP (every record arrives, the templates lead every Nth message, the counters), over TCP
 * (the templates first on a connection; a collector that goes away costs the messages sent
 * meanwhile, counted, and the reconnect sends the templates again before any data), and the config
 * refusals (a wildcard target, an unknown field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "gen_flow.h"
#include "gen_v9ipfix.h"
#include "ofd/rd.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_ipfix;

static struct gv_sink sink;

/* A socket of type on 127.0.0.1 and a free port (listening when TCP). */
static int listen_on(int type, uint16_t *port)
{
	int fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* An instance with a config made by printf (a literal format) from the port. */
#define OPEN_CFG(h, port, ...)                                                                               \
	do {                                                                                                 \
		char cfg_[512];                                                                              \
		snprintf(cfg_, sizeof(cfg_), __VA_ARGS__, (unsigned)(port));                                 \
		(h) = st_open(&ofd_seg_ipfix, cfg_);                                                         \
	} while (0)

/* n sample records, record i with src_port i, through the segment. */
static void feed(struct ofd_harness *h, unsigned n, unsigned first)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	for (unsigned i = 0; i < n; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].src_port = (uint16_t)(first + i);
	}
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), n); /* outputs pass everything on */
}

/* Does message m (len bytes) carry a template set? */
static int has_templates(const uint8_t *m, size_t len)
{
	for (size_t at = 16; at + 4 <= len; at += ofd_be16(m + at + 2)) {
		if (ofd_be16(m + at) == 2)
			return 1;
		if (ofd_be16(m + at + 2) < 4)
			break;
	}
	return 0;
}

static void test_udp(void **state)
{
	(void)state;
	uint16_t port;
	int fd = listen_on(SOCK_DGRAM, &port);
	struct ofd_harness *h;
	OPEN_CFG(h, port,
		 "{targets: [\"127.0.0.1:%u\"], template_refresh_packets: 5, observation_domain_id: 9}");
	feed(h, 500, 0);
	feed(h, 100, 500);
	ofd_harness_tick(h, 0); /* the open message too */
	struct ofd_decoder *d = gv_decoder_new(&sink);
	uint8_t m[2048];
	unsigned msgs = 0, tmpl = 0, recs = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			break;
		ssize_t n = recv(fd, m, sizeof(m), 0);
		assert_true(n > 0 && n <= 1400);
		assert_int_equal(ofd_be16(m + 2), n);
		assert_int_equal(ofd_be32(m + 8), recs); /* the sequence number: records before */
		assert_int_equal(ofd_be32(m + 12), 9);
		tmpl += (unsigned)has_templates(m, (size_t)n);
		assert_int_equal(has_templates(m, (size_t)n), msgs % 5 == 0);
		sink.n = 0;
		int k = gv_decode(d, m, (size_t)n, 0x7f000001u, 4739, 1, &sink);
		assert_true(k > 0);
		for (unsigned i = 0; i < (unsigned)k; i++)
			assert_int_equal(sink.got[i].src_port, recs + i);
		recs += (unsigned)k;
		msgs++;
	}
	assert_int_equal(recs, 600);
	assert_int_equal(ofd_harness_counter(h, "records"), 600);
	assert_int_equal(ofd_harness_counter(h, "messages"), msgs);
	assert_int_equal(ofd_harness_counter(h, "template_sends"), tmpl);
	assert_int_equal(tmpl, (msgs + 4) / 5);
	assert_int_equal(ofd_harness_counter(h, "send_errors"), 0);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	ofd_decoder_free(d);
	ofd_harness_free(h);
	close(fd);
}

/* Read what conn holds within 200 ms into buf; decode the IPFIX messages in it; returns the
   records, *first the src_port of the first. */
static unsigned read_stream(int conn, struct ofd_decoder *d, unsigned *first)
{
	static uint8_t buf[1 << 20];
	size_t have = 0;
	for (;;) {
		struct pollfd p = {.fd = conn, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			break;
		ssize_t n = recv(conn, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	unsigned recs = 0;
	for (size_t at = 0; at + 16 <= have;) {
		size_t len = ofd_be16(buf + at + 2);
		assert_int_equal(ofd_be16(buf + at), 10);
		assert_true(at + len <= have);
		sink.n = 0;
		int k = gv_decode(d, buf + at, len, 0x7f000001u, 4739, 1, &sink);
		assert_true(k >= 0);
		if (k && !recs)
			*first = sink.got[0].src_port;
		recs += (unsigned)k;
		at += len;
	}
	return recs;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return -1;
	return accept(lfd, NULL, NULL);
}

static void test_tcp(void **state)
{
	(void)state;
	uint16_t port;
	int lfd = listen_on(SOCK_STREAM, &port);
	struct ofd_harness *h;
	OPEN_CFG(h, port, "{targets: [\"127.0.0.1:%u\"], transport: tcp, reconnect_backoff: 10ms}");
	for (int i = 0; i < 50 && ofd_harness_counter(h, "template_sends") == 0; i++) {
		ofd_harness_tick(h, 0); /* connects */
		(void)poll(NULL, 0, 5);
	}
	assert_int_equal(ofd_harness_counter(h, "template_sends"), 1);
	int c1 = accept_within(lfd, 1000);
	assert_true(c1 >= 0);
	feed(h, 300, 0);
	ofd_harness_tick(h, 0);
	struct ofd_decoder *d = gv_decoder_new(&sink);
	unsigned first = 99;
	assert_int_equal(read_stream(c1, d, &first), 300);
	assert_int_equal(first, 0);
	ofd_decoder_free(d);

	/* the collector goes away: the messages from then on are lost, counted */
	close(c1);
	for (int i = 0; i < 50 && ofd_harness_counter(h, "send_errors") == 0; i++) {
		feed(h, 100, 1000);
		ofd_harness_tick(h, 0);
		(void)poll(NULL, 0, 5);
	}
	assert_true(ofd_harness_counter(h, "send_errors") > 0);
	assert_true(ofd_harness_counter(h, "lost_records") > 0);

	/* it comes back: a new connection, the templates first, then the data decode */
	for (int i = 0; i < 100 && ofd_harness_counter(h, "template_sends") < 2; i++) {
		ofd_harness_tick(h, 0);
		(void)poll(NULL, 0, 5);
	}
	assert_int_equal(ofd_harness_counter(h, "template_sends"), 2);
	assert_true(ofd_harness_counter(h, "reconnects") >= 1);
	int c2 = accept_within(lfd, 1000);
	assert_true(c2 >= 0);
	feed(h, 50, 5000);
	ofd_harness_tick(h, 0);
	d = gv_decoder_new(&sink); /* a new collector session: knows no template yet */
	assert_int_equal(read_stream(c2, d, &first), 50);
	assert_int_equal(first, 5000);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	ofd_decoder_free(d);
	ofd_harness_free(h);
	close(c2);
	close(lfd);
}

static void test_refused(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512];
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_ipfix, "{targets: [\":4739\"]}", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "targets[0]"));
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_ipfix,
					     "{targets: [\"127.0.0.1:4739\"], fields: [nosuch]}", err,
					     sizeof(err)),
			     0);
	assert_non_null(strstr(err, "nosuch"));
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_ipfix, "{targets: [\"127.0.0.1:4739\"], mtu: 100}",
					     err, sizeof(err)),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_tcp),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
