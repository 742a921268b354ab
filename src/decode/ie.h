/*
 * NetFlow v9 / IPFIX information elements: the mapping of element ids to flow fields, the
 * compilation of a template into a copy plan, and the plan's application to one record.
 *
 * A plan is an array of steps {offset, length, kind}. `kind` is resolved once, when the template
 * arrives: unmapped elements, enterprise elements, wrong-size addresses and the "post" variants
 * shadowed by their primary element become no step at all (fixed-length templates) or a skip
 * step (templates with variable-length fields, whose offsets are only known per record). So
 * applying a plan is one loop over a switch on `kind`, with no per-field lookups.
 */
#ifndef OFD_IE_H
#define OFD_IE_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/flow.h"

/* One field of a template as sent: element id (enterprise bit cleared), length, enterprise. */
struct ofd_tmpl_field {
	uint16_t id;
	uint16_t len; /* OFD_IE_VARLEN: IPFIX variable length */
	uint32_t pen; /* 0: IANA element */
};

#define OFD_IE_VARLEN 65535
/* Longest record a template may describe (it must fit in one set of one UDP message). */
#define OFD_IE_MAX_RECORD 65515

enum ofd_ie_kind {
	OFD_IE_SKIP = 0,
	OFD_IE_BYTES,
	OFD_IE_PACKETS,
	OFD_IE_PROTO,
	OFD_IE_TOS,
	OFD_IE_TCP_FLAGS,
	OFD_IE_SRC_PORT,
	OFD_IE_DST_PORT,
	OFD_IE_SRC_ADDR4,
	OFD_IE_DST_ADDR4,
	OFD_IE_SRC_ADDR6,
	OFD_IE_DST_ADDR6,
	OFD_IE_SRC_NET,
	OFD_IE_DST_NET,
	OFD_IE_IN_IF,
	OFD_IE_OUT_IF,
	OFD_IE_NEXT_HOP4,
	OFD_IE_NEXT_HOP6,
	OFD_IE_BGP_NEXT_HOP4,
	OFD_IE_BGP_NEXT_HOP6,
	OFD_IE_SRC_AS,
	OFD_IE_DST_AS,
	OFD_IE_NEXT_HOP_AS,
	OFD_IE_FLOW_LABEL,
	OFD_IE_ICMP,	  /* icmpTypeCode IPv4/IPv6 (32/139): type << 8 | code */
	OFD_IE_ICMP_TYPE, /* icmpTypeIPv4/IPv6 (176/178) */
	OFD_IE_ICMP_CODE, /* icmpCodeIPv4/IPv6 (177/179) */
	OFD_IE_SRC_MAC,
	OFD_IE_DST_MAC,
	OFD_IE_VLAN,	  /* vlanId (58), dot1qVlanId (243) without 58: src_vlan and vlan_id */
	OFD_IE_POST_VLAN, /* postVlanId (59), postDot1qVlanId (254) without 59: dst_vlan */
	OFD_IE_IP_VERSION,
	OFD_IE_MPLS, /* mplsTopLabelStackSection (70): mpls_label and mpls_stack.lse[0] */
	OFD_IE_TTL,
	OFD_IE_FRAG_ID,
	OFD_IE_FRAG_OFF,
	OFD_IE_IP_FLAGS,
	OFD_IE_FWD_STATUS,
	OFD_IE_OBS_POINT,
	OFD_IE_DIRECTION, /* flowDirection (61): 0 ingress, 1 egress */
	OFD_IE_SRC_VRF,	  /* ingressVRFID (234) */
	OFD_IE_DST_VRF,	  /* egressVRFID (235) */
	OFD_IE_ENGINE_TYPE,
	OFD_IE_ENGINE_ID,
	OFD_IE_START_S,
	OFD_IE_END_S,
	OFD_IE_START_MS,
	OFD_IE_END_MS,
	OFD_IE_START_NTP,
	OFD_IE_END_NTP,
	OFD_IE_START_DELTA_US,
	OFD_IE_END_DELTA_US,
	/* more of what devices send: fields of the table's tail (present bits: see ofd_ie_compile) */
	OFD_IE_MPLS_2, /* mplsLabelStackSection2..10 (71-79): mpls_stack.lse[1..9] (70 is OFD_IE_MPLS) */
	OFD_IE_MPLS_3,
	OFD_IE_MPLS_4,
	OFD_IE_MPLS_5,
	OFD_IE_MPLS_6,
	OFD_IE_MPLS_7,
	OFD_IE_MPLS_8,
	OFD_IE_MPLS_9,
	OFD_IE_MPLS_10,
	OFD_IE_MPLS_IP4,	 /* mplsTopLabelIPv4Address (47) */
	OFD_IE_MPLS_IP6,	 /* mplsTopLabelIPv6Address (140) */
	OFD_IE_END_REASON,	 /* flowEndReason (136) */
	OFD_IE_NAT_SRC4,	 /* postNATSourceIPv4Address (225) */
	OFD_IE_NAT_DST4,	 /* postNATDestinationIPv4Address (226) */
	OFD_IE_NAT_SRC6,	 /* postNATSourceIPv6Address (281) */
	OFD_IE_NAT_DST6,	 /* postNATDestinationIPv6Address (282) */
	OFD_IE_NAT_SRC_PORT,	 /* postNAPTSourceTransportPort (227) */
	OFD_IE_NAT_DST_PORT,	 /* postNAPTDestinationTransportPort (228) */
	OFD_IE_IN_IF_PHYS,	 /* ingressPhysicalInterface (252) */
	OFD_IE_OUT_IF_PHYS,	 /* egressPhysicalInterface (253) */
	OFD_IE_IN_IF_PHYS_BOTH,	 /* 252 in a template without ingressInterface (10): in_if too */
	OFD_IE_OUT_IF_PHYS_BOTH, /* 253 in a template without egressInterface (14): out_if too */
	OFD_IE_CVLAN,		 /* dot1qCustomerVlanId (245) */
	OFD_IE_POST_CVLAN,	 /* postDot1qCustomerVlanId (255) */
	/* kinds that go through struct ofd_ie_aux and ofd_ie_post() */
	OFD_IE_START_UPTIME,
	OFD_IE_END_UPTIME,
	OFD_IE_SYS_INIT_MS,
	OFD_IE_SAMPLING,
	OFD_IE_SAMPLER_ID,
	OFD_IE_PKT_INTERVAL,
	OFD_IE_PKT_SPACE,
	OFD_IE_SEL_ALGO,      /* selectorAlgorithm (304) */
	OFD_IE_SAMPLING_ALGO, /* samplingAlgorithm (35), v9 FLOW_SAMPLER_MODE (49) */
	OFD_IE_TIME_INTERVAL, /* samplingTimeInterval (307) */
	OFD_IE_TIME_SPACE,    /* samplingTimeSpace (308) */
	OFD_IE_SAMPLING_SIZE, /* samplingSize (309): n of n-out-of-N */
	OFD_IE_SAMPLING_POP,  /* samplingPopulation (310): N of n-out-of-N */
	OFD_IE_SAMPLING_PROB, /* samplingProbability (311): float64, or float32 reduced size */
	/* RFC 7133 packet sections and their companions, through struct ofd_ie_sec (ie_section.c);
	   the sections may be IPFIX variable-length fields */
	OFD_IE_SEC_L2,		 /* dataLinkFrameSection (315) */
	OFD_IE_SEC_IP_HDR,	 /* ipHeaderPacketSection (313) */
	OFD_IE_SEC_IP_PAYLOAD,	 /* ipPayloadPacketSection (314) */
	OFD_IE_SEC_MPLS_STACK,	 /* mplsLabelStackSection (316) */
	OFD_IE_SEC_MPLS_PAYLOAD, /* mplsPayloadPacketSection (317) */
	OFD_IE_FRAME_SIZE,	 /* dataLinkFrameSize (312) */
	OFD_IE_IP_TOTAL_LEN,	 /* ipTotalLength (224) */
	OFD_IE_SEC_OFFSET,	 /* sectionOffset (409) */
	OFD_IE_SEC_OCTETS,	 /* sectionExportedOctets (410) */
	/* kinds only ofd_ie_specialise() makes (fixed plans of forward templates): the field is at
	   step.off, of the length the kind names, its value goes to the flow member at byte step.dst */
	OFD_IE_ST_U8,	    /* 1 byte -> uint8_t */
	OFD_IE_ST_U16,	    /* 2 bytes -> uint16_t */
	OFD_IE_ST_U16_1,    /* 1 byte -> uint16_t */
	OFD_IE_ST_U32,	    /* 4 bytes -> uint32_t */
	OFD_IE_ST_U32_2,    /* 2 bytes -> uint32_t */
	OFD_IE_ST_U64,	    /* 8 bytes -> uint64_t */
	OFD_IE_ST_U64_4,    /* 4 bytes -> uint64_t */
	OFD_IE_ST_ADDR4,    /* 4 bytes -> struct ofd_ip, the template's only element for it */
	OFD_IE_ST_ADDR6,    /* 16 bytes -> struct ofd_ip, the same */
	OFD_IE_ST_UP_START, /* 4 bytes -> aux up_start (flowStartSysUpTime) */
	OFD_IE_ST_UP_END,   /* 4 bytes -> aux up_end (flowEndSysUpTime) */
	OFD_IE__COUNT
};

struct ofd_ie_step {
	uint16_t off; /* fixed plans: offset in the record; variable plans: unused */
	uint16_t len; /* OFD_IE_VARLEN in variable plans for a variable-length field */
	uint8_t kind; /* enum ofd_ie_kind */
	uint16_t dst; /* OFD_IE_ST_*: offset of the flow member written; else 0 */
};

/* The compiled form of a template (its steps follow it in memory, see template.c). */
struct ofd_ie_plan {
	struct ofd_fieldset present; /* the `present` bits every record of this template sets */
	uint32_t nsteps;
	uint32_t min_len; /* fixed plans: the record length; variable plans: the least one */
	uint8_t varlen;	  /* 1: some field has variable length, steps cover every field */
	uint8_t aux;	  /* 1: some step fills struct ofd_ie_aux (times, sampling) */
	uint8_t sampling; /* 1: some step carries samplingInterval or a sampler id */
	uint8_t mixed;	  /* 1: source/destination addresses of both families (IOS XR) */
};

/* A record's packet sections (RFC 7133), valid when OFD_IEA_SECTION is set (see ie_section.c). */
#define OFD_IE_NSEC (OFD_IE_SEC_MPLS_PAYLOAD - OFD_IE_SEC_L2 + 1)
struct ofd_ie_sec {
	uint32_t have; /* bit (kind - OFD_IE_SEC_L2) for each kind seen, OFD_IE_SEC_L2 .. _SEC_OCTETS */
	const uint8_t *p[OFD_IE_NSEC]; /* each section, indexed by kind - OFD_IE_SEC_L2 */
	uint32_t len[OFD_IE_NSEC];
	uint64_t val[4]; /* 312, 224, 409, 410 as sent, by kind - OFD_IE_FRAME_SIZE */
};

/* Values of a record that need the message, the exporter or each other to become fields. */
struct ofd_ie_aux {
	uint32_t have; /* OFD_IEA_* bits */
	uint32_t up_start, up_end;
	uint64_t sys_init_ms;
	uint64_t sampling;
	uint64_t sampler_id;
	uint64_t pkt_interval, pkt_space;
	/* the elements OFD_IE_SEL_ALGO .. OFD_IE_SAMPLING_PROB as sent, indexed by kind minus
	   OFD_IE_SEL_ALGO (have: OFD_IEA_SEL_ALGO shifted as much); samplingProbability as its
	   float64 bits, or float32 bits for the reduced size */
	uint64_t sel[7];
	struct ofd_ie_sec sec; /* OFD_IEA_SECTION */
};

enum {
	OFD_IEA_UP_START = 1,
	OFD_IEA_UP_END = 2,
	OFD_IEA_SYS_INIT = 4,
	OFD_IEA_SAMPLING = 8,
	OFD_IEA_SAMPLER_ID = 16,
	OFD_IEA_PKT_INTERVAL = 32,
	OFD_IEA_PKT_SPACE = 64,
	OFD_IEA_SEL_ALGO = 128,
	OFD_IEA_SAMPLING_ALGO = 256,
	OFD_IEA_TIME_INTERVAL = 512,
	OFD_IEA_TIME_SPACE = 1024,
	OFD_IEA_SAMPLING_SIZE = 2048,
	OFD_IEA_SAMPLING_POP = 4096,
	OFD_IEA_SAMPLING_PROB = 8192,
	OFD_IEA_SECTION = 1 << 29, /* some packet section element: aux->sec (ie_section.c) */
	OFD_IEA_MIXED = 1 << 30,   /* set by ofd_ie_apply for a plan->mixed record */
};

/* What a record's times are relative to. */
struct ofd_ie_ctx {
	uint64_t export_ns;   /* the message's export time */
	uint64_t sys_init_ms; /* IPFIX: exporter's systemInitTimeMilliseconds, if has_sys_init */
	uint32_t uptime_ms;   /* v9: the header's sysUptime */
	uint8_t v9;
	uint8_t has_sys_init;
};

/* The kind an element maps to (before length checks); enterprise elements map to OFD_IE_SKIP. */
enum ofd_ie_kind ofd_ie_kind_of(uint32_t pen, uint16_t id);

/* 1 if a field of `len` bytes can be read as `kind` (addresses exact size, integers 1..8). */
int ofd_ie_len_ok(enum ofd_ie_kind kind, uint32_t len);

/*
 * Compile n fields into *plan and steps[] (room for n steps). The first nscope fields of a v9
 * options template are scope fields of their own type space and become skips. Returns 0, or
 * OFD_EFORMAT for a template whose records would be empty or longer than OFD_IE_MAX_RECORD.
 */
int ofd_ie_compile(const struct ofd_tmpl_field *f, uint32_t n, uint32_t nscope, int v9,
		   struct ofd_ie_plan *plan, struct ofd_ie_step *steps);

/*
 * Rewrite the steps of a fixed plan (no-op for a variable one) that ofd_ie_compile() made, for
 * records applied into a zeroed flow (ofd_batch_add): integer steps whose field and member have
 * a width the OFD_IE_ST_* kinds name become those (no length switch per record), and a source,
 * destination, next-hop or BGP next-hop address that is the template's only element for its
 * member becomes a plain copy (no zero check: nothing else could have set it). What a record
 * decodes to does not change. Not for reverse (biflow) plans, whose records start as copies.
 */
void ofd_ie_specialise(struct ofd_ie_plan *plan, struct ofd_ie_step *steps);

/* Length of the variable-length record at p (at most `left` bytes), or 0 if it does not fit. */
size_t ofd_ie_var_len(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, const uint8_t *p,
		      size_t left);

/*
 * Apply a plan to one record of the plan's length (variable plans: as measured by
 * ofd_ie_var_len). Sets the fields, not their present bits: the caller sets plan->present
 * (once per set, with its own bits; see ofd_tmpl_data). Fills aux (aux->have must be 0 on entry)
 * when plan->aux.
 */
void ofd_ie_apply(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, const uint8_t *p,
		  struct ofd_flow *f, struct ofd_ie_aux *aux, const struct ofd_ie_ctx *ctx);

/*
 * Finish a record: uptime-relative times (modulo 2^32 around the export time), the export time for
 * a missing end (and the end for a missing start), etype from the non-zero address, ICMP
 * type/code from dst_port when the ICMP elements are absent or zero.
 */
void ofd_ie_post(struct ofd_flow *f, const struct ofd_ie_aux *aux, const struct ofd_ie_ctx *ctx);

/*
 * Sampling rate (1 in N packets) an options (or data) record states, 0 if none. With
 * selectorAlgorithm (304, RFC 5477): 1 systematic count-based, (305 + 306) / 305; 2 systematic
 * time-based, the same from 305/306, else (307 + 308) / 307; 3 random n-out-of-N, 310 / 309
 * (rounded); 4 uniform probabilistic (and 5 when it carries one), 1 / samplingProbability (311,
 * rounded). Without 304, or when the algorithm's own elements are missing: 310/309, 305/306,
 * 307/308, 311, in that order. Last: samplingInterval (34) or v9 FLOW_SAMPLER_RANDOM_INTERVAL
 * (50); samplingAlgorithm / FLOW_SAMPLER_MODE (35/49, deterministic or random) do not change
 * it. Clamped to UINT32_MAX.
 */
uint32_t ofd_ie_rate(const struct ofd_ie_aux *aux);

/* ---- RFC 5103 biflows (ie_biflow.c) ---- */

#define OFD_IE_PEN_REVERSE 29305 /* RFC 5103: reverse elements, same ids as their forward ones */

/*
 * A template's reverse side: a second plan over the same record bytes whose steps are its
 * reverse elements (pen 29305) mapped to the kinds of their forward ids, and where
 * biflowDirection (239) is. Reverse elements that name no per-direction value (sampling, the
 * system init time, engine, observation point, flowDirection, ipVersion, the addresses of the
 * key) become skips.
 */
struct ofd_ie_biflow {
	struct ofd_ie_plan plan;
	uint32_t dir_at;  /* biflowDirection: fixed plans its offset, variable plans its step index */
	uint16_t dir_len; /* 0: the template has no biflowDirection */
};

/*
 * Compile the reverse side of n fields (an IPFIX data template: v9 has no enterprise elements)
 * into *bi and steps[] (room for n steps), with scratch room for n fields. Returns 1 when the
 * template has a reverse octet or packet count (records get a reverse record), 0 when not (no
 * second plan: the template decodes as a uniflow one; *bi is then undefined), or OFD_EFORMAT as
 * ofd_ie_compile(). A template without enterprise-29305 fields costs one pass over its fields.
 */
int ofd_ie_biflow_compile(const struct ofd_tmpl_field *f, uint32_t n, struct ofd_ie_biflow *bi,
			  struct ofd_ie_step *steps, struct ofd_tmpl_field *scratch);

/* biflowDirection of record p (measured like any record of its template), or -1 if none. */
int ofd_ie_biflow_dir(const struct ofd_ie_biflow *bi, const struct ofd_ie_step *steps, const uint8_t *p);

/*
 * Start reverse record r (zeroed) from finished forward record f: the key swapped (addresses,
 * ports, MACs, AS, prefix lengths, VLANs, interfaces, VRFs; the next hops stay), the message's
 * and the forward record's non-directional values (proto, tos, times, etype, sampling rate,
 * forwarding status, ...) copied, and the values a direction measures on its own packets left
 * unset (counters, TCP flags, TTL, fragment, IP flags, flow label, ICMP type/code, MPLS label),
 * for the reverse plan to fill.
 */
void ofd_ie_biflow_start(struct ofd_flow *r, const struct ofd_flow *f);

/* biflowDirection (RFC 5103: 0 arbitrary, 1 initiator, 2 reverseInitiator, 3 perimeter) as the
   reverse record states it: the source and destination swap, so do 1 and 2; -1 for 3 (no value
   says "the destination is inside"). */
int ofd_ie_biflow_dir_reverse(int dir);

/*
 * Packet sections (RFC 7133, ie_section.c). ofd_ie_section_put() keeps an element of the kinds
 * OFD_IE_SEC_L2 .. OFD_IE_SEC_OCTETS (n bytes at p, which must stay valid until the record's
 * ofd_ie_post) in a->sec: the first section of each kind, the last value of the others. Its
 * arguments are apply_one's (ie.c), in the same order, so that the call needs no moves and the
 * per-step dispatch of the other kinds stays as short as before (f and c are unused).
 * ofd_ie_section_post() runs the packet parser on the sections and fills the fields the record
 * does not carry itself (see ie_section.c for the precedence).
 */
void ofd_ie_section_put(struct ofd_flow *f, struct ofd_ie_aux *a, const struct ofd_ie_ctx *c, unsigned kind,
			const uint8_t *p, uint32_t n);
void ofd_ie_section_post(struct ofd_flow *f, const struct ofd_ie_aux *a);

#endif
