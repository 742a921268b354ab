/*
 * aslookup's route table from an MRT RIB dump: a longest-prefix-match table (net/lpm.h) from
 * each prefix to one AS path (the first RIB entry of the prefix whose origin is defined, else
 * its first entry, in file order over all the records that hold the prefix), paths interned once (a full
 * table's million prefixes share a few hundred thousand paths) and kept to their first OFD_AS_PATH_MAX ASNs,
 * with the origin beside.
 *
 * Memory is bounded: at most ASTABLE_PREFIXES_MAX prefixes and ASTABLE_PATHS_MAX distinct paths
 * (a file with more is refused, with the cap named); the file itself is mapped, read once and
 * unmapped. Default routes (0.0.0.0/0, ::/0) are left out (counted): they would give every
 * address outside the table the origin of whoever announced the default. IPv6 routes never
 * answer for IPv4 addresses: the table holds 0.0.0.0/0 with ASTABLE_NO_ROUTE (net/lpm.h: an
 * IPv6 prefix of 96 bits or less covering ::ffff:0:0/96, ::/8 say, would otherwise match every
 * IPv4 address no IPv4 route covers), and IPv6 prefixes inside ::ffff:0:0/96 are left out
 * (counted v6_mapped_skipped). Building keeps a list of the distinct prefixes (an array of 24
 * bytes an entry grown by doubling, and a hash of two 4-byte slots an entry: 32 to 64 bytes a
 * prefix) besides the lookup table's own; both are freed once the table is frozen.
 */
#ifndef OFD_SEG_ASTABLE_H
#define OFD_SEG_ASTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "net/lpm.h"
#include "net/mrt.h"
#include "ofd/flow.h"

#define ASTABLE_PREFIXES_MAX (8u << 20)
#define ASTABLE_PATHS_MAX    (4u << 20)

struct astable_path {
	uint32_t origin; /* 0: undefined (an AS_SET of several, an empty path) */
	uint32_t as[OFD_AS_PATH_MAX];
	uint8_t len;
};

struct astable {
	struct ofd_lpm *lpm; /* prefix -> index into paths */
	struct astable_path *paths;
	size_t npaths, cap;
	uint32_t *slots; /* intern hash: path index + 1, 0 empty */
	size_t nslots;
	/* what the file held */
	struct ofd_mrt_stats st;
	uint64_t prefixes;	    /* distinct prefixes in the table */
	uint64_t defaults_skipped;  /* 0.0.0.0/0, ::/0 */
	uint64_t v6_mapped_skipped; /* IPv6 prefixes inside ::ffff:0:0/96 (IPv4 space) */
	uint64_t duplicates;	    /* a prefix seen again in a later RIB record */
	uint64_t no_origin, paths_cut;
};

/* The lookup value of IPv4 addresses that no IPv4 route covers (0.0.0.0/0 in the table). */
#define ASTABLE_NO_ROUTE UINT32_MAX

/*
 * Build from the MRT file at path. 0, or an error with the reason in err (the file cannot be
 * read, is compressed, is truncated or corrupt at record N / byte B, exceeds a cap, holds no
 * routes). *out is NULL on error.
 */
int astable_load_mrt(const char *path, struct astable **out, char *err, size_t errlen);

/* Build from bytes (the fuzz target and tests). */
int astable_build(const uint8_t *buf, size_t len, struct astable **out, char *err, size_t errlen);

void astable_free(struct astable *t);

/* The path of the route for a, or NULL. */
static inline const struct astable_path *astable_lookup(const struct astable *t, const struct ofd_ip *a)
{
	uint32_t v;
	return ofd_lpm_lookup(t->lpm, a, &v) && v != ASTABLE_NO_ROUTE ? &t->paths[v] : NULL;
}

#endif
