/*
 * Shared HTTP endpoints (httpep.h): a process-wide list under one mutex. An endpoint holds its
 * server until the last reference goes (a server it started) or until the daemon forgets it
 * (the daemon's metrics server, which the daemon stops itself).
 */
#include "obs/httpep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/hostport.h"
#include "obs/metrics_http.h"

struct ofd_httpep {
	struct ofd_httpep *next;
	struct ofd_httpd *h;		    /* NULL once the daemon's server was forgotten */
	char addr[OFD_HOSTPORT_STRLEN + 8]; /* as asked for */
	unsigned refs;			    /* get()s not put() yet, and the daemon's own */
	int daemons;			    /* the daemon's metrics server (not ours to stop) */
	unsigned unrouting;		    /* unroutes using h outside ep_mu (forget waits for them) */
	uint16_t port;
	char index[1024]; /* the "/" page (ours only) */
};

static pthread_mutex_t ep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ep_cv = PTHREAD_COND_INITIALIZER; /* an unroute finished */
static struct ofd_httpep *ep_list;

static void ep_unlink(struct ofd_httpep *ep)
{
	for (struct ofd_httpep **p = &ep_list; *p; p = &(*p)->next)
		if (*p == ep) {
			*p = ep->next;
			return;
		}
}

static struct ofd_httpep *ep_find(const char *addr)
{
	for (struct ofd_httpep *ep = ep_list; ep; ep = ep->next)
		if (ep->h && (strcmp(ep->addr, addr) == 0 || strcmp(ofd_httpd_addr(ep->h), addr) == 0))
			return ep;
	return NULL;
}

static void on_index(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct ofd_httpep *ep = ctx;
	(void)rq;
	pthread_mutex_lock(&ep_mu); /* routes come and go meanwhile */
	char *copy = strdup(ep->index);
	pthread_mutex_unlock(&ep_mu);
	if (!copy) {
		ofd_httpd_text(rs, 500, "out of memory\n");
		return;
	}
	*rs = (struct ofd_httpd_resp){.status = 200, .body = copy, .len = strlen(copy), .owned = 1};
}

int ofd_httpep_get(struct ofd_httpep **out, const char *addr, char *err, size_t errlen)
{
	*out = NULL;
	if (!addr || ofd_hostport_parse(addr, NULL, NULL)) {
		snprintf(err, errlen, "endpoint \"%s\": expected %s", addr ? addr : "", OFD_HOSTPORT_FORMS);
		return OFD_ECONFIG;
	}
	pthread_mutex_lock(&ep_mu);
	struct ofd_httpep *ep = ep_find(addr);
	if (ep) {
		ep->refs++;
		pthread_mutex_unlock(&ep_mu);
		*out = ep;
		return 0;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		pthread_mutex_unlock(&ep_mu);
		snprintf(err, errlen, "endpoint %s: out of memory", addr);
		return -ENOMEM;
	}
	snprintf(ep->addr, sizeof(ep->addr), "%s", addr);
	snprintf(ep->index, sizeof(ep->index), "overflowd: the paths served here:\n");
	const struct ofd_httpd_route root = {
	    .path = "/", .methods = "GET, HEAD", .handle = on_index, .ctx = ep};
	const struct ofd_httpd_cfg cfg = {.name = "prometheus",
					  .addr = addr,
					  .routes = &root,
					  .nroutes = 1,
					  .connections = OFD_METRICS_CONNECTIONS,
					  .timeout_s = OFD_METRICS_TIMEOUT_S,
					  .per_address = OFD_METRICS_PER_ADDRESS,
					  .header_s = OFD_METRICS_HEADER_S,
					  .request_s = OFD_METRICS_TIMEOUT_S};
	int rc = ofd_httpd_start(&ep->h, &cfg, err, errlen);
	if (rc) {
		pthread_mutex_unlock(&ep_mu);
		free(ep);
		return rc;
	}
	ep->port = ofd_httpd_port(ep->h);
	ep->refs = 1;
	ep->next = ep_list;
	ep_list = ep;
	pthread_mutex_unlock(&ep_mu);
	*out = ep;
	return 0;
}

int ofd_httpep_route(struct ofd_httpep *ep, const struct ofd_httpd_route *rt, char *err, size_t errlen)
{
	pthread_mutex_lock(&ep_mu);
	int rc = OFD_ECONFIG;
	if (!ep->h)
		snprintf(err, errlen, "%s: the server stopped", ep->addr);
	else
		rc = ofd_httpd_route_add(ep->h, rt, err, errlen);
	if (!rc && !ep->daemons) {
		size_t n = strlen(ep->index);
		snprintf(ep->index + n, sizeof(ep->index) - n, "%s\n", rt->path);
	}
	pthread_mutex_unlock(&ep_mu);
	return rc;
}

int ofd_httpep_serves(struct ofd_httpep *ep, const char *path)
{
	pthread_mutex_lock(&ep_mu);
	int r = ep->h && ofd_httpd_route_has(ep->h, path);
	pthread_mutex_unlock(&ep_mu);
	return r;
}

void ofd_httpep_unroute(struct ofd_httpep *ep, const char *path)
{
	if (!ep)
		return;
	pthread_mutex_lock(&ep_mu);
	struct ofd_httpd *h = ep->h;
	if (h) { /* outside the lock: route_del waits for a scrape of path that is running */
		ep->unrouting++;
		pthread_mutex_unlock(&ep_mu);
		ofd_httpd_route_del(h, path);
		pthread_mutex_lock(&ep_mu);
		ep->unrouting--;
		pthread_cond_broadcast(&ep_cv);
	}
	/* off the "/" page: its line "PATH\n" (the page's first line ends with ':') */
	size_t n = strlen(path);
	for (char *p = strchr(ep->index, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		if (strncmp(p + 1, path, n) == 0 && p[1 + n] == '\n') {
			memmove(p + 1, p + 2 + n, strlen(p + 2 + n) + 1);
			break;
		}
	pthread_mutex_unlock(&ep_mu);
}

void ofd_httpep_put(struct ofd_httpep *ep)
{
	if (!ep)
		return;
	pthread_mutex_lock(&ep_mu);
	struct ofd_httpd *stop = NULL;
	if (--ep->refs == 0) {
		ep_unlink(ep);
		if (!ep->daemons)
			stop = ep->h;
	} else {
		ep = NULL;
	}
	pthread_mutex_unlock(&ep_mu);
	ofd_httpd_stop(stop); /* outside the lock: it waits for handlers */
	free(ep);
}

uint16_t ofd_httpep_port(const struct ofd_httpep *ep)
{
	return ep ? ep->port : 0;
}

int ofd_httpep_is_daemons(const struct ofd_httpep *ep)
{
	return ep && ep->daemons;
}

void ofd_httpep_adopt(struct ofd_httpd *h, const char *addr)
{
	struct ofd_httpep *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return; /* not shared: a segment on the same address then fails to bind, with the reason */
	ep->h = h;
	ep->daemons = 1;
	ep->refs = 1;
	ep->port = ofd_httpd_port(h);
	snprintf(ep->addr, sizeof(ep->addr), "%s", addr);
	pthread_mutex_lock(&ep_mu);
	ep->next = ep_list;
	ep_list = ep;
	pthread_mutex_unlock(&ep_mu);
}

void ofd_httpep_forget(struct ofd_httpd *h)
{
	pthread_mutex_lock(&ep_mu);
	struct ofd_httpep *ep = ep_list;
	while (ep && !(ep->daemons && ep->h == h))
		ep = ep->next;
	while (ep && ep->unrouting) /* the server is stopped after this: let them finish with it */
		pthread_cond_wait(&ep_cv, &ep_mu);
	if (ep) {
		ep->h = NULL;
		ep->port = 0;
		if (--ep->refs == 0)
			ep_unlink(ep);
		else
			ep = NULL;
	}
	pthread_mutex_unlock(&ep_mu);
	free(ep);
}
