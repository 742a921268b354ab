/*
 * overflowd dump [--format json|csv] [--limit N] [--state FILE [--state-interval S]]
 *               [--exporters LIST] SOURCE...
 *
 * Decodes every SOURCE (capture files first, in order, then the UDP listeners until SIGINT or
 * SIGTERM) and prints one line per flow record. A summary of datagrams, records and drops by
 * reason goes to stderr at the end. --state keeps NetFlow v9 / IPFIX templates across runs: FILE
 * is loaded at the start and saved every S seconds (default 60, 0: only at the end) and at the
 * end, so that a restarted dump decodes data before the exporters send their templates again.
 *
 * dump is a pipeline run by the engine (clipipe.h), written as YAML:
 *
 *   - segment: pcap          the capture files, if any, read in order
 *     config: {filename: [FILE...], summary: true, state_file: F, state_interval: Ss}
 *   - segment: udp           the UDP sources, if any, in one listen string, one worker
 *     config: {listen: "udp://...,...", workers: 1, summary: true, state_file: F, ...,
 *              exporters: [A, B...] with --exporters A,B...}
 *   - segment: limit         with --limit N only
 *     config: {count: N}
 *   - segment: json          (or csv) to standard output
 *
 * The inputs print their summaries (summary: true), dump the records printed: the records that
 * left the output. With both files and UDP sources the two inputs run side by side, each with
 * its own decoder (and each loading and saving the state file).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clipipe.h"

struct dump {
	int csv;
	uint64_t limit;		 /* 0: no limit */
	const char *state;	 /* --state FILE, NULL: none */
	uint32_t state_interval; /* --state-interval seconds */
	char *exporters;	 /* --exporters A,B...: the UDP sources' allow-list, NULL: none */
	uint64_t printed, write_errors;
};

/* True for udp://, netflow:// and sflow:// sources. */
static int is_udp(const char *s)
{
	return strncmp(s, "udp://", 6) == 0 || strncmp(s, "netflow://", 10) == 0 ||
	       strncmp(s, "sflow://", 8) == 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overflowd dump [--format json|csv] [--limit N] [--state FILE [--state-interval S]]\n"
		"                     SOURCE...\n"
		"  SOURCE: a capture file (pcap or pcapng, plain or .gz) or udp://[ADDR]:PORT\n"
		"          (netflow:// and sflow:// are aliases; several may be given)\n"
		"  --state FILE: load NetFlow v9/IPFIX templates from FILE at the start; save them\n"
		"          there at the end and every S seconds (--state-interval, default 60, 0: never)\n"
		"  --exporters LIST: accept UDP datagrams only from these addresses or prefixes\n"
		"          (comma-separated; loopback always); the others are dropped and counted\n");
}

static int parse_args(struct dump *d, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'F'},
	    {"limit", required_argument, NULL, 'n'},
	    {"state", required_argument, NULL, 's'},
	    {"state-interval", required_argument, NULL, 'i'},
	    {"exporters", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	d->state_interval = 60;
	while ((c = getopt_long(argc, argv, "F:n:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'F':
			if (strcmp(optarg, "json") == 0)
				d->csv = 0;
			else if (strcmp(optarg, "csv") == 0)
				d->csv = 1;
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
		case 'e':
			if (!optarg[0]) {
				fprintf(stderr, "dump: --exporters needs addresses or prefixes\n");
				return -1;
			}
			d->exporters = optarg;
			break;
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

/* The template state keys of an input (--state). */
static void state_keys(struct ofd_clipipe *c, const struct dump *d)
{
	if (!d->state)
		return;
	ofd_clipipe_printf(c, "    state_file: ");
	ofd_clipipe_arg(c, d->state);
	ofd_clipipe_printf(c, "\n    state_interval: %" PRIu32 "s\n", d->state_interval);
}

/* The pipeline of a dump over srcs[0..n) (see the top of this file); -1 when the UDP sources
   do not fit into listen[0..cap). */
static int build(struct ofd_clipipe *c, const struct dump *d, char *const *srcs, int n, char *listen,
		 size_t cap)
{
	size_t ll = 0, nfiles = 0;
	for (int i = 0; i < n; i++) {
		if (is_udp(srcs[i])) {
			int w = snprintf(listen + ll, cap - ll, "%s%s", ll ? "," : "", srcs[i]);
			if (w < 0 || (size_t)w >= cap - ll)
				return -1;
			ll += (size_t)w;
			continue;
		}
		if (!nfiles++)
			ofd_clipipe_printf(c,
					   "- segment: pcap\n  config:\n    summary: true\n    filename:\n");
		ofd_clipipe_printf(c, "    - ");
		ofd_clipipe_arg(c, srcs[i]);
		ofd_clipipe_printf(c, "\n");
	}
	if (nfiles)
		state_keys(c, d);
	if (ll) {
		ofd_clipipe_printf(
		    c, "- segment: udp\n  config:\n    summary: true\n    workers: 1\n    listen: ");
		ofd_clipipe_arg(c, listen);
		ofd_clipipe_printf(c, "\n");
		state_keys(c, d);
		if (d->exporters)
			ofd_clipipe_list(c, "exporters", d->exporters);
	}
	if (d->limit)
		ofd_clipipe_printf(c, "- segment: limit\n  config: {count: %" PRIu64 "}\n", d->limit);
	ofd_clipipe_printf(c, "- segment: %s\n", d->csv ? "csv" : "json");
	return 0;
}

/* After the run: the records that left the output, and its write errors. */
static void dump_done(struct ofd_pipeline *p, void *ctx)
{
	struct dump *d = ctx;
	struct ofd_pipeline_totals t;
	struct ofd_seg_counters c;
	ofd_pipeline_totals(p, &t);
	ofd_pipeline_entry_counters(p, ofd_clipipe_last(p), &c);
	d->printed = t.out;
	d->write_errors = c.nown ? c.own[0] : 0;
}

int ofd_cmd_dump(int argc, char **argv)
{
	struct dump d = {0};
	struct ofd_clipipe c;
	char listen[4096] = "";
	if (parse_args(&d, argc, argv)) {
		usage(stderr);
		return OFD_EXIT_USAGE;
	}
	if (ofd_clipipe_init(&c, "dump"))
		return OFD_EXIT_FAIL;
	if (build(&c, &d, argv + optind, argc - optind, listen, sizeof(listen))) {
		ofd_err("too many UDP sources");
		ofd_clipipe_fini(&c);
		return OFD_EXIT_FAIL;
	}
	int rc = ofd_clipipe_run(&c, dump_done, &d);
	ofd_clipipe_fini(&c);
	fprintf(stderr, "records printed %" PRIu64 "\n", d.printed);
	if (d.write_errors) {
		fprintf(stderr, "output write errors: %" PRIu64 "\n", d.write_errors);
		rc = OFD_EXIT_FAIL;
	}
	return rc;
}
