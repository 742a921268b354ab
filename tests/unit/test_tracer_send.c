/*
 * Tracer delivery over real sockets on loopback: UDP to both ends of flows on 127.0.0.x (allowed)
 * with reserved, denied and duplicate ends counted, per-address and global limits, the UDP size
 * bound; HTTP POSTs to a libmicrohttpd server with the exact body and Content-Type, an error
 * status and a server that never answers counted as errors within the timeout; relays (udp:// and
 * http://) receiving every tracer regardless of the flow-end policy, with their own limit; the
 * queue bound; flush counting what is left; sealing to a recipient key, opened by the receiver.
 * No sleeps: flush() waits, then the receivers' sockets and request logs are read.
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
#include <netdb.h>
#include <sodium.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tracer/send.h"

#define SEC UINT64_C(1000000000)
#define T0  (UINT64_C(1700000000) * SEC)

/* ---- UDP receivers ---- */

/* A UDP socket bound to addr:port (port 0: any); its port in *port. -1 if the bind fails. */
static int udp_rx(const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(*port);
		assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
		sl = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(*port);
		assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
		sl = sizeof(*in);
	}
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		close(fd);
		return -1;
	}
	sl = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

#define MAXD 64

struct got {
	unsigned n;
	size_t len[MAXD];
	char d[MAXD][OFD_TRACER_MAX + 1];
};

static struct got G;

/* Everything waiting on fd (the sender has flushed: loopback datagrams are already queued). */
static unsigned drain(int fd, struct got *g)
{
	memset(g, 0, sizeof(*g));
	char buf[65536];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if (g->n < MAXD) {
			memcpy(g->d[g->n], buf, (size_t)n);
			g->d[g->n][n] = 0;
			g->len[g->n] = (size_t)n;
		}
		g->n++;
	}
	return g->n;
}

static int got_has(const struct got *g, const char *s)
{
	for (unsigned i = 0; i < g->n && i < MAXD; i++)
		if (g->len[i] == strlen(s) && memcmp(g->d[i], s, g->len[i]) == 0)
			return 1;
	return 0;
}

/* ---- flows and senders ---- */

static struct ofd_flow flow(const char *src, const char *dst, uint16_t sport)
{
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	if (src)
		assert_int_equal(ofd_ip_parse(&f.src_addr, src), 0);
	if (dst)
		assert_int_equal(ofd_ip_parse(&f.dst_addr, dst), 0);
	f.src_port = sport;
	f.dst_port = 80;
	f.proto = 6;
	f.time_flow_start_ns = T0 - 10 * SEC;
	return f;
}

static void offer(struct ofd_sender *s, const struct ofd_flow *f, const char *t, uint64_t now)
{
	ofd_sender_offer(s, f, t, strlen(t), now);
}

static struct ofd_prefix LOOPBACK[2];

static void cfg_loopback(struct ofd_sender_cfg *c, unsigned methods)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(ofd_prefix_parse(&LOOPBACK[0], "127.0.0.0/8"), 0);
	assert_int_equal(ofd_prefix_parse(&LOOPBACK[1], "::1"), 0);
	c->methods = methods;
	c->allow = LOOPBACK;
	c->nallow = 2;
	c->addr_burst = 100;
	c->connect_timeout_ms = 2000;
	c->total_timeout_ms = 5000;
}

static struct ofd_sender *sender(const struct ofd_sender_cfg *c)
{
	struct ofd_sender *s = NULL;
	char err[256] = "";
	if (ofd_sender_new(&s, c, err, sizeof(err)) != 0)
		fail_msg("ofd_sender_new: %s", err);
	return s;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- tests: UDP ---- */

static void test_udp_both_ends(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = udp_rx("127.0.0.1", &port), b = udp_rx("127.0.0.2", &port);
	assert_true(a >= 0 && b >= 0);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, 0); /* default: UDP */
	struct ofd_prefix deny;
	assert_int_equal(ofd_prefix_parse(&deny, "127.0.0.3/32"), 0);
	c.deny = &deny;
	c.ndeny = 1;
	c.udp_port = port;
	struct ofd_sender *s = sender(&c);

	struct ofd_flow f1 = flow("127.0.0.1", "127.0.0.2", 1001), f2 = flow("127.0.0.2", "127.0.0.1", 1002);
	struct ofd_flow f3 = flow("127.0.0.1", "192.0.2.7", 1003), f4 = flow("127.0.0.3", "127.0.0.2", 1004);
	struct ofd_flow f5 = flow(NULL, "127.0.0.1", 1005), f6 = flow("10.1.2.3", "224.0.0.1", 1006);
	offer(s, &f1, "{\"t\": 1}", T0);
	offer(s, &f2, "{\"t\": 2}", T0);
	offer(s, &f3, "{\"t\": 3}", T0);
	offer(s, &f4, "{\"t\": 4}", T0);
	offer(s, &f5, "{\"t\": 5}", T0);
	offer(s, &f6, "{\"t\": 6}", T0);
	offer(s, &f1, "{\"t\": 1}", T0 + SEC); /* the same flow again: both ends duplicates */
	ofd_sender_flush(s, 10000);

	assert_int_equal(drain(a, &G), 4);
	assert_true(got_has(&G, "{\"t\": 1}") && got_has(&G, "{\"t\": 2}") && got_has(&G, "{\"t\": 3}") &&
		    got_has(&G, "{\"t\": 5}"));
	assert_int_equal(drain(b, &G), 3);
	assert_true(got_has(&G, "{\"t\": 1}") && got_has(&G, "{\"t\": 2}") && got_has(&G, "{\"t\": 4}"));

	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.offered, 7);
	assert_int_equal(st.sent_udp, 7);
	assert_int_equal(st.sent_http + st.sent_https + st.sealed, 0);
	assert_int_equal(st.not_sent[OFD_SD_RESERVED], 3); /* 192.0.2.7, 10.1.2.3, 224.0.0.1 */
	assert_int_equal(st.not_sent[OFD_SD_DENIED], 1);   /* 127.0.0.3 */
	assert_int_equal(st.not_sent[OFD_SD_DUPLICATE], 2);
	assert_int_equal(
	    st.not_sent[OFD_SD_ERROR] + st.not_sent[OFD_SD_QUEUE_FULL] + st.not_sent[OFD_SD_RATE], 0);

	/* after the flush: counted, not sent */
	struct ofd_flow f7 = flow("127.0.0.2", "127.0.0.1", 1007);
	offer(s, &f7, "{\"t\": 7}", T0 + 2 * SEC);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 2);
	assert_int_equal(drain(a, &G), 0);
	ofd_sender_free(s);
	close(a);
	close(b);
}

static void test_udp_limits(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = udp_rx("127.0.0.1", &port), b = udp_rx("127.0.0.2", &port);
	assert_true(a >= 0 && b >= 0);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_UDP);
	c.udp_port = port;
	c.addr_rate = 1;
	c.addr_burst = 2;
	c.dedup_window_s = 300;
	struct ofd_sender *s = sender(&c);
	char t[32];
	for (int i = 0; i < 5; i++) { /* 2 per address, then empty */
		struct ofd_flow f = flow("127.0.0.1", "127.0.0.2", (uint16_t)(2000 + i));
		snprintf(t, sizeof(t), "{\"t\": %d}", i);
		offer(s, &f, t, T0);
	}
	struct ofd_flow f = flow("127.0.0.1", "127.0.0.2", 2000);
	offer(s, &f, "{\"t\": 0}", T0 + 299 * SEC); /* a duplicate */
	offer(s, &f, "{\"t\": 0}", T0 + 301 * SEC); /* the window has passed: sent again */
	ofd_sender_flush(s, 10000);
	assert_int_equal(drain(a, &G), 3);
	assert_int_equal(drain(b, &G), 3);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 6);
	assert_int_equal(st.not_sent[OFD_SD_ADDR_RATE], 6);
	assert_int_equal(st.not_sent[OFD_SD_DUPLICATE], 2);
	ofd_sender_free(s);

	/* the global bucket: 3 at once, then one per second */
	cfg_loopback(&c, OFD_SEND_UDP);
	c.udp_port = port;
	c.global_rate = 1;
	c.global_burst = 3;
	s = sender(&c);
	for (int i = 0; i < 4; i++) {
		f = flow("127.0.0.1", "127.0.0.2", (uint16_t)(3000 + i));
		offer(s, &f, "{\"g\": 1}", T0);
	}
	f = flow("127.0.0.1", "127.0.0.2", 3100);
	offer(s, &f, "{\"g\": 2}", T0 + SEC);
	ofd_sender_flush(s, 10000);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 4);
	assert_int_equal(st.not_sent[OFD_SD_RATE], 6);
	assert_int_equal(drain(a, &G) + drain(b, &G), 4);
	ofd_sender_free(s);

	/* an end refused by the global bucket keeps its address token and is not remembered as
	   sent: offered again once the bucket refilled, it goes out (not a duplicate) */
	cfg_loopback(&c, OFD_SEND_UDP);
	c.udp_port = port;
	c.global_rate = 1;
	c.global_burst = 1;
	c.addr_rate = 1e-3;
	c.addr_burst = 1;
	c.dedup_window_s = 300;
	s = sender(&c);
	f = flow("127.0.0.1", "127.0.0.2", 3500);
	offer(s, &f, "{\"r\": 1}", T0);	      /* .1 sent, .2 refused: no global token */
	offer(s, &f, "{\"r\": 1}", T0 + SEC); /* .1 a duplicate, .2 sent now */
	ofd_sender_flush(s, 10000);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 2);
	assert_int_equal(st.not_sent[OFD_SD_RATE], 1);
	assert_int_equal(st.not_sent[OFD_SD_DUPLICATE], 1);
	assert_int_equal(st.not_sent[OFD_SD_ADDR_RATE], 0);
	assert_int_equal(drain(a, &G), 1);
	assert_int_equal(drain(b, &G), 1);
	ofd_sender_free(s);

	/* UDP size bound */
	cfg_loopback(&c, OFD_SEND_UDP);
	c.udp_port = port;
	s = sender(&c);
	static char big[OFD_TRACER_UDP_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	f = flow("127.0.0.1", NULL, 4000);
	offer(s, &f, big, T0); /* 1200 bytes: too large */
	big[OFD_TRACER_UDP_MAX - 1] = 0;
	f = flow("127.0.0.1", NULL, 4001);
	offer(s, &f, big, T0); /* 1199: fits */
	ofd_sender_flush(s, 10000);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 1);
	assert_int_equal(st.not_sent[OFD_SD_TOO_LARGE], 1);
	assert_int_equal(drain(a, &G), 1);
	assert_int_equal(G.len[0], OFD_TRACER_UDP_MAX - 1);
	ofd_sender_free(s);
	close(a);
	close(b);
}

static void test_udp_v6(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = udp_rx("::1", &port);
	if (a < 0)
		skip(); /* no IPv6 loopback here */
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_UDP);
	c.udp_port = port;
	struct ofd_sender *s = sender(&c);
	struct ofd_flow f = flow("::1", "fe80::1", 5000);
	offer(s, &f, "{\"v6\": 1}", T0);
	ofd_sender_flush(s, 10000);
	assert_int_equal(drain(a, &G), 1);
	assert_true(got_has(&G, "{\"v6\": 1}"));
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 1);
	assert_int_equal(st.not_sent[OFD_SD_RESERVED], 1);
	ofd_sender_free(s);
	close(a);
}

/* ---- an HTTP receiver (libmicrohttpd on 127.0.0.1, port 0) ---- */

#define MAXREQ 32

struct req {
	char url[128], method[16], ctype[64];
	size_t len;
	char body[OFD_TRACER_MAX + 1];
};

struct srv {
	struct MHD_Daemon *d;
	uint16_t port;
	unsigned status;
	pthread_mutex_t mu;
	unsigned n;
	struct req r[MAXREQ + 1]; /* the last one takes any overflow */
};

static struct srv S;

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	n = n < cap - 1 ? n : cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ctx)
{
	struct srv *sv = cls;
	struct req *r = *ctx;
	(void)version;
	if (!r) {
		pthread_mutex_lock(&sv->mu);
		r = &sv->r[sv->n < MAXREQ ? sv->n : MAXREQ];
		sv->n++;
		memset(r, 0, sizeof(*r));
		copy_str(r->url, sizeof(r->url), url);
		copy_str(r->method, sizeof(r->method), method);
		copy_str(r->ctype, sizeof(r->ctype),
			 MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
		pthread_mutex_unlock(&sv->mu);
		*ctx = r;
		return MHD_YES;
	}
	if (*size) {
		pthread_mutex_lock(&sv->mu);
		size_t n = *size < OFD_TRACER_MAX - r->len ? *size : OFD_TRACER_MAX - r->len;
		memcpy(r->body + r->len, data, n);
		r->len += n;
		pthread_mutex_unlock(&sv->mu);
		*size = 0;
		return MHD_YES;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, sv->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void srv_start(struct srv *sv, unsigned status)
{
	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->mu, NULL);
	sv->status = status;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->d =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request,
			     sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	assert_non_null(sv->d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	sv->port = info->port;
	assert_true(sv->port != 0);
}

static void srv_stop(struct srv *sv)
{
	MHD_stop_daemon(sv->d);
	pthread_mutex_destroy(&sv->mu);
}

/* The number of requests to path whose body is exactly body. */
static unsigned srv_count(struct srv *sv, const char *path, const char *body)
{
	unsigned k = 0;
	pthread_mutex_lock(&sv->mu);
	for (unsigned i = 0; i < sv->n && i < MAXREQ; i++) {
		const struct req *r = &sv->r[i];
		if (strcmp(r->url, path) == 0 && strcmp(r->method, "POST") == 0 &&
		    strcmp(r->ctype, "application/json") == 0 && r->len == strlen(body) &&
		    memcmp(r->body, body, r->len) == 0)
			k++;
	}
	pthread_mutex_unlock(&sv->mu);
	return k;
}

/* A TCP socket on 127.0.0.1 that listens (backlog 0) and never accepts: requests never end. */
static int black_hole(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 0), 0);
	socklen_t sl = sizeof(sin);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

#define WK "/.well-known/overflowd"

/* ---- tests: HTTP ---- */

static void test_http(void **state)
{
	(void)state;
	srv_start(&S, 200);
	uint16_t uport = 0;
	int a = udp_rx("127.0.0.1", &uport);
	assert_true(a >= 0);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_UDP | OFD_SEND_HTTP);
	c.udp_port = uport;
	c.http_port = S.port;
	struct ofd_sender *s = sender(&c);
	char t[3][64];
	for (int i = 0; i < 3; i++) {
		struct ofd_flow f = flow("127.0.0.1", "192.0.2.1", (uint16_t)(6000 + i));
		snprintf(t[i], sizeof(t[i]), "{\"flowdata\": {\"n\": %d}, \"x\": \"\\u00e9\"}", i);
		offer(s, &f, t[i], T0);
	}
	ofd_sender_flush(s, 10000);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_http, 3);
	assert_int_equal(st.sent_udp, 3);
	assert_int_equal(st.not_sent[OFD_SD_RESERVED], 3);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 0);
	assert_int_equal(S.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(srv_count(&S, WK, t[i]), 1);
	assert_int_equal(drain(a, &G), 3);
	ofd_sender_free(s);
	srv_stop(&S);
	close(a);
}

static void test_http_error(void **state)
{
	(void)state;
	srv_start(&S, 500);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_HTTP | OFD_SEND_HTTPS);
	c.http_port = S.port;
	c.https_port = S.port; /* TLS to a plain HTTP server: the handshake fails */
	c.total_timeout_ms = 1000;
	struct ofd_sender *s = sender(&c);
	struct ofd_flow f = flow("127.0.0.1", NULL, 6100), g = flow(NULL, "127.0.0.1", 6101);
	offer(s, &f, "{\"e\": 1}", T0);
	offer(s, &g, "{\"e\": 2}", T0);
	ofd_sender_flush(s, 10000);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_http + st.sent_https, 0);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 4);
	assert_int_equal(srv_count(&S, WK, "{\"e\": 1}"), 1); /* the 500 came from the server */
	assert_int_equal(srv_count(&S, WK, "{\"e\": 2}"), 1);
	ofd_sender_free(s);
	srv_stop(&S);
}

static void test_http_timeout(void **state)
{
	(void)state;
	uint16_t port;
	int bh = black_hole(&port);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_HTTP);
	c.http_port = port;
	c.connect_timeout_ms = 300;
	c.total_timeout_ms = 300;
	struct ofd_sender *s = sender(&c);
	struct ofd_flow f = flow("127.0.0.1", NULL, 6200);
	uint64_t t0 = mono_ms();
	offer(s, &f, "{\"bh\": 1}", T0);
	ofd_sender_flush(s, 10000);
	uint64_t dt = mono_ms() - t0;
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 1);
	assert_int_equal(st.sent_http, 0);
	if (dt < 250 || dt > 3000)
		fail_msg("timed out after %llu ms, expected about 300", (unsigned long long)dt);
	ofd_sender_free(s);
	close(bh);
}

/* ---- tests: relays, queue, sealing ---- */

static void test_relays(void **state)
{
	(void)state;
	srv_start(&S, 204);
	uint16_t uport = 0;
	int a = udp_rx("127.0.0.1", &uport);
	assert_true(a >= 0);
	char udp_url[64], http_url[64];
	snprintf(udp_url, sizeof(udp_url), "udp://127.0.0.1:%u", uport);
	snprintf(http_url, sizeof(http_url), "http://127.0.0.1:%u/ingest", S.port);
	const char *relays[] = {udp_url, http_url, NULL};
	struct ofd_sender_cfg c;
	memset(&c, 0, sizeof(c)); /* no allow list: the flow ends would all be refused */
	c.methods = OFD_SEND_UDP | OFD_SEND_HTTP;
	c.relays = relays;
	struct ofd_sender *s = sender(&c);
	struct ofd_flow f1 = flow("10.0.0.1", "192.168.1.1", 7000), f2 = flow("192.0.2.1", "fe80::1", 7001);
	struct ofd_flow f3 = flow(NULL, NULL, 7002);
	offer(s, &f1, "{\"r\": 1}", T0);
	offer(s, &f2, "{\"r\": 2}", T0);
	offer(s, &f3, "{\"r\": 3}", T0);
	offer(s, &f1, "{\"r\": 1}", T0); /* relays get repeats too */
	ofd_sender_flush(s, 10000);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 4);
	assert_int_equal(st.sent_http, 4);
	for (int i = 0; i < OFD_SD__COUNT; i++)
		assert_int_equal(st.not_sent[i], 0);
	assert_int_equal(drain(a, &G), 4);
	assert_true(got_has(&G, "{\"r\": 1}") && got_has(&G, "{\"r\": 2}") && got_has(&G, "{\"r\": 3}"));
	assert_int_equal(srv_count(&S, "/ingest", "{\"r\": 1}"), 2);
	assert_int_equal(srv_count(&S, "/ingest", "{\"r\": 2}"), 1);
	assert_int_equal(srv_count(&S, "/ingest", "{\"r\": 3}"), 1);
	ofd_sender_free(s);

	/* each relay has its own bucket */
	c.relay_rate = 1;
	c.relay_burst = 2;
	s = sender(&c);
	for (int i = 0; i < 3; i++)
		offer(s, &f1, "{\"r\": 4}", T0);
	offer(s, &f1, "{\"r\": 4}", T0 + SEC);
	ofd_sender_flush(s, 10000);
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sent_udp, 3);
	assert_int_equal(st.sent_http, 3);
	assert_int_equal(st.not_sent[OFD_SD_RATE], 2);
	assert_int_equal(drain(a, &G), 3);
	ofd_sender_free(s);

	/* a relay by name, resolved once when the sender starts (localhost: no DNS involved) */
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0 && res->ai_family == AF_INET &&
	    ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
		snprintf(http_url, sizeof(http_url), "http://localhost:%u/named", S.port);
		const char *named[] = {http_url, NULL};
		c.relays = named;
		s = sender(&c);
		offer(s, &f1, "{\"r\": 5}", T0);
		ofd_sender_flush(s, 10000);
		ofd_sender_stats(s, &st);
		assert_int_equal(st.sent_http, 1);
		assert_int_equal(srv_count(&S, "/named", "{\"r\": 5}"), 1);
		ofd_sender_free(s);
	}
	if (res)
		freeaddrinfo(res);

	/* malformed relays are refused at creation */
	static const char *const bad[] = {"ftp://127.0.0.1/", "udp://127.0.0.1", "http://[::1/x",
					  "http://a b/"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[] = {bad[i], NULL};
		c.relays = one;
		char err[256] = "";
		struct ofd_sender *x = NULL;
		assert_int_equal(ofd_sender_new(&x, &c, err, sizeof(err)), OFD_ECONFIG);
		assert_non_null(strstr(err, "relay"));
	}
	srv_stop(&S);
	close(a);
}

static void test_queue_full(void **state)
{
	(void)state;
	uint16_t port;
	int bh = black_hole(&port);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_HTTP);
	c.http_port = port;
	c.queue_max = 16;
	c.max_inflight = 1;
	c.dest_queue = 3;
	c.http_queue = 8;
	struct ofd_sender *s = sender(&c);
	for (int i = 0; i < 10; i++) {
		struct ofd_flow f = flow("127.0.0.1", NULL, (uint16_t)(8000 + i));
		offer(s, &f, "{\"q\": 1}", T0);
	}
	/* one in flight (stalled), three wait for that destination; the rest did not fit */
	uint64_t t0 = mono_ms();
	ofd_sender_flush(s, 200);
	uint64_t dt = mono_ms() - t0;
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.not_sent[OFD_SD_DEST_FULL], 6);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 4); /* left when the flush gave up */
	assert_int_equal(st.not_sent[OFD_SD_QUEUE_FULL], 0);
	assert_int_equal(st.sent_http, 0);
	if (dt < 150 || dt > 3000)
		fail_msg("flush(200) took %llu ms", (unsigned long long)dt);
	ofd_sender_free(s);

	/* the queue: 2 tracers; what the sender thread has not taken yet when more come is full */
	c.queue_max = 2;
	c.dest_queue = 8;
	c.http_queue = 64;
	s = sender(&c);
	for (int i = 0; i < 40; i++) {
		struct ofd_flow f = flow("127.0.0.1", NULL, (uint16_t)(8100 + i));
		offer(s, &f, "{\"q\": 2}", T0);
	}
	ofd_sender_flush(s, 100);
	ofd_sender_stats(s, &st);
	uint64_t full = st.not_sent[OFD_SD_QUEUE_FULL], dest = st.not_sent[OFD_SD_DEST_FULL];
	assert_int_equal(full + dest + st.not_sent[OFD_SD_ERROR], 40);
	if (st.not_sent[OFD_SD_ERROR] > 9 || st.not_sent[OFD_SD_ERROR] < 1)
		fail_msg("left %llu, expected 1 in flight and up to 8 waiting",
			 (unsigned long long)st.not_sent[OFD_SD_ERROR]);
	ofd_sender_free(s);
	close(bh);
}

/* The tracer inside a sealed line {"sealed": "B64", "to": "HEX"}, opened with k. */
static size_t unseal(const struct ofd_key *k, const char *line, size_t len, char *out)
{
	static const char head[] = "{\"sealed\": \"";
	assert_true(len > sizeof(head) && memcmp(line, head, sizeof(head) - 1) == 0);
	const char *b = line + sizeof(head) - 1, *e = memchr(b, '"', len - (size_t)(b - line));
	assert_non_null(e);
	char hex[2 * OFD_KEY_PUB_LEN + 1], want[128];
	ofd_key_public_hex(k, hex);
	snprintf(want, sizeof(want), "\", \"to\": \"%s\"}", hex);
	assert_int_equal(len - (size_t)(e - line), strlen(want));
	assert_memory_equal(e, want, strlen(want));
	static uint8_t ct[OFD_TRACER_MAX + 64];
	size_t clen = 0, mlen = 0;
	assert_int_equal(sodium_base642bin(ct, sizeof(ct), b, (size_t)(e - b), NULL, &clen, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(ofd_key_unseal(k, ct, clen, (uint8_t *)out, &mlen), 0);
	out[mlen] = 0;
	return mlen;
}

static void test_sealing(void **state)
{
	(void)state;
	uint8_t seed[32], seed2[32];
	memset(seed, 7, sizeof(seed));
	memset(seed2, 9, sizeof(seed2));
	struct ofd_key *rk = NULL, *sk = NULL; /* the recipient's key, the signer's key */
	assert_int_equal(ofd_key_from_seed(&rk, seed), 0);
	assert_int_equal(ofd_key_from_seed(&sk, seed2), 0);
	srv_start(&S, 200);
	uint16_t uport = 0;
	int a = udp_rx("127.0.0.1", &uport), b = udp_rx("127.0.0.2", &uport);
	assert_true(a >= 0 && b >= 0);

	struct ofd_sender_recipient rc;
	assert_int_equal(ofd_prefix_parse(&rc.prefix, "127.0.0.1/32"), 0);
	memcpy(rc.key, ofd_key_public(rk), OFD_KEY_PUB_LEN);
	struct ofd_sender_cfg c;
	cfg_loopback(&c, OFD_SEND_UDP | OFD_SEND_HTTP);
	c.udp_port = uport;
	c.http_port = S.port;
	c.recipients = &rc;
	c.nrecipients = 1;
	struct ofd_sender *s = sender(&c);

	/* a real signed tracer: sealed, too large for UDP then, but posted */
	struct ofd_flow f = flow("127.0.0.1", "192.0.2.9", 9000);
	f.packets = 10;
	f.bytes = 1000;
	struct ofd_tracer_meta m = {OFD_TC_INFORMATIONAL, "abuse@example.org", 1700000000.25};
	static char body[OFD_TRACER_MAX], line[OFD_TRACER_MAX], opened[OFD_TRACER_MAX + 1];
	int blen = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_MAX);
	assert_true(blen > 0);
	int llen = ofd_tracer_sign(line, sizeof(line), body, (size_t)blen, sk);
	assert_true(llen > 0);
	assert_true(ofd_tracer_sealed_len((size_t)llen) >= OFD_TRACER_UDP_MAX);
	ofd_sender_offer(s, &f, line, (size_t)llen, T0);
	/* a small one to both: sealed to 127.0.0.1, plain to 127.0.0.2 (where HTTP is refused) */
	struct ofd_flow g = flow("127.0.0.1", "127.0.0.2", 9001);
	offer(s, &g, "{\"small\": 1}", T0);
	ofd_sender_flush(s, 10000);

	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	assert_int_equal(st.sealed, 2); /* once per destination, whatever the methods */
	assert_int_equal(st.sent_http, 2);
	assert_int_equal(st.sent_udp, 2);
	assert_int_equal(st.not_sent[OFD_SD_TOO_LARGE], 1);
	assert_int_equal(st.not_sent[OFD_SD_ERROR], 1); /* HTTP to 127.0.0.2: nobody listens */

	assert_int_equal(drain(a, &G), 1); /* the small one, sealed */
	assert_int_equal(unseal(rk, G.d[0], G.len[0], opened), strlen("{\"small\": 1}"));
	assert_string_equal(opened, "{\"small\": 1}");
	assert_int_equal(drain(b, &G), 1);
	assert_string_equal(G.d[0], "{\"small\": 1}");

	/* the receiver opens and verifies the posted ones */
	assert_int_equal(S.n, 2);
	unsigned verified = 0;
	static uint8_t scratch[OFD_TRACER_MAX];
	for (unsigned i = 0; i < 2; i++) {
		const struct req *r = &S.r[i];
		assert_string_equal(r->url, WK);
		size_t n = unseal(rk, r->body, r->len, opened);
		if (n == (size_t)llen && memcmp(opened, line, n) == 0) {
			struct ofd_tracer_msg msg;
			assert_int_equal(ofd_tracer_verify(r->body, r->len, rk, scratch, &msg), OFD_TV_OK);
			assert_int_equal(msg.sealed, 1);
			assert_memory_equal(msg.key, ofd_key_public(sk), OFD_KEY_PUB_LEN);
			assert_int_equal(msg.body_len, (size_t)blen);
			assert_memory_equal(msg.body, body, (size_t)blen);
			verified++;
		} else {
			assert_string_equal(opened, "{\"small\": 1}");
		}
	}
	assert_int_equal(verified, 1);
	ofd_sender_free(s);
	srv_stop(&S);
	close(a);
	close(b);
	ofd_key_free(rk);
	ofd_key_free(sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_both_ends), cmocka_unit_test(test_udp_limits),
	    cmocka_unit_test(test_udp_v6),	  cmocka_unit_test(test_http),
	    cmocka_unit_test(test_http_error),	  cmocka_unit_test(test_http_timeout),
	    cmocka_unit_test(test_relays),	  cmocka_unit_test(test_queue_full),
	    cmocka_unit_test(test_sealing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
