/*
 * Inside net/bgp_rib: the RIB's structures, shared by bgp_rib.c (attribute sets, prefix map)
 * and bgp_rib_snap.c (best path, snapshots). Not for other modules.
 */
#ifndef OFD_NET_BGP_RIB_INT_H
#define OFD_NET_BGP_RIB_INT_H

#include "net/bgp_rib.h"

struct rpath {
	struct ofd_bgp_attrs *a;
	uint32_t pid;
	uint8_t stale;
};

struct more {
	uint16_t n, cap; /* paths in v (the slot's first path is inline) */
	struct rpath v[];
};

struct slot {
	uint8_t k[16];
	uint8_t len;
	uint8_t used;
	uint16_t n; /* paths: p0 + more->v[0..n-1) */
	uint32_t hash;
	struct rpath p0;
	struct more *more;
};

struct ofd_bgp_rib {
	/* map */
	struct slot *slots;
	size_t cap, used; /* any cap: slot of a hash = fastrange (h * cap >> 32), grown by 1.5 */
	size_t paths, max_paths;
	int dirty;
	/* interned attribute sets */
	struct ofd_bgp_attrs **ht;
	size_t ht_cap, ht_n;
	size_t attr_bytes;
	struct ofd_bgp_attrs *scratch;
	size_t scratch_cap; /* words of v[] */
	uint32_t gen;
	/* snapshots */
	_Atomic(struct ofd_bgp_snap *) pending;
	_Atomic(struct ofd_bgp_snap *) retired;
	struct ofd_bgp_snap *cur; /* reader only */
	size_t snap_bytes;
	struct ofd_bgp_rib_stats st;
};

#define HDR_CMP_OFF offsetof(struct ofd_bgp_attrs, next_hop)

static inline struct rpath *path_at(struct slot *s, unsigned i)
{
	return i == 0 ? &s->p0 : &s->more->v[i - 1];
}

/* Drop a reference; the set is freed with its last one (writer thread). */
void bgp_attrs_unref(struct ofd_bgp_rib *r, struct ofd_bgp_attrs *a);
/* The slot of exactly (k, len), or NULL. */
struct slot *bgp_map_find(const struct ofd_bgp_rib *r, const uint8_t *k, uint8_t len);
/* Free a snapshot, dropping its references (writer thread). */
void bgp_snap_free(struct ofd_bgp_rib *r, struct ofd_bgp_snap *s);

#endif
