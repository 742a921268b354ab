/*
 * A hash set of VRPs (net/vrp.h), for the RTR client's deltas: insert, remove and find in O(1),
 * copy whole. Open addressing, linear probing, backward-shift deletion (no tombstones), grown
 * at 1/2 load: 24 bytes per slot, 48 to 96 bytes per VRP. Not thread-safe.
 */
#ifndef OFD_NET_VRP_TABLE_H
#define OFD_NET_VRP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "net/vrp.h"

struct ofd_vrp_key {
	uint8_t addr[16]; /* IPv4 v4-mapped */
	uint8_t len;	  /* 0-128 (IPv4: 96 + length) */
	uint8_t maxlen;	  /* as len */
	uint8_t used;	  /* slot in use (1) */
	uint8_t pad;
	uint32_t asn;
};

struct ofd_vrp_table {
	struct ofd_vrp_key *slot;
	size_t mask; /* slots - 1 (0 with no slot) */
	size_t n;
};

/* 1 if k (used ignored) is in t. */
int ofd_vrp_table_has(const struct ofd_vrp_table *t, const struct ofd_vrp_key *k);
/* 0, 1 if it was there already, -ENOMEM. */
int ofd_vrp_table_add(struct ofd_vrp_table *t, const struct ofd_vrp_key *k);
/* 0, or 1 if it was not there. */
int ofd_vrp_table_del(struct ofd_vrp_table *t, const struct ofd_vrp_key *k);
/* dst (emptied first) becomes a copy of src: 0 or -ENOMEM (dst then empty). */
int ofd_vrp_table_copy(struct ofd_vrp_table *dst, const struct ofd_vrp_table *src);
void ofd_vrp_table_clear(struct ofd_vrp_table *t);
/* k as a struct ofd_vrp (IPv4 family for v4-mapped /96 and longer). */
void ofd_vrp_key_to_vrp(const struct ofd_vrp_key *k, struct ofd_vrp *v);
/* Freeze t's VRPs into a new set: 0 or -ENOMEM. */
int ofd_vrp_table_freeze(const struct ofd_vrp_table *t, struct ofd_vrpset **out);

#endif
