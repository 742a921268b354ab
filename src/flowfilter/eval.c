/*
 * flowfilter evaluation (see eval.h): a loop over the compiled tests. Nothing here allocates.
 */
#include "flowfilter/eval.h"

#include <stdlib.h>
#include <string.h>

static inline int in_range(uint64_t v, const struct ofd_ff_insn *in)
{
	return v >= in->lo && v <= in->hi;
}

static inline int has(const struct ofd_flow *f, enum ofd_field fld)
{
	return ofd_flow_has(f, fld);
}

/* The member's value, or zero when the record does not have the field (flowpipeline reads an
 * unset protobuf field as zero). */
#define VAL(f, fld, m) (has((f), (fld)) ? (uint64_t)(f)->m : 0)

static int match_prefix(const struct ofd_ff_prefix *p, const struct ofd_ip *ip)
{
	uint64_t a[2];
	memcpy(a, ip->b, sizeof(a));
	return ip->family == p->family && (a[0] & p->mask[0]) == p->net[0] &&
	       (a[1] & p->mask[1]) == p->net[1];
}

/* Whole seconds between start and end, each rounded down to the second as flowpipeline's
 * TimeFlowStart / TimeFlowEnd are; unsigned, so an end before the start wraps as it does there. */
static uint64_t duration_s(const struct ofd_flow *f)
{
	return f->time_flow_end_ns / 1000000000u - f->time_flow_start_ns / 1000000000u;
}

/* count per second as flowpipeline computes it: integer division, a duration of 0 counting as 1 */
static uint64_t per_second(uint64_t count, const struct ofd_flow *f)
{
	uint64_t d = duration_s(f);
	return count / (d ? d : 1);
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ASCII case-insensitive substring search; pat is lowercase already. */
static int contains(const char *s, const char *pat)
{
	if (!s)
		return 0;
	if (!*pat)
		return 1;
	for (; *s; s++) {
		size_t i = 0;
		while (pat[i] && lower((unsigned char)s[i]) == (unsigned char)pat[i])
			i++;
		if (!pat[i])
			return 1;
	}
	return 0;
}

static int match_string(const struct ofd_filter *flt, const struct ofd_ff_insn *in, const struct ofd_flow *f,
			enum ofd_field fld, const char *s)
{
	return contains(has(f, fld) && s ? s : "", flt->strings + in->aux);
}

/* A country field equals the two letters of the filter (flowpipeline: the field contains them). */
static int country_is(const struct ofd_flow *f, enum ofd_field fld, const char cc[2], uint64_t want)
{
	return has(f, fld) && ((uint64_t)(unsigned char)cc[0] << 8 | (unsigned char)cc[1]) == want;
}

static int match_passes(const struct ofd_filter *flt, const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	const uint32_t *want = flt->asns + in->aux;
	uint32_t n = (uint32_t)in->lo;
	uint32_t len = !has(f, OFD_F_AS_PATH)		  ? 0
		       : f->as_path_len < OFD_AS_PATH_MAX ? f->as_path_len
							  : OFD_AS_PATH_MAX;
	for (uint32_t i = 0; i + n <= len; i++) {
		uint32_t k = 0;
		while (k < n && f->as_path[i + k] == want[k])
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

/* Entries of the record's community lists; an absent list is empty, a count past the array is
 * cut at its size. */
static inline uint32_t comms_n(const struct ofd_flow *f)
{
	uint32_t n = f->bgp_communities.n;
	return !has(f, OFD_F_BGP_COMMUNITIES) ? 0 : n < OFD_COMMUNITIES_MAX ? n : OFD_COMMUNITIES_MAX;
}

static inline uint32_t lcomms_n(const struct ofd_flow *f)
{
	uint32_t n = f->bgp_large_communities.n;
	return !has(f, OFD_F_BGP_LARGE_COMMUNITIES) ? 0
	       : n < OFD_LARGE_COMMUNITIES_MAX	    ? n
						    : OFD_LARGE_COMMUNITIES_MAX;
}

static int match_comm(const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	uint32_t n = comms_n(f), want = (uint32_t)in->lo;
	for (uint32_t i = 0; i < n; i++)
		if (f->bgp_communities.v[i] == want)
			return 1;
	return 0;
}

static int match_comm_range(const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	uint32_t n = comms_n(f);
	uint32_t alo = (uint32_t)in->lo >> 16, ahi = (uint32_t)in->hi >> 16;
	uint32_t vlo = (uint32_t)in->lo & 0xffff, vhi = (uint32_t)in->hi & 0xffff;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = f->bgp_communities.v[i], a = c >> 16, v = c & 0xffff;
		if (a >= alo && a <= ahi && v >= vlo && v <= vhi)
			return 1;
	}
	return 0;
}

static int match_lcomm(const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	uint32_t n = lcomms_n(f);
	uint32_t g = (uint32_t)(in->lo >> 32), l1 = (uint32_t)in->lo, l2 = (uint32_t)in->hi;
	for (uint32_t i = 0; i < n; i++) {
		const struct ofd_large_community *c = &f->bgp_large_communities.v[i];
		if (c->global == g && c->local1 == l1 && c->local2 == l2)
			return 1;
	}
	return 0;
}

static int match_lcomm_range(const struct ofd_filter *flt, const struct ofd_ff_insn *in,
			     const struct ofd_flow *f)
{
	const uint32_t *b = flt->asns + in->aux; /* lo, hi of global, local1, local2 */
	uint32_t n = lcomms_n(f);
	for (uint32_t i = 0; i < n; i++) {
		const struct ofd_large_community *c = &f->bgp_large_communities.v[i];
		if (c->global >= b[0] && c->global <= b[1] && c->local1 >= b[2] && c->local1 <= b[3] &&
		    c->local2 >= b[4] && c->local2 <= b[5])
			return 1;
	}
	return 0;
}

/* flowpipeline: ICMP (protocol 1 only) with type and code from the destination port. */
static int match_icmp(const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	if (f->proto != 1)
		return 0;
	uint64_t v =
	    in->op == OFD_FF_OP_ICMP_TYPE ? (uint64_t)(f->dst_port >> 8) : (uint64_t)(f->dst_port & 0xff);
	return in_range(v, in);
}

/* Tests that read only plain fields of the record. */
static inline int test_plain(const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	switch (in->op) {
	case OFD_FF_OP_SRC_PORT: return in_range(f->src_port, in);
	case OFD_FF_OP_DST_PORT: return in_range(f->dst_port, in);
	case OFD_FF_OP_SRC_AS: return in_range(f->src_as, in);
	case OFD_FF_OP_DST_AS: return in_range(f->dst_as, in);
	case OFD_FF_OP_SRC_NET: return in_range(f->src_net, in);
	case OFD_FF_OP_DST_NET: return in_range(f->dst_net, in);
	case OFD_FF_OP_IN_IF: return in_range(f->in_if, in);
	case OFD_FF_OP_OUT_IF: return in_range(f->out_if, in);
	case OFD_FF_OP_IN_SPEED: return in_range(VAL(f, OFD_F_IN_IF_SPEED, in_if_speed), in);
	case OFD_FF_OP_OUT_SPEED: return in_range(VAL(f, OFD_F_OUT_IF_SPEED, out_if_speed), in);
	case OFD_FF_OP_IN_SPEED_G: return in_range(VAL(f, OFD_F_IN_IF_SPEED, in_if_speed) / 1000000000u, in);
	case OFD_FF_OP_OUT_SPEED_G:
		return in_range(VAL(f, OFD_F_OUT_IF_SPEED, out_if_speed) / 1000000000u, in);
	case OFD_FF_OP_CID:
		return in_range(VAL(f, OFD_F_CID, cid), in) || in_range(VAL(f, OFD_F_SRC_CID, src_cid), in) ||
		       in_range(VAL(f, OFD_F_DST_CID, dst_cid), in);
	case OFD_FF_OP_SRC_CID: return in_range(VAL(f, OFD_F_SRC_CID, src_cid), in);
	case OFD_FF_OP_DST_CID: return in_range(VAL(f, OFD_F_DST_CID, dst_cid), in);
	case OFD_FF_OP_SRC_VRF: return in_range(VAL(f, OFD_F_SRC_VRF, src_vrf), in);
	case OFD_FF_OP_DST_VRF: return in_range(VAL(f, OFD_F_DST_VRF, dst_vrf), in);
	case OFD_FF_OP_NEXTHOP_AS: return in_range(f->next_hop_as, in);
	case OFD_FF_OP_BYTES: return in_range(f->bytes, in);
	case OFD_FF_OP_PACKETS: return in_range(f->packets, in);
	case OFD_FF_OP_DURATION: return in_range(duration_s(f), in);
	case OFD_FF_OP_BPS: return in_range(per_second(f->bytes * 8, f), in);
	case OFD_FF_OP_PPS: return in_range(per_second(f->packets, f), in);
	case OFD_FF_OP_IPTOS: return in_range(f->ip_tos, in);
	case OFD_FF_OP_IPTOS_MASK: return (f->ip_tos & in->lo) == in->lo;
	case OFD_FF_OP_DSCP: return in_range(f->ip_tos >> 2, in);
	case OFD_FF_OP_ECN: return in_range(f->ip_tos & 3, in);
	case OFD_FF_OP_SAMPLING: return in_range(f->sampling_rate, in);
	case OFD_FF_OP_MED: return in_range(VAL(f, OFD_F_MED, med), in);
	case OFD_FF_OP_LOCALPREF: return in_range(VAL(f, OFD_F_LOCAL_PREF, local_pref), in);
	case OFD_FF_OP_ETYPE: return in_range(f->etype, in);
	case OFD_FF_OP_PROTO: return in_range(f->proto, in);
	case OFD_FF_OP_STATUS: return in_range(VAL(f, OFD_F_FORWARDING_STATUS, forwarding_status), in);
	case OFD_FF_OP_STATUS_MASK:
		return (VAL(f, OFD_F_FORWARDING_STATUS, forwarding_status) & in->lo) == in->lo;
	case OFD_FF_OP_TCPFLAGS: return f->proto == 6 && in_range(f->tcp_flags, in);
	case OFD_FF_OP_TCPFLAGS_MASK: return f->proto == 6 && (f->tcp_flags & in->lo) == in->lo;
	case OFD_FF_OP_ICMP_TYPE:
	case OFD_FF_OP_ICMP_CODE: return match_icmp(in, f);
	case OFD_FF_OP_COUNTRY: return country_is(f, OFD_F_REMOTE_COUNTRY, f->remote_country, in->lo);
	case OFD_FF_OP_SRC_COUNTRY: return country_is(f, OFD_F_SRC_COUNTRY, f->src_country, in->lo);
	case OFD_FF_OP_DST_COUNTRY: return country_is(f, OFD_F_DST_COUNTRY, f->dst_country, in->lo);
	case OFD_FF_OP_DIRECTION: return VAL(f, OFD_F_FLOW_DIRECTION, flow_direction) == in->lo;
	case OFD_FF_OP_NORMALIZED: return VAL(f, OFD_F_NORMALIZED, normalized) == 1;
	case OFD_FF_OP_RPKI: return VAL(f, OFD_F_RPKI, rpki) == in->lo;
	default: return 0;
	}
}

static inline int test(const struct ofd_filter *flt, const struct ofd_ff_insn *in, const struct ofd_flow *f)
{
	switch (in->op) {
	case OFD_FF_OP_SRC_ADDR: return match_prefix(&flt->prefixes[in->aux], &f->src_addr);
	case OFD_FF_OP_DST_ADDR: return match_prefix(&flt->prefixes[in->aux], &f->dst_addr);
	case OFD_FF_OP_ROUTER: return match_prefix(&flt->prefixes[in->aux], &f->sampler_address);
	case OFD_FF_OP_NEXTHOP: return match_prefix(&flt->prefixes[in->aux], &f->next_hop);
	case OFD_FF_OP_IN_NAME: return match_string(flt, in, f, OFD_F_IN_IF_NAME, f->in_if_name);
	case OFD_FF_OP_OUT_NAME: return match_string(flt, in, f, OFD_F_OUT_IF_NAME, f->out_if_name);
	case OFD_FF_OP_IN_DESC: return match_string(flt, in, f, OFD_F_IN_IF_DESC, f->in_if_desc);
	case OFD_FF_OP_OUT_DESC: return match_string(flt, in, f, OFD_F_OUT_IF_DESC, f->out_if_desc);
	case OFD_FF_OP_PASSES: return match_passes(flt, in, f);
	case OFD_FF_OP_COMMUNITY: return match_comm(in, f);
	case OFD_FF_OP_COMMUNITY_RANGE: return match_comm_range(in, f);
	case OFD_FF_OP_LCOMMUNITY: return match_lcomm(in, f);
	case OFD_FF_OP_LCOMMUNITY_RANGE: return match_lcomm_range(flt, in, f);
	default: return test_plain(in, f);
	}
}

int ofd_filter_match(const struct ofd_filter *f, const struct ofd_flow *flow)
{
	uint32_t i = 0;
	const struct ofd_ff_insn *code = f->code;
	while (i < f->n) {
		const struct ofd_ff_insn *in = &code[i];
		i = test(f, in, flow) ? in->jt : in->jf;
	}
	return i == OFD_FF_ACCEPT || !f->n; /* the empty expression passes every flow */
}

uint32_t ofd_filter_batch(const struct ofd_filter *f, struct ofd_batch *b)
{
	uint32_t kept = 0;
	uint32_t words = (b->n + 63) / 64;
	for (uint32_t w = 0; w < words; w++) {
		uint64_t live = b->live[w];
		uint64_t keep = live;
		while (live) {
			unsigned bit = (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			uint32_t i = w * 64 + bit;
			uint64_t m = i < b->n && ofd_filter_match(f, &b->flows[i]);
			keep &= ~((m ^ 1) << bit);
		}
		b->live[w] = keep;
		kept += (uint32_t)__builtin_popcountll(keep);
	}
	return kept;
}

void ofd_filter_free(struct ofd_filter *f)
{
	if (!f)
		return;
	free(f->code);
	free(f->prefixes);
	free(f->strings);
	free(f->asns);
	free(f);
}
