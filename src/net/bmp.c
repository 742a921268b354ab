/*
 * BMP v3 (RFC 7854) framing and parsing (net/bmp.h).
 */
#include "net/bmp.h"

#include <string.h>

#include "ofd/err.h"
#include "ofd/rd.h"
#include "util/utf8.h"

int ofd_bmp_frame(const uint8_t *buf, size_t len, size_t *msg_len)
{
	*msg_len = OFD_BMP_HDR_LEN;
	if (len < OFD_BMP_HDR_LEN)
		return 0;
	struct ofd_rd r = ofd_rd_make(buf, OFD_BMP_HDR_LEN);
	uint8_t ver = ofd_rd_u8(&r);
	uint32_t l = ofd_rd_u32(&r);
	if (ver != 3)
		return OFD_EVERSION;
	if (l < OFD_BMP_HDR_LEN || l > OFD_BMP_MAX_LEN)
		return OFD_EFORMAT;
	*msg_len = l;
	return len >= l ? 1 : 0;
}

void ofd_bmp_sess(const struct ofd_bmp_peer *p, struct ofd_bgp_sess *s)
{
	memset(s, 0, sizeof(*s));
	s->as4 = !(p->flags & OFD_BMP_F_A);
	s->ext_msg = 1;
	s->monitor = 1;
}

static void get_ip(struct ofd_rd *r, struct ofd_ip *ip, int v6)
{
	memset(ip, 0, sizeof(*ip));
	ofd_rd_bytes(r, ip->b, 16);
	if (v6) {
		ip->family = OFD_AF_INET6;
	} else { /* IPv4 in the last 4 bytes, the rest zero */
		memset(ip->b, 0, 10);
		ip->b[10] = ip->b[11] = 0xff;
		ip->family = OFD_AF_INET;
	}
}

/* src[0..n) is inside the message: cut at OFD_BMP_TEXT_MAX, not inside a UTF-8 sequence */
static void text_copy(char *dst, const uint8_t *src, size_t n)
{
	(void)ofd_bgp_text_clean(dst, src, ofd_utf8_cut((const char *)src, n, OFD_BMP_TEXT_MAX));
}

static int fail(struct ofd_bmp_msg *m, struct ofd_bmp_counts *c, int rc, const char *why)
{
	m->error = why;
	if (c)
		c->errors++;
	return rc;
}

/* A BGP message of the given type at r: sets p and n, advances. 0 or -1. */
static int bgp_pdu(struct ofd_rd *r, uint8_t type, const uint8_t **p, size_t *n)
{
	size_t ml;
	struct ofd_bgp_err e;
	if (ofd_bgp_frame(r->p, ofd_rd_left(r), OFD_BGP_EXT_MAX_LEN, &ml, &e) != 1 || r->p[18] != type)
		return -1;
	*p = r->p;
	*n = ml;
	ofd_rd_skip(r, ml);
	return r->err ? -1 : 0;
}

static int tlvs(struct ofd_rd *r, struct ofd_bmp_msg *m)
{
	while (ofd_rd_left(r) > 0) {
		uint16_t t = ofd_rd_u16(r);
		uint16_t l = ofd_rd_u16(r);
		const uint8_t *v = r->p;
		ofd_rd_skip(r, l);
		if (r->err)
			return -1;
		m->tlvs++;
		if (m->type == OFD_BMP_TERMINATION && t == 1) {
			if (l != 2)
				return -1;
			m->has_term_reason = 1;
			m->term_reason = ofd_be16(v);
			continue;
		}
		char *dst = t == 0 ? m->text : t == 1 ? m->sys_descr : t == 2 ? m->sys_name : NULL;
		if (m->type == OFD_BMP_TERMINATION && t != 0)
			dst = NULL;
		if (dst && !dst[0])
			text_copy(dst, v, l);
	}
	return 0;
}

int ofd_bmp_parse(const uint8_t *msg, size_t len, struct ofd_bmp_msg *m, struct ofd_bgp_update *upd,
		  struct ofd_bmp_counts *c)
{
	memset(m, 0, sizeof(*m));
	struct ofd_rd r = ofd_rd_make(msg, len);
	m->version = ofd_rd_u8(&r);
	m->len = ofd_rd_u32(&r);
	m->type = ofd_rd_u8(&r);
	if (r.err)
		return fail(m, c, OFD_EFORMAT, "shorter than the common header");
	if (m->version != 3)
		return fail(m, c, OFD_EVERSION, "BMP version other than 3");
	if (m->len != len)
		return fail(m, c, OFD_EFORMAT, "length does not match the message");
	if (m->type >= OFD_BMP__TYPES)
		return fail(m, c, OFD_EFORMAT, "unknown message type");
	if (m->type != OFD_BMP_INITIATION && m->type != OFD_BMP_TERMINATION) {
		struct ofd_bmp_peer *p = &m->peer;
		p->type = ofd_rd_u8(&r);
		p->flags = ofd_rd_u8(&r);
		p->distinguisher = ofd_rd_u64(&r);
		get_ip(&r, &p->addr, p->flags & OFD_BMP_F_V);
		p->as = ofd_rd_u32(&r);
		p->bgp_id = ofd_rd_u32(&r);
		p->ts_sec = ofd_rd_u32(&r);
		p->ts_usec = ofd_rd_u32(&r);
		if (r.err)
			return fail(m, c, OFD_EFORMAT, "per-peer header truncated");
		m->has_peer = 1;
	}
	struct ofd_bgp_err e;
	switch (m->type) {
	case OFD_BMP_ROUTE_MONITORING:
		if (bgp_pdu(&r, OFD_BGP_UPDATE, &m->bgp, &m->bgp_len) != 0 || ofd_rd_left(&r) != 0)
			return fail(m, c, OFD_EFORMAT, "Route Monitoring without exactly one BGP UPDATE");
		if (upd) {
			struct ofd_bgp_sess s;
			ofd_bmp_sess(&m->peer, &s);
			(void)ofd_bgp_update_parse(m->bgp, m->bgp_len, &s, upd);
		}
		break;
	case OFD_BMP_STATS:
		m->stats_count = ofd_rd_u32(&r);
		if (r.err)
			return fail(m, c, OFD_EFORMAT, "Statistics Report truncated");
		if (c)
			c->stats_skipped++;
		break;
	case OFD_BMP_PEER_DOWN:
		m->down_reason = ofd_rd_u8(&r);
		if (r.err)
			return fail(m, c, OFD_EFORMAT, "Peer Down truncated");
		if (m->down_reason == 1 || m->down_reason == 3) {
			const uint8_t *p;
			size_t n;
			if (bgp_pdu(&r, OFD_BGP_NOTIFICATION, &p, &n) != 0 ||
			    ofd_bgp_notification_parse(p, n, &m->notification) != 0)
				return fail(m, c, OFD_EFORMAT, "Peer Down without its NOTIFICATION");
			m->has_notification = 1;
		} else if (m->down_reason == 2) {
			m->fsm_event = ofd_rd_u16(&r);
			if (r.err)
				return fail(m, c, OFD_EFORMAT, "Peer Down without its FSM event");
		}
		break;
	case OFD_BMP_PEER_UP: {
		get_ip(&r, &m->local_addr, m->peer.flags & OFD_BMP_F_V);
		m->local_port = ofd_rd_u16(&r);
		m->remote_port = ofd_rd_u16(&r);
		const uint8_t *p;
		size_t n;
		if (r.err)
			return fail(m, c, OFD_EFORMAT, "Peer Up truncated");
		if (bgp_pdu(&r, OFD_BGP_OPEN, &p, &n) != 0 ||
		    ofd_bgp_open_parse(p, n, &m->sent_open, &e) != 0)
			return fail(m, c, OFD_EFORMAT, "Peer Up: sent OPEN malformed");
		if (bgp_pdu(&r, OFD_BGP_OPEN, &p, &n) != 0 ||
		    ofd_bgp_open_parse(p, n, &m->recv_open, &e) != 0)
			return fail(m, c, OFD_EFORMAT, "Peer Up: received OPEN malformed");
		if (tlvs(&r, m) != 0)
			return fail(m, c, OFD_EFORMAT, "Peer Up information TLV truncated");
		break;
	}
	case OFD_BMP_INITIATION:
	case OFD_BMP_TERMINATION:
		if (tlvs(&r, m) != 0)
			return fail(m, c, OFD_EFORMAT, "information TLV truncated");
		break;
	case OFD_BMP_ROUTE_MIRRORING:
		if (c)
			c->mirroring_skipped++;
		break;
	}
	if (c)
		c->msgs[m->type]++;
	return 0;
}
