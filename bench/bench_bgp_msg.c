/*
 * bench_bgp_msg: BGP UPDATE parsing (net/bgp_msg.h) on one core.
 *
 *   bench_bgp_msg [--updates N] [--times T] [MRT_FILE]
 *
 * Builds N (default 100,000) UPDATEs from the routes of an MRT RIB dump (default: the Route
 * Views subset $OFD_DATA/routeviews-jinx-rib-20140530-2200-subset.mrt), cycling over its
 * 25,531 entries: each UPDATE carries one route with its real AS path (4-byte ASNs), ORIGIN,
 * NEXT_HOP (IPv4) or MP_REACH_NLRI (IPv6, global next hop), MED, two communities, and for one
 * route in four a large community: a table transfer without attribute packing, the worst case
 * per prefix. Then parses all of them T times (default 20), walking every NLRI, and prints
 * CPU-time rates:
 *
 *   RESULT bench=bgp_update updates=N bytes=B cpu_s=S rate=R ns_per_update=X mb_per_s=M
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_bgp_upd.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n_upd = 100000;
	int times = 20, c;
	static const struct option lo[] = {{"updates", 1, 0, 'u'}, {"times", 1, 0, 't'}, {0, 0, 0, 0}};
	while ((c = getopt_long(argc, argv, "u:t:", lo, NULL)) != -1) {
		if (c == 'u')
			n_upd = strtoul(optarg, NULL, 10);
		else if (c == 't')
			times = (int)strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (load_routes(optind < argc ? argv[optind] : NULL))
		return 1;
	uint8_t *buf = malloc(n_upd * 300);
	size_t *off = malloc((n_upd + 1) * sizeof(size_t));
	if (!buf || !off)
		return 1;
	size_t total = 0;
	for (size_t i = 0; i < n_upd; i++) {
		off[i] = total;
		total += build(buf + total, &routes[i % n_routes], (unsigned)i);
	}
	off[n_upd] = total;

	static struct ofd_bgp_update u;
	struct ofd_bgp_sess s = {.as4 = 1};
	uint64_t prefixes = 0, bad = 0, asns = 0;
	double t0 = cpu_now();
	for (int t = 0; t < times; t++) {
		for (size_t i = 0; i < n_upd; i++) {
			if (ofd_bgp_update_parse(buf + off[i], off[i + 1] - off[i], &s, &u) != OFD_BGP_OK) {
				bad++;
				continue;
			}
			struct ofd_bgp_nlri_it it;
			struct ofd_prefix p;
			const struct ofd_bgp_nlri *b = u.nlri.count ? &u.nlri : &u.mp_reach;
			ofd_bgp_nlri_begin(&it, b);
			while (ofd_bgp_nlri_next(&it, &p, NULL) == 1)
				prefixes++;
			asns += u.path.n_asn;
		}
	}
	double cpu = cpu_now() - t0;
	double n = (double)n_upd * times;
	printf("UPDATEs: %zu (%zu bytes, %.1f bytes avg); parses: %.0f, bad: %llu, "
	       "prefixes walked: %llu, ASNs: %llu\n",
	       n_upd, total, (double)total / (double)n_upd, n, (unsigned long long)bad,
	       (unsigned long long)prefixes, (unsigned long long)asns);
	printf("RESULT bench=bgp_update updates=%zu bytes=%zu cpu_s=%.3f rate=%.0f ns_per_update=%.1f "
	       "mb_per_s=%.0f\n",
	       n_upd, total, cpu, n / cpu, cpu * 1e9 / n, (double)total * times / cpu / 1e6);
	free(buf);
	free(off);
	free(routes);
	return bad ? 1 : 0;
}
