/*
 * A longest-prefix-match table: prefixes (net/prefix.h) with a uint32 value each; a lookup
 * returns the value of the most specific prefix containing an address. For BGP routes, prefix
 * tags, remote-address classification and the tracer policy.
 *
 * Life cycle: ofd_lpm_new, ofd_lpm_add for each prefix, ofd_lpm_freeze (compiles the table),
 * then any number of lookups from any number of threads; ofd_lpm_free. A frozen table is
 * never changed: to update, build a new table and swap the pointer (the old one is freed when
 * its last reader is done, which is the caller's business). Adding to a frozen table or
 * freezing twice is refused with -EBUSY.
 *
 * Semantics are those of ofd_prefix_match over the 16 address bytes (the family fields are
 * not read): IPv4 prefixes match v4-mapped addresses only, and an IPv6 prefix of length 96 or
 * less containing ::ffff:0:0/96 (::/0 for one) matches IPv4 addresses that no IPv4 prefix
 * covers. Give IPv4 its own 0.0.0.0/0 to keep the families apart.
 *
 * Duplicates (the same address and length added twice) resolve to the value added last.
 * Prefixes that fail ofd_prefix_check (length over 128, host bits set, an IPv4 family not
 * v4-mapped) are refused with OFD_EFORMAT and leave the table as it was.
 *
 * Inside: two tries, one for v4-mapped addresses (32-bit keys) and one for the rest (128-bit
 * keys), each a direct-indexed root of 2^8..2^18 entries of 8 bytes (by the number of
 * prefixes) and poptrie-like nodes of 6 bits in one 64-byte cache line each (a child bitmap, a
 * leaf-run bitmap and up to 10 leaves inline); a subtree of at most 3 prefixes is a bucket
 * scanned linearly inside its node. A lookup of a /24 in a million IPv4 routes reads two cache
 * lines (root entry, node). Tables over 1 MiB live in one mapping advised for transparent huge
 * pages. Memory (ofd_lpm_memory): 24 bytes per prefix for a million IPv4 routes, 51 for a
 * million IPv6 ones (bench_lpm's mixes); the largest root is 2 MiB; the list before freezing
 * costs 32 bytes per prefix (twice that while freezing). Freezing a million prefixes takes under a second of
 * CPU.
 */
#ifndef OFD_NET_LPM_H
#define OFD_NET_LPM_H

#include <stddef.h>
#include <stdint.h>

#include "net/prefix.h"
#include "ofd/err.h"

struct ofd_lpm;

/* An empty, unfrozen table. 0 or -ENOMEM. */
int ofd_lpm_new(struct ofd_lpm **out) OFD_MUST_CHECK;

/* Add prefix p with value v (any uint32). 0, OFD_EFORMAT, -ENOMEM or -EBUSY (frozen). */
int ofd_lpm_add(struct ofd_lpm *t, const struct ofd_prefix *p, uint32_t v) OFD_MUST_CHECK;

/*
 * Compile the prefixes added into the lookup structure and free the list. An empty table is
 * fine (every lookup misses). 0, -EBUSY, or -ENOMEM: the table is then unusable (every lookup
 * misses, adding is refused) and only to be freed.
 */
int ofd_lpm_freeze(struct ofd_lpm *t) OFD_MUST_CHECK;

/*
 * The value of the longest prefix containing a into *v: 1, or 0 if no prefix contains a (or
 * the table is not frozen; *v is then untouched).
 */
int ofd_lpm_lookup(const struct ofd_lpm *t, const struct ofd_ip *a, uint32_t *v);

/*
 * Look up a[0..n) into out[0..n) (miss where no prefix matches), interleaving the lookups
 * with prefetches so that their memory accesses overlap: use it for batches of records.
 * Returns the number of hits.
 */
size_t ofd_lpm_lookup_batch(const struct ofd_lpm *t, const struct ofd_ip *const *a, size_t n, uint32_t *out,
			    uint32_t miss);

/* Distinct prefixes in the frozen table (0 before ofd_lpm_freeze). */
size_t ofd_lpm_count(const struct ofd_lpm *t);

/* Bytes held by the frozen table (roots, nodes, leaves, buckets), or by the list before. */
size_t ofd_lpm_memory(const struct ofd_lpm *t);

void ofd_lpm_free(struct ofd_lpm *t);

#endif
