/*
 * flowfilter `community` (ours: flowpipeline's flowfilter has no such keyword): the BGP
 * communities of the flow's destination route, as the bgp segment sets them (bgp_communities,
 * bgp_large_communities; there are no per-side communities, so `src`/`dst community` are refused
 * as `src med` is).
 *
 *   community ASN:VALUE              a standard community (RFC 1997), each part 0-65535
 *   community GLOBAL:LOCAL1:LOCAL2   a large community (RFC 8092), each part 0-4294967295
 *   community NAME                   a well-known community (names[] below)
 *
 * Each part is a decimal number (no leading zeros: elsewhere in the language 0100 is octal, so
 * it is refused rather than read either way), a range A-B, or `*` for any value. A test holds
 * when one community of the record's list matches: `community 65000:*` holds for a flow with
 * 65000:1, `community *:*` for a flow with any standard community. Standard and large
 * communities are separate lists: `65000:100` never matches the large 65000:100:0. A flow
 * without the list has no community: `community X` does not hold, `not community X` does. The
 * record keeps the first 8 standard and 4 large communities of a route.
 *
 * An exact community is compiled into the test itself (lo, hi); a large one with a range or `*`
 * keeps its six part bounds in the filter's u32 pool (p->asns).
 */
#include "flowfilter/parse.h"

#include <stdio.h>
#include <string.h>

static const char noun[] = "a community (ASN:VALUE, GLOBAL:LOCAL1:LOCAL2 or a name such as no-export)";

/* Well-known communities (IANA "BGP Well-known Communities"), ASN << 16 | value. */
static const struct {
	const char *name;
	uint32_t value;
} names[] = {
    {"no-export", 0xffffff01},		 /* RFC 1997, 65535:65281 */
    {"no-advertise", 0xffffff02},	 /* RFC 1997, 65535:65282 */
    {"no-export-subconfed", 0xffffff03}, /* RFC 1997, 65535:65283 */
    {"no-peer", 0xffffff04},		 /* RFC 3765, 65535:65284 */
    {"blackhole", 0xffff029a},		 /* RFC 7999, 65535:666 */
    {"graceful-shutdown", 0xffff0000},	 /* RFC 8326, 65535:0 */
    {"accept-own", 0xffff0001},		 /* RFC 7611, 65535:1 */
    {"llgr-stale", 0xffff0006},		 /* RFC 9494, 65535:6 */
    {"no-llgr", 0xffff0007},		 /* RFC 9494, 65535:7 */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct part {
	uint32_t lo, hi;
};

/* A decimal number of s[0..len) no larger than max: 0, 1 not a number, 2 a leading zero, 3 too
 * large. */
static int dec(const char *s, size_t len, uint32_t max, uint32_t *v)
{
	if (!len)
		return 1;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 1;
	if (len > 1 && s[0] == '0')
		return 2;
	uint64_t r = 0;
	for (size_t i = 0; i < len; i++) {
		r = r * 10 + (uint64_t)(s[i] - '0');
		if (r > max)
			return 3;
	}
	*v = (uint32_t)r;
	return 0;
}

/* One part s[0..len) at column col: N, A-B or `*`, each number at most max. */
static int parse_part(struct ofd_ff_parser *p, const char *s, size_t len, uint32_t col, uint32_t max,
		      struct part *out)
{
	int n = len > 40 ? 40 : (int)len;
	if (!len)
		return ofd_ff_fail(p, col, "empty community part");
	if (len == 1 && s[0] == '*') {
		*out = (struct part){0, max};
		return 0;
	}
	const char *dash = len > 1 ? memchr(s + 1, '-', len - 1) : NULL;
	size_t alen = dash ? (size_t)(dash - s) : len;
	int rc = dec(s, alen, max, &out->lo);
	out->hi = out->lo;
	if (!rc && dash)
		rc = dec(dash + 1, len - alen - 1, max, &out->hi);
	switch (rc) {
	case 0: break;
	case 2:
		return ofd_ff_fail(p, col, "community part '%.*s' has a leading zero (decimal numbers only)",
				   n, s);
	case 3: return ofd_ff_fail(p, col, "community part '%.*s' out of range (0-%u)", n, s, (unsigned)max);
	default:
		return ofd_ff_fail(p, col, "community part '%.*s' is not a number, a range A-B or '*'", n, s);
	}
	if (out->lo > out->hi)
		return ofd_ff_fail(p, col, "empty range '%.*s' (start above end)", n, s);
	return 0;
}

int ofd_ff_parse_community(struct ofd_ff_parser *p, uint32_t *node)
{
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	char what[sizeof(noun) + 32];
	snprintf(what, sizeof(what), "%s after 'community'", noun);
	if (t->type != OFD_FF_T_WORD)
		return ofd_ff_expected(p, what);
	for (size_t i = 0; i < NELEM(names); i++) {
		if (ofd_ff_at(p, names[i].name)) {
			struct ofd_ff_insn in = {
			    .op = OFD_FF_OP_COMMUNITY, .lo = names[i].value, .hi = names[i].value};
			p->pos++;
			return ofd_ff_add_leaf(p, &in, node);
		}
	}
	/* split at the colons: two parts (standard) or three (large) */
	const char *s = p->src + t->off;
	size_t start[3], end[3], np = 0;
	start[0] = 0;
	for (size_t i = 0; i <= t->len; i++) {
		if (i < t->len && s[i] != ':')
			continue;
		if (np == 3)
			return ofd_ff_expected(p, what);
		end[np++] = i;
		if (np < 3)
			start[np] = i + 1;
	}
	if (np < 2)
		return ofd_ff_expected(p, what);
	uint32_t max = np == 2 ? 0xffff : UINT32_MAX;
	struct part part[3];
	for (size_t k = 0; k < np; k++) {
		int rc = parse_part(p, s + start[k], end[k] - start[k], t->col + (uint32_t)start[k], max,
				    &part[k]);
		if (rc)
			return rc;
	}
	p->pos++;
	int exact =
	    part[0].lo == part[0].hi && part[1].lo == part[1].hi && (np == 2 || part[2].lo == part[2].hi);
	struct ofd_ff_insn in = {0};
	if (np == 2) {
		in.op = exact ? OFD_FF_OP_COMMUNITY : OFD_FF_OP_COMMUNITY_RANGE;
		in.lo = (uint64_t)part[0].lo << 16 | part[1].lo;
		in.hi = (uint64_t)part[0].hi << 16 | part[1].hi;
	} else if (exact) {
		in.op = OFD_FF_OP_LCOMMUNITY;
		in.lo = (uint64_t)part[0].lo << 32 | part[1].lo;
		in.hi = part[2].lo;
	} else {
		uint32_t b[6] = {part[0].lo, part[0].hi, part[1].lo, part[1].hi, part[2].lo, part[2].hi};
		in.op = OFD_FF_OP_LCOMMUNITY_RANGE;
		int rc = ofd_ff_add_asns(p, b, 6, &in.aux);
		if (rc)
			return rc;
	}
	return ofd_ff_add_leaf(p, &in, node);
}
