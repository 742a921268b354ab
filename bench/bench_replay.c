/*
 * bench_replay: send the UDP payloads of a capture to a collector on 127.0.0.1, fast but
 * without overrunning its socket.
 *
 *   bench_replay --port P [--times K] [--max-queue BYTES] [--wait S] [--stop-pid PID] FILE
 *
 * Every UDP datagram of FILE is loaded into memory, then the payloads are sent K times (default
 * 1) in file order to 127.0.0.1:P from one connected socket. Pacing: the receive queue of the
 * socket bound to port P (rx_queue in /proc/net/udp and udp6) is watched, and sending pauses
 * while it holds more than BYTES (default 4 MiB; keep it below the receiver's SO_RCVBUF), so a
 * collector is never overrun by the sender. With --stop-pid, the receiving process is stopped
 * (SIGSTOP) while its queue fills up to BYTES and continued (SIGCONT) until it has drained it,
 * so it reads from a full queue and its CPU time is not spent waking up once per datagram. The
 * program first waits up to S seconds (default 10) for a socket on port P, and at the end until
 * its queue is empty. Prints
 *
 *   REPLAY datagrams=N bytes=B pauses=X drops=D wall_s=T
 *
 * where drops is the growth of the receiving socket's drop counter during the run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"

struct payloads {
	size_t *off, *len;
	uint8_t *bytes;
	size_t n, cap, bytes_len, bytes_cap;
};

struct rxq {
	int found;
	uint64_t queue, drops;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int load(struct payloads *pl, const char *path)
{
	struct ofd_pcapfile *pf;
	if (ofd_pcapfile_open(&pf, path))
		return -1;
	struct ofd_dgram dg;
	int rc = 0;
	while (ofd_pcapfile_next(pf, &dg, NULL) > 0) {
		size_t cap = pl->cap;
		if (grow((void **)&pl->off, &cap, pl->n + 1, sizeof(size_t)) ||
		    grow((void **)&pl->len, &pl->cap, pl->n + 1, sizeof(size_t)) ||
		    grow((void **)&pl->bytes, &pl->bytes_cap, pl->bytes_len + dg.len, 1)) {
			rc = -1;
			break;
		}
		memcpy(pl->bytes + pl->bytes_len, dg.data, dg.len);
		pl->off[pl->n] = pl->bytes_len;
		pl->len[pl->n] = dg.len;
		pl->bytes_len += dg.len;
		pl->n++;
	}
	ofd_pcapfile_close(pf);
	return rc;
}

/* Sum rx_queue and drops of the sockets bound to port in one /proc/net/udp* table. */
static void rxq_scan(const char *table, uint16_t port, struct rxq *q)
{
	FILE *f = fopen(table, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char local[64], remote[64];
		unsigned st, txq, rxq, port_hex;
		unsigned long long drops;
		/* sl local rem st tx:rx tr:when retr uid timeout inode ref pointer drops */
		if (sscanf(line, " %*u: %63s %63s %x %x:%x %*x:%*x %*x %*u %*u %*u %*u %*x %llu", local,
			   remote, &st, &txq, &rxq, &drops) != 6)
			continue;
		char *colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port_hex) != 1 || port_hex != port)
			continue;
		q->found = 1;
		q->queue += rxq;
		q->drops += drops;
	}
	fclose(f);
}

static struct rxq rxq_read(uint16_t port)
{
	struct rxq q = {0};
	rxq_scan("/proc/net/udp", port, &q);
	rxq_scan("/proc/net/udp6", port, &q);
	return q;
}

static int send_one(int fd, const uint8_t *p, size_t len)
{
	for (;;) {
		if (send(fd, p, len, 0) >= 0)
			return 0;
		if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
			nap_us(50);
			continue;
		}
		return -errno;
	}
}

/* Wait until the receiver's queue holds at most `limit` bytes. */
static void wait_queue(uint16_t port, uint64_t limit, uint64_t *pauses)
{
	while (rxq_read(port).queue > limit) {
		++*pauses;
		nap_us(200);
	}
}

/*
 * Send every payload `times` times. Without stop_pid, sending pauses while the receiver's queue
 * holds more than max_queue. With stop_pid, the receiver is kept stopped (SIGSTOP) while its
 * queue fills up to max_queue, then continued until it has drained the queue completely.
 */
static int replay(const struct payloads *pl, int fd, uint16_t port, uint32_t times, uint64_t max_queue,
		  pid_t stop_pid, uint64_t *pauses)
{
	uint64_t sent = 0;
	if (stop_pid > 0)
		kill(stop_pid, SIGSTOP);
	for (uint32_t k = 0; k < times; k++) {
		for (size_t i = 0; i < pl->n; i++) {
			/* every 32 datagrams, let the receiver catch up if it is behind */
			if ((++sent & 31) == 0 && rxq_read(port).queue > max_queue) {
				if (stop_pid > 0)
					kill(stop_pid, SIGCONT);
				wait_queue(port, stop_pid > 0 ? 0 : max_queue, pauses);
				if (stop_pid > 0)
					kill(stop_pid, SIGSTOP);
			}
			int rc = send_one(fd, pl->bytes + pl->off[i], pl->len[i]);
			if (rc) {
				fprintf(stderr, "bench_replay: send: %s\n", strerror(-rc));
				return rc;
			}
		}
	}
	if (stop_pid > 0)
		kill(stop_pid, SIGCONT);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},	 {"times", required_argument, NULL, 't'},
	    {"max-queue", required_argument, NULL, 'q'}, {"wait", required_argument, NULL, 'w'},
	    {"stop-pid", required_argument, NULL, 's'},	 {NULL, 0, NULL, 0},
	};
	unsigned long port = 0, times = 1;
	long stop_pid = 0;
	unsigned long long max_queue = 4u << 20;
	double wait_s = 10;
	int c, bad = 0;
	char *end;
	while ((c = getopt_long(argc, argv, "p:t:q:w:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = strtoul(optarg, &end, 10), bad |= *end || port == 0 || port > 65535; break;
		case 't':
			times = strtoul(optarg, &end, 10), bad |= *end || times == 0 || times > 1000000;
			break;
		case 'q': max_queue = strtoull(optarg, &end, 10), bad |= *end != '\0'; break;
		case 's': stop_pid = strtol(optarg, &end, 10), bad |= *end || stop_pid <= 0; break;
		case 'w': wait_s = strtod(optarg, &end), bad |= *end != '\0'; break;
		default: bad = 1;
		}
	}
	if (bad || port == 0 || optind != argc - 1) {
		fprintf(stderr, "usage: bench_replay --port P [--times K] [--max-queue BYTES] [--wait S] "
				"[--stop-pid PID] FILE\n");
		return 2;
	}
	ofd_log_set_level(OFD_LOG_ERR);
	struct payloads pl = {0};
	int rc = 1, fd = -1;
	if (load(&pl, argv[optind]) || pl.n == 0) {
		fprintf(stderr, "bench_replay: %s: no datagrams\n", argv[optind]);
		goto free_payloads;
	}
	double t_wait = now_s();
	struct rxq q0;
	while (!(q0 = rxq_read((uint16_t)port)).found) {
		if (now_s() - t_wait > wait_s) {
			fprintf(stderr, "bench_replay: nothing listens on udp port %lu\n", port);
			goto free_payloads;
		}
		nap_us(20000);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("bench_replay: socket");
		goto close_fd;
	}
	int sndbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	uint64_t pauses = 0;
	double t0 = now_s();
	if (replay(&pl, fd, (uint16_t)port, (uint32_t)times, max_queue, (pid_t)stop_pid, &pauses))
		goto close_fd;
	struct rxq q1;
	while ((q1 = rxq_read((uint16_t)port)).found && q1.queue > 0)
		nap_us(1000);
	double t1 = now_s();
	printf("REPLAY datagrams=%" PRIu64 " bytes=%" PRIu64 " pauses=%" PRIu64 " drops=%" PRIu64
	       " wall_s=%.3f\n",
	       (uint64_t)pl.n * times, (uint64_t)pl.bytes_len * times, pauses,
	       q1.drops >= q0.drops ? q1.drops - q0.drops : 0, t1 - t0);
	rc = 0;
close_fd:
	if (fd >= 0)
		close(fd);
free_payloads:
	free(pl.off);
	free(pl.len);
	free(pl.bytes);
	return rc;
}
