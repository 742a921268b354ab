/*
 * bench_filter: records per CPU-second for decode + flowfilter + count, datagrams held in memory.
 *
 *   bench_filter [--seconds S] [--filter EXPR] [FILE...]
 *
 * Loads every UDP datagram of each capture (default: $OFD_DATA/netflow_4M.pcap, else
 * /work/shared/data/netflow_4M.pcap) into memory, then decodes them over and over until S
 * seconds of CPU time have passed; each full batch goes through ofd_filter_batch() and the
 * surviving records are counted. The default filter is the three-clause
 * `proto udp and src port 123 and packets > 1`. Prints one line per file:
 *
 *   RESULT file=F mode=filter filter="..." records=N matched=M cpu_s=T rate=R ns_per_record=X
 *
 * where rate counts decoded records (each one decoded, filtered and counted) per CPU-second.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "gen_load.h"
#include "flowfilter/flowfilter.h"

struct bench {
	const struct ofd_filter *filter;
	uint64_t records, matched;
};

static void consume(struct ofd_batch *b, void *ctx)
{
	struct bench *bn = ctx;
	bn->records += ofd_batch_live_count(b);
	bn->matched += ofd_filter_batch(bn->filter, b);
}

static int run(const char *path, const char *expr, struct bench *bn, double seconds)
{
	struct gen_dgrams s;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = NULL;
	int rc = -1;
	if (gen_load(path, &s) || s.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		goto out;
	}
	if (ofd_decoder_new(&dec, NULL))
		goto out;
	b = malloc(sizeof(*b));
	if (!b)
		goto out;
	ofd_batch_init(b, consume, bn);
	/* one warm-up pass learns the templates and faults the pages in */
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], b);
	ofd_batch_flush(b);
	bn->records = bn->matched = 0;
	double t0 = gen_cpu_now(), t1;
	uint64_t passes = 0;
	do {
		for (size_t i = 0; i < s.n; i++)
			(void)ofd_decode(dec, &s.dg[i], b);
		passes++;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	ofd_batch_flush(b);
	t1 = gen_cpu_now();
	double cpu = t1 - t0;
	printf("RESULT file=%s mode=filter filter=\"%s\" datagrams=%zu passes=%" PRIu64 " records=%" PRIu64
	       " matched=%" PRIu64 " cpu_s=%.3f rate=%.0f ns_per_record=%.1f\n",
	       path, expr, s.n, passes, bn->records, bn->matched, cpu, (double)bn->records / cpu,
	       cpu * 1e9 / (double)bn->records);
	rc = 0;
out:
	free(b);
	ofd_decoder_free(dec);
	gen_load_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"filter", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	const char *expr = "proto udp and src port 123 and packets > 1";
	double seconds = 3;
	int c;
	while ((c = getopt_long(argc, argv, "s:f:", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = strtod(optarg, NULL); break;
		case 'f': expr = optarg; break;
		default:
			fprintf(stderr, "usage: bench_filter [--seconds S] [--filter EXPR] [FILE...]\n");
			return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	struct ofd_filter *f;
	char err[256];
	if (ofd_filter_compile(&f, expr, err, sizeof(err))) {
		fprintf(stderr, "bench_filter: %s\n", err);
		return 2;
	}
	struct bench bn = {.filter = f};
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	int rc = 0;
	if (optind == argc && run(def, expr, &bn, seconds))
		rc = 1;
	for (int i = optind; i < argc; i++)
		if (run(argv[i], expr, &bn, seconds))
			rc = 1;
	ofd_filter_free(f);
	return rc;
}
