/*
 * libFuzzer target: the BMP station's state (net/bgp_bmp.h) without sockets. The first byte
 * picks the station (bit 0: post-policy), the rest is one router's stream, split with
 * ofd_bmp_frame as the station's receive path does, each message handed to ofd_bgp_bmp_input
 * until an error or a Termination (the station would close). Invariants: the router's RIB never
 * holds more than its cap; after the connection's end (ofd_bgp_bmp_reset) it holds no path; a
 * snapshot of it can always be published.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_bmp.h"
#include "net/bmp.h"

#define CAP 64

static struct ofd_bgp_speaker *sp[2];
static struct ofd_bgp_bmp *st[2];

static void setup(void)
{
	static struct ofd_bgp_peer_cfg p = {.name = "r", .n_addr = 1, .asn = 64500};
	struct ofd_bgp_speaker_cfg c = {.asn = 64500, .router_id = 1, .max_paths = CAP};
	char err[128];
	for (int i = 0; i < 2; i++) {
		struct ofd_bgp_bmp_cfg b = {.post_policy = (uint8_t)i};
		if (ofd_bgp_speaker_new(&sp[i], &c, &p, 1, err, sizeof(err)) ||
		    ofd_bgp_bmp_new(&st[i], &b, sp[i], err, sizeof(err)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sp[0])
		setup();
	if (size < 1)
		return 0;
	int k = data[0] & 1;
	data++, size--;
	struct ofd_bgp_rib *r = ofd_bgp_speaker_rib(sp[k], 0);
	while (size > 0) {
		size_t ml;
		if (ofd_bmp_frame(data, size, &ml) != 1)
			break;
		int rc = ofd_bgp_bmp_input(st[k], 0, data, ml);
		if (ofd_bgp_rib_paths(r, NULL) > CAP)
			abort();
		if (rc)
			break;
		data += ml, size -= ml;
	}
	if (ofd_bgp_rib_publish(r, 1) < 0)
		abort();
	ofd_bgp_bmp_reset(st[k], 0);
	if (ofd_bgp_rib_paths(r, NULL) != 0)
		abort();
	return 0;
}
