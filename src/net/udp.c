/*
 * UDP listeners: parse the listen string, bind non-blocking sockets, receive in recvmmsg()
 * bursts into one slab allocated at open.
 *
 * Each socket has SO_RXQ_OVFL on, so every datagram carries the socket's drop counter as it
 * was when the datagram was queued; the difference to the last value seen is added to
 * drops[OFD_DROP_KERNEL]. Drops after the last queued datagram therefore show up with the next
 * datagram received on that socket. The receive time is CLOCK_REALTIME, taken once per burst.
 */
#include "udp.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ofd/log.h"
#include "ofd/time.h"

#define UDP_MAX_SOCKS 16
#define UDP_BURST     64
#define UDP_SLOT      65536 /* larger than any UDP payload */
#define UDP_MAX_ROUNDS                                                                                       \
	256 /* bursts per socket and ofd_udp_poll call, so that a flood cannot starve the caller */

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

struct udp_sock {
	int fd;
	uint16_t port;
	uint32_t ovfl; /* last SO_RXQ_OVFL value seen */
};

union udp_ctl {
	char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct timespec))];
	struct cmsghdr align;
};

struct ofd_udp {
	unsigned n;
	struct udp_sock s[UDP_MAX_SOCKS];
	struct pollfd pfd[UDP_MAX_SOCKS];
	struct ofd_udp_stats st;
	struct ofd_ratelimit rl;
	uint8_t *slab; /* UDP_BURST slots of UDP_SLOT bytes */
	struct mmsghdr msgs[UDP_BURST];
	struct iovec iov[UDP_BURST];
	struct sockaddr_in6 names[UDP_BURST]; /* large enough for sockaddr_in too */
	union udp_ctl ctl[UDP_BURST];
};

/* One parsed listen item: address family (AF_INET, AF_INET6, or AF_UNSPEC for "all") etc. */
struct udp_spec {
	int family;
	uint8_t addr[16];
	uint16_t port;
};

/* Split "scheme://host:port" (item of length n) into spec. Errors name the offending part. */
static int spec_parse(struct udp_spec *sp, const char *item, size_t n)
{
	static const char *const schemes[] = {"udp://", "netflow://", "sflow://"};
	size_t sl = 0;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !sl; i++) {
		size_t l = strlen(schemes[i]);
		if (n >= l && memcmp(item, schemes[i], l) == 0)
			sl = l;
	}
	if (!sl) {
		ofd_err("listen \"%.*s\": unknown scheme (expected udp://, netflow:// or sflow://)", (int)n,
			item);
		return OFD_ECONFIG;
	}
	const char *h = item + sl, *end = item + n, *colon;
	char host[64] = "";
	size_t hl;
	if (h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb || rb + 1 >= end || rb[1] != ':') {
			ofd_err("listen \"%.*s\": bad bracketed IPv6 address (expected [addr]:port)", (int)n,
				item);
			return OFD_ECONFIG;
		}
		hl = (size_t)(rb - h - 1);
		h++;
		colon = rb + 1;
		sp->family = AF_INET6;
	} else {
		colon = memrchr(h, ':', (size_t)(end - h));
		if (!colon) {
			ofd_err("listen \"%.*s\": missing :port", (int)n, item);
			return OFD_ECONFIG;
		}
		hl = (size_t)(colon - h);
		sp->family = hl ? AF_INET : AF_UNSPEC;
	}
	if (hl >= sizeof(host)) {
		ofd_err("listen \"%.*s\": address too long", (int)n, item);
		return OFD_ECONFIG;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (sp->family == AF_INET6 && hl == 0)
		sp->family = AF_UNSPEC; /* "[]:port" */
	else if (sp->family != AF_UNSPEC && inet_pton(sp->family, host, sp->addr) != 1) {
		ofd_err("listen \"%.*s\": bad %s address \"%s\"%s", (int)n, item,
			sp->family == AF_INET ? "IPv4" : "IPv6", host,
			sp->family == AF_INET ? " (IPv6 literals go in brackets; hostnames are not resolved)"
					      : "");
		return OFD_ECONFIG;
	}
	if (sp->family == AF_INET6 && memcmp(sp->addr, &in6addr_any, 16) == 0)
		sp->family = AF_UNSPEC; /* "[::]" listens on IPv4 too */
	const char *p = colon + 1;
	unsigned long port = 0;
	if (p == end || end - p > 5)
		goto bad_port;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			goto bad_port;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		goto bad_port;
	sp->port = (uint16_t)port;
	return 0;
bad_port:
	ofd_err("listen \"%.*s\": bad port \"%.*s\" (0-65535)", (int)n, item, (int)(end - colon - 1),
		colon + 1);
	return OFD_ECONFIG;
}

/* Socket options common to every listener; rcvbuf > 0 asks for that receive buffer; reuse: one
   of several workers' sockets on the same address and port (SO_REUSEPORT). */
static int sock_setup(int fd, int rcvbuf, int reuse, const char *what)
{
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		return -errno;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
		ofd_warn("%s: SO_RXQ_OVFL unavailable, kernel drops will not be counted", what);
	if (rcvbuf > 0) {
		/* SO_RCVBUFFORCE passes rmem_max when we have CAP_NET_ADMIN */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0)
			return -errno;
		int got = 0;
		socklen_t gl = sizeof(got);
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0)
			ofd_info("%s: receive buffer %d bytes granted (asked %d)", what, got, rcvbuf);
	}
	return 0;
}

/* Bind one socket for spec; family AF_UNSPEC means [::] dual-stack, else 0.0.0.0. */
static int sock_open(struct udp_sock *s, const struct udp_spec *sp, int family, int rcvbuf, int reuse,
		     const char *what)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(sp->port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(sp->port)};
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int err = sock_setup(fd, rcvbuf, reuse, what);
	if (err)
		goto close_fd;
	int rc;
	if (family == AF_INET6) {
		int v6only = sp->family == AF_INET6;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) {
			err = -errno;
			goto close_fd;
		}
		if (sp->family == AF_INET6)
			memcpy(&a6.sin6_addr, sp->addr, 16);
		rc = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	} else {
		if (sp->family == AF_INET)
			memcpy(&a4.sin_addr, sp->addr, 4);
		rc = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	}
	if (rc != 0) {
		err = -errno;
		goto close_fd;
	}
	struct sockaddr_in6 local;
	socklen_t ll = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &ll) != 0) {
		err = -errno;
		goto close_fd;
	}
	s->fd = fd;
	s->port = ntohs(local.sin6_port); /* same offset in sockaddr_in */
	s->ovfl = 0;
	return 0;
close_fd:
	close(fd);
	return err;
}

/* Open the socket(s) of one listen item; with `like` (a worker after the first), on the port
   that worker's socket of the same item got, and with SO_REUSEPORT. */
static int udp_add(struct ofd_udp *u, const char *item, size_t n, int rcvbuf, int reuse,
		   const struct ofd_udp *like)
{
	struct udp_spec sp;
	char what[128];
	int err = spec_parse(&sp, item, n);
	if (err)
		return err;
	if (like && u->n < like->n)
		sp.port = like->s[u->n].port; /* port 0 got a port from the kernel: share it */
	if (u->n == UDP_MAX_SOCKS) {
		ofd_err("listen \"%.*s\": more than %d listeners", (int)n, item, UDP_MAX_SOCKS);
		return OFD_ELIMIT;
	}
	snprintf(what, sizeof(what), "listen \"%.*s\"", (int)n, item);
	struct udp_sock *s = &u->s[u->n];
	if (sp.family == AF_UNSPEC) {
		err = sock_open(s, &sp, AF_INET6, rcvbuf, reuse, what);
		if (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL) {
			ofd_info("%s: IPv6 unavailable (%s), listening on 0.0.0.0", what, strerror(-err));
			err = sock_open(s, &sp, AF_INET, rcvbuf, reuse, what);
		}
	} else {
		err = sock_open(s, &sp, sp.family, rcvbuf, reuse, what);
	}
	if (err) {
		ofd_err("%s: %s", what, strerror(-err));
		return err;
	}
	u->pfd[u->n].fd = s->fd;
	u->pfd[u->n].events = POLLIN;
	u->n++;
	return 0;
}

static int udp_open(struct ofd_udp **out, const char *listen, int rcvbuf, int reuse,
		    const struct ofd_udp *like)
{
	int err = 0;
	struct ofd_udp *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->slab = malloc((size_t)UDP_BURST * UDP_SLOT);
	if (!u->slab) {
		err = -ENOMEM;
		goto free_u;
	}
	for (const char *p = listen;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0) {
			ofd_err("listen \"%s\": empty listener", listen);
			err = OFD_ECONFIG;
			goto close_socks;
		}
		err = udp_add(u, p, n, rcvbuf, reuse, like);
		if (err)
			goto close_socks;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (unsigned i = 0; i < UDP_BURST; i++) {
		u->iov[i].iov_base = u->slab + (size_t)i * UDP_SLOT;
		u->iov[i].iov_len = UDP_SLOT;
		u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
		u->msgs[i].msg_hdr.msg_iovlen = 1;
		u->msgs[i].msg_hdr.msg_name = &u->names[i];
		u->msgs[i].msg_hdr.msg_control = u->ctl[i].buf;
	}
	*out = u;
	return 0;
close_socks:
	for (unsigned i = 0; i < u->n; i++)
		close(u->s[i].fd);
	free(u->slab);
free_u:
	free(u);
	return err;
}

int ofd_udp_open(struct ofd_udp **out, const char *listen, int rcvbuf)
{
	return udp_open(out, listen, rcvbuf, 0, NULL);
}

/*
 * The reuseport program (classic BPF, run by the kernel on each datagram's UDP payload; its
 * result is the index of the worker socket, in the order the sockets were bound; a result
 * beyond the last socket falls back to the kernel's hash of addresses and ports). NetFlow v5
 * and sFlow v5 datagrams carry no state between them, so they are spread by a hash of their
 * sequence numbers, and one busy exporter keeps every worker busy. NetFlow v9 and IPFIX go by
 * the address hash, so that each exporter's templates stay with one worker. A datagram shorter
 * than 32 bytes (too short for a record or a sample) also goes by the address hash, so that a
 * flood of runts is not all put on one worker.
 */
static int attach_spread(int fd, unsigned workers)
{
	enum { NOT_V5 = 6, SPREAD = 14, OTHER = 18 };
	struct sock_filter code[] = {
	    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),		   /* payload length */
	    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 32, 0, OTHER - 2), /* a runt? */
	    /* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),		   /* version (16 bits) */
	    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, NOT_V5 - 4), /* NetFlow v5? */
	    /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),		   /* flow_sequence */
	    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JA, SPREAD - 6, 0, 0),
	    /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* sFlow: version (32 bits) */
	    /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, OTHER - 8),
	    /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4), /* agent address type */
	    /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
	    /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16), /* IPv4 agent: sequence number */
	    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JA, SPREAD - 12, 0, 0),
	    /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, OTHER - 13),
	    /* 13 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 28),	       /* IPv6 agent: sequence number */
	    /* 14 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u), /* v5 sequences step by records */
	    /* 15 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
	    /* 16 */ BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
	    /* 17 */ BPF_STMT(BPF_RET | BPF_A, 0),
	    /* 18 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) == 0 ? 0 : -errno;
}

int ofd_udp_open_workers(struct ofd_udp **out, unsigned workers, const char *listen, int rcvbuf)
{
	int err = 0;
	if (workers == 0 || workers > OFD_UDP_MAX_WORKERS)
		return OFD_ECONFIG;
	memset(out, 0, workers * sizeof(*out));
	if (workers == 1)
		return udp_open(out, listen, rcvbuf, 0, NULL);
	for (unsigned w = 0; w < workers && !err; w++)
		err = udp_open(&out[w], listen, rcvbuf, 1, w ? out[0] : NULL);
	for (unsigned i = 0; !err && i < out[0]->n; i++) {
		int rc = attach_spread(out[0]->s[i].fd, workers);
		if (rc)
			ofd_warn("udp port %u: no reuseport program (%s): datagrams go by the kernel's "
				 "address hash, one exporter to one worker",
				 out[0]->s[i].port, strerror(-rc));
	}
	if (err) {
		for (unsigned w = 0; w < workers; w++)
			ofd_udp_close(out[w]);
		memset(out, 0, workers * sizeof(*out));
	}
	return err;
}

uint16_t ofd_udp_port(const struct ofd_udp *u, unsigned i)
{
	return i < u->n ? u->s[i].port : 0;
}

/* Sender address of a received message; v4-mapped IPv6 becomes IPv4. */
static void msg_src(struct ofd_dgram *dg, const struct msghdr *h)
{
	const struct sockaddr_in6 *a6 = h->msg_name;
	if (a6->sin6_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
			ofd_ip_set4(&dg->src, a6->sin6_addr.s6_addr + 12);
		else
			ofd_ip_set6(&dg->src, a6->sin6_addr.s6_addr);
		dg->src_port = ntohs(a6->sin6_port);
	} else {
		const struct sockaddr_in *a4 = h->msg_name;
		ofd_ip_set4(&dg->src, (const uint8_t *)&a4->sin_addr);
		dg->src_port = ntohs(a4->sin_port);
	}
}

/* Kernel drop counter carried by a message (SO_RXQ_OVFL): add the growth to the stats. */
static void msg_ovfl(struct ofd_udp *u, struct udp_sock *s, struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL ||
		    c->cmsg_len < CMSG_LEN(sizeof(uint32_t)))
			continue;
		uint32_t v;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		uint32_t d = v - s->ovfl; /* the counter wraps at 2^32 */
		if (d && d < 0x80000000u) {
			u->st.drops[OFD_DROP_KERNEL] += d;
			s->ovfl = v;
		}
	}
}

/*
 * One recvmmsg burst on socket i. Returns the messages delivered or a negative error (-EAGAIN
 * when the queue was empty); *more says whether the burst was full, so more may be queued.
 */
static int udp_burst(struct ofd_udp *u, unsigned i, ofd_udp_fn fn, void *ctx, int *more)
{
	struct udp_sock *s = &u->s[i];
	*more = 0;
	for (unsigned k = 0; k < UDP_BURST; k++) {
		u->msgs[k].msg_hdr.msg_namelen = sizeof(u->names[k]);
		u->msgs[k].msg_hdr.msg_controllen = sizeof(u->ctl[k].buf);
		u->msgs[k].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(s->fd, u->msgs, UDP_BURST, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	struct ofd_dgram dg = {.time_ns = ofd_time_now_ns()};
	int delivered = 0;
	for (int k = 0; k < n; k++) {
		struct msghdr *h = &u->msgs[k].msg_hdr;
		if (h->msg_controllen)
			msg_ovfl(u, s, h);
		if (h->msg_flags & MSG_TRUNC) {
			u->st.drops[OFD_DROP_SOCKET]++;
			continue;
		}
		msg_src(&dg, h);
		dg.data = u->iov[k].iov_base;
		dg.len = u->msgs[k].msg_len;
		u->st.datagrams++;
		u->st.bytes += dg.len;
		delivered++;
		fn(&dg, ctx);
	}
	/* a short burst means the queue is empty: skip the call that would say EAGAIN */
	*more = n == UDP_BURST;
	return delivered;
}

int ofd_udp_poll(struct ofd_udp *u, int timeout_ms, ofd_udp_fn fn, void *ctx)
{
	int rc = poll(u->pfd, u->n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	int total = 0;
	unsigned active = 0; /* bit i: socket i may have more queued */
	for (unsigned i = 0; i < u->n; i++)
		if (u->pfd[i].revents)
			active |= 1u << i;
	/* round-robin one burst per ready socket, so one busy socket cannot starve another */
	for (unsigned round = 0; active && round < UDP_MAX_ROUNDS; round++) {
		for (unsigned i = 0; i < u->n; i++) {
			if (!(active & (1u << i)))
				continue;
			int more;
			int n = udp_burst(u, i, fn, ctx, &more);
			if (!more)
				active &= ~(1u << i);
			if (n == -EINTR)
				return total;
			if (n < 0 && n != -EAGAIN) {
				u->st.drops[OFD_DROP_SOCKET]++;
				ofd_log_rl(&u->rl, OFD_LOG_WARN, "udp port %u: receive error: %s",
					   u->s[i].port, strerror(-n));
			}
			if (n > 0)
				total += n;
		}
	}
	return total;
}

const struct ofd_udp_stats *ofd_udp_stats(const struct ofd_udp *u)
{
	return &u->st;
}

void ofd_udp_close(struct ofd_udp *u)
{
	if (!u)
		return;
	for (unsigned i = 0; i < u->n; i++)
		close(u->s[i].fd);
	free(u->slab);
	free(u);
}
