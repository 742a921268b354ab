/* The HTTP server's guard counters as Prometheus text (see httpd_prom.h). */
#include "format/httpd_prom.h"

void ofd_prom_httpd(struct ofd_prom *w, const struct ofd_httpd_stats *s)
{
	ofd_prom_single(w, "overflowd_http_connections", OFD_PROM_GAUGE, "HTTP connections held.", s->held);
	ofd_prom_family(w, "overflowd_http_refused_total", OFD_PROM_COUNTER,
			"HTTP connections closed at accept: the address held its share (per_address), or "
			"the last quarter is kept for addresses holding none (reserved).");
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "per_address"}), s->refused_per_address);
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "reserved"}), s->refused_reserved);
	ofd_prom_family(w, "overflowd_http_deadline_closed_total", OFD_PROM_COUNTER,
			"HTTP connections closed past their deadline: headers incomplete, or the request "
			"not done.");
	ofd_prom_u64(w, OFD_PROM_LABELS({"phase", "headers"}), s->deadline_headers);
	ofd_prom_u64(w, OFD_PROM_LABELS({"phase", "request"}), s->deadline_request);
	ofd_prom_single(w, "overflowd_http_deferred", OFD_PROM_GAUGE,
			"HTTP requests waiting for their answer (tracers waiting for the store's commit).",
			s->deferred);
}
