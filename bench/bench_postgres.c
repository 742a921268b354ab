/*
 * bench_postgres: the postgres output end to end against a running server, on decoded records.
 *
 *   bench_postgres --conninfo CI [--file F] [--times N] [--workers W] [--batchsize B]
 *                  [--fields LIST] [--table T] [--indexes live|none]
 *
 * Decodes every datagram of the capture once (default: $OFD_DATA/netflow_4M.pcap, the v5
 * sample) and keeps the batches; builds the output as the engine does (ofd_harness_new, so the
 * table is created at init, outside the timing), then passes copies of the batches through it N
 * times (default 20) and drains the writer pool: every row is in the table when the clock
 * stops. Prints
 *
 *   RESULT seg=postgres workers=W cols=C records=N wall_s=T rate=R cpu_s=U per_cpu=P
 *          render_cpu_s=V render_rate=Q written=N lost=L
 *
 * rate is rows per wall second into the table; cpu_s is this process's CPU time over the run
 * (the output's thread rendering plus the workers driving libpq), per_cpu the rows per second
 * of it; render_cpu_s the output thread's alone (process() without the waits for a free chunk).
 * The server's CPU is not in these: bench/postgres_stage.sh reads it from /proc.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "bench_sample.h"
#include "ofd/harness.h"
#include "ofd/log.h"
#include "ofd/time.h"
#include "segments/output/postgres.h"

extern const struct ofd_segment_type ofd_seg_postgres;

static double thread_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double proc_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_postgres --conninfo CI [--file F] [--times N] [--workers W] "
			"[--batchsize B] [--fields LIST] [--table T] [--indexes live|none]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"conninfo", required_argument, NULL, 'c'},
	    {"file", required_argument, NULL, 'f'},
	    {"times", required_argument, NULL, 't'},
	    {"workers", required_argument, NULL, 'w'},
	    {"batchsize", required_argument, NULL, 'b'},
	    {"fields", required_argument, NULL, 'F'},
	    {"table", required_argument, NULL, 'T'},
	    {"indexes", required_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0},
	};
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	const char *file = def, *conninfo = NULL, *fields = NULL, *table = "flows", *indexes = "live";
	long times = 20, workers = 1, batchsize = 5000;
	int c;
	while ((c = getopt_long(argc, argv, "c:f:t:w:b:F:T:i:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': conninfo = optarg; break;
		case 'f': file = optarg; break;
		case 't': times = strtol(optarg, NULL, 10); break;
		case 'w': workers = strtol(optarg, NULL, 10); break;
		case 'b': batchsize = strtol(optarg, NULL, 10); break;
		case 'F': fields = optarg; break;
		case 'T': table = optarg; break;
		case 'i': indexes = optarg; break;
		default: usage();
		}
	}
	if (!conninfo || times < 1 || workers < 1 || batchsize < 1)
		usage();
	ofd_log_set_level(OFD_LOG_ERR);
	struct stored st = {0};
	struct ofd_batch *w = malloc(sizeof(*w));
	if (!w || stored_load("bench_postgres", file, &st))
		return 1;
	char cfg[8192], fl[4096] = "";
	if (fields)
		snprintf(fl, sizeof(fl), ", fields: \"%s\"", fields);
	snprintf(cfg, sizeof(cfg),
		 "{conninfo: \"%s\", table: %s, workers: %ld, batchsize: %ld, indexes: %s, retries: 0%s}",
		 conninfo, table, workers, batchsize, indexes, fl);
	struct ofd_harness *h = NULL;
	char err[1024];
	if (ofd_harness_new(&h, &ofd_seg_postgres, cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_postgres: %s\n", err);
		return 1;
	}
	struct postgres_state *s = ofd_harness_state(h);
	double render = 0, c0 = proc_s();
	uint64_t t0 = ofd_time_mono_ns();
	for (long p = 0; p < times; p++)
		for (size_t i = 0; i < st.n; i++) {
			ofd_batch_init(w, NULL, NULL);
			ofd_batch_copy_live(w, st.b[i]);
			double r0 = thread_s();
			ofd_harness_process(h, w);
			render += thread_s() - r0;
		}
	(void)ofd_wpool_drain(s->wp);
	double wall = (double)(ofd_time_mono_ns() - t0) / 1e9, cpu = proc_s() - c0;
	uint64_t records = st.records * (uint64_t)times;
	printf("RESULT seg=postgres workers=%ld cols=%u records=%" PRIu64
	       " wall_s=%.3f rate=%.0f cpu_s=%.3f per_cpu=%.0f render_cpu_s=%.3f render_rate=%.0f "
	       "written=%" PRIu64 " lost=%" PRIu64 "\n",
	       workers, s->ncols, records, wall, (double)records / wall, cpu, (double)records / cpu, render,
	       (double)records / render, ofd_harness_counter(h, "written"), ofd_harness_counter(h, "lost"));
	ofd_harness_free(h);
	for (size_t i = 0; i < st.n; i++)
		free(st.b[i]);
	free(st.b);
	free(w);
	return 0;
}
