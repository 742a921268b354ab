/*
 * dropfields: clears fields of every flow: with `policy: drop` the named ones, with
 * `policy: keep` all but the named ones. A cleared field is zeroed (strings become unset) and
 * loses its present bit, so the JSON output leaves out the enriched ones and writes the others
 * as zero / empty. Names are those of the JSON output (flowpipeline's CamelCase names work
 * too); an unknown name is refused at start.
 */
#include <stddef.h>
#include <string.h>

#include "segments/common/fieldlist.h"
#include "ofd/segment.h"

enum { POLICY_KEEP, POLICY_DROP };

/* Where each field lives in struct ofd_flow. */
#define FLD(id, field) [id] = {offsetof(struct ofd_flow, field), sizeof(((struct ofd_flow *)0)->field)}
static const struct {
	unsigned short off, size;
} fields[OFD_F__COUNT] = {
    FLD(OFD_F_TYPE, type),
    FLD(OFD_F_TIME_RECEIVED, time_received_ns),
    FLD(OFD_F_SEQUENCE_NUM, sequence_num),
    FLD(OFD_F_SAMPLING_RATE, sampling_rate),
    FLD(OFD_F_SAMPLER_ADDRESS, sampler_address),
    FLD(OFD_F_TIME_FLOW_START, time_flow_start_ns),
    FLD(OFD_F_TIME_FLOW_END, time_flow_end_ns),
    FLD(OFD_F_BYTES, bytes),
    FLD(OFD_F_PACKETS, packets),
    FLD(OFD_F_SRC_ADDR, src_addr),
    FLD(OFD_F_DST_ADDR, dst_addr),
    FLD(OFD_F_ETYPE, etype),
    FLD(OFD_F_PROTO, proto),
    FLD(OFD_F_SRC_PORT, src_port),
    FLD(OFD_F_DST_PORT, dst_port),
    FLD(OFD_F_IN_IF, in_if),
    FLD(OFD_F_OUT_IF, out_if),
    FLD(OFD_F_SRC_MAC, src_mac),
    FLD(OFD_F_DST_MAC, dst_mac),
    FLD(OFD_F_SRC_VLAN, src_vlan),
    FLD(OFD_F_DST_VLAN, dst_vlan),
    FLD(OFD_F_VLAN_ID, vlan_id),
    FLD(OFD_F_IP_TOS, ip_tos),
    FLD(OFD_F_FORWARDING_STATUS, forwarding_status),
    FLD(OFD_F_IP_TTL, ip_ttl),
    FLD(OFD_F_IP_FLAGS, ip_flags),
    FLD(OFD_F_TCP_FLAGS, tcp_flags),
    FLD(OFD_F_ICMP_TYPE, icmp_type),
    FLD(OFD_F_ICMP_CODE, icmp_code),
    FLD(OFD_F_IPV6_FLOW_LABEL, ipv6_flow_label),
    FLD(OFD_F_FRAGMENT_ID, fragment_id),
    FLD(OFD_F_FRAGMENT_OFFSET, fragment_offset),
    FLD(OFD_F_SRC_AS, src_as),
    FLD(OFD_F_DST_AS, dst_as),
    FLD(OFD_F_NEXT_HOP, next_hop),
    FLD(OFD_F_NEXT_HOP_AS, next_hop_as),
    FLD(OFD_F_SRC_NET, src_net),
    FLD(OFD_F_DST_NET, dst_net),
    FLD(OFD_F_BGP_NEXT_HOP, bgp_next_hop),
    FLD(OFD_F_MPLS_LABEL, mpls_label),
    FLD(OFD_F_OBSERVATION_DOMAIN_ID, observation_domain_id),
    FLD(OFD_F_OBSERVATION_POINT_ID, observation_point_id),
    FLD(OFD_F_ENGINE_TYPE, engine_type),
    FLD(OFD_F_ENGINE_ID, engine_id),
    FLD(OFD_F_IN_IF_NAME, in_if_name),
    FLD(OFD_F_IN_IF_DESC, in_if_desc),
    FLD(OFD_F_IN_IF_SPEED, in_if_speed),
    FLD(OFD_F_OUT_IF_NAME, out_if_name),
    FLD(OFD_F_OUT_IF_DESC, out_if_desc),
    FLD(OFD_F_OUT_IF_SPEED, out_if_speed),
    FLD(OFD_F_SRC_CID, src_cid),
    FLD(OFD_F_DST_CID, dst_cid),
    FLD(OFD_F_SRC_VRF, src_vrf),
    FLD(OFD_F_DST_VRF, dst_vrf),
    FLD(OFD_F_MED, med),
    FLD(OFD_F_LOCAL_PREF, local_pref),
    FLD(OFD_F_AS_PATH, as_path), /* and as_path_len, below */
    FLD(OFD_F_SRC_COUNTRY, src_country),
    FLD(OFD_F_DST_COUNTRY, dst_country),
    FLD(OFD_F_FLOW_DIRECTION, flow_direction),
    FLD(OFD_F_NORMALIZED, normalized),
    FLD(OFD_F_RPKI, rpki),
};
#undef FLD

struct dropfields_state {
	int policy;
	struct ofd_strlist names;
	uint64_t clear; /* fields to clear */
	unsigned nops;
	struct {
		unsigned short off, size;
	} ops[OFD_F__COUNT + 1];
};

static const char *const policies[] = {"keep", "drop", NULL};

static int dropfields_init(struct ofd_segment *seg, void *state)
{
	struct dropfields_state *s = state;
	uint8_t ids[OFD_FIELDLIST_MAX];
	unsigned n;
	int err = ofd_fieldlist_parse(seg, "fields", &s->names, ids, &n);
	if (err)
		return err;
	uint64_t named = 0;
	for (unsigned i = 0; i < n; i++)
		named |= OFD_BIT(ids[i]);
	uint64_t all = OFD_BIT(OFD_F__COUNT) - 1;
	s->clear = s->policy == POLICY_DROP ? named : all & ~named;
	s->nops = 0;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		if (!(s->clear & OFD_BIT(id)))
			continue;
		s->ops[s->nops].off = fields[id].off;
		s->ops[s->nops].size = fields[id].size;
		s->nops++;
		if (id == OFD_F_AS_PATH) {
			s->ops[s->nops].off = offsetof(struct ofd_flow, as_path_len);
			s->ops[s->nops].size = sizeof(((struct ofd_flow *)0)->as_path_len);
			s->nops++;
		}
	}
	return 0;
}

static void dropfields_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct dropfields_state *s = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		unsigned char *f = (unsigned char *)&b->flows[i];
		for (unsigned k = 0; k < s->nops; k++)
			memset(f + s->ops[k].off, 0, s->ops[k].size);
		b->flows[i].present &= ~s->clear;
	}
}

static const struct ofd_cfg_key dropfields_keys[] = {
    {.key = "policy",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct dropfields_state, policy),
     .required = 1,
     .choices = policies,
     .help = "drop: clear the fields named in `fields`; keep: clear all the others"},
    {.key = "fields",
     .type = OFD_CFG_STRLIST,
     .offset = offsetof(struct dropfields_state, names),
     .required = 1,
     .help =
	 "field names, a list or a comma-separated string (JSON output names, or flowpipeline's CamelCase "
	 "ones); unknown names are refused"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_dropfields = {
    OFD_SEGMENT_VERSION,
    .name = "dropfields",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "clear named fields of every flow (policy drop), or all others (policy keep)",
    .state_size = sizeof(struct dropfields_state),
    .config = dropfields_keys,
    .init = dropfields_init,
    .process = dropfields_process,
};
