/*
 * libFuzzer target: BGP OPEN, NOTIFICATION and ROUTE-REFRESH parsing (net/bgp_msg.h). The input
 * is a byte stream split with ofd_bgp_frame; each message is handed to the parser of its type,
 * and the rest of a stream with a bad header to all three. Invariants: errors have a reason,
 * arrays stay within their caps, the shutdown text is terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_msg.h"

static void one(const uint8_t *m, size_t n)
{
	struct ofd_bgp_open o;
	struct ofd_bgp_err e = {0};
	if (ofd_bgp_open_parse(m, n, &o, &e) != 0) {
		if (!e.reason)
			abort();
	} else {
		if (o.n_mp > OFD_BGP_AFS_MAX || o.n_gr > OFD_BGP_AFS_MAX || o.n_addpath > OFD_BGP_AFS_MAX ||
		    o.n_llgr > OFD_BGP_AFS_MAX || o.n_unknown > OFD_BGP_UNKCAPS_MAX)
			abort();
		volatile uint8_t sink = 0;
		for (unsigned i = 0; i < o.n_unknown; i++)
			if (o.unknown[i].len)
				sink ^= o.unknown[i].data[o.unknown[i].len - 1];
		(void)sink;
		struct ofd_bgp_sess s;
		ofd_bgp_negotiate(&o, &o, &s);
	}
	struct ofd_bgp_notification nt;
	if (ofd_bgp_notification_parse(m, n, &nt) == 0 && strlen(nt.text) > OFD_BGP_SHUTDOWN_MAX)
		abort();
	uint16_t afi;
	uint8_t safi, sub;
	(void)ofd_bgp_route_refresh_parse(m, n, &afi, &safi, &sub, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		size_t ml;
		struct ofd_bgp_err e = {0};
		int rc = ofd_bgp_frame(data, size, OFD_BGP_EXT_MAX_LEN, &ml, &e);
		if (rc != 1) {
			if (size >= OFD_BGP_HDR_LEN)
				one(data, size);
			break;
		}
		one(data, ml);
		data += ml, size -= ml;
	}
	return 0;
}
