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
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "net/prefix.h"
#include "sources.h"
#include "tracer/emit.h"
#include "tracer/keypath.h"
#include "tracer/learned.h"
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
	const char *relays[MAX_LIST + 1];
	size_t nrelays;
	struct ofd_prefix allow[MAX_LIST], deny[MAX_LIST];
	size_t nallow, ndeny;
	struct ofd_sender_recipient seal[MAX_LIST];
	size_t nseal;
	const char *seal_db; /* --seal-learned: a receiver's database */
	double seal_min;
	uint16_t udp_port, http_port;
	double relay_rate;
	char *srcs[MAX_LIST];
	int nsrcs;
	char udp_src[64];
	struct ofd_sources src;
	struct ofd_wbuf out;
	struct ofd_emit emit;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: overflowd -f FILE... | -u [PORT]  [options]\n"
	    "  -f, --file FILE        read flows from a capture (repeatable; pcap/pcapng, .gz)\n"
	    "  -u, --udp [PORT]       receive NetFlow/IPFIX/sFlow on UDP PORT (default 7777)\n"
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
	    "      --http-port N      HTTP port of flow ends (default 80)\n");
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

static int add_prefix(struct ofd_prefix *list, size_t *n, const char *s)
{
	if (*n == MAX_LIST || ofd_prefix_parse(&list[*n], s)) {
		fprintf(stderr, "overflowd: '%s' is not an address prefix\n", s);
		return -1;
	}
	(*n)++;
	return 0;
}

static int add_source(struct tcli *t, char *s)
{
	if (t->nsrcs == MAX_LIST)
		return -1;
	t->srcs[t->nsrcs++] = s;
	return 0;
}

/* One option; returns 0, or -1 for a usage error. */
static int parse_opt(struct tcli *t, int c, char *arg, char **argv, int argc)
{
	double v;
	switch (c) {
	case 'f': return add_source(t, arg);
	case 'u':
		if (!arg && optind < argc && argv[optind][0] != '-')
			arg = argv[optind++]; /* -u PORT with a space */
		if (arg && parse_num(arg, 1, 65535, &v))
			return -1;
		snprintf(t->udp_src, sizeof(t->udp_src), "udp://:%u", arg ? (unsigned)v : 7777u);
		return add_source(t, t->udp_src);
	case 'r': return parse_num(arg, 0, 1, &t->rate);
	case 'S':
		if (parse_num(arg, 0, 1e18, &v))
			return -1;
		t->seeded = 1, t->seed = (uint64_t)v;
		return 0;
	case 'R': t->raw = 1; return 0;
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
	case 'E':
		if (t->nseal == MAX_LIST || ofd_recipient_parse(&t->seal[t->nseal], arg))
			return -1;
		t->nseal++;
		return 0;
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
	case 'h': usage(stdout); exit(0);
	default: return -1;
	}
}

static int parse_args(struct tcli *t, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"udp", optional_argument, NULL, 'u'},
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:u::r:k:h", opts, NULL)) != -1)
		if (parse_opt(t, c, optarg, argv, argc)) {
			if (optarg)
				fprintf(stderr, "overflowd: bad value '%s' for option -%c\n", optarg, c);
			return -1;
		}
	for (; optind < argc; optind++) /* bare file names after -f FILE */
		if (add_source(t, argv[optind]))
			return -1;
	if (!t->nsrcs) {
		fprintf(stderr, "overflowd: give -f FILE or -u [PORT]\n");
		return -1;
	}
	if (!t->send && !t->nrelays)
		t->print = 1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_batch(struct ofd_batch *b, void *ctx)
{
	struct tcli *t = ctx;
	(void)ofd_emit_batch(&t->emit, b, now_ns());
}

static void on_idle(void *ctx)
{
	struct tcli *t = ctx;
	(void)ofd_wbuf_flush(&t->out);
}

static void summary(const struct tcli *t, struct ofd_sender *snd)
{
	const struct ofd_emit_stats *e = &t->emit.st;
	fprintf(stderr,
		"tracers: flows %" PRIu64 ", selected %" PRIu64 " (escalated %" PRIu64 "), failed %" PRIu64
		"\n",
		e->flows, e->selected, e->escalated, e->failed);
	if (!snd)
		return;
	struct ofd_sender_stats st;
	ofd_sender_stats(snd, &st);
	fprintf(stderr,
		"tracers: offered %" PRIu64 ", sent udp %" PRIu64 ", http %" PRIu64 ", https %" PRIu64
		", sealed %" PRIu64 "\n",
		st.offered, st.sent_udp, st.sent_http, st.sent_https, st.sealed);
	for (int i = 0; i < OFD_SD__COUNT; i++)
		if (st.not_sent[i])
			fprintf(stderr, "tracers: not sent %s: %" PRIu64 "\n",
				ofd_send_drop_name((enum ofd_send_drop)i), st.not_sent[i]);
}

static int make_sender(struct tcli *t, struct ofd_sender **snd)
{
	*snd = NULL;
	if (!t->send && !t->nrelays)
		return 0;
	struct ofd_sender_cfg sc = {0};
	sc.methods = t->methods ? t->methods : OFD_SEND_UDP | OFD_SEND_HTTP;
	sc.udp_port = t->udp_port;
	sc.http_port = t->http_port;
	sc.allow = t->allow, sc.nallow = t->nallow;
	sc.deny = t->deny, sc.ndeny = t->ndeny;
	sc.relays = t->nrelays ? t->relays : NULL;
	sc.recipients = t->seal, sc.nrecipients = t->nseal;
	sc.relay_rate = t->relay_rate, sc.relay_burst = t->relay_rate; /* 0: the sender's defaults */
	char err[256] = "";
	struct ofd_sender_recipient *all = NULL;
	if (t->seal_db) {
		int n = ofd_learned_recipients(t->seal_db, (uint64_t)t->seal_min, t->seal, t->nseal, &all,
					       &sc.nrecipients, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "overflowd: --seal-learned: %s\n", err);
			return -1;
		}
		fprintf(stderr, "overflowd: %d sealing keys learned from %s\n", n, t->seal_db);
		sc.recipients = all;
	}
	int rc = ofd_sender_new(snd, &sc, err, sizeof(err)); /* copies the recipients */
	free(all);
	if (rc) {
		fprintf(stderr, "overflowd: %s\n", err);
		return -1;
	}
	return 0;
}

int ofd_cmd_tracer(int argc, char **argv)
{
	struct tcli *t = calloc(1, sizeof(*t));
	struct ofd_key *key = NULL;
	struct ofd_sender *snd = NULL;
	int rc = OFD_EXIT_USAGE;
	char err[512] = "";
	if (!t)
		return OFD_EXIT_FAIL;
	t->rate = OFD_TRACER_RATE_DEFAULT;
	t->seal_min = 10;
	if (parse_args(t, argc, argv)) {
		usage(stderr);
		goto free_t;
	}
	rc = OFD_EXIT_FAIL;
	if (ofd_keypath_open(&key, t->key, 1, err, sizeof(err))) {
		fprintf(stderr, "overflowd: %s\n", err);
		goto free_t;
	}
	if (make_sender(t, &snd))
		goto free_key;
	if (ofd_wbuf_init(&t->out, STDOUT_FILENO, 1 << 20) || ofd_sources_init(&t->src, on_batch, t))
		goto free_sender;
	t->src.idle = on_idle;
	t->src.ctx = t;
	struct ofd_emit_cfg ec = {.rate = t->rate,
				  .normalize = !t->raw,
				  .cls = (enum ofd_tracer_class)t->cls,
				  .contact = t->contact,
				  .key = key,
				  .sender = snd,
				  .print = t->print ? &t->out : NULL,
				  .seeded = t->seeded,
				  .seed = t->seed};
	ofd_emit_init(&t->emit, &ec);
	ofd_signals_install();
	rc = ofd_sources_run(&t->src, t->srcs, t->nsrcs) ? OFD_EXIT_FAIL : OFD_EXIT_OK;
	(void)ofd_wbuf_flush(&t->out);
	if (snd)
		ofd_sender_flush(snd, 10000);
	ofd_sources_fini(&t->src);
	summary(t, snd);
	if (t->out.errors)
		rc = OFD_EXIT_FAIL;
free_sender:
	ofd_wbuf_fini(&t->out);
	ofd_sources_fini(&t->src);
	ofd_sender_free(snd);
free_key:
	ofd_key_free(key);
free_t:
	free(t);
	return rc;
}
