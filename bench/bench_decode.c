/*
 * bench_decode: records per CPU-second for decoding export datagrams held in memory.
 *
 *   bench_decode [--seconds S] [--json] [--csv] FILE...
 *
 * Every UDP datagram of each capture is loaded into memory first; then the datagrams are
 * decoded over and over (templates learnt in the first pass stay, as in a running collector)
 * until S seconds of CPU time have passed. With --json/--csv each record is also formatted and
 * written to /dev/null. Prints one line per file:
 *
 *   RESULT file=F mode=decode records=N cpu_s=T rate=R ns_per_record=X
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "gen_load.h"
#include "format/flowfmt.h"

struct bench {
	enum { MODE_DECODE, MODE_JSON, MODE_CSV } mode;
	struct ofd_wbuf out;
	uint64_t records;
};

static void consume(struct ofd_batch *b, void *ctx)
{
	struct bench *bn = ctx;
	if (bn->mode == MODE_DECODE) {
		bn->records += b->n;
		return;
	}
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (bn->mode == MODE_JSON)
			ofd_fmt_json(&bn->out, &b->flows[i]);
		else
			ofd_fmt_csv(&bn->out, &b->flows[i]);
		bn->records++;
	}
}

static int run(const char *path, struct bench *bn, double seconds)
{
	struct gen_dgrams s;
	if (gen_load(path, &s) || s.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		return -1;
	}
	struct ofd_decoder *dec;
	if (ofd_decoder_new(&dec, NULL))
		return -1;
	struct ofd_batch *b = malloc(sizeof(*b));
	if (!b)
		return -1;
	ofd_batch_init(b, consume, bn);
	/* one warm-up pass learns the templates and faults the pages in */
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], b);
	ofd_batch_flush(b);
	bn->records = 0;
	double t0 = gen_cpu_now(), t1;
	uint64_t passes = 0;
	do {
		for (size_t i = 0; i < s.n; i++)
			(void)ofd_decode(dec, &s.dg[i], b);
		passes++;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	ofd_batch_flush(b);
	(void)ofd_wbuf_flush(&bn->out);
	t1 = gen_cpu_now();
	static const char *const modes[] = {"decode", "json", "csv"};
	double cpu = t1 - t0;
	printf("RESULT file=%s mode=%s datagrams=%zu passes=%" PRIu64 " records=%" PRIu64
	       " cpu_s=%.3f rate=%.0f ns_per_record=%.1f\n",
	       path, modes[bn->mode], s.n, passes, bn->records, cpu, (double)bn->records / cpu,
	       cpu * 1e9 / (double)bn->records);
	free(b);
	ofd_decoder_free(dec);
	gen_load_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct bench bn = {.mode = MODE_DECODE};
	double seconds = 3;
	int c;
	while ((c = getopt_long(argc, argv, "s:jc", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = strtod(optarg, NULL); break;
		case 'j': bn.mode = MODE_JSON; break;
		case 'c': bn.mode = MODE_CSV; break;
		default:
			fprintf(stderr, "usage: bench_decode [--seconds S] [--json|--csv] FILE...\n");
			return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || ofd_wbuf_init(&bn.out, devnull, 1 << 20))
		return 1;
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (run(argv[i], &bn, seconds))
			rc = 1;
	ofd_wbuf_fini(&bn.out);
	close(devnull);
	return rc;
}
