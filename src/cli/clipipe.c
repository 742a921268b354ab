/* The command line's in-memory pipelines (see clipipe.h). */
#include "clipipe.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/config.h"
#include "ofd/segment.h"
#include "core/registry.h"
#include "segments/builtin.h"
#include "util/sdnotify.h"

int ofd_clipipe_init(struct ofd_clipipe *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->f = open_memstream(&c->yaml, &c->len);
	return c->f ? 0 : -ENOMEM;
}

void ofd_clipipe_printf(struct ofd_clipipe *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (c->f && vfprintf(c->f, fmt, ap) < 0)
		c->failed = 1;
	va_end(ap);
}

void ofd_clipipe_arg(struct ofd_clipipe *c, const char *s)
{
	if (c->nargs == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		char **a = realloc(c->args, cap * sizeof(*a));
		if (!a) {
			c->failed = 1;
			return;
		}
		c->args = a;
		c->cap = cap;
	}
	ofd_clipipe_printf(c, "\"${%zu}\"", c->nargs); /* arguments count from $0 */
	c->args[c->nargs++] = (char *)s;	       /* the loader only reads them */
}

void ofd_clipipe_list(struct ofd_clipipe *c, const char *key, char *csv)
{
	ofd_clipipe_printf(c, "    %s:\n", key);
	for (char *item = csv;;) {
		char *comma = strchr(item, ',');
		if (comma)
			*comma = 0;
		ofd_clipipe_printf(c, "    - ");
		ofd_clipipe_arg(c, item);
		ofd_clipipe_printf(c, "\n");
		if (!comma)
			break;
		item = comma + 1;
	}
}

const char *ofd_clipipe_text(struct ofd_clipipe *c)
{
	if (!c->f || fflush(c->f) != 0)
		c->failed = 1;
	return c->failed ? NULL : c->yaml;
}

size_t ofd_clipipe_last(const struct ofd_pipeline *p)
{
	size_t n = ofd_pipeline_entries(p);
	return n ? n - 1 : 0;
}

/* Until the inputs end or a stop signal; SIGUSR1 (when in set) prints the counters, SIGHUP (when
   in set) has the segments reload their data files (ofd_reload_request), a second
   stop signal ends the process (the default action) if the drain hangs. The wait is on the
   pipeline (which wakes it the moment its inputs end: `dump` of a small file does not sit out a
   tick), signals are polled between waits: taken within 100 ms. */
static void clipipe_wait(struct ofd_pipeline *p, const sigset_t *set)
{
	int stopping = 0;
	while (!ofd_pipeline_wait(p, 100)) {
		ofd_sd_watchdog_tick();
		struct timespec ts = {0, 0};
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGUSR1) {
			ofd_pipeline_print(p, stderr);
		} else if (sig == SIGHUP) {
			ofd_info("SIGHUP: segments reload their data files");
			ofd_reload_request();
		} else if ((sig == SIGINT || sig == SIGTERM) && !stopping) {
			stopping = 1;
			(void)ofd_sd_notify("STOPPING=1");
			ofd_info("%s: stopping", strsignal(sig));
			ofd_pipeline_stop(p);
			sigset_t again;
			sigemptyset(&again);
			sigaddset(&again, SIGINT);
			sigaddset(&again, SIGTERM);
			pthread_sigmask(SIG_UNBLOCK, &again, NULL);
		}
	}
}

int ofd_cli_pipeline_run(struct ofd_pipeline *p, const sigset_t *set, int init_failed)
{
	char err[1024];
	if (ofd_pipeline_init(p, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return init_failed;
	}
	int status = OFD_EXIT_OK;
	if (ofd_pipeline_start(p)) {
		status = OFD_EXIT_FAIL;
	} else {
		/* under systemd (Type=notify): the config is loaded, the segments' sockets are bound */
		(void)ofd_sd_notify("READY=1\nSTATUS=running");
		clipipe_wait(p, set);
	}
	if (ofd_pipeline_finish(p))
		status = OFD_EXIT_FAIL;
	return status;
}

int ofd_clipipe_run(struct ofd_clipipe *c, void (*done)(struct ofd_pipeline *p, void *ctx), void *ctx)
{
	struct ofd_registry *reg = NULL;
	struct ofd_cfg_file *cfg = NULL;
	struct ofd_pipeline *p = NULL;
	char err[1024] = "";
	const char *yaml = ofd_clipipe_text(c);
	if (!yaml) {
		fprintf(stderr, "overflowd: out of memory\n");
		return OFD_EXIT_FAIL;
	}
	/* blocked before any thread starts, so that every thread inherits the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int status = OFD_EXIT_FAIL;
	/* a command's pipeline runs in its input's thread: the least CPU per record */
	const struct ofd_pipeline_opts opts = {.inline_run = 1};
	if (ofd_registry_new(&reg)) {
		fprintf(stderr, "overflowd: cannot set up the segment registry\n");
		goto unblock;
	}
	if (ofd_cfg_load_string_flags(&cfg, c->name, yaml, c->len, c->args, c->nargs, OFD_CFG_STRICT_ENV, err,
				      sizeof(err)) ||
	    ofd_pipeline_new(&p, reg, ofd_cfg_pipeline(cfg), c->name, &opts, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto free_cfg;
	}
	status = ofd_cli_pipeline_run(p, &set, OFD_EXIT_FAIL);
	if (done)
		done(p, ctx);
	ofd_pipeline_free(p);
free_cfg:
	ofd_cfg_free(cfg);
	ofd_registry_free(reg);
unblock:
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return status;
}

void ofd_clipipe_fini(struct ofd_clipipe *c)
{
	if (c->f)
		fclose(c->f);
	free(c->yaml);
	free(c->args);
	memset(c, 0, sizeof(*c));
}
