/*
 * Sockets of the ipfix and netflow9 outputs (see export_send.h).
 */
#include "export_send.h"

#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ofd/err.h"

#define BACKOFF_MAX_NS	  (60ull * 1000000000ull)
#define TCP_WRITE_WAIT_MS 1000 /* a connection that takes nothing for this long is dropped */
#define SEND_MAX	  64   /* messages per sendmmsg */

int fx_target_parse(struct fx_target *t, const char *s, int tcp, uint64_t min_backoff_ns)
{
	int dual = 0;
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (ofd_hostport_parse(s, &t->ss, &dual) || dual)
		return OFD_ECONFIG;
	if (t->ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&t->ss;
		if (a->sin_addr.s_addr == 0 || a->sin_port == 0)
			return OFD_ECONFIG;
		t->sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&t->ss;
		static const struct in6_addr any = IN6ADDR_ANY_INIT;
		if (memcmp(&a->sin6_addr, &any, sizeof(any)) == 0 || a->sin6_port == 0)
			return OFD_ECONFIG;
		t->sl = sizeof(*a);
	}
	(void)ofd_hostport_str(&t->ss, t->name, sizeof(t->name));
	t->tcp = tcp;
	t->min_backoff = min_backoff_ns ? min_backoff_ns : 1000000000ull;
	t->backoff_ns = t->min_backoff;
	return 0;
}

int fx_target_open(struct fx_target *t)
{
	if (t->tcp)
		return 0;
	int fd = socket(t->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&t->ss, t->sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	t->fd = fd;
	return 0;
}

/* TCP: the connection is gone or never came; the next attempt after the backoff. */
static void tcp_drop(struct fx_target *t, uint64_t now_ns)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->up = 0;
	t->retry_ns = now_ns + t->backoff_ns;
	t->backoff_ns = t->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : t->backoff_ns * 2;
}

/* TCP: the connection is up. */
static int tcp_up(struct fx_target *t, struct fx_send_stats *st)
{
	t->up = 1;
	t->backoff_ns = t->min_backoff;
	st->connects++;
	return 1;
}

int fx_target_poll(struct fx_target *t, uint64_t now_ns, struct fx_send_stats *st)
{
	if (!t->tcp || t->up)
		return 0;
	if (t->fd < 0) {
		if (now_ns < t->retry_ns)
			return 0;
		if (t->retry_ns)
			st->reconnects++;
		t->fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (t->fd < 0) {
			tcp_drop(t, now_ns);
			return 0;
		}
		if (connect(t->fd, (const struct sockaddr *)&t->ss, t->sl) == 0)
			return tcp_up(t, st);
		if (errno != EINPROGRESS) {
			tcp_drop(t, now_ns);
			return 0;
		}
	}
	struct pollfd p = {.fd = t->fd, .events = POLLOUT};
	if (poll(&p, 1, 0) <= 0)
		return 0; /* still connecting */
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		tcp_drop(t, now_ns);
		return 0;
	}
	return tcp_up(t, st);
}

/* TCP: all of n bytes, waiting for room up to TCP_WRITE_WAIT_MS at a time. 0 or -1. */
static int tcp_write(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			if (poll(&pf, 1, TCP_WRITE_WAIT_MS) > 0)
				continue;
		}
		return -1;
	}
	return 0;
}

static void lose(struct fx_send_stats *st, const uint32_t *recs, unsigned from, unsigned n)
{
	for (unsigned i = from; i < n; i++) {
		st->errors++;
		st->lost_records += recs[i];
	}
}

void fx_target_send(struct fx_target *t, uint8_t *const *msg, const size_t *len, const uint32_t *recs,
		    unsigned n, uint64_t now_ns, struct fx_send_stats *st)
{
	if (t->tcp) {
		if (!t->up) {
			lose(st, recs, 0, n);
			return;
		}
		for (unsigned i = 0; i < n; i++) {
			if (tcp_write(t->fd, msg[i], len[i])) {
				lose(st, recs, i, n);
				tcp_drop(t, now_ns);
				return;
			}
		}
		return;
	}
	if (t->fd < 0) {
		lose(st, recs, 0, n);
		return;
	}
	struct mmsghdr mm[SEND_MAX];
	struct iovec iov[SEND_MAX];
	for (unsigned at = 0; at < n;) {
		unsigned k = n - at < SEND_MAX ? n - at : SEND_MAX;
		for (unsigned i = 0; i < k; i++) {
			iov[i] = (struct iovec){msg[at + i], len[at + i]};
			mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		int r = sendmmsg(t->fd, mm, k, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) { /* the first of them failed (ECONNREFUSED, ENOBUFS, ...): lost, go on */
			lose(st, recs, at, at + 1);
			at++;
			continue;
		}
		at += (unsigned)r;
	}
}

void fx_target_close(struct fx_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->up = 0;
}
