/*
 * bench_flood: valid tracers lost by the receiver under a flood of forged-source junk.
 *
 *   bench_flood [--junk-rate R] [--seconds S] [--workers W] [--valid-rate V] [--junk-key random|known]
 *               [--budget B]
 *
 * A listener on 127.0.0.1 (UDP and HTTP, the accept callback counting by signer key, no store)
 * receives for S seconds (default 5): R junk datagrams per second (default 20000), each from a
 * random 127.x.y.z source (loopback: every 127/8 address is local, chosen per datagram with
 * IP_PKTINFO), each a well-formed tracer whose signature is corrupted and distinct (random keys,
 * or with --junk-key known the known key below), and V valid tracers per second (default 100)
 * in each of three streams: a known key over UDP (one tracer of it verified before the flood),
 * an unknown key over UDP (never seen before the flood), and a third key over HTTP (one
 * connection per tracer). Then the listener drains and the losses are counted:
 *
 *   RESULT bench=flood junk_key=K junk_rate=R junk_sent=N workers=W known_sent=.. known_lost=..
 *          unknown_sent=.. unknown_lost=.. http_sent=.. http_lost=.. junk_verified=..
 *          junk_verified_rate=.. dropped_budget=.. dropped_repeat=.. dropped_queue=..
 *
 * junk_verified counts the junk that cost a signature check (bad_signature verdicts); the
 * dropped_* figures come from the metrics (absent, -1, where the receiver has no budget).
 * Only the public listener API is used, so the same file measures an older receiver (built with
 * -DBENCH_FLOOD_OLD: no --budget).
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "receiver/listen.h"
#include "tracer/tracer.h"

#define BATCH	  32
#define METRICS_N 16384

enum { K_KNOWN, K_UNKNOWN, K_HTTP, K__N };

static struct ofd_key *keys[K__N];
static atomic_ulong got[K__N];
static atomic_int stop;
static uint16_t udp_port, http_port;
static double junk_rate = 20000, valid_rate = 100, seconds = 5;
static int junk_known;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	if (d <= 0)
		return;
	struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
	nanosleep(&ts, NULL);
}

static int count_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
			const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	(void)ctx, (void)raw, (void)len, (void)sender, (void)recv_ns, (void)token;
	for (unsigned i = 0; i < K__N; i++)
		if (memcmp(m->key, ofd_key_public(keys[i]), OFD_KEY_PUB_LEN) == 0)
			atomic_fetch_add(&got[i], 1);
	return 1;
}

/* A signed tracer about flow i into line; its length. */
static size_t make_tracer(char *line, size_t cap, const struct ofd_key *k, unsigned i)
{
	struct ofd_flow f;
	char body[OFD_TRACER_MAX];
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_IPFIX;
	ofd_ip_set4u(&f.src_addr, 0xc0000200u + (i & 0xff));
	ofd_ip_set4u(&f.dst_addr, 0xc6336400u + ((i >> 8) & 0xff));
	f.src_port = (uint16_t)(1024 + i % 60000);
	f.dst_port = 443;
	f.proto = 6;
	f.packets = 1 + i;
	f.bytes = 1500ull * (1 + i);
	f.time_flow_start_ns = (1700000000ull + i) * 1000000000ull;
	f.time_flow_end_ns = f.time_flow_start_ns + 30000000000ull;
	struct ofd_tracer_meta m = {OFD_TC_INFORMATIONAL, "abuse@example.net", 1700000100.5 + i};
	int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
	int n = bn > 0 ? ofd_tracer_sign(line, cap, body, (size_t)bn, k) : -1;
	if (n <= 0) {
		fprintf(stderr, "bench_flood: cannot sign\n");
		exit(1);
	}
	return (size_t)n;
}

static struct sockaddr_in to_port(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ---- the junk sender ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Make the n-th junk datagram from the template: distinct bytes, a signature that fails. */
static void junk_vary(char *buf, size_t sig_at, size_t key_at, uint64_t n)
{
	for (unsigned j = 0; j < 8; j++)
		buf[sig_at + j] = B64[(n >> (6 * j)) & 63];
	if (!junk_known)
		for (unsigned j = 0; j < 16; j++)
			buf[key_at + j] = "0123456789abcdef"[(n >> (4 * j)) & 15];
}

static void *junk_main(void *arg)
{
	static char tmpl[OFD_TRACER_MAX], buf[BATCH][OFD_TRACER_MAX];
	struct ofd_key *jk;
	uint8_t seed[32];
	uint64_t *sent = arg;
	randombytes_buf(seed, sizeof(seed));
	if (ofd_key_from_seed(&jk, seed))
		return NULL;
	size_t len = make_tracer(tmpl, sizeof(tmpl), junk_known ? keys[K_KNOWN] : jk, 424242);
	ofd_key_free(jk);
	const char *ks = strstr(tmpl, "\"key\": \""), *ss = strstr(tmpl, "\"signature\": \"");
	if (!ks || !ss)
		return NULL;
	size_t key_at = (size_t)(ks - tmpl) + 8, sig_at = (size_t)(ss - tmpl) + 14;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in dst = to_port(udp_port);
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cm[BATCH];
	uint64_t n = 0;
	double t0 = now_s();
	while (!atomic_load(&stop)) {
		sleep_until(t0 + (double)n / junk_rate);
		for (unsigned i = 0; i < BATCH; i++) {
			memcpy(buf[i], tmpl, len);
			junk_vary(buf[i], sig_at, key_at, n + i + 1);
			iov[i] = (struct iovec){buf[i], len};
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &dst;
			mm[i].msg_hdr.msg_namelen = sizeof(dst);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cm[i].b;
			mm[i].msg_hdr.msg_controllen = sizeof(cm[i].b);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mm[i].msg_hdr);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			struct in_pktinfo pi = {0};
			pi.ipi_spec_dst.s_addr = htonl(0x7f000000u | (randombytes_random() & 0xffffffu) | 1u);
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
		int r = sendmmsg(fd, mm, BATCH, 0);
		n += r > 0 ? (unsigned)r : 0;
		if (r <= 0)
			sched_yield();
	}
	close(fd);
	*sent = n;
	return NULL;
}

/* ---- the valid senders ---- */

struct vsend {
	int which;
	uint64_t sent, answered; /* answered: HTTP 202 */
};

static int http_post(const char *body, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = to_port(http_port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	char head[160], resp[256];
	int hn =
	    snprintf(head, sizeof(head),
		     "POST /.well-known/overflowd HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", len);
	int status = 0;
	if (send(fd, head, (size_t)hn, MSG_NOSIGNAL) == hn &&
	    send(fd, body, len, MSG_NOSIGNAL) == (ssize_t)len) {
		ssize_t r = recv(fd, resp, sizeof(resp) - 1, 0);
		if (r > 0) {
			resp[r] = 0;
			if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
				status = 0;
		}
	}
	close(fd);
	return status;
}

static void *valid_main(void *arg)
{
	struct vsend *v = arg;
	char line[OFD_TRACER_MAX];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = to_port(udp_port);
	src.sin_addr.s_addr = htonl(0x7f000002u + (unsigned)v->which); /* one source per stream */
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
		return NULL;
	double t0 = now_s();
	while (!atomic_load(&stop)) {
		sleep_until(t0 + (double)v->sent / valid_rate);
		size_t n = make_tracer(line, sizeof(line), keys[v->which], (unsigned)(v->sent + 1000));
		if (v->which == K_HTTP)
			v->answered += http_post(line, n) == 202;
		else
			(void)sendto(fd, line, n, 0, (struct sockaddr *)&dst, sizeof(dst));
		v->sent++;
	}
	close(fd);
	return NULL;
}

/* ---- main ---- */

static long long metric(const char *text, const char *name)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\n%s", name);
	const char *p = strstr(text, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* The system's UDP RcvbufErrors (datagrams the kernel dropped: a socket buffer was full). */
static long long rcvbuf_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char head[1024], vals[1024];
	long long v = -1;
	while (f && fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(head, "Udp: ", 5) != 0)
			continue;
		int field = -1, i = 0;
		for (char *h = head + 5; *h; i++) { /* which column is RcvbufErrors */
			size_t w = strcspn(h, " \n");
			if (w == 12 && strncmp(h, "RcvbufErrors", 12) == 0)
				field = i;
			h += w;
			h += strspn(h, " \n");
		}
		char *x = vals + 5;
		for (i = 0; i < field && *x; i++) {
			x += strcspn(x, " \n");
			x += strspn(x, " \n");
		}
		if (field >= 0)
			v = strtoll(x, NULL, 10);
	}
	if (f)
		fclose(f);
	return v;
}

/* Wait until the listener has been idle for 300 ms (everything received was handled). */
static void drain(struct ofd_listen *l)
{
	struct ofd_listen_counters c;
	uint64_t last = UINT64_MAX;
	double since = now_s();
	for (;;) {
		ofd_listen_counters(l, &c);
		if (c.received != last) {
			last = c.received;
			since = now_s();
		} else if (now_s() - since > 0.3) {
			return;
		}
		sleep_until(now_s() + 0.02);
	}
}

int main(int argc, char **argv)
{
	unsigned workers = 2;
	double budget = 0;
	static const struct option opts[] = {{"junk-rate", 1, 0, 'r'},
					     {"seconds", 1, 0, 's'},
					     {"workers", 1, 0, 'w'},
					     {"valid-rate", 1, 0, 'v'},
					     {"junk-key", 1, 0, 'k'},
					     {"budget", 1, 0, 'b'},
					     {0, 0, 0, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'r')
			junk_rate = strtod(optarg, NULL);
		else if (o == 's')
			seconds = strtod(optarg, NULL);
		else if (o == 'w')
			workers = (unsigned)strtoul(optarg, NULL, 10);
		else if (o == 'v')
			valid_rate = strtod(optarg, NULL);
		else if (o == 'k')
			junk_known = strcmp(optarg, "known") == 0;
		else if (o == 'b')
			budget = strtod(optarg, NULL);
		else
			return 2;
	}
	if (sodium_init() < 0 || junk_rate <= 0 || valid_rate <= 0)
		return 2;
	for (unsigned i = 0; i < K__N; i++) {
		uint8_t seed[32];
		memset(seed, 0x41 + (int)i, sizeof(seed));
		if (ofd_key_from_seed(&keys[i], seed))
			return 1;
	}
	struct ofd_listen_cfg cfg = {.udp = "udp://127.0.0.1:0",
				     .http = "127.0.0.1:0",
				     .accept = count_accept,
				     .accept_concurrent = 1,
				     .udp_workers = workers};
#ifndef BENCH_FLOOD_OLD /* built against a receiver without the budget */
	cfg.udp_budget = budget;
#else
	(void)budget;
#endif
	struct ofd_listen *l;
	if (ofd_listen_start(&l, &cfg))
		return 1;
	udp_port = ofd_listen_udp_port(l, 0);
	http_port = ofd_listen_http_port(l);

	/* the known key: one tracer verified before the flood */
	char line[OFD_TRACER_MAX];
	size_t n = make_tracer(line, sizeof(line), keys[K_KNOWN], 1);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in dst = to_port(udp_port);
	(void)sendto(fd, line, n, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
	while (atomic_load(&got[K_KNOWN]) < 1)
		sleep_until(now_s() + 0.001);
	atomic_store(&got[K_KNOWN], 0);

	pthread_t jt, vt[K__N];
	uint64_t junk_sent = 0;
	struct vsend vs[K__N] = {{.which = K_KNOWN}, {.which = K_UNKNOWN}, {.which = K_HTTP}};
	long long rcv0 = rcvbuf_errors();
	pthread_create(&jt, NULL, junk_main, &junk_sent);
	sleep_until(now_s() + 0.2); /* the flood is on before the first valid tracer */
	for (unsigned i = 0; i < K__N; i++)
		pthread_create(&vt[i], NULL, valid_main, &vs[i]);
	sleep_until(now_s() + seconds);
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < K__N; i++)
		pthread_join(vt[i], NULL);
	pthread_join(jt, NULL);
	drain(l);
	long long kernel_drops = rcvbuf_errors() - rcv0; /* the system's: other sockets too */

	struct ofd_listen_counters c;
	static char text[METRICS_N];
	ofd_listen_counters(l, &c);
	if (ofd_listen_metrics(l, text, sizeof(text)) < 0)
		text[0] = 0;
	double secs = seconds + 0.2;
	printf("RESULT bench=flood junk_key=%s junk_rate=%.0f junk_sent=%llu achieved=%.0f workers=%u "
	       "known_sent=%llu known_lost=%llu unknown_sent=%llu unknown_lost=%llu http_sent=%llu "
	       "http_lost=%llu http_202=%llu junk_verified=%llu junk_verified_rate=%.0f dropped_budget=%lld "
	       "dropped_repeat=%lld dropped_queue=%lld dropped_kernel=%lld budget=%lld system_drops=%lld\n",
	       junk_known ? "known" : "random", junk_rate, (unsigned long long)junk_sent,
	       (double)junk_sent / secs, workers, (unsigned long long)vs[K_KNOWN].sent,
	       (unsigned long long)(vs[K_KNOWN].sent - atomic_load(&got[K_KNOWN])),
	       (unsigned long long)vs[K_UNKNOWN].sent,
	       (unsigned long long)(vs[K_UNKNOWN].sent - atomic_load(&got[K_UNKNOWN])),
	       (unsigned long long)vs[K_HTTP].sent,
	       (unsigned long long)(vs[K_HTTP].sent - atomic_load(&got[K_HTTP])),
	       (unsigned long long)vs[K_HTTP].answered, (unsigned long long)c.invalid[OFD_TV_BAD_SIGNATURE],
	       (double)c.invalid[OFD_TV_BAD_SIGNATURE] / secs,
	       metric(text, "overflowd_udp_dropped_total{reason=\"budget\"} "),
	       metric(text, "overflowd_udp_dropped_total{reason=\"repeat\"} "),
	       metric(text, "overflowd_udp_dropped_total{reason=\"queue_full\"} "),
	       metric(text, "overflowd_udp_dropped_total{reason=\"kernel\"} "),
	       metric(text, "overflowd_udp_verify_budget "), kernel_drops);
	ofd_listen_stop(l);
	for (unsigned i = 0; i < K__N; i++)
		ofd_key_free(keys[i]);
	return 0;
}
