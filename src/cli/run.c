/*
 * overflowd [-c CONFIG.yml] [--check] [-l LEVEL] [-j] [-n N] [--metrics ADDR:PORT]
 *           [-p MODULE.so]... [--strict-env] [ARG...]
 *
 * Runs the pipeline described by CONFIG.yml (default: config.yml, as flowpipeline). ARGs are
 * $0, $1... in the config, numbered from 0 as flowpipeline numbers them; options end at the
 * first ARG (as Go's flag package does), so a filter such as "proto tcp" goes last. An undefined
 * variable or ARG expands to "" with a warning (`--strict-env`: refused). Everything is checked
 * before anything is opened: plugin modules (ABI), the YAML, segment names, every segment's
 * config map and check(); errors are printed as "FILE:LINE: segment NAME: key KEY: reason" and
 * the exit status is 2. `--check` stops there (exit 0 when valid): no segment's init() runs.
 * Then every segment is initialised (a failure: exit 2), the inputs start, and the pipeline
 * runs until every input ends (end of files) or SIGINT/SIGTERM; either way queues drain, outputs
 * flush and close, the counters go to stderr and the exit status is 0 (1 if an input failed).
 * SIGUSR1 prints the counters while running; SIGHUP makes the segments with data files reload
 * them (ofd_reload_request), and the run goes on. A second SIGINT/SIGTERM during the drain ends
 * the process at once.
 *
 * flowpipeline's flags: -l LEVEL (debug, info, warning, error; default info), -j (JSON log
 * lines), -n N (the `workers` of every input that takes them and is not given them in the
 * config, 0: one per core; flowpipeline runs N copies of the whole pipeline instead, which for
 * us would mean N writers per output file), -v prints the version (so does --version; debug
 * messages are `-l debug` or --verbose), -p as before.
 *
 * Metrics: `--metrics ADDR:PORT`, or else the config's top-level `metrics:`, serves GET /metrics
 * (obs/metrics_http.h, families in obs/pipeline_metrics.c) from before the segments are initialised
 * until after the drain. The address is bound first: a taken one refuses the start (exit 1)
 * before any segment opens anything.
 *
 * `--segments` lists the segment types (with -p, the modules' too) and their aliases and exits;
 * with `--markdown` it prints the README's segment reference instead (cli/segdoc.h).
 *
 * Signals are blocked in every thread and taken with sigtimedwait() by the main thread, which
 * also does the printing: no work happens in a signal handler.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clipipe.h"
#include "core/config.h"
#include "net/hostport.h"
#include "obs/metrics_http.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "obs/pipeline_metrics.h"
#include "segdoc.h"
#include "segments/builtin.h"

#define RUN_MAX_PLUGINS 64

#ifndef OFD_VERSION
#define OFD_VERSION "unknown"
#endif

struct run_opts {
	const char *config;
	const char *metrics;
	const char *workers; /* -n */
	unsigned cfg_flags;  /* OFD_CFG_STRICT_ENV */
	int check;
	int list;
	int markdown;
	const char *plugins[RUN_MAX_PLUGINS];
	size_t nplugins;
	char **args;
	size_t nargs;
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: overflowd [-c CONFIG.yml] [--check] [-l LEVEL] [-j] [-n N] [--metrics ADDR:PORT]\n"
		"                 [-p MODULE.so]... [--strict-env] [ARG...]\n"
		"  -c, --config FILE   the pipeline (YAML; default config.yml); ARGs are $0, $1... in it\n"
		"      --check         validate config, segments, config keys and modules, run nothing\n"
		"  -l, --log-level L   debug, info, warning or error (default info)\n"
		"  -j, --json-logs     log lines as JSON objects\n"
		"  -n, --pipelines N   workers of every input that takes them and has none configured\n"
		"                      (0: one per core)\n"
		"      --metrics ADDR  serve Prometheus metrics at http://ADDR/metrics; ADDR is\n"
		"                      IPV4:PORT, [IPV6]:PORT or :PORT; overrides the config's metrics:\n"
		"  -p, --plugin FILE   load custom segments from a shared object (repeatable)\n"
		"      --strict-env    refuse an undefined $VARIABLE or $N (default: empty, warned)\n"
		"      --segments      list the available segments and exit\n"
		"      --markdown      with --segments: print the README's segment reference\n"
		"  -v, --version       print the version and exit\n"
		"      --verbose       debug messages (as -l debug)\n"
		"Options end at the first ARG. SIGUSR1 prints the counters; SIGINT/SIGTERM stop the inputs,\n"
		"drain and exit.\n");
}

/* -n N: a decimal count of workers, 0 (one per core) to 64. */
static int run_workers_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 2 || strspn(s, "0123456789") != n)
		return 0;
	return strtoul(s, NULL, 10) <= 64;
}

static int run_parse(struct run_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},  {"check", no_argument, NULL, 'C'},
	    {"metrics", required_argument, NULL, 'M'}, {"plugin", required_argument, NULL, 'p'},
	    {"segments", no_argument, NULL, 'L'},      {"log-level", required_argument, NULL, 'l'},
	    {"json-logs", no_argument, NULL, 'j'},     {"pipelines", required_argument, NULL, 'n'},
	    {"strict-env", no_argument, NULL, 'S'},    {"verbose", no_argument, NULL, 'V'},
	    {"version", no_argument, NULL, 'v'},       {"help", no_argument, NULL, 'h'},
	    {"markdown", no_argument, NULL, 'D'},      {NULL, 0, NULL, 0},
	};
	enum ofd_log_level lvl;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:p:l:jn:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'C': o->check = 1; break;
		case 'M':
			if (ofd_hostport_parse(optarg, NULL, NULL)) {
				fprintf(stderr, "overflowd: --metrics %s: expected " OFD_HOSTPORT_FORMS "\n",
					optarg);
				return -1;
			}
			o->metrics = optarg;
			break;
		case 'L': o->list = 1; break;
		case 'D': o->markdown = 1; break;
		case 'l':
			if (ofd_log_parse_level(optarg, &lvl)) {
				fprintf(stderr, "overflowd: -l %s: expected debug, info, warning or error\n",
					optarg);
				return -1;
			}
			ofd_log_set_level(lvl);
			break;
		case 'j': ofd_log_set_json(1); break;
		case 'n':
			if (!run_workers_ok(optarg)) {
				fprintf(stderr,
					"overflowd: -n %s: expected a number from 0 (one per core) to 64\n",
					optarg);
				return -1;
			}
			o->workers = optarg;
			break;
		case 'S': o->cfg_flags |= OFD_CFG_STRICT_ENV; break;
		case 'V': ofd_log_set_level(OFD_LOG_DEBUG); break;
		case 'v': exit(ofd_cli_version(stdout));
		case 'p':
			if (o->nplugins == RUN_MAX_PLUGINS) {
				fprintf(stderr, "overflowd: at most %d plugins\n", RUN_MAX_PLUGINS);
				return -1;
			}
			o->plugins[o->nplugins++] = optarg;
			break;
		case 'h': run_usage(stdout); exit(OFD_EXIT_OK);
		default: return -1;
		}
	}
	o->args = argv + optind;
	o->nargs = (size_t)(argc - optind);
	if (o->markdown && !o->list) {
		fprintf(stderr, "overflowd: --markdown goes with --segments\n");
		return -1;
	}
	if (!o->config)
		o->config = "config.yml";
	return 0;
}

/* A refused config: its "FILE:LINE: ..." line as it is, or with -j as a JSON error line. */
static void run_error(const char *err)
{
	if (ofd_log_json())
		ofd_err("%s", err);
	else
		fprintf(stderr, "%s\n", err);
}

/* Init, start, run, drain, print. Returns the exit status. */
static int run_segments(struct ofd_pipeline *p, const sigset_t *set)
{
	int status = ofd_cli_pipeline_run(p, set, OFD_EXIT_USAGE);
	if (status != OFD_EXIT_USAGE)
		ofd_pipeline_print(p, stderr);
	return status;
}

static int run_metrics_fill(void *ctx, struct ofd_prom *w)
{
	return ofd_pipeline_metrics(ctx, w);
}

/* Serve the metrics (when asked) around run_segments(). */
static int run_pipeline(struct ofd_pipeline *p, const sigset_t *set, const char *metrics)
{
	char err[1024];
	struct ofd_metrics *m = NULL;
	if (metrics) {
		if (ofd_metrics_start(&m, metrics, run_metrics_fill, p, err, sizeof(err))) {
			fprintf(stderr, "overflowd: %s\n", err);
			return OFD_EXIT_FAIL;
		}
		ofd_info("metrics: serving %s", ofd_metrics_url(m));
	}
	int status = run_segments(p, set);
	ofd_metrics_stop(m); /* before the pipeline is freed: the server reads it */
	return status;
}

int ofd_cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct ofd_registry *reg = NULL;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p = NULL;
	char err[1024];
	int status = OFD_EXIT_USAGE;
	/* from the start: a signal during start-up is taken once the pipeline runs, and threads
	   that segments or the engine create inherit the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (run_parse(&o, argc, argv)) {
		run_usage(stderr);
		return OFD_EXIT_USAGE;
	}
	if (ofd_registry_new(&reg)) {
		fprintf(stderr, "overflowd: cannot set up the segment registry\n");
		return OFD_EXIT_FAIL;
	}
	for (size_t i = 0; i < o.nplugins; i++) {
		if (ofd_registry_load(reg, o.plugins[i], err, sizeof(err))) {
			char msg[1100];
			snprintf(msg, sizeof(msg), "overflowd: plugin %s", err);
			run_error(msg);
			goto free_reg;
		}
	}
	if (o.list) {
		int rc = o.markdown ? ofd_segdoc_markdown(reg, stdout) : ofd_segdoc_list(reg, stdout);
		status = rc || fflush(stdout) ? OFD_EXIT_FAIL : OFD_EXIT_OK;
		goto free_reg;
	}
	struct ofd_pipeline_opts popts = {.input_workers = o.workers};
	if (ofd_cfg_load_flags(&cfg, o.config, o.args, o.nargs, o.cfg_flags, err, sizeof(err)) ||
	    ofd_pipeline_new(&p, reg, ofd_cfg_pipeline(cfg), o.config, &popts, err, sizeof(err))) {
		run_error(err);
		goto free_cfg;
	}
	if (o.check) {
		printf("%s: ok, %zu segments\n", o.config, ofd_pipeline_entries(p));
		status = OFD_EXIT_OK;
	} else {
		status = run_pipeline(p, &set, o.metrics ? o.metrics : ofd_cfg_metrics(cfg));
	}
	ofd_pipeline_free(p);
free_cfg:
	ofd_cfg_free(cfg);
free_reg:
	ofd_registry_free(reg);
	return status;
}
