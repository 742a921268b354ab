/*
 * overflowd receive: the tracer receiver's command line. It parses the options (and -c's
 * config), opens our key, and runs the receiver (receiver/receiver.h: store, writer,
 * listeners) until SIGINT/SIGTERM; then prints the counters.
 */
#include "receive_cli.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/config.h"
#include "receiver/receiver.h"
#include "net/prefix.h"
#include "tracer/keypath.h"
#include "util/sdnotify.h"

#define MAX_PROXIES 64

struct rcli {
	char udp[300];
	const char *http;
	char ui[80];			/* --ui, with 127.0.0.1 before a bare port; "" none */
	const char *mines[MAX_PROXIES]; /* --mine: override the config's list */
	size_t nmines;
	struct ofd_prefix mine[MAX_PROXIES]; /* parsed */
	size_t nmine;
	const char *db;
	const char *key;
	const char *tls_cert, *tls_key;
	uint64_t max_age_s;
	uint64_t max_rows;
	uint64_t workers;		  /* verification threads for UDP; 0: one per core */
	const char *proxies[MAX_PROXIES]; /* --trusted-proxy: override the config's list */
	size_t nproxies;
	struct ofd_prefix trusted[MAX_PROXIES]; /* parsed */
	size_t ntrusted;
	struct ofd_cfg_file *cfg; /* -c: the config the strings below may point into */
	struct rconf {		  /* its values, as the config map writes them */
		char *udp, *http, *db, *key, *tls_cert, *tls_key, *ui;
		struct ofd_strlist mine;
		uint64_t max_age_ns, max_rows, workers;
		/* storage bounds and the freshness window: read from here (the defaults until -c or
		   an option sets them) */
		uint64_t max_size, min_free, key_quota, net_quota, max_tracer, max_past_ns, max_future_ns;
		double udp_budget, udp_share; /* the UDP verification budget */
		struct ofd_strlist trusted_proxies;
		int proxy_header;
	} conf;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overflowd receive [--udp ADDR:PORT|none] [--http ADDR:PORT|none] [--db FILE]\n"
		"                         [-k KEYFILE] [--max-age DURATION] [--max-rows N] [--workers N]\n"
		"                         [--trusted-proxy PREFIX]... [--proxy-header "
		"x-forwarded-for|forwarded]\n"
		"                         [-c receiver.yml]\n"
		"  -c         a config file: `- segment: receiver` with keys udp, http, db, key, max_age,\n"
		"             max_rows (the options override it)\n"
		"  --udp      tracers over UDP (default [::]:65535, IPv4 and IPv6)\n"
		"  --http     POST /.well-known/overflowd and GET /metrics (default [::]:8080)\n"
		"  --db       SQLite database (default $OVERFLOWD_DB or /var/lib/overflowd/tracers.db)\n"
		"  -k         our key, to open tracers sealed to us (default: the signing key, if any)\n"
		"  --max-age  prune tracers older than this (90s, 15m, 12h, 30d, 2w)\n"
		"  --max-rows keep at most N tracers\n"
		"  --workers  threads verifying UDP tracers (default: one per core)\n"
		"  --max-size N      the database's size budget: the oldest tracers are pruned above 90%%,\n"
		"                    new ones refused at it (default 1G; 0: none)\n"
		"  --min-free N      refuse new tracers when the filesystem has less free (default 256M)\n"
		"  --key-quota N     tracers stored per key per hour (default 10000; 0: none)\n"
		"  --net-quota N     tracers stored per sender network (/24, /48) per hour (default 20000)\n"
		"  --max-tracer N    longer tracers are refused unverified (default 4096)\n"
		"  --max-past D      refuse tracers made longer ago than this (default 24h; 0: no limit)\n"
		"  --max-future D    ... or dated further ahead than this (default 10m; 0: no limit)\n"
		"  --udp-budget N    UDP verifications/s for tracers of keys without a good history\n"
		"                    (default 0: --udp-share of the verifying threads' measured rate)\n"
		"  --udp-share X     that share, 0 < X <= 1 (default 0.5)\n"
		"  --trusted-proxy  a reverse proxy (address or prefix; repeat for more) whose\n"
		"             X-Forwarded-For (or Forwarded, --proxy-header) names the client\n"
		"  --ui ADDR:PORT    a read-only web page of the tracers, keys and the spoofing report\n"
		"                    (a bare PORT: 127.0.0.1:PORT; never the --http port; default off)\n"
		"  --mine PREFIX     my prefixes (repeat for more): the page's spoofing report\n");
}

static const char *const proxy_headers[] = {"x-forwarded-for", "forwarded", NULL};

#define RC(f) offsetof(struct rconf, f)
static const struct ofd_cfg_key receiver_keys[] = {
    {.key = "udp", .type = OFD_CFG_STRING, .offset = RC(udp), .help = "UDP listen address (none: off)"},
    {.key = "http", .type = OFD_CFG_STRING, .offset = RC(http), .help = "HTTP listen address (none: off)"},
    {.key = "db", .type = OFD_CFG_STRING, .offset = RC(db), .help = "SQLite database"},
    {.key = "key", .type = OFD_CFG_STRING, .offset = RC(key), .help = "our key, for sealed tracers"},
    {.key = "tls_cert",
     .type = OFD_CFG_STRING,
     .offset = RC(tls_cert),
     .help = "HTTPS: certificate (PEM file)"},
    {.key = "tls_key",
     .type = OFD_CFG_STRING,
     .offset = RC(tls_key),
     .help = "HTTPS: private key (PEM file)"},
    {.key = "max_age",
     .type = OFD_CFG_DURATION,
     .offset = RC(max_age_ns),
     .def = "30d",
     .help = "retention by age (0: none)"},
    {.key = "max_rows",
     .type = OFD_CFG_UINT,
     .offset = RC(max_rows),
     .def = "0",
     .help = "retention by rows (0: none)"},
    {.key = "workers",
     .type = OFD_CFG_UINT,
     .offset = RC(workers),
     .def = "0",
     .max = 64,
     .help = "threads verifying UDP tracers (0: one per core; 1: the receiving thread alone)"},
    {.key = "max_size",
     .type = OFD_CFG_SIZE,
     .offset = RC(max_size),
     .def = "1G",
     .help = "the database's size budget: oldest tracers pruned above 90%, new ones refused at it (0: none)"},
    {.key = "min_free",
     .type = OFD_CFG_SIZE,
     .offset = RC(min_free),
     .def = "256M",
     .help = "new tracers refused while the database's filesystem has less free (0: not checked)"},
    {.key = "key_quota",
     .type = OFD_CFG_UINT,
     .offset = RC(key_quota),
     .def = "10000",
     .max = UINT32_MAX,
     .help = "tracers stored per signing key per hour (0: no quota)"},
    {.key = "net_quota",
     .type = OFD_CFG_UINT,
     .offset = RC(net_quota),
     .def = "20000",
     .max = UINT32_MAX,
     .help = "tracers stored per sender network (/24, /48) per hour (0: no quota)"},
    {.key = "max_tracer",
     .type = OFD_CFG_SIZE,
     .offset = RC(max_tracer),
     .def = "4096",
     .min = 1200,
     .max = 8192,
     .help = "longer tracers are refused before verification (sealed ones: their content)"},
    {.key = "max_past",
     .type = OFD_CFG_DURATION,
     .offset = RC(max_past_ns),
     .def = "24h",
     .help = "tracers made longer ago are refused as stale (0: no limit)"},
    {.key = "max_future",
     .type = OFD_CFG_DURATION,
     .offset = RC(max_future_ns),
     .def = "10m",
     .help = "tracers dated further ahead are refused as stale (0: no limit)"},
    {.key = "udp_budget",
     .type = OFD_CFG_DOUBLE,
     .offset = RC(udp_budget),
     .def = "0",
     .min = 0,
     .max = 1e9,
     .help = "UDP verifications/s for tracers of keys without a good history (0: udp_share of the measured "
	     "rate)"},
    {.key = "udp_share",
     .type = OFD_CFG_DOUBLE,
     .offset = RC(udp_share),
     .def = "0.5",
     .min = 0.001,
     .max = 1,
     .help = "udp_budget 0: this share (0 < x <= 1) of the verifying threads' measured rate"},
    {.key = "trusted_proxies",
     .type = OFD_CFG_STRLIST,
     .offset = RC(trusted_proxies),
     .help = "reverse proxies (addresses or prefixes) whose forwarding header names the client"},
    {.key = "proxy_header",
     .type = OFD_CFG_ENUM,
     .offset = RC(proxy_header),
     .def = "x-forwarded-for",
     .choices = proxy_headers,
     .help = "the header the trusted proxies name the client in"},
    {.key = "ui",
     .type = OFD_CFG_STRING,
     .offset = RC(ui),
     .help = "the read-only web page's address (a bare port: 127.0.0.1; none: off)"},
    {.key = "mine",
     .type = OFD_CFG_STRLIST,
     .offset = RC(mine),
     .help = "my prefixes: the web page's spoofing report"},
    {.key = NULL},
};
#undef RC

/* --ui ADDR:PORT (or a bare port: loopback) into r->ui; "none": off. */
static int set_ui(struct rcli *r, const char *v)
{
	size_t n = strlen(v);
	if (strcmp(v, "none") == 0)
		r->ui[0] = 0;
	else if (n && n <= 5 && strspn(v, "0123456789") == n)
		snprintf(r->ui, sizeof(r->ui), "127.0.0.1:%s", v);
	else if (n < sizeof(r->ui))
		snprintf(r->ui, sizeof(r->ui), "%s", v);
	else {
		fprintf(stderr, "overflowd receive: bad value '%s' for --ui\n", v);
		return -1;
	}
	return 0;
}

/* -c FILE: one entry `segment: receiver` whose config sets the defaults of the options. */
static int load_config(struct rcli *r, const char *path, const char **udp)
{
	char err[512] = "";
	int rc = ofd_cfg_load(&r->cfg, path, NULL, 0, err, sizeof(err));
	const struct ofd_cfg_pipeline *pl = rc ? NULL : ofd_cfg_pipeline(r->cfg);
	if (!rc && (pl->n != 1 || strcmp(pl->v[0].segment, "receiver") != 0)) {
		rc = ofd_cfg_errorf(err, sizeof(err), path, pl->n ? pl->v[0].line : 1, NULL, NULL,
				    "expected one entry, `segment: receiver`");
	}
	if (!rc)
		rc = ofd_cfg_apply(receiver_keys, pl->v[0].config, &r->conf, path, "receiver", pl->v[0].line,
				   err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (r->conf.udp)
		*udp = r->conf.udp;
	if (r->conf.http)
		r->http = r->conf.http;
	if (r->conf.ui && set_ui(r, r->conf.ui))
		return -1;
	r->db = r->conf.db, r->key = r->conf.key;
	r->tls_cert = r->conf.tls_cert, r->tls_key = r->conf.tls_key;
	r->max_age_s = r->conf.max_age_ns / 1000000000u, r->max_rows = r->conf.max_rows;
	r->workers = r->conf.workers;
	return 0;
}

/* An option's value, checked and converted like the config key of the same meaning. */
static int option_value(struct rcli *r, const char *key, const char *text)
{
	const struct ofd_cfg_key *k = receiver_keys;
	while (k->key && strcmp(k->key, key) != 0)
		k++;
	struct ofd_cfg_node v = {.kind = OFD_CFGN_SCALAR, .line = 0, .text = text};
	char err[256];
	return ofd_cfg_apply_one(k, &v, &r->conf, "command line", "receive", err, sizeof(err));
}

/* The trusted proxies and my prefixes: the options', else the config's; parsed into r->trusted,
   r->mine. */
static int trusted_list(struct rcli *r)
{
	const char *const *v = r->nproxies ? r->proxies : (const char *const *)r->conf.trusted_proxies.v;
	size_t n = r->nproxies ? r->nproxies : r->conf.trusted_proxies.n;
	if (n > MAX_PROXIES) {
		fprintf(stderr, "overflowd receive: trusted_proxies: %zu prefixes (at most %d)\n", n,
			MAX_PROXIES);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (ofd_prefix_parse(&r->trusted[i], v[i]) != 0) {
			fprintf(stderr,
				"overflowd receive: trusted proxy '%s': expected an address or a prefix\n",
				v[i]);
			return -1;
		}
	r->ntrusted = n;
	v = r->nmines ? r->mines : (const char *const *)r->conf.mine.v;
	n = r->nmines ? r->nmines : r->conf.mine.n;
	if (n > MAX_PROXIES) {
		fprintf(stderr, "overflowd receive: mine: %zu prefixes (at most %d)\n", n, MAX_PROXIES);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (ofd_prefix_parse(&r->mine[i], v[i]) != 0) {
			fprintf(stderr, "overflowd receive: mine '%s': expected a prefix\n", v[i]);
			return -1;
		}
	r->nmine = n;
	return 0;
}

static int parse_args(struct rcli *r, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"udp", required_argument, NULL, 'u'},
	    {"http", required_argument, NULL, 'H'},
	    {"db", required_argument, NULL, 'd'},
	    {"key", required_argument, NULL, 'k'},
	    {"max-age", required_argument, NULL, 'a'},
	    {"max-rows", required_argument, NULL, 'n'},
	    {"config", required_argument, NULL, 'c'},
	    {"tls-cert", required_argument, NULL, 'C'},
	    {"tls-key", required_argument, NULL, 'K'},
	    {"workers", required_argument, NULL, 'w'},
	    {"max-size", required_argument, NULL, 1},
	    {"min-free", required_argument, NULL, 2},
	    {"key-quota", required_argument, NULL, 3},
	    {"net-quota", required_argument, NULL, 4},
	    {"max-tracer", required_argument, NULL, 5},
	    {"max-past", required_argument, NULL, 6},
	    {"max-future", required_argument, NULL, 7},
	    {"udp-budget", required_argument, NULL, 8},
	    {"udp-share", required_argument, NULL, 9},
	    {"trusted-proxy", required_argument, NULL, 'P'},
	    {"proxy-header", required_argument, NULL, 'F'},
	    {"ui", required_argument, NULL, 10},
	    {"mine", required_argument, NULL, 11},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const bound_keys[] = {NULL,	       "max_size",   "min_free", "key_quota",
						 "net_quota",  "max_tracer", "max_past", "max_future",
						 "udp_budget", "udp_share"};
	const char *udp = "[::]:65535";
	char *end, err[256];
	int c;
	if (ofd_cfg_apply(receiver_keys, NULL, &r->conf, "defaults", "receive", 0, err, sizeof(err))) {
		fprintf(stderr, "overflowd receive: %s\n", err); /* cannot happen: the defaults parse */
		return -1;
	}
	r->max_age_s = r->conf.max_age_ns / 1000000000u;
	opterr = 0; /* first pass: only -c, so that the options override the file */
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:hc:", opts, NULL)) != -1)
		if (c == 'c' && load_config(r, optarg, &udp))
			return -1;
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break;
		case 'C': r->tls_cert = optarg; break;
		case 'K': r->tls_key = optarg; break;
		case 'u': udp = optarg; break;
		case 'H': r->http = optarg; break;
		case 'd': r->db = optarg; break;
		case 'k': r->key = optarg; break;
		case 'a':
			if (option_value(r, "max_age", optarg))
				goto bad_value;
			r->max_age_s = r->conf.max_age_ns / 1000000000u;
			break;
		case 'w':
			if (option_value(r, "workers", optarg))
				goto bad_value;
			r->workers = r->conf.workers;
			break;
		case 'n':
			r->max_rows = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end)
				goto bad_value;
			break;
		case 'P':
			if (r->nproxies == MAX_PROXIES)
				goto bad_value;
			r->proxies[r->nproxies++] = optarg;
			break;
		case 'F':
			if (option_value(r, "proxy_header", optarg))
				goto bad_value;
			break;
		case 'h': usage(stdout); return 1;
		case 10:
			if (set_ui(r, optarg))
				return -1;
			break;
		case 11:
			if (r->nmines == MAX_PROXIES) {
				fprintf(stderr, "overflowd receive: more than %d --mine\n", MAX_PROXIES);
				return -1;
			}
			r->mines[r->nmines++] = optarg;
			break;
		case 1:
		case 2:
		case 3:
		case 4:
		case 5:
		case 6:
		case 7:
		case 8:
		case 9:
			if (option_value(r, bound_keys[c], optarg)) {
				fprintf(stderr, "overflowd receive: bad value '%s' for --%s\n", optarg,
					opts[c + 9].name);
				return -1;
			}
			break;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "overflowd receive: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (strcmp(udp, "none") == 0)
		r->udp[0] = 0;
	else if ((size_t)snprintf(r->udp, sizeof(r->udp), "%s%s", strstr(udp, "://") ? "" : "udp://", udp) >=
		 sizeof(r->udp))
		goto bad_value;
	if (r->http && strcmp(r->http, "none") == 0)
		r->http = NULL;
	if (trusted_list(r))
		return -1;
	if (!r->db)
		r->db = getenv("OVERFLOWD_DB");
	if (!r->db || !*r->db)
		r->db = "/var/lib/overflowd/tracers.db";
	return 0;
bad_value:
	fprintf(stderr, "overflowd receive: bad value '%s' for --%s\n", optarg,
		c == 'a'   ? "max-age"
		: c == 'n' ? "max-rows"
		: c == 'w' ? "workers"
		: c == 'P' ? "trusted-proxy"
		: c == 'F' ? "proxy-header"
			   : "udp");
	return -1;
}

static void print_counters(const struct ofd_receiver *rx)
{
	struct ofd_listen_counters c;
	ofd_receiver_counters(rx, &c);
	fprintf(stderr,
		"overflowd receive: received %llu valid %llu stored %llu duplicate %llu store-errors %llu "
		"invalid %llu ratelimited %llu\n",
		(unsigned long long)c.received, (unsigned long long)c.valid, (unsigned long long)c.stored,
		(unsigned long long)c.duplicate, (unsigned long long)c.store_errors,
		(unsigned long long)c.invalid_total, (unsigned long long)c.ratelimited);
	for (unsigned i = 1; i < OFD_TV__COUNT; i++)
		if (c.invalid[i])
			fprintf(stderr, "overflowd receive:   invalid %s: %llu\n",
				ofd_tv_error_name((enum ofd_tv_error)i), (unsigned long long)c.invalid[i]);
}

static void print_store(const struct ofd_receiver *rx)
{
	struct ofd_store_stats st;
	ofd_receiver_store_stats(rx, &st);
	fprintf(stderr,
		"overflowd receive: store: refused full %llu key-quota %llu net-quota %llu, pruned %llu "
		"(key history rows %llu)\n",
		(unsigned long long)st.full, (unsigned long long)st.quota_key,
		(unsigned long long)st.quota_net, (unsigned long long)st.pruned,
		(unsigned long long)st.history_pruned);
}

/* Our key for sealed tracers: -k (must load), else the default signing key if there is one. */
static struct ofd_key *open_key(const struct rcli *r, int *fail)
{
	struct ofd_key *k = NULL;
	char err[512] = "";
	*fail = 0;
	if (ofd_keypath_open(&k, r->key, 0, err, sizeof(err)) == 0)
		return k;
	if (r->key) {
		fprintf(stderr, "overflowd receive: %s\n", err);
		*fail = 1;
	} else {
		fprintf(stderr, "overflowd receive: no key (%s): sealed tracers will not be opened\n", err);
	}
	return NULL;
}

static void run_loop(void)
{
	const struct timespec nap = {0, 100 * 1000000};
	while (!ofd_stop) {
		ofd_sd_watchdog_tick();
		nanosleep(&nap, NULL);
	}
	(void)ofd_sd_notify("STOPPING=1");
}

int ofd_cmd_receive(int argc, char **argv)
{
	struct rcli r = {.http = "[::]:8080"};
	struct ofd_receiver *rx = NULL;
	char err[512] = "";
	int rc = parse_args(&r, argc, argv), fail = 0;
	struct ofd_key *ours = NULL;
	if (rc) {
		rc = rc > 0 ? OFD_EXIT_OK : OFD_EXIT_USAGE;
		goto free_config;
	}
	ours = open_key(&r, &fail);
	rc = OFD_EXIT_FAIL;
	if (fail)
		goto free_config;
	struct ofd_receiver_opts o = {.udp = r.udp[0] ? r.udp : NULL,
				      .http = r.http,
				      .db = r.db,
				      .ours = ours,
				      .tls_cert = r.tls_cert,
				      .tls_key = r.tls_key,
				      .max_age_s = r.max_age_s,
				      .max_rows = r.max_rows,
				      .workers = (unsigned)r.workers,
				      .limits = {.max_size = r.conf.max_size,
						 .min_free = r.conf.min_free,
						 .key_hour = (uint32_t)r.conf.key_quota,
						 .net_hour = (uint32_t)r.conf.net_quota},
				      .max_tracer = (size_t)r.conf.max_tracer,
				      .max_past_s = (uint32_t)(r.conf.max_past_ns / 1000000000u),
				      .max_future_s = (uint32_t)(r.conf.max_future_ns / 1000000000u),
				      .trusted_proxies = r.trusted,
				      .ntrusted_proxies = r.ntrusted,
				      .proxy_header = (enum ofd_httpd_fwd)r.conf.proxy_header,
				      .udp_budget = r.conf.udp_budget,
				      .udp_share = r.conf.udp_share,
				      .ui = r.ui[0] ? r.ui : NULL,
				      .mine = r.mine,
				      .nmine = r.nmine};
	if (ofd_receiver_new(&rx, &o, err, sizeof(err))) {
		fprintf(stderr, "overflowd receive: %s\n", err);
		goto free_key;
	}
	ofd_signals_install();
	if (ofd_receiver_start(rx, err, sizeof(err))) {
		if (err[0]) /* else the listener logged its reason */
			fprintf(stderr, "overflowd receive: %s\n", err);
		goto free_rx;
	}
	fprintf(stderr, "overflowd receive: udp %s, http %s (port %u), db %s\n", o.udp ? o.udp : "off",
		r.http ? r.http : "off", ofd_receiver_http_port(rx), r.db);
	if (o.ui)
		fprintf(stderr, "overflowd receive: ui %s (port %u)\n", o.ui, ofd_receiver_ui_port(rx));
	(void)ofd_sd_notify("READY=1\nSTATUS=receiving"); /* the listeners are bound */
	run_loop();
	ofd_receiver_stop(rx);
	print_counters(rx);
	print_store(rx);
	rc = OFD_EXIT_OK;
free_rx:
	ofd_receiver_free(rx);
free_key:
	ofd_key_free(ours);
free_config:
	ofd_cfg_release(receiver_keys, &r.conf);
	ofd_cfg_free(r.cfg);
	return rc;
}
