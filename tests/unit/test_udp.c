/*
 * UDP listener: real sockets on 127.0.0.1 and ::1 (port 0), listen-string parsing, the
 * dual-stack all-addresses form, and the kernel's drop counter through SO_RXQ_OVFL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/udp.h"

#define MAXREC 4096

struct rec {
	unsigned n;
	uint64_t bytes;
	struct {
		struct ofd_ip src;
		uint16_t src_port;
		size_t len;
		uint8_t first, last;
		uint64_t time_ns;
	} d[MAXREC];
};

static struct rec R;

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct rec *r = ctx;
	if (r->n < MAXREC) {
		r->d[r->n].src = dg->src;
		r->d[r->n].src_port = dg->src_port;
		r->d[r->n].len = dg->len;
		r->d[r->n].first = dg->len ? dg->data[0] : 0;
		r->d[r->n].last = dg->len ? dg->data[dg->len - 1] : 0;
		r->d[r->n].time_ns = dg->time_ns;
	}
	r->n++;
	r->bytes += dg->len;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A sender socket bound to an ephemeral port of `family`; its port in *port. */
static int sender(int family, uint16_t *port)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		sl = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(struct sockaddr_in);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	sl = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void send_to(int fd, int family, uint16_t port, const void *p, size_t n)
{
	ssize_t rc;
	if (family == AF_INET6) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		a.sin6_addr = in6addr_loopback;
		rc = sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a));
	}
	assert_int_equal(rc, (ssize_t)n);
}

/*
 * Poll until `want` datagrams arrived in total. Loopback sends are queued before sendto()
 * returns, so a poll that times out means nothing more is coming.
 */
static void poll_until(struct ofd_udp *u, unsigned want)
{
	while (R.n < want) {
		int rc = ofd_udp_poll(u, 1000, on_dgram, &R);
		assert_true(rc >= 0);
		if (rc == 0)
			break;
	}
	assert_int_equal(R.n, want);
}

static int have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};
	a.sin6_addr = in6addr_loopback;
	int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void assert_ip(const struct ofd_ip *ip, const char *text)
{
	char buf[OFD_IP_STRLEN];
	ofd_ip_str(ip, buf);
	assert_string_equal(buf, text);
}

static void test_ipv4_loopback(void **state)
{
	(void)state;
	struct ofd_udp *u = NULL;
	memset(&R, 0, sizeof(R));
	assert_int_equal(ofd_udp_open(&u, "netflow://127.0.0.1:0", 0), 0);
	uint16_t port = ofd_udp_port(u, 0);
	assert_true(port != 0);
	assert_int_equal(ofd_udp_port(u, 1), 0);

	/* nothing queued: a short poll times out */
	assert_int_equal(ofd_udp_poll(u, 10, on_dgram, &R), 0);

	uint16_t sport;
	int fd = sender(AF_INET, &sport);
	uint8_t buf[1500];
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < 200; i++) {
		size_t n = 1 + i * 7;
		memset(buf, (int)i, n);
		send_to(fd, AF_INET, port, buf, n);
		if (i % 20 == 19) /* stay within the default receive buffer */
			poll_until(u, i + 1);
	}
	/* the biggest datagram there is on IPv4 */
	static uint8_t big[65507];
	memset(big, 0xee, sizeof(big));
	big[0] = 0x11;
	send_to(fd, AF_INET, port, big, sizeof(big));
	poll_until(u, 201);
	assert_true(ofd_udp_poll(u, 0, on_dgram, &R) == 0);
	for (unsigned i = 0; i < 200; i++) {
		assert_int_equal(R.d[i].src.family, OFD_AF_INET);
		assert_ip(&R.d[i].src, "127.0.0.1");
		assert_int_equal(R.d[i].src_port, sport);
		assert_int_equal(R.d[i].len, 1 + i * 7);
		assert_int_equal(R.d[i].first, (uint8_t)i);
		assert_int_equal(R.d[i].last, (uint8_t)i);
		assert_true(R.d[i].time_ns >= t0 && R.d[i].time_ns <= now_ns());
	}
	assert_int_equal(R.d[200].len, 65507);
	assert_int_equal(R.d[200].first, 0x11);
	assert_int_equal(R.d[200].last, 0xee);
	const struct ofd_udp_stats *st = ofd_udp_stats(u);
	assert_int_equal(st->datagrams, 201);
	assert_int_equal(st->bytes, R.bytes);
	assert_int_equal(st->drops[OFD_DROP_KERNEL], 0);
	assert_int_equal(st->drops[OFD_DROP_SOCKET], 0);
	close(fd);
	ofd_udp_close(u);
}

static void test_ipv6_loopback(void **state)
{
	(void)state;
	if (!have_ipv6()) {
		print_message("no IPv6 loopback: skipped\n");
		skip();
	}
	struct ofd_udp *u = NULL;
	memset(&R, 0, sizeof(R));
	assert_int_equal(ofd_udp_open(&u, "udp://[::1]:0", 0), 0);
	uint16_t port = ofd_udp_port(u, 0), sport;
	int fd = sender(AF_INET6, &sport);
	send_to(fd, AF_INET6, port, "\x00\x0a hello", 8);
	poll_until(u, 1);
	assert_int_equal(R.d[0].src.family, OFD_AF_INET6);
	assert_ip(&R.d[0].src, "::1");
	assert_int_equal(R.d[0].src_port, sport);
	assert_int_equal(R.d[0].len, 8);
	assert_int_equal(R.d[0].first, 0);
	assert_int_equal(R.d[0].last, 'o');
	close(fd);
	ofd_udp_close(u);
}

/* "udp://:0" and "[::]" receive IPv4 (as plain IPv4 sources) and IPv6 */
static void test_all_addresses(void **state)
{
	(void)state;
	const char *forms[] = {"udp://:0", "sflow://[::]:0"};
	for (unsigned k = 0; k < 2; k++) {
		struct ofd_udp *u = NULL;
		memset(&R, 0, sizeof(R));
		assert_int_equal(ofd_udp_open(&u, forms[k], 0), 0);
		uint16_t port = ofd_udp_port(u, 0), s4, s6 = 0;
		int fd4 = sender(AF_INET, &s4);
		send_to(fd4, AF_INET, port, "four", 4);
		poll_until(u, 1);
		assert_int_equal(R.d[0].src.family, OFD_AF_INET);
		assert_ip(&R.d[0].src, "127.0.0.1");
		assert_int_equal(R.d[0].src_port, s4);
		assert_int_equal(R.d[0].len, 4);
		if (have_ipv6()) {
			int fd6 = sender(AF_INET6, &s6);
			send_to(fd6, AF_INET6, port, "six!!!", 6);
			poll_until(u, 2);
			assert_int_equal(R.d[1].src.family, OFD_AF_INET6);
			assert_ip(&R.d[1].src, "::1");
			assert_int_equal(R.d[1].src_port, s6);
			assert_int_equal(R.d[1].len, 6);
			close(fd6);
		}
		close(fd4);
		ofd_udp_close(u);
	}
}

/* Several listeners in one string; datagrams from each arrive in one poll loop. */
static void test_several_sockets(void **state)
{
	(void)state;
	struct ofd_udp *u = NULL;
	memset(&R, 0, sizeof(R));
	assert_int_equal(
	    ofd_udp_open(&u, " netflow://127.0.0.1:0, sflow://127.0.0.1:0 ,udp://127.0.0.1:0", 1 << 20), 0);
	uint16_t p[3] = {ofd_udp_port(u, 0), ofd_udp_port(u, 1), ofd_udp_port(u, 2)};
	assert_true(p[0] && p[1] && p[2] && p[0] != p[1] && p[1] != p[2] && p[0] != p[2]);
	assert_int_equal(ofd_udp_port(u, 3), 0);
	uint16_t sport;
	int fd = sender(AF_INET, &sport);
	uint8_t b[3];
	for (unsigned i = 0; i < 300; i++) {
		b[0] = (uint8_t)(i % 3);
		b[1] = (uint8_t)i;
		b[2] = (uint8_t)(i % 3);
		send_to(fd, AF_INET, p[i % 3], b, 3);
	}
	poll_until(u, 300);
	unsigned per[3] = {0, 0, 0};
	for (unsigned i = 0; i < 300; i++)
		per[R.d[i].first]++;
	assert_int_equal(per[0], 100);
	assert_int_equal(per[1], 100);
	assert_int_equal(per[2], 100);
	close(fd);
	ofd_udp_close(u);
}

static void test_bad_listen_strings(void **state)
{
	(void)state;
	const char *bad[] = {
	    "",
	    "tcp://:2055",
	    "udp://2055",
	    "udp://:",
	    "udp://:65536",
	    "udp://:20x5",
	    "udp://:-1",
	    "udp://:123456",
	    "udp://localhost:2055",
	    "udp://1.2.3:2055",
	    "udp://::1:2055",
	    "udp://[::1:2055",
	    "udp://[::1]2055",
	    "udp://[1.2.3.4]:2055",
	    "udp://[::1]:",
	    "udp://127.0.0.1:0,",
	    "udp://127.0.0.1:0,,udp://127.0.0.1:0",
	    "udp://192.0.2.1:0", /* not ours: bind fails */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_udp *u = NULL;
		int rc = ofd_udp_open(&u, bad[i], 0);
		if (rc == 0)
			print_error("accepted: \"%s\"\n", bad[i]);
		assert_true(rc < 0);
		assert_null(u);
	}
	/* too many listeners */
	char many[1024] = "";
	size_t off = 0;
	for (int i = 0; i < 17; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, "%sudp://127.0.0.1:0", i ? "," : "");
	struct ofd_udp *u = NULL;
	assert_int_equal(ofd_udp_open(&u, many, 0), OFD_ELIMIT);
}

/*
 * A tiny receive buffer overflows; the kernel's counter arrives with the next datagram
 * queued, so one more is sent after draining: then every datagram sent is either received or
 * counted as a kernel drop.
 */
static void test_kernel_drops(void **state)
{
	(void)state;
	struct ofd_udp *u = NULL;
	memset(&R, 0, sizeof(R));
	assert_int_equal(ofd_udp_open(&u, "udp://127.0.0.1:0", 1), 0);
	uint16_t port = ofd_udp_port(u, 0), sport;
	int fd = sender(AF_INET, &sport);
	uint8_t buf[512];
	memset(buf, 0x42, sizeof(buf));
	const unsigned sent = 2000;
	for (unsigned i = 0; i < sent - 1; i++)
		send_to(fd, AF_INET, port, buf, sizeof(buf));
	while (ofd_udp_poll(u, 0, on_dgram, &R) > 0)
		;
	unsigned got = R.n;
	assert_true(got > 0 && got < sent - 1);
	send_to(fd, AF_INET, port, buf, sizeof(buf));
	poll_until(u, got + 1);
	const struct ofd_udp_stats *st = ofd_udp_stats(u);
	assert_int_equal(st->datagrams, got + 1);
	if (st->drops[OFD_DROP_KERNEL] == 0) {
		print_message("kernel reported no drop counter (SO_RXQ_OVFL): assertion skipped\n");
	} else {
		assert_int_equal(st->datagrams + st->drops[OFD_DROP_KERNEL], sent);
	}
	close(fd);
	ofd_udp_close(u);
}

/* Received by worker handles w[0..n) until `want` in all; counts per worker in got[]. */
static void poll_workers(struct ofd_udp **w, unsigned n, unsigned want, unsigned *got)
{
	unsigned total = 0, idle = 0;
	while (total < want && idle < n) {
		idle = 0;
		for (unsigned i = 0; i < n; i++) {
			memset(&R, 0, sizeof(R));
			int rc = ofd_udp_poll(w[i], 100, on_dgram, &R);
			assert_true(rc >= 0);
			got[i] += R.n;
			total += R.n;
			idle += rc == 0;
		}
	}
	assert_int_equal(total, want);
}

/* A kind of datagram for the reuseport program: its first bytes, where its 32-bit sequence
   number sits and how it steps, its length. */
struct seq_kind {
	uint8_t head[8];
	size_t seq_off;
	uint32_t step;
	size_t len;
};

/* Send n datagrams of kind k from fd to two workers; 1 if both got some, 0 if one got all. */
static int spread(struct ofd_udp **w, int fd, uint16_t port, const struct seq_kind *k, unsigned n)
{
	uint8_t d[48] = {0};
	unsigned got[2] = {0, 0};
	memcpy(d, k->head, sizeof(k->head));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t seq = htonl(1000 + i * k->step);
		memcpy(d + k->seq_off, &seq, 4);
		send_to(fd, AF_INET, port, d, k->len);
	}
	poll_workers(w, 2, n, got);
	if (got[0] > n / 10 && got[1] > n / 10)
		return 1;
	assert_true(got[0] == 0 || got[1] == 0);
	return 0;
}

/*
 * Two workers on one port (SO_REUSEPORT): datagrams from one exporter socket are spread over
 * both when they are NetFlow v5 or sFlow v5 (by sequence number), and all go to one worker
 * when they are NetFlow v9 (by address hash, templates in one place) or runts (under 32 bytes).
 */
static void test_workers_spread(void **state)
{
	(void)state;
	static const struct seq_kind v5 = {{0, 5}, 16, 30, 48}; /* flow_sequence steps by records */
	static const struct seq_kind sflow = {{0, 0, 0, 5, 0, 0, 0, 1}, 16, 1, 40}; /* IPv4 agent */
	static const struct seq_kind runt = {{0, 5}, 16, 30, 24};
	static const struct seq_kind v9 = {{0, 9}, 12, 1, 20};
	struct ofd_udp *w[2];
	assert_int_equal(ofd_udp_open_workers(w, 2, "udp://127.0.0.1:0", 1 << 20), 0);
	uint16_t port = ofd_udp_port(w[0], 0), sport;
	assert_true(port != 0);
	assert_int_equal(ofd_udp_port(w[1], 0), port);
	int fd = sender(AF_INET, &sport);
	assert_true(spread(w, fd, port, &v5, 200));
	assert_true(spread(w, fd, port, &sflow, 200));
	assert_false(spread(w, fd, port, &runt, 100));
	assert_false(spread(w, fd, port, &v9, 100));
	close(fd);
	ofd_udp_close(w[0]);
	ofd_udp_close(w[1]);
}

/* Throughput on loopback, reported (not asserted: machines differ). */
static void test_burst_rate(void **state)
{
	(void)state;
	struct ofd_udp *u = NULL;
	memset(&R, 0, sizeof(R));
	assert_int_equal(ofd_udp_open(&u, "udp://127.0.0.1:0", 8 << 20), 0);
	uint16_t port = ofd_udp_port(u, 0), sport;
	int fd = sender(AF_INET, &sport);
	uint8_t buf[100];
	memset(buf, 1, sizeof(buf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	struct mmsghdr m[64];
	struct iovec iov = {buf, sizeof(buf)};
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 64; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	const unsigned rounds = 200; /* 12,800 datagrams fit in 8 MB of buffer (or close to it) */
	for (unsigned i = 0; i < rounds; i++)
		assert_int_equal(sendmmsg(fd, m, 64, 0), 64);
	uint64_t t0 = now_ns();
	while (ofd_udp_poll(u, 0, on_dgram, &R) > 0)
		;
	uint64_t dt = now_ns() - t0;
	const struct ofd_udp_stats *st = ofd_udp_stats(u);
	assert_true(R.n > 0);
	print_message("received %u datagrams (%llu kernel drops) in %.3f ms: %.2f M datagrams/s\n", R.n,
		      (unsigned long long)st->drops[OFD_DROP_KERNEL], (double)dt / 1e6,
		      dt ? (double)R.n * 1e3 / (double)dt : 0.0);
	close(fd);
	ofd_udp_close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_loopback),      cmocka_unit_test(test_ipv6_loopback),
	    cmocka_unit_test(test_all_addresses),      cmocka_unit_test(test_several_sockets),
	    cmocka_unit_test(test_bad_listen_strings), cmocka_unit_test(test_kernel_drops),
	    cmocka_unit_test(test_workers_spread),     cmocka_unit_test(test_burst_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
