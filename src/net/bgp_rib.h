/*
 * One BGP RIB per router (Adj-RIB-In of one session, or of one BMP-monitored peer), built for
 * flow enrichment: one writer thread (the session thread) changes it, any number of lookups run
 * lock-free on a frozen snapshot.
 *
 * Path attributes are interned: a hash table of attribute sets (AS path, origin AS, next hop,
 * MED, local pref, communities, large communities), each stored once per distinct set and
 * refcounted by the routes and the snapshots that use it. Routes live in a mutable map (open
 * addressing, linear probing, backward-shift deletion) keyed by prefix, with one or more paths
 * per prefix by ADD-PATH path id. An announcement replaces the path of the same id, a withdrawal
 * removes it.
 *
 * Best path of a prefix (the one a flow gets; documented rule, deterministic, no IGP metric):
 *   1. a path not marked stale (graceful restart) over a stale one,
 *   2. the highest LOCAL_PREF (100 when absent),
 *   3. the shortest AS path (ASNs counted as sent; an AS_SET counts 1 as RFC 4271 says),
 *   4. the lowest MED (0 when absent; compared across neighbour ASes: one router's view),
 *   5. the lowest ADD-PATH path id.
 *
 * Snapshots: ofd_bgp_rib_publish() freezes the best path of every prefix into a net/lpm.h
 * table (value: index of the attribute set in the snapshot << 8 | the prefix length), the
 * snapshot holding a reference on every attribute set it names. Publishing follows
 * segments/common/prefixsrc.c: the writer puts the new snapshot in `pending`; the one reader
 * thread (the segment instance's) takes it at the start of a batch (ofd_bgp_rib_adopt) and puts
 * the snapshot it replaced on `retired`, which the writer frees (ofd_bgp_rib_reap): no reader
 * can hold it any more, since only that thread reads `cur`. A batch is looked up in one
 * snapshot, never two. Records get copies of the values, never pointers into a snapshot.
 *
 * Threads: everything but adopt/current/lookups is the writer's; adopt/current/lookups are the
 * one reader thread's. ofd_bgp_rib_free after both are done.
 *
 * Memory (x86-64): a route (prefix + one path) is 40 bytes in the map's slot array (kept at
 * most 3/4 full: ~53 bytes per route) plus ~24 bytes in the lpm of the snapshot (IPv4, full
 * table); an attribute set is a 64-byte header plus 4 bytes per ASN and community, 12 per
 * large community. A further ADD-PATH path of a prefix is 16 bytes (array grown by doubling).
 */
#ifndef OFD_NET_BGP_RIB_H
#define OFD_NET_BGP_RIB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net/bgp_msg.h"
#include "net/lpm.h"
#include "net/prefix.h"

/* An interned attribute set: immutable once interned (the snapshot fields excepted, which
 * only the writer touches). */
struct ofd_bgp_attrs {
	struct ofd_bgp_attrs *hnext; /* hash chain */
	uint32_t hash;
	uint32_t refs;		     /* routes + snapshots; writer only */
	uint32_t snap_gen, snap_idx; /* writer only: numbering while building a snapshot */
	struct ofd_ip next_hop;	     /* NEXT_HOP or MP_REACH next hop (family 0: none) */
	uint8_t origin;		     /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	uint8_t flags;		     /* OFD_BGPA_* */
	uint16_t n_path;	     /* ASNs kept (AS path flattened, sets included) */
	uint16_t path_len;	     /* path length for the best-path rule (an AS_SET counts 1) */
	uint16_t n_comms, n_lcomms;
	uint32_t origin_as, med, local_pref;
	uint32_t v[]; /* asn[n_path], comms[n_comms], lcomms[3 * n_lcomms] (global, l1, l2) */
};

enum {
	OFD_BGPA_MED = 1,
	OFD_BGPA_LOCAL_PREF = 2,
	OFD_BGPA_ORIGIN_AS = 4, /* origin_as defined (the path ends in a sequence or a set of one) */
};

static inline const uint32_t *ofd_bgp_attrs_path(const struct ofd_bgp_attrs *a)
{
	return a->v;
}
static inline const uint32_t *ofd_bgp_attrs_comms(const struct ofd_bgp_attrs *a)
{
	return a->v + a->n_path;
}
static inline const uint32_t *ofd_bgp_attrs_lcomms(const struct ofd_bgp_attrs *a)
{
	return a->v + a->n_path + a->n_comms;
}

/* RPKI hook (issue 17 part 2): the origin validation state of a route is computed per lookup
 * from (prefix, origin_as) by the segment, not stored in the RIB; see ofd_bgp_route below. */

/* A frozen view: the lpm table and the attribute sets it names. */
struct ofd_bgp_snap {
	struct ofd_lpm *lpm;
	struct ofd_bgp_attrs **attrs; /* n_attrs, each with a reference held */
	uint32_t n_attrs;
	size_t n_routes;
	uint64_t built_ns;	   /* CLOCK_MONOTONIC when frozen */
	uint64_t freeze_ns;	   /* time taken to build it */
	struct ofd_bgp_snap *next; /* retired list */
};

#define OFD_BGP_SNAP_MISS UINT32_MAX

/* What a lookup value means: the attribute set and the matched prefix length (0-128, IPv4 as
 * 96 + its length). */
static inline const struct ofd_bgp_attrs *ofd_bgp_snap_attrs(const struct ofd_bgp_snap *s, uint32_t v,
							     uint8_t *plen)
{
	*plen = (uint8_t)(v & 0xff);
	return s->attrs[v >> 8];
}

struct ofd_bgp_rib_stats {
	uint64_t prefixes, paths; /* now */
	uint64_t attr_sets;	  /* distinct attribute sets now */
	uint64_t announced, withdrawn, refused_cap, stale_swept;
	uint64_t snapshots;
	uint64_t last_freeze_ns;
	size_t map_bytes, attr_bytes, snap_bytes; /* memory now (snap: the published/current one) */
};

struct ofd_bgp_rib;

/* A RIB holding at most max_paths paths (0: 4 million). 0 or -ENOMEM. */
int ofd_bgp_rib_new(struct ofd_bgp_rib **out, size_t max_paths) OFD_MUST_CHECK;
void ofd_bgp_rib_free(struct ofd_bgp_rib *r);

/*
 * Apply a parsed UPDATE (any outcome but SESSION_RESET): withdrawals, then announcements
 * (TREAT_AS_WITHDRAW: every NLRI withdrawn). Announced paths over the cap are refused and
 * counted (refused_cap). Returns the number of paths changed, or -ENOMEM (the RIB stays
 * consistent; some changes may be applied).
 */
int ofd_bgp_rib_apply(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u) OFD_MUST_CHECK;

/*
 * Several feeds in one RIB (a router's BGP session and the peers its BMP feed monitors): a
 * feed's paths carry its number src in the top 12 bits of the path id, the low 20 bits of the
 * ADD-PATH id below it (ids that differ only above bit 20 collide: the later replaces the
 * earlier), and are removed (or marked stale) together. The session is feed 0, BMP-monitored
 * peers 1..4095. ofd_bgp_rib_apply keeps ids as received (one feed). Same returns as
 * ofd_bgp_rib_apply; remove: paths removed (src OFD_BGP_RIB_SRC_ANY: every path of feeds 1 and
 * up, in one pass); mark: paths marked stale.
 */
#define OFD_BGP_RIB_SRC_SHIFT 20
#define OFD_BGP_RIB_SRC_MAX   4095
#define OFD_BGP_RIB_SRC_ANY   UINT32_MAX
int ofd_bgp_rib_apply_src(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u, uint32_t src) OFD_MUST_CHECK;
size_t ofd_bgp_rib_remove_src(struct ofd_bgp_rib *r, uint32_t src);
size_t ofd_bgp_rib_mark_stale_src(struct ofd_bgp_rib *r, uint32_t src);

/* Announce one path with attributes from u (for MRT loading and tests). 1 changed, 0 refused
 * (cap), -ENOMEM. */
int ofd_bgp_rib_announce(struct ofd_bgp_rib *r, const struct ofd_prefix *p, uint32_t path_id,
			 const struct ofd_bgp_update *u) OFD_MUST_CHECK;
/* Load an MRT RIB dump (net/mrt.h; bgp_rib_mrt.c): each entry a path, the MRT peer index its
 * path id; AS path and origin only. 0, -ENOMEM, or ofd_mrt_walk's error (st says why). */
struct ofd_mrt_stats;
int ofd_bgp_rib_load_mrt(struct ofd_bgp_rib *r, const uint8_t *buf, size_t len,
			 struct ofd_mrt_stats *st) OFD_MUST_CHECK;

/* Withdraw one path: 1 removed, 0 absent. */
int ofd_bgp_rib_withdraw(struct ofd_bgp_rib *r, const struct ofd_prefix *p, uint32_t path_id);

/* Graceful restart: mark every path stale (session lost with GR), and remove the stale ones
 * (restart timer expired, or End-of-RIB after the reconnect). Returns paths marked/removed. */
size_t ofd_bgp_rib_mark_stale(struct ofd_bgp_rib *r);
size_t ofd_bgp_rib_sweep_stale(struct ofd_bgp_rib *r);
/* Remove everything (session lost without GR). */
void ofd_bgp_rib_clear(struct ofd_bgp_rib *r);

/* Whether the map changed since the last publish. */
int ofd_bgp_rib_dirty(const struct ofd_bgp_rib *r);

/* Writer: freeze the map into a snapshot and publish it for the reader (also when not dirty if
 * force). 1 published, 0 nothing to do, -ENOMEM (the old snapshot stays). Frees retired ones. */
int ofd_bgp_rib_publish(struct ofd_bgp_rib *r, int force) OFD_MUST_CHECK;
/* Writer: free the snapshots the reader retired. */
void ofd_bgp_rib_reap(struct ofd_bgp_rib *r);

/* Reader: take a published snapshot if there is one (start of a batch). */
void ofd_bgp_rib_adopt(struct ofd_bgp_rib *r);
/* Reader: the snapshot in use (NULL before the first adopt of a publish). */
const struct ofd_bgp_snap *ofd_bgp_rib_current(const struct ofd_bgp_rib *r);

/* Paths now and (sets not NULL) attribute sets: cheap, writer thread. */
uint64_t ofd_bgp_rib_paths(const struct ofd_bgp_rib *r, uint64_t *sets);
/* Paths refused over the cap so far: cheap, writer thread. */
uint64_t ofd_bgp_rib_refused(const struct ofd_bgp_rib *r);

void ofd_bgp_rib_stats(const struct ofd_bgp_rib *r, struct ofd_bgp_rib_stats *st);

/* The best path of exactly prefix p in the mutable map (writer thread; tests). */
const struct ofd_bgp_attrs *ofd_bgp_rib_best(const struct ofd_bgp_rib *r, const struct ofd_prefix *p);

#endif
