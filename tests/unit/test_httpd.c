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
#include <sys/socket.h>
#include <unistd.h>

#include "net/httpd.h"
#include "ofd/time.h"

#define MAX_BODY 64

struct reply {
	int status;
	char head[1024]; /* the header lines */
	char body[4096];
};

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
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

static const struct ofd_httpd_route routes[] = {
    {.path = "/echo", .methods = "GET, HEAD, POST", .max_body = MAX_BODY, .handle = echo},
    {.path = "/get", .methods = "GET", .handle = echo},
    {.path = "/fixed", .methods = "PUT", .max_body = 8, .handle = fixed, .ctx = &fixed_n},
    {.path = "/silent", .methods = "GET", .handle = silent},
};

static struct ofd_httpd *start(const char *addr, unsigned connections, unsigned threads)
{
	struct ofd_httpd_cfg cfg = {.name = "t",
				    .addr = addr,
				    .routes = routes,
				    .nroutes = sizeof(routes) / sizeof(routes[0]),
				    .connections = connections,
				    .timeout_s = 10,
				    .threads = threads};
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
	assert_string_equal(err, "t: 0 routes (1 to 8)");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_connection_limit),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_dual_and_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
