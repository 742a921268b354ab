/*
 * bench_enrich: records per CPU-second of the prefix and counter enrichers (addcid, addnetid,
 * remoteaddress, normalize) on decoded records held in memory.
 *
 *   bench_enrich [--passes N] [--prefixes N] [--warm] [--only CASE] [FILE]
 *
 * FILE (default $OFD_DATA/netflow_4M.pcap, else /work/shared/data/netflow_4M.pcap: the
 * examples/netflow_4M.pcap.gz sample unpacked) is decoded once into batches; each case then
 * runs its segment through the harness (include/ofd/harness.h) over every batch, N times
 * (default 100: "the sample x100"), timing only the process() calls in CPU time. The prefix
 * cases read a generated CSV: one prefix for each distinct /24 of the sample's addresses (so
 * that lookups hit, with ids spread over 1000 customers) plus --prefixes random IPv4 /16-/28
 * and IPv6 /32-/64 ones (default 100000), so that the table is the size of a real customer
 * list. Before the addcid cases the records get RemoteAddr from remoteaddress `border` (not
 * timed). normalize restores bytes, packets and Normalized before each pass, the string case
 * empties the arenas (not timed).
 * --warm reads each batch into the cache before timing its process() (a batch right after its
 * decoding is in the cache; the sample x100, 62 MB of records, is not).
 * Prints one line per case:
 *
 *   RESULT case=NAME records=N passes=P cpu_s=T rate=R ns_per_record=X
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "ofd/harness.h"

extern const struct ofd_segment_type ofd_seg_addcid, ofd_seg_addnetid, ofd_seg_remoteaddress,
    ofd_seg_normalize;

struct store {
	struct ofd_batch **b;
	size_t n, cap;
	uint64_t records;
};

static void keep(struct ofd_batch *src, void *ctx)
{
	struct store *st = ctx;
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->b = realloc(st->b, st->cap * sizeof(*st->b));
		if (!st->b)
			abort();
	}
	struct ofd_batch *b = malloc(sizeof(*b));
	if (!b)
		abort();
	ofd_batch_init(b, NULL, NULL);
	ofd_batch_copy_live(b, src);
	st->records += ofd_batch_live_count(b);
	st->b[st->n++] = b;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t x = rnd_state;
	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	return rnd_state = x;
}

/* The prefix file: the sample's /24s (ids 1..1000) and nrand random prefixes. */
static int write_prefixes(const char *path, const struct store *st, unsigned nrand, int strings)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "prefix,id\n");
	size_t nsample = 0;
	uint8_t *seen = calloc(1, 1u << 24); /* /24s written (IPv4) */
	if (!seen) {
		fclose(f);
		return -1;
	}
	for (unsigned i = 0; i < nrand; i++) {
		uint64_t x = rnd();
		unsigned id = (unsigned)(x % 1000) + 1;
		if (i % 4 == 3) {
			unsigned len = 32 + (unsigned)(x >> 20) % 33;
			uint64_t hi = (0x2000ull << 48 | (x >> 16)) & (len == 64 ? ~0ull : ~(~0ull >> len));
			fprintf(f, "%x:%x:%x:%x::/%u,", (unsigned)(hi >> 48), (unsigned)(hi >> 32 & 0xffff),
				(unsigned)(hi >> 16 & 0xffff), (unsigned)(hi & 0xffff), len);
		} else {
			unsigned len = 16 + (unsigned)(x >> 24) % 13;
			uint32_t a = (uint32_t)(x >> 32) & ~(0xffffffffu >> len);
			fprintf(f, "%u.%u.%u.%u/%u,", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, len);
		}
		fprintf(f, strings ? "customer-%u\n" : "%u\n", id);
	}
	for (size_t k = 0; k < st->n; k++) {
		const struct ofd_batch *b = st->b[k];
		for (uint32_t i = 0; i < b->n; i++) {
			const struct ofd_ip *as[2] = {&b->flows[i].src_addr, &b->flows[i].dst_addr};
			for (int j = 0; j < 2; j++) {
				const uint8_t *p = as[j]->b + 12;
				uint32_t s24 = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
				if (as[j]->family != OFD_AF_INET || seen[s24])
					continue;
				seen[s24] = 1;
				nsample++;
				unsigned id = (unsigned)(rnd() % 1000) + 1;
				fprintf(f, "%u.%u.%u.0/24,", p[0], p[1], p[2]);
				fprintf(f, strings ? "customer-%u\n" : "%u\n", id);
			}
		}
	}
	free(seen);
	printf("# %s: %u random prefixes and %zu /24s of the sample\n", path, nrand, nsample);
	return fclose(f);
}

static struct ofd_harness *open_seg(const struct ofd_segment_type *t, const char *cfg)
{
	struct ofd_harness *h = NULL;
	char err[512];
	if (ofd_harness_new(&h, t, cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_enrich: %s\n", err);
		exit(1);
	}
	return h;
}

/* Saved counters of every record, for normalize's passes. */
struct saved {
	uint64_t bytes, packets;
	uint32_t rate;
};

static int warm;
static const char *only; /* --only NAME: that case (and what it needs) alone */
static volatile uint64_t sink;

/* Read every cache line of the batch's records. */
static void touch(const struct ofd_batch *b)
{
	const uint64_t *p = (const uint64_t *)(const void *)b->flows;
	size_t n = b->n * sizeof(struct ofd_flow) / 8;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i += 8)
		x += p[i];
	sink += x;
}

static void run_case(const char *name, const struct ofd_segment_type *t, const char *cfg, struct store *st,
		     unsigned passes, int restore)
{
	if (only && strcmp(only, name) != 0 && name[0] != '(')
		return;
	struct ofd_harness *h = open_seg(t, cfg);
	struct saved *sv = NULL;
	if (restore & 1) {
		sv = malloc(st->n * OFD_BATCH_CAP * sizeof(*sv));
		if (!sv)
			abort();
		for (size_t k = 0; k < st->n; k++)
			for (uint32_t i = 0; i < st->b[k]->n; i++) {
				const struct ofd_flow *f = &st->b[k]->flows[i];
				sv[k * OFD_BATCH_CAP + i] =
				    (struct saved){f->bytes, f->packets, f->sampling_rate};
			}
	}
	double cpu = 0;
	for (unsigned p = 0; p < passes; p++) {
		if (restore & 2) /* the arena copies of the last pass */
			for (size_t k = 0; k < st->n; k++)
				st->b[k]->arena_used = 0;
		if (restore & 1)
			for (size_t k = 0; k < st->n; k++)
				for (uint32_t i = 0; i < st->b[k]->n; i++) {
					struct ofd_flow *f = &st->b[k]->flows[i];
					const struct saved *s = &sv[k * OFD_BATCH_CAP + i];
					f->bytes = s->bytes, f->packets = s->packets,
					f->sampling_rate = s->rate;
					f->normalized = 0;
				}
		if (warm) { /* each batch in cache first, as right after its decoding (not timed) */
			for (size_t k = 0; k < st->n; k++) {
				touch(st->b[k]);
				double t0 = gen_cpu_now();
				ofd_harness_process(h, st->b[k]);
				cpu += gen_cpu_now() - t0;
			}
			continue;
		}
		double t0 = gen_cpu_now();
		for (size_t k = 0; k < st->n; k++)
			ofd_harness_process(h, st->b[k]);
		cpu += gen_cpu_now() - t0;
	}
	uint64_t recs = st->records * passes;
	printf("RESULT case=%s%s records=%" PRIu64 " passes=%u cpu_s=%.3f rate=%.0f ns_per_record=%.2f\n",
	       name, warm ? "-warm" : "", recs, passes, cpu, (double)recs / cpu, cpu * 1e9 / (double)recs);
	fflush(stdout);
	free(sv);
	ofd_harness_free(h);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"passes", required_argument, NULL, 'p'},
	    {"prefixes", required_argument, NULL, 'n'},
	    {"warm", no_argument, NULL, 'w'},
	    {"only", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	unsigned passes = 100, nrand = 100000;
	int c;
	while ((c = getopt_long(argc, argv, "p:n:wo:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': passes = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': nrand = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': warm = 1; break;
		case 'o': only = optarg; break;
		default:
			fprintf(stderr, "usage: bench_enrich [--passes N] [--prefixes N] [--warm] [--only "
					"CASE] [FILE]\n");
			return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	const char *path = optind < argc ? argv[optind] : def;

	struct gen_dgrams dg;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = malloc(sizeof(*b));
	struct store st = {0};
	if (!b || gen_load(path, &dg) || dg.n == 0 || ofd_decoder_new(&dec, NULL)) {
		fprintf(stderr, "bench_enrich: %s: no datagrams\n", path);
		return 1;
	}
	ofd_batch_init(b, keep, &st);
	for (size_t i = 0; i < dg.n; i++)
		(void)ofd_decode(dec, &dg.dg[i], b);
	ofd_batch_flush(b);
	printf("# %s: %" PRIu64 " records in %zu batches\n", path, st.records, st.n);

	char dir[] = "/tmp/ofd-bench-enrich-XXXXXX", ints[128], strs[128], cfg[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(ints, sizeof(ints), "%s/ids.csv", dir);
	snprintf(strs, sizeof(strs), "%s/names.csv", dir);
	if (write_prefixes(ints, &st, nrand, 0) || write_prefixes(strs, &st, nrand, 1))
		return 1;

	snprintf(cfg, sizeof(cfg), "{policy: cidr, filename: %s}", ints);
	run_case("remoteaddress-cidr", &ofd_seg_remoteaddress, cfg, &st, passes, 0);
	run_case("remoteaddress-border", &ofd_seg_remoteaddress, "{policy: border}", &st, passes, 0);
	/* the local side for addcid, as in flowpipeline's enricher example */
	run_case("(prepare: remoteaddress-border)", &ofd_seg_remoteaddress, "{policy: border}", &st, 1, 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", ints);
	run_case("addcid", &ofd_seg_addcid, cfg, &st, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s, matchboth: true}", ints);
	run_case("addcid-matchboth", &ofd_seg_addcid, cfg, &st, passes, 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", strs);
	run_case("addnetid-strings", &ofd_seg_addnetid, cfg, &st, passes, 2);
	run_case("normalize", &ofd_seg_normalize, "{fallback: 100}", &st, passes, 1);

	unlink(ints);
	unlink(strs);
	rmdir(dir);
	for (size_t k = 0; k < st.n; k++)
		free(st.b[k]);
	free(st.b);
	free(b);
	ofd_decoder_free(dec);
	gen_load_free(&dg);
	return 0;
}
