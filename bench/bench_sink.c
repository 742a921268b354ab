/*
 * bench_sink: a UDP receiver that only counts, so an exporter sending to 127.0.0.1 has a live
 * destination (no ICMP port-unreachable errors) while tcpdump records its export.
 *
 *   bench_sink --port P
 *
 * Binds 127.0.0.1:P with a 32 MiB receive buffer (SO_RCVBUFFORCE when permitted) and counts
 * datagrams until SIGINT or SIGTERM, then counts what is still queued and prints "SINK datagrams=N bytes=B"
 * on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long port = 0;
	char *end = NULL;
	if (argc == 3 && strcmp(argv[1], "--port") == 0)
		port = strtoul(argv[2], &end, 10);
	if (port == 0 || port > 65535 || !end || *end) {
		fprintf(stderr, "usage: bench_sink --port P\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recv returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("bench_sink: socket");
		return 1;
	}
	int rc = 1, buf = 32 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("bench_sink: bind");
		goto close_fd;
	}
	uint64_t n = 0, bytes = 0;
	static uint8_t dgram[65536];
	while (!stop) {
		ssize_t r = recv(fd, dgram, sizeof(dgram), 0);
		if (r >= 0) {
			n++;
			bytes += (uint64_t)r;
		} else if (errno != EINTR) {
			perror("bench_sink: recv");
			goto close_fd;
		}
	}
	/* what arrived before the signal still counts */
	ssize_t r;
	while ((r = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT)) >= 0) {
		n++;
		bytes += (uint64_t)r;
	}
	printf("SINK datagrams=%" PRIu64 " bytes=%" PRIu64 "\n", n, bytes);
	rc = 0;
close_fd:
	close(fd);
	return rc;
}
