/*
 * A tiny HTTP/1.1 responder on a real loopback socket for the influx output's test: one thread
 * accepts connections on 127.0.0.1 (a free port), reads requests (head up to 16 KiB,
 * Content-Length body up to 1 MiB) on each connection while it stays open (keep-alive), keeps
 * each request's first line, head and body, and answers them in turn with the statuses of a
 * script (then 204), with a JSON error body for a 4xx/5xx. Include after segtest.h.
 */
#ifndef OFD_TEST_HTTP_PEER_H
#define OFD_TEST_HTTP_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PEER_MAX 16

struct peer_req {
	char line[512];
	char head[16384];
	char *body;
	size_t body_len;
};

struct peer {
	int fd;
	unsigned port;
	pthread_t thr;
	int script[PEER_MAX];
	unsigned nscript;
	const char *error; /* the body of a 4xx/5xx answer */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a request came */
	struct peer_req req[PEER_MAX];
	unsigned nreq;
};

/* Read until the head is complete; then the body. 1 a request, 0 the connection ended. */
static int peer_read(int c, struct peer_req *r)
{
	size_t len = 0;
	char *end = NULL;
	memset(r, 0, sizeof(*r));
	while (!end) {
		if (len >= sizeof(r->head) - 1)
			return 0;
		ssize_t n = recv(c, r->head + len, 1, 0); /* byte by byte: the body stays in the socket */
		if (n <= 0)
			return 0;
		len += (size_t)n;
		r->head[len] = 0;
		end = strstr(r->head, "\r\n\r\n");
	}
	const char *eol = strstr(r->head, "\r\n");
	snprintf(r->line, sizeof(r->line), "%.*s", (int)(eol - r->head), r->head);
	const char *cl = strcasestr(r->head, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
	if (want > (1u << 20))
		return 0;
	r->body = calloc(1, want + 1);
	assert_non_null(r->body);
	while (r->body_len < want) {
		ssize_t n = recv(c, r->body + r->body_len, want - r->body_len, 0);
		if (n <= 0)
			return 0;
		r->body_len += (size_t)n;
	}
	return 1;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	for (;;) {
		int c = accept(p->fd, NULL, NULL);
		if (c < 0)
			return NULL; /* shut down */
		struct peer_req r;
		while (peer_read(c, &r)) {
			pthread_mutex_lock(&p->mu);
			unsigned k = p->nreq;
			int status = k < p->nscript ? p->script[k] : 204;
			if (k < PEER_MAX)
				p->req[p->nreq++] = r;
			else
				free(r.body);
			r.body = NULL; /* the list's now */
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			char ans[1024];
			const char *body = status >= 400 ? p->error : "";
			int n = snprintf(ans, sizeof(ans),
					 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
					 "%zu\r\n\r\n%s",
					 status, strlen(body), body);
			if (send(c, ans, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
		free(r.body);
		close(c);
	}
}

static void peer_start(struct peer *p, const int *script, unsigned n, const char *error)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (n)
		memcpy(p->script, script, n * sizeof(*script));
	p->nscript = n;
	p->error = error ? error : "{\"error\":\"failed\"}";
	p->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &l), 0);
	p->port = ntohs(a.sin_port);
	assert_int_equal(listen(p->fd, 8), 0);
	assert_int_equal(pthread_create(&p->thr, NULL, peer_main, p), 0);
}

/* After the output closed its connections (harness freed); the requests stay for reading. */
static void peer_stop(struct peer *p)
{
	shutdown(p->fd, SHUT_RDWR);
	pthread_join(p->thr, NULL);
	close(p->fd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* Wait until n requests came, at most ms; whether they did. */
static int peer_wait(struct peer *p, unsigned n, unsigned ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&p->mu);
	int rc = 0;
	while (p->nreq < n && rc == 0)
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
	int ok = p->nreq >= n;
	pthread_mutex_unlock(&p->mu);
	return ok;
}

/* The requests' bodies. */
static void peer_free(struct peer *p)
{
	for (unsigned i = 0; i < p->nreq; i++)
		free(p->req[i].body);
	p->nreq = 0;
}

#endif
