/*
 * Information elements -> flow fields (goflow2 FlowMessage semantics), template compilation and
 * the per-record copy loop. See ie.h for the plan's contract.
 *
 * Times: flowStart/EndSeconds, -Milliseconds are epoch based; -Microseconds and -Nanoseconds are
 * NTP timestamps (seconds since 1900 + a 2^-32 fraction; values before 1970 become 0); the
 * -DeltaMicroseconds are subtracted from the message's export time. flowStart/EndSysUpTime are
 * router uptime in ms, resolved relative to the exporter's uptime at the export time modulo 2^32
 * (the 49.7-day wrap is harmless): v9 the header's sysUptime; IPFIX the export time minus
 * systemInitTimeMilliseconds (IE 160) from the same record or the exporter's options data.
 * A record left without a start or end time (no time element, or IPFIX uptimes without 160)
 * gets the export time for the end, and the end for the start.
 */
#include "ie.h"

#include "ofd/err.h"
#include "ofd/rd.h"

/* Rare paths out of line, so that the per-record ones keep their registers (gcc, clang). */
#define IE_COLD __attribute__((noinline, cold))

#define NS_PER_S  1000000000ull
#define NTP_EPOCH 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */

/* The elements of the table's tail fields (MPLS addresses, flowEndReason, NAT, physical
   interfaces, customer VLANs). */
static enum ofd_ie_kind kind_of_more(uint16_t id)
{
	switch (id) {
	case 47: return OFD_IE_MPLS_IP4;
	case 136: return OFD_IE_END_REASON;
	case 140: return OFD_IE_MPLS_IP6;
	case 225: return OFD_IE_NAT_SRC4;
	case 226: return OFD_IE_NAT_DST4;
	case 227: return OFD_IE_NAT_SRC_PORT;
	case 228: return OFD_IE_NAT_DST_PORT;
	case 245: return OFD_IE_CVLAN;
	case 252: return OFD_IE_IN_IF_PHYS;
	case 253: return OFD_IE_OUT_IF_PHYS;
	case 255: return OFD_IE_POST_CVLAN;
	case 281: return OFD_IE_NAT_SRC6;
	case 282: return OFD_IE_NAT_DST6;
	default: return OFD_IE_SKIP;
	}
}

enum ofd_ie_kind ofd_ie_kind_of(uint32_t pen, uint16_t id)
{
	if (pen)
		return OFD_IE_SKIP;
	switch (id) {
	case 1:
	case 85: return OFD_IE_BYTES;
	case 2:
	case 86: return OFD_IE_PACKETS;
	case 4: return OFD_IE_PROTO;
	case 5: return OFD_IE_TOS;
	case 6: return OFD_IE_TCP_FLAGS;
	case 7: return OFD_IE_SRC_PORT;
	case 8: return OFD_IE_SRC_ADDR4;
	case 9:
	case 29: return OFD_IE_SRC_NET;
	case 10: return OFD_IE_IN_IF;
	case 11: return OFD_IE_DST_PORT;
	case 12: return OFD_IE_DST_ADDR4;
	case 13:
	case 30: return OFD_IE_DST_NET;
	case 14: return OFD_IE_OUT_IF;
	case 15: return OFD_IE_NEXT_HOP4;
	case 16: return OFD_IE_SRC_AS;
	case 17: return OFD_IE_DST_AS;
	case 18: return OFD_IE_BGP_NEXT_HOP4;
	case 23: return OFD_IE_BYTES;	/* postOctetDeltaCount, v9 OUT_BYTES */
	case 24: return OFD_IE_PACKETS; /* postPacketDeltaCount, v9 OUT_PKTS */
	case 21: return OFD_IE_END_UPTIME;
	case 22: return OFD_IE_START_UPTIME;
	case 27: return OFD_IE_SRC_ADDR6;
	case 28: return OFD_IE_DST_ADDR6;
	case 31: return OFD_IE_FLOW_LABEL;
	case 32:
	case 139: return OFD_IE_ICMP;
	case 34:
	case 50: return OFD_IE_SAMPLING;
	case 35:
	case 49: return OFD_IE_SAMPLING_ALGO;
	case 38: return OFD_IE_ENGINE_TYPE;
	case 39: return OFD_IE_ENGINE_ID;
	case 48:
	case 302: return OFD_IE_SAMPLER_ID;
	case 52:
	case 192: return OFD_IE_TTL;
	case 54: return OFD_IE_FRAG_ID;
	case 56:
	case 81: return OFD_IE_SRC_MAC;
	case 57:
	case 80: return OFD_IE_DST_MAC;
	case 58:
	case 243: return OFD_IE_VLAN;
	case 59:
	case 254: return OFD_IE_POST_VLAN;
	case 60: return OFD_IE_IP_VERSION;
	case 62: return OFD_IE_NEXT_HOP6;
	case 63: return OFD_IE_BGP_NEXT_HOP6;
	case 70: return OFD_IE_MPLS;
	case 71:
	case 72:
	case 73:
	case 74:
	case 75:
	case 76:
	case 77:
	case 78:
	case 79: return (enum ofd_ie_kind)(OFD_IE_MPLS_2 + (id - 71));
	case 88: return OFD_IE_FRAG_OFF;
	case 89: return OFD_IE_FWD_STATUS;
	case 128: return OFD_IE_NEXT_HOP_AS;
	case 138: return OFD_IE_OBS_POINT;
	case 61: return OFD_IE_DIRECTION;
	case 234: return OFD_IE_SRC_VRF;
	case 235: return OFD_IE_DST_VRF;
	case 150: return OFD_IE_START_S;
	case 151: return OFD_IE_END_S;
	case 152: return OFD_IE_START_MS;
	case 153: return OFD_IE_END_MS;
	case 154:
	case 156: return OFD_IE_START_NTP;
	case 155:
	case 157: return OFD_IE_END_NTP;
	case 158: return OFD_IE_START_DELTA_US;
	case 159: return OFD_IE_END_DELTA_US;
	case 160: return OFD_IE_SYS_INIT_MS;
	case 176:
	case 178: return OFD_IE_ICMP_TYPE;
	case 177:
	case 179: return OFD_IE_ICMP_CODE;
	case 197: return OFD_IE_IP_FLAGS;
	case 305: return OFD_IE_PKT_INTERVAL;
	case 306: return OFD_IE_PKT_SPACE;
	case 304: return OFD_IE_SEL_ALGO;
	case 307: return OFD_IE_TIME_INTERVAL;
	case 308: return OFD_IE_TIME_SPACE;
	case 309: return OFD_IE_SAMPLING_SIZE;
	case 310: return OFD_IE_SAMPLING_POP;
	case 311: return OFD_IE_SAMPLING_PROB;
	case 312: return OFD_IE_FRAME_SIZE;
	case 313: return OFD_IE_SEC_IP_HDR;
	case 314: return OFD_IE_SEC_IP_PAYLOAD;
	case 315: return OFD_IE_SEC_L2;
	case 316: return OFD_IE_SEC_MPLS_STACK;
	case 317: return OFD_IE_SEC_MPLS_PAYLOAD;
	case 224: return OFD_IE_IP_TOTAL_LEN;
	case 409: return OFD_IE_SEC_OFFSET;
	case 410: return OFD_IE_SEC_OCTETS;
	default: return kind_of_more(id);
	}
}

/* mplsTopLabelStackSection and mplsLabelStackSection2..10 (70-79): 3 bytes or more */
static int is_mpls_section(unsigned kind)
{
	return kind == OFD_IE_MPLS || (kind >= OFD_IE_MPLS_2 && kind <= OFD_IE_MPLS_10);
}

int ofd_ie_len_ok(enum ofd_ie_kind kind, uint32_t len)
{
	if (is_mpls_section(kind))
		return len >= 3 && len <= 16;
	switch (kind) {
	case OFD_IE_SKIP: return 1;
	case OFD_IE_SRC_ADDR4:
	case OFD_IE_DST_ADDR4:
	case OFD_IE_NEXT_HOP4:
	case OFD_IE_BGP_NEXT_HOP4:
	case OFD_IE_MPLS_IP4:
	case OFD_IE_NAT_SRC4:
	case OFD_IE_NAT_DST4: return len == 4;
	case OFD_IE_SRC_ADDR6:
	case OFD_IE_DST_ADDR6:
	case OFD_IE_NEXT_HOP6:
	case OFD_IE_BGP_NEXT_HOP6:
	case OFD_IE_MPLS_IP6:
	case OFD_IE_NAT_SRC6:
	case OFD_IE_NAT_DST6: return len == 16;
	case OFD_IE_SRC_MAC:
	case OFD_IE_DST_MAC: return len == 6;
	case OFD_IE_START_NTP:
	case OFD_IE_END_NTP: return len == 8;
	case OFD_IE_SAMPLING_PROB: return len == 4 || len == 8;
	case OFD_IE_SEC_L2:
	case OFD_IE_SEC_IP_HDR:
	case OFD_IE_SEC_IP_PAYLOAD:
	case OFD_IE_SEC_MPLS_STACK:
	case OFD_IE_SEC_MPLS_PAYLOAD: return len >= 1; /* packet sections: any length */
	default: return len >= 1 && len <= 8;
	}
}

/*
 * The `present` bits a kind sets unconditionally (the aux kinds set theirs in ofd_ie_post), as a
 * word-0 mask: every field an element maps to has an id below 64 (OFD_W0 fails to compile
 * otherwise); a kind for a later field needs ofd_fieldset_set in ofd_ie_compile instead.
 */
static uint64_t kind_present(enum ofd_ie_kind k)
{
	switch (k) {
	case OFD_IE_BYTES: return OFD_W0(OFD_F_BYTES);
	case OFD_IE_PACKETS: return OFD_W0(OFD_F_PACKETS);
	case OFD_IE_PROTO: return OFD_W0(OFD_F_PROTO);
	case OFD_IE_TOS: return OFD_W0(OFD_F_IP_TOS);
	case OFD_IE_TCP_FLAGS: return OFD_W0(OFD_F_TCP_FLAGS);
	case OFD_IE_SRC_PORT: return OFD_W0(OFD_F_SRC_PORT);
	case OFD_IE_DST_PORT: return OFD_W0(OFD_F_DST_PORT);
	case OFD_IE_SRC_ADDR4:
	case OFD_IE_SRC_ADDR6: return OFD_W0(OFD_F_SRC_ADDR);
	case OFD_IE_DST_ADDR4:
	case OFD_IE_DST_ADDR6: return OFD_W0(OFD_F_DST_ADDR);
	case OFD_IE_SRC_NET: return OFD_W0(OFD_F_SRC_NET);
	case OFD_IE_DST_NET: return OFD_W0(OFD_F_DST_NET);
	case OFD_IE_IN_IF:
	case OFD_IE_IN_IF_PHYS_BOTH: return OFD_W0(OFD_F_IN_IF);
	case OFD_IE_OUT_IF:
	case OFD_IE_OUT_IF_PHYS_BOTH: return OFD_W0(OFD_F_OUT_IF);
	case OFD_IE_NEXT_HOP4:
	case OFD_IE_NEXT_HOP6: return OFD_W0(OFD_F_NEXT_HOP);
	case OFD_IE_BGP_NEXT_HOP4:
	case OFD_IE_BGP_NEXT_HOP6: return OFD_W0(OFD_F_BGP_NEXT_HOP);
	case OFD_IE_SRC_AS: return OFD_W0(OFD_F_SRC_AS);
	case OFD_IE_DST_AS: return OFD_W0(OFD_F_DST_AS);
	case OFD_IE_NEXT_HOP_AS: return OFD_W0(OFD_F_NEXT_HOP_AS);
	case OFD_IE_FLOW_LABEL: return OFD_W0(OFD_F_IPV6_FLOW_LABEL);
	case OFD_IE_ICMP:
	case OFD_IE_ICMP_TYPE:
	case OFD_IE_ICMP_CODE: return OFD_W0(OFD_F_ICMP_TYPE) | OFD_W0(OFD_F_ICMP_CODE);
	case OFD_IE_SRC_MAC: return OFD_W0(OFD_F_SRC_MAC);
	case OFD_IE_DST_MAC: return OFD_W0(OFD_F_DST_MAC);
	case OFD_IE_VLAN: return OFD_W0(OFD_F_SRC_VLAN) | OFD_W0(OFD_F_VLAN_ID);
	case OFD_IE_POST_VLAN: return OFD_W0(OFD_F_DST_VLAN);
	case OFD_IE_MPLS: return OFD_W0(OFD_F_MPLS_LABEL);
	case OFD_IE_TTL: return OFD_W0(OFD_F_IP_TTL);
	case OFD_IE_FRAG_ID: return OFD_W0(OFD_F_FRAGMENT_ID);
	case OFD_IE_FRAG_OFF: return OFD_W0(OFD_F_FRAGMENT_OFFSET);
	case OFD_IE_IP_FLAGS: return OFD_W0(OFD_F_IP_FLAGS);
	case OFD_IE_FWD_STATUS: return OFD_W0(OFD_F_FORWARDING_STATUS);
	case OFD_IE_OBS_POINT: return OFD_W0(OFD_F_OBSERVATION_POINT_ID);
	case OFD_IE_DIRECTION: return OFD_W0(OFD_F_FLOW_DIRECTION);
	case OFD_IE_SRC_VRF: return OFD_W0(OFD_F_SRC_VRF);
	case OFD_IE_DST_VRF: return OFD_W0(OFD_F_DST_VRF);
	case OFD_IE_ENGINE_TYPE: return OFD_W0(OFD_F_ENGINE_TYPE);
	case OFD_IE_ENGINE_ID: return OFD_W0(OFD_F_ENGINE_ID);
	case OFD_IE_START_S:
	case OFD_IE_START_MS:
	case OFD_IE_START_NTP:
	case OFD_IE_START_DELTA_US: return OFD_W0(OFD_F_TIME_FLOW_START);
	case OFD_IE_END_S:
	case OFD_IE_END_MS:
	case OFD_IE_END_NTP:
	case OFD_IE_END_DELTA_US: return OFD_W0(OFD_F_TIME_FLOW_END);
	default: return 0;
	}
}

/*
 * The tail field a kind sets in every record of its template (-1: none, or only in the records
 * whose value says something: the MPLS stack entries and top-label addresses, set by apply_one
 * and apply_tail).
 */
static int kind_tail(enum ofd_ie_kind k)
{
	switch (k) {
	case OFD_IE_END_REASON: return OFD_F_FLOW_END_REASON;
	case OFD_IE_NAT_SRC4:
	case OFD_IE_NAT_SRC6: return OFD_F_POST_NAT_SRC_ADDR;
	case OFD_IE_NAT_DST4:
	case OFD_IE_NAT_DST6: return OFD_F_POST_NAT_DST_ADDR;
	case OFD_IE_NAT_SRC_PORT: return OFD_F_POST_NAT_SRC_PORT;
	case OFD_IE_NAT_DST_PORT: return OFD_F_POST_NAT_DST_PORT;
	case OFD_IE_IN_IF_PHYS:
	case OFD_IE_IN_IF_PHYS_BOTH: return OFD_F_IN_IF_PHYS;
	case OFD_IE_OUT_IF_PHYS:
	case OFD_IE_OUT_IF_PHYS_BOTH: return OFD_F_OUT_IF_PHYS;
	case OFD_IE_CVLAN: return OFD_F_SRC_CVLAN;
	case OFD_IE_POST_CVLAN: return OFD_F_DST_CVLAN;
	default: return -1;
	}
}

/* 1 when the template has IANA element id among its information elements (from `first`). */
static int has_element(const struct ofd_tmpl_field *f, uint32_t n, uint32_t first, uint16_t id)
{
	for (uint32_t i = first; i < n; i++)
		if (f[i].pen == 0 && f[i].id == id)
			return 1;
	return 0;
}

/*
 * Resolve the elements that only count when their primary is absent: post MACs (81, 57) behind
 * source/destination MAC (56, 80), dot1qVlanId (243) behind vlanId (58), postDot1qVlanId (254)
 * behind postVlanId (59), minimumTTL (52) behind ipTTL (192), the egress counts
 * postOctet/PacketDeltaCount (23, 24; v9 OUT_BYTES/OUT_PKTS) behind the delta counts (1, 2),
 * octetTotalCount/packetTotalCount (85, 86) behind either. ingress/egressPhysicalInterface (252,
 * 253) always fill in_if_phys/out_if_phys, and in_if/out_if too when ingress/egressInterface (10,
 * 14) are absent.
 */
static enum ofd_ie_kind resolve(const struct ofd_tmpl_field *f, uint32_t n, uint32_t first, uint16_t id)
{
	uint16_t primary, second = 0;
	if (id == 252 || id == 253) {
		int alone = !has_element(f, n, first, id == 252 ? 10 : 14);
		return alone ? (id == 252 ? OFD_IE_IN_IF_PHYS_BOTH : OFD_IE_OUT_IF_PHYS_BOTH)
			     : ofd_ie_kind_of(0, id);
	}
	switch (id) {
	case 81: primary = 56; break;
	case 57: primary = 80; break;
	case 243: primary = 58; break;
	case 254: primary = 59; break;
	case 52: primary = 192; break;
	case 23: primary = 1; break;
	case 24: primary = 2; break;
	case 85: primary = 1, second = 23; break;
	case 86: primary = 2, second = 24; break;
	default: return ofd_ie_kind_of(0, id);
	}
	if (has_element(f, n, first, primary) || (second && has_element(f, n, first, second)))
		return OFD_IE_SKIP;
	return ofd_ie_kind_of(0, id);
}

int ofd_ie_compile(const struct ofd_tmpl_field *f, uint32_t n, uint32_t nscope, int v9,
		   struct ofd_ie_plan *plan, struct ofd_ie_step *steps)
{
	uint32_t first = v9 ? nscope : 0; /* v9 scope fields are not information elements */
	memset(plan, 0, sizeof(*plan));
	for (uint32_t i = 0; i < n; i++)
		if (!v9 && f[i].len == OFD_IE_VARLEN)
			plan->varlen = 1;
	uint32_t off = 0;
	unsigned fam = 0; /* 1: some IPv4 source/destination address, 2: some IPv6 one */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = f[i].len;
		enum ofd_ie_kind k = OFD_IE_SKIP;
		if (i >= first && f[i].pen == 0)
			k = resolve(f, n, first, f[i].id);
		if (plan->varlen && len == OFD_IE_VARLEN) { /* only packet sections are read at any length */
			uint8_t vk =
			    k >= OFD_IE_SEC_L2 && k <= OFD_IE_SEC_MPLS_PAYLOAD ? (uint8_t)k : OFD_IE_SKIP;
			steps[plan->nsteps++] = (struct ofd_ie_step){0, OFD_IE_VARLEN, vk, 0};
			off += 1;
			continue;
		}
		if (!ofd_ie_len_ok(k, len))
			k = OFD_IE_SKIP;
		if (plan->varlen || k != OFD_IE_SKIP)
			steps[plan->nsteps++] =
			    (struct ofd_ie_step){(uint16_t)off, (uint16_t)len, (uint8_t)k, 0};
		off += len;
		if (off > OFD_IE_MAX_RECORD)
			return OFD_EFORMAT;
		plan->present.w[0] |= kind_present(k);
		int tail = kind_tail(k);
		if (tail >= 0)
			ofd_fieldset_set(&plan->present, (unsigned)tail);
		if (k >= OFD_IE_START_UPTIME)
			plan->aux = 1;
		if (k == OFD_IE_SAMPLING || k == OFD_IE_SAMPLER_ID || k == OFD_IE_PKT_INTERVAL ||
		    (k >= OFD_IE_SEL_ALGO && k <= OFD_IE_SAMPLING_PROB))
			plan->sampling = 1;
		fam |= (k == OFD_IE_SRC_ADDR4 || k == OFD_IE_DST_ADDR4) ? 1 : 0;
		fam |= (k == OFD_IE_SRC_ADDR6 || k == OFD_IE_DST_ADDR6) ? 2 : 0;
	}
	plan->mixed = fam == 3;
	if (off == 0)
		return OFD_EFORMAT;
	plan->min_len = off;
	return 0;
}

size_t ofd_ie_var_len(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, const uint8_t *p,
		      size_t left)
{
	size_t at = 0;
	for (uint32_t i = 0; i < plan->nsteps; i++) {
		size_t len = steps[i].len;
		if (len == OFD_IE_VARLEN) {
			if (at >= left)
				return 0;
			len = p[at++];
			if (len == 255) {
				if (left - at < 2)
					return 0;
				len = ofd_be16(p + at);
				at += 2;
			}
		}
		if (left - at < len)
			return 0;
		at += len;
	}
	return at;
}

/* Always inlined: gcc's heuristics otherwise call it from some of apply_one's cases, which costs
   about 5 % of a v9 record's decode (callgrind on bench_decode). */
__attribute__((always_inline)) static inline uint64_t be_uint(const uint8_t *p, uint32_t n)
{
	switch (n) {
	case 1: return p[0];
	case 2: return ofd_be16(p);
	case 4: return ofd_be32(p);
	case 8: return ofd_be64(p);
	default: return ofd_be_uint(p, n);
	}
}

static inline uint64_t ntp_ns(uint64_t v)
{
	uint64_t sec = v >> 32;
	if (sec < NTP_EPOCH)
		return 0;
	return (sec - NTP_EPOCH) * NS_PER_S + (((v & 0xffffffffu) * NS_PER_S) >> 32);
}

static inline uint64_t minus_us(uint64_t export_ns, uint64_t us)
{
	return us < export_ns / 1000 ? export_ns - us * 1000 : 0;
}

/*
 * Addresses of both families in one template (Cisco IOS XR, physical-interface templates): the
 * family not in use is exported as zeros. An all-zero address only fills a field still unset, so
 * a non-zero address wins whichever of the two comes first.
 */
static inline void set4(struct ofd_ip *ip, const uint8_t *p)
{
	if (!ip->family || ofd_be32(p))
		ofd_ip_set4(ip, p);
}

static inline void set6(struct ofd_ip *ip, const uint8_t *p)
{
	if (!ip->family || ofd_be64(p) || ofd_be64(p + 8))
		ofd_ip_set6(ip, p);
}

/* A selector element (struct ofd_ie_aux.sel): constant bits, no variable shift in the hot switch. */
#define SEL_PUT(i)                                                                                           \
	do {                                                                                                 \
		a->sel[i] = be_uint(p, n);                                                                   \
		a->have |= (uint32_t)OFD_IEA_SEL_ALGO << (i);                                                \
	} while (0)

/* Entry i of the MPLS stack from a 3-byte label stack section (label, exp, bottom of stack; no TTL);
   an all-zero section is no label. */
static inline void put_lse(struct ofd_flow *f, unsigned i, uint32_t section)
{
	if (!section)
		return;
	f->mpls_stack.lse[i] = section << 8;
	if (f->mpls_stack.n <= i)
		f->mpls_stack.n = (uint8_t)(i + 1);
	f->present.w[OFD_FS_WORD(OFD_F_MPLS_STACK)] |= OFD_FS_BIT(OFD_F_MPLS_STACK);
}

/* mpls_ip from mplsTopLabelIPv4/IPv6Address: an all-zero address (the family not in use) is none. */
static inline void put_mpls_ip(struct ofd_flow *f, const uint8_t *p, uint32_t n)
{
	static const uint8_t zero[16];
	if (memcmp(p, zero, n) == 0)
		return;
	if (n == 4)
		ofd_ip_set4(&f->mpls_ip, p);
	else
		ofd_ip_set6(&f->mpls_ip, p);
	f->present.w[OFD_FS_WORD(OFD_F_MPLS_IP)] |= OFD_FS_BIT(OFD_F_MPLS_IP);
}

/*
 * The kinds of the table's tail fields (MPLS stack entries 2-10 and addresses, flowEndReason, NAT,
 * physical interfaces, customer VLANs): out of apply_one, so that the common elements' code stays
 * as compact as it was.
 */
IE_COLD static void apply_tail(struct ofd_flow *f, unsigned kind, const uint8_t *p, uint32_t n)
{
	if (kind >= OFD_IE_MPLS_2 && kind <= OFD_IE_MPLS_10) {
		put_lse(f, kind - OFD_IE_MPLS_2 + 1, (uint32_t)ofd_be_uint(p, 3));
		return;
	}
	switch (kind) {
	case OFD_IE_MPLS_IP4:
	case OFD_IE_MPLS_IP6: put_mpls_ip(f, p, n); break;
	case OFD_IE_NAT_SRC4: set4(&f->post_nat_src_addr, p); break;
	case OFD_IE_NAT_DST4: set4(&f->post_nat_dst_addr, p); break;
	case OFD_IE_NAT_SRC6: set6(&f->post_nat_src_addr, p); break;
	case OFD_IE_NAT_DST6: set6(&f->post_nat_dst_addr, p); break;
	case OFD_IE_NAT_SRC_PORT: f->post_nat_src_port = (uint16_t)be_uint(p, n); break;
	case OFD_IE_NAT_DST_PORT: f->post_nat_dst_port = (uint16_t)be_uint(p, n); break;
	case OFD_IE_IN_IF_PHYS: f->in_if_phys = (uint32_t)be_uint(p, n); break;
	case OFD_IE_OUT_IF_PHYS: f->out_if_phys = (uint32_t)be_uint(p, n); break;
	case OFD_IE_IN_IF_PHYS_BOTH: f->in_if = f->in_if_phys = (uint32_t)be_uint(p, n); break;
	case OFD_IE_OUT_IF_PHYS_BOTH: f->out_if = f->out_if_phys = (uint32_t)be_uint(p, n); break;
	case OFD_IE_CVLAN: f->src_cvlan = (uint16_t)(be_uint(p, n) & 0xfff); break;
	case OFD_IE_POST_CVLAN: f->dst_cvlan = (uint16_t)(be_uint(p, n) & 0xfff); break;
	default: break;
	}
}

/* The flow member at byte dst (OFD_IE_ST_* steps, see ofd_ie_specialise). */
#define ST_FN(name, type)                                                                                    \
	static inline void name(struct ofd_flow *f, uint16_t dst, type v)                                    \
	{                                                                                                    \
		memcpy((char *)f + dst, &v, sizeof(v));                                                      \
	}
ST_FN(st_u8, uint8_t)
ST_FN(st_u16, uint16_t)
ST_FN(st_u32, uint32_t)
ST_FN(st_u64, uint64_t)

/*
 * Every kind has its case (-Wswitch-enum below): the default is unreachable, which spares a
 * range check per step.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
/* One step. `kind` and `n` were checked against each other by ofd_ie_compile(); dst: the step's
   (OFD_IE_ST_* kinds). */
__attribute__((always_inline)) static inline void apply_one(struct ofd_flow *f, struct ofd_ie_aux *a,
							    const struct ofd_ie_ctx *c, unsigned kind,
							    const uint8_t *p, uint32_t n, uint16_t dst)
{
	switch ((enum ofd_ie_kind)kind) {
	case OFD_IE_SKIP: break;
	case OFD_IE_ST_U8: st_u8(f, dst, p[0]); break;
	case OFD_IE_ST_U16: st_u16(f, dst, ofd_be16(p)); break;
	case OFD_IE_ST_U16_1: st_u16(f, dst, p[0]); break;
	case OFD_IE_ST_U32: st_u32(f, dst, ofd_be32(p)); break;
	case OFD_IE_ST_U32_2: st_u32(f, dst, ofd_be16(p)); break;
	case OFD_IE_ST_U64: st_u64(f, dst, ofd_be64(p)); break;
	case OFD_IE_ST_U64_4: st_u64(f, dst, ofd_be32(p)); break;
	case OFD_IE_ST_ADDR4: ofd_ip_set4((struct ofd_ip *)((char *)f + dst), p); break;
	case OFD_IE_ST_ADDR6: ofd_ip_set6((struct ofd_ip *)((char *)f + dst), p); break;
	case OFD_IE_ST_UP_START:
		a->up_start = ofd_be32(p);
		a->have |= OFD_IEA_UP_START;
		break;
	case OFD_IE_ST_UP_END:
		a->up_end = ofd_be32(p);
		a->have |= OFD_IEA_UP_END;
		break;
	case OFD_IE_BYTES: f->bytes = be_uint(p, n); break;
	case OFD_IE_PACKETS: f->packets = be_uint(p, n); break;
	case OFD_IE_PROTO: f->proto = (uint8_t)be_uint(p, n); break;
	case OFD_IE_TOS: f->ip_tos = (uint8_t)be_uint(p, n); break;
	case OFD_IE_TCP_FLAGS: f->tcp_flags = (uint16_t)(be_uint(p, n) & 0x0fff); break; /* no data offset */
	case OFD_IE_SRC_PORT: f->src_port = (uint16_t)be_uint(p, n); break;
	case OFD_IE_DST_PORT: f->dst_port = (uint16_t)be_uint(p, n); break;
	case OFD_IE_SRC_ADDR4: set4(&f->src_addr, p); break;
	case OFD_IE_DST_ADDR4: set4(&f->dst_addr, p); break;
	case OFD_IE_SRC_ADDR6: set6(&f->src_addr, p); break;
	case OFD_IE_DST_ADDR6: set6(&f->dst_addr, p); break;
	case OFD_IE_SRC_NET: f->src_net = (uint8_t)be_uint(p, n); break;
	case OFD_IE_DST_NET: f->dst_net = (uint8_t)be_uint(p, n); break;
	case OFD_IE_IN_IF: f->in_if = (uint32_t)be_uint(p, n); break;
	case OFD_IE_OUT_IF: f->out_if = (uint32_t)be_uint(p, n); break;
	case OFD_IE_NEXT_HOP4: set4(&f->next_hop, p); break;
	case OFD_IE_NEXT_HOP6: set6(&f->next_hop, p); break;
	case OFD_IE_BGP_NEXT_HOP4: set4(&f->bgp_next_hop, p); break;
	case OFD_IE_BGP_NEXT_HOP6: set6(&f->bgp_next_hop, p); break;
	case OFD_IE_SRC_AS: f->src_as = (uint32_t)be_uint(p, n); break;
	case OFD_IE_DST_AS: f->dst_as = (uint32_t)be_uint(p, n); break;
	case OFD_IE_NEXT_HOP_AS: f->next_hop_as = (uint32_t)be_uint(p, n); break;
	case OFD_IE_FLOW_LABEL: f->ipv6_flow_label = (uint32_t)be_uint(p, n) & 0xfffff; break;
	case OFD_IE_ICMP: { /* the family not in use is zero: a non-zero value wins */
		uint64_t v = be_uint(p, n);
		if (v) {
			f->icmp_type = (uint8_t)(v >> 8);
			f->icmp_code = (uint8_t)v;
		}
		break;
	}
	case OFD_IE_ICMP_TYPE: {
		uint64_t v = be_uint(p, n);
		if (v)
			f->icmp_type = (uint8_t)v;
		break;
	}
	case OFD_IE_ICMP_CODE: {
		uint64_t v = be_uint(p, n);
		if (v)
			f->icmp_code = (uint8_t)v;
		break;
	}
	case OFD_IE_SRC_MAC: f->src_mac = ofd_be_uint(p, 6); break;
	case OFD_IE_DST_MAC: f->dst_mac = ofd_be_uint(p, 6); break;
	case OFD_IE_VLAN: f->src_vlan = f->vlan_id = (uint16_t)(be_uint(p, n) & 0xfff); break;
	case OFD_IE_POST_VLAN: f->dst_vlan = (uint16_t)(be_uint(p, n) & 0xfff); break;
	case OFD_IE_IP_VERSION: {
		uint64_t v = be_uint(p, n);
		if (v == 4 || v == 6) {
			f->etype = v == 4 ? 0x0800 : 0x86dd;
			f->present.w[0] |= OFD_W0(OFD_F_ETYPE);
		}
		break;
	}
	case OFD_IE_MPLS: {
		uint32_t v = (uint32_t)ofd_be_uint(p, 3);
		f->mpls_label = v >> 4;
		put_lse(f, 0, v);
		break;
	}
	case OFD_IE_TTL: f->ip_ttl = (uint8_t)be_uint(p, n); break;
	case OFD_IE_FRAG_ID: f->fragment_id = (uint32_t)be_uint(p, n); break;
	case OFD_IE_FRAG_OFF: f->fragment_offset = (uint16_t)be_uint(p, n); break;
	case OFD_IE_IP_FLAGS: f->ip_flags = (uint8_t)be_uint(p, n) >> 5; break; /* RS DF MF -> 4 2 1 */
	case OFD_IE_FWD_STATUS: f->forwarding_status = (uint32_t)be_uint(p, n); break;
	case OFD_IE_OBS_POINT: f->observation_point_id = (uint32_t)be_uint(p, n); break;
	case OFD_IE_DIRECTION: f->flow_direction = (uint8_t)(be_uint(p, n) & 1); break;
	case OFD_IE_SRC_VRF: f->src_vrf = (uint32_t)be_uint(p, n); break;
	case OFD_IE_DST_VRF: f->dst_vrf = (uint32_t)be_uint(p, n); break;
	case OFD_IE_ENGINE_TYPE: f->engine_type = (uint8_t)be_uint(p, n); break;
	case OFD_IE_ENGINE_ID: f->engine_id = (uint8_t)be_uint(p, n); break;
	case OFD_IE_END_REASON: f->flow_end_reason = (uint8_t)be_uint(p, n); break; /* softflowd sends it */
	case OFD_IE_START_S: f->time_flow_start_ns = be_uint(p, n) * NS_PER_S; break;
	case OFD_IE_END_S: f->time_flow_end_ns = be_uint(p, n) * NS_PER_S; break;
	case OFD_IE_START_MS: f->time_flow_start_ns = be_uint(p, n) * 1000000u; break;
	case OFD_IE_END_MS: f->time_flow_end_ns = be_uint(p, n) * 1000000u; break;
	case OFD_IE_START_NTP: f->time_flow_start_ns = ntp_ns(ofd_be64(p)); break;
	case OFD_IE_END_NTP: f->time_flow_end_ns = ntp_ns(ofd_be64(p)); break;
	case OFD_IE_START_DELTA_US: f->time_flow_start_ns = minus_us(c->export_ns, be_uint(p, n)); break;
	case OFD_IE_END_DELTA_US: f->time_flow_end_ns = minus_us(c->export_ns, be_uint(p, n)); break;
	case OFD_IE_START_UPTIME:
		a->up_start = (uint32_t)be_uint(p, n);
		a->have |= OFD_IEA_UP_START;
		break;
	case OFD_IE_END_UPTIME:
		a->up_end = (uint32_t)be_uint(p, n);
		a->have |= OFD_IEA_UP_END;
		break;
	case OFD_IE_SYS_INIT_MS:
		a->sys_init_ms = be_uint(p, n);
		a->have |= OFD_IEA_SYS_INIT;
		break;
	case OFD_IE_SAMPLING:
		a->sampling = be_uint(p, n);
		a->have |= OFD_IEA_SAMPLING;
		break;
	case OFD_IE_SAMPLER_ID:
		a->sampler_id = be_uint(p, n);
		a->have |= OFD_IEA_SAMPLER_ID;
		break;
	case OFD_IE_PKT_INTERVAL:
		a->pkt_interval = be_uint(p, n);
		a->have |= OFD_IEA_PKT_INTERVAL;
		break;
	case OFD_IE_PKT_SPACE:
		a->pkt_space = be_uint(p, n);
		a->have |= OFD_IEA_PKT_SPACE;
		break;
	case OFD_IE_SEL_ALGO: SEL_PUT(0); break;
	case OFD_IE_SAMPLING_ALGO: SEL_PUT(1); break;
	case OFD_IE_TIME_INTERVAL: SEL_PUT(2); break;
	case OFD_IE_TIME_SPACE: SEL_PUT(3); break;
	case OFD_IE_SAMPLING_SIZE: SEL_PUT(4); break;
	case OFD_IE_SAMPLING_POP: SEL_PUT(5); break;
	case OFD_IE_SAMPLING_PROB: SEL_PUT(6); break;
	case OFD_IE_SEC_L2:
	case OFD_IE_SEC_IP_HDR:
	case OFD_IE_SEC_IP_PAYLOAD:
	case OFD_IE_SEC_MPLS_STACK:
	case OFD_IE_SEC_MPLS_PAYLOAD:
	case OFD_IE_FRAME_SIZE:
	case OFD_IE_IP_TOTAL_LEN:
	case OFD_IE_SEC_OFFSET:
	case OFD_IE_SEC_OCTETS: ofd_ie_section_put(f, a, c, kind, p, n); break;
	case OFD_IE_MPLS_2:
	case OFD_IE_MPLS_3:
	case OFD_IE_MPLS_4:
	case OFD_IE_MPLS_5:
	case OFD_IE_MPLS_6:
	case OFD_IE_MPLS_7:
	case OFD_IE_MPLS_8:
	case OFD_IE_MPLS_9:
	case OFD_IE_MPLS_10:
	case OFD_IE_MPLS_IP4:
	case OFD_IE_MPLS_IP6:
	case OFD_IE_NAT_SRC4:
	case OFD_IE_NAT_DST4:
	case OFD_IE_NAT_SRC6:
	case OFD_IE_NAT_DST6:
	case OFD_IE_NAT_SRC_PORT:
	case OFD_IE_NAT_DST_PORT:
	case OFD_IE_IN_IF_PHYS:
	case OFD_IE_OUT_IF_PHYS:
	case OFD_IE_IN_IF_PHYS_BOTH:
	case OFD_IE_OUT_IF_PHYS_BOTH:
	case OFD_IE_CVLAN:
	case OFD_IE_POST_CVLAN: apply_tail(f, kind, p, n); break;
	case OFD_IE__COUNT:
	default: __builtin_unreachable(); /* steps hold kinds below OFD_IE__COUNT only (compile) */
	}
}

#pragma GCC diagnostic pop

void ofd_ie_apply(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, const uint8_t *p,
		  struct ofd_flow *f, struct ofd_ie_aux *aux, const struct ofd_ie_ctx *ctx)
{
	const struct ofd_ie_step *s = steps, *end = steps + plan->nsteps;
	if (plan->mixed)
		aux->have |= OFD_IEA_MIXED;
	if (!plan->varlen) {
		for (; s < end; s++)
			apply_one(f, aux, ctx, s->kind, p + s->off, s->len, s->dst);
		return;
	}
	for (; s < end; s++) {
		uint32_t len = s->len;
		if (len == OFD_IE_VARLEN) { /* the record was measured by ofd_ie_var_len() */
			len = *p++;
			if (len == 255) {
				len = ofd_be16(p);
				p += 2;
			}
			if (s->kind != OFD_IE_SKIP) /* a packet section, the only kind read at any length */
				ofd_ie_section_put(f, aux, ctx, s->kind, p, len);
		} else {
			apply_one(f, aux, ctx, s->kind, p, len, 0);
		}
		p += len;
	}
}
