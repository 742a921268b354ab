/*
 * The metrics HTTP server (see metrics.h). libmicrohttpd runs one internal thread that polls
 * every connection, so scrapes never run concurrently and the fill callback needs no lock of
 * its own against itself; the callback reads the pipeline's counters the race-free ways the
 * engine provides.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/promtext.h"
#include "ofd/log.h"

#define METRICS_FIRST_BYTES (64u << 10)
#define METRICS_CONTENT	    "text/plain; version=0.0.4; charset=utf-8"

struct ofd_metrics {
	struct MHD_Daemon *mhd;
	ofd_metrics_fill_fn fill;
	void *ctx;
	size_t hint; /* the buffer size the last scrape needed (server thread only) */
	uint16_t port;
	char url[INET6_ADDRSTRLEN + 32];
};

int ofd_metrics_addr_parse(const char *s, struct sockaddr_storage *ss, int *dual)
{
	struct sockaddr_storage tmp;
	char host[INET6_ADDRSTRLEN + 2];
	int all = 0;
	if (!ss)
		ss = &tmp;
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || !colon[1] || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return OFD_ECONFIG;
	unsigned long port = strtoul(colon + 1, NULL, 10);
	size_t hl = (size_t)(colon - s);
	if (port > 65535 || hl >= sizeof(host))
		return OFD_ECONFIG;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (hl == 0) {
		a6->sin6_family = AF_INET6; /* in6addr_any: every address */
		all = 1;
	} else if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return OFD_ECONFIG;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return OFD_ECONFIG;
		a6->sin6_family = AF_INET6;
		all = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
	} else {
		memcpy(host, s, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return OFD_ECONFIG; /* also an IPv6 address without brackets: its port is ambiguous */
		a4->sin_family = AF_INET;
	}
	if (ss->ss_family == AF_INET)
		a4->sin_port = htons((uint16_t)port);
	else
		a6->sin6_port = htons((uint16_t)port);
	if (dual)
		*dual = all;
	return 0;
}

/* ---- HTTP ---- */

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Build the text into a buffer that grows until it fits; the response takes the buffer. */
static enum MHD_Result reply_metrics(struct ofd_metrics *m, struct MHD_Connection *c)
{
	size_t cap = m->hint;
	for (;;) {
		char *buf = malloc(cap);
		if (!buf)
			return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		struct ofd_prom w;
		ofd_prom_init(&w, buf, cap);
		int rc = m->fill(m->ctx, &w);
		int n = rc ? rc : ofd_prom_end(&w);
		if (n == OFD_ELIMIT && cap < OFD_METRICS_MAX_BYTES) {
			free(buf);
			cap *= 2;
			continue;
		}
		if (n < 0) {
			free(buf);
			ofd_err("metrics: cannot build the text: %s", ofd_strerror(n));
			return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
		}
		m->hint = cap;
		struct MHD_Response *r =
		    MHD_create_response_from_buffer((size_t)n, buf, MHD_RESPMEM_MUST_FREE);
		if (!r) {
			free(buf);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT);
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return ret;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size,
				  void **con_cls)
{
	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	return reply_metrics(cls, c);
}

/* ---- the listening socket ---- */

/* Bind and listen on ss; the socket, or a negative errno. */
static int listen_on(const struct sockaddr_storage *ss, int dual)
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
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 64)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The bound port and the URL to scrape, from the socket itself (port 0 binds any). */
static void bound_url(struct ofd_metrics *m, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		memset(&ss, 0, sizeof(ss));
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
		m->port = ntohs(a4->sin_port);
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(m->url, sizeof(m->url), "http://%s:%u/metrics", host, (unsigned)m->port);
	} else {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
		m->port = ntohs(a6->sin6_port);
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(m->url, sizeof(m->url), "http://[%s]:%u/metrics", host, (unsigned)m->port);
	}
}

int ofd_metrics_start(struct ofd_metrics **out, const char *addr, ofd_metrics_fill_fn fill, void *ctx,
		      char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int dual;
	*out = NULL;
	if (ofd_metrics_addr_parse(addr, &ss, &dual)) {
		snprintf(err, errlen, "metrics address \"%s\": expected ADDR:PORT, [IPV6]:PORT or :PORT",
			 addr);
		return OFD_ECONFIG;
	}
	int fd = listen_on(&ss, dual);
	if (fd == -EAFNOSUPPORT && dual) {
		/* no IPv6 here: every IPv4 address then */
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
		memset(&ss, 0, sizeof(ss));
		a4->sin_family = AF_INET;
		a4->sin_port = port;
		fd = listen_on(&ss, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", addr, strerror(-fd));
		return fd;
	}
	struct ofd_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	m->fill = fill;
	m->ctx = ctx;
	m->hint = METRICS_FIRST_BYTES;
	bound_url(m, fd);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd =
	    MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)OFD_METRICS_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)OFD_METRICS_TIMEOUT_S, MHD_OPTION_END);
	if (!m->mhd) {
		/* Whether MHD closed the socket it was given is not specified: closing it again
		   could close another thread's new descriptor, so at worst it leaks here. */
		free(m);
		snprintf(err, errlen, "metrics: cannot start the HTTP server on %s", addr);
		return -EIO;
	}
	*out = m;
	return 0;
}

uint16_t ofd_metrics_port(const struct ofd_metrics *m)
{
	return m ? m->port : 0;
}

const char *ofd_metrics_url(const struct ofd_metrics *m)
{
	return m ? m->url : "";
}

unsigned ofd_metrics_connections(const struct ofd_metrics *m)
{
	const union MHD_DaemonInfo *di =
	    m ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
	return di ? di->num_connections : 0;
}

void ofd_metrics_stop(struct ofd_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd); /* joins its thread, closes the connections and the socket */
	free(m);
}
