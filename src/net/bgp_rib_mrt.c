/*
 * Routes of an MRT RIB dump (net/mrt.h) into a RIB (net/bgp_rib.h): every entry becomes a path
 * with the MRT peer index as its path id, so that the entries of several peers for one prefix
 * are kept side by side and the best-path rule picks one. The AS path is MRT's (AS_SEQUENCE
 * ASNs, at most OFD_MRT_PATH_MAX), the origin the walker's; no next hop, MED, local pref or
 * communities (the walker does not hand them on).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_rib.h"
#include "net/mrt.h"

struct load {
	struct ofd_bgp_rib *r;
	struct ofd_bgp_update *u;
	int err;
};

static int one(void *ctx, const struct ofd_mrt_route *m)
{
	struct load *l = ctx;
	struct ofd_bgp_update *u = l->u;
	unsigned n = m->path_len < OFD_BGP_PATH_MAX ? m->path_len : OFD_BGP_PATH_MAX;
	memcpy(u->path.asn, m->path, n * 4);
	u->path.n_asn = (uint16_t)n;
	u->path.n_seg = 0;
	for (unsigned off = 0; off < n && u->path.n_seg < OFD_BGP_SEGS_MAX; off += 255) {
		unsigned k = n - off < 255 ? n - off : 255;
		u->path.seg[u->path.n_seg++] =
		    (struct ofd_bgp_seg){OFD_BGP_AS_SEQUENCE, (uint8_t)k, (uint16_t)off};
	}
	u->path.origin_ok = (uint8_t)(m->origin_ok != 0);
	u->path.origin_as = m->origin;
	int rc = ofd_bgp_rib_announce(l->r, &m->prefix, m->peer, u);
	if (rc < 0) {
		l->err = rc;
		return 1;
	}
	return 0;
}

int ofd_bgp_rib_load_mrt(struct ofd_bgp_rib *r, const uint8_t *buf, size_t len, struct ofd_mrt_stats *st)
{
	struct ofd_bgp_update *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->attrs = 1u << OFD_BGP_ATTR_ORIGIN | 1u << OFD_BGP_ATTR_AS_PATH;
	struct load l = {r, u, 0};
	int rc = ofd_mrt_walk(buf, len, one, &l, st);
	free(u);
	return l.err ? l.err : rc;
}
