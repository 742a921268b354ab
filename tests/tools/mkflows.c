/*
 * mkflows OUT.pcap [BASE_UNIX_SECONDS]
 *
 * Writes a synthetic Ethernet packet capture with deterministic, varied traffic for the
 * end-to-end tests, which feed it to real exporters (softflowd, pmacctd) and compare what
 * overflowd decodes from their export with tshark:
 *
 *   - IPv4 TCP connections (handshake, PSH/ACK requests and responses, FIN or RST teardown)
 *     to ports 80, 443, 22, 25, 8080, 993, with different TOS and TTL values;
 *   - IPv4 UDP: DNS queries and answers (port 53), an NTP exchange (123 <-> 123), syslog;
 *   - ICMP echo requests and replies;
 *   - IPv6 TCP connections (443, 80), IPv6 DNS over UDP and ICMPv6 echo.
 *
 * Packet times start at BASE_UNIX_SECONDS (default 1700000000) and span about nine seconds;
 * the capture is in time order. The same base gives the same bytes on every run.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PKTS 1024
#define SNAP	 1600

struct pkt {
	uint64_t t_us;
	uint32_t order; /* tie-breaker: creation order */
	uint32_t len;
	uint8_t data[SNAP];
};

struct host {
	int v6;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint64_t mac;
};

struct conn {
	struct host a, b; /* a: the side that starts */
	uint16_t aport, bport;
	uint8_t proto, tos, ttl_a, ttl_b;
	uint32_t seq_a, seq_b; /* next TCP sequence numbers */
	uint32_t flow_label;
};

enum { DIR_AB, DIR_BA };

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

static struct pkt pkts[MAX_PKTS];
static uint32_t npkts;
static uint16_t ip_id = 0x1000;

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

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

/* The transport checksum over the IPv4 or IPv6 pseudo header and the segment. */
static uint16_t l4_csum(const struct host *src, const struct host *dst, uint8_t proto, const uint8_t *l4,
			size_t len)
{
	size_t alen = src->v6 ? 16 : 4;
	uint32_t s = sum16(0, src->addr, alen);
	s = sum16(s, dst->addr, alen);
	s += proto + (uint32_t)len;
	return fold(sum16(s, l4, len));
}

static void put_mac(uint8_t *p, uint64_t mac)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(mac >> (40 - 8 * i));
}

/*
 * Build the transport header and payload at l4; returns its length. The payload is `data`
 * when given, else a byte pattern.
 */
static size_t build_l4(const struct conn *c, int dir, uint8_t *l4, uint8_t flags, const uint8_t *data,
		       size_t payload)
{
	uint16_t sport = dir == DIR_AB ? c->aport : c->bport;
	uint16_t dport = dir == DIR_AB ? c->bport : c->aport;
	size_t hl;
	switch (c->proto) {
	case 6:
		hl = 20;
		put16(l4, sport);
		put16(l4 + 2, dport);
		put32(l4 + 4, dir == DIR_AB ? c->seq_a : c->seq_b);
		put32(l4 + 8, (flags & TH_ACK) ? (dir == DIR_AB ? c->seq_b : c->seq_a) : 0);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16(l4 + 14, 64240);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		break;
	case 17:
		hl = 8;
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, (uint32_t)(hl + payload));
		put16(l4 + 6, 0);
		break;
	default: /* ICMP / ICMPv6 echo: flags carries the type; aport is the identifier */
		hl = 8;
		l4[0] = flags;
		l4[1] = 0;
		put16(l4 + 2, 0);
		put16(l4 + 4, c->aport);
		put16(l4 + 6, c->bport);
		break;
	}
	if (data)
		memcpy(l4 + hl, data, payload);
	else
		for (size_t i = 0; i < payload; i++)
			l4[hl + i] = (uint8_t)(i * 7 + c->aport);
	return hl + payload;
}

static void l4_fix_csum(const struct conn *c, int dir, uint8_t *l4, size_t len)
{
	const struct host *src = dir == DIR_AB ? &c->a : &c->b;
	const struct host *dst = dir == DIR_AB ? &c->b : &c->a;
	size_t off = c->proto == 6 ? 16 : c->proto == 17 ? 6 : 2;
	uint16_t cs;
	if (c->proto == 1)
		cs = fold(sum16(0, l4, len));
	else
		cs = l4_csum(src, dst, c->proto, l4, len);
	if (c->proto == 17 && cs == 0)
		cs = 0xffff;
	put16(l4 + off, cs);
}

/* Append one packet of connection c in direction dir at t_us carrying `payload` bytes (data). */
static void emit_data(struct conn *c, int dir, uint64_t t_us, uint8_t flags, const uint8_t *data,
		      size_t payload)
{
	if (npkts >= MAX_PKTS || payload > 1500) {
		fprintf(stderr, "mkflows: too many packets\n");
		exit(1);
	}
	struct pkt *k = &pkts[npkts];
	const struct host *src = dir == DIR_AB ? &c->a : &c->b;
	const struct host *dst = dir == DIR_AB ? &c->b : &c->a;
	uint8_t *p = k->data;
	memset(p, 0, SNAP);
	put_mac(p, dst->mac);
	put_mac(p + 6, src->mac);
	put16(p + 12, c->a.v6 ? 0x86dd : 0x0800);
	size_t ihl = c->a.v6 ? 40 : 20;
	uint8_t *ip = p + 14, *l4 = ip + ihl;
	size_t l4len = build_l4(c, dir, l4, flags, data, payload);
	l4_fix_csum(c, dir, l4, l4len);
	uint8_t ttl = dir == DIR_AB ? c->ttl_a : c->ttl_b;
	if (c->a.v6) {
		put32(ip, 6u << 28 | (uint32_t)c->tos << 20 | (c->flow_label & 0xfffff));
		put16(ip + 4, (uint32_t)l4len);
		ip[6] = c->proto;
		ip[7] = ttl;
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, dst->addr, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = c->tos;
		put16(ip + 2, (uint32_t)(ihl + l4len));
		put16(ip + 4, ip_id++);
		put16(ip + 6, 0x4000);
		ip[8] = ttl;
		ip[9] = c->proto;
		memcpy(ip + 12, src->addr, 4);
		memcpy(ip + 16, dst->addr, 4);
		put16(ip + 10, fold(sum16(0, ip, 20)));
	}
	k->len = (uint32_t)(14 + ihl + l4len);
	k->t_us = t_us;
	k->order = npkts++;
	if (c->proto == 6) {
		uint32_t adv = (uint32_t)payload + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
		if (dir == DIR_AB)
			c->seq_a += adv;
		else
			c->seq_b += adv;
	}
}

/* A packet with `payload` bytes of filler. */
static void emit(struct conn *c, int dir, uint64_t t_us, uint8_t flags, size_t payload)
{
	emit_data(c, dir, t_us, flags, NULL, payload);
}

/*
 * A DNS query for hostN.example.com (type A, or AAAA when v6), or its answer with one
 * record. Returns the message length.
 */
static size_t dns_msg(uint8_t *m, uint16_t id, unsigned n, int answer, int v6)
{
	char label[16];
	int ll = snprintf(label, sizeof(label), "host%u", n);
	size_t o = 12;
	put16(m, id);
	put16(m + 2, answer ? 0x8180 : 0x0100);
	put16(m + 4, 1);
	put16(m + 6, answer ? 1 : 0);
	put16(m + 8, 0);
	put16(m + 10, 0);
	m[o++] = (uint8_t)ll;
	memcpy(m + o, label, (size_t)ll);
	o += (size_t)ll;
	memcpy(m + o, "\007example\003com", 13); /* with the root label (the NUL) */
	o += 13;
	put16(m + o, v6 ? 28 : 1);
	put16(m + o + 2, 1);
	o += 4;
	if (answer) {
		put16(m + o, 0xc00c); /* the name above */
		put16(m + o + 2, v6 ? 28 : 1);
		put16(m + o + 4, 1);
		put32(m + o + 6, 300 + n);
		put16(m + o + 10, v6 ? 16 : 4);
		o += 12;
		/* 198.51.100.N or 2001:db8:aaaa::N */
		static const uint8_t a4[4] = {198, 51, 100, 0};
		static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa};
		memcpy(m + o, v6 ? a6 : a4, v6 ? 16 : 4);
		o += v6 ? 16 : 4;
		m[o - 1] = (uint8_t)n;
	}
	return o;
}

/* An NTPv4 client request (mode 3) or server reply (mode 4). */
static size_t ntp_msg(uint8_t *m, int reply, unsigned n)
{
	memset(m, 0, 48);
	m[0] = reply ? 0x24 : 0x23;
	m[1] = reply ? 2 : 0;
	m[2] = 6;
	m[3] = 0xe9;
	put32(m + 40, 0xe8f2c5a0u + n * 2);
	return 48;
}

static struct host host4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct host h;
	memset(&h, 0, sizeof(h));
	h.addr[0] = a, h.addr[1] = b, h.addr[2] = c, h.addr[3] = d;
	h.mac = 0x020000000000ull | (uint64_t)a << 24 | (uint64_t)b << 16 | (uint64_t)c << 8 | d;
	return h;
}

/* 2001:db8:NET::LO */
static struct host host6(uint16_t net, uint16_t lo)
{
	struct host h;
	memset(&h, 0, sizeof(h));
	h.v6 = 1;
	h.addr[0] = 0x20, h.addr[1] = 0x01, h.addr[2] = 0x0d, h.addr[3] = 0xb8;
	put16(h.addr + 4, net);
	put16(h.addr + 14, lo);
	h.mac = 0x060000000000ull | (uint64_t)net << 16 | lo;
	return h;
}

static struct conn mkconn(struct host a, struct host b, uint8_t proto, uint16_t aport, uint16_t bport)
{
	struct conn c;
	memset(&c, 0, sizeof(c));
	c.a = a, c.b = b;
	c.proto = proto;
	c.aport = aport, c.bport = bport;
	c.ttl_a = 64, c.ttl_b = 57;
	c.seq_a = 0x10000000u + aport * 977u;
	c.seq_b = 0x50000000u + bport * 131u;
	return c;
}

/*
 * A TCP connection from t: handshake, `rounds` request/response exchanges (the response in
 * segments of at most 1448 bytes), then FIN from the client (or RST when rst is set).
 * Returns the time of its last packet.
 */
static uint64_t tcp_session(struct conn *c, uint64_t t, uint64_t rtt, int rounds, size_t req, size_t resp,
			    int rst)
{
	emit(c, DIR_AB, t, TH_SYN, 0);
	emit(c, DIR_BA, t += rtt / 2, TH_SYN | TH_ACK, 0);
	emit(c, DIR_AB, t += rtt / 2, TH_ACK, 0);
	for (int r = 0; r < rounds; r++) {
		emit(c, DIR_AB, t += 1000 + (uint64_t)r * 150, TH_PSH | TH_ACK, req + (size_t)r * 13);
		size_t left = resp + (size_t)r * 311;
		t += rtt / 2;
		while (left) {
			size_t seg = left > 1448 ? 1448 : left;
			left -= seg;
			emit(c, DIR_BA, t += 120, left ? TH_ACK : TH_PSH | TH_ACK, seg);
		}
		emit(c, DIR_AB, t += rtt / 2, TH_ACK, 0);
		t += 200000 + (uint64_t)r * 37000; /* think time between requests */
	}
	if (rst) {
		emit(c, DIR_AB, t += 500, TH_RST | TH_ACK, 0);
		return t;
	}
	emit(c, DIR_AB, t += 500, TH_FIN | TH_ACK, 0);
	emit(c, DIR_BA, t += rtt / 2, TH_FIN | TH_ACK, 0);
	emit(c, DIR_AB, t += rtt / 2, TH_ACK, 0);
	return t;
}

static void ipv4_traffic(void)
{
	static const uint16_t ports[] = {80, 443, 22, 25, 8080, 993};
	for (unsigned i = 0; i < 6; i++) {
		struct conn c =
		    mkconn(host4(10, 1, 0, (uint8_t)(10 + i)), host4(192, 0, 2, (uint8_t)(1 + i % 3)), 6,
			   (uint16_t)(40000 + i * 7), ports[i]);
		c.tos = (uint8_t)(i == 2 ? 0x10 : i == 3 ? 0xb8 : 0);
		c.ttl_b = (uint8_t)(50 + i);
		tcp_session(&c, 300000 + (uint64_t)i * 700000, 4000 + i * 3000, 2 + (int)(i % 4),
			    120 + i * 40, 900 + i * 1700, i == 4);
	}
	/* DNS: eight queries from different source ports, each answered */
	for (unsigned i = 0; i < 8; i++) {
		struct conn c =
		    mkconn(host4(10, 1, 0, 10), host4(10, 1, 0, 53), 17, (uint16_t)(53000 + i * 111), 53);
		uint64_t t = 100000 + (uint64_t)i * 950000;
		uint8_t m[128];
		size_t n = dns_msg(m, (uint16_t)(0x4000 + i * 77), i * 11, 0, 0);
		emit_data(&c, DIR_AB, t, 0, m, n);
		n = dns_msg(m, (uint16_t)(0x4000 + i * 77), i * 11, 1, 0);
		emit_data(&c, DIR_BA, t + 1800 + i * 100, 0, m, n);
	}
	/* NTP: one client polling one server four times */
	struct conn ntp = mkconn(host4(10, 1, 0, 20), host4(192, 0, 2, 123), 17, 123, 123);
	ntp.tos = 0xb8;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t m[48];
		emit_data(&ntp, DIR_AB, 500000 + (uint64_t)i * 2000000, 0, m, ntp_msg(m, 0, i));
		emit_data(&ntp, DIR_BA, 512000 + (uint64_t)i * 2000000, 0, m, ntp_msg(m, 1, i));
	}
	/* syslog, one way */
	struct conn sys = mkconn(host4(10, 1, 0, 11), host4(10, 1, 0, 5), 17, 514, 514);
	for (unsigned i = 0; i < 6; i++) {
		char line[256];
		int n =
		    snprintf(line, sizeof(line), "<%u>Nov 14 22:13:2%u gw%u kernel: link %u state change%.*s",
			     13 + i, i, i, i, (int)(i * 21),
			     "..............................................................................."
			     ".......................................................");
		emit_data(&sys, DIR_AB, 700000 + (uint64_t)i * 1300000, 0, (const uint8_t *)line, (size_t)n);
	}
	/* ping: five echo requests (type 8) and replies (type 0) */
	struct conn ping = mkconn(host4(10, 1, 0, 30), host4(192, 0, 2, 200), 1, 0x1234, 1);
	for (unsigned i = 0; i < 5; i++) {
		ping.bport = (uint16_t)(1 + i);
		emit(&ping, DIR_AB, 1000000 + (uint64_t)i * 1000000, 8, 56);
		emit(&ping, DIR_BA, 1021000 + (uint64_t)i * 1000000, 0, 56);
	}
}

static void ipv6_traffic(void)
{
	struct conn c = mkconn(host6(1, 0x10), host6(2, 1), 6, 50000, 443);
	c.flow_label = 0x12345;
	tcp_session(&c, 800000, 9000, 3, 300, 5000, 0);
	struct conn w = mkconn(host6(1, 0x11), host6(2, 2), 6, 50123, 80);
	w.tos = 0x20;
	tcp_session(&w, 2500000, 15000, 2, 150, 2600, 0);
	for (unsigned i = 0; i < 3; i++) {
		struct conn d = mkconn(host6(1, 0x10), host6(2, 0x53), 17, (uint16_t)(54000 + i), 53);
		uint8_t m[128];
		size_t n = dns_msg(m, (uint16_t)(0x6000 + i), 100 + i * 1000, 0, 1);
		emit_data(&d, DIR_AB, 1500000 + (uint64_t)i * 1700000, 0, m, n);
		n = dns_msg(m, (uint16_t)(0x6000 + i), 100 + i * 1000, 1, 1);
		emit_data(&d, DIR_BA, 1502500 + (uint64_t)i * 1700000, 0, m, n);
	}
	struct conn ping = mkconn(host6(1, 0x12), host6(2, 3), 58, 0x4321, 1);
	for (unsigned i = 0; i < 3; i++) {
		ping.bport = (uint16_t)(1 + i);
		emit(&ping, DIR_AB, 3000000 + (uint64_t)i * 1000000, 128, 32);
		emit(&ping, DIR_BA, 3011000 + (uint64_t)i * 1000000, 129, 32);
	}
}

static int pkt_cmp(const void *x, const void *y)
{
	const struct pkt *a = x, *b = y;
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkflows OUT.pcap [BASE_UNIX_SECONDS]\n");
		return 2;
	}
	uint64_t base = 1700000000;
	if (argc == 3) {
		char *end;
		base = strtoull(argv[2], &end, 10);
		if (*end || !argv[2][0]) {
			fprintf(stderr, "mkflows: bad base time '%s'\n", argv[2]);
			return 2;
		}
	}
	ipv4_traffic();
	ipv6_traffic();
	qsort(pkts, npkts, sizeof(pkts[0]), pkt_cmp);

	int rc = 1;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pd)
		return 1;
	pcap_dumper_t *out = pcap_dump_open(pd, argv[1]);
	if (!out) {
		fprintf(stderr, "mkflows: %s: %s\n", argv[1], pcap_geterr(pd));
		goto close_pd;
	}
	for (uint32_t i = 0; i < npkts; i++) {
		struct pcap_pkthdr h;
		uint64_t t = base * 1000000u + pkts[i].t_us;
		h.ts.tv_sec = (time_t)(t / 1000000u);
		h.ts.tv_usec = (suseconds_t)(t % 1000000u);
		h.caplen = h.len = pkts[i].len;
		pcap_dump((u_char *)out, &h, pkts[i].data);
	}
	if (pcap_dump_flush(out) == 0)
		rc = 0;
	else
		fprintf(stderr, "mkflows: %s: write failed\n", argv[1]);
	pcap_dump_close(out);
	if (rc == 0)
		printf("%u packets\n", npkts);
close_pd:
	pcap_close(pd);
	return rc;
}
