/*
 * bench_rdns: records per CPU-second of the reversedns segment with a warm cache.
 *
 *   bench_rdns [--passes N] [--fields all|src] [--cold] [FILE]
 *
 * Decodes the capture once (default examples/netflow_4M.pcap.gz, the NetFlow v5 sample, looked
 * for under the working directory and its parent) into batches, gives every address in it
 * (source, destination, next hop, exporter) a name in a hosts file served by a real dnsmasq on
 * 127.0.0.1 (tests/gen/gen_dnsmasq.h), runs the batches through the segment until every address
 * is answered (the cache is warm), then times N passes (default 100: "the sample x100") of
 * process() over all the batches, in this thread, only the process() calls (thread CPU time).
 * Each batch is first copied into a working batch (untimed), so that its records are in the
 * CPU cache as a pipeline's batch is right after its decoding; --cold runs the stored batches
 * in place instead (62 MB of records streamed from memory each pass). Each pass copies the
 * names into the arena anew, as a live pipeline would. Prints:
 *
 *   RESULT file=F mode=warm passes=N records=R names=M cpu_s=T rate=R/s ns_per_record=X
 *
 * where names counts the names set in the last pass (each record's four addresses, those not
 * 0.0.0.0). --fields src takes only the source address into account (a second dnsmasq setup is
 * not needed: the segment has no such key, so the other addresses are cleared in the copies).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "gen_dnsmasq.h"
#include "gen_load.h"
#include "ofd/harness.h"

#ifdef OFD_HAVE_SEGMENT_REVERSEDNS
extern const struct ofd_segment_type ofd_seg_reversedns;

struct store {
	struct ofd_batch **b;
	size_t n, cap;
};

static void keep(struct ofd_batch *b, void *ctx)
{
	struct store *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->b = realloc(s->b, s->cap * sizeof(*s->b));
		if (!s->b)
			abort();
	}
	struct ofd_batch *c = malloc(sizeof(*c));
	if (!c)
		abort();
	ofd_batch_init(c, NULL, NULL);
	ofd_batch_copy_live(c, b);
	s->b[s->n++] = c;
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Distinct IPv4 addresses of the records (the sample is NetFlow v5: IPv4 only). */
struct addrset {
	uint32_t *v;
	size_t n, cap;
};

static void add_addr(struct addrset *a, const struct ofd_ip *ip)
{
	if (ip->family != OFD_AF_INET)
		return;
	uint32_t v =
	    (uint32_t)ip->b[12] << 24 | (uint32_t)ip->b[13] << 16 | (uint32_t)ip->b[14] << 8 | ip->b[15];
	if (v == 0)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			abort();
	}
	a->v[a->n++] = v;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static int run(const char *path, unsigned passes, int src_only, int cold)
{
	struct gen_dgrams s;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = malloc(sizeof(*b)), *work = malloc(sizeof(*work));
	struct store st = {0};
	struct addrset as = {0};
	struct gen_dnsmasq d = {0};
	struct ofd_harness *h = NULL;
	char dir[] = "/tmp/bench_rdns.XXXXXX", hosts[64], arg[96];
	int rc = -1, made = 0;
	hosts[0] = '\0';
	if (!b || !work || gen_load(path, &s) || s.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		free(b);
		free(work);
		return -1;
	}
	ofd_batch_init(work, NULL, NULL);
	if (ofd_decoder_new(&dec, NULL))
		goto out;
	ofd_batch_init(b, keep, &st);
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], b);
	ofd_batch_flush(b);
	uint64_t records = 0;
	for (size_t i = 0; i < st.n; i++) {
		for (uint32_t k = 0; k < st.b[i]->n; k++) {
			struct ofd_flow *f = &st.b[i]->flows[k];
			if (src_only) {
				memset(&f->dst_addr, 0, sizeof(f->dst_addr));
				memset(&f->next_hop, 0, sizeof(f->next_hop));
				memset(&f->sampler_address, 0, sizeof(f->sampler_address));
			}
			add_addr(&as, &f->src_addr);
			add_addr(&as, &f->dst_addr);
			add_addr(&as, &f->next_hop);
			add_addr(&as, &f->sampler_address);
		}
		records += ofd_batch_live_count(st.b[i]);
	}
	qsort(as.v, as.n, sizeof(*as.v), cmp_u32);
	size_t distinct = 0;
	for (size_t i = 0; i < as.n; i++)
		if (i == 0 || as.v[i] != as.v[i - 1])
			as.v[distinct++] = as.v[i];
	/* the hosts file dnsmasq serves the names from (readable by the user it runs as) */
	if (!mkdtemp(dir))
		goto out;
	made = 1;
	if (chmod(dir, 0755))
		goto out;
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	FILE *hf = fopen(hosts, "w");
	if (!hf)
		goto out;
	for (size_t i = 0; i < distinct; i++) {
		uint32_t v = as.v[i];
		fprintf(hf, "%u.%u.%u.%u host-%u-%u-%u-%u.bench.example\n", v >> 24, v >> 16 & 255,
			v >> 8 & 255, v & 255, v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255);
	}
	fclose(hf);
	snprintf(arg, sizeof(arg), "--addn-hosts=%s", hosts);
	const char *args[] = {arg, "--local=/in-addr.arpa/", "--local-ttl=3600", "--cache-size=0", NULL};
	if (gen_dnsmasq_start(&d, args))
		goto out;
	char cfg[256], err[512];
	snprintf(cfg, sizeof(cfg),
		 "{resolver: '127.0.0.1:%d', maxinflight: 32, timeout: 20s, tries: 1, queuesize: 131072, "
		 "cachesize: 65536, minttl: 1h, refreshinterval: 1h, negativettl: 1s}",
		 d.port);
	if (ofd_harness_new(&h, &ofd_seg_reversedns, cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_rdns: %s\n", err);
		goto out;
	}
	/* warm up: until a whole pass finds every answer in the cache (dnsmasq answers PTR queries
	   from a hosts file slowly: it walks its records for each; hence the long timeout) */
	double t_warm = mono(), deadline = t_warm + 300;
	uint64_t notyet;
	do {
		notyet = ofd_harness_counter(h, "notyet");
		for (size_t i = 0; i < st.n; i++) {
			st.b[i]->arena_used = 0;
			ofd_harness_process(h, st.b[i]);
		}
	} while (ofd_harness_counter(h, "notyet") != notyet && mono() < deadline);
	t_warm = mono() - t_warm;
	uint64_t answered = ofd_harness_metric(h, "reversedns_queries_total", "answer");
	if (answered < distinct)
		fprintf(stderr, "bench_rdns: %" PRIu64 " answers for %zu addresses (evicted %" PRIu64 ")\n",
			answered, distinct, ofd_harness_counter(h, "evicted"));
	uint64_t hit0 = ofd_harness_metric(h, "reversedns_lookups_total", "hit");
	double cpu = 0, w0 = mono();
	for (unsigned p = 0; p < passes; p++)
		for (size_t i = 0; i < st.n; i++) {
			struct ofd_batch *x = st.b[i];
			if (!cold) {
				/* the batch in cache, as a pipeline's batch is right after its decoding */
				ofd_batch_reset(work);
				ofd_batch_copy_live(work, x);
				x = work;
			}
			x->arena_used = 0;
			double c0 = thread_cpu();
			ofd_harness_process(h, x);
			cpu += thread_cpu() - c0;
		}
	double wall = mono() - w0;
	uint64_t names = 0;
	for (size_t i = 0; i < st.n; i++) {
		const struct ofd_batch *x = st.b[i];
		if (!cold) {
			ofd_batch_reset(work);
			ofd_batch_copy_live(work, x);
			ofd_harness_process(h, work);
			x = work;
		}
		for (uint32_t k = 0; k < x->n; k++) {
			const struct ofd_flow *f = &x->flows[k];
			names += !!ofd_flow_has(f, OFD_F_SRC_HOST_NAME) +
				 !!ofd_flow_has(f, OFD_F_DST_HOST_NAME) +
				 !!ofd_flow_has(f, OFD_F_NEXT_HOP_HOST_NAME) +
				 !!ofd_flow_has(f, OFD_F_SAMPLER_HOST_NAME);
		}
	}
	uint64_t total = records * passes;
	printf(
	    "RESULT file=%s mode=%s fields=%s passes=%u records=%" PRIu64 " distinct_addrs=%zu warmup_s=%.2f "
	    "names_last_pass=%" PRIu64 " hits=%" PRIu64 " arena_full=%" PRIu64
	    " cpu_s=%.3f wall_s=%.3f rate=%.0f ns_per_record=%.1f\n",
	    path, cold ? "warm-cache,cold-batches" : "warm-cache", src_only ? "src" : "all", passes, total,
	    distinct, t_warm, names, ofd_harness_metric(h, "reversedns_lookups_total", "hit") - hit0,
	    ofd_harness_counter(h, "arena_full"), cpu, wall, (double)total / cpu, cpu * 1e9 / (double)total);
	rc = 0;
out:
	ofd_harness_free(h);
	gen_dnsmasq_stop(&d);
	if (made) {
		if (hosts[0])
			unlink(hosts);
		rmdir(dir);
	}
	for (size_t i = 0; i < st.n; i++)
		free(st.b[i]);
	free(st.b);
	free(as.v);
	free(b);
	free(work);
	ofd_decoder_free(dec);
	gen_load_free(&s);
	return rc;
}
#endif

int main(int argc, char **argv)
{
#ifndef OFD_HAVE_SEGMENT_REVERSEDNS
	(void)argc;
	(void)argv;
	fprintf(stderr, "bench_rdns: the reversedns segment is not in this build (c-ares missing)\n");
	return 0;
#else
	static const struct option opts[] = {
	    {"passes", required_argument, NULL, 'p'},
	    {"fields", required_argument, NULL, 'f'},
	    {"cold", no_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	unsigned passes = 100;
	int src_only = 0, cold = 0, c;
	while ((c = getopt_long(argc, argv, "p:f:c", opts, NULL)) != -1) {
		switch (c) {
		case 'p': passes = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': src_only = strcmp(optarg, "src") == 0; break;
		case 'c': cold = 1; break;
		default:
			fprintf(stderr,
				"usage: bench_rdns [--passes N] [--fields all|src] [--cold] [FILE]\n");
			return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	const char *path = optind < argc ? argv[optind] : NULL;
	if (!path)
		path = access("examples/netflow_4M.pcap.gz", R_OK) == 0 ? "examples/netflow_4M.pcap.gz"
									: "../examples/netflow_4M.pcap.gz";
	return run(path, passes ? passes : 1, src_only, cold) ? 1 : 0;
#endif
}
