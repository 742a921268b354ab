/*
 * The 2016 prototype's command line:
 *
 *   overflowd -f FILE... [options]     tracers for the flows in capture files
 *   overflowd -u [PORT] [options]      tracers for flows received on UDP (default port 7777)
 *
 * Each picked flow (odds min(1, rate × packets)) becomes one signed tracer: printed as a JSON
 * line (the default), and/or delivered to both ends of the flow (--send) or to relays
 * (--send-to). A summary of flows, tracers and deliveries, with every one not sent by reason,
 * goes to stderr at the end.
 *
 * The mode is a pipeline run by the engine (clipipe.h): the inputs as `overflowd dump` builds
 * them (pcap for the files, udp with one worker for -u; summary: true), then the tracer segment
 * (src/segments/analyze/tracer.c) with the options mapped onto its keys:
 *
 *   -r rate, --seed seed, --raw-counts normalize: false, -k key, --contact contact,
 *   --class class, --print (or neither --send nor --send-to) print: true,
 *   --send send: [--methods, default udp, http] (else send: []), --send-to send_to,
 *   --allow allow, --deny deny, --seal seal, --seal-learned seal_learned, --seal-min seal_min,
 *   --relay-rate relay_rate and relay_burst (default 1000 both), --udp-port udp_port,
 *   --http-port http_port, --from from, --amplification amplification, --redact redact
 *
 * The segment prints its sender's summary when it ends ("tracer: tracers offered ..."); this
 * command then adds the flows seen, selected and failed (the segment's counters).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clipipe.h"
#include "net/prefix.h"
#include "tracer/emit.h"
#include "tracer/keypath.h"
#include "tracer/policy.h"

#define MAX_LIST 64

struct tcli {
	double rate;
	int seeded;
	uint64_t seed;
	const char *key;
	int print, send, raw;
	const char *contact;
	int cls;
	unsigned methods;
	const char *relays[MAX_LIST];
	size_t nrelays;
	const char *allow[MAX_LIST], *deny[MAX_LIST], *seal[MAX_LIST]; /* checked */
	size_t nallow, ndeny, nseal;
	const char *seal_db; /* --seal-learned: a receiver's database */
	double seal_min;
	uint16_t udp_port, http_port;
	double relay_rate;
	const char *from;      /* listed, any; NULL: the segment's default */
	double amplification;  /* 0: the segment's default */
	const char *redact[8]; /* checked names, in redact_buf */
	char redact_buf[128];
	size_t nredact;
	char *files[MAX_LIST];
	int nfiles;
	char udp_src[1024]; /* -u: udp://:PORT[,udp://:PORT...], "" when not given */
	char *exporters;    /* --exporters A,B...: -u's allow-list, NULL: none */
	/* the segment's counters after the run */
	uint64_t flows, selected, failed, unlisted, budget;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: overflowd -f FILE... | -u [PORT]  [options]\n"
	    "  -f, --file FILE        read flows from a capture (repeatable; pcap/pcapng, .gz)\n"
	    "  -u, --udp [PORT]       receive NetFlow/IPFIX/sFlow on UDP PORT (default 7777)\n"
	    "      --exporters LIST   with -u: accept datagrams only from these addresses or prefixes\n"
	    "                         (comma-separated; loopback always); the others are dropped\n"
	    "  -r, --rate R           report a flow with odds min(1, R x packets) (default 1e-6)\n"
	    "      --seed N           reproducible selection (default: a CSPRNG)\n"
	    "      --raw-counts       do not scale packets by the sampling rate (the prototype)\n"
	    "  -k, --key FILE         signing key (default $OVERFLOWD_KEY, /var/lib/overflowd/signing.key)\n"
	    "      --contact TEXT     abuse contact included in every tracer\n"
	    "      --class NAME       INFORMATIONAL (default), MACHINE_SUSPECTED, HUMAN_SUSPECTED,\n"
	    "                         HUMAN_CONFIRMED\n"
	    "      --print            print tracers (the default unless --send/--send-to)\n"
	    "      --send             deliver to both ends of each flow\n"
	    "      --send-to URL      deliver every tracer to udp://, http:// or https:// relays\n"
	    "      --methods LIST     udp,http,https for --send (default udp,http)\n"
	    "      --allow PREFIX     allow a reserved or denied destination range (repeatable)\n"
	    "      --deny PREFIX      never send to this range (repeatable)\n"
	    "      --seal PREFIX=KEY  seal tracers to addresses in PREFIX to that public key (hex)\n"
	    "      --seal-learned DB  seal to the keys a receiver's database learned per network\n"
	    "      --seal-min N       ... from networks whose one key sent at least N tracers (10)\n"
	    "      --relay-rate R     tracers per second to each --send-to relay\n"
	    "      --udp-port N       UDP port of flow ends (default 65535)\n"
	    "      --http-port N      HTTP port of flow ends (default 80)\n"
	    "      --from listed|any  tracers about flows of listed exporters and local inputs only\n"
	    "                         (default), or of any exporter: anyone who can forge an export\n"
	    "                         then has tracers signed and sent where he likes\n"
	    "      --amplification R  bytes of tracers per byte of export, per exporter (default 0.5)\n"
	    "      --redact LIST      exporter,interfaces,as,nexthop, all or none: left out of tracers\n"
	    "                         (default: all to flow ends, none to relays or when printing)\n");
}

static int parse_methods(const char *s, unsigned *m)
{
	*m = 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned bit = ofd_send_method(t);
		if (!bit)
			return -1;
		*m |= bit;
	}
	return *m ? 0 : -1;
}

static int parse_num(const char *s, double lo, double hi, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return *s && !*end && *v >= lo && *v <= hi ? 0 : -1;
}

/* --redact LIST: names checked, kept in t->redact_buf for the segment's list. */
static int parse_redact(struct tcli *t, const char *s)
{
	snprintf(t->redact_buf, sizeof(t->redact_buf), "%s", s);
	t->nredact = 0;
	char *save = NULL;
	for (char *w = strtok_r(t->redact_buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (ofd_redact_parse(w) < 0 || t->nredact == sizeof(t->redact) / sizeof(t->redact[0]))
			return -1;
		t->redact[t->nredact++] = w;
	}
	return t->nredact ? 0 : -1;
}

static int add_prefix(const char **list, size_t *n, const char *s)
{
	struct ofd_prefix p;
	if (*n == MAX_LIST || ofd_prefix_parse(&p, s)) {
		fprintf(stderr, "overflowd: '%s' is not an address prefix\n", s);
		return -1;
	}
	list[(*n)++] = s;
	return 0;
}

static int add_file(struct tcli *t, char *s)
{
	if (t->nfiles == MAX_LIST)
		return -1;
	t->files[t->nfiles++] = s;
	return 0;
}

/* One option; returns 0, or -1 for a usage error. */
static int parse_opt(struct tcli *t, int c, char *arg, char **argv, int argc)
{
	double v;
	switch (c) {
	case 'f':
		if (arg[0] == '-' && arg[1]) { /* `-f --help`: not a file named --help */
			fprintf(stderr, "overflowd: -f needs a FILE, not the option '%s'\n", arg);
			return -1;
		}
		return add_file(t, arg);
	case 'u':
		if (!arg && optind < argc && argv[optind][0] != '-')
			arg = argv[optind++]; /* -u PORT with a space */
		if (arg && parse_num(arg, 1, 65535, &v))
			return -1;
		{
			size_t ul = strlen(t->udp_src);
			int w = snprintf(t->udp_src + ul, sizeof(t->udp_src) - ul, "%sudp://:%u",
					 ul ? "," : "", arg ? (unsigned)v : 7777u);
			return w > 0 && (size_t)w < sizeof(t->udp_src) - ul ? 0 : -1;
		}
	case 'r': return parse_num(arg, 0, 1, &t->rate);
	case 'S':
		if (parse_num(arg, 0, 1e18, &v))
			return -1;
		t->seeded = 1, t->seed = (uint64_t)v;
		return 0;
	case 'R': t->raw = 1; return 0;
	case 'X': t->exporters = arg; return 0;
	case 'k': t->key = arg; return 0;
	case 'C': t->contact = arg; return 0;
	case 'L': return (t->cls = ofd_tracer_class_parse(arg)) < 0 ? -1 : 0;
	case 'P': t->print = 1; return 0;
	case 's': t->send = 1; return 0;
	case 'T':
		if (t->nrelays == MAX_LIST)
			return -1;
		t->relays[t->nrelays++] = arg;
		return 0;
	case 'M': return parse_methods(arg, &t->methods);
	case 'A': return add_prefix(t->allow, &t->nallow, arg);
	case 'D': return add_prefix(t->deny, &t->ndeny, arg);
	case 'Y': return parse_num(arg, 0.001, 1e9, &t->relay_rate);
	case 'E': {
		struct ofd_sender_recipient r;
		if (t->nseal == MAX_LIST || ofd_recipient_parse(&r, arg))
			return -1;
		t->seal[t->nseal++] = arg;
		return 0;
	}
	case 'B': t->seal_db = arg; return 0;
	case 'N': return parse_num(arg, 0, 1e15, &t->seal_min);
	case 'U':
		if (parse_num(arg, 1, 65535, &v))
			return -1;
		t->udp_port = (uint16_t)v;
		return 0;
	case 'H':
		if (parse_num(arg, 1, 65535, &v))
			return -1;
		t->http_port = (uint16_t)v;
		return 0;
	case 'F':
		if (strcmp(arg, "listed") && strcmp(arg, "any"))
			return -1;
		t->from = arg;
		return 0;
	case 'G': return parse_num(arg, 1e-9, 0.999999999, &t->amplification);
	case 'Z': return parse_redact(t, arg);
	case 'h': usage(stdout); exit(0);
	default: return -1;
	}
}

static int parse_args(struct tcli *t, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"udp", optional_argument, NULL, 'u'},
	    {"exporters", required_argument, NULL, 'X'},
	    {"rate", required_argument, NULL, 'r'},
	    {"seed", required_argument, NULL, 'S'},
	    {"raw-counts", no_argument, NULL, 'R'},
	    {"key", required_argument, NULL, 'k'},
	    {"contact", required_argument, NULL, 'C'},
	    {"class", required_argument, NULL, 'L'},
	    {"print", no_argument, NULL, 'P'},
	    {"send", no_argument, NULL, 's'},
	    {"send-to", required_argument, NULL, 'T'},
	    {"methods", required_argument, NULL, 'M'},
	    {"allow", required_argument, NULL, 'A'},
	    {"deny", required_argument, NULL, 'D'},
	    {"seal", required_argument, NULL, 'E'},
	    {"relay-rate", required_argument, NULL, 'Y'},
	    {"udp-port", required_argument, NULL, 'U'},
	    {"http-port", required_argument, NULL, 'H'},
	    {"seal-learned", required_argument, NULL, 'B'},
	    {"seal-min", required_argument, NULL, 'N'},
	    {"from", required_argument, NULL, 'F'},
	    {"amplification", required_argument, NULL, 'G'},
	    {"redact", required_argument, NULL, 'Z'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	/* --help anywhere (before a `--`), even where an option expects its value: usage, nothing else */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			exit(fflush(stdout) ? OFD_EXIT_FAIL : OFD_EXIT_OK);
		}
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:u::r:k:h", opts, NULL)) != -1)
		if (parse_opt(t, c, optarg, argv, argc)) {
			if (optarg)
				fprintf(stderr, "overflowd: bad value '%s' for option -%c\n", optarg, c);
			return -1;
		}
	for (; optind < argc; optind++) /* bare file names after -f FILE */
		if (add_file(t, argv[optind]))
			return -1;
	if (!t->nfiles && !t->udp_src[0]) {
		fprintf(stderr, "overflowd: give -f FILE or -u [PORT]\n");
		return -1;
	}
	/* before the pipeline runs (and the tracer segment creates a missing signing key) */
	for (int i = 0; i < t->nfiles; i++)
		if (access(t->files[i], R_OK)) {
			fprintf(stderr, "overflowd: -f %s: cannot read it\n", t->files[i]);
			return -1;
		}
	if (!t->send && !t->nrelays)
		t->print = 1;
	return 0;
}

/* A YAML list of user strings under key (none: nothing). */
static void list_key(struct ofd_clipipe *c, const char *key, const char *const *v, size_t n)
{
	if (!n)
		return;
	ofd_clipipe_printf(c, "    %s:\n", key);
	for (size_t i = 0; i < n; i++) {
		ofd_clipipe_printf(c, "    - ");
		ofd_clipipe_arg(c, v[i]);
		ofd_clipipe_printf(c, "\n");
	}
}

/* One string key (NULL: left out, the segment's default). */
static void str_key(struct ofd_clipipe *c, const char *key, const char *v)
{
	if (!v)
		return;
	ofd_clipipe_printf(c, "    %s: ", key);
	ofd_clipipe_arg(c, v);
	ofd_clipipe_printf(c, "\n");
}

/* The inputs: the files, then -u's socket (see dump.c). */
static void build_inputs(struct ofd_clipipe *c, struct tcli *t)
{
	if (t->nfiles) {
		ofd_clipipe_printf(c, "- segment: pcap\n  config:\n    summary: true\n");
		list_key(c, "filename", (const char *const *)t->files, (size_t)t->nfiles);
	}
	if (t->udp_src[0]) {
		ofd_clipipe_printf(c, "- segment: udp\n  config:\n    summary: true\n    workers: 1\n");
		str_key(c, "listen", t->udp_src);
		if (t->exporters)
			ofd_clipipe_list(c, "exporters", t->exporters);
	}
}

/* The tracer segment with the options mapped onto its keys (see the top of this file). */
static void build_tracer(struct ofd_clipipe *c, struct tcli *t)
{
	static const char *const names[] = {"udp", "http", "https"};
	ofd_clipipe_printf(c, "- segment: tracer\n  config:\n    rate: %.17g\n    normalize: %s\n", t->rate,
			   t->raw ? "false" : "true");
	if (t->seeded)
		ofd_clipipe_printf(c, "    seed: %" PRIu64 "\n", t->seed);
	str_key(c, "key", t->key);
	str_key(c, "contact", t->contact);
	ofd_clipipe_printf(c, "    class: %s\n    print: %s\n    send: [",
			   ofd_tracer_class_name((enum ofd_tracer_class)t->cls), t->print ? "true" : "false");
	unsigned m = t->methods ? t->methods : OFD_SEND_UDP | OFD_SEND_HTTP, k = 0;
	for (unsigned i = 0; t->send && i < 3; i++)
		if (m & (1u << i))
			ofd_clipipe_printf(c, "%s%s", k++ ? ", " : "", names[i]);
	ofd_clipipe_printf(c, "]\n");
	list_key(c, "send_to", t->relays, t->nrelays);
	list_key(c, "allow", t->allow, t->nallow);
	list_key(c, "deny", t->deny, t->ndeny);
	list_key(c, "seal", t->seal, t->nseal);
	str_key(c, "seal_learned", t->seal_db);
	ofd_clipipe_printf(c, "    seal_min: %.0f\n", t->seal_min);
	double rr = t->relay_rate ? t->relay_rate : 1000; /* the sender's defaults: 1000, 1000 */
	ofd_clipipe_printf(c, "    relay_rate: %.17g\n    relay_burst: %.17g\n", rr, rr);
	if (t->udp_port)
		ofd_clipipe_printf(c, "    udp_port: %u\n", t->udp_port);
	if (t->http_port)
		ofd_clipipe_printf(c, "    http_port: %u\n", t->http_port);
	str_key(c, "from", t->from);
	if (t->amplification)
		ofd_clipipe_printf(c, "    amplification: %.17g\n", t->amplification);
	list_key(c, "redact", t->redact, t->nredact);
}

/* After the run: the tracer segment's counters (the last entry). */
static void tracer_done(struct ofd_pipeline *p, void *ctx)
{
	struct tcli *t = ctx;
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(p, ofd_clipipe_last(p), &c);
	t->flows = c.in;
	t->selected = c.nown > 0 ? c.own[0] : 0;
	t->failed = c.nown > 1 ? c.own[1] : 0;
	t->unlisted = c.nown > 2 ? c.own[2] : 0; /* the segment's counters: selected, failed, unlisted, */
	t->budget = c.nown > 3 ? c.own[3] : 0;	 /* budget, ... */
}

int ofd_cmd_tracer(int argc, char **argv)
{
	struct tcli *t = calloc(1, sizeof(*t));
	struct ofd_clipipe c;
	int rc = OFD_EXIT_USAGE;
	if (!t)
		return OFD_EXIT_FAIL;
	t->rate = OFD_TRACER_RATE_DEFAULT;
	t->seal_min = 10;
	if (parse_args(t, argc, argv)) {
		usage(stderr);
		goto free_t;
	}
	rc = OFD_EXIT_FAIL;
	if (ofd_clipipe_init(&c, "overflowd"))
		goto free_t;
	build_inputs(&c, t);
	build_tracer(&c, t);
	rc = ofd_clipipe_run(&c, tracer_done, t);
	ofd_clipipe_fini(&c);
	if (rc == OFD_EXIT_OK)
		fprintf(stderr,
			"tracers: flows %" PRIu64 ", selected %" PRIu64 " (escalated 0), failed %" PRIu64
			", over budget %" PRIu64 ", flows of unlisted exporters %" PRIu64 "\n",
			t->flows, t->selected, t->failed, t->budget, t->unlisted);
free_t:
	free(t);
	return rc;
}
