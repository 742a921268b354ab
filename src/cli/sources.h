/*
 * The command line's flow sources: capture files (read first, in order) and UDP listeners (run
 * until SIGINT/SIGTERM), decoded into one batch whose full callback the caller provides. Used
 * by `dump` and by the tracer modes (-f, -u).
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
};

/* True for udp://, netflow:// and sflow:// sources. */
int ofd_source_is_udp(const char *s);

/* Set up: a decoder and the batch (full callback fn with ctx). Returns 0 or an error. */
int ofd_sources_init(struct ofd_sources *s, ofd_batch_full_fn fn, void *ctx) OFD_MUST_CHECK;

/*
 * Decode every source in srcs[0..n): files first, then all UDP sources together until ofd_stop.
 * Per-source summaries go to stderr. Returns 0, or -1 if a source could not be opened.
 */
int ofd_sources_run(struct ofd_sources *s, char *const *srcs, int n);

/* Print the decoder's summary to stderr and release everything. */
void ofd_sources_fini(struct ofd_sources *s);

#endif
