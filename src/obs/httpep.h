/*
 * Shared HTTP endpoints: one server per listen address in the process, whoever asks for it.
 *
 * The daemon's metrics server (obs/metrics_http.h) registers itself here under its address;
 * a segment that serves HTTP (the prometheus output's metricspath and flowdatapath) asks for
 * its `endpoint` with ofd_httpep_get(): when a server already listens there (the daemon's
 * /metrics, or another segment's), its paths are added to that one; else a server is started
 * for it (net/httpd.h, one thread, the metrics server's bounds), which answers "/" with a
 * list of the paths it serves. Two addresses are the same endpoint when they are equal as
 * written or when one is the address the server bound ("127.0.0.1:9100"; ":9100" and
 * "[::]:9100" are one as written only). A path served already on the endpoint is refused
 * (OFD_ECONFIG, with the reason).
 *
 * Lifetime: ofd_httpep_put() drops the reference of a get(); the server a get() started stops
 * with the last reference. The daemon's server stops when the daemon stops it (metrics_http.c
 * calls ofd_httpep_forget() first): the routes segments added to it go with it, and their
 * later ofd_httpep_unroute()/put() do nothing more than drop the reference. Thread-safe.
 */
#ifndef OFD_OBS_HTTPEP_H
#define OFD_OBS_HTTPEP_H

#include <stddef.h>
#include <stdint.h>

#include "net/httpd.h"
#include "ofd/err.h"

struct ofd_httpep;

/* The endpoint at addr, started if none is; 0 or a negative error with the reason in err. */
int ofd_httpep_get(struct ofd_httpep **out, const char *addr, char *err, size_t errlen) OFD_MUST_CHECK;

/* Serve rt on ep (a route without a body; its strings must outlive the route). */
int ofd_httpep_route(struct ofd_httpep *ep, const struct ofd_httpd_route *rt, char *err,
		     size_t errlen) OFD_MUST_CHECK;
/* 1 when ep serves path already (the daemon's /metrics, say). */
int ofd_httpep_serves(struct ofd_httpep *ep, const char *path);
/* Stop serving path; returns once its handler runs no more. */
void ofd_httpep_unroute(struct ofd_httpep *ep, const char *path);
void ofd_httpep_put(struct ofd_httpep *ep);

/* The bound port (0 once the server stopped) and whether it is the daemon's metrics server. */
uint16_t ofd_httpep_port(const struct ofd_httpep *ep);
int ofd_httpep_is_daemons(const struct ofd_httpep *ep);

/* The daemon's metrics server h, started on addr: found by ofd_httpep_get from now on. */
void ofd_httpep_adopt(struct ofd_httpd *h, const char *addr);
/* ... and no more (before it is stopped). */
void ofd_httpep_forget(struct ofd_httpd *h);

#endif
