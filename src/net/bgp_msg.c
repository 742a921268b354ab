/*
 * BGP-4 framing, OPEN, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH (net/bgp_msg.h). UPDATE is in
 * bgp_update.c.
 */
#include "net/bgp_msg.h"

#include <string.h>

#include "ofd/err.h"
#include "ofd/rd.h"
#include "util/utf8.h"

static void set_err(struct ofd_bgp_err *e, uint8_t code, uint8_t sub, const uint8_t *data, size_t dlen,
		    const char *why)
{
	if (!e)
		return;
	e->code = code;
	e->subcode = sub;
	e->data = data;
	e->data_len = (uint16_t)dlen;
	e->reason = why;
}

int ofd_bgp_frame(const uint8_t *buf, size_t len, size_t max_len, size_t *msg_len, struct ofd_bgp_err *err)
{
	*msg_len = OFD_BGP_HDR_LEN;
	if (len < OFD_BGP_HDR_LEN)
		return 0;
	struct ofd_rd r = ofd_rd_make(buf, OFD_BGP_HDR_LEN);
	for (int i = 0; i < 16; i++)
		if (ofd_rd_u8(&r) != 0xff) {
			set_err(err, 1, 1, NULL, 0, "marker is not all ones");
			return OFD_EFORMAT;
		}
	uint16_t mlen = ofd_rd_u16(&r);
	uint8_t type = ofd_rd_u8(&r);
	size_t lo, hi = max_len > OFD_BGP_EXT_MAX_LEN ? OFD_BGP_EXT_MAX_LEN : max_len;
	switch (type) {
	case OFD_BGP_OPEN: lo = 29, hi = OFD_BGP_MAX_LEN; break;
	case OFD_BGP_UPDATE: lo = 23; break;
	case OFD_BGP_NOTIFICATION: lo = 21; break;
	case OFD_BGP_KEEPALIVE: lo = hi = 19; break;
	case OFD_BGP_ROUTE_REFRESH: lo = hi = 23; break;
	default: set_err(err, 1, 3, buf + 18, 1, "unknown message type"); return OFD_EFORMAT;
	}
	if (mlen < lo || mlen > hi) {
		set_err(err, 1, 2, buf + 16, 2, "message length out of range for its type");
		return OFD_EFORMAT;
	}
	*msg_len = mlen;
	return len >= mlen ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */

static void add_af(struct ofd_bgp_open *o, struct ofd_bgp_af *arr, uint8_t *n, uint16_t afi, uint8_t safi,
		   uint8_t flags, uint32_t time)
{
	if (*n >= OFD_BGP_AFS_MAX) {
		o->caps_dropped++;
		return;
	}
	struct ofd_bgp_af a = {afi, safi, flags, time};
	arr[(*n)++] = a;
}

/* One capability; returns 0 or OFD_EFORMAT (err set) for a known one of a bad length. */
static int parse_cap(struct ofd_bgp_open *o, uint8_t code, struct ofd_rd c, const uint8_t *data, uint8_t clen,
		     struct ofd_bgp_err *err)
{
	o->n_caps++;
	switch (code) {
	case 1: /* multiprotocol: AFI(2) reserved(1) SAFI(1) */
		if (clen != 4)
			goto bad;
		uint16_t afi = ofd_rd_u16(&c);
		(void)ofd_rd_u8(&c);
		add_af(o, o->mp, &o->n_mp, afi, ofd_rd_u8(&c), 0, 0);
		return 0;
	case 2: /* route refresh */
		if (clen != 0)
			goto bad;
		o->has_route_refresh = 1;
		return 0;
	case 6: /* extended message (RFC 8654) */
		if (clen != 0)
			goto bad;
		o->has_ext_msg = 1;
		return 0;
	case 64: /* graceful restart: flags(4 bits) time(12 bits), then AFI(2) SAFI(1) flags(1) */
		if (clen < 2 || (clen - 2) % 4)
			goto bad;
		o->has_gr = 1;
		uint16_t v = ofd_rd_u16(&c);
		o->gr_flags = (uint8_t)(v >> 12);
		o->gr_time = v & 0xfff;
		while (ofd_rd_left(&c) >= 4) {
			uint16_t a = ofd_rd_u16(&c);
			uint8_t s = ofd_rd_u8(&c);
			add_af(o, o->gr, &o->n_gr, a, s, ofd_rd_u8(&c), 0);
		}
		return 0;
	case 65: /* 4-octet AS */
		if (clen != 4)
			goto bad;
		o->has_as4 = 1;
		o->as4 = ofd_rd_u32(&c);
		if (o->as4 == 0) {
			set_err(err, 2, 2, data, clen, "4-octet AS capability of AS 0");
			return OFD_EFORMAT;
		}
		return 0;
	case 69: /* ADD-PATH: AFI(2) SAFI(1) send/receive(1) */
		if (clen == 0 || clen % 4)
			goto bad;
		o->has_addpath = 1;
		while (ofd_rd_left(&c) >= 4) {
			uint16_t a = ofd_rd_u16(&c);
			uint8_t s = ofd_rd_u8(&c);
			uint8_t sr = ofd_rd_u8(&c);
			if (sr < 1 || sr > 3)
				goto bad;
			add_af(o, o->addpath, &o->n_addpath, a, s, sr, 0);
		}
		return 0;
	case 70: /* enhanced route refresh (RFC 7313) */
		if (clen != 0)
			goto bad;
		o->has_enhanced_rr = 1;
		return 0;
	case 71: /* long-lived GR: AFI(2) SAFI(1) flags(1) stale time(3) */
		if (clen % 7)
			goto bad;
		o->has_llgr = 1;
		while (ofd_rd_left(&c) >= 7) {
			uint16_t a = ofd_rd_u16(&c);
			uint8_t s = ofd_rd_u8(&c);
			uint8_t f = ofd_rd_u8(&c);
			uint32_t t = (uint32_t)ofd_rd_u8(&c) << 16;
			t |= ofd_rd_u16(&c);
			add_af(o, o->llgr, &o->n_llgr, a, s, f, t);
		}
		return 0;
	default:
		if (o->n_unknown >= OFD_BGP_UNKCAPS_MAX) {
			o->caps_dropped++;
			return 0;
		}
		o->unknown[o->n_unknown].code = code;
		o->unknown[o->n_unknown].len = clen;
		o->unknown[o->n_unknown].data = data;
		o->n_unknown++;
		return 0;
	}
bad:
	set_err(err, 2, 0, data, clen, "capability of a bad length or value");
	return OFD_EFORMAT;
}

int ofd_bgp_open_parse(const uint8_t *msg, size_t len, struct ofd_bgp_open *o, struct ofd_bgp_err *err)
{
	memset(o, 0, sizeof(*o));
	if (len < 29 || len > OFD_BGP_MAX_LEN || ofd_be16(msg + 16) != len || msg[18] != OFD_BGP_OPEN) {
		set_err(err, 1, 2, NULL, 0, "OPEN of a bad length");
		return OFD_EFORMAT;
	}
	struct ofd_rd r = ofd_rd_make(msg + OFD_BGP_HDR_LEN, len - OFD_BGP_HDR_LEN);
	o->version = ofd_rd_u8(&r);
	o->my_as = ofd_rd_u16(&r);
	o->hold_time = ofd_rd_u16(&r);
	o->bgp_id = ofd_rd_u32(&r);
	static const uint8_t v4[2] = {0, 4};
	if (o->version != 4) {
		set_err(err, 2, 1, v4, 2, "unsupported BGP version");
		return OFD_EFORMAT;
	}
	if (o->my_as == 0) {
		set_err(err, 2, 2, NULL, 0, "peer AS 0");
		return OFD_EFORMAT;
	}
	if (o->bgp_id == 0) {
		set_err(err, 2, 3, NULL, 0, "BGP identifier 0");
		return OFD_EFORMAT;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		set_err(err, 2, 6, NULL, 0, "hold time of 1 or 2 seconds");
		return OFD_EFORMAT;
	}
	/* optional parameters: RFC 9072's extended form starts with length 255 and type 255 */
	size_t plen = ofd_rd_u8(&r);
	int ext = 0;
	if (plen == 255 && ofd_rd_left(&r) >= 3 && r.p[0] == 255) {
		ext = 1;
		ofd_rd_skip(&r, 1);
		plen = ofd_rd_u16(&r);
	}
	o->ext_params = (uint8_t)ext;
	if (r.err || plen != ofd_rd_left(&r)) {
		set_err(err, 2, 0, NULL, 0, "optional parameters length does not match the OPEN");
		return OFD_EFORMAT;
	}
	while (ofd_rd_left(&r) > 0) {
		uint8_t ptype = ofd_rd_u8(&r);
		size_t l = ext ? ofd_rd_u16(&r) : ofd_rd_u8(&r);
		struct ofd_rd p = ofd_rd_sub(&r, l);
		if (r.err) {
			set_err(err, 2, 0, NULL, 0, "optional parameter overruns the OPEN");
			return OFD_EFORMAT;
		}
		if (ptype != 2) { /* not capabilities: skipped (RFC 5492 drops the rest) */
			o->other_params++;
			continue;
		}
		while (ofd_rd_left(&p) > 0) {
			uint8_t code = ofd_rd_u8(&p);
			uint8_t clen = ofd_rd_u8(&p);
			const uint8_t *data = p.p;
			struct ofd_rd c = ofd_rd_sub(&p, clen);
			if (p.err) {
				set_err(err, 2, 0, NULL, 0, "capability overruns its parameter");
				return OFD_EFORMAT;
			}
			if (parse_cap(o, code, c, data, clen, err) != 0)
				return OFD_EFORMAT;
		}
	}
	o->asn = o->has_as4 ? o->as4 : o->my_as;
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put_hdr(uint8_t *buf, size_t len, uint8_t type)
{
	memset(buf, 0xff, 16);
	put16(buf + 16, (uint16_t)len);
	buf[18] = type;
}

int ofd_bgp_open_build(uint8_t *buf, size_t cap, const struct ofd_bgp_open_cfg *c)
{
	if (c->hold_time == 1 || c->hold_time == 2 || c->bgp_id == 0 || c->asn == 0)
		return OFD_EFORMAT;
	uint8_t caps[96];
	size_t n = 0;
	for (int f = 0; f < 2; f++) {
		if (!(f ? c->ipv6 : c->ipv4))
			continue;
		uint8_t mp[6] = {1, 4, 0, (uint8_t)(f + 1), 0, 1};
		memcpy(caps + n, mp, 6), n += 6;
	}
	caps[n++] = 2, caps[n++] = 0; /* route refresh */
	caps[n++] = 65, caps[n++] = 4;
	put32(caps + n, c->asn), n += 4;
	int fams = !!c->ipv4 + !!c->ipv6;
	if (fams) {
		caps[n++] = 69, caps[n++] = (uint8_t)(4 * fams);
		for (int f = 0; f < 2; f++) {
			if (!(f ? c->ipv6 : c->ipv4))
				continue;
			uint8_t ap[4] = {0, (uint8_t)(f + 1), 1, OFD_BGP_ADDPATH_RX};
			memcpy(caps + n, ap, 4), n += 4;
		}
	}
	caps[n++] = 6, caps[n++] = 0;  /* extended message */
	caps[n++] = 64, caps[n++] = 2; /* graceful restart, receiver: no AFI/SAFI */
	put16(caps + n, c->gr_time & 0xfff), n += 2;

	size_t len = OFD_BGP_HDR_LEN + 10 + 2 + n;
	if (cap < len)
		return OFD_ELIMIT;
	put_hdr(buf, len, OFD_BGP_OPEN);
	uint8_t *p = buf + OFD_BGP_HDR_LEN;
	p[0] = 4;
	put16(p + 1, c->asn > 0xffff ? OFD_BGP_AS_TRANS : (uint16_t)c->asn);
	put16(p + 3, c->hold_time);
	put32(p + 5, c->bgp_id);
	p[9] = (uint8_t)(2 + n);
	p[10] = 2;
	p[11] = (uint8_t)n;
	memcpy(p + 12, caps, n);
	return (int)len;
}

static int af_find(const struct ofd_bgp_af *a, unsigned n, uint16_t afi, uint8_t safi)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].afi == afi && a[i].safi == safi)
			return a[i].flags;
	return 0;
}

void ofd_bgp_negotiate(const struct ofd_bgp_open *ours, const struct ofd_bgp_open *theirs,
		       struct ofd_bgp_sess *s)
{
	memset(s, 0, sizeof(*s));
	s->as4 = ours->has_as4 && theirs->has_as4;
	s->ext_msg = ours->has_ext_msg && theirs->has_ext_msg;
	for (int f = 1; f <= 2; f++) {
		int we = af_find(ours->addpath, ours->n_addpath, (uint16_t)f, 1);
		int they = af_find(theirs->addpath, theirs->n_addpath, (uint16_t)f, 1);
		uint8_t on = (we & OFD_BGP_ADDPATH_RX) && (they & OFD_BGP_ADDPATH_TX);
		if (f == 1)
			s->addpath_v4 = on;
		else
			s->addpath_v6 = on;
	}
	s->ibgp = ours->asn == theirs->asn;
	s->hold_time = ours->hold_time < theirs->hold_time ? ours->hold_time : theirs->hold_time;
}

int ofd_bgp_keepalive_build(uint8_t *buf, size_t cap)
{
	if (cap < OFD_BGP_HDR_LEN)
		return OFD_ELIMIT;
	put_hdr(buf, OFD_BGP_HDR_LEN, OFD_BGP_KEEPALIVE);
	return OFD_BGP_HDR_LEN;
}

int ofd_bgp_notification_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t subcode, const uint8_t *data,
			       size_t data_len)
{
	if (data_len > OFD_BGP_MAX_LEN - 21)
		data_len = OFD_BGP_MAX_LEN - 21;
	size_t len = 21 + data_len;
	if (cap < len)
		return OFD_ELIMIT;
	put_hdr(buf, len, OFD_BGP_NOTIFICATION);
	buf[19] = code;
	buf[20] = subcode;
	if (data_len)
		memcpy(buf + 21, data, data_len);
	return (int)len;
}

int ofd_bgp_route_refresh_build(uint8_t *buf, size_t cap, uint16_t afi, uint8_t safi, uint8_t subtype)
{
	if (cap < 23)
		return OFD_ELIMIT;
	put_hdr(buf, 23, OFD_BGP_ROUTE_REFRESH);
	put16(buf + 19, afi);
	buf[21] = subtype;
	buf[22] = safi;
	return 23;
}

int ofd_bgp_route_refresh_parse(const uint8_t *msg, size_t len, uint16_t *afi, uint8_t *safi,
				uint8_t *subtype, struct ofd_bgp_err *err)
{
	if (len != 23) {
		set_err(err, 7, 1, NULL, 0, "ROUTE-REFRESH of a bad length");
		return OFD_EFORMAT;
	}
	struct ofd_rd r = ofd_rd_make(msg + OFD_BGP_HDR_LEN, 4);
	*afi = ofd_rd_u16(&r);
	*subtype = ofd_rd_u8(&r);
	*safi = ofd_rd_u8(&r);
	return 0;
}

static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t ofd_bgp_text_clean(char *dst, const uint8_t *src, size_t n)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		size_t l = ofd_utf8_decode(src + i, n - i, &cp);
		if (l == 0 || unsafe_cp(cp)) {
			dst[o++] = '?';
			i += l ? l : 1;
			continue;
		}
		memcpy(dst + o, src + i, l);
		o += l, i += l;
	}
	dst[o] = 0;
	return o;
}

int ofd_bgp_notification_parse(const uint8_t *msg, size_t len, struct ofd_bgp_notification *n)
{
	memset(n, 0, sizeof(*n));
	if (len < 21)
		return OFD_EFORMAT;
	struct ofd_rd r = ofd_rd_make(msg + OFD_BGP_HDR_LEN, len - OFD_BGP_HDR_LEN);
	n->code = ofd_rd_u8(&r);
	n->subcode = ofd_rd_u8(&r);
	n->data = r.p;
	n->data_len = (uint16_t)ofd_rd_left(&r);
	/* RFC 8203 / 9003: Cease administrative shutdown (2) or reset (4): length byte + UTF-8 */
	if (n->code == 6 && (n->subcode == 2 || n->subcode == 4) && n->data_len >= 1) {
		size_t tl = ofd_rd_u8(&r);
		if (tl <= ofd_rd_left(&r)) {
			ofd_bgp_text_clean(n->text, r.p, tl);
			n->has_text = 1;
		}
	}
	return 0;
}

const char *ofd_bgp_outcome_name(enum ofd_bgp_outcome o)
{
	switch (o) {
	case OFD_BGP_OK: return "ok";
	case OFD_BGP_ATTR_DISCARD: return "attribute-discard";
	case OFD_BGP_TREAT_AS_WITHDRAW: return "treat-as-withdraw";
	case OFD_BGP_SESSION_RESET: return "session-reset";
	}
	return "?";
}
