/*
 * The metrics HTTP server of `overflowd -c` (net/httpd.h, one thread): GET or HEAD /metrics
 * answers 200 with the text a fill callback writes (Prometheus text format 0.0.4,
 * src/format/promtext.h), any other method there 405 (Allow: GET, HEAD), any other path 404.
 *
 * Bounds: at most OFD_METRICS_CONNECTIONS connections at once (more wait in the listen
 * backlog of 64, beyond that the kernel refuses them), at most OFD_METRICS_PER_ADDRESS from one
 * address (IPv6: /64) and the last quarter only for addresses holding none (net/httpd.h's
 * connection guard, its counters appended to every scrape as overflowd_http_*), headers within
 * OFD_METRICS_HEADER_S of the accept, each connection closed after OFD_METRICS_TIMEOUT_S
 * seconds of inactivity; a scrape's text is built into one buffer that starts at 64 KiB and
 * doubles while the text does not fit, up to OFD_METRICS_MAX_BYTES (then 500). The listening
 * socket is bound by ofd_metrics_start() itself, so a taken address is reported with its
 * reason before anything else starts. Addresses: net/hostport.h.
 *
 * Shared: the server is registered under its address with obs/httpep.h, so a segment whose
 * endpoint is the same address (the prometheus output's flowdatapath) adds its paths to this
 * server instead of binding another; ofd_metrics_stop() withdraws it first (those paths go
 * with it).
 */
#ifndef OFD_OBS_METRICS_HTTP_H
#define OFD_OBS_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"

#define OFD_METRICS_CONNECTIONS 16
#define OFD_METRICS_TIMEOUT_S	10
#define OFD_METRICS_PER_ADDRESS 4
#define OFD_METRICS_HEADER_S	5
#define OFD_METRICS_MAX_BYTES	(16u << 20)

struct ofd_prom;
struct ofd_metrics;

/* Write the exposition into w; 0, or a negative error (the scrape gets 500). Runs on the
   server's one thread, so never concurrently with itself. */
typedef int (*ofd_metrics_fill_fn)(void *ctx, struct ofd_prom *w);

/*
 * Bind addr and serve. On failure returns a negative error (ofd_httpd_start's) with the reason
 * in err ("metrics: cannot listen on 127.0.0.1:9100: Address already in use"); nothing is left
 * running.
 */
int ofd_metrics_start(struct ofd_metrics **out, const char *addr, ofd_metrics_fill_fn fill, void *ctx,
		      char *err, size_t errlen) OFD_MUST_CHECK;

/* The bound port (tests bind port 0), and the URL to scrape ("http://127.0.0.1:9100/metrics"). */
uint16_t ofd_metrics_port(const struct ofd_metrics *m);
const char *ofd_metrics_url(const struct ofd_metrics *m);

/* Connections the server holds now (tests of the bound). */
unsigned ofd_metrics_connections(const struct ofd_metrics *m);

/* Stop serving (waits for a scrape in progress) and free m; NULL: nothing. */
void ofd_metrics_stop(struct ofd_metrics *m);

#endif
