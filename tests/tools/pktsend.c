/*
 * pktsend: UDP flows of known size, for the live capture tests and benchmarks (run it in the
 * network namespace of a veth pair; the capture is on the other end).
 *
 *   pktsend DST_ADDR DPORT FLOWS PACKETS SIZE [SPORT]
 *
 * Flow i (0..FLOWS-1) goes from source port SPORT+i (default 40000) to DST_ADDR port DPORT+i:
 * PACKETS+i datagrams of SIZE+i payload bytes; the flows take turns, each a sendmmsg burst of up
 * to 64 datagrams, as fast as the kernel takes them. DST_ADDR is IPv4 or IPv6.
 * Prints one line per flow as the capture should see it (the IP length as bytes):
 *
 *   udp SPORT DPORT PACKETS BYTES
 *
 * and a last line "sent N" with the datagrams the kernel accepted. Exit 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BURST 64

static unsigned long arg(const char *s, const char *what, unsigned long max)
{
	char *e;
	errno = 0;
	unsigned long v = strtoul(s, &e, 10);
	if (errno || *e || v > max) {
		fprintf(stderr, "pktsend: %s: bad number %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: pktsend DST_ADDR DPORT FLOWS PACKETS SIZE [SPORT]\n");
		return 2;
	}
	unsigned long dport = arg(argv[2], "DPORT", 65535), flows = arg(argv[3], "FLOWS", 10000),
		      pkts = arg(argv[4], "PACKETS", 1ul << 40), size = arg(argv[5], "SIZE", 8000),
		      sport = argc > 6 ? arg(argv[6], "SPORT", 65535) : 40000;
	if (!flows || dport + flows - 1 > 65535 || sport + flows - 1 > 65535 || size + flows > 9000) {
		fprintf(stderr, "pktsend: ports or sizes out of range\n");
		return 2;
	}
	struct sockaddr_storage dst = {0};
	socklen_t dlen;
	int v6 = strchr(argv[1], ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&dst;
		a->sin6_family = AF_INET6;
		dlen = sizeof(*a);
		if (inet_pton(AF_INET6, argv[1], &a->sin6_addr) != 1)
			goto badaddr;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&dst;
		a->sin_family = AF_INET;
		dlen = sizeof(*a);
		if (inet_pton(AF_INET, argv[1], &a->sin_addr) != 1)
			goto badaddr;
	}
	int *fd = calloc(flows, sizeof(int));
	unsigned long *left = calloc(flows, sizeof(unsigned long));
	char *buf = calloc(1, size + flows);
	if (!fd || !left || !buf)
		return 1;
	for (unsigned long i = 0; i < flows; i++) {
		fd[i] = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_storage src = {0};
		if (v6) {
			((struct sockaddr_in6 *)&src)->sin6_family = AF_INET6;
			((struct sockaddr_in6 *)&src)->sin6_port = htons((uint16_t)(sport + i));
		} else {
			((struct sockaddr_in *)&src)->sin_family = AF_INET;
			((struct sockaddr_in *)&src)->sin_port = htons((uint16_t)(sport + i));
		}
		struct sockaddr_storage d = dst;
		if (v6)
			((struct sockaddr_in6 *)&d)->sin6_port = htons((uint16_t)(dport + i));
		else
			((struct sockaddr_in *)&d)->sin_port = htons((uint16_t)(dport + i));
		int one = 1;
		if (fd[i] < 0 || setsockopt(fd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd[i], (struct sockaddr *)&src, dlen) ||
		    connect(fd[i], (struct sockaddr *)&d, dlen)) {
			fprintf(stderr, "pktsend: socket for flow %lu: %s\n", i, strerror(errno));
			return 1;
		}
		left[i] = pkts + i;
	}
	struct mmsghdr m[BURST];
	struct iovec iov[BURST];
	unsigned long sent = 0;
	for (int more = 1; more;) {
		more = 0;
		for (unsigned long i = 0; i < flows; i++) {
			if (!left[i])
				continue;
			unsigned n = left[i] < BURST ? (unsigned)left[i] : BURST;
			for (unsigned k = 0; k < n; k++) {
				iov[k] = (struct iovec){.iov_base = buf, .iov_len = size + i};
				m[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[k], .msg_iovlen = 1}};
			}
			int r = sendmmsg(fd[i], m, n, 0);
			if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR))
				r = 0;
			if (r < 0) {
				fprintf(stderr, "pktsend: send: %s\n", strerror(errno));
				return 1;
			}
			left[i] -= (unsigned long)r;
			sent += (unsigned long)r;
			more |= left[i] != 0;
		}
	}
	for (unsigned long i = 0; i < flows; i++)
		printf("udp %lu %lu %lu %lu\n", sport + i, dport + i, pkts + i,
		       (pkts + i) * ((v6 ? 48 : 28) + size + i));
	printf("sent %lu\n", sent);
	for (unsigned long i = 0; i < flows; i++)
		close(fd[i]);
	free(fd);
	free(left);
	free(buf);
	return 0;
badaddr:
	fprintf(stderr, "pktsend: not an IPv4 or IPv6 address: %s\n", argv[1]);
	return 2;
}
