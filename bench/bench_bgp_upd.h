/*
 * The UPDATEs the BGP benchmarks feed (bench_bgp_msg: the parser; bench_bmp: the BMP station):
 * routes of an MRT RIB dump (default: the Route Views subset
 * $OFD_DATA/routeviews-jinx-rib-20140530-2200-subset.mrt), one UPDATE per route with its real AS
 * path (4-byte ASNs), ORIGIN, NEXT_HOP (IPv4) or MP_REACH_NLRI (IPv6, global next hop), MED, two
 * communities, and for one route in four a large community.
 */
#ifndef OFD_BENCH_BGP_UPD_H
#define OFD_BENCH_BGP_UPD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_msg.h"
#include "net/mrt.h"

struct rt {
	struct ofd_prefix p;
	unsigned n;
	uint32_t path[OFD_MRT_PATH_MAX];
};

static struct rt *routes;
static size_t n_routes, cap_routes;

static int on_route(void *ctx, const struct ofd_mrt_route *r)
{
	(void)ctx;
	if (n_routes == cap_routes) {
		cap_routes = cap_routes ? 2 * cap_routes : 4096;
		routes = realloc(routes, cap_routes * sizeof(*routes));
		if (!routes)
			return 1;
	}
	struct rt *t = &routes[n_routes++];
	t->p = r->prefix;
	t->n = r->path_len;
	memcpy(t->path, r->path, r->path_len * sizeof(uint32_t));
	return 0;
}

static uint8_t *put(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
	return p + 4;
}

/* One UPDATE for route r into out; returns its length. */
static size_t build(uint8_t *out, const struct rt *r, unsigned i)
{
	uint8_t attrs[1024], *a = attrs;
	static const uint8_t origin[] = {0x40, 1, 1, 0};
	a = put(a, origin, 4);
	unsigned pl = r->n > 60 ? 60 : r->n;
	*a++ = 0x40, *a++ = 2, *a++ = (uint8_t)(pl ? 2 + 4 * pl : 0);
	if (pl) {
		*a++ = 2, *a++ = (uint8_t)pl;
		for (unsigned k = 0; k < pl; k++)
			a = put32(a, r->path[k]);
	}
	int v4 = r->p.addr.family == OFD_AF_INET;
	unsigned plen = v4 ? r->p.len - 96u : r->p.len, nb = (plen + 7) / 8;
	const uint8_t *pb = v4 ? r->p.addr.b + 12 : r->p.addr.b;
	if (v4) {
		static const uint8_t nh[] = {0x40, 3, 4, 196, 223, 14, 55};
		a = put(a, nh, sizeof(nh));
	}
	*a++ = 0x80, *a++ = 4, *a++ = 4;
	a = put32(a, i % 100);
	*a++ = 0xc0, *a++ = 8, *a++ = 8;
	a = put32(a, 30844u << 16 | (i % 1000));
	a = put32(a, 65535u << 16 | 65281);
	if (i % 4 == 0) {
		*a++ = 0xc0, *a++ = 32, *a++ = 12;
		a = put32(a, 30844), a = put32(a, 1), a = put32(a, i);
	}
	if (!v4) {
		*a++ = 0x80, *a++ = 14, *a++ = (uint8_t)(5 + 16 + 1 + nb);
		*a++ = 0, *a++ = 2, *a++ = 1, *a++ = 16;
		static const uint8_t nh6[16] = {0x20, 0x01, 0x43, 0x08, [15] = 0x55};
		a = put(a, nh6, 16);
		*a++ = 0;
		*a++ = (uint8_t)plen;
		a = put(a, pb, nb);
	}
	size_t alen = (size_t)(a - attrs);
	uint8_t *p = out;
	memset(p, 0xff, 16);
	p += 18;
	*p++ = 2;
	*p++ = 0, *p++ = 0;
	*p++ = (uint8_t)(alen >> 8), *p++ = (uint8_t)alen;
	p = put(p, attrs, alen);
	if (v4) {
		*p++ = (uint8_t)plen;
		p = put(p, pb, nb);
	}
	size_t len = (size_t)(p - out);
	out[16] = (uint8_t)(len >> 8), out[17] = (uint8_t)len;
	return len;
}

/* Load the routes of the MRT file at path (NULL: the default); 0 or 1 (said why). */
static int load_routes(const char *arg)
{
	char def[512];
	const char *dir = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/routeviews-jinx-rib-20140530-2200-subset.mrt",
		 dir ? dir : "../shared/data");
	const char *path = arg ? arg : def;
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long fl = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *file = malloc((size_t)fl);
	if (!file || fread(file, 1, (size_t)fl, f) != (size_t)fl)
		return 1;
	fclose(f);
	struct ofd_mrt_stats st;
	if (ofd_mrt_walk(file, (size_t)fl, on_route, NULL, &st) != 0 || n_routes == 0) {
		fprintf(stderr, "%s: %s\n", path, st.error ? st.error : "no routes");
		return 1;
	}
	free(file);
	printf("routes from %s: %zu\n", path, n_routes);
	return 0;
}

#endif
