/*
 * RFC 7133 packet sections in NetFlow v9 / IPFIX records: a record that describes one sampled
 * packet by its first bytes (Juniper inline monitoring: IPFIX with dataLinkFrameSection 315 and
 * dataLinkFrameSize 312; Cisco NCS "datalink" records; PSAMP exporters with
 * ipHeaderPacketSection 313). The packet parser of sFlow's raw header (pkt.c) reads each section:
 * 315 as an Ethernet frame, 313 as an IPv4/IPv6 header and what follows it, 316 as an MPLS label
 * stack, 317 as what follows a stack (control word + Ethernet, or IP), 314 as the L4 header of the
 * record's protocol. Sections are IPFIX variable-length fields or fixed-length ones (v9, IPFIX).
 *
 * Precedence: a field the template carries itself keeps the template's value, wherever its
 * element stands (the record's `present` bits hold the template's fields before it is applied);
 * the sections fill only the fields still unset, in the order 315, 313, 317, 316, 314 (317
 * before 316, so that the payload's EtherType wins over the stack's 0x8847). Counters: a
 * template's own (1/2, 23/24, 85/86) win; else packets is 1 and bytes is dataLinkFrameSize
 * (312), else ipTotalLength (224), else the total length of the parsed IP header, else the
 * section's length.
 *
 * Hostile input: a section's length is the record's (ofd_ie_var_len, the fixed plan);
 * sectionExportedOctets (410) can only shorten it (octets beyond it are padding); the parser
 * bounds every read by the bytes it is given and by the IP length fields. A section that starts
 * inside the packet (sectionOffset 409 not 0) is not parsed: its headers cannot be located. A
 * section that is cut short or does not parse is not an error, as sFlow's raw header is not: the
 * fields read so far are kept, nothing is counted.
 */
#include "ie.h"
#include "ofd/rd.h"
#include "pkt.h"

#define SEC_BIT(k)    (1u << ((k)-OFD_IE_SEC_L2))
#define SEC_VAL(s, k) ((s)->val[(k)-OFD_IE_FRAME_SIZE])
#define SEC_ANY                                                                                              \
	(SEC_BIT(OFD_IE_SEC_L2) | SEC_BIT(OFD_IE_SEC_IP_HDR) | SEC_BIT(OFD_IE_SEC_IP_PAYLOAD) |              \
	 SEC_BIT(OFD_IE_SEC_MPLS_STACK) | SEC_BIT(OFD_IE_SEC_MPLS_PAYLOAD))

/* Set field `id` with `stmt` unless the record has it already. */
#define FILL(f, id, stmt)                                                                                    \
	do {                                                                                                 \
		if (!ofd_flow_has(f, id)) {                                                                  \
			stmt;                                                                                \
			ofd_flow_set(f, id);                                                                 \
		}                                                                                            \
	} while (0)

void ofd_ie_section_put(struct ofd_flow *f, struct ofd_ie_aux *a, const struct ofd_ie_ctx *c, unsigned kind,
			const uint8_t *p, uint32_t n)
{
	(void)f;
	(void)c;
	struct ofd_ie_sec *s = &a->sec;
	if (!(a->have & OFD_IEA_SECTION)) {
		s->have = 0;
		a->have |= OFD_IEA_SECTION;
	}
	if (kind < OFD_IE_SEC_L2 || kind > OFD_IE_SEC_OCTETS)
		return;
	if (kind >= OFD_IE_FRAME_SIZE) { /* an integer of 1..8 bytes (ofd_ie_len_ok) */
		SEC_VAL(s, kind) = ofd_be_uint(p, n);
	} else if (!(s->have & SEC_BIT(kind))) { /* the first section of a kind is read */
		s->p[kind - OFD_IE_SEC_L2] = p;
		s->len[kind - OFD_IE_SEC_L2] = n;
	}
	s->have |= SEC_BIT(kind);
}

/* Link layer, tags, MPLS and EtherType. */
static void fill_l2(struct ofd_flow *f, const struct ofd_pkt *p)
{
	if (p->layers & OFD_PKT_L2) {
		FILL(f, OFD_F_SRC_MAC, f->src_mac = p->src_mac);
		FILL(f, OFD_F_DST_MAC, f->dst_mac = p->dst_mac);
	}
	if (p->layers & OFD_PKT_VLAN)
		FILL(f, OFD_F_VLAN_ID, f->vlan_id = p->vlan);
	if (p->layers & OFD_PKT_MPLS) {
		FILL(f, OFD_F_MPLS_LABEL, f->mpls_label = p->mpls_label);
		ofd_pkt_put_mpls(f, p);
	}
	if (p->etype)
		FILL(f, OFD_F_ETYPE, f->etype = p->etype);
}

static void fill_ip(struct ofd_flow *f, const struct ofd_pkt *p)
{
	FILL(f, OFD_F_SRC_ADDR, f->src_addr = p->src);
	FILL(f, OFD_F_DST_ADDR, f->dst_addr = p->dst);
	FILL(f, OFD_F_PROTO, f->proto = p->proto);
	FILL(f, OFD_F_IP_TOS, f->ip_tos = p->tos);
	FILL(f, OFD_F_IP_TTL, f->ip_ttl = p->ttl);
	if (p->src.family == OFD_AF_INET6)
		FILL(f, OFD_F_IPV6_FLOW_LABEL, f->ipv6_flow_label = p->flow_label);
	if (p->src.family == OFD_AF_INET || (p->layers & OFD_PKT_FRAG)) {
		FILL(f, OFD_F_IP_FLAGS, f->ip_flags = p->ip_flags);
		FILL(f, OFD_F_FRAGMENT_ID, f->fragment_id = p->frag_id);
		FILL(f, OFD_F_FRAGMENT_OFFSET, f->fragment_offset = p->frag_offset);
	}
}

static void fill_l4(struct ofd_flow *f, const struct ofd_pkt *p)
{
	if (p->proto == 1 || p->proto == 58) {
		if (!ofd_flow_has(f, OFD_F_ICMP_TYPE)) {
			f->icmp_type = p->icmp_type;
			f->icmp_code = p->icmp_code;
			ofd_flow_set(f, OFD_F_ICMP_TYPE);
			ofd_flow_set(f, OFD_F_ICMP_CODE);
		}
		return;
	}
	FILL(f, OFD_F_SRC_PORT, f->src_port = p->src_port);
	FILL(f, OFD_F_DST_PORT, f->dst_port = p->dst_port);
	if (p->proto == 6)
		FILL(f, OFD_F_TCP_FLAGS, f->tcp_flags = p->tcp_flags);
}

static void fill_pkt(struct ofd_flow *f, const struct ofd_pkt *p)
{
	fill_l2(f, p);
	if (p->layers & OFD_PKT_IP)
		fill_ip(f, p);
	if (p->layers & OFD_PKT_L4)
		fill_l4(f, p);
}

/* The bytes of section `kind` worth reading: sectionExportedOctets (410) can only shorten it. */
static size_t sec_len(const struct ofd_ie_sec *s, unsigned kind)
{
	size_t n = s->len[kind - OFD_IE_SEC_L2];
	if ((s->have & SEC_BIT(OFD_IE_SEC_OCTETS)) && SEC_VAL(s, OFD_IE_SEC_OCTETS) < n)
		n = (size_t)SEC_VAL(s, OFD_IE_SEC_OCTETS);
	return n;
}

/* Parse the sections in precedence order; returns the first IP total length seen (0: none). */
static uint32_t parse_sections(struct ofd_flow *f, const struct ofd_ie_sec *s)
{
	static const struct {
		uint8_t kind;
		int link;
	} order[] = {{OFD_IE_SEC_L2, OFD_LINK_ETHERNET},
		     {OFD_IE_SEC_IP_HDR, OFD_LINK_RAW},
		     {OFD_IE_SEC_MPLS_PAYLOAD, OFD_LINK_MPLS_PAYLOAD},
		     {OFD_IE_SEC_MPLS_STACK, OFD_LINK_MPLS}};
	struct ofd_pkt pk;
	uint32_t ip_len = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned k = order[i].kind;
		if (!(s->have & SEC_BIT(k)))
			continue;
		(void)ofd_pkt_parse(&pk, order[i].link, s->p[k - OFD_IE_SEC_L2], sec_len(s, k));
		fill_pkt(f, &pk);
		if (!ip_len && (pk.layers & OFD_PKT_IP))
			ip_len = pk.ip_len;
	}
	/* the IP payload: L4 of the record's protocol, unless a non-first fragment */
	if ((s->have & SEC_BIT(OFD_IE_SEC_IP_PAYLOAD)) && ofd_flow_has(f, OFD_F_PROTO) &&
	    !(ofd_flow_has(f, OFD_F_FRAGMENT_OFFSET) && f->fragment_offset)) {
		unsigned k = OFD_IE_SEC_IP_PAYLOAD;
		if (ofd_pkt_parse_l4(&pk, f->proto, s->p[k - OFD_IE_SEC_L2], sec_len(s, k)) == 0)
			fill_l4(f, &pk);
	}
	return ip_len;
}

/* The length of the first section present, in precedence order (the counter of last resort). */
static uint64_t first_len(const struct ofd_ie_sec *s)
{
	static const uint8_t kinds[] = {OFD_IE_SEC_L2, OFD_IE_SEC_IP_HDR, OFD_IE_SEC_MPLS_PAYLOAD,
					OFD_IE_SEC_MPLS_STACK, OFD_IE_SEC_IP_PAYLOAD};
	for (size_t i = 0; i < sizeof(kinds); i++)
		if (s->have & SEC_BIT(kinds[i]))
			return sec_len(s, kinds[i]);
	return 0;
}

void ofd_ie_section_post(struct ofd_flow *f, const struct ofd_ie_aux *a)
{
	const struct ofd_ie_sec *s = &a->sec;
	if (!(s->have & (SEC_ANY | SEC_BIT(OFD_IE_FRAME_SIZE))))
		return; /* 224, 409 or 410 alone: not a packet record */
	uint32_t ip_len = 0;
	int located = !(s->have & SEC_BIT(OFD_IE_SEC_OFFSET)) || SEC_VAL(s, OFD_IE_SEC_OFFSET) == 0;
	if (located && (s->have & SEC_ANY))
		ip_len = parse_sections(f, s);
	if (!ofd_flow_has(f, OFD_F_BYTES)) {
		if (s->have & SEC_BIT(OFD_IE_FRAME_SIZE))
			f->bytes = SEC_VAL(s, OFD_IE_FRAME_SIZE);
		else if (s->have & SEC_BIT(OFD_IE_IP_TOTAL_LEN))
			f->bytes = SEC_VAL(s, OFD_IE_IP_TOTAL_LEN);
		else if (ip_len)
			f->bytes = ip_len;
		else
			f->bytes = first_len(s);
		ofd_flow_set(f, OFD_F_BYTES);
	}
	FILL(f, OFD_F_PACKETS, f->packets = 1);
}
