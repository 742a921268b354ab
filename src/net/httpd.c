/*
 * The HTTP server wrapper (contract in httpd.h). The listening socket is made here, handed to
 * libmicrohttpd with MHD_OPTION_LISTEN_SOCKET; MHD polls the connections in its own thread(s)
 * and calls access() for every request, once on the headers and, for a route that takes a
 * body, once per piece of the body and a last time when it is all in.
 */
#include "net/httpd.h"
#include "net/httpd_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/hostport.h"
#include "ofd/log.h"
#include "ofd/time.h"
#include "util/fileio.h"

#define PEM_MAX		 (256u << 10)
#define DEFAULT_CONNS	 64
#define DEFAULT_TIMEOUT	 30
#define DEFAULT_BACKLOG	 64
#define DEFAULT_NOTFOUND "not found\n"

/*
 * A deferred answer, shared by the request (until MHD completes it) and the answerer (until
 * ofd_httpd_answer): two references. Its own lock orders answer and resume against the
 * request's end, so it never touches a connection MHD has finished with, and it needs no
 * server to be answered.
 */
struct ofd_httpd_defer {
	struct ofd_httpd_defer *prev, *next; /* in h->defers, while the request lasts */
	pthread_mutex_t mu;
	struct MHD_Connection *c; /* NULL once the request is over */
	int refs;
	int suspended; /* the connection waits for the answer */
	int answered;  /* rs holds the answer */
	int taken;     /* rs's owned body went to MHD */
	int forced;    /* answered by the stopping server, not by the answerer */
	struct ofd_httpd_resp rs;
};

struct ofd_httpd {
	struct MHD_Daemon *mhd;
	struct ofd_httpd_route routes[OFD_HTTPD_ROUTES_MAX];
	unsigned nroutes;
	/* routes added while serving (ofd_httpd_route_add): their handlers run under the read
	   lock, so that ofd_httpd_route_del() returns only once none runs */
	pthread_rwlock_t dyn_lock;
	struct ofd_httpd_route dyn[OFD_HTTPD_ROUTES_MAX];
	unsigned ndyn;
	const char *not_found;
	const char *const *headers; /* cfg.headers */
	enum ofd_httpd_fwd fwd;
	char *tls_cert, *tls_key; /* PEM text: MHD reads it while it runs */
	uint16_t port;
	char addr[OFD_HOSTPORT_STRLEN];
	struct hguard g;
	struct ofd_httpd_defer defers; /* the requests waiting for an answer (g.mu): a circular list */
	int no_defer;		       /* stopping: no new deferred answers (g.mu) */
	int guard_ok;
	/* libmicrohttpd's messages, rate-limited (an attack makes one per closed connection) */
	const char *name;
	pthread_mutex_t log_mu;
	uint64_t log_window_ns;
	unsigned log_n, log_dropped;
};

/* A request in progress (MHD's con_cls): its body being collected, its deferred answer. */
struct body_req {
	const struct ofd_httpd_route *route;
	struct ofd_httpd_defer *defer;
	int handled; /* the handler ran */
	size_t len;
	int too_large;
	char body[]; /* route->max_body + 1 */
};

/* What ofd_httpd_defer() reaches through rq->conn_ while a handler runs. */
struct handling {
	struct ofd_httpd *h;
	struct MHD_Connection *c;
	struct ofd_httpd_defer *d;
};

void ofd_httpd_text(struct ofd_httpd_resp *rs, unsigned status, const char *text)
{
	size_t n = strlen(text);
	n = n < sizeof(rs->text) ? n : sizeof(rs->text) - 1;
	memmove(rs->text, text, n); /* text may be rs->text itself */
	rs->text[n] = 0;
	rs->status = status;
	rs->type = OFD_HTTPD_TEXT;
	rs->body = rs->text;
	rs->len = n;
	rs->owned = 0;
	rs->retry_after_s = 0;
}

/* ---- answering ---- */

static enum MHD_Result queue(const struct ofd_httpd *h, struct MHD_Connection *c,
			     const struct ofd_httpd_resp *rs, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    rs->len, (void *)(uintptr_t)rs->body, rs->owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (!r) {
		if (rs->owned)
			free((void *)(uintptr_t)rs->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type ? rs->type : OFD_HTTPD_TEXT);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	for (const char *const *hv = h->headers; hv && hv[0] && hv[1]; hv += 2)
		MHD_add_response_header(r, hv[0], hv[1]);
	if (rs->retry_after_s) {
		char v[16];
		snprintf(v, sizeof(v), "%u", rs->retry_after_s);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_text(const struct ofd_httpd *h, struct MHD_Connection *c, unsigned status,
				  const char *text, const char *allow)
{
	struct ofd_httpd_resp rs;
	ofd_httpd_text(&rs, status, text);
	return queue(h, c, &rs, allow);
}

/* ---- deferred answers ---- */

/* Copy rs into d (d->mu held): a text body is copied, an owned one taken. */
static void defer_set(struct ofd_httpd_defer *d, const struct ofd_httpd_resp *rs)
{
	d->rs = *rs;
	if (rs->body == rs->text)
		d->rs.body = d->rs.text;
	d->answered = 1;
	if (d->suspended && d->c) {
		d->suspended = 0;
		MHD_resume_connection(d->c); /* MHD calls access_cb again: it queues d->rs */
	}
}

/* Answer d for its answerer, who will find it answered (the server cannot wait for it). */
static void defer_force(struct ofd_httpd_defer *d, unsigned status, const char *text)
{
	pthread_mutex_lock(&d->mu);
	if (!d->answered) {
		struct ofd_httpd_resp rs;
		ofd_httpd_text(&rs, status, text);
		d->forced = 1;
		defer_set(d, &rs);
	}
	pthread_mutex_unlock(&d->mu);
}

/* Drop a reference (d->mu held, released here); the last frees d. */
static void defer_unref(struct ofd_httpd_defer *d)
{
	int last = --d->refs == 0;
	pthread_mutex_unlock(&d->mu);
	if (!last)
		return;
	if (d->answered && d->rs.owned && !d->taken)
		free((void *)(uintptr_t)d->rs.body);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

struct ofd_httpd_defer *ofd_httpd_defer(const struct ofd_httpd_req *rq)
{
	struct handling *hd = rq->conn_;
	if (!hd || hd->d)
		return hd ? hd->d : NULL;
	struct ofd_httpd *h = hd->h;
	struct ofd_httpd_defer *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->mu, NULL);
	d->c = hd->c;
	d->refs = 2;
	pthread_mutex_lock(&h->g.mu);
	if (h->no_defer) {
		pthread_mutex_unlock(&h->g.mu);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return NULL;
	}
	d->prev = h->defers.prev, d->next = &h->defers;
	h->defers.prev->next = d, h->defers.prev = d;
	h->g.deferred++;
	pthread_mutex_unlock(&h->g.mu);
	ofd_hguard_waiting(&h->g, ofd_hguard_conn(hd->c), 1);
	hd->d = d;
	return d;
}

const char *ofd_httpd_arg(const struct ofd_httpd_req *rq, const char *name)
{
	const struct handling *hd = rq->conn_;
	return hd ? MHD_lookup_connection_value(hd->c, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

void ofd_httpd_answer(struct ofd_httpd_defer *d, const struct ofd_httpd_resp *rs)
{
	pthread_mutex_lock(&d->mu);
	if (d->answered) { /* the server stopped and answered for us */
		if (rs->owned)
			free((void *)(uintptr_t)rs->body);
	} else {
		defer_set(d, rs);
	}
	defer_unref(d);
}

/* The request of d is over (MHD completed it, answered or not). */
static void defer_end(struct ofd_httpd *h, struct ofd_httpd_defer *d)
{
	pthread_mutex_lock(&h->g.mu);
	d->prev->next = d->next, d->next->prev = d->prev;
	h->g.deferred--;
	pthread_cond_broadcast(&h->g.cv);
	pthread_mutex_unlock(&h->g.mu);
	pthread_mutex_lock(&d->mu);
	d->c = NULL;
	defer_unref(d);
}

/* After the handler deferred: queue the answer if it came already, else wait for it. */
static enum MHD_Result defer_wait(struct ofd_httpd *h, struct MHD_Connection *c, struct ofd_httpd_defer *d)
{
	pthread_mutex_lock(&d->mu);
	if (!d->answered) {
		d->suspended = 1;
		MHD_suspend_connection(c);
		pthread_mutex_unlock(&d->mu);
		return MHD_YES;
	}
	struct ofd_httpd_resp rs = d->rs;
	if (d->rs.body == d->rs.text)
		rs.body = rs.text;
	d->taken = 1;
	pthread_mutex_unlock(&d->mu);
	ofd_hguard_waiting(&h->g, ofd_hguard_conn(c), 0);
	return queue(h, c, &rs, NULL);
}

/* Stopping: wait (bounded) for the answers due, then answer the rest 503 ourselves. */
static void defers_drain(struct ofd_httpd *h)
{
	uint64_t until = ofd_time_mono_ns() + 5 * OFD_NS_PER_S;
	struct timespec ts = {(time_t)(until / OFD_NS_PER_S), (long)(until % OFD_NS_PER_S)};
	pthread_mutex_lock(&h->g.mu);
	h->no_defer = 1;
	while (h->g.deferred && pthread_cond_timedwait(&h->g.cv, &h->g.mu, &ts) == 0)
		;
	for (struct ofd_httpd_defer *d = h->defers.next; d != &h->defers; d = d->next)
		defer_force(d, 503, "shutting down\n");
	pthread_mutex_unlock(&h->g.mu);
}

/* The client's address: the peer, or behind a trusted proxy the client it names. */
static void client_of(struct ofd_httpd *h, struct MHD_Connection *c, struct ofd_httpd_req *rq)
{
	ofd_httpd_peer_of(c, &rq->peer);
	if (!ofd_hguard_trusted(&h->g, &rq->peer))
		return;
	const char *name = h->fwd == OFD_HTTPD_FWD_FORWARDED ? MHD_HTTP_HEADER_FORWARDED : "X-Forwarded-For";
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	struct ofd_ip client;
	if (v && ofd_httpd_forwarded_client(v, h->fwd, h->g.trusted, h->g.ntrusted, &client)) {
		rq->via = rq->peer;
		rq->peer = client;
	}
}

/* Run the route's handler on the whole request and queue its answer, or wait for it. */
static enum MHD_Result handle(struct ofd_httpd *h, const struct ofd_httpd_route *rt, struct MHD_Connection *c,
			      const char *url, const char *method, struct body_req *q, void **con_cls)
{
	struct handling hd = {.h = h, .c = c};
	struct ofd_httpd_req rq = {.method = method,
				   .path = url,
				   .body = q ? q->body : "",
				   .len = q ? q->len : 0,
				   .too_large = q ? q->too_large : 0,
				   .conn_ = &hd};
	struct ofd_httpd_resp rs;
	ofd_httpd_text(&rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	if (!q && rt->max_body) /* announced too large: handled unread */
		rq.too_large = 1;
	client_of(h, c, &rq);
	rt->handle(rt->ctx, &rq, &rs);
	if (q)
		q->handled = 1;
	if (!hd.d)
		return queue(h, c, &rs, NULL);
	if (rs.owned) /* a deferring handler's rs is ignored */
		free((void *)(uintptr_t)rs.body);
	if (!q) { /* a request without a body record gets one, to carry the defer */
		q = calloc(1, sizeof(*q) + 1);
		if (!q) {
			defer_force(hd.d, 503, "out of memory\n");
			defer_end(h, hd.d);
			return MHD_NO;
		}
		q->route = rt;
		q->handled = 1;
		*con_cls = q;
	}
	q->defer = hd.d;
	return defer_wait(h, c, hd.d);
}

/* ---- routing ---- */

/* 1 if method is one of the list "GET, HEAD" (exact, case-sensitive as HTTP methods are). */
static int method_listed(const char *list, const char *method)
{
	size_t n = strlen(method);
	for (const char *p = list; *p;) {
		size_t t = strcspn(p, ", ");
		if (t == n && memcmp(p, method, n) == 0)
			return 1;
		p += t;
		p += strspn(p, ", ");
	}
	return 0;
}

static const struct ofd_httpd_route *route_of(const struct ofd_httpd *h, const char *url)
{
	for (unsigned i = 0; i < h->nroutes; i++)
		if (strcmp(h->routes[i].path, url) == 0)
			return &h->routes[i];
	return NULL;
}

/* A route added while serving (they take no body): its handler runs under the read lock. */
static enum MHD_Result dyn_call(struct ofd_httpd *h, struct MHD_Connection *c, const char *url,
				const char *method, void **con_cls)
{
	pthread_rwlock_rdlock(&h->dyn_lock);
	const struct ofd_httpd_route *rt = NULL;
	for (unsigned i = 0; i < h->ndyn && !rt; i++)
		if (strcmp(h->dyn[i].path, url) == 0)
			rt = &h->dyn[i];
	enum MHD_Result r;
	if (!rt)
		r = queue_text(h, c, MHD_HTTP_NOT_FOUND, h->not_found, NULL);
	else if (!method_listed(rt->methods, method))
		r = queue_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", rt->methods);
	else
		r = handle(h, rt, c, url, method, NULL, con_cls);
	pthread_rwlock_unlock(&h->dyn_lock);
	return r;
}

int ofd_httpd_route_add(struct ofd_httpd *h, const struct ofd_httpd_route *rt, char *err, size_t errlen)
{
	if (rt->max_body) {
		snprintf(err, errlen, "%s: %s: a route added while serving takes no body", h->name, rt->path);
		return OFD_ECONFIG;
	}
	pthread_rwlock_wrlock(&h->dyn_lock);
	int rc = 0;
	int taken = route_of(h, rt->path) != NULL;
	for (unsigned i = 0; i < h->ndyn; i++)
		taken |= strcmp(h->dyn[i].path, rt->path) == 0;
	if (taken) {
		snprintf(err, errlen, "%s: %s is served already on %s", h->name, rt->path, h->addr);
		rc = OFD_ECONFIG;
	} else if (h->ndyn == OFD_HTTPD_ROUTES_MAX) {
		snprintf(err, errlen, "%s: %s: no room for another route on %s (%d)", h->name, rt->path,
			 h->addr, OFD_HTTPD_ROUTES_MAX);
		rc = OFD_ELIMIT;
	} else {
		h->dyn[h->ndyn++] = *rt;
	}
	pthread_rwlock_unlock(&h->dyn_lock);
	return rc;
}

int ofd_httpd_route_has(struct ofd_httpd *h, const char *path)
{
	pthread_rwlock_rdlock(&h->dyn_lock);
	int taken = route_of(h, path) != NULL;
	for (unsigned i = 0; i < h->ndyn; i++)
		taken |= strcmp(h->dyn[i].path, path) == 0;
	pthread_rwlock_unlock(&h->dyn_lock);
	return taken;
}

void ofd_httpd_route_del(struct ofd_httpd *h, const char *path)
{
	if (!h)
		return;
	pthread_rwlock_wrlock(&h->dyn_lock);
	for (unsigned i = 0; i < h->ndyn; i++)
		if (strcmp(h->dyn[i].path, path) == 0) {
			h->dyn[i] = h->dyn[--h->ndyn];
			break;
		}
	pthread_rwlock_unlock(&h->dyn_lock);
}

/* The first call of a request: answer at once, or set up the body buffer. */
static enum MHD_Result first_call(struct ofd_httpd *h, struct MHD_Connection *c, const char *url,
				  const char *method, void **con_cls)
{
	const struct ofd_httpd_route *rt = route_of(h, url);
	ofd_hguard_headers(&h->g, ofd_hguard_conn(c));
	if (!rt)
		return dyn_call(h, c, url, method, con_cls);
	if (!method_listed(rt->methods, method))
		return queue_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", rt->methods);
	if (rt->max_body == 0)
		return handle(h, rt, c, url, method, NULL, con_cls);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > rt->max_body)
		return handle(h, rt, c, url, method, NULL, con_cls); /* at once: the body is never read */
	struct body_req *q = malloc(sizeof(*q) + rt->max_body + 1);
	if (!q)
		return MHD_NO;
	*q = (struct body_req){.route = rt};
	*con_cls = q;
	return MHD_YES;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct body_req *q = *con_cls;
	(void)version;
	if (!q)
		return first_call(cls, c, url, method, con_cls);
	if (q->defer) /* resumed: the answer came */
		return defer_wait(cls, c, q->defer);
	if (*upload_size) {
		if (!q->too_large && *upload_size <= q->route->max_body - q->len) {
			memcpy(q->body + q->len, upload, *upload_size);
			q->len += *upload_size;
		} else {
			q->too_large = 1; /* read on, kept no more */
			q->len = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->handled) /* answered already */
		return MHD_YES;
	q->body[q->len] = 0;
	return handle(cls, q->route, c, url, method, q, con_cls);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode t)
{
	struct ofd_httpd *h = cls;
	struct body_req *q = *con_cls;
	(void)t;
	if (q && q->defer)
		defer_end(h, q->defer);
	free(q);
	*con_cls = NULL;
	ofd_hguard_completed(&h->g, ofd_hguard_conn(c));
}

/* ---- the listening socket ---- */

/* Bind and listen on ss; the socket, or a negative errno. */
static int listen_on(const struct sockaddr_storage *ss, int dual, unsigned backlog)
{
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int one = 1, v6only = !dual;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEADDR: a restart need not wait out TIME_WAIT; a port another socket listens on
	   is still refused */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only))) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, (int)backlog)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The listening socket for cfg->addr (IPv4 alone when "every address" finds no IPv6); the
   socket with *family set, or a negative error with the reason in err. */
static int bind_addr(const struct ofd_httpd_cfg *cfg, int *family, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int dual;
	if (ofd_hostport_parse(cfg->addr, &ss, &dual)) {
		snprintf(err, errlen, "%s: address \"%s\": expected " OFD_HOSTPORT_FORMS, cfg->name,
			 cfg->addr ? cfg->addr : "");
		return OFD_ECONFIG;
	}
	unsigned backlog = cfg->backlog ? cfg->backlog : DEFAULT_BACKLOG;
	int fd = listen_on(&ss, dual, backlog);
	if (fd == -EAFNOSUPPORT && dual) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
		memset(&ss, 0, sizeof(ss));
		a4->sin_family = AF_INET;
		a4->sin_port = port;
		ofd_info("%s: no IPv6 here, listening on 0.0.0.0 for %s", cfg->name, cfg->addr);
		fd = listen_on(&ss, 0, backlog);
	}
	if (fd < 0)
		snprintf(err, errlen, "%s: cannot listen on %s: %s", cfg->name, cfg->addr, strerror(-fd));
	*family = ss.ss_family;
	return fd;
}

/* The bound port and address, from the socket itself (port 0 binds any). */
static void bound_addr(struct ofd_httpd *h, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		memset(&ss, 0, sizeof(ss));
	if (ss.ss_family == AF_INET)
		h->port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		h->port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	(void)ofd_hostport_str(&ss, h->addr, sizeof(h->addr));
}

/* ---- libmicrohttpd's messages ---- */

#define LOG_WINDOW_NS  (60 * OFD_NS_PER_S)
#define LOG_PER_WINDOW 10

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct ofd_httpd *h = cls;
	char msg[256];
	uint64_t now = ofd_time_mono_ns();
	unsigned dropped = 0;
	pthread_mutex_lock(&h->log_mu);
	if (now - h->log_window_ns >= LOG_WINDOW_NS) {
		dropped = h->log_dropped;
		h->log_window_ns = now, h->log_n = 0, h->log_dropped = 0;
	}
	int say = h->log_n < LOG_PER_WINDOW;
	h->log_n += say;
	h->log_dropped += !say;
	pthread_mutex_unlock(&h->log_mu);
	if (dropped)
		ofd_warn("%s: %u more messages of the HTTP server not shown", h->name, dropped);
	if (!say)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	ofd_warn("%s: %s", h->name, msg);
}

/* ---- starting ---- */

/* A whole PEM file into *out; 0, or OFD_ECONFIG with the reason in err. */
static int read_pem(const struct ofd_httpd_cfg *cfg, const char *path, char **out, char *err, size_t errlen)
{
	size_t len = 0;
	int rc = ofd_read_file(path, PEM_MAX, out, &len);
	if (rc == 0 && len > 0)
		return 0;
	if (rc == 0)
		free(*out);
	*out = NULL;
	snprintf(err, errlen, "%s: %s: cannot read a PEM file: %s", cfg->name, path,
		 rc == 0	    ? "empty"
		 : rc == OFD_ELIMIT ? "larger than 256 KiB"
				    : strerror(-rc));
	return OFD_ECONFIG;
}

/* Check cfg and load the TLS files into h. */
static int prepare(struct ofd_httpd *h, const struct ofd_httpd_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->nroutes == 0 || cfg->nroutes > OFD_HTTPD_ROUTES_MAX) {
		snprintf(err, errlen, "%s: %u routes (1 to %d)", cfg->name, cfg->nroutes,
			 OFD_HTTPD_ROUTES_MAX);
		return OFD_ECONFIG;
	}
	memcpy(h->routes, cfg->routes, cfg->nroutes * sizeof(*cfg->routes));
	h->nroutes = cfg->nroutes;
	h->fwd = cfg->proxy_header;
	h->headers = cfg->headers;
	h->name = cfg->name;
	if (cfg->ntrusted && !cfg->trusted) {
		snprintf(err, errlen, "%s: %zu trusted proxies, no list", cfg->name, cfg->ntrusted);
		return OFD_ECONFIG;
	}
	struct ofd_httpd_cfg gc = *cfg;
	gc.connections = cfg->connections ? cfg->connections : DEFAULT_CONNS;
	if (ofd_hguard_init(&h->g, &gc)) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	h->guard_ok = 1;
	h->not_found = cfg->not_found ? cfg->not_found : DEFAULT_NOTFOUND;
	if (!cfg->tls_cert != !cfg->tls_key) {
		snprintf(err, errlen, "%s: HTTPS needs both a certificate and a key", cfg->name);
		return OFD_ECONFIG;
	}
	if (!cfg->tls_cert)
		return 0;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen, "%s: this libmicrohttpd has no TLS support", cfg->name);
		return OFD_EUNSUPPORTED;
	}
	int rc = read_pem(cfg, cfg->tls_cert, &h->tls_cert, err, errlen);
	return rc ? rc : read_pem(cfg, cfg->tls_key, &h->tls_key, err, errlen);
}

static void httpd_free(struct ofd_httpd *h)
{
	if (h->guard_ok) {
		ofd_hguard_stop(&h->g);
		ofd_hguard_fini(&h->g);
	}
	pthread_mutex_destroy(&h->log_mu);
	pthread_rwlock_destroy(&h->dyn_lock);
	free(h->tls_cert);
	free(h->tls_key);
	free(h);
}

static struct MHD_Daemon *mhd_start(struct ofd_httpd *h, const struct ofd_httpd_cfg *cfg, int fd, int family)
{
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem ops[10];
	int n = 0;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					   cfg->connections ? cfg->connections : DEFAULT_CONNS, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
					   cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, h};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)ofd_hguard_notify, &h->g};
	if (cfg->threads > 1)
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
	if (h->tls_cert) {
		flags |= MHD_USE_TLS;
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
	}
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	/* the logger first: MHD logs with its own until it has seen it */
	return MHD_start_daemon(flags, 0, ofd_hguard_accept, &h->g, access_cb, h, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, h, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

int ofd_httpd_start(struct ofd_httpd **out, const struct ofd_httpd_cfg *cfg, char *err, size_t errlen)
{
	*out = NULL;
	struct ofd_httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&h->log_mu, NULL);
	pthread_rwlock_init(&h->dyn_lock, NULL);
	h->log_window_ns = ofd_time_mono_ns();
	int family = AF_UNSPEC, rc = prepare(h, cfg, err, errlen);
	int fd = rc ? rc : bind_addr(cfg, &family, err, errlen);
	if (fd < 0) {
		httpd_free(h);
		return fd;
	}
	bound_addr(h, fd);
	h->defers.next = h->defers.prev = &h->defers;
	if ((rc = ofd_hguard_start(&h->g)) != 0) {
		close(fd);
		snprintf(err, errlen, "%s: cannot start a thread: %s", cfg->name, strerror(-rc));
		httpd_free(h);
		return rc;
	}
	h->mhd = mhd_start(h, cfg, fd, family);
	if (!h->mhd) {
		/* Whether MHD closed the socket it was given is not specified: closing it again
		   could close another thread's new descriptor, so at worst it leaks here. */
		snprintf(err, errlen, "%s: cannot start the HTTP server on %s%s", cfg->name, cfg->addr,
			 h->tls_cert ? " (a bad certificate or key?)" : "");
		httpd_free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

uint16_t ofd_httpd_port(const struct ofd_httpd *h)
{
	return h ? h->port : 0;
}

const char *ofd_httpd_addr(const struct ofd_httpd *h)
{
	return h ? h->addr : "";
}

unsigned ofd_httpd_connections(const struct ofd_httpd *h)
{
	const union MHD_DaemonInfo *di =
	    h ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
	return di ? di->num_connections : 0;
}

void ofd_httpd_stats(const struct ofd_httpd *h, struct ofd_httpd_stats *s)
{
	struct hguard *g = (struct hguard *)&h->g; /* its lock only */
	pthread_mutex_lock(&g->mu);
	*s = (struct ofd_httpd_stats){.held = g->held,
				      .refused_per_address = g->refused_per_address,
				      .refused_reserved = g->refused_reserved,
				      .deadline_headers = g->deadline_headers,
				      .deadline_request = g->deadline_request,
				      .deferred = g->deferred};
	pthread_mutex_unlock(&g->mu);
}

void ofd_httpd_stop(struct ofd_httpd *h)
{
	if (!h)
		return;
	defers_drain(h);
	MHD_stop_daemon(h->mhd); /* joins its threads, closes the connections and the socket */
	httpd_free(h);
}
