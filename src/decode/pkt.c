/*
 * Packet header parser: link layer -> tags/MPLS -> IPv4/IPv6 (+ extension headers) -> L4.
 *
 * Every read is preceded by an explicit length check against the bytes captured; the IP
 * payload is further bounded by the IP header's length field (so Ethernet padding never leaks
 * into L4), and the UDP payload by the UDP length. Loops (VLAN tags, MPLS labels, IPv6
 * extension headers) consume at least 4 bytes per step, so they end with the data.
 */
#include "pkt.h"

#include <stddef.h>
#include <string.h>

#include "ofd/rd.h"

#define ETH_IPV4   0x0800
#define ETH_IPV6   0x86dd
#define ETH_VLAN   0x8100
#define ETH_QINQ   0x88a8
#define ETH_QINQ2  0x9100
#define ETH_MPLS   0x8847
#define ETH_MPLS_M 0x8848

/* A MAC as 48 bits, most significant byte first: two loads, not a loop over six bytes. */
static uint64_t pkt_mac(const uint8_t *p)
{
	return (uint64_t)ofd_be16(p) << 32 | ofd_be32(p + 2);
}

/* L4 header at p (len bytes, already bounded by the IP payload). Sets what is present. */
static void pkt_l4(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	switch (p->proto) {
	case 6:	  /* TCP */
	case 17:  /* UDP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
		if (len < 4)
			return;
		p->src_port = ofd_be16(d);
		p->dst_port = ofd_be16(d + 2);
		p->layers |= OFD_PKT_L4;
		if (p->proto == 6 && len >= 14)
			p->tcp_flags = (uint16_t)((d[12] & 1) << 8 | d[13]); /* NS, CWR .. FIN */
		if (p->proto == 17 && len >= 8) {
			p->udp_len = ofd_be16(d + 4);
			size_t avail = len - 8;
			if (p->udp_len >= 8)
				avail = avail < (size_t)(p->udp_len - 8) ? avail : (size_t)(p->udp_len - 8);
			else if (p->udp_len != 0) /* 0: jumbogram, length unknown */
				avail = 0;
			p->udp_payload = d + 8;
			p->udp_payload_len = avail;
		}
		return;
	case 1:
	case 58: /* ICMP, ICMPv6 */
		if (len < 2)
			return;
		p->icmp_type = d[0];
		p->icmp_code = d[1];
		p->layers |= OFD_PKT_L4;
		return;
	default: return;
	}
}

static int pkt_ipv4(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	if (len < 20)
		return OFD_ETRUNC;
	if ((d[0] >> 4) != 4)
		return OFD_EFORMAT;
	size_t ihl = (size_t)(d[0] & 0x0f) * 4;
	if (ihl < 20)
		return OFD_EFORMAT;
	if (len < ihl)
		return OFD_ETRUNC;
	p->etype = ETH_IPV4;
	p->tos = d[1];
	p->ip_len = ofd_be16(d + 2);
	p->frag_id = ofd_be16(d + 4);
	p->ip_flags = (uint8_t)(d[6] >> 5);
	p->frag_offset = ofd_be16(d + 6) & 0x1fff;
	p->ttl = d[8];
	p->proto = d[9];
	ofd_ip_set4(&p->src, d + 12);
	ofd_ip_set4(&p->dst, d + 16);
	/* Total length 0 happens with TSO captures: then the bytes captured bound the payload. */
	size_t end = len;
	if (p->ip_len != 0) {
		if (p->ip_len < ihl)
			return OFD_EFORMAT;
		if (p->ip_len < end)
			end = p->ip_len;
	}
	p->layers |= OFD_PKT_IP;
	if ((p->ip_flags & 1) || p->frag_offset)
		p->layers |= OFD_PKT_FRAG;
	if (p->frag_offset == 0)
		pkt_l4(p, d + ihl, end - ihl);
	return 0;
}

/* Walk IPv6 extension headers from `nh` at d[off]; returns the offset of the upper layer or 0
 * when the walk ends without one (truncated, or a non-first fragment). */
static size_t pkt_ipv6_ext(struct ofd_pkt *p, const uint8_t *d, size_t end, size_t off)
{
	for (;;) {
		size_t hlen;
		switch (p->proto) {
		case 0:
		case 43:
		case 60:
			if (end - off < 2)
				return 0;
			hlen = ((size_t)d[off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			if (end - off < 2)
				return 0;
			hlen = ((size_t)d[off + 1] + 2) * 4;
			break;
		case 44: { /* fragment */
			if (end - off < 8)
				return 0;
			uint16_t fo = ofd_be16(d + off + 2);
			p->frag_offset = fo >> 3;
			p->ip_flags = fo & 1; /* M, at the MF position of IPv4's flags */
			p->frag_id = ofd_be32(d + off + 4);
			p->layers |= OFD_PKT_FRAG;
			p->proto = d[off];
			off += 8;
			if (p->frag_offset != 0)
				return 0;
			continue;
		}
		default: return off;
		}
		if (end - off < hlen)
			return 0;
		p->proto = d[off];
		off += hlen;
	}
}

static int pkt_ipv6(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	if (len < 40)
		return OFD_ETRUNC;
	if ((d[0] >> 4) != 6)
		return OFD_EFORMAT;
	p->etype = ETH_IPV6;
	p->tos = (uint8_t)(ofd_be16(d) >> 4);
	p->flow_label = ofd_be32(d) & 0xfffff;
	uint32_t plen = ofd_be16(d + 4);
	p->ip_len = plen + 40 > 0xffff ? 0xffff : (uint16_t)(plen + 40);
	p->proto = d[6];
	p->ttl = d[7];
	ofd_ip_set6(&p->src, d + 8);
	ofd_ip_set6(&p->dst, d + 24);
	p->layers |= OFD_PKT_IP;
	size_t end = len; /* payload length 0: jumbogram, bounded by the capture */
	if (plen != 0 && plen + 40 < end)
		end = plen + 40;
	size_t off = pkt_ipv6_ext(p, d, end, 40);
	if (off)
		pkt_l4(p, d + off, end - off);
	return 0;
}

static int pkt_ip_guess(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	if (len < 1)
		return OFD_ETRUNC;
	switch (d[0] >> 4) {
	case 4: return pkt_ipv4(p, d, len);
	case 6: return pkt_ipv6(p, d, len);
	default: return OFD_EUNSUPPORTED;
	}
}

static int pkt_ether_type(struct ofd_pkt *p, uint16_t et, const uint8_t *d, size_t len);

/*
 * What follows the bottom of an MPLS stack: a pseudowire control word (first nibble 0) and an
 * Ethernet frame (EoMPLS, EVPN), followed once (a control word inside it is not); else IPv4 or
 * IPv6 by the first nibble. The first MACs and VLAN seen are kept (the outer frame's).
 */
static int pkt_mpls_payload(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	if (len >= 1 && (d[0] >> 4) == 0 && !(p->layers & OFD_PKT_PW)) {
		p->layers |= OFD_PKT_PW;
		if (len < 4 + 14)
			return OFD_ETRUNC;
		if (!(p->layers & OFD_PKT_L2)) {
			p->dst_mac = pkt_mac(d + 4);
			p->src_mac = pkt_mac(d + 10);
			p->layers |= OFD_PKT_L2;
		}
		return pkt_ether_type(p, ofd_be16(d + 16), d + 18, len - 18);
	}
	int rc = pkt_ip_guess(p, d, len);
	if (rc == OFD_EUNSUPPORTED)
		p->etype = 0;
	return rc;
}

/* MPLS label stack (the first one seen is kept in mpls[]), then what follows its bottom. */
static int pkt_mpls(struct ofd_pkt *p, const uint8_t *d, size_t len)
{
	size_t off = 0;
	int keep = !(p->layers & OFD_PKT_MPLS);
	p->layers |= OFD_PKT_MPLS;
	for (;;) {
		if (len - off < 4)
			return OFD_ETRUNC;
		uint32_t lse = ofd_be32(d + off);
		if (keep) {
			if (off == 0)
				p->mpls_label = lse >> 12;
			if (p->mpls_n < OFD_PKT_MPLS_MAX)
				p->mpls[p->mpls_n++] = lse;
		}
		off += 4;
		if (lse & 0x100) /* bottom of stack */
			break;
	}
	return pkt_mpls_payload(p, d + off, len - off);
}

/* Network layer by EtherType, after any 802.1Q/802.1ad tags. */
static int pkt_ether_type(struct ofd_pkt *p, uint16_t et, const uint8_t *d, size_t len)
{
	size_t off = 0;
	while (et == ETH_VLAN || et == ETH_QINQ || et == ETH_QINQ2) {
		if (len - off < 4) {
			p->etype = et;
			return OFD_ETRUNC;
		}
		if (!(p->layers & OFD_PKT_VLAN)) {
			p->vlan = ofd_be16(d + off) & 0x0fff;
			p->layers |= OFD_PKT_VLAN;
		}
		et = ofd_be16(d + off + 2);
		off += 4;
	}
	p->etype = et;
	switch (et) {
	case ETH_IPV4: return pkt_ipv4(p, d + off, len - off);
	case ETH_IPV6: return pkt_ipv6(p, d + off, len - off);
	case ETH_MPLS:
	case ETH_MPLS_M: return pkt_mpls(p, d + off, len - off);
	default: return OFD_EUNSUPPORTED;
	}
}

/* BSD loopback family values: 2 is AF_INET everywhere; AF_INET6 is 24, 28 or 30 by OS. */
static int pkt_family(struct ofd_pkt *p, uint32_t fam, const uint8_t *d, size_t len)
{
	switch (fam) {
	case 2: return pkt_ipv4(p, d, len);
	case 24:
	case 28:
	case 30: return pkt_ipv6(p, d, len);
	default: return OFD_EUNSUPPORTED;
	}
}

int ofd_pkt_parse(struct ofd_pkt *p, int link, const uint8_t *data, size_t len)
{
	memset(p, 0, offsetof(struct ofd_pkt, mpls)); /* mpls[]: up to mpls_n */
	if (!data)
		len = 0;
	switch (link) {
	case OFD_LINK_ETHERNET:
		if (len < 14)
			return OFD_ETRUNC;
		p->dst_mac = pkt_mac(data);
		p->src_mac = pkt_mac(data + 6);
		p->layers |= OFD_PKT_L2;
		return pkt_ether_type(p, ofd_be16(data + 12), data + 14, len - 14);
	case OFD_LINK_SLL:
		if (len < 16)
			return OFD_ETRUNC;
		return pkt_ether_type(p, ofd_be16(data + 14), data + 16, len - 16);
	case OFD_LINK_SLL2:
		if (len < 20)
			return OFD_ETRUNC;
		return pkt_ether_type(p, ofd_be16(data), data + 20, len - 20);
	case OFD_LINK_RAW: return pkt_ip_guess(p, data, len);
	case OFD_LINK_IPV4: return pkt_ipv4(p, data, len);
	case OFD_LINK_IPV6: return pkt_ipv6(p, data, len);
	case OFD_LINK_NULL: {
		if (len < 4)
			return OFD_ETRUNC;
		/* Host byte order of the machine that captured: accept either order. */
		uint32_t le = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
			      (uint32_t)data[3] << 24;
		uint32_t fam = le <= 0xffff ? le : ofd_be32(data);
		return pkt_family(p, fam, data + 4, len - 4);
	}
	case OFD_LINK_LOOP:
		if (len < 4)
			return OFD_ETRUNC;
		return pkt_family(p, ofd_be32(data), data + 4, len - 4);
	case OFD_LINK_MPLS: p->etype = ETH_MPLS; return pkt_mpls(p, data, len);
	case OFD_LINK_MPLS_PAYLOAD: return pkt_mpls_payload(p, data, len);
	default: return OFD_EUNSUPPORTED;
	}
}

int ofd_pkt_parse_l4(struct ofd_pkt *p, uint8_t proto, const uint8_t *data, size_t len)
{
	memset(p, 0, offsetof(struct ofd_pkt, mpls)); /* mpls[]: up to mpls_n */
	p->proto = proto;
	if (data)
		pkt_l4(p, data, len);
	return (p->layers & OFD_PKT_L4) ? 0 : OFD_ETRUNC;
}

void ofd_pkt_put_mpls(struct ofd_flow *f, const struct ofd_pkt *p)
{
	if (!p->mpls_n || ofd_flow_has(f, OFD_F_MPLS_STACK))
		return;
	unsigned n = p->mpls_n < OFD_MPLS_MAX ? p->mpls_n : OFD_MPLS_MAX;
	memcpy(f->mpls_stack.lse, p->mpls, n * sizeof(p->mpls[0]));
	f->mpls_stack.n = (uint8_t)n;
	ofd_flow_set(f, OFD_F_MPLS_STACK);
}
