/*
 * The flow record: one fixed-size struct per flow, goflow2 FlowMessage field names.
 *
 * Addresses are 16 bytes plus a family; IPv4 is stored v4-mapped (::ffff:a.b.c.d) so that one
 * comparison and one prefix trie serve both families. Times are ns since the epoch. Counters are
 * u64. `present` says which fields the exporter really sent (bit OFD_F_x for field x).
 */
#ifndef OFD_FLOW_H
#define OFD_FLOW_H

#include "api.h"

#include <stdint.h>
#include <string.h>

enum ofd_flow_type {
	OFD_FT_UNKNOWN = 0,
	OFD_FT_SFLOW_5 = 1,
	OFD_FT_NETFLOW_V5 = 2,
	OFD_FT_NETFLOW_V9 = 3,
	OFD_FT_IPFIX = 4,
};

enum { OFD_AF_NONE = 0, OFD_AF_INET = 4, OFD_AF_INET6 = 6 };

struct ofd_ip {
	uint8_t family; /* OFD_AF_* */
	uint8_t b[16];	/* network order; IPv4 as ::ffff:a.b.c.d */
};

/* Field bits for `present`; also the field ids used by formatters and filters. */
enum ofd_field {
	OFD_F_TYPE,
	OFD_F_TIME_RECEIVED,
	OFD_F_SEQUENCE_NUM,
	OFD_F_SAMPLING_RATE,
	OFD_F_SAMPLER_ADDRESS,
	OFD_F_TIME_FLOW_START,
	OFD_F_TIME_FLOW_END,
	OFD_F_BYTES,
	OFD_F_PACKETS,
	OFD_F_SRC_ADDR,
	OFD_F_DST_ADDR,
	OFD_F_ETYPE,
	OFD_F_PROTO,
	OFD_F_SRC_PORT,
	OFD_F_DST_PORT,
	OFD_F_IN_IF,
	OFD_F_OUT_IF,
	OFD_F_SRC_MAC,
	OFD_F_DST_MAC,
	OFD_F_SRC_VLAN,
	OFD_F_DST_VLAN,
	OFD_F_VLAN_ID,
	OFD_F_IP_TOS,
	OFD_F_FORWARDING_STATUS,
	OFD_F_IP_TTL,
	OFD_F_IP_FLAGS,
	OFD_F_TCP_FLAGS,
	OFD_F_ICMP_TYPE,
	OFD_F_ICMP_CODE,
	OFD_F_IPV6_FLOW_LABEL,
	OFD_F_FRAGMENT_ID,
	OFD_F_FRAGMENT_OFFSET,
	OFD_F_SRC_AS,
	OFD_F_DST_AS,
	OFD_F_NEXT_HOP,
	OFD_F_NEXT_HOP_AS,
	OFD_F_SRC_NET,
	OFD_F_DST_NET,
	OFD_F_BGP_NEXT_HOP,
	OFD_F_MPLS_LABEL,
	OFD_F_OBSERVATION_DOMAIN_ID,
	OFD_F_OBSERVATION_POINT_ID,
	OFD_F_ENGINE_TYPE,
	OFD_F_ENGINE_ID,
	/* enriched fields (flowpipeline's EnrichedFlow), set by decoders where the export has them */
	OFD_F_IN_IF_NAME,
	OFD_F_IN_IF_DESC,
	OFD_F_IN_IF_SPEED,
	OFD_F_OUT_IF_NAME,
	OFD_F_OUT_IF_DESC,
	OFD_F_OUT_IF_SPEED,
	OFD_F_SRC_CID,
	OFD_F_DST_CID,
	OFD_F_SRC_VRF,
	OFD_F_DST_VRF,
	OFD_F_MED,
	OFD_F_LOCAL_PREF,
	OFD_F_AS_PATH,
	OFD_F_SRC_COUNTRY,
	OFD_F_DST_COUNTRY,
	OFD_F_FLOW_DIRECTION,
	OFD_F_NORMALIZED,
	OFD_F_RPKI,
	OFD_F__COUNT
};

#define OFD_BIT(f) (UINT64_C(1) << (f))

#define OFD_AS_PATH_MAX 12 /* AS path entries kept; longer paths keep their first entries */

enum ofd_direction { OFD_DIR_INGRESS = 0, OFD_DIR_EGRESS = 1 };

/* RFC 6811 route origin validation state, as an enricher found it. */
enum ofd_rpki { OFD_RPKI_UNKNOWN = 0, OFD_RPKI_VALID, OFD_RPKI_INVALID, OFD_RPKI_NOTFOUND };

struct ofd_flow {
	uint64_t present;
	uint64_t time_received_ns;
	uint64_t time_flow_start_ns;
	uint64_t time_flow_end_ns;
	uint64_t bytes;
	uint64_t packets;
	/* hot for the odds and for filters: in the first cache line with the counters */
	uint32_t sampling_rate;
	uint8_t normalized; /* 1: bytes/packets were scaled by sampling_rate */
	uint8_t type;	    /* enum ofd_flow_type */
	uint8_t proto;
	uint8_t tcp_flags;
	uint64_t src_mac; /* 48 bits, most significant byte first */
	uint64_t dst_mac;

	struct ofd_ip sampler_address; /* the exporter (sFlow: agent address) */
	struct ofd_ip src_addr;
	struct ofd_ip dst_addr;
	struct ofd_ip next_hop;
	struct ofd_ip bgp_next_hop;

	uint32_t sequence_num;
	uint32_t observation_domain_id;
	uint32_t observation_point_id;
	uint32_t in_if;
	uint32_t out_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint32_t next_hop_as;
	uint32_t ipv6_flow_label;
	uint32_t fragment_id;
	uint32_t mpls_label; /* top label, 20 bits */

	uint16_t etype;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t src_vlan;
	uint16_t dst_vlan;
	uint16_t vlan_id;
	uint16_t fragment_offset;

	uint8_t ip_tos;
	uint8_t ip_ttl;
	uint8_t ip_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t forwarding_status;
	uint8_t src_net; /* prefix length */
	uint8_t dst_net;
	uint8_t engine_type;
	uint8_t engine_id;

	/*
	 * Enriched fields. Strings point at immutable text owned by the segment that set them
	 * and kept until the pipeline ends (enrichers intern their strings); NULL when unset.
	 */
	uint8_t flow_direction; /* enum ofd_direction */
	uint8_t rpki;		/* enum ofd_rpki */
	uint8_t as_path_len;
	char src_country[2]; /* ISO 3166 alpha-2, not terminated */
	char dst_country[2];
	uint32_t src_cid; /* customer ids */
	uint32_t dst_cid;
	uint32_t src_vrf; /* ingressVRFID */
	uint32_t dst_vrf; /* egressVRFID */
	uint32_t med;
	uint32_t local_pref;
	uint32_t as_path[OFD_AS_PATH_MAX];
	uint64_t in_if_speed; /* bit/s */
	uint64_t out_if_speed;
	const char *in_if_name;
	const char *in_if_desc;
	const char *out_if_name;
	const char *out_if_desc;
};

static inline void ofd_ip_set4(struct ofd_ip *ip, const uint8_t v4[4])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	ip->family = OFD_AF_INET;
	memcpy(ip->b, mapped, 12);
	memcpy(ip->b + 12, v4, 4);
}

static inline void ofd_ip_set4u(struct ofd_ip *ip, uint32_t v4)
{
	uint8_t b[4] = {(uint8_t)(v4 >> 24), (uint8_t)(v4 >> 16), (uint8_t)(v4 >> 8), (uint8_t)v4};
	ofd_ip_set4(ip, b);
}

static inline void ofd_ip_set6(struct ofd_ip *ip, const uint8_t v6[16])
{
	ip->family = OFD_AF_INET6;
	memcpy(ip->b, v6, 16);
}

static inline uint32_t ofd_ip_v4(const struct ofd_ip *ip)
{
	return (uint32_t)ip->b[12] << 24 | (uint32_t)ip->b[13] << 16 | (uint32_t)ip->b[14] << 8 | ip->b[15];
}

/* Text form of an address ("" for none); buf must hold OFD_IP_STRLEN bytes. Returns length. */
#define OFD_IP_STRLEN 46
OFD_API int ofd_ip_str(const struct ofd_ip *ip, char *buf);

/* Parse "a.b.c.d" or an IPv6 literal. Returns 0 or OFD_EFORMAT. */
OFD_API int ofd_ip_parse(struct ofd_ip *ip, const char *s);

/* Names for the type field, as goflow2 writes them. */
OFD_API const char *ofd_flow_type_name(unsigned type);

/* ICMP type/code from a destination port as some exporters encode them (type << 8 | code). */
static inline void ofd_flow_icmp_from_port(struct ofd_flow *f)
{
	if ((f->proto == 1 || f->proto == 58) && !(f->present & OFD_BIT(OFD_F_ICMP_TYPE))) {
		f->icmp_type = (uint8_t)(f->dst_port >> 8);
		f->icmp_code = (uint8_t)f->dst_port;
		f->present |= OFD_BIT(OFD_F_ICMP_TYPE) | OFD_BIT(OFD_F_ICMP_CODE);
	}
}

#endif
