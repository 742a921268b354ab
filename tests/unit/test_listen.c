/*
 * The receiver's network side on 127.0.0.1 (port 0): valid tracers over UDP and HTTP reach the
 * accept callback (duplicates answered by it), invalid ones are counted by reason with the right
 * HTTP status, oversized bodies are refused (413), wrong paths and methods get 404 and 405,
 * /metrics is scraped and its counters checked exactly, an address that floods invalid tracers
 * is refused before verification (429, counted as ratelimited), and sealed tracers for our key
 * are accepted. No sleeps: the UDP thread handles datagrams in order, so waiting for the accept
 * call of a final valid "marker" tracer means everything sent before it was handled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/prefix.h"
#include "receiver/listen.h"
#include "tracer/tracer.h"

#define MAXSEEN 256

/* The test's store: bodies seen (for duplicates), accept calls, signalled to the waiter. */
struct sink {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned calls;
	unsigned n;
	char *body[MAXSEEN];
	size_t len[MAXSEEN];
	int sealed[MAXSEEN];
	struct ofd_ip sender;
	int mode;	  /* 0: store at once; OFD_LISTEN_BUSY; OFD_LISTEN_QUEUED: keep the token */
	void *token;	  /* the last queued HTTP tracer's */
	int token_is_udp; /* a tracer was queued without a token */
};

struct fx {
	struct sink s;
	struct ofd_key *signer, *ours, *other;
	struct ofd_listen *l;
	int udp_fd;
	uint16_t udp_port, http_port;
	unsigned marker; /* distinct marker flows */
};

static int sink_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		       const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	struct sink *s = ctx;
	int rc = 1;
	(void)raw, (void)len;
	assert_true(recv_ns > 0);
	pthread_mutex_lock(&s->mu);
	if (s->mode) {
		int mode = s->mode;
		s->sender = *sender;
		s->calls++;
		if (s->mode == OFD_LISTEN_QUEUED) {
			ofd_tracer_msg_release((struct ofd_tracer_msg *)m); /* taken, as a writer would */
			s->token = token;
			s->token_is_udp |= token == NULL;
		}
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		return mode;
	}
	for (unsigned i = 0; i < s->n; i++)
		if (s->len[i] == m->body_len && memcmp(s->body[i], m->body, m->body_len) == 0)
			rc = 0;
	if (rc && s->n < MAXSEEN) {
		s->body[s->n] = malloc(m->body_len);
		memcpy(s->body[s->n], m->body, m->body_len);
		s->len[s->n] = m->body_len;
		s->sealed[s->n] = m->sealed;
		s->n++;
	}
	s->sender = *sender;
	s->calls++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Wait (bounded: 10 s) until the sink has seen `calls` accept calls. */
static void sink_wait(struct sink *s, unsigned calls)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&s->mu);
	while (s->calls < calls)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0)
			break;
	unsigned got = s->calls;
	pthread_mutex_unlock(&s->mu);
	assert_int_equal(got, calls);
}

static struct ofd_key *key_of(uint8_t fill)
{
	uint8_t seed[32];
	memset(seed, fill, sizeof(seed));
	struct ofd_key *k;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* A signed tracer about flow number i of class c into line; its length. */
static size_t make_tracer(char *line, size_t cap, const struct ofd_key *k, unsigned i,
			  enum ofd_tracer_class c)
{
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_NETFLOW_V5;
	ofd_ip_set4u(&f.src_addr, 0xc0000201); /* 192.0.2.1 */
	ofd_ip_set4u(&f.dst_addr, 0xc6336401); /* 198.51.100.1 */
	f.src_port = (uint16_t)(1000 + i);
	f.dst_port = 53;
	f.proto = 17;
	f.packets = 10 + i;
	f.bytes = 1000 + i;
	f.time_flow_start_ns = 1700000000ull * 1000000000ull;
	f.time_flow_end_ns = 1700000060ull * 1000000000ull;
	struct ofd_tracer_meta m = {c, "abuse@example.net", 1700000100.5};
	char body[OFD_TRACER_MAX];
	int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
	assert_true(bn > 0);
	int n = ofd_tracer_sign(line, cap, body, (size_t)bn, k);
	assert_true(n > 0);
	return (size_t)n;
}

static unsigned g_workers;		   /* udp_workers of the next setup */
static const struct ofd_prefix *g_proxies; /* trusted_proxies of the next setup */
static size_t g_nproxies;

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	pthread_mutex_init(&x->s.mu, NULL);
	pthread_cond_init(&x->s.cv, NULL);
	x->signer = key_of(0x11);
	x->ours = key_of(0x22);
	x->other = key_of(0x33);
	struct ofd_listen_cfg cfg = {
	    .udp = "udp://127.0.0.1:0",
	    .http = "127.0.0.1:0",
	    .ours = x->ours,
	    .accept = sink_accept,
	    .ctx = &x->s,
	    .invalid_rate = 0.001, /* about no refill during a test */
	    .invalid_burst = 20,
	    .udp_workers = g_workers,
	    .trusted_proxies = g_proxies,
	    .ntrusted_proxies = g_nproxies,
	};
	if (ofd_listen_start(&x->l, &cfg))
		return -1;
	x->udp_port = ofd_listen_udp_port(x->l, 0);
	x->http_port = ofd_listen_http_port(x->l);
	x->udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!x->udp_port || !x->http_port || x->udp_fd < 0)
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	ofd_listen_stop(x->l);
	close(x->udp_fd);
	for (unsigned i = 0; i < x->s.n; i++)
		free(x->s.body[i]);
	ofd_key_free(x->signer);
	ofd_key_free(x->ours);
	ofd_key_free(x->other);
	pthread_mutex_destroy(&x->s.mu);
	pthread_cond_destroy(&x->s.cv);
	free(x);
	return 0;
}

static void udp_send(struct fx *x, const void *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(x->udp_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(x->udp_fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

/*
 * One HTTP/1.0 request to the listener; the status, and the response body in resp. content_length
 * overrides the Content-Length header (0: the body's own length).
 */
static int http(struct fx *x, const char *method, const char *path, const char *body, size_t blen,
		size_t content_length, char *resp, size_t rcap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(x->http_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char head[256];
	int hn = snprintf(head, sizeof(head), "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
			  method, path, content_length ? content_length : blen);
	assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), hn);
	if (blen)
		(void)send(fd, body, blen, MSG_NOSIGNAL); /* may fail once the server refused */
	static char buf[65536];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(buf) - 1 && (r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = 0;
	int status = 0;
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &status), 1);
	const char *b = strstr(buf, "\r\n\r\n");
	snprintf(resp, rcap, "%s", b ? b + 4 : "");
	return status;
}

/* The value of metric `name` (with labels, exactly as written) in a scrape; -1 if absent. */
static long long metric(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ')
			return strtoll(p + nl + 1, NULL, 10);
	}
	return -1;
}

/* Wait (bounded: 10 s) until the listener is done with `total` tracers: the accept callback
   returns before the stored/duplicate counters are updated. */
static void settle(struct fx *x, uint64_t total)
{
	struct ofd_listen_counters c;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ofd_listen_counters(x->l, &c);
		uint64_t done = c.stored + c.duplicate + c.store_errors + c.invalid_total + c.ratelimited;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (done >= total || t.tv_sec - t0.tv_sec > 10)
			break;
		sched_yield();
	}
}

/* Send a valid marker tracer over UDP and wait for its accept call (the sink's call count). */
static void udp_barrier(struct fx *x, unsigned calls_before)
{
	char line[OFD_TRACER_MAX];
	size_t n = make_tracer(line, sizeof(line), x->signer, 500 + x->marker++, OFD_TC_INFORMATIONAL);
	udp_send(x, line, n);
	sink_wait(&x->s, calls_before + 1);
}

static void test_udp(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX];
	size_t n[3];
	for (unsigned i = 0; i < 3; i++) {
		n[i] = make_tracer(line, sizeof(line), x->signer, i,
				   i == 2 ? OFD_TC_HUMAN_CONFIRMED : OFD_TC_INFORMATIONAL);
		udp_send(x, line, n[i]);
	}
	udp_send(x, line, n[2]); /* the same bytes again: a repeat, dropped unverified */
	line[n[2]] = '\n';	 /* with a newline: the same tracer again (a duplicate) */
	udp_send(x, line, n[2] + 1);
	line[n[2] - 10] ^= 1; /* tampered: in the base64 of the signed part */
	udp_send(x, line, n[2]);
	udp_send(x, "hello", 5);
	udp_barrier(x, 4);
	settle(x, 7);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.received, 8);
	assert_int_equal(c.udp.dropped[OFD_VB_DROP_REPEAT], 1);
	assert_int_equal(c.valid, 5);
	assert_int_equal(c.stored, 4);
	assert_int_equal(c.duplicate, 1);
	assert_int_equal(c.invalid_total, 2);
	assert_int_equal(c.invalid[OFD_TV_NOT_JSON], 1);
	assert_int_equal(c.invalid[OFD_TV_BAD_SIGNATURE] + c.invalid[OFD_TV_BAD_BASE64], 1);
	assert_int_equal(c.by_class[OFD_TC_INFORMATIONAL], 3);
	assert_int_equal(c.by_class[OFD_TC_HUMAN_CONFIRMED], 2);
	assert_int_equal(c.ratelimited, 0);
	assert_int_equal(x->s.n, 4);
	assert_non_null(strstr(x->s.body[2], "\"class\": \"HUMAN_CONFIRMED\""));
	assert_int_equal(x->s.sender.family, OFD_AF_INET);
	assert_int_equal(x->s.sender.b[12], 127);
}

static int setup_workers(void **state)
{
	g_workers = 3;
	int rc = setup(state);
	g_workers = 0;
	return rc;
}

/* Three verification threads: every tracer is handled once, whatever thread took it (a repeat of
   the same bytes is dropped unverified); an oversized datagram is refused unread; stopping hands
   on everything already received. */
static void test_udp_workers(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX];
	static char big[OFD_TRACER_MAX + 100];
	unsigned valid = 0, invalid = 0;
	for (unsigned i = 0; i < 120; i++) {
		size_t n = make_tracer(line, sizeof(line), x->signer, i, OFD_TC_MACHINE_SUSPECTED);
		if (i % 10 == 9) {
			line[n - 10] ^= 1; /* tampered */
			invalid++;
		} else {
			valid++;
		}
		udp_send(x, line, n);
		if (i % 40 == 0)
			udp_send(x, line, n); /* a repeat: dropped unverified */
	}
	memset(big, '{', sizeof(big));
	udp_send(x, big, sizeof(big));
	invalid++;
	settle(x, valid + invalid);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.received, 124);
	assert_int_equal(c.udp.dropped[OFD_VB_DROP_REPEAT], 3);
	assert_int_equal(c.valid, 108);
	assert_int_equal(c.stored, 108);
	assert_int_equal(c.duplicate, 0);
	assert_int_equal(c.invalid_total, 13);
	assert_int_equal(c.invalid[OFD_TV_TOO_LARGE], 1);
	assert_int_equal(c.by_class[OFD_TC_MACHINE_SUSPECTED], 108);
	assert_int_equal(x->s.n, 108);
}

static void test_http(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX + 64], resp[4096];
	size_t n = make_tracer(line, sizeof(line), x->signer, 7, OFD_TC_MACHINE_SUSPECTED);
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", line, n, 0, resp, sizeof(resp)), 202);
	assert_string_equal(resp, "accepted\n");
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", line, n, 0, resp, sizeof(resp)), 202);
	assert_string_equal(resp, "accepted (duplicate)\n");
	assert_int_equal(x->s.calls, 2);
	/* invalid ones, with the reason */
	char bad[OFD_TRACER_MAX + 64];
	memcpy(bad, line, n);
	bad[n - 10] ^= 1;
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", bad, n, 0, resp, sizeof(resp)), 400);
	assert_true(strcmp(resp, "invalid tracer: bad signature\n") == 0 ||
		    strcmp(resp, "invalid tracer: bad base64 in signature\n") == 0);
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", "[1]", 3, 0, resp, sizeof(resp)), 400);
	assert_string_equal(resp, "invalid tracer: not a JSON object\n");
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", "", 0, 0, resp, sizeof(resp)), 400);
	/* too large for a tracer (400), too large for a body (413: announced, or sent) */
	static char big[20000];
	memset(big, ' ', sizeof(big));
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", big, 10000, 0, resp, sizeof(resp)), 400);
	assert_string_equal(resp, "invalid tracer: too large\n");
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", big, 0, 1u << 30, resp, sizeof(resp)),
			 413);
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", big, sizeof(big), 0, resp, sizeof(resp)),
			 413);
	/* elsewhere */
	assert_int_equal(http(x, "POST", "/", line, n, 0, resp, sizeof(resp)), 404);
	assert_int_equal(http(x, "GET", "/.well-known/overflowd", NULL, 0, 0, resp, sizeof(resp)), 405);
	assert_int_equal(http(x, "POST", "/metrics", line, n, 0, resp, sizeof(resp)), 405);
	assert_int_equal(x->s.calls, 2);
	/* the scrape */
	static char m[16384];
	assert_int_equal(http(x, "GET", "/metrics", NULL, 0, 0, m, sizeof(m)), 200);
	assert_int_equal(metric(m, "overflowd_tracers_received_total"), 8);
	assert_int_equal(metric(m, "overflowd_tracers_valid_total"), 2);
	assert_int_equal(metric(m, "overflowd_tracers_stored_total"), 1);
	assert_int_equal(metric(m, "overflowd_tracers_duplicate_total"), 1);
	assert_int_equal(metric(m, "overflowd_tracers_invalid_total{reason=\"not_json\"}"), 2);
	assert_int_equal(metric(m, "overflowd_tracers_invalid_total{reason=\"too_large\"}"), 3);
	assert_int_equal(metric(m, "overflowd_tracers_invalid_total{reason=\"bad_signature\"}") +
			     metric(m, "overflowd_tracers_invalid_total{reason=\"bad_base64\"}"),
			 1);
	assert_int_equal(metric(m, "overflowd_tracers_invalid_total{reason=\"sealed_not_for_us\"}"), 0);
	assert_int_equal(metric(m, "overflowd_tracers_by_class_total{class=\"MACHINE_SUSPECTED\"}"), 2);
	assert_int_equal(metric(m, "overflowd_tracers_by_class_total{class=\"INFORMATIONAL\"}"), 0);
	assert_int_equal(metric(m, "overflowd_tracers_ratelimited_total"), 0);
	assert_non_null(strstr(m, "# TYPE overflowd_tracers_invalid_total counter\n"));
}

/* Forged junk does not silence a reporter: 20 invalid tracers over UDP "from" 127.0.0.1 (a
   source anyone can forge) empty its UDP bucket, so its UDP tracers are refused unverified, but
   its HTTP tracers (the TCP handshake proved the address) are still verified and accepted. 20
   invalid ones over HTTP empty its HTTP bucket: then 429, valid or not. */
static void test_flood(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX], resp[256];
	size_t n = make_tracer(line, sizeof(line), x->signer, 9, OFD_TC_INFORMATIONAL);
	for (unsigned i = 0; i < 19; i++)
		udp_send(x, "{\"x\": 1}", 8);
	udp_barrier(x, 0); /* valid: it takes no token */
	settle(x, 20);
	for (unsigned i = 0; i < 6; i++)
		udp_send(x, "{\"x\": 1}", 8); /* the last token, then refused unparsed */
	/* a marker from 127.0.0.2, another address, through the same socket: handled after those */
	int fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a2 = {.sin_family = AF_INET};
	a2.sin_addr.s_addr = htonl(0x7f000002);
	assert_int_equal(bind(fd2, (struct sockaddr *)&a2, sizeof(a2)), 0);
	int fd1 = x->udp_fd;
	x->udp_fd = fd2;
	udp_barrier(x, 1);
	settle(x, 21 + 5 + 1);
	x->udp_fd = fd1;
	close(fd2);
	assert_int_equal(x->s.sender.b[15], 2);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.invalid[OFD_TV_NO_SIGNATURE], 20);
	assert_int_equal(c.ratelimited, 5);
	assert_int_equal(c.ratelimited_http, 0);
	/* over HTTP from the same 127.0.0.1: verified and accepted */
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", line, n, 0, resp, sizeof(resp)), 202);
	assert_string_equal(resp, "accepted\n");
	assert_int_equal(x->s.sender.b[15], 1);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(http(x, "POST", "/.well-known/overflowd", "{}", 2, 0, resp, sizeof(resp)),
				 400);
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", line, n, 0, resp, sizeof(resp)), 429);
	assert_string_equal(resp, "too many invalid tracers from your address\n");
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", "{}", 2, 0, resp, sizeof(resp)), 429);
	/* and directly (the UDP path), as if from 10.0.0.1 and from the flooding 127.0.0.1 */
	struct ofd_ip other, lo;
	ofd_ip_set4u(&other, 0x0a000001);
	ofd_ip_set4u(&lo, 0x7f000001);
	static uint8_t scratch[OFD_TRACER_MAX];
	int stored;
	assert_int_equal(ofd_listen_handle(x->l, line, n, &other, 1, OFD_TRANSPORT_UDP, scratch, &stored),
			 OFD_TV_OK);
	assert_int_equal(stored, 0); /* the duplicate of the HTTP one */
	assert_int_equal(ofd_listen_handle(x->l, line, n, &lo, 1, OFD_TRANSPORT_UDP, scratch, &stored), -1);
	assert_int_equal(stored, 0);
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.invalid[OFD_TV_NO_SIGNATURE], 40);
	assert_int_equal(c.invalid_total, 40);
	assert_int_equal(c.ratelimited, 5 + 2 + 1);
	assert_int_equal(c.ratelimited_http, 2);
	assert_int_equal(c.valid, 4);
	assert_int_equal(c.received, 19 + 1 + 6 + 1 + 1 + 20 + 2 + 2);
	static char m[16384];
	assert_int_equal(http(x, "GET", "/metrics", NULL, 0, 0, m, sizeof(m)), 200);
	assert_int_equal(metric(m, "overflowd_tracers_ratelimited_total"), 8);
	assert_int_equal(metric(m, "overflowd_tracers_ratelimited_http_total"), 2);
}

/* Sealed to our key: accepted over HTTP and UDP. Sealed to another key: 400. */
static void test_sealed(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX], sealed[OFD_TRACER_MAX], resp[256];
	size_t n = make_tracer(line, sizeof(line), x->signer, 11, OFD_TC_HUMAN_SUSPECTED);
	int sn = ofd_tracer_seal(sealed, sizeof(sealed), line, n, ofd_key_public(x->ours));
	assert_true(sn > 0);
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", sealed, (size_t)sn, 0, resp, sizeof(resp)),
			 202);
	assert_int_equal(x->s.n, 1);
	assert_int_equal(x->s.sealed[0], 1);
	assert_int_equal(memcmp(x->s.body[0], line, x->s.len[0] - 2), 0); /* the body leads the line */
	n = make_tracer(line, sizeof(line), x->signer, 12, OFD_TC_HUMAN_SUSPECTED);
	sn = ofd_tracer_seal(sealed, sizeof(sealed), line, n, ofd_key_public(x->ours));
	udp_send(x, sealed, (size_t)sn);
	sink_wait(&x->s, 2);
	settle(x, 2);
	assert_int_equal(x->s.sealed[1], 1);
	sn = ofd_tracer_seal(sealed, sizeof(sealed), line, n, ofd_key_public(x->other));
	assert_int_equal(http(x, "POST", "/.well-known/overflowd", sealed, (size_t)sn, 0, resp, sizeof(resp)),
			 400);
	assert_string_equal(resp, "invalid tracer: sealed, not for us\n");
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.stored, 2);
	assert_int_equal(c.invalid[OFD_TV_SEALED], 1);
	assert_int_equal(c.by_class[OFD_TC_HUMAN_SUSPECTED], 2);
}

/* Open a request from src (host order) with extra header lines; the socket, the answer unread. */
static int post_from(struct fx *x, uint32_t src, const char *headers, const char *body, size_t blen)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in me = {.sin_family = AF_INET},
			   a = {.sin_family = AF_INET, .sin_port = htons(x->http_port)};
	me.sin_addr.s_addr = htonl(src);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char head[512];
	int hn = snprintf(head, sizeof(head),
			  "POST /.well-known/overflowd HTTP/1.0\r\nHost: x\r\n%sContent-Length: %zu\r\n\r\n",
			  headers, blen);
	assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), hn);
	assert_int_equal(send(fd, body, blen, MSG_NOSIGNAL), (ssize_t)blen);
	return fd;
}

/* Read the answer on fd: its status, the body into resp, the whole head into head. */
static int answer_of(int fd, char *resp, size_t rcap, char *head, size_t hcap)
{
	static char buf[8192];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(buf) - 1 && (r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = 0;
	int status = 0;
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &status), 1);
	const char *b = strstr(buf, "\r\n\r\n");
	assert_non_null(b);
	snprintf(resp, rcap, "%s", b + 4);
	snprintf(head, hcap, "%.*s", (int)(b - buf), buf);
	return status;
}

/* 1 if fd has something to read within ms. */
static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1;
}

/* HTTP 202 only once the store's result is in: a queued tracer's request waits (no answer),
   then gets 202, 507 (disk full) or 500 by the result; a full queue is 503 with Retry-After at
   once. UDP tracers are queued without a token (they may wait). */
static void test_deferred(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX], resp[256], head[1024];
	static const struct {
		int rc;
		int status;
		const char *text;
	} cases[] = {
	    {1, 202, "accepted\n"},
	    {0, 202, "accepted (duplicate)\n"},
	    {-ENOSPC, 507, "valid tracer, but the receiver's storage is full\n"},
	    {OFD_EFORMAT, 500, "valid tracer, but it could not be stored\n"},
	};
	x->s.mode = OFD_LISTEN_QUEUED;
	for (unsigned i = 0; i < 4; i++) {
		size_t n = make_tracer(line, sizeof(line), x->signer, 40 + i, OFD_TC_INFORMATIONAL);
		int fd = post_from(x, 0x7f000001, "", line, n);
		sink_wait(&x->s, i + 1);
		assert_false(readable(fd, 200)); /* queued, not stored: no answer yet */
		pthread_mutex_lock(&x->s.mu);
		void *token = x->s.token;
		pthread_mutex_unlock(&x->s.mu);
		assert_non_null(token);
		ofd_listen_result(x->l, cases[i].rc, token);
		assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), cases[i].status);
		assert_string_equal(resp, cases[i].text);
	}
	size_t n = make_tracer(line, sizeof(line), x->signer, 50, OFD_TC_INFORMATIONAL);
	udp_send(x, line, n);
	sink_wait(&x->s, 5);
	assert_int_equal(x->s.token_is_udp, 1);
	ofd_listen_result(x->l, 1, NULL);
	/* the store's queue is full: 503 at once, with Retry-After */
	pthread_mutex_lock(&x->s.mu);
	x->s.mode = OFD_LISTEN_BUSY;
	pthread_mutex_unlock(&x->s.mu);
	int fd = post_from(x, 0x7f000001, "", line, n);
	assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 503);
	assert_string_equal(resp, "valid tracer, but the store is busy: retry later\n");
	assert_non_null(strstr(head, "\r\nRetry-After: 5"));
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.busy, 1);
	assert_int_equal(c.stored, 2);
	assert_int_equal(c.duplicate, 1);
	assert_int_equal(c.store_errors, 2);
}

static int setup_proxy(void **state)
{
	static struct ofd_prefix proxies[2];
	assert_int_equal(ofd_prefix_parse(&proxies[0], "127.0.0.2"), 0);
	assert_int_equal(ofd_prefix_parse(&proxies[1], "10.9.0.0/16"), 0);
	g_proxies = proxies;
	g_nproxies = 2;
	int rc = setup(state);
	g_proxies = NULL;
	g_nproxies = 0;
	return rc;
}

/* Behind a reverse proxy: X-Forwarded-For names the client only when the peer is a trusted
   proxy (the rightmost address not itself a proxy); from anyone else it is ignored. The
   invalid-tracer limiter charges the client, not the proxy everybody shares. */
static void test_trusted_proxy(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX], resp[256], head[1024], ip[OFD_IP_STRLEN];
	static const struct {
		uint32_t src;
		const char *headers;
		const char *sender;
	} cases[] = {
	    {0x7f000001, "X-Forwarded-For: 203.0.113.9\r\n", "127.0.0.1"},
	    {0x7f000002, "X-Forwarded-For: 203.0.113.9\r\n", "203.0.113.9"},
	    {0x7f000002, "X-Forwarded-For: 198.51.100.7, 203.0.113.9, 10.9.1.1\r\n", "203.0.113.9"},
	    {0x7f000002, "X-Forwarded-For: 10.9.0.1, 10.9.0.2\r\n", "10.9.0.1"},
	    {0x7f000002, "X-Forwarded-For: [2001:db8::7]:4711\r\n", "2001:db8::7"},
	    {0x7f000002, "X-Forwarded-For: 198.51.100.7, garbage\r\n", "127.0.0.2"},
	    {0x7f000002, "Forwarded: for=198.51.100.8\r\n", "127.0.0.2"}, /* not the configured one */
	    {0x7f000002, "", "127.0.0.2"},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = make_tracer(line, sizeof(line), x->signer, 60 + i, OFD_TC_INFORMATIONAL);
		int fd = post_from(x, cases[i].src, cases[i].headers, line, n);
		assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 202);
		ofd_ip_str(&x->s.sender, ip);
		assert_string_equal(ip, cases[i].sender);
	}
	/* 20 invalid tracers from one client behind the proxy: that client is limited, another is not */
	for (unsigned i = 0; i < 20; i++) {
		int fd = post_from(x, 0x7f000002, "X-Forwarded-For: 203.0.113.66\r\n", "{}", 2);
		assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 400);
	}
	int fd = post_from(x, 0x7f000002, "X-Forwarded-For: 203.0.113.66\r\n", "{}", 2);
	assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 429);
	size_t n = make_tracer(line, sizeof(line), x->signer, 99, OFD_TC_INFORMATIONAL);
	fd = post_from(x, 0x7f000002, "X-Forwarded-For: 203.0.113.67\r\n", line, n);
	assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 202);
	fd = post_from(x, 0x7f000002, "", line, n);
	assert_int_equal(answer_of(fd, resp, sizeof(resp), head, sizeof(head)), 202);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct ofd_listen *l;
	struct ofd_listen_cfg cfg = {.http = "localhost"};
	assert_int_not_equal(ofd_listen_start(&l, &cfg), 0);
	cfg.http = "127.0.0.1:99999";
	assert_int_not_equal(ofd_listen_start(&l, &cfg), 0);
	cfg.http = NULL;
	cfg.udp = "tcp://1.2.3.4:5";
	assert_int_not_equal(ofd_listen_start(&l, &cfg), 0);
	/* IPv6 literal and dual stack forms parse and bind */
	cfg.udp = NULL;
	cfg.http = ":0";
	assert_int_equal(ofd_listen_start(&l, &cfg), 0);
	assert_int_not_equal(ofd_listen_http_port(l), 0);
	ofd_listen_stop(l);
	assert_string_equal(ofd_listen_reason_label(OFD_TV_BAD_SIGNATURE), "bad_signature");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_workers, setup_workers, teardown),
	    cmocka_unit_test_setup_teardown(test_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trusted_proxy, setup_proxy, teardown),
	    cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
