/*
 * BGP UPDATE parsing with RFC 7606 error handling (net/bgp_msg.h).
 *
 * Decisions (the RFC 7606 section in brackets):
 *   session reset: message length (1/2); withdrawn routes or total attribute length overrunning
 *     the message (3/1, the NLRI cannot be located [4]); a withdrawn prefix malformed (3/1) or an
 *     NLRI prefix malformed: length over 32/128 or past the end (3/10) [5.3]; MP_REACH_NLRI or
 *     MP_UNREACH_NLRI twice (3/1) [3g], malformed (short, next hop length not 4 for IPv4 or 16/32
 *     for IPv6, a prefix malformed: 3/9) [7.11], with bad flags (3/4) or a length overrunning
 *     the attribute list (3/1: its prefixes cannot be withdrawn when unknown); an unrecognized
 *     well-known attribute (3/2, RFC 4271 6.3).
 *   treat-as-withdraw: the attribute list ends inside an attribute header or an attribute length
 *     overruns it [4]; a known attribute with the optional/transitive flags wrong [3c]; ORIGIN
 *     not 1 byte or > 2 [7.1]; AS_PATH malformed (segments that do not fill it, a segment of 0
 *     ASNs or unknown type) [7.2]; NEXT_HOP not 4 bytes [7.3]; MED / LOCAL_PREF not 4 bytes
 *     [7.4, 7.5]; COMMUNITIES, LARGE_COMMUNITIES, EXTENDED_COMMUNITIES of 0 bytes or not a
 *     multiple of 4/12/8 [7.8, RFC 8092 6, 7.14]; a well-known mandatory attribute missing while
 *     the UPDATE carries reachable NLRI (ORIGIN, AS_PATH; NEXT_HOP for IPv4 NLRI; LOCAL_PREF on
 *     iBGP) [3d]: err holds 3/3 and the type for the log, no NOTIFICATION is due.
 *   attribute discard: duplicates of any other attribute (the first one is kept) [3g];
 *     ATOMIC_AGGREGATE not 0 bytes, AGGREGATOR not 6/8 bytes or flags wrong [7.6, 7.7];
 *     LOCAL_PREF from an eBGP peer [7.5]; AS4_PATH / AS4_AGGREGATOR malformed (RFC 6793 6).
 * A treat-as-withdraw outcome keeps parsing: a later, more severe error still resets, and the
 * MP_REACH_NLRI prefixes are known so that they can be withdrawn. Semantic checks (a NEXT_HOP
 * that is a martian or the peer's own address, AS_PATH loops) belong to the session.
 */
#include <stddef.h>
#include <string.h>

#include "net/bgp_msg.h"
#include "ofd/err.h"
#include "ofd/rd.h"

static void out(struct ofd_bgp_update *u, enum ofd_bgp_outcome o, uint8_t code, uint8_t sub,
		const uint8_t *data, size_t dlen, const char *why)
{
	if (o == OFD_BGP_ATTR_DISCARD)
		u->attr_discarded++;
	if (o <= u->outcome && u->err.reason)
		return;
	u->outcome = o;
	u->err.code = code;
	u->err.subcode = sub;
	u->err.data = data;
	u->err.data_len = (uint16_t)dlen;
	u->err.reason = why;
}

int ofd_bgp_nlri_next(struct ofd_bgp_nlri_it *it, struct ofd_prefix *p, uint32_t *path_id)
{
	if (!it->b.p || it->off >= it->b.len)
		return 0;
	struct ofd_rd r = ofd_rd_make(it->b.p + it->off, it->b.len - it->off);
	uint32_t pid = it->b.addpath ? ofd_rd_u32(&r) : 0;
	uint8_t plen = ofd_rd_u8(&r);
	int v4 = it->b.afi == OFD_BGP_AFI_IPV4;
	if (r.err || plen > (v4 ? 32 : 128)) {
		it->off = it->b.len;
		return -1;
	}
	size_t nb = (plen + 7u) / 8;
	memset(p, 0, sizeof(*p));
	uint8_t *dst = v4 ? p->addr.b + 12 : p->addr.b;
	ofd_rd_bytes(&r, dst, nb);
	if (r.err) {
		it->off = it->b.len;
		return -1;
	}
	if (plen % 8)
		dst[nb - 1] &=
		    (uint8_t)(0xff00 >> (plen % 8)); /* trailing bits are irrelevant (RFC 4271 4.3) */
	if (v4) {
		p->addr.b[10] = p->addr.b[11] = 0xff;
		p->addr.family = OFD_AF_INET;
		p->len = (uint8_t)(96 + plen);
	} else {
		p->addr.family = OFD_AF_INET6;
		p->len = plen;
	}
	if (path_id)
		*path_id = pid;
	it->off = (size_t)(r.p - it->b.p);
	return 1;
}

/* Count the prefixes of a block; -1 when one is malformed. */
static int nlri_count(struct ofd_bgp_nlri *b)
{
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	int rc;
	uint32_t n = 0;
	ofd_bgp_nlri_begin(&it, b);
	while ((rc = ofd_bgp_nlri_next(&it, &p, NULL)) == 1)
		n++;
	b->count = n;
	return rc;
}

void ofd_bgp_lcomm(const struct ofd_bgp_update *u, unsigned i, uint32_t *global, uint32_t *l1, uint32_t *l2)
{
	const uint8_t *p = u->lcomms + 12 * i;
	*global = ofd_be32(p);
	*l1 = ofd_be32(p + 4);
	*l2 = ofd_be32(p + 8);
}

/* ------------------------------------------------------------------------------------------ */
/* AS paths */

/* Check a path attribute of asz-byte ASNs; returns its RFC 6793 count (AS_SET 1, confederation
 * segments 0) or -1 when malformed. confed: set when it has confederation segments. */
static long path_count(const uint8_t *p, size_t n, int asz, int *confed)
{
	struct ofd_rd r = ofd_rd_make(p, n);
	long cnt = 0;
	*confed = 0;
	while (ofd_rd_left(&r) > 0) {
		uint8_t type = ofd_rd_u8(&r);
		uint8_t len = ofd_rd_u8(&r);
		ofd_rd_skip(&r, (size_t)len * (size_t)asz);
		if (r.err || len == 0 || type < 1 || type > 4)
			return -1;
		if (type == OFD_BGP_AS_SEQUENCE)
			cnt += len;
		else if (type == OFD_BGP_AS_SET)
			cnt += 1;
		else
			*confed = 1;
	}
	return cnt;
}

/* Append the segments of a checked path to out: take `limit` counted ASNs (-1: all); leave
 * confederation segments out when drop_confed. The origin follows the last segment appended. */
static void path_append(struct ofd_bgp_aspath *out, const uint8_t *p, size_t n, int asz, long limit,
			int drop_confed)
{
	struct ofd_rd r = ofd_rd_make(p, n);
	while (ofd_rd_left(&r) > 0 && limit != 0) {
		uint8_t type = ofd_rd_u8(&r);
		uint8_t len = ofd_rd_u8(&r);
		int confed = type == OFD_BGP_AS_CONFED_SEQUENCE || type == OFD_BGP_AS_CONFED_SET;
		unsigned take = len;
		if (type == OFD_BGP_AS_SEQUENCE && limit > 0 && limit < take)
			take = (unsigned)limit;
		if (limit > 0 && !confed)
			limit -= type == OFD_BGP_AS_SEQUENCE ? (long)take : 1;
		if (confed && drop_confed) {
			ofd_rd_skip(&r, (size_t)len * (size_t)asz);
			continue;
		}
		int keep = out->n_seg < OFD_BGP_SEGS_MAX;
		if (keep) {
			out->seg[out->n_seg].type = type;
			out->seg[out->n_seg].first = out->n_asn;
			out->seg[out->n_seg].n = 0;
		} else {
			out->cut = 1;
		}
		uint32_t last = 0;
		for (unsigned i = 0; i < len; i++) {
			uint32_t a = asz == 4 ? ofd_rd_u32(&r) : ofd_rd_u16(&r);
			if (i >= take)
				continue;
			last = a;
			if (keep && out->n_asn < OFD_BGP_PATH_MAX) {
				out->asn[out->n_asn++] = a;
				out->seg[out->n_seg].n++;
			} else {
				out->cut = 1;
			}
		}
		if (keep && out->seg[out->n_seg].n > 0)
			out->n_seg++;
		out->origin_ok = (type == OFD_BGP_AS_SEQUENCE) || (type == OFD_BGP_AS_SET && len == 1);
		out->origin_as = out->origin_ok ? last : 0;
	}
}

/* ------------------------------------------------------------------------------------------ */

enum { F_OPT = 0x80, F_TRANS = 0x40, F_EXT = 0x10 };

/* Expected optional/transitive bits of the attributes this parser knows; 0xff: unknown. */
static uint8_t want_flags(uint8_t type)
{
	switch (type) {
	case OFD_BGP_ATTR_ORIGIN:
	case OFD_BGP_ATTR_AS_PATH:
	case OFD_BGP_ATTR_NEXT_HOP:
	case OFD_BGP_ATTR_LOCAL_PREF:
	case OFD_BGP_ATTR_ATOMIC_AGGREGATE: return F_TRANS;
	case OFD_BGP_ATTR_MED:
	case OFD_BGP_ATTR_MP_REACH:
	case OFD_BGP_ATTR_MP_UNREACH: return F_OPT;
	case OFD_BGP_ATTR_AGGREGATOR:
	case OFD_BGP_ATTR_COMMUNITIES:
	case OFD_BGP_ATTR_EXT_COMMUNITIES:
	case OFD_BGP_ATTR_AS4_PATH:
	case OFD_BGP_ATTR_AS4_AGGREGATOR:
	case OFD_BGP_ATTR_LARGE_COMMUNITIES: return F_OPT | F_TRANS;
	default: return 0xff;
	}
}

struct pstate {
	const uint8_t *aspath, *as4path;
	size_t aspath_n, as4path_n;
	uint32_t aggr4_as, aggr4_id;
	int has_aggr4;
	int n_attrs;
};

static void set_ip(struct ofd_ip *ip, const uint8_t *p, int v4)
{
	memset(ip, 0, sizeof(*ip));
	if (v4) {
		ip->family = OFD_AF_INET;
		ip->b[10] = ip->b[11] = 0xff;
		memcpy(ip->b + 12, p, 4);
	} else {
		ip->family = OFD_AF_INET6;
		memcpy(ip->b, p, 16);
	}
}

static void mp_reach(struct ofd_bgp_update *u, const struct ofd_bgp_sess *s, const uint8_t *d, uint16_t n)
{
	struct ofd_rd r = ofd_rd_make(d, n);
	uint16_t afi = ofd_rd_u16(&r);
	uint8_t safi = ofd_rd_u8(&r);
	uint8_t nhl = ofd_rd_u8(&r);
	const uint8_t *nh = r.p;
	ofd_rd_skip(&r, nhl);
	(void)ofd_rd_u8(&r); /* reserved */
	if (r.err) {
		out(u, OFD_BGP_SESSION_RESET, 3, 9, d, n, "MP_REACH_NLRI shorter than its next hop");
		return;
	}
	if (safi != OFD_BGP_SAFI_UNICAST || (afi != OFD_BGP_AFI_IPV4 && afi != OFD_BGP_AFI_IPV6)) {
		u->mp_other = 1;
		return;
	}
	if (afi == OFD_BGP_AFI_IPV4 ? nhl != 4 : (nhl != 16 && nhl != 32)) {
		out(u, OFD_BGP_SESSION_RESET, 3, 9, d, n, "MP_REACH_NLRI next hop length wrong for its AFI");
		return;
	}
	set_ip(&u->mp_nh, nh, afi == OFD_BGP_AFI_IPV4);
	if (nhl == 32)
		set_ip(&u->mp_nh_ll, nh + 16, 0);
	struct ofd_bgp_nlri b = {r.p,
				 (uint16_t)ofd_rd_left(&r),
				 afi,
				 safi,
				 (uint8_t)(afi == OFD_BGP_AFI_IPV4 ? s->addpath_v4 : s->addpath_v6),
				 0};
	u->mp_reach = b;
	if (nlri_count(&u->mp_reach) < 0)
		out(u, OFD_BGP_SESSION_RESET, 3, 9, d, n, "MP_REACH_NLRI prefix malformed");
}

static void mp_unreach(struct ofd_bgp_update *u, const struct ofd_bgp_sess *s, const uint8_t *d, uint16_t n)
{
	struct ofd_rd r = ofd_rd_make(d, n);
	uint16_t afi = ofd_rd_u16(&r);
	uint8_t safi = ofd_rd_u8(&r);
	if (r.err) {
		out(u, OFD_BGP_SESSION_RESET, 3, 9, d, n, "MP_UNREACH_NLRI shorter than 3 bytes");
		return;
	}
	if (safi != OFD_BGP_SAFI_UNICAST || (afi != OFD_BGP_AFI_IPV4 && afi != OFD_BGP_AFI_IPV6)) {
		u->mp_other = 1;
		u->mp_unreach.afi = afi;
		u->mp_unreach.safi = safi;
		return;
	}
	struct ofd_bgp_nlri b = {r.p,
				 (uint16_t)ofd_rd_left(&r),
				 afi,
				 safi,
				 (uint8_t)(afi == OFD_BGP_AFI_IPV4 ? s->addpath_v4 : s->addpath_v6),
				 0};
	u->mp_unreach = b;
	if (nlri_count(&u->mp_unreach) < 0)
		out(u, OFD_BGP_SESSION_RESET, 3, 9, d, n, "MP_UNREACH_NLRI prefix malformed");
}

/* One attribute whose flags and header were read; d[0..n). */
static void attr(struct ofd_bgp_update *u, const struct ofd_bgp_sess *s, struct pstate *ps, uint8_t flags,
		 uint8_t type, const uint8_t *d, uint16_t n, const uint8_t *whole, size_t wlen)
{
	const enum ofd_bgp_outcome TAW = OFD_BGP_TREAT_AS_WITHDRAW, DISC = OFD_BGP_ATTR_DISCARD;
	uint8_t want = want_flags(type);
	if (want != 0xff && (flags & (F_OPT | F_TRANS)) != want) {
		if (type == OFD_BGP_ATTR_MP_REACH || type == OFD_BGP_ATTR_MP_UNREACH)
			out(u, OFD_BGP_SESSION_RESET, 3, 4, whole, wlen, "MP attribute flags wrong");
		else if (type == OFD_BGP_ATTR_ATOMIC_AGGREGATE || type == OFD_BGP_ATTR_AGGREGATOR ||
			 type == OFD_BGP_ATTR_AS4_PATH || type == OFD_BGP_ATTR_AS4_AGGREGATOR)
			out(u, DISC, 3, 4, whole, wlen, "attribute flags wrong (discarded)");
		else
			out(u, TAW, 3, 4, whole, wlen, "attribute flags wrong");
		return;
	}
	struct ofd_rd r = ofd_rd_make(d, n);
	uint64_t bit = type < 64 ? (uint64_t)1 << type : 0;
	int as_sz = s->as4 ? 4 : 2, confed;
	switch (type) {
	case OFD_BGP_ATTR_ORIGIN:
		if (n != 1 || d[0] > 2) {
			out(u, TAW, 3, 6, whole, wlen, "ORIGIN malformed");
			return;
		}
		u->origin = d[0];
		break;
	case OFD_BGP_ATTR_AS_PATH:
		if (path_count(d, n, as_sz, &confed) < 0) {
			out(u, TAW, 3, 11, NULL, 0, "AS_PATH malformed");
			return;
		}
		ps->aspath = d, ps->aspath_n = n;
		break;
	case OFD_BGP_ATTR_NEXT_HOP:
		if (n != 4) {
			out(u, TAW, 3, 5, whole, wlen, "NEXT_HOP not 4 bytes");
			return;
		}
		u->next_hop = ofd_rd_u32(&r);
		break;
	case OFD_BGP_ATTR_MED:
	case OFD_BGP_ATTR_LOCAL_PREF:
		if (n != 4) {
			out(u, TAW, 3, 5, whole, wlen, "MED or LOCAL_PREF not 4 bytes");
			return;
		}
		if (type == OFD_BGP_ATTR_LOCAL_PREF && !s->ibgp && !s->monitor) {
			out(u, DISC, 0, 0, NULL, 0, "LOCAL_PREF from an eBGP peer (discarded)");
			return;
		}
		*(type == OFD_BGP_ATTR_MED ? &u->med : &u->local_pref) = ofd_rd_u32(&r);
		break;
	case OFD_BGP_ATTR_ATOMIC_AGGREGATE:
		if (n != 0) {
			out(u, DISC, 3, 5, whole, wlen, "ATOMIC_AGGREGATE not empty (discarded)");
			return;
		}
		break;
	case OFD_BGP_ATTR_AGGREGATOR:
		if (n != as_sz + 4) {
			out(u, DISC, 3, 5, whole, wlen, "AGGREGATOR of a bad length (discarded)");
			return;
		}
		u->aggr_as = as_sz == 4 ? ofd_rd_u32(&r) : ofd_rd_u16(&r);
		u->aggr_id = ofd_rd_u32(&r);
		break;
	case OFD_BGP_ATTR_COMMUNITIES:
	case OFD_BGP_ATTR_LARGE_COMMUNITIES:
	case OFD_BGP_ATTR_EXT_COMMUNITIES: {
		unsigned sz = type == OFD_BGP_ATTR_COMMUNITIES	     ? 4
			      : type == OFD_BGP_ATTR_EXT_COMMUNITIES ? 8
								     : 12;
		if (n == 0 || n % sz) {
			out(u, TAW, 3, 9, whole, wlen, "communities attribute of a bad length");
			return;
		}
		if (sz == 4)
			u->comms = d, u->n_comms = (uint16_t)(n / 4);
		else if (sz == 8)
			u->ecomms = d, u->n_ecomms = (uint16_t)(n / 8);
		else
			u->lcomms = d, u->n_lcomms = (uint16_t)(n / 12);
		break;
	}
	case OFD_BGP_ATTR_AS4_PATH:
		if (s->as4) { /* RFC 6793 4.1: not expected between NEW speakers; ignored */
			u->as4_ignored = 1;
			return;
		}
		ps->as4path = d, ps->as4path_n = n; /* checked when merged */
		break;
	case OFD_BGP_ATTR_AS4_AGGREGATOR:
		if (n != 8) {
			out(u, DISC, 3, 5, whole, wlen, "AS4_AGGREGATOR not 8 bytes (discarded)");
			return;
		}
		if (s->as4) {
			u->as4_ignored = 1;
			return;
		}
		ps->aggr4_as = ofd_rd_u32(&r);
		ps->aggr4_id = ofd_rd_u32(&r);
		ps->has_aggr4 = 1;
		break;
	case OFD_BGP_ATTR_MP_REACH: mp_reach(u, s, d, n); break;
	case OFD_BGP_ATTR_MP_UNREACH: mp_unreach(u, s, d, n); break;
	default:
		if (!(flags & F_OPT)) {
			out(u, OFD_BGP_SESSION_RESET, 3, 2, whole, wlen, "unrecognized well-known attribute");
			return;
		}
		if (u->n_unknown < OFD_BGP_UNKATTRS_MAX) {
			struct ofd_bgp_attr_raw a = {flags, type, n, d};
			u->unknown[u->n_unknown++] = a;
		} else {
			u->unknown_dropped++;
		}
		return;
	}
	u->attrs |= bit;
}

/* RFC 6793 4.2.3: the path of a 2-byte session, AS4_PATH merged in when it applies. */
static void build_path(struct ofd_bgp_update *u, const struct ofd_bgp_sess *s, struct pstate *ps)
{
	if (!ps->aspath)
		return;
	int as_sz = s->as4 ? 4 : 2, c2, c4;
	if (s->as4 || (!ps->as4path && !ps->has_aggr4)) {
		path_append(&u->path, ps->aspath, ps->aspath_n, as_sz, -1, 0);
		return;
	}
	/* an AGGREGATOR that is not AS_TRANS: AS4_AGGREGATOR and AS4_PATH are ignored */
	if (OFD_BGP_HAS(u, OFD_BGP_ATTR_AGGREGATOR) && u->aggr_as != OFD_BGP_AS_TRANS) {
		u->as4_ignored = 1;
		path_append(&u->path, ps->aspath, ps->aspath_n, 2, -1, 0);
		return;
	}
	if (ps->has_aggr4 && OFD_BGP_HAS(u, OFD_BGP_ATTR_AGGREGATOR)) {
		u->aggr_as = ps->aggr4_as;
		u->aggr_id = ps->aggr4_id;
	}
	long n2 = path_count(ps->aspath, ps->aspath_n, 2, &c2);
	long n4 = ps->as4path ? path_count(ps->as4path, ps->as4path_n, 4, &c4) : -2;
	if (n4 == -1) {
		u->as4_ignored = 1;
		out(u, OFD_BGP_ATTR_DISCARD, 3, 9, NULL, 0, "AS4_PATH malformed (discarded)");
	}
	if (n4 < 0 || n4 > n2) {
		if (n4 > n2)
			u->as4_ignored = 1;
		path_append(&u->path, ps->aspath, ps->aspath_n, 2, -1, 0);
		return;
	}
	if (n2 - n4 > 0)
		path_append(&u->path, ps->aspath, ps->aspath_n, 2, n2 - n4, 0);
	path_append(&u->path, ps->as4path, ps->as4path_n, 4, -1, 1);
	u->as4_merged = 1;
}

enum ofd_bgp_outcome ofd_bgp_update_parse(const uint8_t *msg, size_t len, const struct ofd_bgp_sess *s,
					  struct ofd_bgp_update *u)
{
	memset(u, 0, offsetof(struct ofd_bgp_update, path));
	u->path.n_asn = u->path.n_seg = 0;
	u->path.cut = u->path.origin_ok = 0;
	u->path.origin_as = 0;
	memset(&u->as4_merged, 0, sizeof(*u) - offsetof(struct ofd_bgp_update, as4_merged));

	size_t max = s->ext_msg ? OFD_BGP_EXT_MAX_LEN : OFD_BGP_MAX_LEN;
	if (len < 23 || len > max || ofd_be16(msg + 16) != len || msg[18] != OFD_BGP_UPDATE) {
		out(u, OFD_BGP_SESSION_RESET, 1, 2, NULL, 0, "UPDATE of a bad length");
		return u->outcome;
	}
	struct ofd_rd r = ofd_rd_make(msg + OFD_BGP_HDR_LEN, len - OFD_BGP_HDR_LEN);
	uint16_t wlen = ofd_rd_u16(&r);
	const uint8_t *wp = r.p;
	ofd_rd_skip(&r, wlen);
	uint16_t alen = ofd_rd_u16(&r);
	const uint8_t *ap = r.p;
	ofd_rd_skip(&r, alen);
	if (r.err) {
		out(u, OFD_BGP_SESSION_RESET, 3, 1, NULL, 0,
		    "withdrawn or attribute length overruns the UPDATE");
		return u->outcome;
	}
	struct ofd_bgp_nlri w = {wlen ? wp : NULL, wlen, 1, 1, s->addpath_v4, 0};
	struct ofd_bgp_nlri nl = {
	    ofd_rd_left(&r) ? r.p : NULL, (uint16_t)ofd_rd_left(&r), 1, 1, s->addpath_v4, 0};
	u->withdrawn = w;
	u->nlri = nl;
	if (nlri_count(&u->withdrawn) < 0) {
		out(u, OFD_BGP_SESSION_RESET, 3, 1, NULL, 0, "withdrawn route malformed");
		return u->outcome;
	}
	if (nlri_count(&u->nlri) < 0) {
		out(u, OFD_BGP_SESSION_RESET, 3, 10, NULL, 0, "NLRI prefix malformed");
		return u->outcome;
	}

	struct pstate ps = {0};
	uint8_t seen[32] = {0};
	struct ofd_rd a = ofd_rd_make(ap, alen);
	while (ofd_rd_left(&a) > 0) {
		const uint8_t *whole = a.p;
		if (ofd_rd_left(&a) < 3 || (ofd_rd_left(&a) < 4 && (a.p[0] & F_EXT))) {
			out(u, OFD_BGP_TREAT_AS_WITHDRAW, 3, 1, NULL, 0,
			    "attribute list ends inside an attribute header");
			break;
		}
		uint8_t flags = ofd_rd_u8(&a);
		uint8_t type = ofd_rd_u8(&a);
		uint16_t n = (flags & F_EXT) ? ofd_rd_u16(&a) : ofd_rd_u8(&a);
		const uint8_t *d = a.p;
		ofd_rd_skip(&a, n);
		if (a.err && (type == OFD_BGP_ATTR_MP_REACH || type == OFD_BGP_ATTR_MP_UNREACH)) {
			/* its prefixes cannot be known, so they cannot be withdrawn [7.11] */
			out(u, OFD_BGP_SESSION_RESET, 3, 1, NULL, 0,
			    "MP_(UN)REACH_NLRI overruns the attribute list");
			return u->outcome;
		}
		if (a.err) {
			out(u, OFD_BGP_TREAT_AS_WITHDRAW, 3, 1, NULL, 0,
			    "attribute length overruns the attribute list");
			break;
		}
		ps.n_attrs++;
		size_t wl = (size_t)(a.p - whole);
		if (seen[type / 8] & (1u << (type % 8))) {
			if (type == OFD_BGP_ATTR_MP_REACH || type == OFD_BGP_ATTR_MP_UNREACH) {
				out(u, OFD_BGP_SESSION_RESET, 3, 1, NULL, 0,
				    "MP_REACH/MP_UNREACH_NLRI twice");
				return u->outcome;
			}
			out(u, OFD_BGP_ATTR_DISCARD, 3, 1, whole, wl, "duplicate attribute (discarded)");
			continue;
		}
		seen[type / 8] |= (uint8_t)(1u << (type % 8));
		attr(u, s, &ps, flags, type, d, n, whole, wl);
		if (u->outcome == OFD_BGP_SESSION_RESET)
			return u->outcome;
	}
#define SEEN(t) (seen[(t) / 8] & (1u << ((t) % 8)))
	if (u->nlri.count > 0 || u->mp_reach.count > 0) {
		static const uint8_t mand[4] = {OFD_BGP_ATTR_ORIGIN, OFD_BGP_ATTR_AS_PATH,
						OFD_BGP_ATTR_NEXT_HOP, OFD_BGP_ATTR_LOCAL_PREF};
		for (int i = 0; i < 4; i++) {
			uint8_t t = mand[i];
			if (t == OFD_BGP_ATTR_NEXT_HOP && u->nlri.count == 0)
				continue;
			if (t == OFD_BGP_ATTR_LOCAL_PREF && !s->ibgp)
				continue;
			if (!SEEN(t))
				out(u, OFD_BGP_TREAT_AS_WITHDRAW, 3, 3, &mand[i], 1,
				    "well-known mandatory attribute missing");
		}
	}
	build_path(u, s, &ps);
	/* End-of-RIB: an empty UPDATE, or one with only an empty MP_UNREACH_NLRI */
	if (wlen == 0 && alen == 0 && u->nlri.len == 0) {
		u->eor = 1, u->eor_afi = 1, u->eor_safi = 1;
	} else if (wlen == 0 && u->nlri.len == 0 && ps.n_attrs == 1 && SEEN(OFD_BGP_ATTR_MP_UNREACH) &&
		   u->mp_unreach.len == 0 && u->outcome == OFD_BGP_OK) {
		u->eor = 1, u->eor_afi = u->mp_unreach.afi, u->eor_safi = u->mp_unreach.safi;
	}
#undef SEEN
	return u->outcome;
}
