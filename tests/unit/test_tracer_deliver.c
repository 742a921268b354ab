/*
 * Delivery with recipients that do not answer, over real sockets on loopback addresses
 * (127.0.0.0/8, allowed): UDP deliveries and HTTP deliveries to an answering destination are
 * made while silent HTTP destinations (a listener that never accepts with its backlog full: SYNs
 * dropped; a listener that completes handshakes and never answers: a tarpit) hold their
 * transfers, each holding only its own; hosts that did not answer are remembered and skipped
 * (`unreachable`), their waiting attempts dropped, while a host that answers with an error is
 * tried again; the per-destination and global bounds of waiting attempts are counted.
 * No sleeps: waits are on sockets and conditions, with deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tracer/send.h"

#define SEC UINT64_C(1000000000)
#define T0  (UINT64_C(1700000000) * SEC)

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sockaddr_in sin_of(const char *addr, uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return sin;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	return ntohs(sin.sin_port);
}

/* ---- peers ---- */

static int udp_rx(const char *addr, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = sin_of(addr, *port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*port = port_of(fd);
	return fd;
}

/* Datagrams on fd until n have come or deadline_ms (monotonic) passed; how many came. */
static unsigned udp_wait(int fd, unsigned n, uint64_t deadline_ms)
{
	unsigned got = 0;
	char buf[2048];
	while (got < n) {
		uint64_t now = mono_ms();
		if (now >= deadline_ms)
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(deadline_ms - now)) <= 0)
			break;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			got++;
	}
	return got;
}

/* A TCP listener on addr:port that never accepts: backlog 0 with one connection queued (SYNs are
   dropped: *client holds it), or a tarpit (a large backlog: handshakes complete, nothing answers). */
static int silent(const char *addr, uint16_t port, int full, int *client)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = sin_of(addr, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		fail_msg("bind %s:%u: %s", addr, port, strerror(errno));
	assert_int_equal(listen(fd, full ? 0 : 64), 0);
	*client = -1;
	if (full) {
		*client = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(*client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	return fd;
}

/* An HTTP server (libmicrohttpd) on addr:port answering `status`; counts requests. */
struct srv {
	struct MHD_Daemon *d;
	uint16_t port;
	unsigned status, n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ctx)
{
	struct srv *sv = cls;
	(void)url, (void)method, (void)version, (void)data;
	if (!*ctx) {
		*ctx = sv;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&sv->mu);
	sv->n++;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, sv->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void srv_start(struct srv *sv, const char *addr, uint16_t port, unsigned status)
{
	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are mono_ms() */
	pthread_cond_init(&sv->cv, &ca);
	pthread_condattr_destroy(&ca);
	sv->status = status;
	struct sockaddr_in sin = sin_of(addr, port);
	sv->d =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request,
			     sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	assert_non_null(sv->d);
	sv->port = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

/* Wait until sv has n requests or deadline_ms passed; how many it has. */
static unsigned srv_wait(struct srv *sv, unsigned n, uint64_t deadline_ms)
{
	struct timespec dl = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000};
	pthread_mutex_lock(&sv->mu);
	while (sv->n < n && mono_ms() < deadline_ms)
		if (pthread_cond_timedwait(&sv->cv, &sv->mu, &dl) != 0)
			break;
	unsigned got = sv->n;
	pthread_mutex_unlock(&sv->mu);
	return got;
}

static void srv_stop(struct srv *sv)
{
	MHD_stop_daemon(sv->d);
	pthread_cond_destroy(&sv->cv);
	pthread_mutex_destroy(&sv->mu);
}

/* ---- the sender ---- */

static struct ofd_prefix LOOPBACK;

static struct ofd_sender *sender(struct ofd_sender_cfg *c, uint16_t uport, uint16_t hport)
{
	assert_int_equal(ofd_prefix_parse(&LOOPBACK, "127.0.0.0/8"), 0);
	c->methods = OFD_SEND_UDP | OFD_SEND_HTTP;
	c->allow = &LOOPBACK;
	c->nallow = 1;
	c->addr_burst = 1000;
	c->global_burst = 1000;
	c->udp_port = uport;
	c->http_port = hport;
	struct ofd_sender *s = NULL;
	char err[256] = "";
	if (ofd_sender_new(&s, c, err, sizeof(err)) != 0)
		fail_msg("ofd_sender_new: %s", err);
	return s;
}

static void offer_to(struct ofd_sender *s, const char *addr, unsigned n, uint16_t *sport)
{
	for (unsigned i = 0; i < n; i++) {
		struct ofd_flow f;
		memset(&f, 0, sizeof(f));
		assert_int_equal(ofd_ip_parse(&f.src_addr, addr), 0);
		f.src_port = (*sport)++;
		f.dst_port = 80;
		f.proto = 6;
		f.time_flow_start_ns = T0 - 10 * SEC;
		ofd_sender_offer(s, &f, "{\"t\": 1}", 8, T0);
	}
}

/* Wait until the sender's counter *c (read from fresh stats) reaches n, or deadline_ms. */
static uint64_t stat_wait(struct ofd_sender *s, size_t off, uint64_t n, uint64_t deadline_ms)
{
	struct ofd_sender_stats st;
	for (;;) {
		ofd_sender_stats(s, &st);
		uint64_t v;
		memcpy(&v, (const char *)&st + off, sizeof(v));
		if (v >= n || mono_ms() >= deadline_ms)
			return v;
		struct pollfd none;
		(void)poll(&none, 0, 5); /* the sender thread has no event for this: look again soon */
	}
}

#define NOT_SENT(r) (offsetof(struct ofd_sender_stats, not_sent) + (r) * sizeof(uint64_t))

static void test_silent_do_not_delay(void **state)
{
	(void)state;
	struct srv ok, bad;
	srv_start(&ok, "127.0.0.1", 0, 200);
	uint16_t hport = ok.port, uport = 0;
	srv_start(&bad, "127.0.0.20", hport, 500); /* answers, with an error */
	int u = udp_rx("127.0.0.1", &uport), cl[3], ls[3];
	ls[0] = silent("127.0.0.10", hport, 1, &cl[0]); /* SYNs dropped */
	ls[1] = silent("127.0.0.11", hport, 0, &cl[1]); /* tarpits */
	ls[2] = silent("127.0.0.12", hport, 0, &cl[2]);
	struct ofd_sender_cfg c = {.max_inflight = 4, .dest_queue = 8, .total_timeout_ms = 1500};
	struct ofd_sender *s = sender(&c, uport, hport);

	/* 5 tracers to each silent host first: each holds one transfer (1 s to connect, 1.5 s for
	   an answer); then 9 to the answering host: its UDP and HTTP go at once */
	uint16_t sport = 1000;
	offer_to(s, "127.0.0.10", 5, &sport);
	offer_to(s, "127.0.0.11", 5, &sport);
	offer_to(s, "127.0.0.12", 5, &sport);
	uint64_t t0 = mono_ms();
	offer_to(s, "127.0.0.1", 9, &sport); /* 1 transfer and 8 waiting: its bound */
	assert_int_equal(udp_wait(u, 9, t0 + 800), 9);
	assert_int_equal(srv_wait(&ok, 9, t0 + 800), 9);
	uint64_t dt = mono_ms() - t0;
	if (dt >= 800)
		fail_msg("the answering host's deliveries took %llu ms", (unsigned long long)dt);
	offer_to(s, "127.0.0.20", 1, &sport);
	assert_int_equal(srv_wait(&bad, 1, t0 + 800), 1);

	/* the silent ones fail once each; their 4 waiting attempts are dropped as unreachable */
	assert_int_equal(stat_wait(s, NOT_SENT(OFD_SD_UNREACHABLE), 12, t0 + 5000), 12);
	assert_int_equal(stat_wait(s, NOT_SENT(OFD_SD_ERROR), 4, t0 + 5000), 4); /* 3 + 1 error status */
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.unreachable_hosts, 3);
	/* then they are skipped at once; the host that answered with an error is tried again */
	offer_to(s, "127.0.0.10", 1, &sport);
	offer_to(s, "127.0.0.11", 2, &sport);
	offer_to(s, "127.0.0.20", 1, &sport);
	assert_int_equal(srv_wait(&bad, 2, mono_ms() + 2000), 2);
	ofd_sender_flush(s, 5000);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 15 + 9 + 2 + 3);
	assert_int_equal(st.sent_http, 9);
	assert_int_equal(st.not_sent[OFD_SD_UNREACHABLE], 15);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 5);
	assert_int_equal(st.not_sent[OFD_SD_DEST_FULL] + st.not_sent[OFD_SD_HTTP_FULL], 0);
	assert_int_equal(st.unreachable_hosts, 3);
	assert_int_equal(st.offered, 15 + 9 + 2 + 3);
	ofd_sender_free(s);
	for (int i = 0; i < 3; i++) {
		close(ls[i]);
		if (cl[i] >= 0)
			close(cl[i]);
	}
	close(u);
	srv_stop(&ok);
	srv_stop(&bad);
}

static void test_bounds(void **state)
{
	(void)state;
	uint16_t uport = 0;
	int u = udp_rx("127.0.0.1", &uport), cl[2], ls[2];
	ls[0] = silent("127.0.0.30", 0, 0, &cl[0]);
	uint16_t hport = port_of(ls[0]);
	ls[1] = silent("127.0.0.31", hport, 0, &cl[1]);
	/* 1 transfer at once, 4 attempts in all, 1 waiting per destination besides its transfer */
	struct ofd_sender_cfg c = {.max_inflight = 1, .http_queue = 4, .dest_queue = 1, .queue_max = 64};
	struct ofd_sender *s = sender(&c, uport, hport);
	uint16_t sport = 2000;
	offer_to(s, "127.0.0.30", 3, &sport); /* 2 taken (1 starts), 1 over its bound */
	offer_to(s, "127.0.0.31", 3, &sport); /* 2 taken (they wait), 1 over its bound */
	offer_to(s, "127.0.0.32", 2, &sport); /* no listener at all, but no room left either */
	ofd_sender_flush(s, 200);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 8);
	assert_int_equal(st.not_sent[OFD_SD_DEST_FULL], 2);
	assert_int_equal(st.not_sent[OFD_SD_HTTP_FULL], 2);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 4); /* left at the flush: 1 in flight, 3 waiting */
	assert_int_equal(st.sent_http + st.not_sent[OFD_SD_UNREACHABLE], 0);
	ofd_sender_free(s);

	/* configurations that cannot work are refused */
	struct ofd_sender_cfg bad[] = {
	    {.max_inflight = 4, .dest_inflight = 5},
	    {.max_inflight = 4, .relay_inflight = 5},
	    {.http_queue = 4, .dest_queue = 5},
	    {.unreachable_min_s = 60, .unreachable_max_s = 30},
	    {.http_queue = 65537},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		struct ofd_sender *x = NULL;
		assert_int_equal(ofd_sender_new(&x, &bad[i], err, sizeof(err)), OFD_ECONFIG);
		assert_non_null(strstr(err, "out of range"));
	}
	for (int i = 0; i < 2; i++)
		close(ls[i]);
	close(u);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const want[OFD_SD__COUNT] = {
	    "reserved",	   "denied",	      "duplicate",	 "address_rate",
	    "rate",	   "queue_full",      "too_large",	 "error",
	    "unreachable", "dest_queue_full", "http_queue_full",
	};
	for (int i = 0; i < OFD_SD__COUNT; i++)
		assert_string_equal(ofd_send_drop_name((enum ofd_send_drop)i), want[i]);
	assert_string_equal(ofd_send_drop_name(OFD_SD__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_silent_do_not_delay),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
