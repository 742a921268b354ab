/*
 * bench_deliver: the tracer sender's delivery to answering destinations while others do not
 * answer on HTTP. Run inside a private network namespace (bench/deliver_netns.sh sets it up):
 * 10.1.0.0/16 is local (ip route add local ... dev lo), 10.2.0.0/16 goes to a tun device nobody
 * reads (SYNs vanish: silent hosts).
 *
 *   bench_deliver [--answering N] [--bad M] [--kind silent|tarpit] [--rate R] [--seconds S]
 *
 * N answering hosts 10.1.0.1.. (an HTTP server answering 200 on port 80 of each, one UDP socket
 * on port 65535 counting datagrams to them), M bad hosts: silent (10.2.0.1..: SYNs dropped) or
 * tarpits (10.1.1.1..: listeners that complete handshakes and never answer). R tracers per second
 * (default 100) for S seconds (default 20), each about a flow from answering host i (round robin)
 * to bad host j (round robin; no second end when M is 0), offered to a sender with UDP and HTTP,
 * no rate limits, no dedup, connect timeout 2 s and total timeout 5 s (as the tracer segment's
 * defaults set them), then flushed. Prints the share of the answering hosts' deliveries made
 * (UDP and HTTP), overall and in the last half of the run (after warm-up), and the sender's
 * reasons for what it did not send:
 *
 *   RESULT bench=deliver kind=K bad=M answering=N offered=O udp=U http=H udp_share=X
 *          http_share=Y udp_share_2nd_half=X2 http_share_2nd_half=Y2 not_sent=reason:n,...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tracer/send.h"

#define MAXH	  1024
#define HTTP_PORT 80
#define UDP_PORT  65535
#define NSEC	  UINT64_C(1000000000)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_deliver: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- peers: answering HTTP, tarpits, UDP (one epoll thread) ---- */

struct conn {
	int fd;
	size_t len;
	char buf[16384];
};

static atomic_uint_fast64_t Http[2], Udp[2]; /* [0] first half, [1] second half (by arrival) */
static uint64_t Half_ns;		     /* monotonic time at the middle of the offering */
static atomic_int Stop;

static int listen_on(uint32_t addr, uint16_t port, int type, int backlog)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0), one = 1;
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, backlog) != 0)
		die("listen");
	return fd;
}

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add(&c[mono_ns() >= Half_ns], 1);
}

/* A complete request in c (headers and Content-Length bytes of body)? */
static int request_done(const struct conn *c)
{
	const char *end = NULL;
	for (size_t i = 0; i + 4 <= c->len; i++)
		if (memcmp(c->buf + i, "\r\n\r\n", 4) == 0) {
			end = c->buf + i + 4;
			break;
		}
	if (!end)
		return 0;
	size_t body = 0;
	for (const char *p = c->buf; p < end; p++)
		if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0)
			body = strtoul(p + 15, NULL, 10);
	return c->len >= (size_t)(end - c->buf) + body;
}

static void on_conn(int ep, struct conn *c)
{
	ssize_t n;
	while ((n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len)) > 0)
		c->len += (size_t)n;
	if (request_done(c)) {
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		if (write(c->fd, ok, sizeof(ok) - 1) == (ssize_t)sizeof(ok) - 1)
			count(Http);
	} else if (n < 0 && errno == EAGAIN && c->len < sizeof(c->buf)) {
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* 10.1.0.0/24: the answering hosts */
static int is_answering(uint32_t a)
{
	return (a >> 8) == ((10u << 16) | (1u << 8));
}

/* Datagrams waiting on fd: those to answering hosts (IP_PKTINFO) are counted. */
static void udp_read(int fd, char *buf, size_t cap)
{
	for (;;) {
		char cbuf[256];
		struct iovec iov = {buf, cap};
		struct msghdr m = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		if (recvmsg(fd, &m, MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				if (is_answering(ntohl(pi.ipi_addr.s_addr)))
					count(Udp);
			}
	}
}

struct peers {
	int ep, udp;
	int lfd[MAXH], nl;
};

static void *peers_main(void *arg)
{
	struct peers *p = arg;
	struct epoll_event ev[64];
	char buf[2048];
	while (!atomic_load(&Stop)) {
		int n = epoll_wait(p->ep, ev, 64, 100);
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;
			if (tag == (void *)&p->udp) {
				udp_read(p->udp, buf, sizeof(buf));
			} else if ((int *)tag >= p->lfd && (int *)tag < p->lfd + MAXH) {
				int fd;
				while ((fd = accept4(*(int *)tag, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct conn *c = calloc(1, sizeof(*c));
					if (!c)
						die("calloc");
					c->fd = fd;
					struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
					epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &e);
				}
			} else {
				on_conn(p->ep, tag);
			}
		}
	}
	return NULL;
}

/* ---- main ---- */

static uint32_t answering(unsigned i)
{
	return (10u << 24) | (1u << 16) | (i + 1);
}
static uint32_t tarpit(unsigned i)
{
	return (10u << 24) | (1u << 16) | (1u << 8) | (i + 1);
}
static uint32_t silent(unsigned i)
{
	return (10u << 24) | (2u << 16) | (i + 1);
}

int main(int argc, char **argv)
{
	unsigned nans = 100, nbad = 0, rate = 100, secs = 20, tarpits = 0;
	static const struct option opts[] = {{"answering", 1, 0, 'a'}, {"bad", 1, 0, 'b'},
					     {"kind", 1, 0, 'k'},      {"rate", 1, 0, 'r'},
					     {"seconds", 1, 0, 's'},   {0, 0, 0, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a': nans = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'b': nbad = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': tarpits = strcmp(optarg, "tarpit") == 0; break;
		case 'r': rate = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': secs = (unsigned)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (nans == 0 || nans > 250 || nbad > 250 || rate == 0 || secs == 0)
		return 2;
	struct peers p = {.ep = epoll_create1(0)};
	p.udp = listen_on(0, UDP_PORT, SOCK_DGRAM, 0);
	int one = 1, big = 8 << 20;
	setsockopt(p.udp, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(p.udp, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &p.udp};
	epoll_ctl(p.ep, EPOLL_CTL_ADD, p.udp, &e);
	for (unsigned i = 0; i < nans; i++) {
		p.lfd[p.nl] = listen_on(answering(i), HTTP_PORT, SOCK_STREAM, 1024);
		e.data.ptr = &p.lfd[p.nl];
		epoll_ctl(p.ep, EPOLL_CTL_ADD, p.lfd[p.nl++], &e);
	}
	for (unsigned i = 0; tarpits && i < nbad; i++)
		(void)listen_on(tarpit(i), HTTP_PORT, SOCK_STREAM, 1024); /* never accepted */
	pthread_t th;
	pthread_create(&th, NULL, peers_main, &p);

	struct ofd_prefix allow;
	if (ofd_prefix_parse(&allow, "10.0.0.0/8") != 0)
		return 1;
	struct ofd_sender_cfg c = {.methods = OFD_SEND_UDP | OFD_SEND_HTTP,
				   .udp_port = UDP_PORT,
				   .http_port = HTTP_PORT,
				   .allow = &allow,
				   .nallow = 1,
				   .addr_rate = -1,
				   .global_rate = -1,
				   .dedup_window_s = OFD_SEND_DEDUP_OFF,
				   .connect_timeout_ms = 2000,
				   .total_timeout_ms = 5000};
	struct ofd_sender *s = NULL;
	char err[256];
	if (ofd_sender_new(&s, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_deliver: %s\n", err);
		return 1;
	}
	uint64_t total = (uint64_t)rate * secs, t0 = mono_ns(), now_wall = UINT64_C(1700000000) * NSEC;
	Half_ns = t0 + (uint64_t)secs * NSEC / 2;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t at = t0 + i * NSEC / rate;
		struct timespec ts = {(time_t)(at / NSEC), (long)(at % NSEC)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		struct ofd_flow f;
		memset(&f, 0, sizeof(f));
		uint32_t a = htonl(answering((unsigned)(i % nans)));
		ofd_ip_set4(&f.src_addr, (const uint8_t *)&a);
		if (nbad) {
			uint32_t b =
			    htonl(tarpits ? tarpit((unsigned)(i % nbad)) : silent((unsigned)(i % nbad)));
			ofd_ip_set4(&f.dst_addr, (const uint8_t *)&b);
		}
		f.src_port = (uint16_t)(1024 + i % 60000);
		f.dst_port = 80;
		f.proto = 6;
		f.time_flow_start_ns = now_wall + i;
		char t[64];
		int len = snprintf(t, sizeof(t), "{\"bench\": %llu}", (unsigned long long)i);
		ofd_sender_offer(s, &f, t, (size_t)len, now_wall + i * NSEC / rate);
	}
	ofd_sender_flush(s, 7000);
	struct ofd_sender_stats st;
	ofd_sender_stats(s, &st);
	atomic_store(&Stop, 1);
	pthread_join(th, NULL);
	uint64_t half = total / 2, h = Http[0] + Http[1], u = Udp[0] + Udp[1];
	printf("RESULT bench=deliver kind=%s bad=%u answering=%u offered=%llu udp=%llu http=%llu "
	       "udp_share=%.3f http_share=%.3f udp_share_2nd_half=%.3f http_share_2nd_half=%.3f not_sent=",
	       tarpits ? "tarpit" : "silent", nbad, nans, (unsigned long long)total, (unsigned long long)u,
	       (unsigned long long)h, (double)u / (double)total, (double)h / (double)total,
	       (double)Udp[1] / (double)(total - half), (double)Http[1] / (double)(total - half));
	const char *sep = "";
	for (int i = 0; i < OFD_SD__COUNT; i++)
		if (st.not_sent[i]) {
			printf("%s%s:%llu", sep, ofd_send_drop_name((enum ofd_send_drop)i),
			       (unsigned long long)st.not_sent[i]);
			sep = ",";
		}
	printf("%s\n", *sep ? "" : "none");
	ofd_sender_free(s);
	return 0;
}
