/*
 * overflowd dump [--format json|csv] [--limit N] SOURCE...
 *
 * Decodes every SOURCE (capture files first, in order, then the UDP listeners until SIGINT or
 * SIGTERM) and prints one line per flow record. A summary of datagrams, records and drops by
 * reason goes to stderr at the end.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "format/flowfmt.h"
#include "net/udp.h"

struct dump {
	struct ofd_decoder *dec;
	struct ofd_wbuf out;
	enum ofd_fmt_kind kind;
	uint64_t limit; /* 0: no limit */
	uint64_t printed;
	struct ofd_batch batch;
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

static int is_udp_source(const char *s)
{
	return strncmp(s, "udp://", 6) == 0 || strncmp(s, "netflow://", 10) == 0 ||
	       strncmp(s, "sflow://", 8) == 0;
}

static void print_drops(const char *what, const uint64_t *drops)
{
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		if (drops[i])
			fprintf(stderr, "  %s dropped %s: %" PRIu64 "\n", what,
				ofd_drop_name((enum ofd_drop)i), drops[i]);
}

static int dump_file(struct dump *d, const char *path)
{
	struct ofd_pcapfile *pf;
	if (ofd_pcapfile_open(&pf, path))
		return -1;
	struct ofd_dgram dg;
	while (!ofd_stop && ofd_pcapfile_next(pf, &dg, NULL) > 0)
		(void)ofd_decode(d->dec, &dg, &d->batch);
	ofd_batch_flush(&d->batch);
	const struct ofd_pcap_stats *st = ofd_pcapfile_stats(pf);
	fprintf(stderr, "%s: frames %" PRIu64 ", udp datagrams %" PRIu64 "\n", path, st->frames,
		st->datagrams);
	print_drops("capture", st->drops);
	ofd_pcapfile_close(pf);
	return 0;
}

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct dump *d = ctx;
	(void)ofd_decode(d->dec, dg, &d->batch);
}

static int dump_udp(struct dump *d, const char *listen)
{
	struct ofd_udp *u;
	int err = ofd_udp_open(&u, listen, 0);
	if (err) {
		ofd_err("cannot listen on %s: %s", listen, ofd_strerror(err));
		return -1;
	}
	while (!ofd_stop) {
		int n = ofd_udp_poll(u, 200, on_dgram, d);
		if (n < 0)
			break;
		/* deliver what we have whenever the socket goes quiet, so output is timely */
		if (n == 0 || d->batch.n >= OFD_BATCH_CAP / 2) {
			ofd_batch_flush(&d->batch);
			(void)ofd_wbuf_flush(&d->out);
		}
	}
	ofd_batch_flush(&d->batch);
	const struct ofd_udp_stats *st = ofd_udp_stats(u);
	fprintf(stderr, "%s: udp datagrams %" PRIu64 "\n", listen, st->datagrams);
	print_drops("socket", st->drops);
	ofd_udp_close(u);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: overflowd dump [--format json|csv] [--limit N] SOURCE...\n"
		   "  SOURCE: a capture file (pcap or pcapng, plain or .gz) or udp://[ADDR]:PORT\n"
		   "          (netflow:// and sflow:// are aliases; several may be given)\n");
}

static int parse_args(struct dump *d, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'F'},
	    {"limit", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
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
	char listen[4096] = "";
	size_t ll = 0;
	for (int i = optind; i < argc; i++) {
		if (!is_udp_source(argv[i]))
			continue;
		int n = snprintf(listen + ll, sizeof(listen) - ll, "%s%s", ll ? "," : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(listen) - ll) {
			fprintf(stderr, "dump: too many UDP sources\n");
			rc = OFD_EXIT_USAGE;
			goto free_dump;
		}
		ll += (size_t)n;
	}
	if (ofd_decoder_new(&d->dec, NULL))
		goto free_dump;
	if (ofd_wbuf_init(&d->out, STDOUT_FILENO, 1 << 20))
		goto free_decoder;
	ofd_batch_init(&d->batch, dump_batch, d);
	ofd_signals_install();
	if (d->kind == OFD_FMT_CSV)
		ofd_fmt_csv_header(&d->out);

	rc = OFD_EXIT_OK;
	for (int i = optind; i < argc && !ofd_stop; i++)
		if (!is_udp_source(argv[i]) && dump_file(d, argv[i]))
			rc = OFD_EXIT_FAIL;
	if (ll && !ofd_stop && dump_udp(d, listen))
		rc = OFD_EXIT_FAIL;

	(void)ofd_wbuf_flush(&d->out);
	ofd_decode_stats_print(&d->dec->st, "");
	fprintf(stderr, "records printed %" PRIu64 "\n", d->printed);
	if (d->out.errors) {
		fprintf(stderr, "output write errors: %" PRIu64 "\n", d->out.errors);
		rc = OFD_EXIT_FAIL;
	}
	ofd_wbuf_fini(&d->out);
free_decoder:
	ofd_decoder_free(d->dec);
free_dump:
	free(d);
	return rc;
}
