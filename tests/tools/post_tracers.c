/*
 * post_tracers: an HTTP load of distinct signed tracers for end-to-end tests of the receiver.
 *
 *   post_tracers ADDR PORT COUNT THREADS [FIRST [SRC [HEADER]]]
 *
 * Tracer i (0 <= i < COUNT) is signed by a fixed test key and names a flow of FIRST + i packets
 * (FIRST default 1), so the database tells which ones were stored. THREADS threads each keep
 * one HTTP/1.1 connection to ADDR:PORT (IPv4) from SRC (default: any) and post their share
 * (i = thread, thread + THREADS, ...) in turn, with the extra HEADER line if given. Every
 * answer is printed as it comes, "i status" on its own line (stdout flushed each time, so a
 * killed receiver leaves an exact record); a tracer that got no answer (the connection failed
 * and a new one could not be made) prints status 0 and its thread stops. A summary goes to
 * stderr: "posted N answered A 202 B 503 C other D seconds S". With POST_STOP_ON_503=1 in the
 * environment a thread also stops at its first 503 (a load that backs off instead of hammering).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

struct job {
	pthread_t t;
	unsigned id;
	unsigned long answered, ok, busy, other;
};

static struct ofd_key *key;
static unsigned long count, first = 1;
static unsigned nthreads;
static struct sockaddr_in dst, src;
static const char *extra = "";
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int stop_on_503;

static int make_tracer(char *line, size_t cap, unsigned long i)
{
	struct ofd_flow f;
	char body[OFD_TRACER_MAX];
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_IPFIX;
	ofd_ip_set4u(&f.src_addr, 0xc0000200u + (uint32_t)(i & 0xff));
	ofd_ip_set4u(&f.dst_addr, 0xc6336400u + (uint32_t)((i >> 8) & 0xff));
	f.src_port = (uint16_t)(1024 + i % 60000);
	f.dst_port = 443;
	f.proto = 6;
	f.packets = first + i;
	f.bytes = 1500 * (first + i);
	f.time_flow_start_ns = (uint64_t)time(NULL) * 1000000000ull;
	f.time_flow_end_ns = f.time_flow_start_ns + 1000000000ull;
	struct ofd_tracer_meta m = {OFD_TC_INFORMATIONAL, "abuse@example.net", (double)time(NULL)};
	int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
	return bn > 0 ? ofd_tracer_sign(line, cap, body, (size_t)bn, key) : -1;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if ((src.sin_addr.s_addr && bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read one answer (headers and a Content-Length body) from fd; its status, or 0. */
static int read_answer(int fd)
{
	char buf[4096];
	size_t got = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strstr(buf, "Content-Length: ");
		size_t need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
		while (got < need && got < sizeof(buf) - 1) {
			n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (n <= 0)
				return 0;
			got += (size_t)n;
		}
		int status = 0;
		return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
	}
}

/* Post one tracer on *fd (reconnecting once); its status, or 0. */
static int post(int *fd, const char *line, size_t len)
{
	char head[512 + OFD_TRACER_MAX];
	int hn = snprintf(
	    head, 512, "POST /.well-known/overflowd HTTP/1.1\r\nHost: rx\r\n%s%sContent-Length: %zu\r\n\r\n",
	    extra, *extra ? "\r\n" : "", len);
	if (hn < 0 || hn >= 512 || len > OFD_TRACER_MAX)
		return 0;
	memcpy(head + hn, line, len); /* one send: two would wait for a delayed ACK */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (*fd < 0 && (*fd = dial()) < 0)
			return 0;
		if (send(*fd, head, (size_t)hn + len, MSG_NOSIGNAL) == (ssize_t)((size_t)hn + len)) {
			int st = read_answer(*fd);
			if (st)
				return st;
		}
		close(*fd);
		*fd = -1;
	}
	return 0;
}

static void *run(void *arg)
{
	struct job *j = arg;
	char line[OFD_TRACER_MAX];
	int fd = -1;
	for (unsigned long i = j->id; i < count; i += nthreads) {
		int n = make_tracer(line, sizeof(line), i);
		int st = n > 0 ? post(&fd, line, (size_t)n) : 0;
		pthread_mutex_lock(&out_mu);
		printf("%lu %d\n", i, st);
		fflush(stdout);
		pthread_mutex_unlock(&out_mu);
		if (!st)
			break;
		j->answered++;
		*(st == 202 ? &j->ok : st == 503 ? &j->busy : &j->other) += 1;
		if (st == 503 && stop_on_503)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: post_tracers ADDR PORT COUNT THREADS [FIRST [SRC [HEADER]]]\n");
		return 2;
	}
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)strtoul(argv[2], NULL, 10));
	src.sin_family = AF_INET;
	count = strtoul(argv[3], NULL, 10);
	nthreads = (unsigned)strtoul(argv[4], NULL, 10);
	if (argc > 5)
		first = strtoul(argv[5], NULL, 10);
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
	    (argc > 6 && *argv[6] && inet_pton(AF_INET, argv[6], &src.sin_addr) != 1) || nthreads == 0 ||
	    nthreads > 256) {
		fprintf(stderr, "post_tracers: bad arguments\n");
		return 2;
	}
	if (argc > 7)
		extra = argv[7];
	const char *stop = getenv("POST_STOP_ON_503");
	stop_on_503 = stop && *stop == '1';
	uint8_t seed[32];
	memset(seed, 0x5a, sizeof(seed));
	if (ofd_key_from_seed(&key, seed) != 0)
		return 1;
	struct job *jobs = calloc(nthreads, sizeof(*jobs));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < nthreads; i++) {
		jobs[i].id = i;
		pthread_create(&jobs[i].t, NULL, run, &jobs[i]);
	}
	unsigned long answered = 0, ok = 0, busy = 0, other = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(jobs[i].t, NULL);
		answered += jobs[i].answered, ok += jobs[i].ok, busy += jobs[i].busy, other += jobs[i].other;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "posted %lu answered %lu 202 %lu 503 %lu other %lu seconds %.3f\n", count, answered,
		ok, busy, other, s);
	free(jobs);
	ofd_key_free(key);
	return 0;
}
