/*
 * bench_influx: the influx output end to end against a running InfluxDB, and the line protocol
 * file for the server's own bulk path beside it (bench/influx_stage.sh runs both).
 *
 *   bench_influx [--file F] [--times N] [--lp OUT.lp] [--render-only] URL BUCKET [CONFIG-EXTRA]
 *
 * Decodes every datagram of the capture once (default: $OFD_DATA/netflow_4M.pcap, the v5
 * sample), runs protomap on the records once (so ProtoName, the default tag, is set), then:
 *
 *   --lp OUT.lp   renders the records N times with the output's renderer (the same tags, fields
 *                 and measurement) into OUT.lp, timestamps 1.7e18 + i ns (distinct), and prints
 *                 RESULT seg=render records=N cpu_s=T rate=R (one thread's CPU clock);
 *                 --render-only stops there.
 *   the output    {address: URL, bucket: BUCKET, org: bench, token: bench, CONFIG-EXTRA} through
 *                 the harness: every batch N times through process(), then waits until the pool
 *                 has written everything. Prints RESULT seg=influx records=N written=W lost=L
 *                 wall_s=T rate=R cpu_s=C rate_per_core=P, where rate is records per wall second
 *                 (the server's pace included) and rate_per_core records per CPU-second of this
 *                 process (the output's thread, the writer threads and libcurl).
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
#include "ofd/time.h"
#include "segments/common/lineproto.h"
#include "segments/output/influx.h"

extern const struct ofd_segment_type ofd_seg_influx;
extern const struct ofd_segment_type ofd_seg_protomap;

static uint64_t cpu_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int render(const struct stored *st, unsigned times, const char *out)
{
	static struct ofd_lp lp;
	if (ofd_lp_init(&lp, "flowdata") || ofd_lp_add_tag(&lp, "ProtoName") ||
	    ofd_lp_add_field(&lp, "Bytes") || ofd_lp_add_field(&lp, "Packets") || ofd_lp_finish(&lp))
		return -1;
	FILE *f = fopen(out, "wb");
	if (!f)
		return -1;
	static char buf[1 << 20];
	size_t len = 0;
	uint64_t ts = 1700000000000000000ull, n = 0, t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), io = 0;
	for (unsigned k = 0; k < times; k++)
		for (size_t i = 0; i < st->n; i++)
			for (uint32_t j = 0; j < st->b[i]->n; j++) {
				char *e =
				    ofd_lp_row(&lp, &st->b[i]->flows[j], ts++, buf + len, buf + sizeof(buf));
				if (!e) {
					uint64_t w0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
					if (fwrite(buf, 1, len, f) != len)
						return -1;
					io += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - w0;
					len = 0;
					e = ofd_lp_row(&lp, &st->b[i]->flows[j], ts - 1, buf,
						       buf + sizeof(buf));
				}
				len = (size_t)(e - buf);
				n++;
			}
	if (fwrite(buf, 1, len, f) != len || fclose(f))
		return -1;
	double s = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0 - io) / 1e9;
	printf("RESULT seg=render records=%" PRIu64 " cpu_s=%.3f rate=%.0f ns_per_record=%.1f\n", n, s, n / s,
	       s * 1e9 / n);
	ofd_lp_fini(&lp);
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *lp = NULL;
	unsigned times = 10;
	int render_only = 0;
	static const struct option opts[] = {{"file", 1, NULL, 'f'},
					     {"times", 1, NULL, 't'},
					     {"lp", 1, NULL, 'l'},
					     {"render-only", 0, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'f': file = optarg; break;
		case 't': times = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': lp = optarg; break;
		case 'r': render_only = 1; break;
		default: return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"usage: bench_influx [--file F] [--times N] [--lp OUT.lp] [--render-only] URL "
			"BUCKET [CONFIG-EXTRA]\n");
		return 2;
	}
	char def[1024];
	if (!file) {
		const char *d = getenv("OFD_DATA");
		snprintf(def, sizeof(def), "%s/netflow_4M.pcap", d ? d : "/work/shared/data");
		file = def;
	}
	struct stored st = {0};
	if (stored_load("bench_influx", file, &st))
		return 1;
	char err[512];
	struct ofd_harness *pm = NULL;
	if (ofd_harness_new(&pm, &ofd_seg_protomap, NULL, err, sizeof(err))) {
		fprintf(stderr, "bench_influx: protomap: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < st.n; i++)
		ofd_harness_process(pm, st.b[i]);
	if (lp && render(&st, times, lp)) {
		fprintf(stderr, "bench_influx: %s: cannot write\n", lp);
		return 1;
	}
	if (render_only)
		return 0;
	char cfg[2048];
	snprintf(cfg, sizeof(cfg), "{address: \"%s\", bucket: %s, org: bench, token: bench%s%s}",
		 argv[optind], argv[optind + 1], argc - optind > 2 ? ", " : "",
		 argc - optind > 2 ? argv[optind + 2] : "");
	struct ofd_harness *h = NULL;
	if (ofd_harness_new(&h, &ofd_seg_influx, cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_influx: influx: %s\n", err);
		return 1;
	}
	struct ofd_batch *w = malloc(sizeof(*w));
	if (!w)
		return 1;
	uint64_t n = 0, w0 = ofd_time_mono_ns(), c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned k = 0; k < times; k++)
		for (size_t i = 0; i < st.n; i++) {
			ofd_batch_init(w, NULL, NULL);
			ofd_batch_copy_live(w, st.b[i]);
			n += ofd_batch_live_count(w);
			ofd_harness_process(h, w);
		}
	struct influx_state *s = ofd_harness_state(h);
	(void)ofd_wpool_drain(s->wp);
	double wall = (double)(ofd_time_mono_ns() - w0) / 1e9;
	double cpu = (double)(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e9;
	printf("RESULT seg=influx records=%" PRIu64 " written=%" PRIu64 " lost=%" PRIu64 " retried=%" PRIu64
	       " waits=%" PRIu64 " wall_s=%.3f rate=%.0f cpu_s=%.3f rate_per_core=%.0f\n",
	       n, ofd_harness_counter(h, "written"), ofd_harness_counter(h, "lost"),
	       ofd_harness_counter(h, "retried"), ofd_harness_counter(h, "waits"), wall, n / wall, cpu,
	       n / cpu);
	ofd_harness_free(h);
	ofd_harness_free(pm);
	free(w);
	for (size_t i = 0; i < st.n; i++)
		free(st.b[i]);
	free(st.b);
	return 0;
}
