/*
 * bench_export: the IPFIX / NetFlow v9 encoder alone (format/flowexport.h), records per CPU-second.
 *
 *   bench_export [--file F] [--times N] [--mtu M] [--batches K]
 *
 * Decodes the capture once (default $OFD_DATA/netflow_4M.pcap, the v5 sample) and encodes every
 * record N times (default 100) into messages of M bytes (default 1400) as the ipfix and netflow9
 * outputs do (templates every 20th message, the v9 clock checked per record), without sending.
 * Every message is checked to be at most M bytes. --batches K encodes only the first K batches
 * (512 records each; 8 of them, 2.5 MB of records, stay in cache: the encoder without the memory
 * traffic of 47 MB of records per pass). Prints per format:
 *
 *   RESULT enc=ipfix records=N messages=M bytes=B cpu_s=T rate=R ns_per_record=X
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "format/flowexport.h"
#include "gen_load.h"
#include "bench_sample.h"
#include "ofd/log.h"

static uint64_t thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int run(const struct stored *st, int version, long times, uint32_t mtu)
{
	struct ofd_fx x;
	uint8_t *buf = malloc(mtu);
	if (!buf || ofd_fx_init(&x, version, NULL, 1, mtu, 0, 0))
		return 1;
	uint64_t msgs = 0, bytes = 0, recs = 0, clock_ms = 0;
	uint64_t t0 = thread_ns();
	for (long p = 0; p < times; p++) {
		for (size_t i = 0; i < st->n; i++) {
			const struct ofd_batch *b = st->b[i];
			for (uint32_t k = 0; k < b->n; k++) {
				if (!ofd_batch_is_live(b, k))
					continue;
				const struct ofd_flow *f = &b->flows[k];
				if (f->time_received_ns / 1000000u > clock_ms)
					clock_ms = f->time_received_ns / 1000000u;
				uint64_t xm = ofd_fx_open(&x) ? x.export_ms : clock_ms;
				if (!ofd_fx_clock_ok(&x, f, xm)) {
					size_t len = ofd_fx_end(&x);
					msgs += len > 0, bytes += len;
					ofd_fx_rebase(&x, f, clock_ms);
				}
				if (!ofd_fx_open(&x))
					ofd_fx_begin(&x, buf, clock_ms, msgs % 20 == 0);
				if (!ofd_fx_add(&x, f)) {
					size_t len = ofd_fx_end(&x);
					if (len > mtu)
						return 1;
					msgs++, bytes += len;
					ofd_fx_begin(&x, buf, clock_ms, msgs % 20 == 0);
					(void)ofd_fx_add(&x, f);
				}
				recs++;
			}
		}
	}
	size_t len = ofd_fx_end(&x);
	msgs += len > 0, bytes += len;
	double cpu = (double)(thread_ns() - t0) / 1e9;
	printf("RESULT enc=%s records=%" PRIu64 " messages=%" PRIu64 " bytes=%" PRIu64
	       " cpu_s=%.3f rate=%.0f ns_per_record=%.2f\n",
	       version == OFD_FX_V9 ? "netflow9" : "ipfix", recs, msgs, bytes, cpu, (double)recs / cpu,
	       cpu * 1e9 / (double)recs);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"times", required_argument, NULL, 't'},
	    {"mtu", required_argument, NULL, 'm'},
	    {"batches", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	const char *file = def;
	long times = 100, mtu = 1400, batches = 0;
	int c;
	while ((c = getopt_long(argc, argv, "f:t:m:b:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 't': times = strtol(optarg, NULL, 10); break;
		case 'm': mtu = strtol(optarg, NULL, 10); break;
		case 'b': batches = strtol(optarg, NULL, 10); break;
		default: fprintf(stderr, "usage: bench_export [--file F] [--times N] [--mtu M]\n"); return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	struct stored st = {0};
	if (times < 1 || stored_load("bench_export", file, &st))
		return 1;
	if (batches > 0 && (size_t)batches < st.n)
		st.n = (size_t)batches;
	return run(&st, OFD_FX_IPFIX, times, (uint32_t)mtu) || run(&st, OFD_FX_V9, times, (uint32_t)mtu);
}
