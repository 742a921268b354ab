/*
 * ofd_ie_specialise() (see ie.h): a fixed plan's steps rewritten into kinds that know their
 * field's length and their member's place, so that applying them is one load and one store.
 */
#include <stddef.h>

#include "ie.h"

#define MEMBER(m) (*dst = (uint16_t)offsetof(struct ofd_flow, m), sizeof(((struct ofd_flow *)0)->m))

/* The flow member a plain integer kind stores into (its offset in *dst), as its width; 0: none
   (the kind converts, masks or checks its value). */
static size_t int_member(unsigned kind, uint16_t *dst)
{
	switch (kind) {
	case OFD_IE_BYTES: return MEMBER(bytes);
	case OFD_IE_PACKETS: return MEMBER(packets);
	case OFD_IE_PROTO: return MEMBER(proto);
	case OFD_IE_TOS: return MEMBER(ip_tos);
	case OFD_IE_SRC_PORT: return MEMBER(src_port);
	case OFD_IE_DST_PORT: return MEMBER(dst_port);
	case OFD_IE_SRC_NET: return MEMBER(src_net);
	case OFD_IE_DST_NET: return MEMBER(dst_net);
	case OFD_IE_IN_IF: return MEMBER(in_if);
	case OFD_IE_OUT_IF: return MEMBER(out_if);
	case OFD_IE_SRC_AS: return MEMBER(src_as);
	case OFD_IE_DST_AS: return MEMBER(dst_as);
	case OFD_IE_NEXT_HOP_AS: return MEMBER(next_hop_as);
	case OFD_IE_TTL: return MEMBER(ip_ttl);
	case OFD_IE_FRAG_ID: return MEMBER(fragment_id);
	case OFD_IE_FRAG_OFF: return MEMBER(fragment_offset);
	case OFD_IE_FWD_STATUS: return MEMBER(forwarding_status);
	case OFD_IE_OBS_POINT: return MEMBER(observation_point_id);
	case OFD_IE_SRC_VRF: return MEMBER(src_vrf);
	case OFD_IE_DST_VRF: return MEMBER(dst_vrf);
	case OFD_IE_ENGINE_TYPE: return MEMBER(engine_type);
	case OFD_IE_ENGINE_ID: return MEMBER(engine_id);
	case OFD_IE_END_REASON: return MEMBER(flow_end_reason);
	case OFD_IE_NAT_SRC_PORT: return MEMBER(post_nat_src_port);
	case OFD_IE_NAT_DST_PORT: return MEMBER(post_nat_dst_port);
	case OFD_IE_IN_IF_PHYS: return MEMBER(in_if_phys);
	case OFD_IE_OUT_IF_PHYS: return MEMBER(out_if_phys);
	default: return 0;
	}
}

/*
 * The OFD_IE_ST_* kind for an integer of len bytes stored into a member of `width` bytes, or
 * OFD_IE_SKIP if none. A member narrower than the field takes the value's low bytes, the last
 * ones of the field: *off moves to them.
 */
static unsigned int_kind(size_t width, uint32_t len, uint16_t *off)
{
	if (len > width && width != 8) { /* (uintW_t)be_uint(p, len): the last `width` bytes */
		*off = (uint16_t)(*off + len - width);
		len = (uint32_t)width;
	}
	switch (width * 16 + len) {
	case 1 * 16 + 1: return OFD_IE_ST_U8;
	case 2 * 16 + 2: return OFD_IE_ST_U16;
	case 2 * 16 + 1: return OFD_IE_ST_U16_1;
	case 4 * 16 + 4: return OFD_IE_ST_U32;
	case 4 * 16 + 2: return OFD_IE_ST_U32_2;
	case 8 * 16 + 8: return OFD_IE_ST_U64;
	case 8 * 16 + 4: return OFD_IE_ST_U64_4;
	default: return OFD_IE_SKIP;
	}
}

/* The address member of an address kind (its offset in *dst): 1, or 0 if not one. */
static int addr_member(unsigned kind, uint16_t *dst)
{
	switch (kind) {
	case OFD_IE_SRC_ADDR4:
	case OFD_IE_SRC_ADDR6: return MEMBER(src_addr) != 0;
	case OFD_IE_DST_ADDR4:
	case OFD_IE_DST_ADDR6: return MEMBER(dst_addr) != 0;
	case OFD_IE_NEXT_HOP4:
	case OFD_IE_NEXT_HOP6: return MEMBER(next_hop) != 0;
	case OFD_IE_BGP_NEXT_HOP4:
	case OFD_IE_BGP_NEXT_HOP6: return MEMBER(bgp_next_hop) != 0;
	default: return 0;
	}
}

/* 1 when step i is the plan's only step for its address member. */
static int addr_alone(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, uint32_t i)
{
	uint16_t m, o;
	if (!addr_member(steps[i].kind, &m))
		return 0;
	for (uint32_t j = 0; j < plan->nsteps; j++)
		if (j != i && addr_member(steps[j].kind, &o) && o == m)
			return 0;
	return 1;
}

void ofd_ie_specialise(struct ofd_ie_plan *plan, struct ofd_ie_step *steps)
{
	if (plan->varlen)
		return;
	for (uint32_t i = 0; i < plan->nsteps; i++) {
		struct ofd_ie_step *s = &steps[i];
		uint16_t dst = 0, off = s->off;
		unsigned k = OFD_IE_SKIP;
		size_t width = int_member(s->kind, &dst);
		if (width)
			k = int_kind(width, s->len, &off);
		else if (s->kind == OFD_IE_TCP_FLAGS && s->len == 1) /* the 0x0fff mask keeps it all */
			k = OFD_IE_ST_U16_1, dst = (uint16_t)offsetof(struct ofd_flow, tcp_flags);
		else if ((s->kind == OFD_IE_START_UPTIME || s->kind == OFD_IE_END_UPTIME) && s->len == 4)
			k = s->kind == OFD_IE_START_UPTIME ? OFD_IE_ST_UP_START : OFD_IE_ST_UP_END;
		else if (addr_alone(plan, steps, i) && addr_member(s->kind, &dst))
			k = s->len == 4 ? OFD_IE_ST_ADDR4 : OFD_IE_ST_ADDR6;
		if (k == OFD_IE_SKIP)
			continue;
		s->kind = (uint8_t)k;
		s->off = off;
		s->dst = dst;
	}
}
