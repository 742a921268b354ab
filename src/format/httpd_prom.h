/*
 * The HTTP server's connection guard (net/httpd.h) in the Prometheus text format, one writer
 * for every server that exposes it (the receiver's /metrics, the pipeline's metrics server):
 *
 *   overflowd_http_connections                       gauge    connections held
 *   overflowd_http_refused_total{reason}             counter  closed at accept: per_address, reserved
 *   overflowd_http_deadline_closed_total{phase}      counter  closed overdue: headers, request
 *   overflowd_http_deferred                          gauge    requests waiting for their answer
 */
#ifndef OFD_FORMAT_HTTPD_PROM_H
#define OFD_FORMAT_HTTPD_PROM_H

#include "format/promtext.h"
#include "net/httpd.h"

void ofd_prom_httpd(struct ofd_prom *w, const struct ofd_httpd_stats *s);

#endif
