/*
 * protobuf-c's messages (build/gen/proto, library ofd_pbc) built from a flow record, field by
 * field, as flowpipeline and goflow2 would fill them: the reference format/flowpb.c is held
 * against (tests/unit/test_flowpb.c) and measured against (bench/bench_pb.c).
 *
 * Written out by hand from proto/enrichedflow.proto and proto/flow.proto, not from our field
 * tables, so that a mistake in protojson_fields.def shows: base fields by value (zero is left
 * out by protobuf-c, as proto3 says), enriched ones only when present; a sparse record (set by
 * dropfields) only the fields present. Strings and addresses point into the record; lists into
 * the struct. Header-only: include it where ofd_pbc is linked (OFD_HAVE_PROTOBUF_C).
 */
#ifndef OFD_GEN_PBC_H
#define OFD_GEN_PBC_H

#include <string.h>

#include "enrichedflow.pb-c.h"
#include "flow.pb-c.h"
#include "ofd/flow.h"

struct gen_pbc {
	Flowpb__EnrichedFlow m;
	Flowpb__FlowMessage l;
	uint32_t ttls[OFD_MPLS_MAX], labels[OFD_MPLS_MAX];
	ProtobufCBinaryData mpls_ip;
	char cc[3][3]; /* src_country, dst_country, remote_country with their NUL */
};

static inline ProtobufCBinaryData gen_pbc_ip(const struct ofd_ip *ip)
{
	ProtobufCBinaryData d = {0, NULL};
	if (ip->family == OFD_AF_INET)
		d.len = 4, d.data = (uint8_t *)ip->b + 12;
	else if (ip->family == OFD_AF_INET6)
		d.len = 16, d.data = (uint8_t *)ip->b;
	return d;
}

/* A field is written: enriched ones (and all of a sparse record) when present. */
#define GEN_PBC_HAS(f, id, enriched) (!((enriched) || (f)->sparse) || ofd_flow_has((f), (id)))
#define GEN_PBC_B(f, ID, v)	     (GEN_PBC_HAS(f, OFD_F_##ID, 0) ? (v) : 0)
#define GEN_PBC_E(f, ID, v)	     (GEN_PBC_HAS(f, OFD_F_##ID, 1) ? (v) : 0)
#define GEN_PBC_S(f, ID, s)                                                                                  \
	(GEN_PBC_HAS(f, OFD_F_##ID, 1) && (s) ? (char *)(s) : (char *)protobuf_c_empty_string)
#define GEN_PBC_IP(f, ID, ip, enr)                                                                           \
	(GEN_PBC_HAS(f, OFD_F_##ID, enr) ? gen_pbc_ip(ip) : (ProtobufCBinaryData){0, NULL})

/* The members FlowMessage and EnrichedFlow share (the same names), b->labels/ttls filled. */
#define GEN_PBC_COMMON(b, m, f)                                                                              \
	do {                                                                                                 \
		(m)->type = GEN_PBC_B(f, TYPE, (f)->type);                                                   \
		(m)->time_received_ns = GEN_PBC_B(f, TIME_RECEIVED, (f)->time_received_ns);                  \
		(m)->sequence_num = GEN_PBC_B(f, SEQUENCE_NUM, (f)->sequence_num);                           \
		(m)->sampling_rate = GEN_PBC_B(f, SAMPLING_RATE, (f)->sampling_rate);                        \
		(m)->sampler_address = GEN_PBC_IP(f, SAMPLER_ADDRESS, &(f)->sampler_address, 0);             \
		(m)->time_flow_start_ns = GEN_PBC_B(f, TIME_FLOW_START, (f)->time_flow_start_ns);            \
		(m)->time_flow_end_ns = GEN_PBC_B(f, TIME_FLOW_END, (f)->time_flow_end_ns);                  \
		(m)->bytes = GEN_PBC_B(f, BYTES, (f)->bytes);                                                \
		(m)->packets = GEN_PBC_B(f, PACKETS, (f)->packets);                                          \
		(m)->src_addr = GEN_PBC_IP(f, SRC_ADDR, &(f)->src_addr, 0);                                  \
		(m)->dst_addr = GEN_PBC_IP(f, DST_ADDR, &(f)->dst_addr, 0);                                  \
		(m)->etype = GEN_PBC_B(f, ETYPE, (f)->etype);                                                \
		(m)->proto = GEN_PBC_B(f, PROTO, (f)->proto);                                                \
		(m)->src_port = GEN_PBC_B(f, SRC_PORT, (f)->src_port);                                       \
		(m)->dst_port = GEN_PBC_B(f, DST_PORT, (f)->dst_port);                                       \
		(m)->in_if = GEN_PBC_B(f, IN_IF, (f)->in_if);                                                \
		(m)->out_if = GEN_PBC_B(f, OUT_IF, (f)->out_if);                                             \
		(m)->src_mac = GEN_PBC_B(f, SRC_MAC, (f)->src_mac);                                          \
		(m)->dst_mac = GEN_PBC_B(f, DST_MAC, (f)->dst_mac);                                          \
		(m)->src_vlan = GEN_PBC_B(f, SRC_VLAN, (f)->src_vlan);                                       \
		(m)->dst_vlan = GEN_PBC_B(f, DST_VLAN, (f)->dst_vlan);                                       \
		(m)->vlan_id = GEN_PBC_B(f, VLAN_ID, (f)->vlan_id);                                          \
		(m)->ip_tos = GEN_PBC_B(f, IP_TOS, (f)->ip_tos);                                             \
		(m)->forwarding_status = GEN_PBC_B(f, FORWARDING_STATUS, (f)->forwarding_status);            \
		(m)->ip_ttl = GEN_PBC_B(f, IP_TTL, (f)->ip_ttl);                                             \
		(m)->ip_flags = GEN_PBC_B(f, IP_FLAGS, (f)->ip_flags);                                       \
		(m)->tcp_flags = GEN_PBC_B(f, TCP_FLAGS, (f)->tcp_flags);                                    \
		(m)->icmp_type = GEN_PBC_B(f, ICMP_TYPE, (f)->icmp_type);                                    \
		(m)->icmp_code = GEN_PBC_B(f, ICMP_CODE, (f)->icmp_code);                                    \
		(m)->ipv6_flow_label = GEN_PBC_B(f, IPV6_FLOW_LABEL, (f)->ipv6_flow_label);                  \
		(m)->fragment_id = GEN_PBC_B(f, FRAGMENT_ID, (f)->fragment_id);                              \
		(m)->fragment_offset = GEN_PBC_B(f, FRAGMENT_OFFSET, (f)->fragment_offset);                  \
		(m)->src_as = GEN_PBC_B(f, SRC_AS, (f)->src_as);                                             \
		(m)->dst_as = GEN_PBC_B(f, DST_AS, (f)->dst_as);                                             \
		(m)->next_hop = GEN_PBC_IP(f, NEXT_HOP, &(f)->next_hop, 0);                                  \
		(m)->next_hop_as = GEN_PBC_B(f, NEXT_HOP_AS, (f)->next_hop_as);                              \
		(m)->src_net = GEN_PBC_B(f, SRC_NET, (f)->src_net);                                          \
		(m)->dst_net = GEN_PBC_B(f, DST_NET, (f)->dst_net);                                          \
		(m)->bgp_next_hop = GEN_PBC_IP(f, BGP_NEXT_HOP, &(f)->bgp_next_hop, 0);                      \
		(m)->n_bgp_communities = GEN_PBC_E(f, BGP_COMMUNITIES, (f)->bgp_communities.n);              \
		(m)->bgp_communities = (uint32_t *)(f)->bgp_communities.v;                                   \
		(m)->n_as_path = GEN_PBC_E(f, AS_PATH, (f)->as_path_len);                                    \
		(m)->as_path = (uint32_t *)(f)->as_path;                                                     \
		unsigned n_ = ofd_flow_has(f, OFD_F_MPLS_STACK) ? (f)->mpls_stack.n : 0, ttl_ = 0;           \
		for (unsigned i_ = 0; i_ < n_; i_++) {                                                       \
			(b)->labels[i_] = OFD_MPLS_LSE_LABEL((f)->mpls_stack.lse[i_]);                       \
			(b)->ttls[i_] = OFD_MPLS_LSE_TTL((f)->mpls_stack.lse[i_]);                           \
			ttl_ |= (b)->ttls[i_];                                                               \
		}                                                                                            \
		if (!n_ && GEN_PBC_B(f, MPLS_LABEL, (f)->mpls_label))                                        \
			(b)->labels[0] = (f)->mpls_label, (m)->n_mpls_label = 1;                             \
		else                                                                                         \
			(m)->n_mpls_label = n_;                                                              \
		(m)->mpls_label = (b)->labels;                                                               \
		(m)->n_mpls_ttl = ttl_ ? n_ : 0;                                                             \
		(m)->mpls_ttl = (b)->ttls;                                                                   \
		(b)->mpls_ip = GEN_PBC_IP(f, MPLS_IP, &(f)->mpls_ip, 1);                                     \
		(m)->n_mpls_ip = (b)->mpls_ip.len ? 1 : 0;                                                   \
		(m)->mpls_ip = &(b)->mpls_ip;                                                                \
		(m)->observation_domain_id =                                                                 \
		    GEN_PBC_B(f, OBSERVATION_DOMAIN_ID, (f)->observation_domain_id);                         \
		(m)->observation_point_id = GEN_PBC_B(f, OBSERVATION_POINT_ID, (f)->observation_point_id);   \
	} while (0)

/* A country code as a string ("" when it is not two letters or absent). */
static inline char *gen_pbc_cc(char *buf, const struct ofd_flow *f, unsigned id, const char *cc)
{
	buf[0] = buf[2] = 0;
	if (ofd_flow_has(f, id) && cc[0] && cc[1])
		buf[0] = cc[0], buf[1] = cc[1];
	else
		buf[1] = 0;
	return buf;
}

/* flowpipeline's EnrichedFlow of a record, in b->m. */
static inline void gen_pbc_enriched(struct gen_pbc *b, const struct ofd_flow *f)
{
	Flowpb__EnrichedFlow *m = &b->m;
	flowpb__enriched_flow__init(m);
	GEN_PBC_COMMON(b, m, f);
	m->flow_direction = GEN_PBC_E(f, FLOW_DIRECTION, f->flow_direction);
	m->ingress_vrf_id = GEN_PBC_E(f, SRC_VRF, f->src_vrf);
	m->egress_vrf_id = GEN_PBC_E(f, DST_VRF, f->dst_vrf);
	m->bi_flow_direction = GEN_PBC_E(f, BI_FLOW_DIRECTION, f->bi_flow_direction);
	m->src_country = gen_pbc_cc(b->cc[0], f, OFD_F_SRC_COUNTRY, f->src_country);
	m->dst_country = gen_pbc_cc(b->cc[1], f, OFD_F_DST_COUNTRY, f->dst_country);
	m->remotecountry = gen_pbc_cc(b->cc[2], f, OFD_F_REMOTE_COUNTRY, f->remote_country);
	m->cid = GEN_PBC_E(f, CID, f->cid);
	m->cidstring = GEN_PBC_S(f, CID_STRING, f->cid_string);
	m->srccid = GEN_PBC_E(f, SRC_CID, f->src_cid);
	m->dstcid = GEN_PBC_E(f, DST_CID, f->dst_cid);
	m->netid = GEN_PBC_E(f, NET_ID, f->net_id);
	m->netidstring = GEN_PBC_S(f, NET_ID_STRING, f->net_id_string);
	m->srcid = GEN_PBC_E(f, SRC_ID, f->src_id);
	m->srcidstring = GEN_PBC_S(f, SRC_ID_STRING, f->src_id_string);
	m->dstid = GEN_PBC_E(f, DST_ID, f->dst_id);
	m->dstidstring = GEN_PBC_S(f, DST_ID_STRING, f->dst_id_string);
	m->srcaddranon = GEN_PBC_E(f, SRC_ADDR_ANON, f->src_addr_anon);
	m->dstaddranon = GEN_PBC_E(f, DST_ADDR_ANON, f->dst_addr_anon);
	m->srcaddrpreservedlen = GEN_PBC_E(f, SRC_ADDR_PRESERVED_LEN, f->src_addr_preserved_len);
	m->dstaddrpreservedlen = GEN_PBC_E(f, DST_ADDR_PRESERVED_LEN, f->dst_addr_preserved_len);
	m->sampleraddranon = GEN_PBC_E(f, SAMPLER_ADDR_ANON, f->sampler_addr_anon);
	m->sampleraddrpreservedprefixlen =
	    GEN_PBC_E(f, SAMPLER_ADDR_PRESERVED_LEN, f->sampler_addr_preserved_len);
	m->nexthopanon = GEN_PBC_E(f, NEXT_HOP_ANON, f->next_hop_anon);
	m->nexthopanonpreservedprefixlen = GEN_PBC_E(f, NEXT_HOP_PRESERVED_LEN, f->next_hop_preserved_len);
	m->med = GEN_PBC_E(f, MED, f->med);
	m->localpref = GEN_PBC_E(f, LOCAL_PREF, f->local_pref);
	/* ValidationStatusType numbers NotFound 2, Invalid 3: ours the other way round */
	unsigned rpki = GEN_PBC_E(f, RPKI, f->rpki);
	m->validationstatus =
	    rpki == OFD_RPKI_NOTFOUND  ? FLOWPB__ENRICHED_FLOW__VALIDATION_STATUS_TYPE__NotFound
	    : rpki == OFD_RPKI_INVALID ? FLOWPB__ENRICHED_FLOW__VALIDATION_STATUS_TYPE__Invalid
				       : (Flowpb__EnrichedFlow__ValidationStatusType)rpki;
	m->normalized = GEN_PBC_E(f, NORMALIZED, f->normalized);
	m->protoname = GEN_PBC_S(f, PROTO_NAME, f->proto_name);
	m->remoteaddr = GEN_PBC_E(f, REMOTE_ADDR, f->remote_addr);
	m->srchostname = GEN_PBC_S(f, SRC_HOST_NAME, f->src_host_name);
	m->dsthostname = GEN_PBC_S(f, DST_HOST_NAME, f->dst_host_name);
	m->nexthophostname = GEN_PBC_S(f, NEXT_HOP_HOST_NAME, f->next_hop_host_name);
	m->srcasname = GEN_PBC_S(f, SRC_AS_NAME, f->src_as_name);
	m->dstasname = GEN_PBC_S(f, DST_AS_NAME, f->dst_as_name);
	m->nexthopasname = GEN_PBC_S(f, NEXT_HOP_AS_NAME, f->next_hop_as_name);
	m->samplerhostname = GEN_PBC_S(f, SAMPLER_HOST_NAME, f->sampler_host_name);
	m->srcifname = GEN_PBC_S(f, IN_IF_NAME, f->in_if_name);
	m->srcifdesc = GEN_PBC_S(f, IN_IF_DESC, f->in_if_desc);
	uint64_t mbps = GEN_PBC_E(f, IN_IF_SPEED, f->in_if_speed) / 1000000;
	m->srcifspeed = mbps > UINT32_MAX ? UINT32_MAX : (uint32_t)mbps;
	m->dstifname = GEN_PBC_S(f, OUT_IF_NAME, f->out_if_name);
	m->dstifdesc = GEN_PBC_S(f, OUT_IF_DESC, f->out_if_desc);
	mbps = GEN_PBC_E(f, OUT_IF_SPEED, f->out_if_speed) / 1000000;
	m->dstifspeed = mbps > UINT32_MAX ? UINT32_MAX : (uint32_t)mbps;
	m->note = GEN_PBC_S(f, NOTE, f->note);
}

/* goflow2's FlowMessage of a record, in b->l. */
static inline void gen_pbc_legacy(struct gen_pbc *b, const struct ofd_flow *f)
{
	Flowpb__FlowMessage *m = &b->l;
	flowpb__flow_message__init(m);
	GEN_PBC_COMMON(b, m, f);
}

#endif
