/*
 * bench_bgp: one RIB (net/bgp_rib.h) holding a full-table-sized set of routes.
 *
 *   bench_bgp [MRT] [ROUTES] [BIRD_ROUTES_CONF] [MRT_OUT]
 *
 * Loads the MRT subset (default ../shared/data/routeviews-jinx-rib-20140530-2200-subset.mrt,
 * 25,531 entries) and synthesises from its AS paths about ROUTES (default 1,000,000) routes:
 * the subset's IPv4 prefixes again in the 7 other /3s (first octet + 32 k), /24s from 64.0.0.0
 * on, and 10% IPv6 /48s under 2a00::/12; every route's AS path is an MRT entry's, its MED one of
 * 32 values (so the attribute sets number a few hundred thousand, as in a real table). Reports
 * the load time, the RIB's memory by part and the process RSS growth, the snapshot freeze time,
 * and lookups per second on one core (batches of 256 random addresses inside the routes, lpm
 * batch lookup plus reading the attribute set, as the segment does). With BIRD_ROUTES_CONF it
 * also writes the same routes as two BIRD 2 static protocols (s4, s6; AS path and MED per route)
 * for BIRD's `show memory` of the same table (see /work/notes/bench-bgp.md), and with MRT_OUT
 * the same routes as an MRT TABLE_DUMP_V2 file (one peer; AS path, MED) for the segment's `mrt`
 * key (`bench_seg bgp` on a full table).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/bgp_rib.h"
#include "net/mrt.h"
#include "ofd/time.h"
#include "util/fileio.h"

struct src {
	struct ofd_prefix p;
	uint16_t n;
	uint32_t path[16];
};
static struct src *S;
static size_t NS, CAPS;

static int collect(void *ctx, const struct ofd_mrt_route *m)
{
	(void)ctx;
	if (NS == CAPS) {
		CAPS = CAPS ? CAPS * 2 : 32768;
		S = realloc(S, CAPS * sizeof(*S));
		if (!S)
			return 1;
	}
	struct src *s = &S[NS++];
	s->p = m->prefix;
	s->n = (uint16_t)(m->path_len < 16 ? m->path_len : 16);
	memcpy(s->path, m->path, s->n * 4u);
	return 0;
}

static size_t rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

static struct ofd_bgp_update U;
static FILE *BC; /* BIRD static routes, or NULL */
static int bc_v6 = -1;

static FILE *MO; /* MRT out, or NULL */
static uint32_t mo_seq;

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}
static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16), be16(p + 2, v & 0xffff);
}

static void mrt_rec(unsigned sub, const uint8_t *body, size_t n)
{
	uint8_t h[12];
	be32(h, 1401487200), be16(h + 4, 13), be16(h + 6, sub), be32(h + 8, (uint32_t)n);
	if (fwrite(h, 1, 12, MO) != 12 || fwrite(body, 1, n, MO) != n)
		perror("mrt out");
}

static void mrt_peer_table(void)
{
	uint8_t b[32] = {0};
	be32(b, 0xc0000201); /* collector id; view name length 0 (b[4..5]) */
	be16(b + 6, 1);
	b[8] = 2; /* IPv4 address, 4-byte AS */
	be32(b + 9, 0xc0000209), be32(b + 13, 0xc0000209), be32(b + 17, 64496);
	mrt_rec(1, b, 21);
}

static void mrt_route(const struct ofd_prefix *p)
{
	if (!MO)
		return;
	uint8_t b[1024];
	int v6 = !ofd_ip_is_v4mapped(&p->addr);
	unsigned len = v6 ? p->len : p->len - 96u, nb = (len + 7) / 8;
	size_t n = 0;
	be32(b, mo_seq++), n = 4;
	b[n++] = (uint8_t)len;
	memcpy(b + n, p->addr.b + (v6 ? 0 : 12), nb), n += nb;
	be16(b + n, 1), n += 2;
	be16(b + n, 0), be32(b + n + 2, 1401487200), n += 6;
	size_t al = n;
	n += 2;
	b[n++] = 0x40, b[n++] = 1, b[n++] = 1, b[n++] = 0; /* ORIGIN IGP */
	b[n++] = 0x40, b[n++] = 2, b[n++] = (uint8_t)(2 + 4 * U.path.n_asn);
	b[n++] = 2, b[n++] = (uint8_t)U.path.n_asn;
	for (unsigned i = 0; i < U.path.n_asn; i++)
		be32(b + n, U.path.asn[i]), n += 4;
	b[n++] = 0x80, b[n++] = 4, b[n++] = 4;
	be32(b + n, U.med), n += 4;
	if (!v6) { /* NEXT_HOP 192.0.2.1 */
		b[n++] = 0x40, b[n++] = 3, b[n++] = 4;
		be32(b + n, 0xc0000201), n += 4;
	} else { /* MP_REACH_NLRI, RFC 6396 4.3.4's abbreviated form: next hop 2001:db8::1 only */
		b[n++] = 0x80, b[n++] = 14, b[n++] = 17, b[n++] = 16;
		memset(b + n, 0, 16), be32(b + n, 0x20010db8), b[n + 15] = 1, n += 16;
	}
	be16(b + al, (unsigned)(n - al - 2));
	mrt_rec(v6 ? 4 : 2, b, n);
}

static void bird_route(const struct ofd_prefix *p)
{
	mrt_route(p);
	if (!BC)
		return;
	int v6 = !ofd_ip_is_v4mapped(&p->addr);
	if (v6 != bc_v6) {
		fprintf(BC, "%sprotocol static s%d {\n\t%s;\n", bc_v6 < 0 ? "" : "}\n", v6 ? 6 : 4,
			v6 ? "ipv6" : "ipv4");
		bc_v6 = v6;
	}
	char b[OFD_PREFIX_STRLEN];
	struct ofd_prefix q = *p;
	q.addr.family = v6 ? OFD_AF_INET6 : OFD_AF_INET;
	ofd_prefix_str(&q, b);
	fprintf(BC, "\troute %s blackhole {", b);
	for (unsigned i = U.path.n_asn; i-- > 0;)
		fprintf(BC, " bgp_path.prepend(%u);", U.path.asn[i]);
	fprintf(BC, " bgp_med = %u; };\n", U.med);
}

static void set_path(const struct src *s, uint32_t med)
{
	U.attrs = 1u << OFD_BGP_ATTR_ORIGIN | 1u << OFD_BGP_ATTR_AS_PATH | 1u << OFD_BGP_ATTR_MED |
		  1u << OFD_BGP_ATTR_NEXT_HOP;
	memcpy(U.path.asn, s->path, s->n * 4u);
	U.path.n_asn = s->n;
	U.path.n_seg = 1;
	U.path.seg[0] = (struct ofd_bgp_seg){OFD_BGP_AS_SEQUENCE, (uint8_t)s->n, 0};
	U.path.origin_ok = s->n > 0;
	U.path.origin_as = s->n ? s->path[s->n - 1] : 0;
	U.med = med;
	U.next_hop = 0xc0000201;
}

int main(int argc, char **argv)
{
	const char *dd = getenv("OFD_DATA");
	char def[512];
	snprintf(def, sizeof(def), "%s/routeviews-jinx-rib-20140530-2200-subset.mrt",
		 dd ? dd : "../shared/data");
	const char *path = argc > 1 && *argv[1] ? argv[1] : def;
	size_t want = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	char *buf;
	size_t len;
	if (ofd_read_file(path, (size_t)1 << 32, &buf, &len)) {
		perror(path);
		return 1;
	}
	struct ofd_mrt_stats st;
	if (ofd_mrt_walk((const uint8_t *)buf, len, collect, NULL, &st) || !NS) {
		fprintf(stderr, "%s: %s\n", path, st.error ? st.error : "no routes");
		return 1;
	}
	free(buf);

	if (argc > 3 && !(BC = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 1;
	}
	if (argc > 4) {
		if (!(MO = fopen(argv[4], "w"))) {
			perror(argv[4]);
			return 1;
		}
		mrt_peer_table();
	}
	size_t rss0 = rss_kb();
	struct ofd_bgp_rib *r;
	if (ofd_bgp_rib_new(&r, 0))
		return 1;
	uint64_t t0 = ofd_time_mono_ns();
	size_t n = 0, n6 = want / 10;
	struct ofd_prefix p;
	/* the subset's IPv4 routes in all 8 /3s */
	for (unsigned k = 0; k < 8 && n < want - n6; k++)
		for (size_t i = 0; i < NS && n < want - n6; i++) {
			if (!ofd_ip_is_v4mapped(&S[i].p.addr) || S[i].p.len < 96 + 3)
				continue;
			p = S[i].p;
			p.addr.b[12] = (uint8_t)(p.addr.b[12] + 32 * k);
			set_path(&S[i], (uint32_t)k);
			if (ofd_bgp_rib_best(r, &p))
				continue; /* one route per prefix (the same in BIRD) */
			n += ofd_bgp_rib_announce(r, &p, 0, &U) == 1;
			bird_route(&p);
		}
	/* /24s from 64.0.0.0 */
	memset(&p, 0, sizeof(p));
	p.addr.family = OFD_AF_INET;
	p.addr.b[10] = p.addr.b[11] = 0xff;
	p.len = 96 + 24;
	for (uint32_t i = 0; n < want - n6; i++) {
		uint32_t a = 0x40000000u + (i << 8);
		p.addr.b[12] = (uint8_t)(a >> 24);
		p.addr.b[13] = (uint8_t)(a >> 16);
		p.addr.b[14] = (uint8_t)(a >> 8);
		set_path(&S[i % NS], (i / (uint32_t)NS) % 32);
		if (ofd_bgp_rib_best(r, &p))
			continue;
		n += ofd_bgp_rib_announce(r, &p, 0, &U) == 1;
		bird_route(&p);
	}
	/* IPv6 /48s under 2a00::/12 */
	memset(&p, 0, sizeof(p));
	p.addr.family = OFD_AF_INET6;
	p.len = 48;
	for (uint32_t i = 0; n < want; i++) {
		uint32_t v = 0x2a000000u + i; /* 2a00:0000 + i in the next 36 bits, /48 */
		p.addr.b[0] = (uint8_t)(v >> 24);
		p.addr.b[1] = (uint8_t)(v >> 16);
		p.addr.b[2] = (uint8_t)(v >> 8);
		p.addr.b[3] = (uint8_t)v;
		p.addr.b[4] = (uint8_t)(i >> 16);
		set_path(&S[(i * 7) % NS], i % 32);
		if (ofd_bgp_rib_best(r, &p))
			continue;
		n += ofd_bgp_rib_announce(r, &p, 0, &U) == 1;
		bird_route(&p);
	}
	uint64_t t1 = ofd_time_mono_ns();
	if (MO) {
		fclose(MO);
		MO = NULL;
	}
	if (BC) {
		fprintf(BC, "}\n");
		fclose(BC);
		BC = NULL;
		t1 = t0 = ofd_time_mono_ns(); /* the load time is not measured with the file written */
	}
	if (ofd_bgp_rib_publish(r, 1) != 1)
		return 1;
	ofd_bgp_rib_adopt(r);
	uint64_t t2 = ofd_time_mono_ns();
	malloc_trim(0);
	size_t rss1 = rss_kb();
	struct ofd_bgp_rib_stats rs;
	ofd_bgp_rib_stats(r, &rs);
	printf("routes %zu (prefixes %llu, attribute sets %llu) from %zu MRT entries\n", n,
	       (unsigned long long)rs.prefixes, (unsigned long long)rs.attr_sets, NS);
	printf("load %.2f s (%.0f ns/route), freeze %.2f s\n", (double)(t1 - t0) / 1e9,
	       (double)(t1 - t0) / (double)n, (double)(t2 - t1) / 1e9);
	printf("memory: map %.1f MB, attribute sets %.1f MB, snapshot %.1f MB; %.1f bytes/route (RIB + "
	       "snapshot); "
	       "RSS growth %.1f MB\n",
	       rs.map_bytes / 1e6, rs.attr_bytes / 1e6, rs.snap_bytes / 1e6,
	       (double)(rs.map_bytes + rs.attr_bytes + rs.snap_bytes) / (double)n,
	       (double)(rss1 - rss0) / 1e3);

	/* lookups: addresses inside random routes' prefixes */
	const struct ofd_bgp_snap *snap = ofd_bgp_rib_current(r);
	enum { NA = 1 << 20, B = 256 };
	struct ofd_ip *addrs = malloc(NA * sizeof(*addrs));
	const struct ofd_ip *ptr[B];
	uint32_t val[B];
	uint64_t x = 88172645463325252ull, sum = 0;
	for (size_t i = 0; i < NA; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		struct ofd_ip *a = &addrs[i];
		memset(a, 0, sizeof(*a));
		if (x % 10) {
			a->family = OFD_AF_INET;
			a->b[10] = a->b[11] = 0xff;
			uint32_t v =
			    (uint32_t)(x >> 20) % 0x4b000000u; /* 0.0.0.0 .. 75.x: inside the table */
			memcpy(a->b + 12,
			       (uint8_t[4]){(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
					    (uint8_t)v},
			       4);
		} else {
			a->family = OFD_AF_INET6;
			uint32_t i6 = (uint32_t)(x >> 16) % (uint32_t)n6;
			uint32_t v = 0x2a000000u + i6;
			a->b[0] = (uint8_t)(v >> 24), a->b[1] = (uint8_t)(v >> 16),
			a->b[2] = (uint8_t)(v >> 8);
			a->b[3] = (uint8_t)v, a->b[4] = (uint8_t)(i6 >> 16), a->b[15] = 1;
		}
	}
	size_t hits = 0, rounds = 8;
	uint64_t l0 = ofd_time_mono_ns();
	for (size_t k = 0; k < rounds; k++)
		for (size_t i = 0; i < NA; i += B) {
			for (size_t j = 0; j < B; j++)
				ptr[j] = &addrs[i + j];
			hits += ofd_lpm_lookup_batch(snap->lpm, ptr, B, val, OFD_BGP_SNAP_MISS);
			for (size_t j = 0; j < B; j++)
				if (val[j] != OFD_BGP_SNAP_MISS) {
					uint8_t pl;
					const struct ofd_bgp_attrs *a = ofd_bgp_snap_attrs(snap, val[j], &pl);
					sum += a->origin_as + a->med + pl;
				}
		}
	uint64_t l1 = ofd_time_mono_ns();
	double ns = (double)(l1 - l0) / (double)(NA * rounds);
	printf("lookups: %.1f ns each, %.1f M/s on one core (batch of %d, hit rate %.1f%%, checksum %llu)\n",
	       ns, 1e3 / ns, B, 100.0 * (double)hits / (double)(NA * rounds),
	       (unsigned long long)(sum & 0xffff));
	uint64_t f0 = ofd_time_mono_ns();
	if (ofd_bgp_rib_publish(r, 1) != 1)
		return 1;
	uint64_t f1 = ofd_time_mono_ns();
	printf("re-freeze (full table, after a change): %.2f s\n", (double)(f1 - f0) / 1e9);
	free(addrs);
	ofd_bgp_rib_free(r);
	free(S);
	return 0;
}
