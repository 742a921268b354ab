/*
 * flowfilter match keywords and their arguments (the language is described in flowfilter.h and
 * the README; semantics of each test in eval.h).
 *
 * Directional matches take an optional `src` / `dst`; without one they are `src ... or dst ...`:
 *   address IP[/LEN]    port RANGE    asn RANGE    netsize RANGE    cid RANGE    vrf RANGE
 *   iface|interface [id] RANGE | name "S" | desc "S" | speed RANGE
 *   country CC          (without src/dst: the remote side, see below)
 * Regular matches:
 *   router IP[/LEN]  nexthop IP[/LEN]  nexthopasn RANGE  bytes RANGE  packets RANGE
 *   duration RANGE  samplingrate RANGE  bps RANGE  pps RANGE  med RANGE  localpref RANGE
 *   iptos|dsfield RANGE|ce|ect0|ect1   dscp RANGE|NAME   ecn RANGE|ce|ect0|ect1|notect
 *   etype RANGE|ipv4|ipv6|arp|...   proto RANGE|NAME   status RANGE|WORD   tcpflags RANGE|WORD
 *   icmp type RANGE   icmp code RANGE   passes-through ASN...   rpki WORD
 *   community ASN:VALUE|GLOBAL:LOCAL1:LOCAL2|NAME (ours)
 *   direction incoming|outgoing   incoming   outgoing   normalized
 *
 * RANGE is N, A-B (also A - B, A -B, A- B), <N, >N, <=N or >=N; numbers are decimal, 0x hex, 0b
 * binary or, after a leading 0, octal (flowpipeline reads them with Go's ParseUint, base 0).
 * Semantics follow flowpipeline (BelWü flowfilter); see /work/notes/readme-fpfilter.md:
 * - A field the record does not have compares as zero: `med 0`, `localpref 0`, `vrf 0`, `cid 0`,
 *   `status 0`, `iface speed 0`, `rpki unknown`, `incoming` hold for a record without them.
 *   A list the record does not have is empty: `passes-through` and `community` do not hold.
 * - An IPv4 prefix matches only IPv4 addresses, an IPv6 prefix only IPv6 ones; host bits past
 *   the prefix length are ignored; a length past the family's width is accepted and never holds.
 * - `iface name` / `iface desc`: ASCII case-insensitive substring ("hu" matches "Hu0/1/1/1").
 * - `iface speed`: a bare number is whole Gbit/s (rounded down: 2.5G is 2); a suffix K, M, G or T
 *   compares bit/s instead (`iface speed 100G` is exactly 100 Gbit/s).
 * - `cid` without a direction holds if cid, src_cid or dst_cid does; `src cid`, `dst cid` one side.
 * - `country CC`: remote_country (as set by the geolocation enricher); `src country` /
 *   `dst country` (ours) name the side.
 * - `iptos` / `dsfield` words (ce 3, ect0 2, ect1 1) match as bit masks on the TOS byte, numbers
 *   as ranges; `dscp` (ip_tos >> 2) and `ecn` (ip_tos & 3) match exactly.
 * - `status`: numbers match forwarding_status exactly, words as bit masks (status & w == w):
 *   forwarded 0x40, dropped 0x80, consumed 0xc0, acldeny 0x81, acldrop 0x82, unroutable 0x83,
 *   policerdrop 0x8a.
 * - `tcpflags`: words match as bit masks (`tcpflags syn` holds for SYN and SYN+ACK), numbers
 *   exactly; either also requires proto 6. `cwr` is 0x80 and `ece` 0x100 (flowpipeline's values).
 * - `icmp type` / `icmp code`: require proto 1; type is dst_port >> 8, code dst_port & 0xff.
 * - `passes-through A B ...`: the AS path holds A, B, ... next to each other in that order (one
 *   ASN: anywhere on the path); false on an empty path. At most 12 ASNs.
 * - `community` (ours, community.c): the destination route's BGP communities (there are no
 *   per-side ones, so no src/dst, as `med`); A:B a standard one, A:B:C a large one, each part a
 *   decimal number, A-B or `*`; names no-export, no-advertise, no-export-subconfed, no-peer,
 *   blackhole, graceful-shutdown, accept-own, llgr-stale, no-llgr. Holds when one of the
 *   record's communities matches.
 * - `duration`: whole seconds, end - start each rounded down; `bps` / `pps`: bytes * 8 (packets)
 *   divided by it, a duration of 0 counting as 1.
 */
#include "flowfilter/parse.h"

#include <stdio.h>
#include <string.h>

enum { DIR_BOTH, DIR_SRC, DIR_DST };

struct ff_word {
	const char *name;
	uint64_t value;
	uint8_t alt; /* 1: compile to the keyword's alt_op with lo = value (mask or class) */
};

struct ff_kw {
	const char *name;
	uint8_t op, op_dst; /* op_dst: the dst op of a directional keyword */
	uint8_t alt_op;
	uint8_t ranges; /* a range is accepted (besides words) */
	const struct ff_word *words;
	const char *noun;
};

static const struct ff_word ds_words[] = {{"ce", 3, 1}, {"ect0", 2, 1}, {"ect1", 1, 1}, {NULL, 0, 0}};
static const struct ff_word ecn_words[] = {{"ce", 3, 0},     {"ect0", 2, 0},	{"ect1", 1, 0},
					   {"notect", 0, 0}, {"not-ect", 0, 0}, {NULL, 0, 0}};
static const struct ff_word dscp_words[] = {
    {"default", 0, 0}, {"besteffort", 0, 0}, {"be", 0, 0},    {"le", 1, 0},    {"cs0", 0, 0},
    {"cs1", 8, 0},     {"cs2", 16, 0},	     {"cs3", 24, 0},  {"cs4", 32, 0},  {"cs5", 40, 0},
    {"cs6", 48, 0},    {"cs7", 56, 0},	     {"af11", 10, 0}, {"af12", 12, 0}, {"af13", 14, 0},
    {"af21", 18, 0},   {"af22", 20, 0},	     {"af23", 22, 0}, {"af31", 26, 0}, {"af32", 28, 0},
    {"af33", 30, 0},   {"af41", 34, 0},	     {"af42", 36, 0}, {"af43", 38, 0}, {"va", 44, 0},
    {"ef", 46, 0},     {NULL, 0, 0}};
static const struct ff_word etype_words[] = {{"ipv4", 0x0800, 0}, {"arp", 0x0806, 0},  {"ipv6", 0x86dd, 0},
					     {"vlan", 0x8100, 0}, {"mpls", 0x8847, 0}, {NULL, 0, 0}};
static const struct ff_word proto_words[] = {
    {"icmp", 1, 0},   {"igmp", 2, 0},	{"ipip", 94, 0},  {"tcp", 6, 0},     {"udp", 17, 0},  {"ipv6", 41, 0},
    {"gre", 47, 0},   {"esp", 50, 0},	{"ah", 51, 0},	  {"icmpv6", 58, 0}, {"ospf", 89, 0}, {"pim", 103, 0},
    {"vrrp", 112, 0}, {"l2tp", 115, 0}, {"sctp", 132, 0}, {NULL, 0, 0}};
/* flowpipeline's words; `ipip` is 94 there (IP-within-IP), not 4 (IPv4 encapsulation) */
/* bit masks on forwarding_status, as flowpipeline: `dropped` also holds for every status with the
 * 0x80 bit (all drops, and consumed 0xc0), `acldeny` for 0x81 and 0x83 */
static const struct ff_word status_words[] = {
    {"forwarded", 0x40, 1}, {"dropped", 0x80, 1},    {"consumed", 0xc0, 1},    {"acldeny", 0x81, 1},
    {"acldrop", 0x82, 1},   {"unroutable", 0x83, 1}, {"policerdrop", 0x8a, 1}, {NULL, 0, 0}};
static const struct ff_word tcpflag_words[] = {
    {"fin", 0x01, 1}, {"syn", 0x02, 1}, {"rst", 0x04, 1},  {"psh", 0x08, 1},	{"ack", 0x10, 1},
    {"urg", 0x20, 1}, {"cwr", 0x80, 1}, {"ece", 0x100, 1}, {"synack", 0x12, 1}, {NULL, 0, 0}};
static const struct ff_word rpki_words[] = {{"unknown", OFD_RPKI_UNKNOWN, 0},
					    {"valid", OFD_RPKI_VALID, 0},
					    {"invalid", OFD_RPKI_INVALID, 0},
					    {"notfound", OFD_RPKI_NOTFOUND, 0},
					    {NULL, 0, 0}};
static const struct ff_word direction_words[] = {
    {"incoming", OFD_DIR_INGRESS, 0}, {"outgoing", OFD_DIR_EGRESS, 0}, {NULL, 0, 0}};

static const struct ff_kw dir_kws[] = {
    {"port", OFD_FF_OP_SRC_PORT, OFD_FF_OP_DST_PORT, 0, 1, NULL, "a port range"},
    {"asn", OFD_FF_OP_SRC_AS, OFD_FF_OP_DST_AS, 0, 1, NULL, "an ASN range"},
    {"netsize", OFD_FF_OP_SRC_NET, OFD_FF_OP_DST_NET, 0, 1, NULL, "a prefix length range"},
    {"cid", OFD_FF_OP_SRC_CID, OFD_FF_OP_DST_CID, 0, 1, NULL, "a customer id range"},
    {"vrf", OFD_FF_OP_SRC_VRF, OFD_FF_OP_DST_VRF, 0, 1, NULL, "a VRF id range"},
};

static const struct ff_kw kws[] = {
    {"nexthopasn", OFD_FF_OP_NEXTHOP_AS, 0, 0, 1, NULL, "an ASN range"},
    {"bytes", OFD_FF_OP_BYTES, 0, 0, 1, NULL, "a byte count range"},
    {"packets", OFD_FF_OP_PACKETS, 0, 0, 1, NULL, "a packet count range"},
    {"duration", OFD_FF_OP_DURATION, 0, 0, 1, NULL, "a duration range (seconds)"},
    {"samplingrate", OFD_FF_OP_SAMPLING, 0, 0, 1, NULL, "a sampling rate range"},
    {"bps", OFD_FF_OP_BPS, 0, 0, 1, NULL, "a bits per second range"},
    {"pps", OFD_FF_OP_PPS, 0, 0, 1, NULL, "a packets per second range"},
    {"med", OFD_FF_OP_MED, 0, 0, 1, NULL, "a MED range"},
    {"localpref", OFD_FF_OP_LOCALPREF, 0, 0, 1, NULL, "a local preference range"},
    {"iptos", OFD_FF_OP_IPTOS, 0, OFD_FF_OP_IPTOS_MASK, 1, ds_words, "a TOS range or ce, ect0, ect1"},
    {"dsfield", OFD_FF_OP_IPTOS, 0, OFD_FF_OP_IPTOS_MASK, 1, ds_words, "a TOS range or ce, ect0, ect1"},
    {"dscp", OFD_FF_OP_DSCP, 0, 0, 1, dscp_words, "a DSCP range or class (default, csN, afNN, ef, ...)"},
    {"ecn", OFD_FF_OP_ECN, 0, 0, 1, ecn_words, "an ECN value or ce, ect0, ect1, notect"},
    {"etype", OFD_FF_OP_ETYPE, 0, 0, 1, etype_words, "an ethertype or ipv4, ipv6, arp"},
    {"proto", OFD_FF_OP_PROTO, 0, 0, 1, proto_words, "a protocol number or name (tcp, udp, icmp, ...)"},
    {"status", OFD_FF_OP_STATUS, 0, OFD_FF_OP_STATUS_MASK, 1, status_words,
     "a forwarding status (number, forwarded, dropped, consumed, acldeny, acldrop, unroutable, policerdrop)"},
    {"tcpflags", OFD_FF_OP_TCPFLAGS, 0, OFD_FF_OP_TCPFLAGS_MASK, 1, tcpflag_words,
     "TCP flags (number, fin, syn, rst, psh, ack, urg, ece, cwr, synack)"},
    {"rpki", OFD_FF_OP_RPKI, 0, 0, 0, rpki_words, "valid, invalid, notfound or unknown"},
    {"direction", OFD_FF_OP_DIRECTION, 0, 0, 0, direction_words, "incoming or outgoing"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { UNIT_NONE, UNIT_SPEED };

static int expected_after(struct ofd_ff_parser *p, const char *noun, const char *kw)
{
	char what[192];
	snprintf(what, sizeof(what), "%s after '%s'", noun, kw);
	return ofd_ff_expected(p, what);
}

/* A number from s[0..len), scaled by its unit suffix (UNIT_SPEED: K/M/G/T to bit/s; a bare number
 * is left as it is, in Gbit/s); *seen records which of the two was read. */
static int parse_num(const char *s, size_t len, int unit, uint64_t *v, uint8_t *seen)
{
	uint64_t scale = 1;
	if (unit == UNIT_SPEED) {
		char c = len > 1 ? s[len - 1] : 0;
		const char *units = "kKmMgGtT";
		const char *u = c ? strchr(units, c) : NULL;
		if (u) {
			static const uint64_t scales[] = {1000, 1000000, 1000000000, 1000000000000};
			scale = scales[(u - units) / 2];
			len--;
		}
		*seen |= u ? 1 : 2;
	}
	int rc = ofd_ff_parse_uint(s, len, v);
	if (rc)
		return rc;
	if (*v > UINT64_MAX / scale)
		return OFD_ELIMIT;
	*v *= scale;
	return 0;
}

/* Parse one number token's text (or part of one) for a range; consumes nothing. */
static int range_num(struct ofd_ff_parser *p, const char *s, size_t len, int unit, const char *noun,
		     const char *kw, uint64_t *v)
{
	int rc =
	    ofd_ff_cur(p)->type == OFD_FF_T_WORD ? parse_num(s, len, unit, v, &p->units_seen) : OFD_EFORMAT;
	if (rc == OFD_ELIMIT)
		return ofd_ff_fail(p, ofd_ff_cur(p)->col, "number '%.*s' too large",
				   (int)(len > 40 ? 40 : len), s);
	if (rc)
		return expected_after(p, noun, kw);
	return 0;
}

enum { CMP_EQ, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_RANGE };

/* The text of the current token. */
static const char *cur_text(const struct ofd_ff_parser *p, size_t *len)
{
	*len = ofd_ff_cur(p)->len;
	return p->src + ofd_ff_cur(p)->off;
}

/* Reads a single-bound range (<N, >N, <=N, >=N, N); the token's text is s[0..len). */
static int range_bound(struct ofd_ff_parser *p, const char *s, size_t len, int unit, const char *noun,
		       const char *kw, int *cmp, uint64_t *a)
{
	size_t skip = 0;
	if (len >= 2 && (s[0] == '<' || s[0] == '>') && s[1] == '=') {
		*cmp = s[0] == '<' ? CMP_LE : CMP_GE;
		skip = 2;
	} else if (len >= 1 && (s[0] == '<' || s[0] == '>')) {
		*cmp = s[0] == '<' ? CMP_LT : CMP_GT;
		skip = 1;
	}
	if (skip && skip == len) { /* "< 5": the number is the next token */
		p->pos++;
		s = cur_text(p, &len);
		skip = 0;
	}
	int rc = range_num(p, s + skip, len - skip, unit, noun, kw, a);
	if (!rc)
		p->pos++;
	return rc;
}

/*
 * Parse a range at the current token into [lo, hi] (lo > hi: empty, e.g. `<0`). Accepts N, A-B,
 * A - B, A -B, A- B (flowfilter's lexer makes `-` a token of its own), <N, >N, <=N, >=N.
 * Consumes the tokens read.
 */
static int parse_range(struct ofd_ff_parser *p, const char *noun, const char *kw, int unit, uint64_t *lo,
		       uint64_t *hi)
{
	size_t len;
	const char *s = cur_text(p, &len);
	uint32_t col = ofd_ff_cur(p)->col, start = ofd_ff_cur(p)->off;
	int cmp = CMP_EQ, rc;
	uint64_t a = 0, b = 0;
	const char *dash =
	    ofd_ff_cur(p)->type == OFD_FF_T_WORD && len > 1 ? memchr(s + 1, '-', len - 1) : NULL;
	if (dash && s[0] != '<' && s[0] != '>') {
		if ((rc = range_num(p, s, (size_t)(dash - s), unit, noun, kw, &a)))
			return rc;
		size_t blen = len - (size_t)(dash - s) - 1;
		if (!blen) { /* "A- B" */
			p->pos++;
			dash = cur_text(p, &blen) - 1;
		}
		if ((rc = range_num(p, dash + 1, blen, unit, noun, kw, &b)))
			return rc;
		p->pos++;
		cmp = CMP_RANGE;
	} else {
		if ((rc = range_bound(p, s, len, unit, noun, kw, &cmp, &a)))
			return rc;
		s = cur_text(p, &len);
		if (cmp == CMP_EQ && ofd_ff_cur(p)->type == OFD_FF_T_WORD && len && s[0] == '-') {
			if (len == 1) { /* "A - B" */
				p->pos++;
				s = cur_text(p, &len);
			} else { /* "A -B" */
				s++;
				len--;
			}
			if ((rc = range_num(p, s, len, unit, noun, kw, &b)))
				return rc;
			p->pos++;
			cmp = CMP_RANGE;
		}
	}
	*lo = 0;
	*hi = UINT64_MAX;
	switch (cmp) {
	case CMP_EQ: *lo = *hi = a; break;
	case CMP_LT: *lo = a ? 0 : 1, *hi = a ? a - 1 : 0; break;
	case CMP_LE: *hi = a; break;
	case CMP_GT: *lo = a == UINT64_MAX ? 1 : a + 1, *hi = a == UINT64_MAX ? 0 : UINT64_MAX; break;
	case CMP_GE: *lo = a; break;
	default:
		if (a > b) {
			const struct ofd_ff_tok *last = &p->tok[p->pos - 1];
			int n = (int)(last->off + last->len - start);
			return ofd_ff_fail(p, col, "empty range '%.*s' (start above end)", n > 40 ? 40 : n,
					   p->src + start);
		}
		*lo = a;
		*hi = b;
	}
	return 0;
}

/*
 * IP[/LEN] at the current token into the prefix pool. A length past the family's width (/33 to
 * /255 and on for IPv4) is accepted and matches no address, as flowpipeline does: *never is set.
 */
static int parse_prefix(struct ofd_ff_parser *p, const char *kw, uint32_t *index, int *never)
{
	static const char noun[] = "an address (IP or IP/LEN)";
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	const char *s = p->src + t->off;
	const char *slash = t->type == OFD_FF_T_WORD ? memchr(s, '/', t->len) : NULL;
	size_t alen = slash ? (size_t)(slash - s) : t->len;
	char buf[64];
	struct ofd_ip ip;
	if (t->type != OFD_FF_T_WORD || alen >= sizeof(buf))
		return expected_after(p, noun, kw);
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (ofd_ip_parse(&ip, buf))
		return expected_after(p, noun, kw);
	unsigned max = ip.family == OFD_AF_INET ? 32 : 128;
	uint64_t len = max;
	if (slash) {
		size_t llen = t->len - alen - 1;
		int rc = ofd_ff_parse_uint(slash + 1, llen, &len);
		if (rc)
			return ofd_ff_fail(p, t->col + (uint32_t)alen + 1,
					   "prefix length '%.*s' is not a number",
					   (int)(llen > 40 ? 40 : llen), slash + 1);
		if (len > max) {
			*never = 1;
			len = max;
		}
	}
	unsigned bits = (unsigned)len + (ip.family == OFD_AF_INET ? 96 : 0);
	uint8_t mask[16] = {0}, net[16];
	for (unsigned i = 0; i < 16; i++) {
		unsigned take = bits > 8 ? 8 : bits;
		mask[i] = (uint8_t)(0xff00u >> take);
		bits -= take;
		net[i] = ip.b[i] & mask[i];
	}
	struct ofd_ff_prefix pfx = {.family = ip.family};
	memcpy(pfx.mask, mask, 16);
	memcpy(pfx.net, net, 16);
	p->pos++;
	return ofd_ff_add_prefix(p, &pfx, index);
}

/* One test for a src/dst match, or `src or dst` without a direction. */
static int emit_dir(struct ofd_ff_parser *p, int dir, struct ofd_ff_insn in, uint8_t op_src, uint8_t op_dst,
		    uint32_t *node)
{
	uint32_t a, b;
	int rc;
	if (dir != DIR_BOTH) {
		in.op = dir == DIR_SRC ? op_src : op_dst;
		return ofd_ff_add_leaf(p, &in, node);
	}
	in.op = op_src;
	if ((rc = ofd_ff_add_leaf(p, &in, &a)))
		return rc;
	in.op = op_dst;
	if ((rc = ofd_ff_add_leaf(p, &in, &b)))
		return rc;
	return ofd_ff_add_or2(p, a, b, node);
}

static int emit(struct ofd_ff_parser *p, uint8_t op, uint64_t lo, uint64_t hi, uint32_t *node)
{
	struct ofd_ff_insn in = {.op = op, .lo = lo, .hi = hi};
	return ofd_ff_add_leaf(p, &in, node);
}

/* iface|interface [id] RANGE | name "S" | desc "S" | speed RANGE (the keyword is consumed). */
static int parse_iface(struct ofd_ff_parser *p, int dir, const char *kw, uint32_t *node)
{
	struct ofd_ff_insn in = {0};
	char sub[32];
	int rc;
	if (ofd_ff_at(p, "name") || ofd_ff_at(p, "desc")) {
		int name = ofd_ff_at(p, "name");
		snprintf(sub, sizeof(sub), "%s %s", kw, name ? "name" : "desc");
		p->pos++;
		const struct ofd_ff_tok *t = ofd_ff_cur(p);
		if (t->type != OFD_FF_T_STRING)
			return expected_after(p, "a quoted string", sub);
		if ((rc = ofd_ff_add_string(p, p->src + t->off, t->len, &in.aux)))
			return rc;
		p->pos++;
		return name ? emit_dir(p, dir, in, OFD_FF_OP_IN_NAME, OFD_FF_OP_OUT_NAME, node)
			    : emit_dir(p, dir, in, OFD_FF_OP_IN_DESC, OFD_FF_OP_OUT_DESC, node);
	}
	if (ofd_ff_at(p, "speed")) {
		snprintf(sub, sizeof(sub), "%s speed", kw);
		p->pos++;
		uint32_t col = ofd_ff_cur(p)->col;
		p->units_seen = 0;
		if ((rc = parse_range(p, "a speed range (Gbit/s, or with K, M, G, T)", sub, UNIT_SPEED,
				      &in.lo, &in.hi)))
			return rc;
		if (p->units_seen == 3)
			return ofd_ff_fail(
			    p, col,
			    "a speed range with and without a unit: a bare number is Gbit/s (as "
			    "flowpipeline), give both bounds a unit (K, M, G, T) or none");
		if (p->units_seen == 2)
			return emit_dir(p, dir, in, OFD_FF_OP_IN_SPEED_G, OFD_FF_OP_OUT_SPEED_G, node);
		return emit_dir(p, dir, in, OFD_FF_OP_IN_SPEED, OFD_FF_OP_OUT_SPEED, node);
	}
	if (ofd_ff_at(p, "id")) {
		snprintf(sub, sizeof(sub), "%s id", kw);
		p->pos++;
		rc = parse_range(p, "an interface id range", sub, UNIT_NONE, &in.lo, &in.hi);
	} else {
		rc = parse_range(p, "an interface id, 'id', 'name', 'desc' or 'speed'", kw, UNIT_NONE, &in.lo,
				 &in.hi);
	}
	if (rc)
		return rc;
	return emit_dir(p, dir, in, OFD_FF_OP_IN_IF, OFD_FF_OP_OUT_IF, node);
}

static unsigned char up(char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : (unsigned char)c;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* country CC (the keyword is consumed). */
static int parse_country(struct ofd_ff_parser *p, int dir, uint32_t *node)
{
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	const char *s = p->src + t->off;
	if (t->type != OFD_FF_T_WORD || t->len != 2 || !is_alpha(s[0]) || !is_alpha(s[1]))
		return expected_after(p, "a two-letter country code", "country");
	uint64_t cc = (uint64_t)up(s[0]) << 8 | up(s[1]);
	p->pos++;
	uint8_t op = dir == DIR_SRC   ? OFD_FF_OP_SRC_COUNTRY
		     : dir == DIR_DST ? OFD_FF_OP_DST_COUNTRY
				      : OFD_FF_OP_COUNTRY;
	return emit(p, op, cc, cc, node);
}

/* passes-through ASN... (the keyword is consumed). */
static int parse_passes(struct ofd_ff_parser *p, uint32_t *node)
{
	uint32_t asns[OFD_AS_PATH_MAX], n = 0;
	struct ofd_ff_insn in = {.op = OFD_FF_OP_PASSES};
	for (;;) {
		const struct ofd_ff_tok *t = ofd_ff_cur(p);
		uint64_t v;
		int rc =
		    t->type == OFD_FF_T_WORD ? ofd_ff_parse_uint(p->src + t->off, t->len, &v) : OFD_EFORMAT;
		if (rc == OFD_EFORMAT)
			break;
		if (rc || v > UINT32_MAX)
			return ofd_ff_fail(p, t->col, "ASN '%.*s' out of range (0-4294967295)",
					   (int)(t->len > 40 ? 40 : t->len), p->src + t->off);
		if (n == OFD_AS_PATH_MAX)
			return ofd_ff_fail(p, t->col, "more than %d ASNs after 'passes-through'",
					   OFD_AS_PATH_MAX);
		asns[n++] = (uint32_t)v;
		p->pos++;
	}
	if (!n)
		return expected_after(p, "an ASN", "passes-through");
	in.lo = n;
	int rc = ofd_ff_add_asns(p, asns, n, &in.aux);
	return rc ? rc : ofd_ff_add_leaf(p, &in, node);
}

/* A keyword of a table: a word of its list, or a range (the keyword is consumed). */
static int parse_kw(struct ofd_ff_parser *p, const struct ff_kw *k, int dir, uint32_t *node)
{
	struct ofd_ff_insn in = {.op = k->op};
	for (const struct ff_word *w = k->words; w && w->name; w++) {
		if (!ofd_ff_at(p, w->name))
			continue;
		p->pos++;
		if (w->alt)
			return emit(p, k->alt_op, w->value, w->value, node);
		return emit(p, k->op, w->value, w->value, node);
	}
	if (!k->ranges)
		return expected_after(p, k->noun, k->name);
	int rc = parse_range(p, k->noun, k->name, UNIT_NONE, &in.lo, &in.hi);
	if (rc)
		return rc;
	if (k->op == OFD_FF_OP_SRC_CID && dir == DIR_BOTH) { /* flowpipeline: Cid, SrcCid or DstCid */
		in.op = OFD_FF_OP_CID;
		return ofd_ff_add_leaf(p, &in, node);
	}
	if (k->op_dst)
		return emit_dir(p, dir, in, k->op, k->op_dst, node);
	return ofd_ff_add_leaf(p, &in, node);
}

static const struct ff_kw *find_kw(const struct ofd_ff_parser *p, const struct ff_kw *tab, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ofd_ff_at(p, tab[i].name))
			return &tab[i];
	return NULL;
}

/* The directional matches; returns 1 (and *rc) when the current token is one. */
static int parse_directional(struct ofd_ff_parser *p, int dir, uint32_t *node, int *rc)
{
	const struct ff_kw *k = find_kw(p, dir_kws, NELEM(dir_kws));
	if (k) {
		p->pos++;
		*rc = parse_kw(p, k, dir, node);
	} else if (ofd_ff_at(p, "address")) {
		struct ofd_ff_insn in = {0};
		int never = 0;
		p->pos++;
		*rc = parse_prefix(p, "address", &in.aux, &never);
		if (!*rc && never)
			*rc = emit(p, OFD_FF_OP_NONE, 0, 0, node);
		else if (!*rc)
			*rc = emit_dir(p, dir, in, OFD_FF_OP_SRC_ADDR, OFD_FF_OP_DST_ADDR, node);
	} else if (ofd_ff_at(p, "iface") || ofd_ff_at(p, "interface")) {
		const char *kw = ofd_ff_at(p, "iface") ? "iface" : "interface";
		p->pos++;
		*rc = parse_iface(p, dir, kw, node);
	} else if (ofd_ff_at(p, "country")) {
		p->pos++;
		*rc = parse_country(p, dir, node);
	} else {
		return 0;
	}
	return 1;
}

/* router / nexthop IP[/LEN], icmp type|code RANGE (the keyword is consumed). */
static int parse_addr_kw(struct ofd_ff_parser *p, const char *kw, uint8_t op, uint32_t *node)
{
	struct ofd_ff_insn in = {.op = op};
	int never = 0;
	int rc = parse_prefix(p, kw, &in.aux, &never);
	if (!rc && never)
		in.op = OFD_FF_OP_NONE;
	return rc ? rc : ofd_ff_add_leaf(p, &in, node);
}

static int parse_icmp(struct ofd_ff_parser *p, uint32_t *node)
{
	struct ofd_ff_insn in = {0};
	int type = ofd_ff_at(p, "type");
	if (!type && !ofd_ff_at(p, "code"))
		return expected_after(p, "'type' or 'code'", "icmp");
	p->pos++;
	in.op = type ? OFD_FF_OP_ICMP_TYPE : OFD_FF_OP_ICMP_CODE;
	int rc = parse_range(p, type ? "an ICMP type range" : "an ICMP code range",
			     type ? "icmp type" : "icmp code", UNIT_NONE, &in.lo, &in.hi);
	return rc ? rc : ofd_ff_add_leaf(p, &in, node);
}

int ofd_ff_parse_match(struct ofd_ff_parser *p, uint32_t *node)
{
	int rc = 0, dir = DIR_BOTH;
	if (ofd_ff_at(p, "src") || ofd_ff_at(p, "dst")) {
		const char *d = ofd_ff_at(p, "src") ? "src" : "dst";
		dir = d[0] == 's' ? DIR_SRC : DIR_DST;
		p->pos++;
		if (parse_directional(p, dir, node, &rc))
			return rc;
		return expected_after(
		    p, "a directional match (address, port, asn, netsize, iface, cid, vrf, country)", d);
	}
	if (parse_directional(p, dir, node, &rc))
		return rc;
	const struct ff_kw *k = find_kw(p, kws, NELEM(kws));
	if (k) {
		p->pos++;
		return parse_kw(p, k, dir, node);
	}
	if (ofd_ff_at(p, "incoming") || ofd_ff_at(p, "outgoing")) {
		uint64_t v = ofd_ff_at(p, "incoming") ? OFD_DIR_INGRESS : OFD_DIR_EGRESS;
		p->pos++;
		return emit(p, OFD_FF_OP_DIRECTION, v, v, node);
	}
	if (ofd_ff_at(p, "normalized")) {
		p->pos++;
		return emit(p, OFD_FF_OP_NORMALIZED, 1, 1, node);
	}
	if (ofd_ff_at(p, "router") || ofd_ff_at(p, "nexthop")) {
		int router = ofd_ff_at(p, "router");
		p->pos++;
		return parse_addr_kw(p, router ? "router" : "nexthop",
				     router ? OFD_FF_OP_ROUTER : OFD_FF_OP_NEXTHOP, node);
	}
	if (ofd_ff_at(p, "icmp")) {
		p->pos++;
		return parse_icmp(p, node);
	}
	if (ofd_ff_at(p, "passes-through")) {
		p->pos++;
		return parse_passes(p, node);
	}
	if (ofd_ff_at(p, "community")) {
		p->pos++;
		return ofd_ff_parse_community(p, node);
	}
	return ofd_ff_expected(p, "a match, 'not' or '('");
}
