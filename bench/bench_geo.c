/*
 * bench_geo: records per CPU-second of the geolocation and aslookup segments on the NetFlow v5
 * sample replayed 100 times (issue 15).
 *
 *   bench_geo [--passes N] [--capture FILE] [--data DIR] [--bigdb FILE]
 *
 * The capture (default: $OFD_SRC/examples/netflow_4M.pcap.gz, else examples/netflow_4M.pcap.gz)
 * is decoded once into an array of records; then, for each configuration, an instance is built
 * on the public harness (include/ofd/harness.h) and the records go through its process() in
 * batches of OFD_BATCH_CAP, N passes (default 100). Only process() is timed (thread CPU time
 * around each call); copying the records into the batch is not. SrcAs/DstAs and AsPath are
 * cleared in the copies so that aslookup looks every address up, as with an exporter that sends
 * no AS numbers; geolocation runs with matchboth (the sample has no RemoteAddr) or, for
 * `remote`, with RemoteAddr 1 set on every copy. Databases from DIR (default $OFD_DATA, else
 * ../shared/data): MaxMind's test databases and the Route Views RIB subset. Prints per run:
 *
 *   RESULT seg=NAME variant=V records=R cpu_s=T rate=RATE ns_per_record=X hits=H
 *
 * where hits is the number of addresses that got an answer (a country, an AS) in the last pass,
 * and for geolocation cache_hit_pct the share of addresses answered from the cache. --bigdb adds
 * the geolocation runs on a larger database (bench/geo_mkdb.pl writes a synthetic one of 2.7M
 * nodes, 20 MB: the test databases have 1.5k nodes and stay in the CPU's caches).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "ofd/harness.h"

#if defined(OFD_HAVE_SEGMENT_GEOLOCATION) && defined(OFD_HAVE_SEGMENT_ASLOOKUP)
extern const struct ofd_segment_type ofd_seg_geolocation;
extern const struct ofd_segment_type ofd_seg_aslookup;

struct recs {
	struct ofd_flow *f;
	size_t n, cap;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct recs *r = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 65536;
			struct ofd_flow *f = realloc(r->f, cap * sizeof(*f));
			if (!f) {
				fprintf(stderr, "out of memory\n");
				exit(1);
			}
			r->f = f;
			r->cap = cap;
		}
		r->f[r->n++] = b->flows[i];
	}
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *label, const char *variant, const struct ofd_segment_type *t, const char *cfg,
	       const struct recs *r, unsigned passes, int remote)
{
	struct ofd_harness *h;
	char err[1024];
	if (ofd_harness_new(&h, t, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", label, err);
		return -1;
	}
	double cpu = 0;
	uint64_t records = 0, hits = 0;
	for (unsigned p = 0; p < passes; p++) {
		hits = 0;
		for (size_t i = 0; i < r->n; i += OFD_BATCH_CAP) {
			uint32_t n = (uint32_t)(r->n - i < OFD_BATCH_CAP ? r->n - i : OFD_BATCH_CAP);
			struct ofd_batch *b = ofd_harness_batch(h, n);
			memcpy(b->flows, r->f + i, n * sizeof(*b->flows));
			for (uint32_t k = 0; k < n; k++) {
				struct ofd_flow *f = &b->flows[k];
				f->src_as = f->dst_as = 0;
				f->as_path_len = 0;
				ofd_flow_clear(f, OFD_F_AS_PATH);
				if (remote) {
					f->remote_addr = OFD_REMOTE_SRC;
					ofd_flow_set(f, OFD_F_REMOTE_ADDR);
				}
			}
			double t0 = thread_cpu();
			ofd_harness_process(h, b);
			cpu += thread_cpu() - t0;
			records += n;
			for (uint32_t k = 0; k < n; k++) {
				const struct ofd_flow *f = &b->flows[k];
				hits += (f->src_as != 0) + (f->dst_as != 0) +
					ofd_flow_has(f, OFD_F_SRC_COUNTRY) +
					ofd_flow_has(f, OFD_F_DST_COUNTRY) +
					ofd_flow_has(f, OFD_F_REMOTE_COUNTRY);
			}
		}
	}
	uint64_t ch = ofd_harness_counter(h, "cache_hits"), lk = ofd_harness_counter(h, "lookups");
	char extra[64] = "";
	if (ch != UINT64_MAX && lk != UINT64_MAX && ch + lk)
		snprintf(extra, sizeof(extra), " cache_hit_pct=%.1f", 100.0 * (double)ch / (double)(ch + lk));
	printf("RESULT seg=%s variant=%s records=%" PRIu64
	       " cpu_s=%.3f rate=%.0f ns_per_record=%.1f hits=%" PRIu64 "%s\n",
	       label, variant, records, cpu, (double)records / cpu, cpu * 1e9 / (double)records, hits, extra);
	fflush(stdout);
	ofd_harness_free(h);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passes = 100;
	const char *capture = NULL, *data = getenv("OFD_DATA"), *bigdb = NULL;
	static const struct option opts[] = {
	    {"passes", required_argument, NULL, 'p'},
	    {"capture", required_argument, NULL, 'c'},
	    {"data", required_argument, NULL, 'd'},
	    {"bigdb", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': passes = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': capture = optarg; break;
		case 'd': data = optarg; break;
		case 'b': bigdb = optarg; break;
		default:
			fprintf(stderr,
				"usage: %s [--passes N] [--capture FILE] [--data DIR] [--bigdb FILE]\n",
				argv[0]);
			return 2;
		}
	}
	char cap[2048];
	if (!capture) {
		const char *src = getenv("OFD_SRC");
		snprintf(cap, sizeof(cap), "%s/examples/netflow_4M.pcap.gz", src ? src : ".");
		capture = cap;
	}
	if (!data)
		data = "../shared/data";
	ofd_log_set_level(OFD_LOG_WARN);

	struct gen_dgrams s;
	if (gen_load(capture, &s) || s.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", capture);
		return 1;
	}
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = malloc(sizeof(*b));
	struct recs r = {0};
	if (!b || ofd_decoder_new(&dec, NULL) != 0)
		return 1;
	ofd_batch_init(b, collect, &r);
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], b);
	ofd_batch_flush(b);
	printf("INPUT capture=%s datagrams=%zu records=%zu passes=%u\n", capture, s.n, r.n, passes);

	char cfg[4096];
	int rc = 0;
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoIP2-City-Test.mmdb\", matchboth: true}", data);
	rc |= run("geolocation", "city-matchboth-cached", &ofd_seg_geolocation, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoIP2-City-Test.mmdb\", matchboth: true, cachesize: 0}",
		 data);
	rc |= run("geolocation", "city-matchboth-uncached", &ofd_seg_geolocation, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoIP2-Country-Test.mmdb\", matchboth: true}", data);
	rc |= run("geolocation", "country-matchboth-cached", &ofd_seg_geolocation, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg),
		 "{filename: \"%s/GeoIP2-Country-Test.mmdb\", matchboth: true, cachesize: 0}", data);
	rc |= run("geolocation", "country-matchboth-uncached", &ofd_seg_geolocation, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoIP2-Country-Test.mmdb\"}", data);
	rc |= run("geolocation", "country-remote-cached", &ofd_seg_geolocation, cfg, &r, passes, 1);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoIP2-Country-Test.mmdb\", cachesize: 0}", data);
	rc |= run("geolocation", "country-remote-uncached", &ofd_seg_geolocation, cfg, &r, passes, 1);
	if (bigdb) {
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\", matchboth: true}", bigdb);
		rc |= run("geolocation", "big-matchboth-cached", &ofd_seg_geolocation, cfg, &r, passes, 0);
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\", matchboth: true, cachesize: 262144}", bigdb);
		rc |=
		    run("geolocation", "big-matchboth-cached256k", &ofd_seg_geolocation, cfg, &r, passes, 0);
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\", matchboth: true, cachesize: 0}", bigdb);
		rc |= run("geolocation", "big-matchboth-uncached", &ofd_seg_geolocation, cfg, &r, passes, 0);
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\"}", bigdb);
		rc |= run("geolocation", "big-remote-cached", &ofd_seg_geolocation, cfg, &r, passes, 1);
		snprintf(cfg, sizeof(cfg), "{filename: \"%s\", cachesize: 0}", bigdb);
		rc |= run("geolocation", "big-remote-uncached", &ofd_seg_geolocation, cfg, &r, passes, 1);
	}
	snprintf(cfg, sizeof(cfg),
		 "{filename: \"%s/routeviews-jinx-rib-20140530-2200-subset.mrt\", type: mrt}", data);
	rc |= run("aslookup", "mrt", &ofd_seg_aslookup, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoLite2-ASN-Test.mmdb\", type: db}", data);
	rc |= run("aslookup", "db-cached", &ofd_seg_aslookup, cfg, &r, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: \"%s/GeoLite2-ASN-Test.mmdb\", type: db, cachesize: 0}", data);
	rc |= run("aslookup", "db-uncached", &ofd_seg_aslookup, cfg, &r, passes, 0);

	ofd_decoder_free(dec);
	free(b);
	free(r.f);
	gen_load_free(&s);
	return rc ? 1 : 0;
}
#else
/* built without libmaxminddb: the segments are not there */
int main(void)
{
	fprintf(stderr, "bench_geo: geolocation/aslookup are not in this build (libmaxminddb missing)\n");
	return 0;
}
#endif
