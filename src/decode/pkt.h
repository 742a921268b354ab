/*
 * Packet headers: parse a captured frame (a pcap frame, or an sFlow sampled header) through
 * its link layer, 802.1Q/QinQ tags, MPLS labels, IPv4/IPv6 and TCP/UDP/ICMP/ICMPv6, as far as
 * the bytes go. After the bottom of an MPLS stack: a pseudowire control word (first nibble 0,
 * 4 bytes) and an Ethernet frame (EoMPLS, EVPN; once: a control word inside it ends the walk), or
 * IPv4/IPv6 by their first nibble. Sampled headers are cut short on purpose (often at 128 bytes), so running
 * out of bytes after the IP header is not an error: the fields seen so far are kept.
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
	/* Not pcap link types (no DLT maps to them): packet sections of NetFlow v9 / IPFIX (RFC 7133) */
	OFD_LINK_MPLS = 0x10000,	 /* an MPLS label stack, then what follows its bottom */
	OFD_LINK_MPLS_PAYLOAD = 0x10001, /* what follows a stack's bottom: control word + Ethernet, or IP */
};

/* Which layers were seen (bits of ofd_pkt.layers). */
enum {
	OFD_PKT_L2 = 1 << 0, /* MACs present (Ethernet) */
	OFD_PKT_VLAN = 1 << 1,
	OFD_PKT_MPLS = 1 << 2,
	OFD_PKT_IP = 1 << 3,   /* a complete IPv4 or IPv6 header */
	OFD_PKT_L4 = 1 << 4,   /* ports / ICMP type and code / TCP flags */
	OFD_PKT_FRAG = 1 << 5, /* a fragment: MF set or non-zero offset (IPv4), fragment header (IPv6) */
	OFD_PKT_PW = 1 << 6,   /* a pseudowire control word and an Ethernet frame after the MPLS stack */
};

/* Label stack entries kept (a deeper stack is walked, its first OFD_PKT_MPLS_MAX entries kept). */
#define OFD_PKT_MPLS_MAX 10

struct ofd_pkt {
	unsigned layers;
	uint64_t src_mac, dst_mac;
	uint16_t vlan;	     /* outermost 802.1Q VLAN id */
	uint16_t etype;	     /* EtherType of the network layer (after tags), 0x0800 or 0x86dd for IP */
	uint32_t mpls_label; /* top label */
	uint8_t mpls_n;	     /* entries in mpls[] */
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
	uint16_t tcp_flags; /* the 8 flag bits of byte 13, NS (byte 12's low bit) as 0x100 */
	uint8_t icmp_type, icmp_code;
	/* UDP payload, bounded by the UDP length and the bytes captured (NULL if not UDP) */
	const uint8_t *udp_payload;
	size_t udp_payload_len;
	uint16_t udp_len; /* from the UDP header (payload + 8) */
	/* the outermost label stack, top first, each entry as on the wire: label << 12 | exp << 9 |
	   s << 8 | ttl (a stack inside a pseudowire's Ethernet frame is walked, not kept); the
	   entries from mpls_n on are not cleared (the parser clears the members before this one) */
	uint32_t mpls[OFD_PKT_MPLS_MAX];
};

/*
 * Parse `len` bytes of a frame of link type `link`. Returns 0 when the IP header was parsed
 * (L4 as far as present), OFD_ETRUNC when the bytes end before a complete IP header,
 * OFD_EFORMAT for an impossible header, OFD_EUNSUPPORTED for a link type or network layer we
 * do not read (ARP, ...). Fields of the layers seen are set in every case.
 */
int ofd_pkt_parse(struct ofd_pkt *p, int link, const uint8_t *data, size_t len);

/*
 * Parse `len` bytes that follow an IP header carrying protocol `proto` (an IP payload section):
 * TCP, UDP, SCTP, UDP-Lite ports and TCP flags, ICMP / ICMPv6 type and code, into *p, cleared
 * first (p->proto = proto). Returns 0 when they were read (OFD_PKT_L4), else OFD_ETRUNC.
 */
int ofd_pkt_parse_l4(struct ofd_pkt *p, uint8_t proto, const uint8_t *data, size_t len);

/*
 * The packet's label stack (entries with their TTLs, top first) into f->mpls_stack with its
 * present bit; nothing when the packet had no stack or f has one already.
 */
void ofd_pkt_put_mpls(struct ofd_flow *f, const struct ofd_pkt *p);

#endif
