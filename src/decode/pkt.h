/*
 * Packet headers: parse a captured frame (a pcap frame, or an sFlow sampled header) through
 * its link layer, 802.1Q/QinQ tags, MPLS labels, IPv4/IPv6 and TCP/UDP/ICMP/ICMPv6, as far as
 * the bytes go. Sampled headers are cut short on purpose (often at 128 bytes), so running out
 * of bytes after the IP header is not an error: the fields seen so far are kept.
 */
#ifndef OFD_PKT_H
#define OFD_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

/* Link types, numbered as pcap's LINKTYPE_* values. */
enum ofd_link {
	OFD_LINK_NULL = 0, /* BSD loopback: 4-byte address family in host byte order */
	OFD_LINK_ETHERNET = 1,
	OFD_LINK_RAW = 101,  /* raw IPv4 or IPv6 */
	OFD_LINK_LOOP = 108, /* OpenBSD loopback: family in network byte order */
	OFD_LINK_SLL = 113,  /* Linux cooked v1 */
	OFD_LINK_SLL2 = 276, /* Linux cooked v2 */
	OFD_LINK_IPV4 = 228,
	OFD_LINK_IPV6 = 229,
};

/* Which layers were seen (bits of ofd_pkt.layers). */
enum {
	OFD_PKT_L2 = 1 << 0, /* MACs present (Ethernet) */
	OFD_PKT_VLAN = 1 << 1,
	OFD_PKT_MPLS = 1 << 2,
	OFD_PKT_IP = 1 << 3,   /* a complete IPv4 or IPv6 header */
	OFD_PKT_L4 = 1 << 4,   /* ports / ICMP type and code / TCP flags */
	OFD_PKT_FRAG = 1 << 5, /* a fragment: MF set or non-zero offset (IPv4), fragment header (IPv6) */
};

struct ofd_pkt {
	unsigned layers;
	uint64_t src_mac, dst_mac;
	uint16_t vlan;	     /* outermost 802.1Q VLAN id */
	uint16_t etype;	     /* EtherType of the network layer (after tags), 0x0800 or 0x86dd for IP */
	uint32_t mpls_label; /* top label */
	struct ofd_ip src, dst;
	uint8_t proto; /* IPv4 protocol / IPv6 final next header */
	uint8_t tos;   /* IPv4 TOS / IPv6 traffic class */
	uint8_t ttl;   /* TTL / hop limit */
	uint8_t ip_flags;
	uint16_t frag_offset;
	uint32_t frag_id;
	uint32_t flow_label;
	uint16_t ip_len; /* IP total length from the header (IPv6: payload length + 40) */
	uint16_t src_port, dst_port;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	/* UDP payload, bounded by the UDP length and the bytes captured (NULL if not UDP) */
	const uint8_t *udp_payload;
	size_t udp_payload_len;
	uint16_t udp_len; /* from the UDP header (payload + 8) */
};

/*
 * Parse `len` bytes of a frame of link type `link`. Returns 0 when the IP header was parsed
 * (L4 as far as present), OFD_ETRUNC when the bytes end before a complete IP header,
 * OFD_EFORMAT for an impossible header, OFD_EUNSUPPORTED for a link type or network layer we
 * do not read (ARP, ...). Fields of the layers seen are set in every case.
 */
int ofd_pkt_parse(struct ofd_pkt *p, int link, const uint8_t *data, size_t len);

#endif
