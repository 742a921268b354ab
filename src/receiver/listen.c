/*
 * The tracer receiver's network side; see listen.h for the steps every tracer goes through.
 *
 * Threads: one UDP thread (ofd_udp_poll in a loop, 100 ms poll timeout so that stop is
 * prompt) and the HTTP server's thread pool (net/httpd.h). Verification runs in those threads in
 * parallel, each with its own scratch buffer; only the invalid-tracer limiter (a short lookup)
 * and the accept callback take a mutex.
 *
 * The limiters are net/limiter.h's bounded tables (LIM_ENTRIES buckets each, IPv6 by its /64),
 * one for UDP and one for HTTP: memory never grows. A bucket only loses tokens to invalid tracers, so valid
 * senders are never limited; an address whose bucket is empty is refused (a peek, spending nothing) before
 * its tracer is even parsed. Under a flood of distinct addresses an evicted address starts again with a full
 * bucket: the limiter bounds what one address (or /64) costs.
 */
#include "listen.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format/httpd_prom.h"
#include "format/promtext.h"
#include "net/httpd.h"
#include "net/limiter.h"
#include "net/udp.h"
#include "ofd/log.h"
#include "ofd/time.h"
#include "receiver/vbudget.h"
#include "receiver/vpool.h"

#define LIM_ENTRIES   16384
#define LIM_V6_PREFIX 64
#define HTTP_PATH     "/.well-known/overflowd"
#define DEFAULT_BODY  16384
#define METRICS_CAP   12288
#define VPOOL_SLOTS   256 /* UDP datagrams queued for verification, per thread (8 KiB each) */
#define BUSY_RETRY_S  5	  /* Retry-After of a 503 */

struct ofd_listen {
	struct ofd_listen_cfg cfg;
	/* counters */
	_Atomic uint64_t received, valid, stored, duplicate, store_errors, ratelimited, ratelimited_http,
	    busy;
	_Atomic uint64_t invalid[OFD_TV__COUNT];
	_Atomic uint64_t by_class[OFD_LC_CLASS__COUNT];
	/* the invalid-tracer limiters: UDP (lim) and HTTP (lim_http), apart */
	pthread_mutex_t lim_mu;
	struct ofd_limiter *lim, *lim_http;
	/* accept calls */
	pthread_mutex_t acc_mu;
	/* UDP */
	struct ofd_udp *udp;
	pthread_t udp_thread;
	int udp_running;
	atomic_int stop;
	struct ofd_vpool *vpool;       /* cfg.udp_workers > 1: verification threads */
	struct ofd_vbudget *vb;	       /* which UDP tracers are verified (set with udp) */
	_Atomic uint64_t kernel_drops; /* the UDP layer's, copied by the UDP thread */
	uint8_t udp_scratch[OFD_TRACER_MAX];
	/* HTTP */
	struct ofd_httpd *http;
	uint16_t http_port;
};

const char *ofd_listen_reason_label(enum ofd_tv_error e)
{
	return ofd_tv_error_slug(e);
}

/* ---- the invalid-tracer limiter (callers hold lim_mu) ---- */

/* 1 if a may still send an invalid tracer over the transport (a token is left), without
   taking it. */
static int lim_allows(struct ofd_listen *l, int http, const struct ofd_ip *a)
{
	uint64_t now = ofd_time_mono_ns();
	pthread_mutex_lock(&l->lim_mu);
	int ok = ofd_limiter_peek(http ? l->lim_http : l->lim, a, now);
	pthread_mutex_unlock(&l->lim_mu);
	return ok;
}

static void lim_charge(struct ofd_listen *l, int http, const struct ofd_ip *a)
{
	uint64_t now = ofd_time_mono_ns();
	pthread_mutex_lock(&l->lim_mu);
	(void)ofd_limiter_take(http ? l->lim_http : l->lim, a, now);
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

/* One tracer over UDP (token NULL) or HTTP(S) (token: the request's deferred answer). */
static int handle_one(struct ofd_listen *l, const char *line, size_t len, const struct ofd_ip *sender,
		      uint64_t recv_ns, int transport, uint8_t *scratch, int *stored, void *token)
{
	int http = transport != OFD_TRANSPORT_UDP;
	*stored = 0;
	atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
	/* over the cap the bytes are never looked at (the pool copies no more than the cap + 2) */
	while (len && len <= OFD_TRACER_MAX + 2 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!lim_allows(l, http, sender)) {
		atomic_fetch_add_explicit(&l->ratelimited, 1, memory_order_relaxed);
		if (http)
			atomic_fetch_add_explicit(&l->ratelimited_http, 1, memory_order_relaxed);
		return -1;
	}
	struct ofd_tracer_msg m;
	enum ofd_tv_error e =
	    ofd_tracer_verify_at(line, len, l->cfg.ours, &l->cfg.limits, recv_ns, scratch, &m);
	if (e != OFD_TV_OK) {
		atomic_fetch_add_explicit(&l->invalid[(unsigned)e < OFD_TV__COUNT ? e : OFD_TV_NOT_JSON], 1,
					  memory_order_relaxed);
		lim_charge(l, http, sender);
		return (int)e;
	}
	m.transport = (uint8_t)transport;
	atomic_fetch_add_explicit(&l->valid, 1, memory_order_relaxed);
	ofd_listen_trust_key(l, m.key, sender); /* the key's UDP tracers are verified first from now on */
	atomic_fetch_add_explicit(&l->by_class[body_class(&m)], 1, memory_order_relaxed);
	int rc = 1;
	if (l->cfg.accept && l->cfg.accept_concurrent) {
		rc = l->cfg.accept(l->cfg.ctx, &m, line, len, sender, recv_ns, token);
	} else if (l->cfg.accept) {
		pthread_mutex_lock(&l->acc_mu);
		rc = l->cfg.accept(l->cfg.ctx, &m, line, len, sender, recv_ns, token);
		pthread_mutex_unlock(&l->acc_mu);
	}
	*stored = rc;
	if (rc == OFD_LISTEN_BUSY) {
		ofd_tracer_msg_release(&m);
		atomic_fetch_add_explicit(&l->busy, 1, memory_order_relaxed);
	} else if (rc != OFD_LISTEN_QUEUED) {
		ofd_tracer_msg_release(&m); /* queued: the parsed signed bytes went with the tracer */
		ofd_listen_result(l, rc, NULL);
	}
	return OFD_TV_OK;
}

void ofd_listen_trust_key(struct ofd_listen *l, const uint8_t key[OFD_KEY_PUB_LEN],
			  const struct ofd_ip *sender)
{
	if (l->vb)
		ofd_vbudget_trust(l->vb, key, sender, ofd_time_mono_ns());
}

int ofd_listen_handle(struct ofd_listen *l, const char *line, size_t len, const struct ofd_ip *sender,
		      uint64_t recv_ns, int transport, uint8_t *scratch, int *stored)
{
	return handle_one(l, line, len, sender, recv_ns, transport, scratch, stored, NULL);
}

/* The answer to a valid tracer's request, by its store result. */
static void http_stored(struct ofd_httpd_resp *rs, int rc)
{
	if (rc == 1 || rc == 0)
		ofd_httpd_text(rs, 202, rc ? "accepted\n" : "accepted (duplicate)\n");
	else if (rc == -ENOSPC)
		ofd_httpd_text(rs, 507, "valid tracer, but the receiver's storage is full\n");
	else if (rc == -EDQUOT) {
		ofd_httpd_text(rs, 429, "valid tracer, but over the hourly quota of its key or network\n");
		rs->retry_after_s = 3600;
	} else if (rc == OFD_LISTEN_BUSY) {
		ofd_httpd_text(rs, 503, "valid tracer, but the store is busy: retry later\n");
		rs->retry_after_s = BUSY_RETRY_S;
	} else
		ofd_httpd_text(rs, 500, "valid tracer, but it could not be stored\n");
}

void ofd_listen_result(struct ofd_listen *l, int rc, void *token)
{
	if (token) {
		struct ofd_httpd_resp rs;
		http_stored(&rs, rc);
		ofd_httpd_answer(token, &rs);
	}
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
	c->ratelimited_http = atomic_load(&l->ratelimited_http);
	c->busy = atomic_load(&l->busy);
	for (unsigned i = 1; i < OFD_TV__COUNT; i++) {
		c->invalid[i] = atomic_load(&l->invalid[i]);
		c->invalid_total += c->invalid[i];
	}
	for (unsigned i = 0; i < OFD_LC_CLASS__COUNT; i++)
		c->by_class[i] = atomic_load(&l->by_class[i]);
	if (l->vb)
		ofd_vbudget_counters(l->vb, &c->udp);
	c->udp.kernel = atomic_load(&l->kernel_drops);
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
			"Tracers refused unverified: their address sent too many invalid ones (over the "
			"same transport: UDP and HTTP are limited apart).",
			c.ratelimited);
	if (l->vb)
		ofd_vbudget_metrics(&c.udp, &w);
	ofd_prom_single(&w, "overflowd_tracers_ratelimited_http_total", OFD_PROM_COUNTER,
			"Of those, over HTTP.", c.ratelimited_http);
	ofd_prom_single(&w, "overflowd_tracers_busy_total", OFD_PROM_COUNTER,
			"Valid tracers refused with 503: the store's queue was full.", c.busy);
	if (l->http) {
		struct ofd_httpd_stats hs;
		ofd_httpd_stats(l->http, &hs);
		ofd_prom_httpd(&w, &hs);
	}
	if (l->cfg.metrics)
		l->cfg.metrics(l->cfg.ctx, &w);
	return ofd_prom_end(&w);
}

/* ---- UDP ---- */

/* Verify an admitted datagram; its verdict goes back to the budget. */
static void udp_verify(struct ofd_listen *l, const struct ofd_dgram *dg, const struct ofd_vb_hint *h,
		       uint8_t *scratch)
{
	int stored;
	int v = ofd_listen_handle(l, (const char *)dg->data, dg->len, &dg->src, dg->time_ns,
				  OFD_TRANSPORT_UDP, scratch, &stored);
	if (v >= 0) /* else refused by the limiter, unverified */
		ofd_vbudget_result(l->vb, h, v == OFD_TV_OK, ofd_time_mono_ns());
}

_Static_assert(sizeof(struct ofd_vb_hint) <= OFD_VPOOL_META, "the hint travels as a datagram's meta");

/* In a verification thread: meta is the datagram's hint. */
static void handle_dgram(void *ctx, const struct ofd_dgram *dg, const void *meta, uint8_t *scratch)
{
	struct ofd_vb_hint h;
	memcpy(&h, meta, sizeof(h));
	udp_verify(ctx, dg, &h, scratch);
}

/* 1 when the datagram is refused at no cost: too large, or not even the start of an object. */
static int udp_trivial(const struct ofd_dgram *dg)
{
	size_t i = 0;
	while (i < dg->len &&
	       (dg->data[i] == ' ' || dg->data[i] == '\n' || dg->data[i] == '\r' || dg->data[i] == '\t'))
		i++;
	return dg->len > OFD_TRACER_MAX + 2 || i == dg->len || dg->data[i] != '{';
}

/* In the reading thread: decide (vbudget.h), then verify here or in the pool. */
static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct ofd_listen *l = ctx;
	struct ofd_vb_hint h;
	int stored;
	if (udp_trivial(dg)) { /* refused at once, by the usual steps */
		(void)ofd_listen_handle(l, (const char *)dg->data, dg->len, &dg->src, dg->time_ns,
					OFD_TRANSPORT_UDP, l->udp_scratch, &stored);
		return;
	}
	if (!lim_allows(l, 0, &dg->src)) { /* before it takes any of the budget */
		atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&l->ratelimited, 1, memory_order_relaxed);
		return;
	}
	int lane = ofd_vbudget_admit(l->vb, dg->data, dg->len, &dg->src,
				     !l->vpool || ofd_vpool_room(l->vpool, OFD_VPOOL_SECOND), &h,
				     ofd_time_mono_ns());
	if (lane >= 0 && !l->vpool) {
		udp_verify(l, dg, &h, l->udp_scratch);
		return;
	}
	if (lane >= 0 &&
	    ofd_vpool_submit(l->vpool, dg, lane == OFD_VB_PRIORITY ? OFD_VPOOL_FIRST : OFD_VPOOL_SECOND,
			     &h) != 0) {
		ofd_vbudget_unadmit(l->vb, dg->data, dg->len, &h);
		lane = -1;
	}
	if (lane < 0) /* dropped: counted by the budget */
		atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
}

/* The budget lane's rate: the configured one, or a share of the verifying threads' rate. */
static double udp_budget_rate(const struct ofd_listen_cfg *cfg)
{
	if (cfg->udp_budget > 0)
		return cfg->udp_budget;
	double share = cfg->udp_share > 0 && cfg->udp_share <= 1 ? cfg->udp_share : 0.5;
	unsigned threads = cfg->udp_workers > 1 ? cfg->udp_workers : 1;
	return share * threads * ofd_vbudget_calibrate();
}

static void *udp_main(void *arg)
{
	struct ofd_listen *l = arg;
	while (!atomic_load(&l->stop)) {
		int n = ofd_udp_poll(l->udp, 100, on_dgram, l);
		atomic_store_explicit(&l->kernel_drops, ofd_udp_stats(l->udp)->drops[OFD_DROP_KERNEL],
				      memory_order_relaxed);
		if (n < 0) {
			ofd_err("receiver: udp: %s", strerror(-n));
			break;
		}
	}
	return NULL;
}

/* ---- HTTP ---- */

/* POST HTTP_PATH: one tracer as the body (at most max_body bytes, else 413). A valid one is
   answered once its store result is known (ofd_listen_result), from the writer's thread. */
static void http_tracer(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct ofd_listen *l = ctx;
	uint8_t scratch[OFD_TRACER_MAX];
	char msg[160];
	int stored;
	if (rq->too_large) { /* counted as an invalid tracer (too large) */
		atomic_fetch_add_explicit(&l->received, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&l->invalid[OFD_TV_TOO_LARGE], 1, memory_order_relaxed);
		lim_charge(l, 1, &rq->peer);
		ofd_httpd_text(rs, 413, "invalid tracer: too large\n");
		return;
	}
	struct ofd_httpd_defer *d = ofd_httpd_defer(rq);
	if (!d) { /* stopping, or out of memory */
		ofd_httpd_text(rs, 503, "the receiver is stopping: retry later\n");
		rs->retry_after_s = BUSY_RETRY_S;
		return;
	}
	int v = handle_one(l, rq->body, rq->len, &rq->peer, ofd_time_now_ns(),
			   l->cfg.tls_cert ? OFD_TRANSPORT_HTTPS : OFD_TRANSPORT_HTTP, scratch, &stored, d);
	struct ofd_httpd_resp ans;
	if (v < 0) {
		ofd_httpd_text(&ans, 429, "too many invalid tracers from your address\n");
	} else if (v != OFD_TV_OK) {
		snprintf(msg, sizeof(msg), "invalid tracer: %s\n", ofd_tv_error_name((enum ofd_tv_error)v));
		ofd_httpd_text(&ans, 400, msg);
	} else if (stored == OFD_LISTEN_QUEUED) {
		return; /* the writer answers */
	} else {
		http_stored(&ans, stored);
	}
	ofd_httpd_answer(d, &ans);
}

/* GET /metrics: the counters in the Prometheus text format. */
static void http_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	char *buf = malloc(METRICS_CAP);
	int n = buf ? ofd_listen_metrics(ctx, buf, METRICS_CAP) : -ENOMEM;
	(void)rq;
	if (n < 0) {
		free(buf);
		ofd_httpd_text(rs, 500, "metrics too large\n");
		return;
	}
	*rs = (struct ofd_httpd_resp){.status = 200,
				      .type = "text/plain; version=0.0.4; charset=utf-8",
				      .body = buf,
				      .len = (size_t)n,
				      .owned = 1};
}

static int http_start(struct ofd_listen *l, const char *addr)
{
	const struct ofd_httpd_route routes[] = {
	    {.path = HTTP_PATH,
	     .methods = "POST",
	     .max_body = l->cfg.max_body,
	     .handle = http_tracer,
	     .ctx = l},
	    {.path = "/metrics", .methods = "GET, HEAD", .handle = http_metrics, .ctx = l},
	};
	const struct ofd_httpd_cfg cfg = {.name = "receiver: http",
					  .addr = addr,
					  .routes = routes,
					  .nroutes = 2,
					  .connections = 512,
					  .timeout_s = 30,
					  .per_address = OFD_LISTEN_PER_ADDRESS,
					  .trusted = l->cfg.trusted_proxies,
					  .ntrusted = l->cfg.ntrusted_proxies,
					  .proxy_header = l->cfg.proxy_header,
					  .threads = l->cfg.http_threads,
					  .backlog = SOMAXCONN,
					  .tls_cert = l->cfg.tls_cert,
					  .tls_key = l->cfg.tls_key};
	char err[512];
	int rc = ofd_httpd_start(&l->http, &cfg, err, sizeof(err));
	if (rc) {
		ofd_err("%s", err);
		return rc;
	}
	l->http_port = ofd_httpd_port(l->http);
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
	err = ofd_limiter_new(&l->lim, LIM_ENTRIES, l->cfg.invalid_rate, l->cfg.invalid_burst, LIM_V6_PREFIX);
	if (!err)
		err = ofd_limiter_new(&l->lim_http, LIM_ENTRIES, l->cfg.invalid_rate, l->cfg.invalid_burst,
				      LIM_V6_PREFIX);
	if (err) {
		ofd_limiter_free(l->lim);
		goto free_l;
	}
	pthread_mutex_init(&l->lim_mu, NULL);
	pthread_mutex_init(&l->acc_mu, NULL);
	*out = l; /* before any thread starts: accept callbacks may use it (ofd_listen_result) */
	if (cfg->udp) {
		const struct ofd_vbudget_cfg vcfg = {.rate = udp_budget_rate(&l->cfg)};
		err = ofd_vbudget_new(&l->vb, &vcfg);
		if (!err)
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
		err = ofd_vpool_start(&l->vpool, l->cfg.udp_workers, VPOOL_SLOTS * l->cfg.udp_workers,
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
	ofd_httpd_stop(l->http);
close_udp:
	if (l->udp)
		ofd_udp_close(l->udp);
free_lim:
	ofd_vbudget_free(l->vb);
	pthread_mutex_destroy(&l->lim_mu);
	pthread_mutex_destroy(&l->acc_mu);
	ofd_limiter_free(l->lim);
	ofd_limiter_free(l->lim_http);
free_l:
	*out = NULL;
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
	ofd_httpd_stop(l->http);
	l->http = NULL;
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
	ofd_limiter_free(l->lim);
	ofd_vbudget_free(l->vb);
	ofd_limiter_free(l->lim_http);
	free(l);
}
