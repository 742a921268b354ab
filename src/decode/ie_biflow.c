/*
 * RFC 5103 biflows: the reverse side of a template (see ie.h, struct ofd_ie_biflow) and the
 * reverse record's start from its forward record.
 *
 * A biflow record carries the forward direction's elements (IANA) and the reverse direction's
 * (enterprise 29305, the same element ids); the key (addresses, ports, protocol, interfaces) is
 * stated once, in the forward sense. The reverse record is the forward key swapped, with the
 * reverse elements' values: its plan is compiled by ofd_ie_compile() itself, over the template's
 * fields with the reverse elements made IANA ones and every other field made a skip, so it has
 * the same offsets, the same bounds and the same primary/fallback resolution as the forward one.
 */
#include "ie.h"

#include "ofd/err.h"
#include "ofd/rd.h"

#define BIFLOW_DIRECTION 239 /* biflowDirection */

/* Whether a reverse element of this kind states something of the reverse direction's own. */
static int reverse_kind(enum ofd_ie_kind k)
{
	switch (k) {
	case OFD_IE_BYTES:
	case OFD_IE_PACKETS:
	case OFD_IE_PROTO:
	case OFD_IE_TOS:
	case OFD_IE_TCP_FLAGS:
	case OFD_IE_NEXT_HOP4:
	case OFD_IE_NEXT_HOP6:
	case OFD_IE_BGP_NEXT_HOP4:
	case OFD_IE_BGP_NEXT_HOP6:
	case OFD_IE_NEXT_HOP_AS:
	case OFD_IE_FLOW_LABEL:
	case OFD_IE_ICMP:
	case OFD_IE_ICMP_TYPE:
	case OFD_IE_ICMP_CODE:
	case OFD_IE_SRC_MAC:
	case OFD_IE_DST_MAC:
	case OFD_IE_VLAN:
	case OFD_IE_POST_VLAN:
	case OFD_IE_MPLS:
	case OFD_IE_TTL:
	case OFD_IE_FRAG_ID:
	case OFD_IE_FRAG_OFF:
	case OFD_IE_IP_FLAGS:
	case OFD_IE_FWD_STATUS:
	case OFD_IE_START_S:
	case OFD_IE_END_S:
	case OFD_IE_START_MS:
	case OFD_IE_END_MS:
	case OFD_IE_START_NTP:
	case OFD_IE_END_NTP:
	case OFD_IE_START_DELTA_US:
	case OFD_IE_END_DELTA_US:
	case OFD_IE_START_UPTIME:
	case OFD_IE_END_UPTIME: return 1;
	default: return 0; /* the key (swapped from the forward one), sampling, exporter values */
	}
}

/* Where biflowDirection is: 1 and bi->dir_at / dir_len set if the template has it. */
static int find_dir(const struct ofd_tmpl_field *f, uint32_t n, struct ofd_ie_biflow *bi)
{
	uint32_t off = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (f[i].pen == 0 && f[i].id == BIFLOW_DIRECTION && f[i].len >= 1 && f[i].len <= 8) {
			bi->dir_at = bi->plan.varlen ? i : off;
			bi->dir_len = f[i].len;
			return 1;
		}
		off += f[i].len == OFD_IE_VARLEN ? 0 : f[i].len; /* only read for fixed plans */
	}
	return 0;
}

int ofd_ie_biflow_compile(const struct ofd_tmpl_field *f, uint32_t n, struct ofd_ie_biflow *bi,
			  struct ofd_ie_step *steps, struct ofd_tmpl_field *scratch)
{
	uint32_t i = 0;
	while (i < n && f[i].pen != OFD_IE_PEN_REVERSE) /* most templates: this loop only */
		i++;
	if (i == n)
		return 0;
	int any = 0;
	for (i = 0; i < n; i++) {
		scratch[i] = f[i];
		scratch[i].pen = 1; /* a skip */
		if (f[i].pen == OFD_IE_PEN_REVERSE && reverse_kind(ofd_ie_kind_of(0, f[i].id))) {
			scratch[i].pen = 0;
			any = 1;
		}
	}
	memset(bi, 0, sizeof(*bi));
	if (!any)
		return 0;
	int err = ofd_ie_compile(scratch, n, 0, 0, &bi->plan, steps);
	if (err)
		return err;
	int counts = 0;
	for (i = 0; i < bi->plan.nsteps; i++)
		counts |= steps[i].kind == OFD_IE_BYTES || steps[i].kind == OFD_IE_PACKETS;
	if (!counts)
		return 0;
	find_dir(f, n, bi);
	return 1;
}

int ofd_ie_biflow_dir(const struct ofd_ie_biflow *bi, const struct ofd_ie_step *steps, const uint8_t *p)
{
	if (!bi->dir_len)
		return -1;
	if (!bi->plan.varlen)
		return (int)(ofd_be_uint(p + bi->dir_at, bi->dir_len) & 0xff);
	for (uint32_t i = 0; i < bi->dir_at && i < bi->plan.nsteps; i++) { /* as measured: it fits */
		size_t len = steps[i].len;
		if (len == OFD_IE_VARLEN) {
			len = *p++;
			if (len == 255) {
				len = ofd_be16(p);
				p += 2;
			}
		}
		p += len;
	}
	return (int)(ofd_be_uint(p, bi->dir_len) & 0xff);
}

int ofd_ie_biflow_dir_reverse(int dir)
{
	switch (dir) {
	case 0: return 0;
	case 1: return 2;
	case 2: return 1;
	default: return -1;
	}
}

/* Word-0 present bits of the forward record that the reverse one keeps as they are. */
#define SAME_W0                                                                                              \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLING_RATE) | OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID) | \
	 OFD_W0(OFD_F_OBSERVATION_POINT_ID) | OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END) |  \
	 OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_IP_TOS) | OFD_W0(OFD_F_ETYPE) | OFD_W0(OFD_F_NEXT_HOP) |         \
	 OFD_W0(OFD_F_BGP_NEXT_HOP) | OFD_W0(OFD_F_NEXT_HOP_AS) | OFD_W0(OFD_F_FORWARDING_STATUS) |          \
	 OFD_W0(OFD_F_FLOW_DIRECTION) | OFD_W0(OFD_F_ENGINE_TYPE) | OFD_W0(OFD_F_ENGINE_ID) |                \
	 OFD_W0(OFD_F_VLAN_ID))

/* Word-0 present bits a and b of w, exchanged. */
#define SWAP_W0(w, a, b) (((w)&OFD_W0(a) ? OFD_W0(b) : 0) | ((w)&OFD_W0(b) ? OFD_W0(a) : 0))

/* tail field `to` of r takes f's field `from` (value and present bit) */
#define TAIL_TAKE(to, from, mto, mfrom)                                                                      \
	do {                                                                                                 \
		if (ofd_flow_has(f, from)) {                                                                 \
			ofd_flow_set(r, to);                                                                 \
			r->mto = f->mfrom;                                                                   \
		}                                                                                            \
	} while (0)

/*
 * The tail fields of the key (physical interfaces, customer VLANs) swapped, the flow's end reason
 * kept; NAT addresses and the MPLS stack describe one direction and stay unset.
 */
static void biflow_tail(struct ofd_flow *r, const struct ofd_flow *f)
{
	TAIL_TAKE(OFD_F_FLOW_END_REASON, OFD_F_FLOW_END_REASON, flow_end_reason, flow_end_reason);
	TAIL_TAKE(OFD_F_IN_IF_PHYS, OFD_F_OUT_IF_PHYS, in_if_phys, out_if_phys);
	TAIL_TAKE(OFD_F_OUT_IF_PHYS, OFD_F_IN_IF_PHYS, out_if_phys, in_if_phys);
	TAIL_TAKE(OFD_F_SRC_CVLAN, OFD_F_DST_CVLAN, src_cvlan, dst_cvlan);
	TAIL_TAKE(OFD_F_DST_CVLAN, OFD_F_SRC_CVLAN, dst_cvlan, src_cvlan);
}

void ofd_ie_biflow_start(struct ofd_flow *r, const struct ofd_flow *f)
{
	uint64_t w = f->present.w[0];
	r->present.w[0] = (w & SAME_W0) | SWAP_W0(w, OFD_F_SRC_ADDR, OFD_F_DST_ADDR) |
			  SWAP_W0(w, OFD_F_SRC_PORT, OFD_F_DST_PORT) |
			  SWAP_W0(w, OFD_F_SRC_MAC, OFD_F_DST_MAC) | SWAP_W0(w, OFD_F_SRC_AS, OFD_F_DST_AS) |
			  SWAP_W0(w, OFD_F_SRC_NET, OFD_F_DST_NET) |
			  SWAP_W0(w, OFD_F_SRC_VLAN, OFD_F_DST_VLAN) | SWAP_W0(w, OFD_F_IN_IF, OFD_F_OUT_IF) |
			  SWAP_W0(w, OFD_F_SRC_VRF, OFD_F_DST_VRF);
	if (ofd_flow_has(f, OFD_F_NOTE))
		ofd_flow_set(r, OFD_F_NOTE);
	r->type = f->type;
	r->time_received_ns = f->time_received_ns;
	r->sequence_num = f->sequence_num;
	r->sampling_rate = f->sampling_rate;
	r->sampler_address = f->sampler_address;
	r->observation_domain_id = f->observation_domain_id;
	r->observation_point_id = f->observation_point_id;
	r->time_flow_start_ns = f->time_flow_start_ns;
	r->time_flow_end_ns = f->time_flow_end_ns;
	r->proto = f->proto;
	r->ip_tos = f->ip_tos;
	r->etype = f->etype;
	r->next_hop = f->next_hop;
	r->bgp_next_hop = f->bgp_next_hop;
	r->next_hop_as = f->next_hop_as;
	r->forwarding_status = f->forwarding_status;
	r->flow_direction = f->flow_direction;
	r->engine_type = f->engine_type;
	r->engine_id = f->engine_id;
	r->vlan_id = f->vlan_id;
	r->note = f->note;
	r->origin = f->origin;
	/* the key swapped: source and destination, in and out */
	r->src_addr = f->dst_addr;
	r->dst_addr = f->src_addr;
	r->src_port = f->dst_port;
	r->dst_port = f->src_port;
	r->src_mac = f->dst_mac;
	r->dst_mac = f->src_mac;
	r->src_as = f->dst_as;
	r->dst_as = f->src_as;
	r->src_net = f->dst_net;
	r->dst_net = f->src_net;
	r->src_vlan = f->dst_vlan;
	r->dst_vlan = f->src_vlan;
	r->in_if = f->out_if;
	r->out_if = f->in_if;
	r->src_vrf = f->dst_vrf;
	r->dst_vrf = f->src_vrf;
	biflow_tail(r, f);
}
