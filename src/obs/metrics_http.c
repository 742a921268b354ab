/*
 * The metrics HTTP server (see metrics_http.h) on net/httpd with one thread: scrapes never run
 * concurrently, so the fill callback needs no lock of its own against itself; it reads the
 * pipeline's counters the race-free ways the engine provides.
 */
#include "obs/metrics_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/httpd_prom.h"
#include "format/promtext.h"
#include "net/hostport.h"
#include "net/httpd.h"
#include "net/httpd_page.h"
#include "obs/promjson.h"
#include "ofd/time.h"
#include "obs/httpep.h"
#include "ofd/log.h"

#define METRICS_FIRST_BYTES (64u << 10)
#define METRICS_CONTENT	    "text/plain; version=0.0.4; charset=utf-8"

struct ofd_metrics {
	struct ofd_httpd *h;
	ofd_metrics_fill_fn fill;
	void *ctx;
	size_t hint; /* the buffer size the last scrape needed (server thread only) */
	char url[OFD_HOSTPORT_STRLEN + 32];
};

/* Build the text into a buffer that grows until it fits: 0 with *buf (the caller's) and *n, or
   a negative error (logged). */
static int build_text(struct ofd_metrics *m, char **out, size_t *n_out)
{
	for (size_t cap = m->hint;; cap *= 2) {
		char *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		struct ofd_prom w;
		ofd_prom_init(&w, buf, cap);
		int rc = m->fill(m->ctx, &w);
		if (!rc) {
			struct ofd_httpd_stats hs;
			ofd_httpd_stats(m->h, &hs);
			ofd_prom_httpd(&w, &hs);
		}
		int n = rc ? rc : ofd_prom_end(&w);
		if (n >= 0) {
			m->hint = cap;
			*out = buf;
			*n_out = (size_t)n;
			return 0;
		}
		free(buf);
		if (n != OFD_ELIMIT || cap >= OFD_METRICS_MAX_BYTES) {
			ofd_err("metrics: cannot build the text: %s", ofd_strerror(n));
			return n;
		}
	}
}

/* The response takes the buffer. */
static void on_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct ofd_metrics *m = ctx;
	char *buf;
	size_t n;
	(void)rq;
	if (build_text(m, &buf, &n)) {
		ofd_httpd_text(rs, 500, "metrics unavailable\n");
		return;
	}
	*rs = (struct ofd_httpd_resp){
	    .status = 200, .type = METRICS_CONTENT, .body = buf, .len = n, .owned = 1};
}

/* The status page's data: the same text as JSON (obs/promjson.h), with the time. */
static void on_status_json(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct ofd_metrics *m = ctx;
	char *buf;
	size_t n;
	json_t *o = NULL;
	(void)rq;
	if (build_text(m, &buf, &n)) {
		ofd_httpd_text(rs, 500, "metrics unavailable\n");
		return;
	}
	int rc = ofd_promjson(buf, n, &o);
	free(buf);
	if (rc) {
		ofd_httpd_text(rs, 500, "metrics unreadable\n");
		return;
	}
	json_object_set_new(o, "time_ms", json_integer((json_int_t)(ofd_time_now_ns() / 1000000u)));
	ofd_page_json(rs, o);
}

static void on_status_file(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)ctx;
	ofd_page_asset(rs, strcmp(rq->path, "/status") == 0 ? "status.html" : rq->path + 1);
}

int ofd_metrics_start(struct ofd_metrics **out, const char *addr, ofd_metrics_fill_fn fill, void *ctx,
		      char *err, size_t errlen)
{
	*out = NULL;
	struct ofd_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	m->fill = fill;
	m->ctx = ctx;
	m->hint = METRICS_FIRST_BYTES;
	const char *get = "GET, HEAD";
	const struct ofd_httpd_route routes[] = {
	    {.path = "/metrics", .methods = get, .handle = on_metrics, .ctx = m},
	    {.path = "/status", .methods = get, .handle = on_status_file},
	    {.path = "/status.js", .methods = get, .handle = on_status_file},
	    {.path = "/ui.css", .methods = get, .handle = on_status_file},
	    {.path = "/api/status", .methods = get, .handle = on_status_json, .ctx = m},
	};
	const struct ofd_httpd_cfg cfg = {
	    .name = "metrics",
	    .addr = addr,
	    .routes = routes,
	    .nroutes = sizeof(routes) / sizeof(routes[0]),
	    .not_found = "not found: the metrics are at /metrics, the status page at /status\n",
	    .headers = ofd_page_headers,
	    .connections = OFD_METRICS_CONNECTIONS,
	    .timeout_s = OFD_METRICS_TIMEOUT_S,
	    .per_address = OFD_METRICS_PER_ADDRESS,
	    .header_s = OFD_METRICS_HEADER_S,
	    .request_s = OFD_METRICS_TIMEOUT_S};
	int rc = ofd_httpd_start(&m->h, &cfg, err, errlen);
	if (rc) {
		free(m);
		return rc;
	}
	snprintf(m->url, sizeof(m->url), "http://%s/metrics", ofd_httpd_addr(m->h));
	ofd_httpep_adopt(m->h, addr); /* segments serving on addr share this server */
	*out = m;
	return 0;
}

uint16_t ofd_metrics_port(const struct ofd_metrics *m)
{
	return m ? ofd_httpd_port(m->h) : 0;
}

const char *ofd_metrics_url(const struct ofd_metrics *m)
{
	return m ? m->url : "";
}

unsigned ofd_metrics_connections(const struct ofd_metrics *m)
{
	return m ? ofd_httpd_connections(m->h) : 0;
}

void ofd_metrics_stop(struct ofd_metrics *m)
{
	if (!m)
		return;
	ofd_httpep_forget(m->h);
	ofd_httpd_stop(m->h);
	free(m);
}
