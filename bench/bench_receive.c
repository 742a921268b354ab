/*
 * bench_receive: the receiver's UDP path on loopback, next to libsodium's verification rate.
 *
 *   bench_receive [--count N] [--seconds S] [--db FILE] [--workers W]
 *
 * N distinct valid tracers (default 20000, signed first) are sent over UDP to a listener on
 * 127.0.0.1 with a bounded window in flight (so nothing is lost to the socket buffer); the
 * accept callback counts them, or with --db FILE (a fresh SQLite file) queues them to the store
 * writer, as `overflowd receive` does. --workers W: the listener's verification threads. Then
 * malformed datagrams (not JSON) are sent for S seconds (default 2) with the per-address limiter
 * off (every one parsed and rejected), then with it on (all but the first burst refused
 * unparsed), then tracers with bad signatures with the limiter on. Finally
 * crypto_sign_verify_detached runs over the same bodies (one thread). per_cpu_s divides the
 * valid tracers by the CPU time of the whole process (receiver threads and sender). Prints:
 *
 *   RESULT bench=receive_valid count=N line_avg=L workers=W rate=R per_cpu_s=C sodium_rate=R2
 *          ratio=X stored=S store=none|sqlite
 *   RESULT bench=receive_malformed limiter=off|on count=N rate=R
 *   RESULT bench=receive_badsig limiter=on count=N rate=R verified=V
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "receiver/listen.h"
#include "receiver/store.h"
#include "receiver/writer.h"
#include "tracer/tracer.h"

#define WINDOW 1024 /* datagrams in flight (the listener asks for a 4 MiB socket buffer) */
#define BATCH  32

struct lines {
	char **l;
	size_t *len;
	size_t n;
};

static atomic_ulong accepted;
static unsigned workers; /* --workers: verification threads (0: the receiving thread) */
static struct ofd_store *store;
static struct ofd_writer *writer;
static struct ofd_listen *cur; /* the listener of the phase running */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
			const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	(void)ctx, (void)token;
	atomic_fetch_add(&accepted, 1);
	if (!writer)
		return 1;
	/* as `overflowd receive` does: queued to the store writer, results counted as they come */
	return ofd_writer_submit(writer, m, raw, len, sender, recv_ns) == 0 ? OFD_LISTEN_QUEUED : OFD_EFORMAT;
}

static void store_done(void *ctx, int rc, void *token)
{
	(void)ctx;
	ofd_listen_result(cur, rc, token);
}

/* CPU time of the whole process (receiver threads and the sender), user + system. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int make_lines(struct lines *t, size_t n, const struct ofd_key *k)
{
	char body[OFD_TRACER_MAX], line[OFD_TRACER_MAX];
	t->l = calloc(n, sizeof(*t->l));
	t->len = calloc(n, sizeof(*t->len));
	if (!t->l || !t->len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct ofd_flow f;
		memset(&f, 0, sizeof(f));
		f.type = OFD_FT_IPFIX;
		ofd_ip_set4u(&f.src_addr, 0xc0000200u + (uint32_t)(i & 0xff));
		ofd_ip_set4u(&f.dst_addr, 0xc6336400u + (uint32_t)((i >> 8) & 0xff));
		ofd_ip_set4u(&f.sampler_address, 0xcb007101);
		f.src_port = (uint16_t)(1024 + i % 60000);
		f.dst_port = 443;
		f.proto = 6;
		f.packets = 1 + i;
		f.bytes = 1500 * (1 + i);
		f.time_flow_start_ns = (1700000000ull + i) * 1000000000ull;
		f.time_flow_end_ns = f.time_flow_start_ns + 30000000000ull;
		/* made now: within the receiver's freshness window */
		struct ofd_tracer_meta m = {(enum ofd_tracer_class)(i % 4), "abuse@example.net",
					    (double)time(NULL) - (double)(i % 3600)};
		int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
		int ln = bn > 0 ? ofd_tracer_sign(line, sizeof(line), body, (size_t)bn, k) : -1;
		if (ln <= 0 || !(t->l[i] = malloc((size_t)ln)))
			return -1;
		memcpy(t->l[i], line, (size_t)ln);
		t->len[i] = (size_t)ln;
	}
	t->n = n;
	return 0;
}

/* Tracers the listener is done with (stored, invalid or refused). */
static uint64_t handled(const struct ofd_listen *l)
{
	struct ofd_listen_counters c;
	ofd_listen_counters(l, &c);
	return c.stored + c.duplicate + c.store_errors + c.invalid_total + c.ratelimited;
}

/* Tracers the listener has verified (or refused): what the window in flight counts. Stored ones
   are counted only once their transaction commits, up to 50 ms later, and a sender on the
   network does not wait for that. */
static uint64_t verified(const struct ofd_listen *l)
{
	struct ofd_listen_counters c;
	ofd_listen_counters(l, &c);
	return c.valid + c.invalid_total + c.ratelimited;
}

/*
 * Send datagrams get(i) for i < n (or until `seconds` pass), at most WINDOW unverified; wait for
 * all to be handled. Returns the count sent; *secs the time until the last was handled.
 */
static size_t blast(struct ofd_listen *l, int fd, const struct sockaddr_in *to, const struct lines *t,
		    size_t n, double seconds, double *secs)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t base = handled(l), vbase = verified(l);
	size_t sent = 0;
	const struct timespec nap = {0, 20000};
	double t0 = now_s();
	while (sent < n && (sent % 1024 || now_s() - t0 < seconds)) {
		while (sent - (verified(l) - vbase) + BATCH > WINDOW)
			nanosleep(&nap, NULL); /* leave the core to the receiver */
		unsigned b = 0;
		for (; b < BATCH && sent + b < n; b++) {
			size_t i = (sent + b) % t->n;
			iov[b] = (struct iovec){t->l[i], t->len[i]};
			mm[b].msg_hdr = (struct msghdr){.msg_name = (void *)to,
							.msg_namelen = sizeof(*to),
							.msg_iov = &iov[b],
							.msg_iovlen = 1};
		}
		int r = sendmmsg(fd, mm, b, 0);
		if (r <= 0)
			break;
		sent += (size_t)r;
	}
	double dl = now_s() + 5;
	while (handled(l) - base < sent && now_s() < dl)
		sched_yield();
	*secs = now_s() - t0;
	return sent;
}

static void free_lines(struct lines *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->l[i]);
	free(t->l);
	free(t->len);
}

static double sodium_rate(const struct lines *t, const struct ofd_key *k)
{
	static uint8_t scratch[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	size_t ok = 0;
	/* the bodies and signatures, extracted once, outside the timing */
	char **body = calloc(t->n, sizeof(*body));
	size_t *blen = calloc(t->n, sizeof(*blen));
	uint8_t(*sig)[64] = calloc(t->n, 64);
	for (size_t i = 0; i < t->n; i++) {
		if (ofd_tracer_verify(t->l[i], t->len[i], NULL, scratch, &m) != OFD_TV_OK)
			return -1;
		body[i] = malloc(m.body_len);
		memcpy(body[i], m.body, m.body_len);
		blen[i] = m.body_len;
		ofd_key_sign(k, (const uint8_t *)body[i], blen[i], sig[i]);
	}
	double t0 = now_s();
	for (size_t i = 0; i < t->n; i++)
		ok += crypto_sign_verify_detached(sig[i], (const uint8_t *)body[i], blen[i],
						  ofd_key_public(k)) == 0;
	double r = (double)ok / (now_s() - t0);
	for (size_t i = 0; i < t->n; i++)
		free(body[i]);
	free(body);
	free(blen);
	free(sig);
	return ok == t->n ? r : -1;
}

static int run(size_t count, double seconds, const char *db, const struct ofd_key *k)
{
	struct lines valid, junk = {0}, badsig = {0};
	if (make_lines(&valid, count, k))
		return 1;
	double line_avg = 0;
	for (size_t i = 0; i < valid.n; i++)
		line_avg += (double)valid.len[i] / (double)valid.n;
	/* malformed: not JSON; bad signatures: one signature byte changed */
	static char garbage[200];
	memset(garbage, 'x', sizeof(garbage));
	char *gl[1] = {garbage};
	size_t glen[1] = {sizeof(garbage)};
	junk = (struct lines){gl, glen, 1};
	if (make_lines(&badsig, 256, k))
		return 1;
	for (size_t i = 0; i < badsig.n; i++)
		badsig.l[i][badsig.len[i] - 30] = badsig.l[i][badsig.len[i] - 30] == 'A' ? 'B' : 'A';
	char err[256];
	if (db && (unlink(db), ofd_store_open(&store, db, err, sizeof(err)))) {
		fprintf(stderr, "bench_receive: %s: %s\n", db, err);
		return 1;
	}
	struct ofd_writer_cfg wcfg = {.store = store, .done = store_done};
	if (store && ofd_writer_start(&writer, &wcfg))
		return 1;
	for (int phase = 0; phase < 4; phase++) {
		struct ofd_listen_cfg cfg = {.udp = "udp://127.0.0.1:0",
					     .accept = count_accept,
					     .accept_concurrent = 1,
					     .invalid_rate = phase == 1 ? -1 : 0,
					     .udp_workers = workers,
					     /* the receive command's size cap and freshness window */
					     .limits = {4096, 24 * 3600, 600}};
		if (ofd_listen_start(&cur, &cfg))
			return 1;
		struct ofd_listen *l = cur;
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(ofd_listen_udp_port(l, 0))};
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		double secs;
		struct ofd_listen_counters c;
		if (phase == 0) {
			double cpu0 = cpu_s();
			size_t n = blast(l, fd, &to, &valid, valid.n, 1e9, &secs);
			double cpu = cpu_s() - cpu0;
			ofd_listen_counters(l, &c);
			double r = (double)c.valid / secs, sr = sodium_rate(&valid, k);
			printf("RESULT bench=receive_valid count=%zu line_avg=%.0f workers=%u rate=%.0f "
			       "per_cpu_s=%.0f sodium_rate=%.0f ratio=%.3f stored=%llu store=%s\n",
			       n, line_avg, workers, r, (double)c.valid / cpu, sr, r / sr,
			       (unsigned long long)c.stored, db ? "sqlite" : "none");
		} else {
			const struct lines *t = phase == 3 ? &badsig : &junk;
			size_t n = blast(l, fd, &to, t, (size_t)-1, seconds, &secs);
			ofd_listen_counters(l, &c);
			if (phase == 3)
				printf("RESULT bench=receive_badsig limiter=on count=%zu rate=%.0f "
				       "verified=%llu\n",
				       n, (double)n / secs, (unsigned long long)c.invalid_total);
			else
				printf("RESULT bench=receive_malformed limiter=%s count=%zu rate=%.0f "
				       "invalid=%llu ratelimited=%llu\n",
				       phase == 1 ? "off" : "on", n, (double)n / secs,
				       (unsigned long long)c.invalid_total,
				       (unsigned long long)c.ratelimited);
		}
		fflush(stdout);
		close(fd);
		ofd_listen_stop(l);
	}
	if (store) {
		ofd_writer_stop(writer);
		ofd_store_close(store);
	}
	free_lines(&valid);
	free_lines(&badsig);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
					     {"seconds", required_argument, NULL, 's'},
					     {"db", required_argument, NULL, 'd'},
					     {"workers", required_argument, NULL, 'w'},
					     {NULL, 0, NULL, 0}};
	size_t count = 20000;
	double seconds = 2;
	const char *db = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			count = strtoul(optarg, NULL, 10);
		else if (c == 's')
			seconds = strtod(optarg, NULL);
		else if (c == 'd')
			db = optarg;
		else if (c == 'w')
			workers = (unsigned)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (count == 0 || count > 1000000 || !(seconds > 0 && seconds <= 60))
		return 2;
	uint8_t seed[32];
	memset(seed, 0x5a, sizeof(seed));
	struct ofd_key *k;
	if (sodium_init() < 0 || ofd_key_from_seed(&k, seed))
		return 1;
	int rc = run(count, seconds, db, k);
	ofd_key_free(k);
	return rc;
}
