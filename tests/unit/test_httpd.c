/*
 * net/httpd with real servers on 127.0.0.1 (port 0) and a raw HTTP client: a handler sees the
 * method, the path without the query, the peer and the whole body; its answer's status, type
 * and (owned or copied) body arrive; HEAD has no body; unknown paths get 404 (default and
 * configured text), other methods 405 with Allow; bodies over the bound reach the handler as
 * too_large, announced or sent chunked; the connection bound holds further clients in the
 * backlog until a slot frees; a taken address, a bad address, TLS misconfiguration and bad
 * routes are refused with their messages; a dual-stack server answers over IPv4; a pool works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#include "net/httpd.h"
#include "ofd/time.h"

#define MAX_BODY 64

struct reply {
	int status;
	char head[1024]; /* the header lines */
	char body[4096];
};

/* A connection to 127.0.0.1:port from src (host order; 0: any). */
static int dial_from(uint32_t src, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	if (src) {
		struct sockaddr_in me = {.sin_family = AF_INET};
		me.sin_addr.s_addr = htonl(src);
		assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	}
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static int dial(uint16_t port)
{
	return dial_from(0, port);
}

/* Read the whole answer (the server closes: HTTP/1.0 or Connection: close) into r. */
static void receive(int fd, struct reply *r)
{
	static char buf[8192];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	r->status = 0;
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
	const char *end = strstr(buf, "\r\n\r\n");
	assert_non_null(end);
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(end - buf), buf);
	snprintf(r->body, sizeof(r->body), "%s", end + 4);
}

/* One request with raw extra header lines (each ending in \r\n) and a body. */
static int request(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
		   struct reply *r)
{
	int fd = dial(port);
	char req[2048];
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n%s",
			 method, path, headers, body);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	(void)send(fd, req, (size_t)n, MSG_NOSIGNAL); /* may fail once the server answered */
	receive(fd, r);
	return r->status;
}

static int post(uint16_t port, const char *path, const char *body, struct reply *r)
{
	char h[64];
	snprintf(h, sizeof(h), "Content-Length: %zu\r\n", strlen(body));
	return request(port, "POST", path, h, body, r);
}

/* The value of header `name` in r, or "" (names are compared without case). */
static const char *header(const struct reply *r, const char *name)
{
	static char v[256];
	size_t nl = strlen(name);
	v[0] = 0;
	for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
			sscanf(p + 2 + nl + 1, " %255[^\r]", v);
			break;
		}
	return v;
}

/* ---- handlers ---- */

static int calls;

/* Everything it saw, as an owned text. */
static void echo(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	char peer[OFD_IP_STRLEN];
	char *text = malloc(512);
	(void)ctx;
	calls++;
	ofd_ip_str(&rq->peer, peer);
	int n = snprintf(text, 512, "%s %s len=%zu too_large=%d peer=%s body=[%s]\n", rq->method, rq->path,
			 rq->len, rq->too_large, peer, rq->body);
	*rs = (struct ofd_httpd_resp){
	    .status = rq->too_large ? 413 : 200, .body = text, .len = (size_t)n, .owned = 1};
}

static void fixed(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	char stack[32];
	(void)rq;
	snprintf(stack, sizeof(stack), "{\"n\":%d}", *(int *)ctx); /* copied before it goes */
	ofd_httpd_text(rs, 202, stack);
	rs->type = "application/json";
}

static void silent(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)ctx, (void)rq, (void)rs; /* leaves the default answer */
}

static int fixed_n = 7;

/* Defers its answer: the test answers it (or, with ctx, answers at once from the handler). */
static struct ofd_httpd_defer *pending;
static void later(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct ofd_httpd_defer *d = ofd_httpd_defer(rq);
	ofd_httpd_text(rs, 500, "ignored\n");
	assert_non_null(d);
	if (ctx) { /* answered before the handler returns */
		struct ofd_httpd_resp now;
		ofd_httpd_text(&now, 201, "at once\n");
		ofd_httpd_answer(d, &now);
		return;
	}
	__atomic_store_n(&pending, d, __ATOMIC_RELEASE);
}

static const struct ofd_httpd_route routes[] = {
    {.path = "/echo", .methods = "GET, HEAD, POST", .max_body = MAX_BODY, .handle = echo},
    {.path = "/get", .methods = "GET", .handle = echo},
    {.path = "/fixed", .methods = "PUT", .max_body = 8, .handle = fixed, .ctx = &fixed_n},
    {.path = "/silent", .methods = "GET", .handle = silent},
    {.path = "/later", .methods = "POST", .max_body = 16, .handle = later},
    {.path = "/now", .methods = "GET", .handle = later, .ctx = &fixed_n},
    {.path = "/later-get", .methods = "GET", .handle = later},
};

static unsigned g_per_address, g_header_s, g_request_s; /* the next start's; 0: defaults */

static struct ofd_httpd *start(const char *addr, unsigned connections, unsigned threads)
{
	struct ofd_httpd_cfg cfg = {.name = "t",
				    .addr = addr,
				    .routes = routes,
				    .nroutes = sizeof(routes) / sizeof(routes[0]),
				    .connections = connections,
				    .timeout_s = 10,
				    .threads = threads,
				    .per_address = g_per_address,
				    .header_s = g_header_s,
				    .request_s = g_request_s};
	struct ofd_httpd *h;
	char err[256];
	if (ofd_httpd_start(&h, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	return h;
}

static void test_requests(void **state)
{
	(void)state;
	struct ofd_httpd *h = start("127.0.0.1:0", 8, 0);
	uint16_t port = ofd_httpd_port(h);
	struct reply r;
	char addr[64];
	assert_true(port != 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)port);
	assert_string_equal(ofd_httpd_addr(h), addr);

	assert_int_equal(request(port, "GET", "/echo?x=1&y=2", "", "", &r), 200);
	assert_string_equal(r.body, "GET /echo len=0 too_large=0 peer=127.0.0.1 body=[]\n");
	assert_string_equal(header(&r, "Content-Type"), "text/plain; charset=utf-8");
	assert_int_equal(post(port, "/echo", "hello, world", &r), 200);
	assert_string_equal(r.body, "POST /echo len=12 too_large=0 peer=127.0.0.1 body=[hello, world]\n");
	/* exactly the bound, then one byte over (announced: refused unread) */
	char body[MAX_BODY + 2];
	memset(body, 'b', sizeof(body) - 1);
	body[MAX_BODY] = 0;
	assert_int_equal(post(port, "/echo", body, &r), 200);
	assert_non_null(strstr(r.body, "len=64 too_large=0"));
	body[MAX_BODY] = 'b', body[MAX_BODY + 1] = 0;
	assert_int_equal(post(port, "/echo", body, &r), 413);
	assert_string_equal(r.body, "POST /echo len=0 too_large=1 peer=127.0.0.1 body=[]\n");
	/* sent in chunks, no length announced: read, dropped, too_large */
	assert_int_equal(request(port, "POST", "/echo", "Transfer-Encoding: chunked\r\n",
				 "20\r\n01234567890123456789012345678901\r\n"
				 "20\r\n01234567890123456789012345678901\r\n"
				 "1\r\nx\r\n0\r\n\r\n",
				 &r),
			 413);
	assert_non_null(strstr(r.body, "len=0 too_large=1"));
	assert_int_equal(request(port, "POST", "/echo", "Transfer-Encoding: chunked\r\n",
				 "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", &r),
			 200);
	assert_non_null(strstr(r.body, "len=5 too_large=0 peer=127.0.0.1 body=[abcde]"));
	/* HEAD: the handler runs, no body comes back */
	int before = calls;
	assert_int_equal(request(port, "HEAD", "/echo", "", "", &r), 200);
	assert_string_equal(r.body, "");
	assert_int_equal(calls, before + 1);
	/* a route without a body: handled on the headers */
	assert_int_equal(request(port, "GET", "/get", "", "", &r), 200);
	assert_string_equal(r.body, "GET /get len=0 too_large=0 peer=127.0.0.1 body=[]\n");
	/* a copied text with its own type */
	assert_int_equal(request(port, "PUT", "/fixed", "Content-Length: 2\r\n", "{}", &r), 202);
	assert_string_equal(r.body, "{\"n\":7}");
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	/* a handler that answers nothing: 500 */
	assert_int_equal(request(port, "GET", "/silent", "", "", &r), 500);
	assert_string_equal(r.body, "internal error\n");

	/* routing: 404 and 405 never reach a handler */
	before = calls;
	static const char *const paths[] = {"/", "/echo/", "/ech", "/echox", "/Echo", "/get/x", NULL};
	for (int i = 0; paths[i]; i++) {
		assert_int_equal(request(port, "GET", paths[i], "", "", &r), 404);
		assert_string_equal(r.body, "not found\n");
	}
	assert_int_equal(post(port, "/nowhere", "x", &r), 404);
	assert_int_equal(request(port, "DELETE", "/echo", "", "", &r), 405);
	assert_string_equal(r.body, "method not allowed\n");
	assert_string_equal(header(&r, "Allow"), "GET, HEAD, POST");
	assert_int_equal(post(port, "/get", "x", &r), 405);
	assert_string_equal(header(&r, "Allow"), "GET");
	assert_int_equal(request(port, "HEAD", "/get", "", "", &r), 405); /* not listed: not served */
	assert_int_equal(request(port, "GET", "/fixed", "", "", &r), 405);
	assert_string_equal(header(&r, "Allow"), "PUT");
	assert_int_equal(request(port, "get", "/get", "", "", &r), 405); /* methods are case-sensitive */
	assert_int_equal(calls, before);
	ofd_httpd_stop(h);
	ofd_httpd_stop(NULL);
}

/* Idle connections beyond the bound wait in the backlog; a request behind them is answered
   once they go. */
static void test_connection_limit(void **state)
{
	(void)state;
	enum { LIMIT = 3 };
	struct ofd_httpd *h = start("127.0.0.1:0", LIMIT, 0);
	uint16_t port = ofd_httpd_port(h);
	int idle[LIMIT + 2];
	for (int i = 0; i < LIMIT + 2; i++)
		idle[i] = dial(port);
	uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
	while (ofd_httpd_connections(h) < LIMIT && ofd_time_mono_ns() < until)
		sched_yield();
	assert_int_equal(ofd_httpd_connections(h), LIMIT);
	int fd = dial(port);
	static const char req[] = "GET /get HTTP/1.0\r\n\r\n";
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 300), 0); /* not accepted, not answered */
	assert_int_equal(ofd_httpd_connections(h), LIMIT);
	for (int i = 0; i < LIMIT + 2; i++)
		close(idle[i]);
	assert_int_equal(poll(&p, 1, 5000), 1);
	struct reply r;
	receive(fd, &r);
	assert_int_equal(r.status, 200);
	ofd_httpd_stop(h);
}

static void test_refused(void **state)
{
	(void)state;
	struct ofd_httpd *h = start("127.0.0.1:0", 0, 0), *h2 = (struct ofd_httpd *)&h;
	char addr[64], want[256], err[256];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)ofd_httpd_port(h));
	struct ofd_httpd_cfg cfg = {.name = "t", .addr = addr, .routes = routes, .nroutes = 1};
	/* the same address again: refused with the reason */
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), -EADDRINUSE);
	assert_null(h2);
	snprintf(want, sizeof(want), "t: cannot listen on %s: Address already in use", addr);
	assert_string_equal(err, want);
	ofd_httpd_stop(h);
	/* free again once stopped */
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), 0);
	ofd_httpd_stop(h2);

	cfg.addr = "localhost:80";
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "t: address \"localhost:80\": expected ADDR:PORT, [IPV6]:PORT or :PORT");
	cfg.addr = "127.0.0.1:0";
	cfg.nroutes = 0;
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "t: 0 routes (1 to 12)");
	cfg.nroutes = 1;
	cfg.tls_cert = "/nonexistent/cert.pem";
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "t: HTTPS needs both a certificate and a key");
	cfg.tls_key = "/nonexistent/key.pem";
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err,
			    "t: /nonexistent/cert.pem: cannot read a PEM file: No such file or directory");
	cfg.tls_cert = "/dev/null";
	assert_int_equal(ofd_httpd_start(&h2, &cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "t: /dev/null: cannot read a PEM file: empty");
	assert_null(h2);
}

/* "[::]" listens on both families (IPv4 alone without IPv6); a pool of threads answers. */
static void test_dual_and_pool(void **state)
{
	(void)state;
	struct ofd_httpd *h = start("[::]:0", 0, 4);
	uint16_t port = ofd_httpd_port(h);
	char addr[64];
	snprintf(addr, sizeof(addr), "[::]:%u", (unsigned)port);
	if (strcmp(ofd_httpd_addr(h), addr) != 0) /* no IPv6 here */
		snprintf(addr, sizeof(addr), "0.0.0.0:%u", (unsigned)port);
	assert_string_equal(ofd_httpd_addr(h), addr);
	struct reply r;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(post(port, "/echo", "x", &r), 200);
		assert_string_equal(r.body, "POST /echo len=1 too_large=0 peer=127.0.0.1 body=[x]\n");
	}
	ofd_httpd_stop(h);
}

/* ofd_httpd_text copies into the response, cut at OFD_HTTPD_TEXT_MAX - 1 bytes. */
static void test_text(void **state)
{
	(void)state;
	struct ofd_httpd_resp rs;
	char long_text[400];
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = 0;
	ofd_httpd_text(&rs, 400, long_text);
	assert_int_equal(rs.status, 400);
	assert_int_equal(rs.len, OFD_HTTPD_TEXT_MAX - 1);
	assert_ptr_equal(rs.body, rs.text);
	assert_int_equal(strlen(rs.text), OFD_HTTPD_TEXT_MAX - 1);
	assert_string_equal(rs.type, "text/plain; charset=utf-8");
	assert_int_equal(rs.owned, 0);
	ofd_httpd_text(&rs, 200, "ok\n");
	assert_int_equal(rs.len, 3);
	assert_string_equal(rs.body, "ok\n");
}

/* Wait (bounded: 5 s) until the server holds n connections. */
static void held(struct ofd_httpd *h, uint64_t n)
{
	struct ofd_httpd_stats st;
	uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
	do {
		ofd_httpd_stats(h, &st);
	} while ((st.held != n || ofd_httpd_connections(h) != n) && ofd_time_mono_ns() < until &&
		 !sched_yield());
	assert_int_equal(st.held, n);
	assert_int_equal(ofd_httpd_connections(h), n);
}

/* 1 if the server closed fd (end of stream or reset) within ms. */
static int closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;
	if (poll(&p, 1, ms) != 1)
		return 0;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Slowloris: 512 idle connections from 127.0.0.1 against a server of 512 (32 per
   address) hold 32, the other 480 are closed at once; clients at other
   addresses are answered meanwhile. */
static void test_slowloris(void **state)
{
	(void)state;
	enum { SLOW = 512, PER = 32 };
	raise_nofile();
	g_per_address = PER;
	struct ofd_httpd *h = start("127.0.0.1:0", 512, 2);
	g_per_address = 0;
	uint16_t port = ofd_httpd_port(h);
	static int slow[SLOW];
	for (int i = 0; i < SLOW; i++)
		slow[i] = dial(port);
	struct ofd_httpd_stats st;
	uint64_t until = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	do {
		ofd_httpd_stats(h, &st);
	} while (st.refused_per_address < SLOW - PER && ofd_time_mono_ns() < until && !sched_yield());
	held(h, PER);
	ofd_httpd_stats(h, &st);
	assert_int_equal(st.refused_per_address, SLOW - PER);
	assert_int_equal(st.refused_reserved, 0);
	unsigned refused = 0;
	for (int i = 0; i < SLOW; i++)
		refused += closed_within(slow[i], 0);
	assert_int_equal(refused, SLOW - PER);
	for (uint32_t src = 0x7f000002; src < 0x7f000002 + 20; src++) {
		int fd = dial_from(src, port);
		static const char req[] = "GET /get HTTP/1.0\r\n\r\n";
		assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
		struct reply r;
		receive(fd, &r);
		assert_int_equal(r.status, 200);
	}
	for (int i = 0; i < SLOW; i++)
		close(slow[i]);
	held(h, 0);
	ofd_httpd_stop(h);
}

/* The reserve: once three quarters are held, only addresses holding none get in. */
static void test_reserve(void **state)
{
	(void)state;
	g_per_address = 4;
	struct ofd_httpd *h = start("127.0.0.1:0", 16, 0);
	g_per_address = 0;
	uint16_t port = ofd_httpd_port(h);
	int fds[64], n = 0;
	/* 127.0.0.2-4: 4 each (12 held, the reserve starts), 127.0.0.5: 1 in, 1 refused (reserved) */
	for (uint32_t a = 2; a <= 4; a++)
		for (int i = 0; i < 5; i++) /* the fifth: refused per address */
			fds[n++] = dial_from(0x7f000000 + a, port);
	held(h, 12);
	fds[n++] = dial_from(0x7f000005, port);
	held(h, 13);
	fds[n++] = dial_from(0x7f000005, port);
	struct ofd_httpd_stats st;
	uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
	do {
		ofd_httpd_stats(h, &st);
	} while (st.refused_reserved == 0 && ofd_time_mono_ns() < until && !sched_yield());
	assert_int_equal(st.refused_per_address, 3);
	assert_int_equal(st.refused_reserved, 1);
	assert_true(closed_within(fds[n - 1], 5000));
	/* a new address is still answered */
	struct reply r;
	int fd = dial_from(0x7f000006, port);
	static const char req[] = "GET /get HTTP/1.0\r\n\r\n";
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	receive(fd, &r);
	assert_int_equal(r.status, 200);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	ofd_httpd_stop(h);
}

/* Absolute deadlines: headers trickled a byte every 100 ms are cut at header_s (1 s), a body
   trickled the same way at request_s (2 s), although the idle timeout (10 s) never expires. */
static void test_deadlines(void **state)
{
	(void)state;
	g_header_s = 1, g_request_s = 2;
	struct ofd_httpd *h = start("127.0.0.1:0", 8, 0);
	g_header_s = g_request_s = 0;
	uint16_t port = ofd_httpd_port(h);
	static const char head[] =
	    "GET /get HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char post[] = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 60\r\n\r\n";
	int a = dial(port), b = dial(port);
	assert_int_equal(send(b, post, sizeof(post) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(post) - 1);
	uint64_t t0 = ofd_time_mono_ns(), a_closed = 0, b_closed = 0;
	for (size_t i = 0; (!a_closed || !b_closed) && ofd_time_mono_ns() - t0 < 6 * OFD_NS_PER_S; i++) {
		if (!a_closed && send(a, head + i % (sizeof(head) - 1), 1, MSG_NOSIGNAL) != 1)
			a_closed = ofd_time_mono_ns() - t0;
		if (!b_closed && send(b, "x", 1, MSG_NOSIGNAL) != 1)
			b_closed = ofd_time_mono_ns() - t0;
		if (!a_closed && closed_within(a, 50))
			a_closed = ofd_time_mono_ns() - t0;
		if (!b_closed && closed_within(b, 50))
			b_closed = ofd_time_mono_ns() - t0;
	}
	assert_true(a_closed >= 1 * OFD_NS_PER_S && a_closed < 2 * OFD_NS_PER_S);
	assert_true(b_closed >= 2 * OFD_NS_PER_S && b_closed < 3 * OFD_NS_PER_S);
	struct ofd_httpd_stats st;
	ofd_httpd_stats(h, &st);
	assert_int_equal(st.deadline_headers, 1);
	assert_int_equal(st.deadline_request, 1);
	close(a);
	close(b);
	ofd_httpd_stop(h);
}

/* Deferred answers: the request waits without an answer until the test answers it from its
   own thread; an answer given inside the handler goes out at once; a server stopped with an
   answer due answers 503 itself, and the late answer frees what it must. */
static void test_defer(void **state)
{
	(void)state;
	struct ofd_httpd *h = start("127.0.0.1:0", 8, 2);
	uint16_t port = ofd_httpd_port(h);
	struct reply r;
	assert_int_equal(request(port, "GET", "/now", "", "", &r), 201);
	assert_string_equal(r.body, "at once\n");
	for (int i = 0; i < 3; i++) {
		int fd = dial(port);
		static const char req[] = "POST /later HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi";
		static const char get[] = "GET /later-get HTTP/1.0\r\n\r\n";
		const char *q = i == 1 ? get : req;
		assert_int_equal(send(fd, q, strlen(q), MSG_NOSIGNAL), (ssize_t)strlen(q));
		struct ofd_httpd_defer *d;
		uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
		while (!(d = __atomic_exchange_n(&pending, NULL, __ATOMIC_ACQ_REL)) &&
		       ofd_time_mono_ns() < until)
			sched_yield();
		assert_non_null(d);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 200), 0); /* no answer yet */
		struct ofd_httpd_stats st;
		ofd_httpd_stats(h, &st);
		assert_int_equal(st.deferred, 1);
		char *body = strdup("later\n");
		struct ofd_httpd_resp rs = {.status = 202, .body = body, .len = 6, .owned = 1};
		if (i == 2) {
			rs.owned = 0, rs.body = "busy\n", rs.len = 5, rs.status = 503, rs.retry_after_s = 7;
			free(body);
		}
		ofd_httpd_answer(d, &rs);
		receive(fd, &r);
		assert_int_equal(r.status, i == 2 ? 503 : 202);
		assert_string_equal(r.body, i == 2 ? "busy\n" : "later\n");
		if (i == 2)
			assert_string_equal(header(&r, "Retry-After"), "7");
	}
	/* stopped with an answer due: 503 "shutting down" after the wait, then a late answer */
	int fd = dial(port);
	static const char req[] = "POST /later HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	struct ofd_httpd_defer *d;
	uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
	while (!(d = __atomic_exchange_n(&pending, NULL, __ATOMIC_ACQ_REL)) && ofd_time_mono_ns() < until)
		sched_yield();
	assert_non_null(d);
	ofd_httpd_stop(h);
	struct ofd_httpd_resp rs = {.status = 202, .body = strdup("late\n"), .len = 5, .owned = 1};
	ofd_httpd_answer(d, &rs);
	close(fd);
}

/* Which client a trusted proxy names. */
static void test_forwarded(void **state)
{
	(void)state;
	struct ofd_prefix tp[2];
	assert_int_equal(ofd_prefix_parse(&tp[0], "10.0.0.0/8"), 0);
	assert_int_equal(ofd_prefix_parse(&tp[1], "2001:db8:ffff::/48"), 0);
	static const struct {
		enum ofd_httpd_fwd kind;
		const char *value;
		const char *client; /* NULL: none */
	} cases[] = {
	    {OFD_HTTPD_FWD_XFF, "192.0.2.1", "192.0.2.1"},
	    {OFD_HTTPD_FWD_XFF, "203.0.113.5, 192.0.2.1", "192.0.2.1"},
	    {OFD_HTTPD_FWD_XFF, "203.0.113.5, 192.0.2.1, 10.1.1.1,10.2.2.2", "192.0.2.1"},
	    {OFD_HTTPD_FWD_XFF, "10.1.1.1, 10.2.2.2", "10.1.1.1"},
	    {OFD_HTTPD_FWD_XFF, "  2001:db8::5 ,\t[2001:db8:ffff::1]:443", "2001:db8::5"},
	    {OFD_HTTPD_FWD_XFF, "192.0.2.9:8080", "192.0.2.9"},
	    {OFD_HTTPD_FWD_XFF, "unknown, 10.0.0.1", "10.0.0.1"},
	    {OFD_HTTPD_FWD_XFF, "192.0.2.1, unknown", NULL},
	    {OFD_HTTPD_FWD_XFF, "", NULL},
	    {OFD_HTTPD_FWD_XFF, "192.0.2.1/24", NULL},
	    {OFD_HTTPD_FWD_FORWARDED, "for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"},
	    {OFD_HTTPD_FWD_FORWARDED, "for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\"",
	     "2001:db8:cafe::17"},
	    {OFD_HTTPD_FWD_FORWARDED, "For=\"198.51.100.17:80\";by=10.0.0.1, for=10.9.9.9", "198.51.100.17"},
	    {OFD_HTTPD_FWD_FORWARDED, "for=_hidden, for=10.1.1.1", "10.1.1.1"},
	    {OFD_HTTPD_FWD_FORWARDED, "proto=https;by=10.0.0.1", NULL},
	    {OFD_HTTPD_FWD_FORWARDED, "for=unknown", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ofd_ip ip;
		char s[OFD_IP_STRLEN];
		int found = ofd_httpd_forwarded_client(cases[i].value, cases[i].kind, tp, 2, &ip);
		if (!cases[i].client) {
			if (found)
				fail_msg("case %zu: %s: found a client", i, cases[i].value);
			continue;
		}
		if (!found)
			fail_msg("case %zu: %s: no client", i, cases[i].value);
		ofd_ip_str(&ip, s);
		assert_string_equal(s, cases[i].client);
	}
	struct ofd_ip ip;
	assert_int_equal(ofd_httpd_forwarded_client("192.0.2.1, 10.0.0.1", OFD_HTTPD_FWD_XFF, NULL, 0, &ip),
			 1);
	char s[OFD_IP_STRLEN];
	ofd_ip_str(&ip, s);
	assert_string_equal(s, "10.0.0.1"); /* no trusted list: the rightmost */
}

/* A TCP connection from src (any address of the namespace's local 2001:db8::/48) to [::1]:port. */
static int dial6_from(const char *src, uint16_t port)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in6 me = {.sin6_family = AF_INET6},
			    a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	a.sin6_addr = in6addr_loopback;
	assert_int_equal(inet_pton(AF_INET6, src, &me.sin6_addr), 1);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Slowloris from many IPv6 addresses, in a private network namespace whose loopback takes all
   of 2001:db8::/48 (skipped where one cannot be made): 16 /64s of 32 addresses each, one
   connection per address. A /64 counts as one address: the first 12 /64s fill the server to
   its reserve (384 of 512), the other 4 get one connection each, and more from the first /64
   are refused; a client in another /64 is answered. This test moves the process into the
   namespace: it runs last. */
/* Routes added while serving (ofd_httpd_route_add, for obs/httpep.h's shared endpoints). */
static void test_routes_added(void **state)
{
	(void)state;
	struct ofd_httpd *h = start("127.0.0.1:0", 8, 0);
	uint16_t port = ofd_httpd_port(h);
	struct reply r;
	char err[256] = "";
	assert_int_equal(request(port, "GET", "/dyn", "", "", &r), 404);
	const struct ofd_httpd_route dyn = {
	    .path = "/dyn", .methods = "GET", .handle = fixed, .ctx = &fixed_n};
	assert_int_equal(ofd_httpd_route_add(h, &dyn, err, sizeof(err)), 0);
	assert_true(ofd_httpd_route_has(h, "/dyn"));
	assert_true(ofd_httpd_route_has(h, "/get"));
	assert_false(ofd_httpd_route_has(h, "/none"));
	assert_int_equal(request(port, "GET", "/dyn", "", "", &r), 202);
	assert_string_equal(r.body, "{\"n\":7}");
	assert_int_equal(request(port, "POST", "/dyn", "", "", &r), 405);
	assert_non_null(strstr(r.head, "Allow: GET"));
	/* a path served already, static or added, and a route with a body are refused */
	assert_int_equal(ofd_httpd_route_add(h, &dyn, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "t: /dyn is served already on 127.0.0.1:"));
	const struct ofd_httpd_route get = {
	    .path = "/get", .methods = "GET", .handle = fixed, .ctx = &fixed_n};
	assert_int_equal(ofd_httpd_route_add(h, &get, err, sizeof(err)), OFD_ECONFIG);
	const struct ofd_httpd_route body = {.path = "/b", .methods = "POST", .max_body = 8, .handle = echo};
	assert_int_equal(ofd_httpd_route_add(h, &body, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "takes no body"));
	/* at most OFD_HTTPD_ROUTES_MAX added */
	static char paths[OFD_HTTPD_ROUTES_MAX][16];
	for (int i = 1; i < OFD_HTTPD_ROUTES_MAX; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/d%d", i);
		const struct ofd_httpd_route d = {
		    .path = paths[i], .methods = "GET", .handle = fixed, .ctx = &fixed_n};
		assert_int_equal(ofd_httpd_route_add(h, &d, err, sizeof(err)), 0);
	}
	const struct ofd_httpd_route more = {
	    .path = "/more", .methods = "GET", .handle = fixed, .ctx = &fixed_n};
	assert_int_equal(ofd_httpd_route_add(h, &more, err, sizeof(err)), OFD_ELIMIT);
	assert_int_equal(request(port, "GET", "/d3", "", "", &r), 202);
	/* removed: 404 again, and room for another */
	ofd_httpd_route_del(h, "/dyn");
	assert_int_equal(request(port, "GET", "/dyn", "", "", &r), 404);
	assert_int_equal(request(port, "GET", "/d3", "", "", &r), 202);
	assert_int_equal(ofd_httpd_route_add(h, &more, err, sizeof(err)), 0);
	assert_int_equal(request(port, "GET", "/more", "", "", &r), 202);
	ofd_httpd_route_del(h, "/nothing");				 /* nothing */
	assert_int_equal(request(port, "GET", "/get", "", "", &r), 200); /* the static ones as before */
	ofd_httpd_stop(h);
}

static void test_slowloris_v6(void **state)
{
	(void)state;
	enum { NETS = 16, PER = 32 };
	if (unshare(CLONE_NEWNET) != 0 ||
	    system("ip link set lo up && ip -6 route add local 2001:db8::/48 dev lo 2>/dev/null") != 0)
		skip();
	raise_nofile();
	g_per_address = PER;
	struct ofd_httpd *h = start("[::1]:0", 512, 0);
	g_per_address = 0;
	uint16_t port = ofd_httpd_port(h);
	static int fds[NETS * PER + 8];
	char a[64];
	int n = 0;
	for (int net = 1; net <= NETS; net++)
		for (int i = 1; i <= PER; i++) {
			snprintf(a, sizeof(a), "2001:db8:0:%x::%x", net, i);
			fds[n++] = dial6_from(a, port);
		}
	for (int i = 0; i < 8; i++) {
		snprintf(a, sizeof(a), "2001:db8:0:1:%x::1", i + 1); /* other addresses, the first /64 */
		fds[n++] = dial6_from(a, port);
	}
	struct ofd_httpd_stats st;
	uint64_t until = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	do {
		ofd_httpd_stats(h, &st);
	} while (st.refused_reserved + st.refused_per_address < 4 * (PER - 1) + 8 &&
		 ofd_time_mono_ns() < until && !sched_yield());
	held(h, 12 * PER + 4);
	assert_int_equal(st.refused_reserved, 4 * (PER - 1));
	assert_int_equal(st.refused_per_address, 8);
	int fd = dial6_from("2001:db8:0:ff::1", port);
	static const char req[] = "GET /get HTTP/1.0\r\n\r\n";
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	struct reply r;
	receive(fd, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "peer=2001:db8:0:ff::1"));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	ofd_httpd_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_routes_added),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_connection_limit),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_dual_and_pool),
	    cmocka_unit_test(test_forwarded),
	    cmocka_unit_test(test_defer),
	    cmocka_unit_test(test_reserve),
	    cmocka_unit_test(test_deadlines),
	    cmocka_unit_test(test_slowloris),
	    cmocka_unit_test(test_slowloris_v6), /* last: it leaves the process in a new namespace */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
