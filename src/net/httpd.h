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
 * - Connection guard (what a slow or greedy client cannot take from the others): an address
 *   (IPv4 /32, IPv6 /64) holds at most cfg.per_address connections; once three quarters of
 *   cfg.connections are held, the rest is only for addresses that hold none yet; a connection
 *   over either bound is closed at accept, unanswered, and counted by reason. Deadlines that
 *   trickled bytes cannot extend: the request's headers must be complete cfg.header_s after
 *   the connection was accepted (or after the previous answer on a kept-alive connection), the
 *   whole request and its answer cfg.request_s after; an overdue connection is closed and
 *   counted. A request waiting for a deferred answer is exempt until it is answered. Trusted
 *   proxies are exempt from the per-address and reserve bounds (the total still holds).
 * - Trusted proxies (cfg.trusted): a request whose peer is one of them names its client in
 *   X-Forwarded-For (or RFC 7239 Forwarded for=, cfg.proxy_header): the rightmost address that
 *   is not itself a trusted proxy becomes rq.peer (rq.via the proxy). From any other peer the
 *   headers are ignored.
 * - Deferred answers: a handler may call ofd_httpd_defer() and answer later, from any thread,
 *   with ofd_httpd_answer(); the connection waits (no thread is held) until then.
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

#include "net/prefix.h"
#include "ofd/err.h"
#include "ofd/flow.h"

#define OFD_HTTPD_ROUTES_MAX 12
#define OFD_HTTPD_TEXT	     "text/plain; charset=utf-8"
#define OFD_HTTPD_TEXT_MAX   256

/* The header in which a trusted proxy names the client. */
enum ofd_httpd_fwd {
	OFD_HTTPD_FWD_XFF = 0,	 /* X-Forwarded-For: a, b, c */
	OFD_HTTPD_FWD_FORWARDED, /* RFC 7239 Forwarded: for=a, for="[v6]:port" */
};

struct ofd_httpd;

struct ofd_httpd_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* without the query string */
	const char *body;   /* len bytes and a NUL after them; "" when none */
	size_t len;
	int too_large;	    /* the body was over the route's max_body (body "", len 0) */
	struct ofd_ip peer; /* the client (v4-mapped IPv6 as IPv4); 0.0.0.0 when unknown; behind a
			       trusted proxy, the client it forwarded */
	struct ofd_ip via;  /* the trusted proxy the request came through; all zero when direct */
	void *conn_;	    /* the server's: for ofd_httpd_defer() */
};

/* The answer a handler fills in. It starts as 500 "internal error\n". */
struct ofd_httpd_resp {
	unsigned status;
	const char *type; /* Content-Type; NULL: OFD_HTTPD_TEXT */
	const char *body; /* len bytes that outlive the handler: static, owned, or text below */
	size_t len;
	int owned;		       /* body is malloc'd and the server frees it */
	unsigned retry_after_s;	       /* > 0: a Retry-After header */
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
	unsigned per_address;		      /* connections per address (/32, /64); 0: 8 */
	unsigned header_s;		      /* headers complete this long after accept; 0: 10 */
	unsigned request_s;		      /* the request and its answer; 0: 30 */
	const struct ofd_prefix *trusted;     /* trusted reverse proxies (copied), or NULL */
	size_t ntrusted;
	enum ofd_httpd_fwd proxy_header; /* which header a trusted proxy names the client in */
	const char *const *headers;	 /* name, value, name, value, ..., NULL: added to every answer
					    of this server (404 and 405 too); must outlive it. NULL: none */
};

/* Counters of the connection guard, since the start. */
struct ofd_httpd_stats {
	uint64_t held;		      /* connections held now (admitted, not yet closed) */
	uint64_t refused_per_address; /* closed at accept: the address held per_address already */
	uint64_t refused_reserved;    /* closed at accept: the last quarter is for new addresses */
	uint64_t deadline_headers;    /* closed: the headers were not complete in time */
	uint64_t deadline_request;    /* closed: the request was not answered in time */
	uint64_t deferred;	      /* requests waiting for a deferred answer now */
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

/* The connection guard's counters. Any thread. */
void ofd_httpd_stats(const struct ofd_httpd *h, struct ofd_httpd_stats *s);

/*
 * Deferred answers. In a handler, ofd_httpd_defer(rq) says the answer comes later: the handler
 * returns without filling rs (rs is ignored), and exactly one ofd_httpd_answer(d, rs) gives
 * the answer, from any thread, before or after the handler returned (the request waits
 * without holding a server thread). ofd_httpd_answer takes rs's owned body and copies a text
 * one. A defer outlives its server: answering one whose client went away, or whose server
 * stopped, frees it and nothing else. ofd_httpd_stop() waits up to 5 s for the answers still
 * due, then answers them 503 "shutting down". NULL when out of memory: answer through rs.
 */
struct ofd_httpd_defer;
struct ofd_httpd_defer *ofd_httpd_defer(const struct ofd_httpd_req *rq);
void ofd_httpd_answer(struct ofd_httpd_defer *d, const struct ofd_httpd_resp *rs);

/*
 * The client a trusted proxy forwarded, from the value of its header (kind): walking the
 * addresses from the right, the first that is not in trusted[0..n) (or the leftmost, when all
 * are; the walk stops at an entry that is not an address, "unknown" or an obfuscated name,
 * keeping the last address read). 1 with *client set, 0 when no address is named.
 */
int ofd_httpd_forwarded_client(const char *value, enum ofd_httpd_fwd kind, const struct ofd_prefix *trusted,
			       size_t n, struct ofd_ip *client);

/* The value of the query string's argument name ("?class=x&limit=5"), URL-decoded; NULL when
   absent. Only while the handler runs (rq of its call). */
const char *ofd_httpd_arg(const struct ofd_httpd_req *rq, const char *name);

/* Set a response: status and a copy of text (into rs->text: at most OFD_HTTPD_TEXT_MAX - 1
   bytes, a longer one is cut), of type OFD_HTTPD_TEXT. text may be on the handler's stack. */
void ofd_httpd_text(struct ofd_httpd_resp *rs, unsigned status, const char *text);

/*
 * Routes added and removed while serving (the shared endpoints of obs/httpep.h): a route that
 * takes no body (max_body 0), at most OFD_HTTPD_ROUTES_MAX of them besides cfg.routes, at a path
 * no route has (else OFD_ECONFIG "NAME: PATH is served already on ADDR"; OFD_ELIMIT when
 * full; the reason in err). Their handlers run under a read lock: ofd_httpd_route_del()
 * returns only once the handler of the path runs no more, so its ctx may be freed then. A
 * handler must not add or remove routes itself. route_has: 1 when some route serves path.
 */
int ofd_httpd_route_add(struct ofd_httpd *h, const struct ofd_httpd_route *rt, char *err,
			size_t errlen) OFD_MUST_CHECK;
int ofd_httpd_route_has(struct ofd_httpd *h, const char *path);
void ofd_httpd_route_del(struct ofd_httpd *h, const char *path);

/* Stop serving: waits for the handlers in progress, closes every connection and the socket,
   frees h. NULL: nothing. */
void ofd_httpd_stop(struct ofd_httpd *h);

#endif
