/*
 * RPKI Validated ROA Payloads (VRPs) and RFC 6811 route origin validation.
 *
 * A VRP is (prefix, maxLength, origin ASN). A route (prefix, origin AS) is
 *   - covered by every VRP whose prefix contains the route's prefix (VRP length <= route length
 *     and the route's address inside the VRP prefix);
 *   - OFD_RPKI_VALID if some covering VRP has asn == origin, origin != 0 and route length <=
 *     maxLength;
 *   - OFD_RPKI_INVALID if it is covered but no covering VRP matches (wrong origin, longer than
 *     maxLength, or only AS0 VRPs: an AS0 VRP never validates anything);
 *   - OFD_RPKI_NOTFOUND if no VRP covers it.
 * The states are ofd/flow.h's enum ofd_rpki (flowpipeline's ValidationStatus named numbers of
 * the `rpki` field; their names: format/flowfmt.h's ofd_rpki_name); OFD_RPKI_UNKNOWN is never returned here:
 * it is for "no VRP set loaded" or "no route", which is the caller's business.
 *
 * Lengths follow net/prefix.h: IPv4 prefixes are v4-mapped with length 96 + the IPv4 length, and
 * so is maxlen (an IPv4 "maxLength": 24 is maxlen 120). ofd_vrp_make() converts from the
 * written form.
 *
 * Life cycle (as net/lpm.h): ofd_vrpset_new, ofd_vrpset_add for each VRP, ofd_vrpset_freeze,
 * then any number of ofd_vrpset_validate calls from any number of threads without locks; to
 * update, build a new set aside and swap the pointer (freeing the old set once its readers
 * are done is the caller's business). A frozen set is never changed: adding is -EBUSY.
 * Duplicates are merged at freeze.
 *
 * Inside: the distinct VRP prefixes in an ofd_lpm (prefix -> node index); a node (16 bytes)
 * holds its prefix length, the index of its parent (the longest other VRP prefix containing
 * it, or none), its first (maxlen, asn) inline and a run of further ones (8 bytes each) in a
 * side array. Validation is one LPM lookup of the route's address, a walk up the parent chain
 * past nodes longer than the route, then a scan of the entries of the covering node and its
 * ancestors (nested VRPs: a /16 and a /24 both cover a /24 route).
 * Memory of a frozen set: the LPM (about 20 bytes per IPv4 prefix, 50 per IPv6) + 16 bytes per
 * distinct prefix + 8 bytes per further origin of a prefix: 60.5 bytes per VRP on bench_vrp's
 * 500k RPKI-shaped VRPs (70 % IPv4), 30 MB; see ofd_vrpset_memory. Before freezing: 24 bytes
 * per VRP added. A frozen set does not keep the VRPs as a list: who needs them (the RTR client
 * for its deltas) keeps its own.
 * Speed (bench_vrp, 500k VRPs): ofd_vrpset_validate ~120 ns (dependent cache misses on a 30 MB
 * table), ofd_vrpset_validate_batch ~46 ns per route.
 *
 * Families are kept apart: an IPv4 route is covered by IPv4 VRPs only, never by an IPv6 VRP
 * of length 96 or less containing ::ffff:0:0/96; an IPv6 VRP written inside ::ffff:0:0/96 is
 * refused (OFD_EFORMAT) rather than taken for an IPv4 one.
 */
#ifndef OFD_NET_VRP_H
#define OFD_NET_VRP_H

#include <stddef.h>
#include <stdint.h>

#include "net/prefix.h"
#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_vrp {
	struct ofd_prefix prefix; /* well formed (ofd_prefix_check) */
	uint8_t maxlen;		  /* prefix.len <= maxlen <= 128 (IPv4: 96 + maxLength) */
	uint32_t asn;		  /* 0: an AS0 VRP (RFC 6483: the prefix must not be routed) */
};

/*
 * Fill v from the written form: prefix as net/prefix.h stores it, maxlength as written (0-32
 * for an IPv4 prefix, 0-128 for IPv6). 0, or OFD_EFORMAT when the prefix is malformed or
 * maxlength is below its written length or above 32/128 (v is then unchanged).
 */
int ofd_vrp_make(struct ofd_vrp *v, const struct ofd_prefix *p, unsigned maxlength, uint32_t asn);

/* Is p an IPv4 prefix (v4-mapped, len >= 96)? Its written length is then len - 96. */
static inline int ofd_vrp_is_v4(const struct ofd_prefix *p)
{
	return p->len >= 96 && ofd_ip_is_v4mapped(&p->addr);
}

struct ofd_vrpset;

/* An empty, unfrozen set. 0 or -ENOMEM. */
int ofd_vrpset_new(struct ofd_vrpset **out) OFD_MUST_CHECK;

/* Add v. 0, OFD_EFORMAT (malformed prefix, maxlen out of range; the set is unchanged),
   -ENOMEM or -EBUSY (frozen). */
int ofd_vrpset_add(struct ofd_vrpset *s, const struct ofd_vrp *v) OFD_MUST_CHECK;

/* Compile. An empty set is fine (everything NOTFOUND). 0, -EBUSY, or -ENOMEM (the set is then
   unusable: every validation answers NOTFOUND; only free it). */
int ofd_vrpset_freeze(struct ofd_vrpset *s) OFD_MUST_CHECK;

/*
 * RFC 6811 state of the route (route->addr with no bit set after route->len; bits after the
 * length are ignored) originated by AS origin. Pass origin 0 when the route has no origin
 * AS (its AS_PATH ends in an AS_SET, or is empty): such a route can only be INVALID (if
 * covered) or NOTFOUND, exactly as a route from AS0. Never fails on a frozen set; an unfrozen
 * set answers NOTFOUND.
 */
enum ofd_rpki ofd_vrpset_validate(const struct ofd_vrpset *s, const struct ofd_prefix *route,
				  uint32_t origin);

/*
 * The same for routes[0..n) and origins[0..n) into out[0..n) (enum ofd_rpki values), with the
 * lookups of a batch interleaved (net/lpm.h's ofd_lpm_lookup_batch, then prefetches of the
 * nodes) so that their cache misses overlap: use it for batches of records.
 */
void ofd_vrpset_validate_batch(const struct ofd_vrpset *s, const struct ofd_prefix *const *routes,
			       const uint32_t *origins, size_t n, uint8_t *out);

/* Distinct VRPs in the frozen set (after merging duplicates), or added before freezing. */
size_t ofd_vrpset_count(const struct ofd_vrpset *s);

/* Bytes held (frozen: LPM, nodes and entries; before: the list). */
size_t ofd_vrpset_memory(const struct ofd_vrpset *s);

void ofd_vrpset_free(struct ofd_vrpset *s);

#endif
