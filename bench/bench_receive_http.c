/*
 * bench_receive_http: the receiver's HTTP path, whole: `overflowd receive`'s composition
 * (receiver/receiver.h: listener, verification, store writer, SQLite in a fresh file) on
 * 127.0.0.1, and C client threads each posting tracers on one kept-alive HTTP/1.1 connection,
 * one at a time (the next once the answer came), as a sender's delivery does.
 *
 *   bench_receive_http [--count N] [--conns C] [--db FILE]
 *
 * N distinct valid tracers (default 20000, signed first) over C connections (default 16).
 * Prints the rate of answered tracers and how they were answered:
 *
 *   RESULT bench=receive_http count=N conns=C rate=R ok=A busy=B other=O stored=S
 *
 * With 202 sent once the tracer's transaction committed, a connection posts one tracer per
 * commit; the writer commits as soon as its queue is empty while anyone waits (group commit),
 * so the rate is bounded by the commits per second times the connections in flight.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "receiver/receiver.h"
#include "tracer/tracer.h"

struct client {
	pthread_t t;
	unsigned id;
};

static char **lines;
static size_t *lens;
static unsigned long count = 20000;
static unsigned conns = 16;
static uint16_t port;
static atomic_ulong ok, busy, other;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_lines(const struct ofd_key *k)
{
	char body[OFD_TRACER_MAX], line[OFD_TRACER_MAX];
	lines = calloc(count, sizeof(*lines));
	lens = calloc(count, sizeof(*lens));
	if (!lines || !lens)
		return -1;
	for (unsigned long i = 0; i < count; i++) {
		struct ofd_flow f;
		memset(&f, 0, sizeof(f));
		f.type = OFD_FT_IPFIX;
		ofd_ip_set4u(&f.src_addr, 0xc0000200u + (uint32_t)(i & 0xff));
		ofd_ip_set4u(&f.dst_addr, 0xc6336400u + (uint32_t)((i >> 8) & 0xff));
		f.src_port = (uint16_t)(1024 + i % 60000);
		f.dst_port = 443;
		f.proto = 6;
		f.packets = 1 + i;
		f.bytes = 1500 * (1 + i);
		f.time_flow_start_ns = (uint64_t)time(NULL) * 1000000000ull;
		f.time_flow_end_ns = f.time_flow_start_ns + 30000000000ull;
		struct ofd_tracer_meta m = {(enum ofd_tracer_class)(i % 4), "abuse@example.net",
					    (double)time(NULL)};
		int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
		int ln = bn > 0 ? ofd_tracer_sign(line, sizeof(line), body, (size_t)bn, k) : -1;
		if (ln <= 0 || !(lines[i] = malloc((size_t)ln)))
			return -1;
		memcpy(lines[i], line, (size_t)ln);
		lens[i] = (size_t)ln;
	}
	return 0;
}

/* One answer on fd: its status, or 0. */
static int answer(int fd)
{
	char buf[2048];
	size_t got = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		const char *cl = end ? strstr(buf, "Content-Length: ") : NULL;
		if (!end || !cl)
			continue;
		size_t need = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
		while (got < need) {
			n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (n <= 0)
				return 0;
			got += (size_t)n;
		}
		int status = 0;
		return sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : 0;
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "bench_receive_http: connect failed\n");
		exit(1);
	}
	char req[OFD_TRACER_MAX + 256];
	for (unsigned long i = c->id; i < count; i += conns) {
		/* one send: two would wait for the delayed ACK of the first (Nagle) */
		int hn = snprintf(
		    req, 256,
		    "POST /.well-known/overflowd HTTP/1.1\r\nHost: rx\r\nContent-Length: %zu\r\n\r\n",
		    lens[i]);
		memcpy(req + hn, lines[i], lens[i]);
		size_t n = (size_t)hn + lens[i];
		int st = send(fd, req, n, MSG_NOSIGNAL) == (ssize_t)n ? answer(fd) : 0;
		atomic_fetch_add(st == 202 ? &ok : st == 503 ? &busy : &other, 1);
		if (!st)
			break;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
					     {"conns", required_argument, NULL, 'c'},
					     {"db", required_argument, NULL, 'd'},
					     {NULL, 0, NULL, 0}};
	char dbtmp[] = "/tmp/bench_receive_http.XXXXXX";
	const char *db = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'n')
			count = strtoul(optarg, NULL, 10);
		else if (o == 'c')
			conns = (unsigned)strtoul(optarg, NULL, 10);
		else if (o == 'd')
			db = optarg;
		else
			return 2;
	}
	if (!count || !conns || conns > 64)
		return 2;
	char dbpath[64];
	if (!db) {
		if (!mkdtemp(dbtmp))
			return 1;
		snprintf(dbpath, sizeof(dbpath), "%s/rx.db", dbtmp);
		db = dbpath;
	}
	uint8_t seed[32];
	memset(seed, 0x42, sizeof(seed));
	struct ofd_key *k;
	if (ofd_key_from_seed(&k, seed) || make_lines(k))
		return 1;
	struct ofd_receiver *rx;
	char err[512];
	struct ofd_receiver_opts ro = {.http = "127.0.0.1:0", .db = db, .workers = 1};
	if (ofd_receiver_new(&rx, &ro, err, sizeof(err)) || ofd_receiver_start(rx, err, sizeof(err))) {
		fprintf(stderr, "bench_receive_http: %s\n", err);
		return 1;
	}
	port = ofd_receiver_http_port(rx);
	struct client *cl = calloc(conns, sizeof(*cl));
	double t0 = now_s();
	for (unsigned i = 0; i < conns; i++) {
		cl[i].id = i;
		pthread_create(&cl[i].t, NULL, client_main, &cl[i]);
	}
	for (unsigned i = 0; i < conns; i++)
		pthread_join(cl[i].t, NULL);
	double dt = now_s() - t0;
	ofd_receiver_stop(rx);
	struct ofd_listen_counters c;
	ofd_receiver_counters(rx, &c);
	unsigned long answered = atomic_load(&ok) + atomic_load(&busy) + atomic_load(&other);
	printf(
	    "RESULT bench=receive_http count=%lu conns=%u rate=%.0f ok=%lu busy=%lu other=%lu stored=%llu\n",
	    count, conns, (double)answered / dt, atomic_load(&ok), atomic_load(&busy), atomic_load(&other),
	    (unsigned long long)c.stored);
	ofd_receiver_free(rx);
	ofd_key_free(k);
	for (unsigned long i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
	free(lens);
	free(cl);
	if (db == dbpath) {
		char p[96];
		const char *suffix[] = {"", "-wal", "-shm"};
		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
			unlink(p);
		}
		rmdir(dbtmp);
	}
	return 0;
}
