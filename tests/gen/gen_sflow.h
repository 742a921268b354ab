/*
 * Builders of sFlow v5 datagrams and of the frames they sample (Ethernet, 802.1Q/QinQ tags,
 * MPLS, IPv4 with options, IPv6 with extension headers, TCP, UDP, ICMP, ICMPv6), for tests,
 * fuzz seeds and benchmarks. Everything is appended to a struct gen_buf, big-endian.
 */
#ifndef OFD_GEN_SFLOW_H
#define OFD_GEN_SFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "gen.h"
#include "ofd/flow.h"

/* ---- frames ---- */

/* Ethernet header: MACs (48 bits, most significant byte first) and the EtherType. */
void gen_eth(struct gen_buf *g, uint64_t dst, uint64_t src, uint16_t etype);
/* One 802.1Q/802.1ad tag body (TCI), followed by the next EtherType. */
void gen_vlan(struct gen_buf *g, uint16_t tci, uint16_t next_etype);
/* One MPLS label stack entry. */
void gen_mpls(struct gen_buf *g, uint32_t label, uint8_t tc, int bos, uint8_t ttl);

struct gen_ip4 {
	uint32_t src, dst;
	uint8_t proto, tos, ttl;
	uint16_t id;
	uint8_t flags;	      /* 3 bits: reserved, DF (2), MF (1) */
	uint16_t frag_offset; /* in 8-byte units */
	uint8_t opt_words;    /* IPv4 options: this many 4-byte words of NOPs (0..10) */
	uint16_t total_len;   /* 0: header + payload_len */
};
/* IPv4 header (with checksum); payload_len is the L4 header + data that will follow. */
void gen_ipv4(struct gen_buf *g, const struct gen_ip4 *h, size_t payload_len);

struct gen_ip6 {
	uint8_t src[16], dst[16];
	uint8_t next; /* next header of the base header */
	uint8_t tclass, hlim;
	uint32_t flow_label;
	uint16_t payload_len; /* covers the extension headers too */
};
void gen_ipv6(struct gen_buf *g, const struct gen_ip6 *h);
/* An 8-byte IPv6 extension header (hop-by-hop, routing, destination options: padding body). */
void gen_ipv6_ext(struct gen_buf *g, uint8_t next, size_t len8);
/* IPv6 fragment header: offset in 8-byte units, M flag, identification. */
void gen_ipv6_frag(struct gen_buf *g, uint8_t next, uint16_t offset, int more, uint32_t id);

void gen_tcp(struct gen_buf *g, uint16_t sport, uint16_t dport, uint8_t flags);
/* UDP header; udp_len 0 means 8 + payload_len. */
void gen_udp(struct gen_buf *g, uint16_t sport, uint16_t dport, size_t payload_len, uint16_t udp_len);
void gen_icmp(struct gen_buf *g, uint8_t type, uint8_t code);

/* A whole frame: Ethernet (optional tags), IPv4 or IPv6, then TCP / UDP / ICMP / ICMPv6. */
struct gen_frame {
	uint64_t dst_mac, src_mac;
	uint16_t vlan;		  /* 0: untagged */
	uint16_t outer_vlan;	  /* 0: no 802.1ad outer tag */
	uint32_t mpls_label;	  /* 0: no MPLS */
	int v6;			  /* 0: IPv4 */
	uint8_t src[16], dst[16]; /* IPv4: the first 4 bytes */
	uint8_t proto, tos, ttl;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload; /* may be NULL: payload_len zero bytes */
	size_t payload_len;
};
void gen_frame(struct gen_buf *g, const struct gen_frame *f);

/* ---- sFlow v5 ---- */

struct gen_sflow_hdr {
	struct ofd_ip agent; /* IPv4 (set with ofd_ip_set4u) or IPv6 */
	uint32_t sub_agent, seq, uptime_ms;
};

struct gen_sflow_fs {
	int expanded;
	uint32_t seq;
	uint32_t src_type, src_index;
	uint32_t rate, pool, drops;
	uint32_t in_fmt, in, out_fmt, out; /* compact form: format in bits 30-31 */
};

/* Builder state: offsets of the length and count fields still to fill in. */
struct gen_sflow {
	struct gen_buf *g;
	size_t nsamples_off, sample_off, nrec_off;
	uint32_t nsamples, nrec;
};

void gen_sflow_begin(struct gen_sflow *s, struct gen_buf *g, const struct gen_sflow_hdr *h);
/* Fill in the sample count. */
void gen_sflow_end(struct gen_sflow *s);

/* A flow sample; records follow, then gen_sflow_sample_end. */
void gen_sflow_flow_begin(struct gen_sflow *s, const struct gen_sflow_fs *fs);
/* A counter sample (expanded or not); records follow (gen_sflow_rec_if_counters). */
void gen_sflow_counter_begin(struct gen_sflow *s, int expanded, uint32_t seq, uint32_t src_type,
			     uint32_t src_index);
/* Fill in the sample length and record count. */
void gen_sflow_sample_end(struct gen_sflow *s);
/* A whole sample of any tag with an opaque body. */
void gen_sflow_sample_opaque(struct gen_sflow *s, uint32_t tag, const void *body, size_t len);

void gen_sflow_rec_raw(struct gen_sflow *s, uint32_t proto, uint32_t frame_len, uint32_t stripped,
		       const uint8_t *hdr, size_t hlen);
void gen_sflow_rec_eth(struct gen_sflow *s, uint32_t len, uint64_t src_mac, uint64_t dst_mac, uint32_t type);
struct gen_sflow_ip {
	uint32_t len, proto;
	struct ofd_ip src, dst; /* both of the record's family */
	uint32_t sport, dport, tcp_flags, tos;
};
void gen_sflow_rec_ip(struct gen_sflow *s, const struct gen_sflow_ip *ip);
void gen_sflow_rec_switch(struct gen_sflow *s, uint32_t src_vlan, uint32_t src_prio, uint32_t dst_vlan,
			  uint32_t dst_prio);
void gen_sflow_rec_router(struct gen_sflow *s, const struct ofd_ip *nh, uint32_t src_mask, uint32_t dst_mask);
/* Extended gateway: segs[i] ASes in segment i (type 2 = sequence), all ASes in `path`. */
void gen_sflow_rec_gateway(struct gen_sflow *s, const struct ofd_ip *nh, uint32_t as, uint32_t src_as,
			   uint32_t src_peer_as, const uint32_t *segs, uint32_t nseg, const uint32_t *path);
/* Generic interface counters (0:1) with ifIndex and a few counters. */
void gen_sflow_rec_if_counters(struct gen_sflow *s, uint32_t ifindex, uint64_t in_octets,
			       uint64_t out_octets);
void gen_sflow_rec_opaque(struct gen_sflow *s, uint32_t tag, const void *body, size_t len);

/* Quick one-sample datagram: a compact flow sample with a raw Ethernet header of `f`. */
void gen_sflow_simple(struct gen_buf *g, const struct gen_sflow_hdr *h, const struct gen_sflow_fs *fs,
		      const struct gen_frame *f, uint32_t frame_len);

#endif
