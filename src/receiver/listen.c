/*
 * The tracer receiver's network side; see listen.h for the steps every tracer goes through.
 *
 * Threads: one UDP thread (ofd_udp_poll in a loop, 100 ms poll timeout so that stop is
 * prompt) and libmicrohttpd's internal thread pool. Verification runs in those threads in
 * parallel, each with its own scratch buffer; only the invalid-tracer limiter (a short lookup)
 * and the accept callback take a mutex.
 *
 * The limiter is a fixed table of token buckets (set-associative, 4 ways, indexed by a keyed
 * SipHash of the address, IPv6 by its /64): memory never grows. A bucket only loses tokens to
 * invalid tracers, so valid senders are never limited; an address whose bucket is empty is
 * refused before its tracer is even parsed. Under a flood of distinct addresses an evicted
 * address starts again with a full bucket: the limiter bounds what one address (or /64) costs.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/promtext.h"
#include "net/udp.h"
#include "ofd/log.h"
#include "receiver/vpool.h"
#include "tracer/ratelimit.h"

#define LIM_SETS     4096
#define LIM_WAYS     4
#define HTTP_PATH    "/.well-known/overflowd"
#define DEFAULT_BODY 16384
#define METRICS_CAP  8192

struct lim_entry {
	uint64_t tag; /* 0: empty */
	uint64_t last_ns;
	struct ofd_bucket b;
};

struct ofd_listen {
	struct ofd_listen_cfg cfg;
	char *tls_cert, *tls_key; /* PEM text (HTTPS), NUL-terminated */
	/* counters */
	_Atomic uint64_t received, valid, stored, duplicate, store_errors, ratelimited;
	_Atomic uint64_t invalid[OFD_TV__COUNT];
	_Atomic uint64_t by_class[OFD_LC_CLASS__COUNT];
	/* the invalid-tracer limiter */
	pthread_mutex_t lim_mu;
	uint8_t lim_key[crypto_shorthash_KEYBYTES];
	struct lim_entry *lim; /* LIM_SETS * LIM_WAYS */
	/* accept calls */
	pthread_mutex_t acc_mu;
	/* UDP */
	struct ofd_udp *udp;
	pthread_t udp_thread;
	int udp_running;
	atomic_int stop;
	struct ofd_vpool *vpool; /* cfg.udp_workers > 1: verification threads */
	uint8_t udp_scratch[OFD_TRACER_MAX];
	/* HTTP */
	struct MHD_Daemon *mhd;
	uint16_t http_port;
};

const char *ofd_listen_reason_label(enum ofd_tv_error e)
{
	return ofd_tv_error_slug(e);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the invalid-tracer limiter (callers hold lim_mu) ---- */

/* The address's tag (never 0) and its set. IPv6 addresses count by /64. */
static uint64_t lim_tag(const struct ofd_listen *l, const struct ofd_ip *a, size_t *set)
{
	uint8_t in[17], h[crypto_shorthash_BYTES];
	size_t n = a->family == OFD_AF_INET6 ? 8 : 16;
	in[0] = a->family;
	memcpy(in + 1, a->b, n);
	crypto_shorthash(h, in, n + 1, l->lim_key);
	uint64_t t;
	memcpy(&t, h, sizeof(t));
	*set = (size_t)(t % LIM_SETS);
	return t | 1;
}

static struct lim_entry *lim_find(struct ofd_listen *l, const struct ofd_ip *a, int create, uint64_t now)
{
	size_t set;
	uint64_t tag = lim_tag(l, a, &set);
	struct lim_entry *s = l->lim + set * LIM_WAYS, *victim = NULL;
	for (unsigned w = 0; w < LIM_WAYS; w++)
		if (s[w].tag == tag)
			return &s[w];
	if (!create)
		return NULL;
	for (unsigned w = 0; w < LIM_WAYS && !victim; w++)
		if (!s[w].tag || ofd_bucket_full(&s[w].b, now))
			victim = &s[w]; /* empty, or refilled: forgetting it loses nothing */
	if (!victim) {
		victim = &s[0]; /* else the least recently charged */
		for (unsigned w = 1; w < LIM_WAYS; w++)
			if (s[w].last_ns < victim->last_ns)
				victim = &s[w];
	}
	victim->tag = tag;
	ofd_bucket_init(&victim->b, l->cfg.invalid_rate, l->cfg.invalid_burst, now);
	return victim;
}

/* 1 if a may still send an invalid tracer (a token is left), without taking it. */
static int lim_allows(struct ofd_listen *l, const struct ofd_ip *a)
{
	uint64_t now = now_ns();
	int ok = 1;
	pthread_mutex_lock(&l->lim_mu);
	struct lim_entry *e = lim_find(l, a, 0, now);
	if (e) {
		struct ofd_bucket peek = e->b;
		ok = ofd_bucket_take(&peek, now);
	}
	pthread_mutex_unlock(&l->lim_mu);
	return ok;
}

static void lim_charge(struct ofd_listen *l, const struct ofd_ip *a)
{
	uint64_t now = now_ns();
	pthread_mutex_lock(&l->lim_mu);
	struct lim_entry *e = lim_find(l, a, 1, now);
	(void)ofd_bucket_take(&e->b, now);
	e->last_ns = now;
	pthread_mutex_unlock(&l->lim_mu);
}

/* ---- handling one tracer ---- */

/* The class named in the signed bytes' metadata, or OFD_LC_CLASS_UNKNOWN. */
static int body_class(const struct ofd_tracer_msg *m)
{
	const char *s = json_string_value(json_object_get(json_object_get(m->doc, "metadata"), "class"));
	int c = s ? ofd_tracer_class_parse(s) : -1;
	return c >= 0 && c < OFD_LC_CLASS_UNKNOWN ? c : OFD_LC_CLASS_UNKNOWN;
}

int ofd_listen_handle(struct ofd_listen *l, const char *line, size_t len, const struct ofd_ip *sender,
		      uint64_t recv_ns, uint8_t *scratch, int *stored)
{
	*stored = 0;
	atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
	/* over the cap the bytes are never looked at (the pool copies no more than the cap + 2) */
	while (len && len <= OFD_TRACER_MAX + 2 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!lim_allows(l, sender)) {
		atomic_fetch_add_explicit(&l->ratelimited, 1, memory_order_relaxed);
		return -1;
	}
	struct ofd_tracer_msg m;
	enum ofd_tv_error e = len > OFD_TRACER_MAX
				  ? OFD_TV_TOO_LARGE
				  : ofd_tracer_verify_doc(line, len, l->cfg.ours, scratch, &m);
	if (e != OFD_TV_OK) {
		atomic_fetch_add_explicit(&l->invalid[(unsigned)e < OFD_TV__COUNT ? e : OFD_TV_NOT_JSON], 1,
					  memory_order_relaxed);
		lim_charge(l, sender);
		return (int)e;
	}
	atomic_fetch_add_explicit(&l->valid, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->by_class[body_class(&m)], 1, memory_order_relaxed);
	int rc = 1;
	if (l->cfg.accept && l->cfg.accept_concurrent) {
		rc = l->cfg.accept(l->cfg.ctx, &m, line, len, sender, recv_ns);
	} else if (l->cfg.accept) {
		pthread_mutex_lock(&l->acc_mu);
		rc = l->cfg.accept(l->cfg.ctx, &m, line, len, sender, recv_ns);
		pthread_mutex_unlock(&l->acc_mu);
	}
	*stored = rc;
	if (rc != OFD_LISTEN_QUEUED) {
		ofd_tracer_msg_release(&m); /* queued: the parsed signed bytes went with the tracer */
		ofd_listen_result(l, rc);
	}
	return OFD_TV_OK;
}

void ofd_listen_result(struct ofd_listen *l, int rc)
{
	if (rc > 0)
		atomic_fetch_add_explicit(&l->stored, 1, memory_order_relaxed);
	else if (rc == 0)
		atomic_fetch_add_explicit(&l->duplicate, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&l->store_errors, 1, memory_order_relaxed);
}

/* ---- counters and metrics ---- */

void ofd_listen_counters(const struct ofd_listen *l, struct ofd_listen_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->received = atomic_load(&l->received);
	c->valid = atomic_load(&l->valid);
	c->stored = atomic_load(&l->stored);
	c->duplicate = atomic_load(&l->duplicate);
	c->store_errors = atomic_load(&l->store_errors);
	c->ratelimited = atomic_load(&l->ratelimited);
	for (unsigned i = 1; i < OFD_TV__COUNT; i++) {
		c->invalid[i] = atomic_load(&l->invalid[i]);
		c->invalid_total += c->invalid[i];
	}
	for (unsigned i = 0; i < OFD_LC_CLASS__COUNT; i++)
		c->by_class[i] = atomic_load(&l->by_class[i]);
}

int ofd_listen_metrics(const struct ofd_listen *l, char *buf, size_t cap)
{
	struct ofd_listen_counters c;
	struct ofd_prom w;
	ofd_listen_counters(l, &c);
	ofd_prom_init(&w, buf, cap);
	ofd_prom_single(&w, "overflowd_tracers_received_total", OFD_PROM_COUNTER,
			"Tracers received (UDP and HTTP).", c.received);
	ofd_prom_single(&w, "overflowd_tracers_valid_total", OFD_PROM_COUNTER,
			"Tracers whose signature verified.", c.valid);
	ofd_prom_family(&w, "overflowd_tracers_invalid_total", OFD_PROM_COUNTER,
			"Tracers rejected, by reason.");
	for (unsigned i = 1; i < OFD_TV__COUNT; i++)
		ofd_prom_u64(&w, OFD_PROM_LABELS({"reason", ofd_tv_error_slug((enum ofd_tv_error)i)}),
			     c.invalid[i]);
	ofd_prom_single(&w, "overflowd_tracers_stored_total", OFD_PROM_COUNTER, "Valid tracers stored.",
			c.stored);
	ofd_prom_single(&w, "overflowd_tracers_duplicate_total", OFD_PROM_COUNTER,
			"Valid tracers already stored.", c.duplicate);
	ofd_prom_single(&w, "overflowd_tracers_store_errors_total", OFD_PROM_COUNTER,
			"Valid tracers the store failed on.", c.store_errors);
	ofd_prom_family(&w, "overflowd_tracers_by_class_total", OFD_PROM_COUNTER, "Valid tracers by class.");
	for (unsigned i = 0; i < OFD_LC_CLASS__COUNT; i++)
		ofd_prom_u64(&w, OFD_PROM_LABELS({"class", ofd_tracer_class_name((enum ofd_tracer_class)i)}),
			     c.by_class[i]);
	ofd_prom_single(&w, "overflowd_tracers_ratelimited_total", OFD_PROM_COUNTER,
			"Tracers refused unverified: their address sent too many invalid ones.",
			c.ratelimited);
	return ofd_prom_end(&w);
}

/* ---- UDP ---- */

static void handle_dgram(void *ctx, const struct ofd_dgram *dg, uint8_t *scratch)
{
	int stored;
	(void)ofd_listen_handle(ctx, (const char *)dg->data, dg->len, &dg->src, dg->time_ns, scratch,
				&stored);
}

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct ofd_listen *l = ctx;
	if (l->vpool)
		ofd_vpool_submit(l->vpool, dg);
	else
		handle_dgram(l, dg, l->udp_scratch);
}

static void *udp_main(void *arg)
{
	struct ofd_listen *l = arg;
	while (!atomic_load(&l->stop)) {
		int n = ofd_udp_poll(l->udp, 100, on_dgram, l);
		if (n < 0) {
			ofd_err("receiver: udp: %s", strerror(-n));
			break;
		}
	}
	return NULL;
}

/* ---- HTTP ---- */

/* One POST being read: the body so far, and a verification scratch buffer. */
struct http_req {
	size_t len;
	int too_big;
	uint8_t scratch[OFD_TRACER_MAX];
	char body[]; /* max_body bytes */
};

static enum MHD_Result http_reply(struct MHD_Connection *c, unsigned status, const char *type,
				  const char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return http_reply(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* The peer's address; a zero IPv4 address when unknown. */
static void http_peer(struct MHD_Connection *c, struct ofd_ip *ip)
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

/* A body over max_body: counted as an invalid tracer (too large), 413. */
static enum MHD_Result http_too_big(struct ofd_listen *l, struct MHD_Connection *c)
{
	struct ofd_ip peer;
	http_peer(c, &peer);
	atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->invalid[OFD_TV_TOO_LARGE], 1, memory_order_relaxed);
	lim_charge(l, &peer);
	return http_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "invalid tracer: too large\n");
}

/* The whole body is in: verify, store, answer. */
static enum MHD_Result http_tracer(struct ofd_listen *l, struct MHD_Connection *c, struct http_req *q)
{
	struct ofd_ip peer;
	char msg[160];
	int stored;
	if (q->too_big)
		return http_too_big(l, c);
	http_peer(c, &peer);
	int v = ofd_listen_handle(l, q->body, q->len, &peer, wall_ns(), q->scratch, &stored);
	if (v < 0)
		return http_text(c, MHD_HTTP_TOO_MANY_REQUESTS,
				 "too many invalid tracers from your address\n");
	if (v != OFD_TV_OK) {
		snprintf(msg, sizeof(msg), "invalid tracer: %s\n", ofd_tv_error_name((enum ofd_tv_error)v));
		return http_text(c, MHD_HTTP_BAD_REQUEST, msg);
	}
	if (stored < 0)
		return http_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "valid tracer, but it could not be stored\n");
	return http_text(c, MHD_HTTP_ACCEPTED, stored ? "accepted\n" : "accepted (duplicate)\n");
}

static enum MHD_Result http_metrics(struct ofd_listen *l, struct MHD_Connection *c)
{
	char buf[METRICS_CAP];
	int n = ofd_listen_metrics(l, buf, sizeof(buf));
	if (n < 0)
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics too large\n");
	return http_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, (size_t)n);
}

/* The first call of a request: answer at once, or set up the body buffer. */
static enum MHD_Result http_first(struct ofd_listen *l, struct MHD_Connection *c, const char *url,
				  const char *method, void **con_cls)
{
	if (strcmp(url, "/metrics") == 0) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		return http_metrics(l, c);
	}
	if (strcmp(url, HTTP_PATH) != 0)
		return http_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, "POST") != 0)
		return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST a tracer here\n");
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > l->cfg.max_body)
		return http_too_big(l, c); /* at once: the body is never read */
	struct http_req *q = malloc(sizeof(*q) + l->cfg.max_body);
	if (!q)
		return MHD_NO;
	q->len = 0;
	q->too_big = 0;
	*con_cls = q;
	return MHD_YES;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				   const char *version, const char *upload, size_t *upload_size,
				   void **con_cls)
{
	struct ofd_listen *l = cls;
	struct http_req *q = *con_cls;
	(void)version;
	if (!q)
		return http_first(l, c, url, method, con_cls);
	if (*upload_size) {
		if (!q->too_big && *upload_size <= l->cfg.max_body - q->len) {
			memcpy(q->body + q->len, upload, *upload_size);
			q->len += *upload_size;
		} else {
			q->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return http_tracer(l, c, q);
}

static void http_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)cls, (void)c, (void)t;
	free(*con_cls);
	*con_cls = NULL;
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" into a; *dual when it means all addresses. */
static int http_addr(const char *s, struct sockaddr_in6 *a6, struct sockaddr_in *a4, int *family)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || colon[1] == 0 || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return OFD_ECONFIG;
	unsigned long port = strtoul(colon + 1, NULL, 10);
	size_t hl = (size_t)(colon - s);
	if (port > 65535 || hl >= sizeof(host))
		return OFD_ECONFIG;
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
	} else {
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	memset(a6, 0, sizeof(*a6));
	memset(a4, 0, sizeof(*a4));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons((uint16_t)port);
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (!host[0] || strcmp(host, "::") == 0)
		*family = AF_UNSPEC;
	else if (inet_pton(AF_INET, host, &a4->sin_addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1)
		*family = AF_INET6;
	else
		return OFD_ECONFIG;
	return 0;
}

/* A whole PEM file as a NUL-terminated string (at most 256 KiB), or NULL with the reason logged. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc((256u << 10) + 1) : NULL;
	size_t n = buf ? fread(buf, 1, 256u << 10, f) : 0;
	if (!buf || n == 0 || n == 256u << 10) {
		ofd_err("receiver: %s: cannot read a PEM file%s", path, f ? "" : " (missing?)");
		free(buf);
		buf = NULL;
	} else {
		buf[n] = 0;
	}
	if (f)
		fclose(f);
	return buf;
}

static int http_start(struct ofd_listen *l, const char *addr)
{
	if (!l->cfg.tls_cert != !l->cfg.tls_key) {
		ofd_err("receiver: HTTPS needs both a certificate and a key");
		return OFD_ECONFIG;
	}
	if (l->cfg.tls_cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			ofd_err("receiver: this libmicrohttpd has no TLS support");
			return OFD_EUNSUPPORTED;
		}
		l->tls_cert = read_pem(l->cfg.tls_cert);
		l->tls_key = read_pem(l->cfg.tls_key);
		if (!l->tls_cert || !l->tls_key)
			return OFD_ECONFIG;
	}
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int family;
	if (http_addr(addr, &a6, &a4, &family)) {
		ofd_err("receiver: http \"%s\": expected ADDR:PORT, [IPV6]:PORT or :PORT", addr);
		return OFD_ECONFIG;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	const struct sockaddr *sa = NULL;
	if (family == AF_UNSPEC)
		flags |= MHD_USE_DUAL_STACK;
	else if (family == AF_INET6)
		flags |= MHD_USE_IPv6, sa = (const struct sockaddr *)&a6;
	else
		sa = (const struct sockaddr *)&a4;
	uint16_t port = ntohs(a4.sin_port);
	struct MHD_OptionItem ops[8];
	int n = 0;
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, l->cfg.http_threads, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)http_done, l};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 512, NULL};
	if (l->tls_cert) {
		flags |= MHD_USE_TLS;
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, l->tls_key};
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, l->tls_cert};
	}
	int nsa = n;
	ops[n++] =
	    (struct MHD_OptionItem){sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, (void *)(uintptr_t)sa};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	l->mhd =
	    MHD_start_daemon(flags, port, NULL, NULL, http_access, l, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (!l->mhd && family == AF_UNSPEC) {
		ofd_info("receiver: http \"%s\": IPv6 unavailable, listening on 0.0.0.0", addr);
		flags &= ~(unsigned)MHD_USE_DUAL_STACK;
		ops[nsa] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
		l->mhd = MHD_start_daemon(flags, port, NULL, NULL, http_access, l, MHD_OPTION_ARRAY, ops,
					  MHD_OPTION_END);
	}
	if (!l->mhd) {
		ofd_err("receiver: http \"%s\": could not start the server (address in use%s?)", addr,
			l->tls_cert ? ", or a bad certificate or key" : "");
		return -EADDRNOTAVAIL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
	l->http_port = di ? di->port : port;
	return 0;
}

/* ---- lifecycle ---- */

int ofd_listen_start(struct ofd_listen **out, const struct ofd_listen_cfg *cfg)
{
	int err;
	struct ofd_listen *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	if (!l->cfg.max_body)
		l->cfg.max_body = DEFAULT_BODY;
	if (l->cfg.invalid_rate == 0)
		l->cfg.invalid_rate = 10;
	if (l->cfg.invalid_burst == 0)
		l->cfg.invalid_burst = 100;
	if (!l->cfg.rcvbuf)
		l->cfg.rcvbuf = 4 << 20;
	if (!l->cfg.http_threads)
		l->cfg.http_threads = 2;
	if (sodium_init() < 0) {
		err = -ENOMEM;
		goto free_l;
	}
	randombytes_buf(l->lim_key, sizeof(l->lim_key));
	l->lim = calloc((size_t)LIM_SETS * LIM_WAYS, sizeof(*l->lim));
	if (!l->lim) {
		err = -ENOMEM;
		goto free_l;
	}
	pthread_mutex_init(&l->lim_mu, NULL);
	pthread_mutex_init(&l->acc_mu, NULL);
	*out = l; /* before any thread starts: accept callbacks may use it (ofd_listen_result) */
	if (cfg->udp) {
		err = ofd_udp_open(&l->udp, cfg->udp, l->cfg.rcvbuf);
		if (err)
			goto free_lim;
	}
	if (cfg->http) {
		err = http_start(l, cfg->http);
		if (err)
			goto close_udp;
	}
	if (l->udp && l->cfg.udp_workers > 1) {
		err = ofd_vpool_start(&l->vpool, l->cfg.udp_workers, 64 * l->cfg.udp_workers,
				      OFD_TRACER_MAX + 2, handle_dgram, l);
		if (err)
			goto stop_http;
	}
	if (l->udp) {
		err = -pthread_create(&l->udp_thread, NULL, udp_main, l);
		if (err)
			goto stop_http;
		l->udp_running = 1;
	}
	return 0;
stop_http:
	ofd_vpool_stop(l->vpool);
	if (l->mhd)
		MHD_stop_daemon(l->mhd);
close_udp:
	if (l->udp)
		ofd_udp_close(l->udp);
free_lim:
	pthread_mutex_destroy(&l->lim_mu);
	pthread_mutex_destroy(&l->acc_mu);
	free(l->lim);
free_l:
	*out = NULL;
	free(l->tls_cert);
	free(l->tls_key);
	free(l);
	return err;
}

uint16_t ofd_listen_udp_port(const struct ofd_listen *l, unsigned i)
{
	return l->udp ? ofd_udp_port(l->udp, i) : 0;
}

uint16_t ofd_listen_http_port(const struct ofd_listen *l)
{
	return l->http_port;
}

void ofd_listen_halt(struct ofd_listen *l)
{
	atomic_store(&l->stop, 1);
	if (l->udp_running)
		pthread_join(l->udp_thread, NULL);
	l->udp_running = 0;
	ofd_vpool_stop(l->vpool); /* what was received is verified and handed on first */
	l->vpool = NULL;
	if (l->mhd)
		MHD_stop_daemon(l->mhd);
	l->mhd = NULL;
}

void ofd_listen_stop(struct ofd_listen *l)
{
	if (!l)
		return;
	ofd_listen_halt(l);
	if (l->udp)
		ofd_udp_close(l->udp);
	pthread_mutex_destroy(&l->lim_mu);
	pthread_mutex_destroy(&l->acc_mu);
	free(l->lim);
	free(l->tls_cert);
	free(l->tls_key);
	free(l);
}
