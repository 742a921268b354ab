/*
 * The UDP verification budget (receiver/vbudget.h): the envelope scan, the budget and repeat
 * rules with an injected clock, the penalties of good keys by source network; then the
 * listener under a flood of forged-source junk on 127.0.0.1 (every 127/8 address is local; each
 * junk datagram comes from a random one, chosen with IP_PKTINFO): the known key's tracers are
 * all verified and stored, HTTP tracers are all accepted, and the junk verified stays within
 * the budget (counters). No sleeps: the flood is sent in chunks, each one waited for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ofd/time.h"
#include "receiver/listen.h"
#include "receiver/vbudget.h"
#include "tracer/tracer.h"

#define SEC 1000000000ull

static struct ofd_key *key_of(uint8_t fill)
{
	uint8_t seed[32];
	memset(seed, fill, sizeof(seed));
	struct ofd_key *k;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* A signed tracer about flow i into line; its length. */
static size_t make_tracer(char *line, size_t cap, const struct ofd_key *k, unsigned i)
{
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_NETFLOW_V5;
	ofd_ip_set4u(&f.src_addr, 0xc0000201);
	ofd_ip_set4u(&f.dst_addr, 0xc6336401);
	f.src_port = (uint16_t)(1000 + i % 60000);
	f.dst_port = 53;
	f.proto = 17;
	f.packets = 10 + i;
	f.bytes = 1000 + i;
	f.time_flow_start_ns = 1700000000ull * SEC;
	f.time_flow_end_ns = 1700000060ull * SEC;
	struct ofd_tracer_meta m = {OFD_TC_INFORMATIONAL, "abuse@example.net", 1700000100.5};
	char body[OFD_TRACER_MAX];
	int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
	assert_true(bn > 0);
	int n = ofd_tracer_sign(line, cap, body, (size_t)bn, k);
	assert_true(n > 0);
	return (size_t)n;
}

/* Junk number n made from a valid tracer: its signature corrupted (8 base64 digits from n), and
   unless keep_key its key too (16 hex digits from n). Distinct bytes for every n. */
static void corrupt(char *line, uint64_t n, int keep_key)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *s = strstr(line, "\"signature\": \""), *k = strstr(line, "\"key\": \"");
	assert_non_null(s);
	assert_non_null(k);
	for (unsigned j = 0; j < 8; j++)
		s[14 + j] = b64[(n >> (6 * j)) & 63] == s[14 + j] ? '+' : b64[(n >> (6 * j)) & 63];
	for (unsigned j = 0; !keep_key && j < 16; j++)
		k[8 + j] = "0123456789abcdef"[(n >> (4 * j)) & 15];
}

/* ---- the scan ---- */

static void test_scan(void **state)
{
	(void)state;
	struct ofd_key *k = key_of(0x11);
	char line[OFD_TRACER_MAX], buf[OFD_TRACER_MAX + 200];
	size_t n = make_tracer(line, sizeof(line), k, 1);
	struct ofd_vb_hint h;
	ofd_vbudget_scan((const uint8_t *)line, n, &h);
	assert_int_equal(h.has_key, 1);
	assert_int_equal(h.sealed, 0);
	assert_memory_equal(h.key, ofd_key_public(k), 32);

	/* a key of 63 digits, a signature too short, not an object: no hint */
	char *kp = strstr(line, "\"key\": \"") + 8;
	memmove(kp, kp + 1, n - (size_t)(kp - line));
	ofd_vbudget_scan((const uint8_t *)line, n - 1, &h);
	assert_int_equal(h.has_key, 0);
	ofd_vbudget_scan((const uint8_t *)"{\"signature\": {\"key\": \"aa\", \"signature\": \"AAAA\"}}", 49,
			 &h);
	assert_int_equal(h.has_key, 0);
	ofd_vbudget_scan((const uint8_t *)"[1]", 3, &h);
	assert_int_equal(h.has_key + h.sealed, 0);

	/* a decoy signature object before the real one: the last one counts */
	struct ofd_key *other = key_of(0x33);
	n = make_tracer(line, sizeof(line), k, 2);
	char decoy[OFD_TRACER_MAX];
	size_t dn = make_tracer(decoy, sizeof(decoy), other, 3);
	const char *dsig = strstr(decoy, "\"signature\": {");
	int bn = snprintf(buf, sizeof(buf), "{\"x\": %.*s, %s", (int)(dn - (size_t)(dsig - decoy) - 1), dsig,
			  line + 1);
	ofd_vbudget_scan((const uint8_t *)buf, (size_t)bn, &h);
	assert_int_equal(h.has_key, 1);
	assert_memory_equal(h.key, ofd_key_public(k), 32);

	const char *sealed = " {\"sealed\": \"AAAA\", \"to\": \"00\"}";
	ofd_vbudget_scan((const uint8_t *)sealed, strlen(sealed), &h);
	assert_int_equal(h.sealed, 1);
	ofd_key_free(k);
	ofd_key_free(other);
}

/* ---- the rules, with an injected clock ---- */

static int admit(struct ofd_vbudget *b, const char *line, size_t n, uint32_t src, struct ofd_vb_hint *h,
		 uint64_t now)
{
	struct ofd_ip ip;
	ofd_ip_set4u(&ip, src);
	return ofd_vbudget_admit(b, (const uint8_t *)line, n, &ip, 1, h, now);
}

static void test_budget(void **state)
{
	(void)state;
	struct ofd_vbudget *b;
	const struct ofd_vbudget_cfg cfg = {.rate = 10, .burst = 5};
	assert_int_equal(ofd_vbudget_new(&b, &cfg), 0);
	struct ofd_key *k = key_of(0x11);
	char line[OFD_TRACER_MAX];
	size_t n = make_tracer(line, sizeof(line), k, 1);
	uint64_t t = 1000 * SEC;
	struct ofd_vb_hint h;
	int admitted = 0;
	/* unknown keys: the burst, then one every 100 ms */
	for (unsigned i = 0; i < 100; i++) {
		corrupt(line, i + 1, 0);
		admitted += admit(b, line, n, 0x0a000000 + i, &h, t) == OFD_VB_BUDGET;
	}
	assert_int_equal(admitted, 5);
	corrupt(line, 1000, 0);
	assert_int_equal(admit(b, line, n, 0x0a000001, &h, t + SEC / 10), OFD_VB_BUDGET);
	assert_int_equal(admit(b, line, n, 0x0a000001, &h, t + SEC), -1 - OFD_VB_DROP_REPEAT);
	struct ofd_vbudget_counters c;
	ofd_vbudget_counters(b, &c);
	assert_int_equal(c.admitted[OFD_VB_BUDGET], 6);
	assert_int_equal(c.dropped[OFD_VB_DROP_BUDGET], 95);
	assert_int_equal(c.dropped[OFD_VB_DROP_REPEAT], 1);
	assert_true(c.rate == 10);

	/* a good key from 192.0.2.x: priority lane, no token */
	struct ofd_ip home;
	ofd_ip_set4u(&home, 0xc0000201);
	ofd_vbudget_trust(b, ofd_key_public(k), &home, t);
	t += 10 * SEC; /* the bucket is full again */
	for (unsigned i = 0; i < 20; i++) {
		n = make_tracer(line, sizeof(line), k, 100 + i);
		assert_int_equal(admit(b, line, n, 0xc0000207, &h, t), OFD_VB_PRIORITY);
		ofd_vbudget_result(b, &h, 1, t);
	}
	/* junk naming it from random networks: 8 failures (penalty_max), then the budget lane;
	   each failure in the priority lane took a token: none left for the others */
	for (unsigned i = 0; i < 8; i++) {
		corrupt(line, 5000 + i, 1);
		assert_int_equal(admit(b, line, n, 0x0b000000 + (i << 8), &h, t), OFD_VB_PRIORITY);
		ofd_vbudget_result(b, &h, 0, t);
	}
	corrupt(line, 6000, 1);
	assert_int_equal(admit(b, line, n, 0x0c000000, &h, t), -1 - OFD_VB_DROP_BUDGET);
	/* from its own network the key keeps its priority */
	n = make_tracer(line, sizeof(line), k, 200);
	assert_int_equal(admit(b, line, n, 0xc00002fe, &h, t), OFD_VB_PRIORITY);
	/* the penalty decays (0.1 a second): 10 s later one more junk tracer is let through first */
	corrupt(line, 6001, 1);
	assert_int_equal(admit(b, line, n, 0x0c000100, &h, t + 10 * SEC + 1), OFD_VB_PRIORITY);
	ofd_vbudget_counters(b, &c);
	assert_int_equal(c.failed[OFD_VB_PRIORITY], 8);
	assert_int_equal(c.demoted, 1);
	assert_int_equal(c.good_keys, 1);

	/* no room in the budget lane's queue: dropped as such, the token kept */
	struct ofd_ip ip;
	ofd_ip_set4u(&ip, 0x0d000001);
	corrupt(line, 7000, 0);
	assert_int_equal(ofd_vbudget_admit(b, (const uint8_t *)line, n, &ip, 0, &h, t + 100 * SEC),
			 -1 - OFD_VB_DROP_QUEUE);
	ofd_vbudget_free(b);
	ofd_key_free(k);
}

/* Good keys minted one tracer each evict one another, not a key that signed many. */
static void test_good_keys_bounded(void **state)
{
	(void)state;
	struct ofd_vbudget *b;
	const struct ofd_vbudget_cfg cfg = {.rate = 10, .keys = 64};
	assert_int_equal(ofd_vbudget_new(&b, &cfg), 0);
	uint8_t key[32] = {0};
	uint8_t mine[32];
	memset(mine, 0x77, sizeof(mine));
	for (unsigned i = 0; i < 5; i++)
		ofd_vbudget_trust(b, mine, NULL, 1);
	for (unsigned i = 0; i < 10000; i++) {
		memcpy(key, &i, sizeof(i));
		ofd_vbudget_trust(b, key, NULL, 2 + i);
	}
	struct ofd_vbudget_counters c;
	ofd_vbudget_counters(b, &c);
	assert_int_equal(c.good_keys, 64);
	/* the one with 5 tracers is still there: its tracers get priority */
	struct ofd_vb_hint h;
	char line[256];
	char hex[65];
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mine[i]);
	int n = snprintf(
	    line, sizeof(line), "{\"signature\": {\"key\": \"%s\", \"signature\": \"%.88s\"}}", hex,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(admit(b, line, (size_t)n, 0x0a000001, &h, 20000), OFD_VB_PRIORITY);
	ofd_vbudget_free(b);
}

/* ---- the listener under a flood ---- */

struct sink {
	pthread_mutex_t mu;
	const struct ofd_key *known, *web;
	unsigned known_n, web_n, other_n;
};

static int sink_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		       const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	struct sink *s = ctx;
	(void)raw, (void)len, (void)sender, (void)recv_ns, (void)token;
	pthread_mutex_lock(&s->mu);
	if (memcmp(m->key, ofd_key_public(s->known), 32) == 0)
		s->known_n++;
	else if (memcmp(m->key, ofd_key_public(s->web), 32) == 0)
		s->web_n++;
	else
		s->other_n++;
	pthread_mutex_unlock(&s->mu);
	return 1;
}

struct fx {
	struct sink s;
	struct ofd_key *known, *web, *stranger;
	struct ofd_listen *l;
	int fd;
	uint16_t udp_port, http_port;
	uint64_t sent; /* datagrams sent */
};

#define RATE 200 /* the budget of the flood tests */

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	pthread_mutex_init(&x->s.mu, NULL);
	x->known = key_of(0x11);
	x->web = key_of(0x22);
	x->stranger = key_of(0x44);
	x->s.known = x->known;
	x->s.web = x->web;
	struct ofd_listen_cfg cfg = {.udp = "udp://127.0.0.1:0",
				     .http = "127.0.0.1:0",
				     .accept = sink_accept,
				     .ctx = &x->s,
				     .accept_concurrent = 1,
				     .udp_workers = 2,
				     .udp_budget = RATE};
	if (ofd_listen_start(&x->l, &cfg))
		return -1;
	x->udp_port = ofd_listen_udp_port(x->l, 0);
	x->http_port = ofd_listen_http_port(x->l);
	x->fd = socket(AF_INET, SOCK_DGRAM, 0);
	*state = x;
	return x->fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	ofd_listen_stop(x->l);
	close(x->fd);
	ofd_key_free(x->known);
	ofd_key_free(x->web);
	ofd_key_free(x->stranger);
	pthread_mutex_destroy(&x->s.mu);
	free(x);
	return 0;
}

/* Send line over UDP as if from src (host order; a 127/8 address). */
static void send_from(struct fx *x, const char *line, size_t n, uint32_t src)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(x->udp_port)};
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct iovec iov = {(void *)line, n};
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = {.msg_name = &dst,
			    .msg_namelen = sizeof(dst),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(src);
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	assert_int_equal(sendmsg(x->fd, &mh, 0), (ssize_t)n);
	x->sent++;
}

/* Wait (bounded: 20 s) until the listener has received everything sent (over UDP and HTTP) and
   handled it. */
static void settle(struct fx *x)
{
	struct ofd_listen_counters c;
	uint64_t t0 = ofd_time_mono_ns();
	for (;;) {
		ofd_listen_counters(x->l, &c);
		uint64_t dropped = c.udp.dropped[0] + c.udp.dropped[1] + c.udp.dropped[2];
		uint64_t done =
		    c.stored + c.duplicate + c.store_errors + c.invalid_total + c.ratelimited + dropped;
		if ((c.received >= x->sent && done >= c.received) || ofd_time_mono_ns() - t0 > 20 * SEC)
			break;
		sched_yield();
	}
	assert_int_equal(c.received, x->sent);
	assert_int_equal(c.udp.kernel, 0);
}

static int http_post(struct fx *x, const char *body, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(x->http_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char head[160], resp[256];
	int hn =
	    snprintf(head, sizeof(head),
		     "POST /.well-known/overflowd HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", len);
	assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), hn);
	assert_int_equal(send(fd, body, len, MSG_NOSIGNAL), (ssize_t)len);
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(resp) - 1 && (r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
		got += (size_t)r;
	close(fd);
	resp[got] = 0;
	int status = 0;
	assert_int_equal(sscanf(resp, "HTTP/1.%*d %d", &status), 1);
	x->sent++; /* received, too */
	return status;
}

#define JUNK	 4000
#define CHUNK	 100
#define VALID_EV 50 /* a valid tracer of the known key after every VALID_EV junk datagrams */

/*
 * The flood: JUNK junk datagrams (keep_key: naming the known key) from random 127/8 sources,
 * a tracer of the known key from 127.0.0.1 after every VALID_EV, one over HTTP every CHUNK.
 * Returns the flood's duration in seconds.
 */
static double flood(struct fx *x, int keep_key, unsigned *known_sent, unsigned *web_sent)
{
	char line[OFD_TRACER_MAX], junk[OFD_TRACER_MAX];
	size_t jn = make_tracer(junk, sizeof(junk), keep_key ? x->known : x->stranger, 99999);
	uint32_t rnd = 12345;
	uint64_t t0 = ofd_time_mono_ns();
	for (unsigned i = 0; i < JUNK; i++) {
		char j2[OFD_TRACER_MAX];
		memcpy(j2, junk, jn);
		corrupt(j2, i + 1, keep_key);
		rnd = rnd * 1103515245u + 12345u;
		/* 127.128.0.128 to 127.255.255.128: never the valid senders' 127.0.0.0/24 */
		send_from(x, j2, jn, 0x7f800080u | ((rnd >> 8) & 0x7fff00u));
		if (i % VALID_EV == VALID_EV - 1) {
			size_t n = make_tracer(line, sizeof(line), x->known, 10 + (*known_sent)++);
			send_from(x, line, n, 0x7f000001u);
		}
		if (i % CHUNK == CHUNK - 1) {
			size_t n = make_tracer(line, sizeof(line), x->web, 10 + (*web_sent)++);
			assert_int_equal(http_post(x, line, n), 202);
			settle(x); /* the chunk is handled: the socket buffer never overflows */
		}
	}
	return (double)(ofd_time_mono_ns() - t0) / 1e9;
}

/* Prime: one tracer of the known key verified over UDP from 127.0.0.1. */
static void prime(struct fx *x)
{
	char line[OFD_TRACER_MAX];
	size_t n = make_tracer(line, sizeof(line), x->known, 1);
	send_from(x, line, n, 0x7f000001u);
	settle(x);
	assert_int_equal(x->s.known_n, 1);
	x->s.known_n = 0;
}

static void test_flood_random_keys(void **state)
{
	struct fx *x = *state;
	unsigned known = 0, web = 0;
	prime(x);
	double secs = flood(x, 0, &known, &web);
	settle(x);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	/* every valid tracer verified and stored */
	assert_int_equal(x->s.known_n, known);
	assert_int_equal(x->s.web_n, web);
	assert_int_equal(x->s.other_n, 0);
	assert_int_equal(known, JUNK / VALID_EV);
	assert_int_equal(c.stored, 1 + known + web);
	/* the junk verified: within the budget (burst 20, then RATE a second) */
	assert_int_equal(c.invalid[OFD_TV_BAD_SIGNATURE], c.udp.failed[OFD_VB_BUDGET]);
	assert_int_equal(c.udp.failed[OFD_VB_PRIORITY], 0);
	assert_true((double)c.udp.admitted[OFD_VB_BUDGET] <= 20 + RATE * secs + 1);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], known); /* the prime came through the budget */
	assert_int_equal(c.udp.dropped[OFD_VB_DROP_BUDGET] + c.udp.dropped[OFD_VB_DROP_QUEUE] +
			     c.udp.admitted[OFD_VB_BUDGET],
			 JUNK + 1);
	assert_int_equal(c.udp.dropped[OFD_VB_DROP_REPEAT], 0);
	assert_int_equal(c.ratelimited, 0);
	print_message("flood of %u junk in %.2f s: %llu verified (budget %d/s), %llu dropped\n", JUNK, secs,
		      (unsigned long long)c.udp.admitted[OFD_VB_BUDGET], RATE,
		      (unsigned long long)(JUNK - c.udp.admitted[OFD_VB_BUDGET]));

	/* the metrics say so */
	static char text[16384];
	int tn = ofd_listen_metrics(x->l, text, sizeof(text));
	assert_true(tn > 0);
	assert_true(tn < 8192 - 1024); /* the HTTP scrape's buffer, with room to grow */
	char want[128];
	snprintf(want, sizeof(want), "\noverflowd_udp_dropped_total{reason=\"budget\"} %llu\n",
		 (unsigned long long)c.udp.dropped[OFD_VB_DROP_BUDGET]);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "\noverflowd_udp_verify_budget 200\n"));
	assert_non_null(strstr(text, "\noverflowd_udp_good_keys 2\n"));
}

/* Junk naming the known key, from random sources: the key's tracers from its own address keep
   their priority; the junk's priority ends after penalty_max (8) failures. */
static void test_flood_known_key(void **state)
{
	struct fx *x = *state;
	unsigned known = 0, web = 0;
	prime(x);
	double secs = flood(x, 1, &known, &web);
	settle(x);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(x->s.known_n, known);
	assert_int_equal(x->s.web_n, web);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], known + c.udp.failed[OFD_VB_PRIORITY]);
	/* 8 to lose priority (up to 32 when they came at once, in flight before the first
	   verdict), and at 0.1 a second at most one more every 10 s */
	print_message("junk naming the known key: %llu failed in the priority lane\n",
		      (unsigned long long)c.udp.failed[OFD_VB_PRIORITY]);
	assert_true(c.udp.failed[OFD_VB_PRIORITY] >= 8);
	assert_true((double)c.udp.failed[OFD_VB_PRIORITY] <= 32 + 1 + secs / 10);
	assert_int_equal(c.udp.demoted, JUNK - c.udp.failed[OFD_VB_PRIORITY]);
	assert_true((double)c.udp.admitted[OFD_VB_BUDGET] <= 20 + RATE * secs + 1);
}

/* A stranger's UDP tracers go through the budget; once one of its tracers is verified (here over
   HTTP), its UDP tracers are verified first. */
static void test_stranger_learns(void **state)
{
	struct fx *x = *state;
	char line[OFD_TRACER_MAX];
	size_t n = make_tracer(line, sizeof(line), x->stranger, 1);
	assert_int_equal(http_post(x, line, n), 202);
	n = make_tracer(line, sizeof(line), x->web, 1);
	send_from(x, line, n, 0x7f000009u);
	settle(x);
	struct ofd_listen_counters c;
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.udp.admitted[OFD_VB_BUDGET], 1);
	for (unsigned i = 2; i < 12; i++) {
		n = make_tracer(line, sizeof(line), x->stranger, i);
		send_from(x, line, n, 0x7f000009u);
	}
	settle(x);
	assert_int_equal(x->s.other_n, 11);
	assert_int_equal(x->s.web_n, 1);
	ofd_listen_counters(x->l, &c);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], 10);
	assert_int_equal(c.udp.admitted[OFD_VB_BUDGET], 1);
	assert_int_equal(c.udp.good_keys, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_good_keys_bounded),
	    cmocka_unit_test_setup_teardown(test_flood_random_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flood_known_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stranger_learns, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
