/*
 * The command line's in-memory pipelines: `overflowd dump` and the tracer modes (-f, -u) write
 * their pipeline as YAML text, which the config loader reads and the engine runs like any
 * `overflowd -c` config (src/core/pipeline.h), with the built-in segments.
 *
 * Strings from the user (file names, addresses, keys) never become YAML text: ofd_clipipe_arg()
 * writes a reference "${N}" and keeps the string as argument N, which the loader substitutes
 * after parsing, so no quoting, `$` or newline in a name can change the pipeline.
 *
 * ofd_clipipe_run() builds, initialises and starts the pipeline, waits until its inputs end (end
 * of files; a segment's stop: limit) or SIGINT/SIGTERM (taken by sigtimedwait in the calling
 * thread: no handler runs and no other thread sees them; a second one during the drain ends the
 * process), then drains and finishes it. Messages go to stderr.
 */
#ifndef OFD_CLI_CLIPIPE_H
#define OFD_CLI_CLIPIPE_H

#include <signal.h>

#include <stddef.h>
#include <stdio.h>

#include "core/pipeline.h"

struct ofd_clipipe {
	const char *name; /* for messages ("FILE:LINE:" of the loader and engine) */
	FILE *f;	  /* the YAML being written */
	char *yaml;
	size_t len;
	char **args; /* argument N is args[N - 1] */
	size_t nargs, cap;
	int failed; /* out of memory while building */
};

/* Start an empty pipeline text; name stands for the file name in messages. 0 or -ENOMEM. */
int ofd_clipipe_init(struct ofd_clipipe *c, const char *name) OFD_MUST_CHECK;

/* Append YAML text. */
void ofd_clipipe_printf(struct ofd_clipipe *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a double-quoted reference to the string s (kept, not copied: s must outlive the run). */
void ofd_clipipe_arg(struct ofd_clipipe *c, const char *s);

/*
 * Append a segment config key (at the indent of `- segment:`'s config keys) whose value is the
 * list of the comma-separated items of csv, each a reference as ofd_clipipe_arg() writes:
 * for command-line options such as --exporters A,B. csv is split in place (its commas become
 * NULs) and must outlive the run, like argv.
 */
void ofd_clipipe_list(struct ofd_clipipe *c, const char *key, char *csv);

/* The text written so far (NUL-terminated), e.g. for -v; NULL if building failed. */
const char *ofd_clipipe_text(struct ofd_clipipe *c);

/*
 * Run the pipeline (see above). done(p, ctx), when given, runs after the pipeline finished and
 * before it is freed: read its counters there. Returns OFD_EXIT_OK, or OFD_EXIT_FAIL when the
 * text is refused, a segment's init fails (a missing file, a taken port, a bad key: the reason
 * is on stderr) or an input failed.
 */
int ofd_clipipe_run(struct ofd_clipipe *c, void (*done)(struct ofd_pipeline *p, void *ctx), void *ctx);

/* Release the text and the argument list. */
void ofd_clipipe_fini(struct ofd_clipipe *c);

/* The index of the last top-level entry of p (the output whose counters a command reports). */
size_t ofd_clipipe_last(const struct ofd_pipeline *p);

/*
 * Init, start and run p until its inputs end or SIGINT/SIGTERM (taken from set, blocked by the
 * caller before any thread started; SIGUSR1 in set prints the counters), then drain and finish.
 * Returns init_failed when an init() refused the start (its reason printed), else the exit status.
 */
struct ofd_pipeline;
int ofd_cli_pipeline_run(struct ofd_pipeline *p, const sigset_t *set, int init_failed);

#endif
