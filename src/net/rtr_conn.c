/* The RTR client over TCP: see rtr_conn.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/rtr_conn.h"

struct ofd_rtr_conn {
	struct ofd_rtr_conn_opts o;
	char *host, *port;
	struct ofd_rtr *rtr;
	int stop_rd, stop_wr;
	atomic_int stopping;
	struct ofd_rtr_conn_stats stats;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(struct ofd_rtr_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct ofd_rtr_conn *c, const char *fmt, ...)
{
	if (!c->o.on_log)
		return;
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->o.on_log(c->o.ctx, buf);
}

int ofd_rtr_conn_new(struct ofd_rtr_conn **out, const struct ofd_rtr_conn_opts *o)
{
	struct ofd_rtr_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->o = *o;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 5000;
	if (c->o.backoff_min_ms <= 0)
		c->o.backoff_min_ms = 1000;
	if (c->o.backoff_max_ms < c->o.backoff_min_ms)
		c->o.backoff_max_ms = c->o.backoff_min_ms > 60000 ? c->o.backoff_min_ms : 60000;
	c->host = strdup(o->host ? o->host : "");
	c->port = strdup(o->port ? o->port : "");
	int p[2];
	if (!c->host || !c->port || ofd_rtr_new(&c->rtr, &o->rtr) != 0) {
		free(c->host);
		free(c->port);
		free(c);
		return -ENOMEM;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		int e = errno;
		ofd_rtr_free(c->rtr);
		free(c->host);
		free(c->port);
		free(c);
		return -e;
	}
	c->stop_rd = p[0];
	c->stop_wr = p[1];
	*out = c;
	return 0;
}

void ofd_rtr_conn_stop(struct ofd_rtr_conn *c)
{
	atomic_store(&c->stopping, 1);
	char b = 1;
	ssize_t w = write(c->stop_wr, &b, 1);
	(void)w;
}

const struct ofd_rtr_conn_stats *ofd_rtr_conn_stats(const struct ofd_rtr_conn *c)
{
	return &c->stats;
}

const struct ofd_rtr *ofd_rtr_conn_rtr(const struct ofd_rtr_conn *c)
{
	return c->rtr;
}

void ofd_rtr_conn_free(struct ofd_rtr_conn *c)
{
	if (!c)
		return;
	close(c->stop_rd);
	close(c->stop_wr);
	ofd_rtr_free(c->rtr);
	free(c->host);
	free(c->port);
	free(c);
}

/* Wait up to ms for fd's events or the stop pipe: poll's revents for fd, 0 on timeout, -1 on stop. */
static int wait_fd(struct ofd_rtr_conn *c, int fd, short events, int64_t ms)
{
	struct pollfd p[2] = {{c->stop_rd, POLLIN, 0}, {fd, events, 0}};
	if (ms > 3600000)
		ms = 3600000;
	int n = poll(p, fd >= 0 ? 2 : 1, (int)(ms < 0 ? 0 : ms));
	if (atomic_load(&c->stopping))
		return -1;
	if (n <= 0)
		return 0;
	return fd >= 0 ? p[1].revents : 0;
}

/* A connected non-blocking socket, or -1 (logged). */
static int dial(struct ofd_rtr_conn *c)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(c->host, c->port, &hints, &res);
	if (rc != 0) {
		logf_(c, "rtr %s:%s: %s", c->host, c->port, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			logf_(c, "rtr %s:%s: connect: %s", c->host, c->port, strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		int ev = wait_fd(c, fd, POLLOUT, c->o.connect_timeout_ms);
		int err = 0;
		socklen_t el = sizeof(err);
		if (ev < 0 || ev == 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			if (ev == 0)
				logf_(c, "rtr %s:%s: connect timed out", c->host, c->port);
			else if (ev > 0)
				logf_(c, "rtr %s:%s: connect: %s", c->host, c->port,
				      strerror(err ? err : errno));
			close(fd);
			fd = -1;
			if (ev < 0)
				break;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* Write what the state machine holds (waiting for room up to 1 s at a time): 0 or -1. */
static int flush(struct ofd_rtr_conn *c, int fd)
{
	size_t len;
	const uint8_t *p;
	while ((p = ofd_rtr_output(c->rtr, &len)) != NULL && len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w > 0) {
			ofd_rtr_sent(c->rtr, (size_t)w);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, fd, POLLOUT, 1000) <= 0)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* Handle events; 1 when the connection is to be closed. */
static int events(struct ofd_rtr_conn *c, int ev, int *backoff)
{
	if (ev & OFD_RTR_EV_SET) {
		struct ofd_vrpset *s = ofd_rtr_take_set(c->rtr);
		*backoff = c->o.backoff_min_ms;
		if (s) {
			atomic_fetch_add(&c->stats.sets, 1);
			if (c->o.on_set)
				c->o.on_set(c->o.ctx, s);
			else
				ofd_vrpset_free(s);
		}
	}
	if (ev & OFD_RTR_EV_ERROR)
		logf_(c, "rtr %s:%s: %s", c->host, c->port, ofd_rtr_last_error(c->rtr));
	if ((ev & OFD_RTR_EV_EXPIRED) && c->o.on_expired)
		c->o.on_expired(c->o.ctx);
	return (ev & OFD_RTR_EV_CLOSE) != 0;
}

/* One session on fd until it ends: 0; 1 when the state machine forgot its session after a
   failed Serial Query, unanswered or refused (OFD_RTR_EV_RESET: reconnect at once, with a Reset
   Query); -1 when stopping. */
static int session(struct ofd_rtr_conn *c, int fd, int *backoff)
{
	uint8_t *buf = malloc(65536);
	if (!buf)
		return 0;
	int rc = 0, reset = 0;
	int ev = ofd_rtr_connected(c->rtr, now_ms());
	for (;;) {
		reset |= ev & OFD_RTR_EV_RESET;
		int closing = events(c, ev, backoff);
		if (flush(c, fd) != 0 || closing) {
			ev = ofd_rtr_disconnected(c->rtr, now_ms());
			reset |= ev & OFD_RTR_EV_RESET;
			(void)events(c, ev, backoff);
			break;
		}
		int64_t now = now_ms();
		int r = wait_fd(c, fd, POLLIN, ofd_rtr_next_ms(c->rtr, now));
		if (r < 0) {
			rc = -1;
			break;
		}
		now = now_ms();
		ev = 0;
		if (r & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf, 65536, 0);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				logf_(c, "rtr %s:%s: %s", c->host, c->port,
				      n == 0 ? "connection closed by the cache" : strerror(errno));
				ev = ofd_rtr_disconnected(c->rtr, now);
				reset |= ev & OFD_RTR_EV_RESET;
				(void)events(c, ev, backoff);
				break;
			}
			ev = ofd_rtr_feed(c->rtr, buf, (size_t)n, now);
		}
		ev |= ofd_rtr_tick(c->rtr, now);
	}
	free(buf);
	return rc < 0 ? rc : reset ? 1 : 0;
}

int ofd_rtr_conn_run(struct ofd_rtr_conn *c)
{
	int backoff = c->o.backoff_min_ms;
	while (!atomic_load(&c->stopping)) {
		int fd = dial(c);
		if (fd >= 0) {
			atomic_fetch_add(&c->stats.connects, 1);
			int rc = session(c, fd, &backoff);
			close(fd);
			if (rc < 0)
				break;
			atomic_fetch_add(&c->stats.disconnects, 1);
			if (rc > 0) {
				/* a Reset Query next: not a retry of what failed, so no wait (a Reset
				   Query that fails too waits the backoff: no loop) */
				atomic_fetch_add(&c->stats.resets, 1);
				continue;
			}
		} else {
			atomic_fetch_add(&c->stats.connect_failures, 1);
		}
		/* wait the backoff, still watching expiry */
		int64_t until = now_ms() + backoff;
		backoff = backoff * 2 > c->o.backoff_max_ms ? c->o.backoff_max_ms : backoff * 2;
		for (;;) {
			int64_t now = now_ms();
			if (now >= until)
				break;
			int64_t ms = until - now;
			int64_t nx = ofd_rtr_next_ms(c->rtr, now);
			if (wait_fd(c, -1, 0, nx < ms ? nx + 1 : ms) < 0)
				return 0;
			(void)events(c, ofd_rtr_tick(c->rtr, now_ms()) & OFD_RTR_EV_EXPIRED, &backoff);
		}
	}
	return 0;
}
