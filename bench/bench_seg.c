/*
 * bench_seg: records per CPU-second of one segment, or a chain of them, on decoded records.
 *
 *   bench_seg [--file F] [--times N] [--warmup N] [--settle MS] NAME [CONFIG] [NAME [CONFIG]]...
 *
 * Decodes every datagram of the capture once (default: $OFD_DATA/netflow_4M.pcap, else
 * /work/shared/data/netflow_4M.pcap, the v5 sample) and keeps the batches; then builds each
 * segment as the engine does (ofd_harness_new: its config map, check(), init()), with CONFIG a
 * YAML flow map on one line ("{filename: tags.csv}"), and passes copies of the batches through
 * the chain N times (default 100: "the sample x100"). Each segment's process() is timed alone
 * with the thread's CPU clock, so the copying does not count; the chain's figure is the sum.
 * Before timing, --warmup passes (default 1) run untimed and the bench waits --settle ms (default
 * 0; for segments that fill a cache from a background thread), ticking every segment. Prints:
 *
 *   RESULT seg=NAME records=N live_out=M cpu_s=T rate=R ns_per_record=X
 *   RESULT seg=chain(NAME+NAME...) records=N cpu_s=T rate=R ns_per_record=X
 *
 * records counts the live records that entered the segment, live_out those that left it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/registry.h"
#include "decode/decode.h"
#include "gen_load.h"
#include "bench_sample.h"
#include "ofd/harness.h"
#include "ofd/log.h"
#include "ofd/time.h"
#include "segments/builtin.h"

#define MAX_SEGS 16

struct seg {
	const char *name;
	struct ofd_harness *h;
	uint64_t in, out, ns;
};

static uint64_t thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One pass of every stored batch through the chain; timed when `timed`. */
static void pass(const struct stored *st, struct seg *sg, int nseg, struct ofd_batch *w, int timed)
{
	for (size_t i = 0; i < st->n; i++) {
		ofd_batch_init(w, NULL, NULL);
		ofd_batch_copy_live(w, st->b[i]);
		for (int k = 0; k < nseg; k++) {
			uint64_t in = ofd_batch_live_count(w);
			if (!in)
				break;
			uint64_t t0 = timed ? thread_ns() : 0;
			ofd_harness_process(sg[k].h, w);
			if (timed) {
				sg[k].ns += thread_ns() - t0;
				sg[k].in += in;
				sg[k].out += ofd_batch_live_count(w);
			}
		}
	}
	for (int k = 0; k < nseg; k++)
		ofd_harness_tick(sg[k].h, ofd_time_now_ns());
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_seg [--file F] [--times N] [--warmup N] [--settle MS] NAME [CONFIG] ...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"times", required_argument, NULL, 't'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"settle", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	const char *file = def;
	long times = 100, warmup = 1, settle = 0;
	int c;
	while ((c = getopt_long(argc, argv, "f:t:w:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 't': times = strtol(optarg, NULL, 10); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 's': settle = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind == argc || times < 1)
		usage();
	ofd_log_set_level(OFD_LOG_ERR);
	struct ofd_registry *reg;
	if (ofd_registry_new(&reg))
		return 1;
	struct seg sg[MAX_SEGS];
	struct ofd_batch *w = NULL;
	int nseg = 0, rc = 1;
	char err[1024];
	for (int i = optind; i < argc; i++) {
		const char *cfg = i + 1 < argc && argv[i + 1][0] == '{' ? argv[i + 1] : NULL;
		const struct ofd_segment_type *t = ofd_registry_find(reg, argv[i]);
		if (!t || nseg == MAX_SEGS) {
			fprintf(stderr, "bench_seg: %s: %s\n", argv[i],
				t ? "too many segments" : "no such segment");
			goto out;
		}
		sg[nseg] = (struct seg){.name = argv[i]};
		if (ofd_harness_new(&sg[nseg].h, t, cfg, err, sizeof(err))) {
			fprintf(stderr, "bench_seg: %s\n", err);
			goto out;
		}
		nseg++;
		i += cfg != NULL;
	}
	struct stored st = {0};
	w = malloc(sizeof(*w));
	if (!w || stored_load("bench_seg", file, &st))
		goto out;
	for (long p = 0; p < warmup; p++)
		pass(&st, sg, nseg, w, 0);
	for (uint64_t until = ofd_time_mono_ns() + (uint64_t)settle * 1000000ull;
	     ofd_time_mono_ns() < until;) {
		(void)poll(NULL, 0, 10);
		for (int k = 0; k < nseg; k++)
			ofd_harness_tick(sg[k].h, ofd_time_now_ns());
	}
	for (long p = 0; p < times; p++)
		pass(&st, sg, nseg, w, 1);
	uint64_t ns = 0;
	char chain[512] = "";
	for (int k = 0; k < nseg; k++) {
		double cpu = (double)sg[k].ns / 1e9;
		printf("RESULT seg=%s records=%" PRIu64 " live_out=%" PRIu64
		       " cpu_s=%.3f rate=%.0f ns_per_record=%.2f\n",
		       sg[k].name, sg[k].in, sg[k].out, cpu, cpu > 0 ? (double)sg[k].in / cpu : 0,
		       sg[k].in ? (double)sg[k].ns / (double)sg[k].in : 0);
		ns += sg[k].ns;
		size_t l = strlen(chain);
		snprintf(chain + l, sizeof(chain) - l, "%s%s", k ? "+" : "", sg[k].name);
	}
	if (nseg > 1) {
		double cpu = (double)ns / 1e9;
		printf("RESULT seg=chain(%s) records=%" PRIu64 " cpu_s=%.3f rate=%.0f ns_per_record=%.2f\n",
		       chain, sg[0].in, cpu, cpu > 0 ? (double)sg[0].in / cpu : 0,
		       sg[0].in ? (double)ns / (double)sg[0].in : 0);
	}
	printf("RESULT file=%s batches=%zu records=%" PRIu64 " passes=%ld\n", file, st.n, st.records, times);
	rc = 0;
	for (size_t i = 0; i < st.n; i++)
		free(st.b[i]);
	free(st.b);
out:
	free(w);
	for (int k = 0; k < nseg; k++)
		ofd_harness_free(sg[k].h);
	ofd_registry_free(reg);
	return rc;
}
