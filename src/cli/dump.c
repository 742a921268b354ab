/*
 * overflowd dump [--format json|csv] [--limit N] [--state FILE [--state-interval S]] SOURCE...
 *
 * Decodes every SOURCE (capture files first, in order, then the UDP listeners until SIGINT or
 * SIGTERM) and prints one line per flow record. A summary of datagrams, records and drops by
 * reason goes to stderr at the end. --state keeps NetFlow v9 / IPFIX templates across runs: FILE
 * is loaded at the start and saved every S seconds (default 60, 0: only at the end) and at the
 * end, so that a restarted dump decodes data before the exporters send their templates again.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decode/decode.h"
#include "format/flowfmt.h"
#include "sources.h"

struct dump {
	struct ofd_sources src;
	struct ofd_wbuf out;
	enum ofd_fmt_kind kind;
	uint64_t limit; /* 0: no limit */
	uint64_t printed;
	const char *state;	 /* --state FILE, NULL: none */
	uint32_t state_interval; /* --state-interval seconds */
};

static void dump_batch(struct ofd_batch *b, void *ctx)
{
	struct dump *d = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (d->limit && d->printed >= d->limit) {
			ofd_stop = 1;
			return;
		}
		if (d->kind == OFD_FMT_JSON)
			ofd_fmt_json(&d->out, &b->flows[i]);
		else
			ofd_fmt_csv(&d->out, &b->flows[i]);
		d->printed++;
	}
}

static void dump_idle(void *ctx)
{
	struct dump *d = ctx;
	(void)ofd_wbuf_flush(&d->out);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overflowd dump [--format json|csv] [--limit N] [--state FILE [--state-interval S]]\n"
		"                     SOURCE...\n"
		"  SOURCE: a capture file (pcap or pcapng, plain or .gz) or udp://[ADDR]:PORT\n"
		"          (netflow:// and sflow:// are aliases; several may be given)\n"
		"  --state FILE: load NetFlow v9/IPFIX templates from FILE at the start; save them\n"
		"          there at the end and every S seconds (--state-interval, default 60, 0: never)\n");
}

static int parse_args(struct dump *d, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'F'}, {"limit", required_argument, NULL, 'n'},
	    {"state", required_argument, NULL, 's'},  {"state-interval", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	d->state_interval = 60;
	while ((c = getopt_long(argc, argv, "F:n:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'F':
			if (strcmp(optarg, "json") == 0)
				d->kind = OFD_FMT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				d->kind = OFD_FMT_CSV;
			else {
				fprintf(stderr, "dump: --format must be json or csv, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'n':
			d->limit = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-' || !optarg[0]) {
				fprintf(stderr, "dump: --limit needs a whole number, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 's':
			if (!optarg[0]) {
				fprintf(stderr, "dump: --state needs a file name\n");
				return -1;
			}
			d->state = optarg;
			break;
		case 'i': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || optarg[0] == '-' || !optarg[0] || v > UINT32_MAX) {
				fprintf(stderr, "dump: --state-interval needs whole seconds, not '%s'\n",
					optarg);
				return -1;
			}
			d->state_interval = (uint32_t)v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "dump: no SOURCE given\n");
		return -1;
	}
	return 0;
}

int ofd_cmd_dump(int argc, char **argv)
{
	struct dump *d = calloc(1, sizeof(*d));
	int rc = OFD_EXIT_FAIL;
	if (!d)
		return OFD_EXIT_FAIL;
	if (parse_args(d, argc, argv)) {
		usage(stderr);
		rc = OFD_EXIT_USAGE;
		goto free_dump;
	}
	if (ofd_sources_init(&d->src, dump_batch, d))
		goto free_dump;
	d->src.idle = dump_idle;
	d->src.ctx = d;
	if (d->state && ofd_sources_state(&d->src, d->state, d->state_interval))
		goto free_sources;
	if (ofd_wbuf_init(&d->out, STDOUT_FILENO, 1 << 20))
		goto free_sources;
	ofd_signals_install();
	if (d->kind == OFD_FMT_CSV)
		ofd_fmt_csv_header(&d->out);

	rc = ofd_sources_run(&d->src, argv + optind, argc - optind) ? OFD_EXIT_FAIL : OFD_EXIT_OK;

	(void)ofd_wbuf_flush(&d->out);
	ofd_sources_fini(&d->src);
	fprintf(stderr, "records printed %" PRIu64 "\n", d->printed);
	if (d->out.errors) {
		fprintf(stderr, "output write errors: %" PRIu64 "\n", d->out.errors);
		rc = OFD_EXIT_FAIL;
	}
	ofd_wbuf_fini(&d->out);
free_sources:
	ofd_sources_fini(&d->src);
free_dump:
	free(d);
	return rc;
}
