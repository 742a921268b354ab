/*
 * overflowd tracers [--db FILE] [--mine PREFIX...] [--since T] [--class C] [--key K] [--spoofed]
 *                   [--format table|json|csv]
 *     list the receiver's stored tracers; --mine keeps those whose source or destination is in
 *     one of the prefixes (more prefixes may follow as arguments); --spoofed (with --mine) gives
 *     the spoofing report: tracers about flows whose source claims one of my prefixes, grouped
 *     by reporting key and reporting network.
 * overflowd keys [--db FILE] [--key K] [--format table|json|csv]
 *     the key history.
 * The database: --db, else $OVERFLOWD_DB, else /var/lib/overflowd/tracers.db; opened read-only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli/tracers_cli.h"
#include "net/prefix.h"
#include "receiver/query.h"

#define DEFAULT_DB "/var/lib/overflowd/tracers.db"

static const char usage_tracers[] =
    "usage: overflowd tracers [--db FILE] [--mine PREFIX...] [--since T] [--class C] [--key K]\n"
    "                         [--spoofed] [--format table|json|csv]\n"
    "  --since T   epoch seconds, ISO 8601 UTC (2026-11-22T10:00:00Z) or an age (30m, 1h, 7d)\n";
static const char usage_keys[] = "usage: overflowd keys [--db FILE] [--key K] [--format table|json|csv]\n";

struct opts {
	const char *db;
	struct ofd_query q;
	struct ofd_prefix *mine;
	int spoofed;
};

static int add_prefix(struct opts *o, const char *s)
{
	if (ofd_prefix_parse(&o->mine[o->q.nmine], s) != 0) {
		fprintf(stderr, "overflowd: bad prefix '%s'\n", s);
		return -1;
	}
	o->q.nmine++;
	return 0;
}

/* One option of either command; 0, or the exit status to return (1 + status). */
static int one_opt(struct opts *o, int c, const char *usage)
{
	uint64_t since;
	int fmt;
	switch (c) {
	case 'd': o->db = optarg; return 0;
	case 'm': return add_prefix(o, optarg) ? 1 + OFD_EXIT_USAGE : 0;
	case 's':
		if (ofd_query_parse_time(optarg, (uint64_t)time(NULL), &since) != 0) {
			fprintf(stderr, "overflowd: bad time '%s'\n", optarg);
			return 1 + OFD_EXIT_USAGE;
		}
		o->q.since_ns = since * UINT64_C(1000000000);
		return 0;
	case 'c': o->q.cls = optarg; return 0;
	case 'k': o->q.key = optarg; return 0;
	case 'S': o->spoofed = 1; return 0;
	case 'f':
		fmt = ofd_qfmt_parse(optarg);
		if (fmt < 0) {
			fprintf(stderr, "overflowd: bad format '%s' (table, json, csv)\n", optarg);
			return 1 + OFD_EXIT_USAGE;
		}
		o->q.fmt = (enum ofd_qfmt)fmt;
		return 0;
	case 'h': fputs(usage, stdout); return 1 + OFD_EXIT_OK;
	default: fputs(usage, stderr); return 1 + OFD_EXIT_USAGE;
	}
}

/* Parse argv; 0, or 1 + the exit status. keys: only --db, --key, --format. */
static int parse(struct opts *o, int argc, char **argv, int keys)
{
	static const struct option lopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"mine", required_argument, NULL, 'm'},
	    {"since", required_argument, NULL, 's'},
	    {"class", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"spoofed", no_argument, NULL, 'S'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *usage = keys ? usage_keys : usage_tracers;
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (keys && c != 'd' && c != 'k' && c != 'f' && c != 'h')
			c = '?';
		if ((r = one_opt(o, c, usage)) != 0)
			return r;
	}
	if (optind < argc && (keys || o->q.nmine == 0)) {
		fputs(usage, stderr);
		return 1 + OFD_EXIT_USAGE;
	}
	for (; optind < argc; optind++)
		if (add_prefix(o, argv[optind]))
			return 1 + OFD_EXIT_USAGE;
	if (o->spoofed && o->q.nmine == 0) {
		fprintf(stderr, "overflowd: --spoofed needs --mine PREFIX\n");
		return 1 + OFD_EXIT_USAGE;
	}
	if (!o->db)
		o->db = getenv("OVERFLOWD_DB");
	if (!o->db || !*o->db)
		o->db = DEFAULT_DB;
	return 0;
}

static int cmd(int argc, char **argv, int keys)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.mine = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*o.mine));
	int rc = OFD_EXIT_FAIL, r;
	if (!o.mine)
		return rc;
	if ((r = parse(&o, argc, argv, keys)) != 0) {
		rc = r - 1;
		goto free_mine;
	}
	o.q.mine = o.mine;
	struct ofd_store *s;
	char err[512] = "";
	if (ofd_store_open_mode(&s, o.db, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "overflowd: %s\n", err);
		goto free_mine;
	}
	int64_t n = keys	? ofd_query_keys(s, &o.q, stdout)
		    : o.spoofed ? ofd_query_spoofed(s, &o.q, stdout)
				: ofd_query_tracers(s, &o.q, stdout);
	if ((fflush(stdout) != 0 || ferror(stdout)) && ofd_cli_stdout_gone()) {
		fprintf(stderr, "overflowd: output closed by its reader (broken pipe); stopped\n");
		rc = OFD_EXIT_OK;
	} else if (ferror(stdout) || n < 0) {
		fprintf(stderr, "overflowd: query failed\n");
	} else {
		rc = OFD_EXIT_OK;
	}
	ofd_store_close(s);
free_mine:
	free(o.mine);
	return rc;
}

int ofd_cmd_tracers(int argc, char **argv)
{
	return cmd(argc, argv, 0);
}

int ofd_cmd_keys(int argc, char **argv)
{
	return cmd(argc, argv, 1);
}
