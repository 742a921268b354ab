/*
 * tmplflood HOST PORT [MESSAGES [ADDRESSES [FIRST_ADDRESS [RATE]]]]
 *
 * The template-cache attack for the end-to-end test (tests/e2e/test_tmpl_flood.sh): MESSAGES
 * (default 4200) IPFIX messages of 148 bytes, each one template of 31 fields and no data, to
 * HOST:PORT (IPv4), message i from FIRST_ADDRESS + i % ADDRESSES (default 10.0.0.0 and 4096)
 * as its UDP source, bound on a fresh socket: run it where those addresses are local (a private
 * network namespace with `ip route add local 10.0.0.0/8 dev lo`). Message i defines template
 * 256 + i / ADDRESSES, so an address sending a second message defines a second template. At
 * most RATE messages a second (default 20000; 0: no pacing), so that a collector's socket
 * buffer keeps up on a loaded machine. Prints "sent N" and exits 0, or 1 on the first error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_v9ipfix.h"

static unsigned long arg(int argc, char **argv, int i, unsigned long def)
{
	if (i >= argc)
		return def;
	char *end;
	unsigned long v = strtoul(argv[i], &end, 10);
	if (*end || !argv[i][0]) {
		fprintf(stderr, "tmplflood: '%s' is not a number\n", argv[i]);
		exit(2);
	}
	return v;
}

/* Wait until message i is due at `rate` a second from start. */
static void pace(const struct timespec *start, unsigned long i, unsigned long rate)
{
	if (!rate)
		return;
	uint64_t ns = (uint64_t)i * 1000000000ull / rate;
	struct timespec due = {start->tv_sec + (time_t)(ns / 1000000000ull),
			       start->tv_nsec + (long)(ns % 1000000000ull)};
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = {.sin_family = AF_INET}, from = {.sin_family = AF_INET};
	if (argc < 3 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: tmplflood HOST PORT [MESSAGES [ADDRESSES [FIRST_ADDRESS [RATE]]]]\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)arg(argc, argv, 2, 0));
	unsigned long msgs = arg(argc, argv, 3, 4200), naddr = arg(argc, argv, 4, 4096);
	struct in_addr first = {htonl(0x0a000000u)};
	if (argc > 5 && inet_pton(AF_INET, argv[5], &first) != 1) {
		fprintf(stderr, "tmplflood: '%s' is not an IPv4 address\n", argv[5]);
		return 2;
	}
	unsigned long rate = arg(argc, argv, 6, 20000);
	if (!naddr)
		naddr = 1;
	struct gv_field f[31];
	for (int i = 0; i < 31; i++)
		f[i] = (struct gv_field){(uint16_t)(i + 1), 4, 0};
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned long i = 0; i < msgs; i++) {
		struct gv_msg m = {0};
		gv_ipfix_begin(&m, (uint32_t)time(NULL), (uint32_t)i, 0);
		gv_set_begin(&m, 2);
		gv_template(&m, (uint16_t)(256 + i / naddr), f, 31);
		size_t len = gv_end(&m);
		from.sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)(i % naddr));
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		pace(&start, i, rate);
		if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
		    sendto(fd, m.g.p, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
			fprintf(stderr, "tmplflood: message %lu from %s: %s\n", i, inet_ntoa(from.sin_addr),
				strerror(errno));
			return 1;
		}
		close(fd);
		gv_free(&m);
	}
	printf("sent %lu\n", msgs);
	return 0;
}
