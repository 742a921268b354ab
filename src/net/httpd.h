/*
 * A small HTTP server (libmicrohttpd) that routes requests by exact path to handlers.
 *
 * - Listening: the server binds cfg.addr itself (net/hostport.h forms; "[::]:PORT" and ":PORT"
 *   are dual stack, IPv4 alone where there is no IPv6), so a taken address is reported with its
 *   reason ("metrics: cannot listen on 127.0.0.1:9100: Address already in use") and nothing is
 *   left running. SO_REUSEADDR is set; a port another socket listens on is still refused.
 * - Bounds: at most cfg.connections connections at once (more wait in the listen backlog,
 *   beyond it the kernel refuses them), each closed after cfg.timeout_s idle seconds; a body of
 *   at most route.max_body bytes is kept.
 * - Routing, before any handler runs: a path that no route has gets 404 (cfg.not_found, or
 *   "not found\n"); a method the route does not list gets 405 "method not allowed\n" with the
 *   route's methods as the Allow header. HEAD answers carry no body (the handler still runs).
 *   The query string is not part of the path.
 * - Bodies: a route with max_body 0 is handled on the request's headers (a body is never
 *   read). Else the body is collected, then the handler runs once with all of it; a body over
 *   max_body (announced by Content-Length: at once, unread; or sent: read and dropped) reaches
 *   the handler with too_large set and no bytes.
 * - Threads: cfg.threads 0 or 1 runs one internal thread, so handlers never run concurrently;
 *   more runs a pool of that many, and handlers run in any of them at once.
 * - TLS: cfg.tls_cert and cfg.tls_key (PEM files, both or neither, at most 256 KiB each): the
 *   server speaks HTTPS only.
 */
#ifndef OFD_NET_HTTPD_H
#define OFD_NET_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

#define OFD_HTTPD_ROUTES_MAX 8
#define OFD_HTTPD_TEXT	     "text/plain; charset=utf-8"
#define OFD_HTTPD_TEXT_MAX   256

struct ofd_httpd;

struct ofd_httpd_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* without the query string */
	const char *body;   /* len bytes and a NUL after them; "" when none */
	size_t len;
	int too_large;	    /* the body was over the route's max_body (body "", len 0) */
	struct ofd_ip peer; /* the client (v4-mapped IPv6 as IPv4); 0.0.0.0 when unknown */
};

/* The answer a handler fills in. It starts as 500 "internal error\n". */
struct ofd_httpd_resp {
	unsigned status;
	const char *type; /* Content-Type; NULL: OFD_HTTPD_TEXT */
	const char *body; /* len bytes that outlive the handler: static, owned, or text below */
	size_t len;
	int owned;		       /* body is malloc'd and the server frees it */
	char text[OFD_HTTPD_TEXT_MAX]; /* ofd_httpd_text()'s copy */
};

/* Runs on a server thread (see Threads above). */
typedef void (*ofd_httpd_handler_fn)(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs);

struct ofd_httpd_route {
	const char *path;    /* matched exactly: "/metrics" */
	const char *methods; /* the methods served, as the Allow header lists them: "GET, HEAD" */
	size_t max_body;     /* 0: answered on the headers */
	ofd_httpd_handler_fn handle;
	void *ctx;
};

struct ofd_httpd_cfg {
	const char *name;		      /* the prefix of error messages: "metrics", "receiver: http" */
	const char *addr;		      /* hostport form */
	const struct ofd_httpd_route *routes; /* copied (the strings are not: they must outlive the server) */
	unsigned nroutes;		      /* 1..OFD_HTTPD_ROUTES_MAX */
	const char *not_found;		      /* the 404 text; NULL: "not found\n" */
	unsigned connections;		      /* 0: 64 */
	unsigned timeout_s;		      /* 0: 30 */
	unsigned threads;		      /* 0 or 1: one thread; more: a pool */
	unsigned backlog;		      /* the listen backlog; 0: 64 */
	const char *tls_cert, *tls_key;	      /* PEM files, or NULL */
};

/*
 * Bind and serve. 0 with *out set; else *out NULL, nothing left running, the reason in err
 * (prefixed with cfg.name) and: OFD_ECONFIG (an address in no hostport form, one TLS file
 * without the other, a PEM file that cannot be read, bad routes), OFD_EUNSUPPORTED (TLS
 * asked of a libmicrohttpd without it), -errno from socket/bind/listen, -EIO when the server
 * does not start (with TLS: often a bad certificate or key), -ENOMEM.
 */
int ofd_httpd_start(struct ofd_httpd **out, const struct ofd_httpd_cfg *cfg, char *err,
		    size_t errlen) OFD_MUST_CHECK;

/* The bound port (port 0 binds any free one) and address ("127.0.0.1:9100", "[::]:9100"). */
uint16_t ofd_httpd_port(const struct ofd_httpd *h);
const char *ofd_httpd_addr(const struct ofd_httpd *h);

/* Connections the server holds now. */
unsigned ofd_httpd_connections(const struct ofd_httpd *h);

/* Set a response: status and a copy of text (into rs->text: at most OFD_HTTPD_TEXT_MAX - 1
   bytes, a longer one is cut), of type OFD_HTTPD_TEXT. text may be on the handler's stack. */
void ofd_httpd_text(struct ofd_httpd_resp *rs, unsigned status, const char *text);

/* Stop serving: waits for the handlers in progress, closes every connection and the socket,
   frees h. NULL: nothing. */
void ofd_httpd_stop(struct ofd_httpd *h);

#endif
