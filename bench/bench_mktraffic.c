/*
 * bench_mktraffic: a synthetic packet capture with many distinct flows, for a real exporter
 * (softflowd -r) to turn into NetFlow v9 / IPFIX export for the benchmarks.
 *
 *   bench_mktraffic [--flows N] [--v6-percent P] [--seed S] OUT.pcap
 *
 * Writes an Ethernet pcap (snaplen 128, headers only captured, the wire length counts the
 * payload) with N unidirectional flows (default 300000): IPv4 and P% IPv6 (default 10), TCP
 * (about 60%) and UDP, 1 to 4 packets each. Every flow has its own source address, sources and
 * destinations come from disjoint ranges, so no two flows share a 5-tuple in either direction
 * and an exporter that tracks bidirectional flows still reports exactly N records. Up to 64 flows
 * are active at once and their packets are interleaved, 15 microseconds apart. Prints
 * "flows=N packets=M" on stdout. The same options give the same bytes.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN	  128
#define WINDOW	  64
#define T0_SEC	  1700000000u
#define STEP_USEC 15u

struct flow {
	uint32_t id;
	uint8_t v6, proto, left, sent;
	uint16_t sport, dport, paylen;
	uint8_t tos, ttl;
};

struct gen {
	uint64_t seed;
	uint32_t nflows, next, v6_pct;
	uint64_t packets, t_usec;
	pcap_dumper_t *out;
	struct flow win[WINDOW];
	uint32_t nwin;
};

/* splitmix64: a small deterministic generator (the benchmark must not depend on libc rand). */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void flow_start(struct gen *g, struct flow *f)
{
	uint64_t h = mix(&g->seed);
	memset(f, 0, sizeof(*f));
	f->id = g->next++;
	f->v6 = (h % 100) < g->v6_pct;
	f->proto = ((h >> 8) % 100) < 60 ? 6 : 17;
	f->left = (uint8_t)(1 + ((h >> 16) & 3));
	f->sport = (uint16_t)(1024 + ((h >> 20) % 60000));
	static const uint16_t tcp_ports[] = {80, 443, 22, 25, 8080, 993, 3306, 5432};
	static const uint16_t udp_ports[] = {53, 123, 514, 161, 443, 5060, 1194, 4789};
	f->dport = f->proto == 6 ? tcp_ports[(h >> 36) & 7] : udp_ports[(h >> 36) & 7];
	f->paylen = (uint16_t)((h >> 40) % 1400);
	f->tos = (uint8_t)(((h >> 52) & 3) << 3);
	f->ttl = (uint8_t)(32 + ((h >> 54) & 31));
}

/* Ethernet + IPv4/IPv6 header of one packet of f; returns the header length. */
static size_t put_ip(const struct flow *f, uint8_t *p, uint32_t l4len)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	memcpy(p, macs, sizeof(macs));
	uint8_t *ip = p + 14;
	uint32_t dh = f->id * 2654435761u;
	if (!f->v6) {
		put16(p + 12, 0x0800);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = f->tos;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, f->id & 0xffff);
		ip[8] = f->ttl;
		ip[9] = f->proto;
		put32(ip + 12, 0x0a000000u | (f->id & 0xffffff)); /* 10.0.0.0/8 */
		put32(ip + 16, 0xac100000u | (dh & 0xfffff));	  /* 172.16.0.0/12 */
		put16(ip + 10, ip_csum(ip, 20));
		return 14 + 20;
	}
	put16(p + 12, 0x86dd);
	memset(ip, 0, 40);
	put32(ip, 0x60000000u | (uint32_t)f->tos << 20 | (f->id & 0xfffff));
	put16(ip + 4, l4len);
	ip[6] = f->proto;
	ip[7] = f->ttl;
	put32(ip + 8, 0x20010db8u); /* 2001:db8::/64 + flow id */
	put32(ip + 20, f->id);
	put32(ip + 24, 0x20010db8u); /* 2001:db8:1::/64 + hash */
	put32(ip + 28, 0x00010000u);
	put32(ip + 36, dh);
	return 14 + 40;
}

static int emit(struct gen *g, struct flow *f)
{
	uint8_t frame[SNAPLEN];
	uint32_t l4hdr = f->proto == 6 ? 20 : 8;
	uint32_t pay = f->sent == 0 && f->proto == 6 ? 0 : f->paylen;
	size_t off = put_ip(f, frame, l4hdr + pay);
	uint8_t *l4 = frame + off;
	memset(l4, 0, l4hdr);
	put16(l4, f->sport);
	put16(l4 + 2, f->dport);
	if (f->proto == 6) {
		put32(l4 + 4, f->id * 7919u + f->sent * 1000u);
		l4[12] = 5 << 4;
		l4[13] = f->sent == 0 ? 0x02 : (f->left == 1 ? 0x11 : 0x18); /* SYN, FIN|ACK, PSH|ACK */
		put16(l4 + 14, 65535);
	} else {
		put16(l4 + 4, 8 + pay);
	}
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(T0_SEC + g->t_usec / 1000000u);
	h.ts.tv_usec = (suseconds_t)(g->t_usec % 1000000u);
	h.caplen = (bpf_u_int32)(off + l4hdr);
	h.len = (bpf_u_int32)(off + l4hdr + pay);
	pcap_dump((u_char *)g->out, &h, frame);
	g->t_usec += STEP_USEC;
	g->packets++;
	f->sent++;
	f->left--;
	return 0;
}

static int generate(struct gen *g)
{
	while (g->nwin < WINDOW && g->next < g->nflows)
		flow_start(g, &g->win[g->nwin++]);
	while (g->nwin) {
		uint32_t j = (uint32_t)(mix(&g->seed) % g->nwin);
		emit(g, &g->win[j]);
		if (g->win[j].left)
			continue;
		if (g->next < g->nflows)
			flow_start(g, &g->win[j]);
		else
			g->win[j] = g->win[--g->nwin];
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"flows", required_argument, NULL, 'n'},
	    {"v6-percent", required_argument, NULL, '6'},
	    {"seed", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct gen g = {.seed = 1, .nflows = 300000, .v6_pct = 10};
	uint32_t seed = 1;
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "n:6:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': bad |= parse_u32(optarg, 1u << 24, &g.nflows); break;
		case '6': bad |= parse_u32(optarg, 100, &g.v6_pct); break;
		case 's': bad |= parse_u32(optarg, UINT32_MAX, &seed); break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc - 1) {
		fprintf(stderr, "usage: bench_mktraffic [--flows N] [--v6-percent P] [--seed S] OUT.pcap\n");
		return 2;
	}
	g.seed = seed;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!p)
		return 1;
	int rc = 1;
	g.out = pcap_dump_open(p, argv[optind]);
	if (!g.out) {
		fprintf(stderr, "%s: %s\n", argv[optind], pcap_geterr(p));
		goto close_pcap;
	}
	generate(&g);
	if (pcap_dump_flush(g.out) == 0)
		rc = 0;
	pcap_dump_close(g.out);
	printf("flows=%" PRIu32 " packets=%" PRIu64 "\n", g.nflows, g.packets);
close_pcap:
	pcap_close(p);
	return rc;
}
