/*
 * The HTTP server wrapper (contract in httpd.h). The listening socket is made here, handed to
 * libmicrohttpd with MHD_OPTION_LISTEN_SOCKET; MHD polls the connections in its own thread(s)
 * and calls access() for every request, once on the headers and, for a route that takes a
 * body, once per piece of the body and a last time when it is all in.
 */
#include "net/httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/hostport.h"
#include "ofd/log.h"
#include "util/fileio.h"

#define PEM_MAX		 (256u << 10)
#define DEFAULT_CONNS	 64
#define DEFAULT_TIMEOUT	 30
#define DEFAULT_BACKLOG	 64
#define DEFAULT_NOTFOUND "not found\n"

struct ofd_httpd {
	struct MHD_Daemon *mhd;
	struct ofd_httpd_route routes[OFD_HTTPD_ROUTES_MAX];
	unsigned nroutes;
	const char *not_found;
	char *tls_cert, *tls_key; /* PEM text: MHD reads it while it runs */
	uint16_t port;
	char addr[OFD_HOSTPORT_STRLEN];
};

/* A request whose body is being collected. */
struct body_req {
	const struct ofd_httpd_route *route;
	size_t len;
	int too_large;
	char body[]; /* route->max_body + 1 */
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
}

/* ---- answering ---- */

static enum MHD_Result queue(struct MHD_Connection *c, const struct ofd_httpd_resp *rs, const char *allow)
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
	enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text,
				  const char *allow)
{
	struct ofd_httpd_resp rs;
	ofd_httpd_text(&rs, status, text);
	return queue(c, &rs, allow);
}

/* The peer's address; 0.0.0.0 when unknown. */
static void peer_of(struct MHD_Connection *c, struct ofd_ip *ip)
{
	static const uint8_t zero[4];
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	ofd_ip_set4(ip, zero);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)(const void *)sa;
		ofd_ip_set4(ip, (const uint8_t *)&a4->sin_addr);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
			ofd_ip_set4(ip, a6->sin6_addr.s6_addr + 12);
		else
			ofd_ip_set6(ip, a6->sin6_addr.s6_addr);
	}
}

/* Run the route's handler on the whole request and queue its answer. */
static enum MHD_Result handle(const struct ofd_httpd_route *rt, struct MHD_Connection *c, const char *url,
			      const char *method, const char *body, size_t len, int too_large)
{
	struct ofd_httpd_req rq = {
	    .method = method, .path = url, .body = body ? body : "", .len = len, .too_large = too_large};
	struct ofd_httpd_resp rs;
	ofd_httpd_text(&rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	peer_of(c, &rq.peer);
	rt->handle(rt->ctx, &rq, &rs);
	return queue(c, &rs, NULL);
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

/* The first call of a request: answer at once, or set up the body buffer. */
static enum MHD_Result first_call(struct ofd_httpd *h, struct MHD_Connection *c, const char *url,
				  const char *method, void **con_cls)
{
	const struct ofd_httpd_route *rt = route_of(h, url);
	if (!rt)
		return queue_text(c, MHD_HTTP_NOT_FOUND, h->not_found, NULL);
	if (!method_listed(rt->methods, method))
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", rt->methods);
	if (rt->max_body == 0)
		return handle(rt, c, url, method, NULL, 0, 0);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > rt->max_body)
		return handle(rt, c, url, method, NULL, 0, 1); /* at once: the body is never read */
	struct body_req *q = malloc(sizeof(*q) + rt->max_body + 1);
	if (!q)
		return MHD_NO;
	q->route = rt;
	q->len = 0;
	q->too_large = 0;
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
	q->body[q->len] = 0;
	return handle(q->route, c, url, method, q->body, q->len, q->too_large);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode t)
{
	(void)cls, (void)c, (void)t;
	free(*con_cls);
	*con_cls = NULL;
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
	free(h->tls_cert);
	free(h->tls_key);
	free(h);
}

static struct MHD_Daemon *mhd_start(struct ofd_httpd *h, const struct ofd_httpd_cfg *cfg, int fd, int family)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[8];
	int n = 0;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					   cfg->connections ? cfg->connections : DEFAULT_CONNS, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
					   cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, NULL};
	if (cfg->threads > 1)
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
	if (h->tls_cert) {
		flags |= MHD_USE_TLS;
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
	}
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

int ofd_httpd_start(struct ofd_httpd **out, const struct ofd_httpd_cfg *cfg, char *err, size_t errlen)
{
	*out = NULL;
	struct ofd_httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	int family = AF_UNSPEC, rc = prepare(h, cfg, err, errlen);
	int fd = rc ? rc : bind_addr(cfg, &family, err, errlen);
	if (fd < 0) {
		httpd_free(h);
		return fd;
	}
	bound_addr(h, fd);
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

void ofd_httpd_stop(struct ofd_httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd); /* joins its threads, closes the connections and the socket */
	httpd_free(h);
}
