/*
 * The meter (src/meter/meter.h) on handmade frames: TCP ends (both FINs, RST), inactive and
 * active timeouts, ICMP type/code, IPv6, VLAN and MPLS keys, fragments, the bounded table under
 * a flood of 100k spoofed SYNs, sampling, the symmetric hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "gen_sflow.h"
#include "meter/meter.h"

#define MS 1000000ull
#define S  1000000000ull
#define T0 (1700000000ull * S)

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

/* The emitted records, in order. */
struct sink {
	struct ofd_flow *v;
	size_t n, cap;
};

static void on_full(struct ofd_batch *b, void *ctx)
{
	struct sink *s = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 1024;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			assert_non_null(s->v);
		}
		s->v[s->n++] = b->flows[i];
	}
}

struct fx {
	struct ofd_meter *m;
	struct ofd_batch *b;
	struct sink out;
	struct gen_buf g;
};

static struct fx *fx_new(const struct ofd_meter_cfg *c)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->b = malloc(sizeof(*x->b));
	assert_non_null(x->b);
	ofd_batch_init(x->b, on_full, &x->out);
	assert_int_equal(ofd_meter_new(&x->m, c), 0);
	return x;
}

static void fx_free(struct fx *x)
{
	ofd_meter_free(x->m);
	free(x->b);
	free(x->out.v);
	gen_free(&x->g);
	free(x);
}

/* Hand over what the batch holds. */
static void fx_sync(struct fx *x)
{
	ofd_batch_flush(x->b);
}

static void fx_flush(struct fx *x)
{
	ofd_meter_flush(x->m, x->b);
	fx_sync(x);
}

static const struct ofd_meter_stats *st(struct fx *x)
{
	return ofd_meter_stats(x->m);
}

#define MAC_C 0x020000000001ull
#define MAC_S 0x020000000002ull

/* One frame from gen_frame through ofd_meter_frame at time t. */
static void fx_frame(struct fx *x, const struct gen_frame *f, uint64_t t)
{
	gen_reset(&x->g);
	gen_frame(&x->g, f);
	ofd_meter_frame(x->m, OFD_LINK_ETHERNET, x->g.p, (uint32_t)x->g.len, (uint32_t)x->g.len, t, 0, x->b);
}

/* A TCP segment between client 10.0.0.1:40000 and server 10.0.0.2:80. */
static void tcp(struct fx *x, int from_client, uint8_t flags, size_t payload, uint64_t t)
{
	struct gen_frame f = {.proto = 6, .ttl = 64, .tcp_flags = flags, .payload_len = payload};
	uint8_t c[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 2};
	memcpy(f.src, from_client ? c : s, 4);
	memcpy(f.dst, from_client ? s : c, 4);
	f.src_mac = from_client ? MAC_C : MAC_S;
	f.dst_mac = from_client ? MAC_S : MAC_C;
	f.sport = from_client ? 40000 : 80;
	f.dport = from_client ? 80 : 40000;
	f.ttl = from_client ? 64 : 57;
	fx_frame(x, &f, t);
}

static void udp(struct fx *x, uint16_t sport, size_t payload, uint64_t t)
{
	struct gen_frame f = {.proto = 17,
			      .ttl = 64,
			      .sport = sport,
			      .dport = 53,
			      .payload_len = payload,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 53}};
	fx_frame(x, &f, t);
}

/* The record of src port sport (unique in the test), or fail. */
static const struct ofd_flow *by_sport(const struct fx *x, uint16_t sport)
{
	for (size_t i = 0; i < x->out.n; i++)
		if (x->out.v[i].src_port == sport)
			return &x->out.v[i];
	fail_msg("no flow from port %u", sport);
	return NULL;
}

static struct ofd_meter_cfg cfg(void)
{
	struct ofd_meter_cfg c;
	ofd_meter_cfg_default(&c);
	return c;
}

static void test_tcp_fin_both_ways(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	tcp(x, 1, SYN, 0, T0);
	tcp(x, 0, SYN | ACK, 0, T0 + 1 * MS);
	tcp(x, 1, ACK, 0, T0 + 2 * MS);
	tcp(x, 1, PSH | ACK, 100, T0 + 3 * MS);
	tcp(x, 0, PSH | ACK, 500, T0 + 4 * MS);
	tcp(x, 1, FIN | ACK, 0, T0 + 5 * MS);
	tcp(x, 0, ACK, 0, T0 + 6 * MS);
	tcp(x, 0, FIN | ACK, 0, T0 + 7 * MS);
	tcp(x, 1, ACK, 0, T0 + 8 * MS); /* the last ACK joins the ended flow */
	fx_sync(x);
	assert_int_equal(x->out.n, 0);
	/* both ended: they leave end_ns (5 s) after their last packet, before any flush */
	ofd_meter_advance(x->m, T0 + 8 * MS + 5 * S + 1, x->b);
	fx_sync(x);
	assert_int_equal(x->out.n, 2);
	assert_int_equal(st(x)->expired_end, 2);
	assert_int_equal(st(x)->expired_flush, 0);
	const struct ofd_flow *cl = by_sport(x, 40000), *sv = by_sport(x, 80);
	assert_int_equal(cl->packets, 5);
	assert_int_equal(cl->bytes, 40 + 40 + 140 + 40 + 40);
	assert_int_equal(cl->tcp_flags, FIN | SYN | PSH | ACK);
	assert_int_equal(cl->dst_port, 80);
	assert_int_equal(cl->proto, 6);
	assert_int_equal(cl->time_flow_start_ns, T0);
	assert_int_equal(cl->time_flow_end_ns, T0 + 8 * MS);
	assert_int_equal(cl->src_mac, MAC_C);
	assert_int_equal(cl->dst_mac, MAC_S);
	assert_int_equal(cl->ip_ttl, 64);
	assert_int_equal(cl->etype, 0x0800);
	assert_int_equal(ofd_ip_v4(&cl->src_addr), 0x0a000001);
	assert_int_equal(ofd_ip_v4(&cl->dst_addr), 0x0a000002);
	assert_int_equal(sv->packets, 4);
	assert_int_equal(sv->bytes, 40 + 540 + 40 + 40);
	assert_int_equal(sv->tcp_flags, FIN | SYN | PSH | ACK);
	assert_int_equal(sv->ip_ttl, 57);
	assert_int_equal(sv->time_flow_start_ns, T0 + 1 * MS);
	assert_int_equal(sv->time_flow_end_ns, T0 + 7 * MS);
	fx_free(x);
}

static void test_tcp_one_fin_stays(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	tcp(x, 1, SYN, 0, T0);
	tcp(x, 0, SYN | ACK, 0, T0 + 1 * MS);
	tcp(x, 1, FIN | ACK, 0, T0 + 2 * MS); /* half close: not ended */
	ofd_meter_advance(x->m, T0 + 10 * S, x->b);
	fx_sync(x);
	assert_int_equal(x->out.n, 0);
	ofd_meter_advance(x->m, T0 + 2 * MS + 15 * S + 1, x->b); /* inactive timeout */
	fx_sync(x);
	assert_int_equal(x->out.n, 2);
	assert_int_equal(st(x)->expired_inactive, 2);
	fx_free(x);
}

static void test_tcp_rst(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	tcp(x, 1, SYN, 0, T0);
	tcp(x, 0, RST | ACK, 0, T0 + 1 * MS);
	ofd_meter_advance(x->m, T0 + 1 * MS + 5 * S, x->b); /* not yet: more than end_ns */
	fx_sync(x);
	assert_int_equal(x->out.n, 0);
	ofd_meter_advance(x->m, T0 + 1 * MS + 5 * S + 1, x->b);
	fx_sync(x);
	assert_int_equal(x->out.n, 2);
	assert_int_equal(st(x)->expired_end, 2);
	assert_int_equal(by_sport(x, 40000)->tcp_flags, SYN);
	assert_int_equal(by_sport(x, 80)->tcp_flags, RST | ACK);
	/* a new SYN on the ports of an ended flow starts a new flow at once */
	tcp(x, 1, SYN, 0, T0 + 10 * S);
	tcp(x, 0, RST | ACK, 0, T0 + 10 * S + 1 * MS);
	tcp(x, 1, SYN, 0, T0 + 10 * S + 2 * MS);
	fx_flush(x);
	assert_int_equal(x->out.n, 5);
	assert_int_equal(st(x)->expired_end, 3);
	assert_int_equal(x->out.v[2].time_flow_start_ns, T0 + 10 * S);
	assert_int_equal(x->out.v[2].packets, 1);
	fx_free(x);
}

static void test_inactive_timeout(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	udp(x, 5000, 10, T0);
	udp(x, 5000, 10, T0 + 1 * S);
	udp(x, 5000, 10, T0 + 16 * S);	   /* exactly 15 s idle: the same flow */
	udp(x, 5000, 10, T0 + 31 * S + 1); /* 15 s + 1 ns idle: a new flow */
	fx_sync(x);
	assert_int_equal(x->out.n, 1);
	assert_int_equal(x->out.v[0].packets, 3);
	assert_int_equal(x->out.v[0].bytes, 3 * 38);
	assert_int_equal(x->out.v[0].time_flow_end_ns, T0 + 16 * S);
	assert_int_equal(x->out.v[0].time_received_ns, T0 + 31 * S + 1);
	assert_int_equal(st(x)->expired_inactive, 1);
	fx_flush(x);
	assert_int_equal(x->out.n, 2);
	assert_int_equal(x->out.v[1].packets, 1);
	assert_int_equal(x->out.v[1].time_flow_start_ns, T0 + 31 * S + 1);
	assert_int_equal(st(x)->expired_flush, 1);
	fx_free(x);
}

static void test_active_timeout(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	c.active_ns = 10 * S;
	struct fx *x = fx_new(&c);
	for (uint64_t i = 0; i <= 25; i++)
		udp(x, 5000, 0, T0 + i * S);
	fx_flush(x);
	assert_int_equal(x->out.n, 3);
	assert_int_equal(st(x)->expired_active, 2);
	assert_int_equal(x->out.v[0].packets, 11); /* 0..10 s; cut when the clock passes first + 10 s */
	assert_int_equal(x->out.v[1].packets, 11); /* 11..21 s */
	assert_int_equal(x->out.v[2].packets, 4);  /* 22..25 s, at the flush */
	assert_int_equal(x->out.v[1].time_flow_start_ns, T0 + 11 * S);
	assert_int_equal(x->out.v[1].time_flow_end_ns, T0 + 21 * S);
	fx_free(x);
}

static void test_icmp(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	struct gen_frame f = {.proto = 1,
			      .ttl = 64,
			      .icmp_type = 8,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 2},
			      .payload_len = 56};
	fx_frame(x, &f, T0);
	fx_frame(x, &f, T0 + 1 * S);
	f.icmp_type = 3;
	f.icmp_code = 3; /* port unreachable */
	f.payload_len = 28;
	fx_frame(x, &f, T0 + 2 * S);
	fx_flush(x);
	assert_int_equal(x->out.n, 2);
	const struct ofd_flow *echo = &x->out.v[0], *unr = &x->out.v[1];
	assert_int_equal(echo->packets, 2);
	assert_int_equal(echo->bytes, 2 * (20 + 8 + 56));
	assert_int_equal(echo->src_port, 0);
	assert_int_equal(echo->dst_port, 8 * 256);
	assert_int_equal(echo->icmp_type, 8);
	assert_int_equal(echo->icmp_code, 0);
	assert_int_equal(unr->dst_port, 3 * 256 + 3);
	assert_int_equal(unr->icmp_type, 3);
	assert_int_equal(unr->icmp_code, 3);
	assert_true(ofd_flow_has(unr, OFD_F_ICMP_TYPE));
	fx_free(x);
}

static void test_ipv6(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	struct gen_frame f = {
	    .v6 = 1, .proto = 6, .ttl = 60, .sport = 50000, .dport = 443, .tcp_flags = SYN, .tos = 0x20};
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	memcpy(f.src, a, 16);
	memcpy(f.dst, b, 16);
	fx_frame(x, &f, T0);
	f.tcp_flags = ACK;
	f.payload_len = 1000;
	f.ttl = 59;
	fx_frame(x, &f, T0 + 1 * MS);
	/* ICMPv6 echo */
	struct gen_frame e = {.v6 = 1, .proto = 58, .ttl = 64, .icmp_type = 128};
	memcpy(e.src, a, 16);
	memcpy(e.dst, b, 16);
	fx_frame(x, &e, T0 + 2 * MS);
	fx_flush(x);
	assert_int_equal(x->out.n, 2);
	const struct ofd_flow *t = &x->out.v[0];
	assert_int_equal(t->src_addr.family, OFD_AF_INET6);
	assert_memory_equal(t->src_addr.b, a, 16);
	assert_memory_equal(t->dst_addr.b, b, 16);
	assert_int_equal(t->etype, 0x86dd);
	assert_int_equal(t->packets, 2);
	assert_int_equal(t->bytes, 60 + 1060);
	assert_int_equal(t->tcp_flags, SYN | ACK);
	assert_int_equal(t->ip_ttl, 59); /* the minimum */
	assert_int_equal(t->ip_tos, 0x20);
	assert_int_equal(x->out.v[1].proto, 58);
	assert_int_equal(x->out.v[1].dst_port, 128 * 256);
	assert_int_equal(x->out.v[1].icmp_type, 128);
	fx_free(x);
}

static void test_vlan_mpls_keys(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	struct gen_frame f = {
	    .proto = 17, .ttl = 64, .sport = 1000, .dport = 2000, .src = {10, 0, 0, 1}, .dst = {10, 0, 0, 2}};
	f.vlan = 10;
	fx_frame(x, &f, T0);
	fx_frame(x, &f, T0 + 1);
	f.vlan = 20;
	fx_frame(x, &f, T0 + 2);
	f.vlan = 0;
	f.mpls_label = 777;
	fx_frame(x, &f, T0 + 3);
	f.mpls_label = 0;
	fx_frame(x, &f, T0 + 4);
	fx_flush(x);
	assert_int_equal(x->out.n, 4);
	assert_int_equal(x->out.v[0].vlan_id, 10);
	assert_int_equal(x->out.v[0].packets, 2);
	assert_int_equal(x->out.v[1].vlan_id, 20);
	assert_int_equal(x->out.v[1].packets, 1);
	assert_int_equal(x->out.v[2].mpls_label, 777);
	assert_int_equal(x->out.v[2].vlan_id, 0);
	assert_int_equal(x->out.v[3].mpls_label, 0);
	assert_false(ofd_flow_has(&x->out.v[3], OFD_F_VLAN_ID));
	fx_free(x);
}

/* A UDP fragment: first (MF, offset 0, with ports) or later (offset in 8-byte units). */
static void frag(struct fx *x, uint16_t id, uint16_t offset, int more, size_t payload, uint64_t t)
{
	struct gen_frame f = {.proto = 17,
			      .ttl = 64,
			      .sport = 7000,
			      .dport = 8000,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 2},
			      .payload_len = payload};
	gen_reset(&x->g);
	gen_frame(&x->g, &f);
	uint8_t *ip = x->g.p + 14;
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((more ? 0x2000 : 0) | offset);
	ip[6] = (uint8_t)(fo >> 8);
	ip[7] = (uint8_t)fo;
	ofd_meter_frame(x->m, OFD_LINK_ETHERNET, x->g.p, (uint32_t)x->g.len, (uint32_t)x->g.len, t, 0, x->b);
}

static void test_fragments(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	frag(x, 0x4242, 0, 1, 1472, T0);      /* first: ports 7000 -> 8000 */
	frag(x, 0x4242, 185, 0, 500, T0 + 1); /* the rest: no ports, joins the first's flow */
	frag(x, 0x9999, 185, 0, 300, T0 + 2); /* first never seen: a port-0 flow */
	frag(x, 0x9999, 370, 0, 300, T0 + 3); /* and so does its sibling */
	fx_flush(x);
	assert_int_equal(st(x)->frag_matched, 1);
	assert_int_equal(st(x)->frag_unmatched, 2);
	assert_int_equal(x->out.n, 2);
	const struct ofd_flow *a = &x->out.v[0], *b = &x->out.v[1];
	assert_int_equal(a->src_port, 7000);
	assert_int_equal(a->dst_port, 8000);
	assert_int_equal(a->packets, 2);
	assert_int_equal(a->bytes, (20 + 8 + 1472) + (20 + 8 + 500));
	assert_int_equal(b->src_port, 0);
	assert_int_equal(b->dst_port, 0);
	assert_int_equal(b->proto, 17);
	assert_int_equal(b->packets, 2);
	/* a later fragment after its first's flow expired does not join a stale entry */
	frag(x, 0x5151, 0, 1, 100, T0 + 10 * S);
	udp(x, 1, 0, T0 + 30 * S); /* expires the fragment's flow (inactive) */
	frag(x, 0x5151, 185, 0, 100, T0 + 30 * S + 1);
	fx_flush(x);
	assert_int_equal(st(x)->frag_matched, 1);
	assert_int_equal(st(x)->frag_unmatched, 3);
	fx_free(x);
}

/* An IPv6 UDP fragment by hand: Ethernet, IPv6 (next header 44), fragment header, then for the
   first fragment a UDP header 7000 -> 8000; payload bytes after it. */
static void frag6(struct fx *x, uint32_t id, uint16_t offset, int more, size_t payload, uint64_t t)
{
	uint8_t f[14 + 40 + 8 + 8 + 600];
	memset(f, 0, sizeof(f));
	f[12] = 0x86, f[13] = 0xdd;
	uint8_t *ip = f + 14;
	size_t l4 = offset ? 0 : 8;
	size_t plen = 8 + l4 + payload;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8), ip[5] = (uint8_t)plen;
	ip[6] = 44, ip[7] = 64;
	ip[8] = 0x20, ip[9] = 0x01, ip[23] = 1;	  /* 2001::1 */
	ip[24] = 0x20, ip[25] = 0x01, ip[39] = 2; /* 2001::2 */
	uint8_t *fh = ip + 40;
	fh[0] = 17;
	uint16_t fo = (uint16_t)(offset << 3 | (more ? 1 : 0));
	fh[2] = (uint8_t)(fo >> 8), fh[3] = (uint8_t)fo;
	fh[4] = (uint8_t)(id >> 24), fh[5] = (uint8_t)(id >> 16), fh[6] = (uint8_t)(id >> 8),
	fh[7] = (uint8_t)id;
	if (!offset) {
		uint8_t *u = fh + 8;
		u[0] = 7000 >> 8, u[1] = 7000 & 0xff, u[2] = 8000 >> 8, u[3] = 8000 & 0xff;
		u[4] = (uint8_t)((8 + payload) >> 8), u[5] = (uint8_t)(8 + payload);
	}
	uint32_t len = (uint32_t)(14 + 40 + plen);
	ofd_meter_frame(x->m, OFD_LINK_ETHERNET, f, len, len, t, 0, x->b);
}

static void test_fragments_v6(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	frag6(x, 0xabcdef01, 0, 1, 400, T0);
	frag6(x, 0xabcdef01, 51, 0, 200, T0 + 1);
	frag6(x, 0x11111111, 51, 0, 100, T0 + 2); /* first unseen */
	fx_flush(x);
	assert_int_equal(st(x)->frag_matched, 1);
	assert_int_equal(st(x)->frag_unmatched, 1);
	assert_int_equal(x->out.n, 2);
	assert_int_equal(x->out.v[0].src_addr.family, OFD_AF_INET6);
	assert_int_equal(x->out.v[0].src_port, 7000);
	assert_int_equal(x->out.v[0].dst_port, 8000);
	assert_int_equal(x->out.v[0].packets, 2);
	assert_int_equal(x->out.v[0].bytes, (40 + 8 + 8 + 400) + (40 + 8 + 200));
	assert_int_equal(x->out.v[1].src_port, 0);
	assert_int_equal(x->out.v[1].packets, 1);
	fx_free(x);
}

static void test_flood_bounded(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	c.maxflows = 1000;
	struct fx *x = fx_new(&c);
	struct ofd_pkt p;
	memset(&p, 0, sizeof(p));
	p.layers = OFD_PKT_IP | OFD_PKT_L4;
	p.proto = 6;
	p.ttl = 64;
	p.ip_len = 40;
	p.tcp_flags = SYN;
	p.dst_port = 80;
	ofd_ip_set4u(&p.dst, 0xc0000201);
	const uint64_t n = 100000;
	uint64_t in = 0;
	for (uint64_t i = 0; i < n; i++) {
		ofd_ip_set4u(&p.src, 0x0a000000u + (uint32_t)i); /* spoofed: every source new */
		p.src_port = (uint16_t)(1024 + i % 50000);
		ofd_meter_packet(x->m, &p, T0 + i * 1000, 0, 0, x->b);
		in++;
		if (i % 100 == 0) { /* a live connection keeps sending through the flood */
			struct ofd_pkt q = p;
			ofd_ip_set4u(&q.src, 0xc6336401);
			q.src_port = 44444;
			q.tcp_flags = ACK;
			q.ip_len = 1500;
			ofd_meter_packet(x->m, &q, T0 + i * 1000, 0, 0, x->b);
			in++;
		}
		assert_true(st(x)->entries <= 1000);
	}
	assert_int_equal(st(x)->entries_max, 1000);
	assert_int_equal(st(x)->emergency_expired, n + 1 - 1000);
	fx_flush(x);
	assert_int_equal(st(x)->entries, 0);
	uint64_t pk = 0, live = 0;
	for (size_t i = 0; i < x->out.n; i++) {
		pk += x->out.v[i].packets;
		if (ofd_ip_v4(&x->out.v[i].src_addr) == 0xc6336401) {
			live++;
			assert_int_equal(x->out.v[i].packets, n / 100);
			assert_int_equal(x->out.v[i].bytes, n / 100 * 1500);
		}
	}
	assert_int_equal(pk, in);
	assert_int_equal(st(x)->metered, in);
	assert_int_equal(x->out.n, n + 1);
	assert_int_equal(live, 1); /* never evicted: it is always among the recent */
	fx_free(x);
}

static void test_sampling(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	c.sample = 10;
	struct fx *x = fx_new(&c);
	for (uint64_t i = 0; i < 1000; i++)
		udp(x, 5000, 0, T0 + i * MS);
	fx_flush(x);
	assert_int_equal(x->out.n, 1);
	assert_int_equal(x->out.v[0].packets, 100);
	assert_int_equal(x->out.v[0].sampling_rate, 10);
	assert_int_equal(st(x)->sampled_out, 900);
	assert_int_equal(st(x)->packets, 1000);
	fx_free(x);

	/* random: about 1 in 10, the same packets for the same seed */
	uint64_t got[2];
	for (int r = 0; r < 2; r++) {
		c.sampling = OFD_METER_SAMPLE_RANDOM;
		c.seed = 42;
		x = fx_new(&c);
		for (uint64_t i = 0; i < 10000; i++)
			udp(x, 5000, 0, T0 + i * MS);
		fx_flush(x);
		assert_int_equal(x->out.n, 1);
		got[r] = x->out.v[0].packets;
		assert_int_equal(got[r] + st(x)->sampled_out, 10000);
		fx_free(x);
	}
	assert_int_equal(got[0], got[1]);
	assert_in_range(got[0], 900, 1100);
}

static void test_symmetric_hash(void **state)
{
	(void)state;
	struct ofd_pkt p, q;
	memset(&p, 0, sizeof(p));
	p.layers = OFD_PKT_IP | OFD_PKT_L4;
	p.proto = 6;
	ofd_ip_set4u(&p.src, 0x0a000001);
	ofd_ip_set4u(&p.dst, 0x0a000002);
	p.src_port = 40000;
	p.dst_port = 80;
	q = p;
	q.src = p.dst;
	q.dst = p.src;
	q.src_port = 80;
	q.dst_port = 40000;
	assert_int_equal(ofd_meter_hash(&p, 3), ofd_meter_hash(&q, 3));
	q.dst_port = 40001;
	assert_int_not_equal(ofd_meter_hash(&p, 3), ofd_meter_hash(&q, 3));
	assert_int_not_equal(ofd_meter_hash(&p, 3), ofd_meter_hash(&p, 4));
}

static void test_not_ip(void **state)
{
	(void)state;
	struct ofd_meter_cfg c = cfg();
	struct fx *x = fx_new(&c);
	uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	ofd_meter_frame(x->m, OFD_LINK_ETHERNET, arp, sizeof(arp), sizeof(arp), T0, 0, x->b);
	fx_flush(x);
	assert_int_equal(x->out.n, 0);
	assert_int_equal(st(x)->not_ip, 1);
	assert_int_equal(st(x)->packets, 1);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_fin_both_ways),
	    cmocka_unit_test(test_tcp_one_fin_stays),
	    cmocka_unit_test(test_tcp_rst),
	    cmocka_unit_test(test_inactive_timeout),
	    cmocka_unit_test(test_active_timeout),
	    cmocka_unit_test(test_icmp),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_vlan_mpls_keys),
	    cmocka_unit_test(test_fragments),
	    cmocka_unit_test(test_fragments_v6),
	    cmocka_unit_test(test_flood_bounded),
	    cmocka_unit_test(test_sampling),
	    cmocka_unit_test(test_symmetric_hash),
	    cmocka_unit_test(test_not_ip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
