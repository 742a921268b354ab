/*
 * sFlow v5 (sflow.org/sflow_version_5.txt): a datagram header, then samples tagged
 * enterprise(20 bits):format(12 bits) with a byte length.
 *
 * Decoded: flow samples (0:1) and expanded flow samples (0:3), one flow record each (goflow2's
 * convention: packets = 1, bytes = the sampled frame's length, sampling_rate as sent, never
 * multiplied); their records raw packet header (0:1, parsed with ofd_pkt_parse), sampled
 * Ethernet (0:2), sampled IPv4 (0:3) and IPv6 (0:4), extended switch (0:1001), router (0:1002)
 * and gateway (0:1003: BGP next hop, AS numbers, AS path and communities). Counter samples (0:2, 0:4) are
 * walked and counted in st.sflow_counter_samples. The packet fields come from the first raw header or sampled
 * IP record of a sample; later ones are ignored.
 *
 * Policy:
 * - A sample of another type or enterprise is skipped by its length and counted under
 *   OFD_DROP_UNKNOWN_SAMPLE (something an exporter sent that we do not deliver). An unknown
 *   record inside a flow or counter sample is skipped silently: its sample is still delivered.
 * - Lengths and counts are checked against the bytes that hold them (a count must fit with its
 *   smallest element size before any loop runs on it). The first structural error (a length or
 *   count that lies, a record that does not parse) is counted under OFD_DROP_MALFORMED_SAMPLE and
 *   ends the datagram, since the lengths after it cannot be trusted; the flow records of the
 *   samples before it are kept, the sample in error is not delivered.
 * - A header cut short is OFD_DROP_TRUNCATED; an agent address of unknown type ends the
 *   datagram as a malformed sample (the header length is unknown).
 * - observation_domain_id is the sample's source id index (the ifIndex or VLAN it samples).
 * - in_if / out_if: set when the interface format is 0 (a single ifIndex), to the value as sent,
 *   including the spec's "originates or terminates in the device" value (0x3fffffff compact,
 *   0xffffffff expanded), as goflow2 prints it. Format 1 (packet discarded) and 2 (multiple
 *   outputs) leave the field unset (0); an output of format 1 sets forwarding_status 0x80.
 */
#include "decode.h"
#include "ofd/rd.h"
#include "pkt.h"

#define SF_TAG(ent, fmt) ((uint32_t)(ent) << 12 | (uint32_t)(fmt))

enum {
	SF_FLOW_SAMPLE = SF_TAG(0, 1),
	SF_COUNTER_SAMPLE = SF_TAG(0, 2),
	SF_FLOW_SAMPLE_EXP = SF_TAG(0, 3),
	SF_COUNTER_SAMPLE_EXP = SF_TAG(0, 4),
	SF_REC_RAW = SF_TAG(0, 1),
	SF_REC_ETH = SF_TAG(0, 2),
	SF_REC_IPV4 = SF_TAG(0, 3),
	SF_REC_IPV6 = SF_TAG(0, 4),
	SF_REC_SWITCH = SF_TAG(0, 1001),
	SF_REC_ROUTER = SF_TAG(0, 1002),
	SF_REC_GATEWAY = SF_TAG(0, 1003),
};

/* Per-sample state while its records are read. */
struct sf_sample {
	struct ofd_flow *f;
	int have_pkt; /* packet fields already taken from a header / sampled IP record */
};

#define SF_BASE_PRESENT                                                                                      \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLING_RATE) | OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_TIME_FLOW_START) |       \
	 OFD_W0(OFD_F_TIME_FLOW_END) | OFD_W0(OFD_F_PACKETS) | OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID))

/* An sFlow address: type 1 IPv4, 2 IPv6, 0 unknown (no bytes). Sets r->err on anything else. */
static void sf_addr(struct ofd_rd *r, struct ofd_ip *ip)
{
	uint32_t type = ofd_rd_u32(r);
	if (type == 1) {
		if (ofd_rd_need(r, 4)) {
			ofd_ip_set4(ip, r->p);
			r->p += 4;
		}
	} else if (type == 2) {
		if (ofd_rd_need(r, 16)) {
			ofd_ip_set6(ip, r->p);
			r->p += 16;
		}
	} else if (type != 0) {
		r->err = 1;
	}
}

/* Copy what the packet parser saw into the flow record. */
static void sf_apply_pkt(struct ofd_flow *f, const struct ofd_pkt *p)
{
	if (p->layers & OFD_PKT_L2) {
		f->src_mac = p->src_mac;
		f->dst_mac = p->dst_mac;
		f->present.w[0] |= OFD_W0(OFD_F_SRC_MAC) | OFD_W0(OFD_F_DST_MAC);
	}
	if (p->layers & OFD_PKT_VLAN) {
		f->vlan_id = p->vlan;
		f->present.w[0] |= OFD_W0(OFD_F_VLAN_ID);
	}
	if (p->layers & OFD_PKT_MPLS) {
		f->mpls_label = p->mpls_label;
		f->present.w[0] |= OFD_W0(OFD_F_MPLS_LABEL);
		ofd_pkt_put_mpls(f, p);
	}
	if (p->etype) {
		f->etype = p->etype;
		f->present.w[0] |= OFD_W0(OFD_F_ETYPE);
	}
	if (!(p->layers & OFD_PKT_IP))
		return;
	f->src_addr = p->src;
	f->dst_addr = p->dst;
	f->proto = p->proto;
	f->ip_tos = p->tos;
	f->ip_ttl = p->ttl;
	f->present.w[0] |= OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_DST_ADDR) | OFD_W0(OFD_F_PROTO) |
			   OFD_W0(OFD_F_IP_TOS) | OFD_W0(OFD_F_IP_TTL);
	if (p->src.family == OFD_AF_INET6) {
		f->ipv6_flow_label = p->flow_label;
		f->present.w[0] |= OFD_W0(OFD_F_IPV6_FLOW_LABEL);
	}
	if (p->src.family == OFD_AF_INET || (p->layers & OFD_PKT_FRAG)) {
		f->ip_flags = p->ip_flags;
		f->fragment_id = p->frag_id;
		f->fragment_offset = p->frag_offset;
		f->present.w[0] |=
		    OFD_W0(OFD_F_IP_FLAGS) | OFD_W0(OFD_F_FRAGMENT_ID) | OFD_W0(OFD_F_FRAGMENT_OFFSET);
	}
	if (!(p->layers & OFD_PKT_L4))
		return;
	if (p->proto == 1 || p->proto == 58) {
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
		f->present.w[0] |= OFD_W0(OFD_F_ICMP_TYPE) | OFD_W0(OFD_F_ICMP_CODE);
		return;
	}
	f->src_port = p->src_port;
	f->dst_port = p->dst_port;
	f->present.w[0] |= OFD_W0(OFD_F_SRC_PORT) | OFD_W0(OFD_F_DST_PORT);
	if (p->proto == 6) {
		f->tcp_flags = p->tcp_flags;
		f->present.w[0] |= OFD_W0(OFD_F_TCP_FLAGS);
	}
}

/* Raw packet header (0:1). A header that does not parse as a packet is not an sFlow error. */
static int sf_rec_raw(struct sf_sample *s, struct ofd_rd *r)
{
	uint32_t proto = ofd_rd_u32(r);
	uint32_t frame_len = ofd_rd_u32(r);
	ofd_rd_u32(r); /* stripped */
	uint32_t hlen = ofd_rd_u32(r);
	if (r->err || hlen > ofd_rd_left(r))
		return OFD_EFORMAT;
	if (s->have_pkt)
		return 0;
	s->have_pkt = 1;
	struct ofd_flow *f = s->f;
	f->bytes = frame_len;
	f->present.w[0] |= OFD_W0(OFD_F_BYTES);
	int link;
	switch (proto) {
	case 1: link = OFD_LINK_ETHERNET; break;
	case 11: link = OFD_LINK_IPV4; break;
	case 12: link = OFD_LINK_IPV6; break;
	default: return 0;
	}
	struct ofd_pkt p;
	(void)ofd_pkt_parse(&p, link, r->p, hlen);
	sf_apply_pkt(f, &p);
	return 0;
}

/* Sampled Ethernet (0:2): MACs and EtherType when no header record gave them. */
static int sf_rec_eth(struct sf_sample *s, struct ofd_rd *r)
{
	if (!ofd_rd_need(r, 24))
		return OFD_EFORMAT;
	const uint8_t *p = r->p;
	struct ofd_flow *f = s->f;
	if (f->present.w[0] & OFD_W0(OFD_F_SRC_MAC))
		return 0;
	f->src_mac = (uint64_t)ofd_be16(p + 4) << 32 | ofd_be32(p + 6);
	f->dst_mac = (uint64_t)ofd_be16(p + 12) << 32 | ofd_be32(p + 14);
	f->etype = (uint16_t)ofd_be32(p + 20);
	f->present.w[0] |= OFD_W0(OFD_F_SRC_MAC) | OFD_W0(OFD_F_DST_MAC) | OFD_W0(OFD_F_ETYPE);
	if (!s->have_pkt) {
		f->bytes = ofd_be32(p);
		f->present.w[0] |= OFD_W0(OFD_F_BYTES);
	}
	return 0;
}

/* Sampled IPv4 (0:3, 32 bytes) or IPv6 (0:4, 56 bytes). */
static int sf_rec_ip(struct sf_sample *s, struct ofd_rd *r, int v6)
{
	size_t alen = v6 ? 16 : 4;
	if (!ofd_rd_need(r, 24 + 2 * alen))
		return OFD_EFORMAT;
	if (s->have_pkt)
		return 0;
	s->have_pkt = 1;
	const uint8_t *p = r->p;
	struct ofd_flow *f = s->f;
	f->bytes = ofd_be32(p);
	f->proto = (uint8_t)ofd_be32(p + 4);
	if (v6) {
		ofd_ip_set6(&f->src_addr, p + 8);
		ofd_ip_set6(&f->dst_addr, p + 24);
	} else {
		ofd_ip_set4(&f->src_addr, p + 8);
		ofd_ip_set4(&f->dst_addr, p + 12);
	}
	p += 8 + 2 * alen;
	f->src_port = (uint16_t)ofd_be32(p);
	f->dst_port = (uint16_t)ofd_be32(p + 4);
	f->tcp_flags = (uint8_t)ofd_be32(p + 8);
	f->ip_tos = (uint8_t)ofd_be32(p + 12);
	f->etype = v6 ? 0x86dd : 0x0800;
	f->present.w[0] |= OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_SRC_ADDR) |
			   OFD_W0(OFD_F_DST_ADDR) | OFD_W0(OFD_F_SRC_PORT) | OFD_W0(OFD_F_DST_PORT) |
			   OFD_W0(OFD_F_TCP_FLAGS) | OFD_W0(OFD_F_IP_TOS) | OFD_W0(OFD_F_ETYPE);
	ofd_flow_icmp_from_port(f);
	return 0;
}

/*
 * The destination AS path of an extended gateway: segments (type AS_SET 1 / AS_SEQUENCE 2, count,
 * ASes), flattened in order. Keeps the first OFD_AS_PATH_MAX ASes in f->as_path; returns the whole
 * count in *n and the first / last AS. A count larger than what is left is OFD_EFORMAT.
 */
static int sf_gw_path(struct ofd_flow *f, struct ofd_rd *r, uint32_t *n, uint32_t *first, uint32_t *last)
{
	uint32_t nseg = ofd_rd_u32(r);
	if (r->err || nseg > ofd_rd_left(r) / 8)
		return OFD_EFORMAT;
	*n = 0;
	for (uint32_t i = 0; i < nseg; i++) {
		ofd_rd_u32(r); /* segment type: set or sequence */
		uint32_t len = ofd_rd_u32(r);
		if (r->err || len > ofd_rd_left(r) / 4)
			return OFD_EFORMAT;
		for (uint32_t j = 0; j < len; j++, (*n)++) {
			*last = ofd_rd_u32(r);
			if (*n == 0)
				*first = *last;
			if (*n < OFD_AS_PATH_MAX)
				f->as_path[*n] = *last;
		}
	}
	f->as_path_len = (uint8_t)(*n < OFD_AS_PATH_MAX ? *n : OFD_AS_PATH_MAX);
	return 0;
}

/* The communities of an extended gateway (count, then each; the first OFD_COMMUNITIES_MAX kept),
   then its local_pref. */
static int sf_gw_communities(struct ofd_flow *f, struct ofd_rd *r)
{
	uint32_t nc = ofd_rd_u32(r);
	if (r->err || nc > ofd_rd_left(r) / 4)
		return OFD_EFORMAT;
	struct ofd_communities *c = &f->bgp_communities;
	c->n = (uint8_t)(nc < OFD_COMMUNITIES_MAX ? nc : OFD_COMMUNITIES_MAX);
	for (uint32_t i = 0; i < c->n; i++)
		c->v[i] = ofd_rd_u32(r);
	ofd_rd_skip(r, 4 * (size_t)(nc - c->n));
	f->local_pref = ofd_rd_u32(r);
	return r->err ? OFD_EFORMAT : 0;
}

/*
 * Extended gateway (0:1003): BGP next hop, AS numbers, the destination AS path (as_path, dst_as
 * its last AS, next_hop_as its first), the communities (bgp_communities) and local_pref.
 */
static int sf_rec_gateway(struct sf_sample *s, struct ofd_rd *r)
{
	struct ofd_flow *f = s->f;
	struct ofd_ip nh = {0};
	sf_addr(r, &nh);
	uint32_t as = ofd_rd_u32(r);
	uint32_t src_as = ofd_rd_u32(r);
	ofd_rd_u32(r); /* src_peer_as */
	uint32_t first = 0, last = 0, n = 0;
	if (r->err || sf_gw_path(f, r, &n, &first, &last) || sf_gw_communities(f, r))
		return OFD_EFORMAT;
	if (nh.family) {
		f->bgp_next_hop = nh;
		f->present.w[0] |= OFD_W0(OFD_F_BGP_NEXT_HOP);
	}
	f->src_as = src_as;
	f->dst_as = n ? last : as;
	f->present.w[0] |= OFD_W0(OFD_F_SRC_AS) | OFD_W0(OFD_F_DST_AS);
	ofd_flow_set(f, OFD_F_LOCAL_PREF);
	if (n) {
		f->next_hop_as = first;
		f->present.w[0] |= OFD_W0(OFD_F_NEXT_HOP_AS);
		ofd_flow_set(f, OFD_F_AS_PATH);
	}
	if (f->bgp_communities.n)
		ofd_flow_set(f, OFD_F_BGP_COMMUNITIES);
	return 0;
}

/* extended_switch VLAN: 0xFFFFFFFF (unknown) is "no VLAN", 0; otherwise the 12-bit id. */
static inline uint16_t sf_vlan(uint32_t v)
{
	return v == 0xffffffffu ? 0 : (uint16_t)(v & 0xfff);
}

static int sf_flow_record(struct sf_sample *s, uint32_t tag, struct ofd_rd *r)
{
	struct ofd_flow *f = s->f;
	switch (tag) {
	case SF_REC_RAW: return sf_rec_raw(s, r);
	case SF_REC_ETH: return sf_rec_eth(s, r);
	case SF_REC_IPV4: return sf_rec_ip(s, r, 0);
	case SF_REC_IPV6: return sf_rec_ip(s, r, 1);
	case SF_REC_SWITCH:
		if (!ofd_rd_need(r, 16))
			return OFD_EFORMAT;
		f->src_vlan = sf_vlan(ofd_be32(r->p));
		f->dst_vlan = sf_vlan(ofd_be32(r->p + 8));
		f->present.w[0] |= OFD_W0(OFD_F_SRC_VLAN) | OFD_W0(OFD_F_DST_VLAN);
		return 0;
	case SF_REC_ROUTER: {
		struct ofd_ip nh = {0};
		sf_addr(r, &nh);
		uint32_t src_mask = ofd_rd_u32(r), dst_mask = ofd_rd_u32(r);
		if (r->err)
			return OFD_EFORMAT;
		if (nh.family) {
			f->next_hop = nh;
			f->present.w[0] |= OFD_W0(OFD_F_NEXT_HOP);
		}
		f->src_net = (uint8_t)(src_mask > 128 ? 0 : src_mask);
		f->dst_net = (uint8_t)(dst_mask > 128 ? 0 : dst_mask);
		f->present.w[0] |= OFD_W0(OFD_F_SRC_NET) | OFD_W0(OFD_F_DST_NET);
		return 0;
	}
	case SF_REC_GATEWAY: return sf_rec_gateway(s, r);
	default: return 0; /* unknown record: skipped by its length */
	}
}

/* The records of a flow or counter sample: count, then tag/length/body each. */
static int sf_records(struct sf_sample *s, struct ofd_rd *r)
{
	uint32_t nrec = ofd_rd_u32(r);
	if (r->err || nrec > ofd_rd_left(r) / 8)
		return OFD_EFORMAT;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t tag = ofd_rd_u32(r);
		uint32_t len = ofd_rd_u32(r);
		struct ofd_rd body = ofd_rd_sub(r, len);
		if (r->err)
			return OFD_EFORMAT;
		if (s && sf_flow_record(s, tag, &body))
			return OFD_EFORMAT;
	}
	return 0;
}

/* Interface of format fmt (compact: bits 30-31). Sets in/out_if for format 0 (one ifIndex). */
static void sf_iface(struct ofd_flow *f, uint32_t fmt, uint32_t val, int out)
{
	if (fmt == 0) {
		if (out)
			f->out_if = val;
		else
			f->in_if = val;
		f->present.w[0] |= out ? OFD_W0(OFD_F_OUT_IF) : OFD_W0(OFD_F_IN_IF);
	} else if (out && fmt == 1) {
		f->forwarding_status = 0x80;
		f->present.w[0] |= OFD_W0(OFD_F_FORWARDING_STATUS);
	}
}

/* What every record of a datagram shares (sf_header fills it). */
struct sf_base {
	struct ofd_ip agent;
	uint32_t seq;
	uint64_t time_ns;
};

/* The datagram's fields of a (zeroed) record. */
static void sf_from_base(struct ofd_flow *f, const struct sf_base *base)
{
	f->present.w[0] = SF_BASE_PRESENT;
	f->type = OFD_FT_SFLOW_5;
	f->time_received_ns = base->time_ns;
	f->time_flow_start_ns = base->time_ns;
	f->time_flow_end_ns = base->time_ns;
	f->packets = 1;
	f->sampler_address = base->agent;
	f->sequence_num = base->seq;
}

/* A flow sample (compact or expanded) into one flow record; 0 or OFD_EFORMAT (nothing added). */
static int sf_flow_sample(struct ofd_decoder *d, const struct sf_base *base, struct ofd_rd *r, int expanded,
			  struct ofd_batch *b)
{
	uint32_t in_fmt, in, out_fmt, out, src_index;
	ofd_rd_u32(r); /* sample sequence number */
	if (expanded) {
		ofd_rd_u32(r); /* source id type */
		src_index = ofd_rd_u32(r);
	} else {
		src_index = ofd_rd_u32(r) & 0xffffff;
	}
	uint32_t rate = ofd_rd_u32(r);
	ofd_rd_skip(r, 8); /* sample pool, drops */
	if (expanded) {
		in_fmt = ofd_rd_u32(r);
		in = ofd_rd_u32(r);
		out_fmt = ofd_rd_u32(r);
		out = ofd_rd_u32(r);
	} else {
		in = ofd_rd_u32(r);
		out = ofd_rd_u32(r);
		in_fmt = in >> 30;
		out_fmt = out >> 30;
		in &= 0x3fffffff;
		out &= 0x3fffffff;
	}
	if (r->err)
		return OFD_EFORMAT;
	struct ofd_flow *f = ofd_decode_add(d, b);
	sf_from_base(f, base);
	f->sampling_rate = rate;
	f->observation_domain_id = src_index;
	sf_iface(f, in_fmt, in, 0);
	sf_iface(f, out_fmt, out, 1);
	struct sf_sample s = {f, 0};
	if (sf_records(&s, r)) {
		ofd_batch_unadd(b);
		return OFD_EFORMAT;
	}
	return 0;
}

static int sf_counter_sample(struct ofd_rd *r, int expanded)
{
	ofd_rd_skip(r, expanded ? 12 : 8); /* sequence, source id */
	return sf_records(NULL, r);
}

/* The datagram header up to the sample count; fills the fields shared by every record. */
static int sf_header(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_rd *r,
		     struct sf_base *base, uint32_t *nsamples)
{
	uint32_t atype = dg->len >= 8 ? ofd_be32(dg->data + 4) : 1;
	if (atype != 1 && atype != 2)
		return ofd_decode_drop(d, dg, OFD_DROP_MALFORMED_SAMPLE, OFD_EFORMAT,
				       "sFlow agent address of unknown type");
	ofd_rd_u32(r); /* version, checked by ofd_decode */
	sf_addr(r, &base->agent);
	ofd_rd_u32(r); /* sub-agent id */
	base->seq = ofd_rd_u32(r);
	ofd_rd_u32(r); /* uptime ms */
	*nsamples = ofd_rd_u32(r);
	if (r->err)
		return ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC, "sFlow header cut short");
	if (*nsamples > ofd_rd_left(r) / 8)
		return ofd_decode_drop(d, dg, OFD_DROP_MALFORMED_SAMPLE, OFD_EFORMAT,
				       "sFlow sample count exceeds the datagram");
	base->time_ns = dg->time_ns;
	return 0;
}

int ofd_sflow5_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	struct ofd_rd r = ofd_rd_make(dg->data, dg->len);
	struct sf_base base = {0};
	uint32_t nsamples = 0;
	int err = sf_header(d, dg, &r, &base, &nsamples);
	if (err)
		return err;
	int n = 0;
	for (uint32_t i = 0; i < nsamples; i++) {
		uint32_t tag = ofd_rd_u32(&r);
		uint32_t len = ofd_rd_u32(&r);
		struct ofd_rd s = ofd_rd_sub(&r, len);
		if (r.err) {
			ofd_decode_drop(d, dg, OFD_DROP_MALFORMED_SAMPLE, OFD_EFORMAT,
					"sFlow sample length exceeds the datagram");
			break;
		}
		switch (tag) {
		case SF_FLOW_SAMPLE:
		case SF_FLOW_SAMPLE_EXP:
			err = sf_flow_sample(d, &base, &s, tag == SF_FLOW_SAMPLE_EXP, b);
			n += !err;
			break;
		case SF_COUNTER_SAMPLE:
		case SF_COUNTER_SAMPLE_EXP:
			err = sf_counter_sample(&s, tag == SF_COUNTER_SAMPLE_EXP);
			d->st.sflow_counter_samples += !err;
			break;
		default:
			ofd_decode_drop(d, dg, OFD_DROP_UNKNOWN_SAMPLE, 0, "sFlow sample type not decoded");
			break;
		}
		if (err) {
			ofd_decode_drop(d, dg, OFD_DROP_MALFORMED_SAMPLE, err,
					"sFlow sample or record does not parse");
			break;
		}
	}
	return n;
}
