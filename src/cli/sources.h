/*
 * The command line's flow sources: capture files (read first, in order) and UDP listeners (run
 * until SIGINT/SIGTERM), decoded into one batch whose full callback the caller provides. Used
 * by `dump` and by the tracer modes (-f, -u).
 *
 * With a template state file (ofd_sources_state, dump --state) the decoder starts with the
 * NetFlow v9 / IPFIX templates saved by an earlier run and saves its own periodically and at
 * the end (src/decode/tmpl_state.h).
 */
#ifndef OFD_CLI_SOURCES_H
#define OFD_CLI_SOURCES_H

#include "decode/decode.h"

struct ofd_sources {
	struct ofd_decoder *dec;
	struct ofd_batch batch;
	/* called whenever a UDP source goes idle, after the batch was flushed (e.g. flush output) */
	void (*idle)(void *ctx);
	void *ctx;
	/* template state file, NULL: none (set by ofd_sources_state) */
	const char *state_path;
	uint32_t state_interval_s; /* 0: save only at the end */
	uint64_t state_next_ns;	   /* CLOCK_MONOTONIC time of the next periodic save */
};

/* True for udp://, netflow:// and sflow:// sources. */
int ofd_source_is_udp(const char *s);

/* Set up: a decoder and the batch (full callback fn with ctx). Returns 0 or an error. */
int ofd_sources_init(struct ofd_sources *s, ofd_batch_full_fn fn, void *ctx) OFD_MUST_CHECK;

/*
 * Load the template state file `path` into the decoder (a missing file is no error; an unusable
 * one is ignored with a warning; a line on stderr says what was loaded) and keep it: the state
 * is saved to path every interval_s seconds (0: never) while sources run and at
 * ofd_sources_fini(). Call after ofd_sources_init(). Returns 0 or -ENOMEM.
 */
int ofd_sources_state(struct ofd_sources *s, const char *path, uint32_t interval_s) OFD_MUST_CHECK;

/*
 * Decode every source in srcs[0..n): files first, then all UDP sources together until ofd_stop.
 * Per-source summaries go to stderr. Returns 0, or -1 if a source could not be opened.
 */
int ofd_sources_run(struct ofd_sources *s, char *const *srcs, int n);

/* Save the template state (if any), print the decoder's summary to stderr, release everything. */
void ofd_sources_fini(struct ofd_sources *s);

#endif
