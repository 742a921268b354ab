/*
 * mkfidelity OUT.pcap
 *
 * Writes a small Ethernet capture for the exporter fidelity tests (tests/e2e/test_fidelity_*.sh):
 * the fields that issue 12 is about, each in a flow of its own, all within the first second
 * after 1700000000 (so that no exporter splits a flow by its timeouts), times with sub-millisecond
 * parts:
 *
 *   - IPv4 TCP in 802.1Q VLAN 100, DF set, TOS 0xb8: SYN|ECE|CWR, PSH|ACK with data, FIN|ACK
 *     (tcp_flags 0xdb; the FIN also with NS, 0x100, which flow exporters' 1-byte tcpControlBits
 *     cannot carry), and its reverse flow SYN|ACK|ECE, ACK (0x52);
 *   - IPv6 UDP (5000 -> 9000) in VLAN 200 with traffic class 0x20 (three datagrams);
 *   - an IPv4 UDP datagram cut into two fragments (the first with MF and the UDP header, the
 *     second at offset 1008 without), and an unfragmented one with DF clear;
 *   - ICMP destination unreachable 3/3 (port unreachable, with the quoted header), time
 *     exceeded 11/0 and an echo request 8/0, each to its own destination;
 *   - ICMPv6 destination unreachable 1/4 and an echo request 128/0.
 *
 * The same bytes on every run. Prints the number of packets written.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define BASE_S 1700000000u

enum {
	TH_FIN = 0x01,
	TH_SYN = 0x02,
	TH_RST = 0x04,
	TH_PSH = 0x08,
	TH_ACK = 0x10,
	TH_ECE = 0x40,
	TH_CWR = 0x80
};

/* One packet: addresses as text, the transport part filled in by the builder. */
struct spec {
	uint32_t t_us;	 /* after BASE_S */
	uint16_t vlan;	 /* 0: untagged */
	const char *src; /* IPv4 dotted quad or IPv6 text */
	const char *dst;
	uint8_t proto;
	uint8_t tos;
	uint16_t sport, dport; /* TCP/UDP; for ICMP: type and code */
	uint8_t tcpflags;
	uint16_t frag;	   /* IPv4 flags and fragment offset field as sent (0x4000 = DF) */
	uint16_t payload;  /* transport payload bytes (after the L4 header) */
	uint16_t l4_total; /* for a fragmented UDP datagram: the whole UDP length; else 0 */
	int no_l4;	   /* a non-first fragment: payload only */
	int ns;		   /* TCP: the NS bit (RFC 3540, the low bit of byte 12) */
};

static const struct spec pkts[] = {
    {100250, 100, "10.2.0.1", "192.0.2.10", 6, 0xb8, 41000, 80, TH_SYN | TH_ECE | TH_CWR, 0x4000, 0, 0, 0, 0},
    {101375, 100, "192.0.2.10", "10.2.0.1", 6, 0xb8, 80, 41000, TH_SYN | TH_ACK | TH_ECE, 0x4000, 0, 0, 0, 0},
    {102500, 100, "10.2.0.1", "192.0.2.10", 6, 0xb8, 41000, 80, TH_PSH | TH_ACK, 0x4000, 200, 0, 0, 0},
    {103625, 100, "192.0.2.10", "10.2.0.1", 6, 0xb8, 80, 41000, TH_ACK, 0x4000, 1200, 0, 0, 0},
    {350875, 100, "10.2.0.1", "192.0.2.10", 6, 0xb8, 41000, 80, TH_FIN | TH_ACK, 0x4000, 0, 0, 0, 1},
    {200125, 200, "2001:db8:10::1", "2001:db8:20::2", 17, 0x20, 5000, 9000, 0, 0, 40, 0, 0, 0},
    {260750, 200, "2001:db8:10::1", "2001:db8:20::2", 17, 0x20, 5000, 9000, 0, 0, 44, 0, 0, 0},
    {420333, 200, "2001:db8:10::1", "2001:db8:20::2", 17, 0x20, 5000, 9000, 0, 0, 48, 0, 0, 0},
    {300100, 0, "10.2.0.2", "192.0.2.20", 17, 0, 7000, 7001, 0, 0x2000, 1000, 1308, 0, 0},
    {300400, 0, "10.2.0.2", "192.0.2.20", 17, 0, 7000, 7001, 0, 1008 / 8, 300, 0, 1, 0},
    {305900, 0, "10.2.0.2", "192.0.2.21", 17, 0x04, 7002, 7003, 0, 0, 120, 0, 0, 0},
    {500500, 0, "10.2.0.3", "192.0.2.30", 1, 0, 3, 3, 0, 0x4000, 0, 0, 0, 0},
    {510500, 0, "10.2.0.3", "192.0.2.31", 1, 0, 11, 0, 0, 0x4000, 0, 0, 0, 0},
    {520500, 0, "10.2.0.3", "192.0.2.32", 1, 0, 8, 0, 0, 0x4000, 56, 0, 0, 0},
    {600600, 0, "2001:db8:20::2", "2001:db8:10::1", 58, 0, 1, 4, 0, 0, 0, 0, 0, 0},
    {610600, 0, "2001:db8:20::2", "2001:db8:10::3", 58, 0, 128, 0, 0, 0, 32, 0, 0, 0},
};

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Append the transport header and payload of s to g. */
static void build_l4(struct gen_buf *g, const struct spec *s, int v6)
{
	size_t i;
	if (s->no_l4) {
		for (i = 0; i < s->payload; i++)
			gen_u8(g, (uint8_t)(i * 5 + 3));
		return;
	}
	if (s->proto == 6) {
		gen_u16(g, s->sport);
		gen_u16(g, s->dport);
		gen_u32(g, 0x1000u + s->t_us);
		gen_u32(g, (s->tcpflags & TH_ACK) ? 0x2000u : 0);
		gen_u8(g, (uint8_t)(5 << 4 | (s->ns ? 1 : 0)));
		gen_u8(g, s->tcpflags);
		gen_u16(g, 64240);
		gen_u32(g, 0); /* checksum, urgent pointer */
	} else if (s->proto == 17) {
		gen_u16(g, s->sport);
		gen_u16(g, s->dport);
		gen_u16(g, s->l4_total ? s->l4_total : (uint16_t)(8 + s->payload));
		gen_u16(g, 0);
	} else {
		gen_u8(g, (uint8_t)s->sport);
		gen_u8(g, (uint8_t)s->dport);
		gen_u16(g, 0);
		gen_u32(g, (s->sport == 8 || s->sport == 128) ? 0x77000001u : 0); /* id/seq or unused */
		if (s->sport == 3 || s->sport == 11 || (v6 && s->sport == 1)) {
			/* the quoted header of the offending packet: IPv4 or IPv6 with UDP */
			static const uint8_t q4[28] = {0x45, 0,	   0,	 28,   0, 1,  0,  0, 1, 17,
						       0,    0,	   192,	 0,    2, 30, 10, 2, 0, 3,
						       0x9c, 0x40, 0x82, 0x35, 0, 8,  0,  0};
			static const uint8_t q6[48] = {
			    0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0,
			    0,	  0, 0, 0, 0, 0, 0,  1,	 0x20, 0x01, 0x0d, 0xb8, 0, 0x20, 0, 0,
			    0,	  0, 0, 0, 0, 0, 0,  2,	 0x9c, 0x41, 0x82, 0x35, 0, 8,	  0, 0};
			if (v6)
				gen_bytes(g, q6, sizeof(q6));
			else
				gen_bytes(g, q4, sizeof(q4));
		}
	}
	for (i = 0; i < s->payload; i++)
		gen_u8(g, (uint8_t)(i * 7 + s->sport));
}

static int parse_addr(const char *txt, uint8_t *a)
{
	if (inet_pton(AF_INET, txt, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, txt, a) == 1)
		return 16;
	return -1;
}

/* The L4 checksum (or ICMP's) into the built segment. */
static void fix_csum(uint8_t *l4, size_t len, const struct spec *s, const uint8_t *src, const uint8_t *dst,
		     int alen)
{
	size_t off = s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2;
	uint32_t sum = 0;
	uint16_t cs;
	if (s->no_l4 || s->frag & 0x2000)
		return; /* a fragment: the checksum covers the whole datagram; leave it 0 (UDP: none) */
	if (s->proto != 1) {
		sum = sum16(sum16(0, src, (size_t)alen), dst, (size_t)alen);
		sum += s->proto + (uint32_t)len;
	}
	cs = fold(sum16(sum, l4, len));
	if (s->proto == 17 && cs == 0)
		cs = 0xffff;
	l4[off] = (uint8_t)(cs >> 8);
	l4[off + 1] = (uint8_t)cs;
}

static int build(struct gen_buf *g, const struct spec *s, uint16_t ip_id)
{
	uint8_t src[16], dst[16];
	int alen = parse_addr(s->src, src);
	if (alen < 0 || parse_addr(s->dst, dst) != alen)
		return -1;
	gen_reset(g);
	gen_u32(g, 0x02000000u | (uint32_t)dst[alen - 1]); /* destination MAC 02:00:00:00:00:xx */
	gen_u16(g, 0x0000);
	gen_u32(g, 0x02000000u | (uint32_t)src[alen - 1]);
	gen_u16(g, 0x0001);
	if (s->vlan) {
		gen_u16(g, 0x8100);
		gen_u16(g, (uint16_t)(3u << 13 | s->vlan)); /* priority 3 */
	}
	gen_u16(g, alen == 4 ? 0x0800 : 0x86dd);
	size_t ip = g->len, ihl = alen == 4 ? 20 : 40;
	for (size_t i = 0; i < ihl; i++)
		gen_u8(g, 0);
	size_t l4 = g->len;
	build_l4(g, s, alen == 16);
	size_t l4len = g->len - l4;
	fix_csum(g->p + l4, l4len, s, src, dst, alen);
	uint8_t *h = g->p + ip;
	if (alen == 4) {
		h[0] = 0x45;
		h[1] = s->tos;
		gen_put16(g, ip + 2, (uint16_t)(20 + l4len));
		gen_put16(g, ip + 4, ip_id);
		gen_put16(g, ip + 6, s->frag);
		h[8] = 64;
		h[9] = s->proto;
		memcpy(h + 12, src, 4);
		memcpy(h + 16, dst, 4);
		gen_put16(g, ip + 10, fold(sum16(0, h, 20)));
	} else {
		gen_put32(g, ip, 6u << 28 | (uint32_t)s->tos << 20 | 0x0abcdu);
		gen_put16(g, ip + 4, (uint16_t)l4len);
		h[6] = s->proto;
		h[7] = 64;
		memcpy(h + 8, src, 16);
		memcpy(h + 24, dst, 16);
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = sizeof(pkts) / sizeof(pkts[0]), order[sizeof(pkts) / sizeof(pkts[0])];
	if (argc != 2) {
		fprintf(stderr, "usage: mkfidelity OUT.pcap\n");
		return 2;
	}
	/* time order (insertion sort of the indices) */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && pkts[order[j - 1]].t_us > pkts[i].t_us) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pd)
		return 1;
	pcap_dumper_t *out = pcap_dump_open(pd, argv[1]);
	if (!out) {
		fprintf(stderr, "mkfidelity: %s: %s\n", argv[1], pcap_geterr(pd));
		pcap_close(pd);
		return 1;
	}
	struct gen_buf g = {0};
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct spec *s = &pkts[order[i]];
		/* both fragments of the datagram share one IP id */
		uint16_t id = (uint16_t)(0x3000 + (s->proto == 17 && s->sport == 7000 ? 0 : order[i] + 1));
		if (build(&g, s, id) < 0) {
			fprintf(stderr, "mkfidelity: bad address in packet %zu\n", order[i]);
			rc = 1;
			break;
		}
		struct pcap_pkthdr h;
		h.ts.tv_sec = (time_t)(BASE_S + s->t_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(s->t_us % 1000000u);
		h.caplen = h.len = (bpf_u_int32)g.len;
		pcap_dump((u_char *)out, &h, g.p);
	}
	if (rc == 0 && pcap_dump_flush(out) != 0) {
		fprintf(stderr, "mkfidelity: %s: write failed\n", argv[1]);
		rc = 1;
	}
	pcap_dump_close(out);
	pcap_close(pd);
	gen_free(&g);
	if (rc == 0)
		printf("%zu packets\n", n);
	return rc;
}
