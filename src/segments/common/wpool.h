/*
 * A pool of writer threads for outputs whose server takes parallel writes (influx, postgres).
 *
 * The output renders its rows as text into a chunk (a buffer of `chunk_bytes`), and hands the
 * chunk to the pool when it holds `batchsize` rows, or when it has been open `flushinterval`,
 * or when the input acknowledges its source. Each of `workers` threads owns one connection to
 * the server (ops->open) and sends whole chunks (ops->send: a POST, a COPY); a transient error
 * is retried `retries` times after `backoff`, doubled per attempt, reconnecting first when the
 * connection was lost; after that the chunk's rows are lost: counted, logged at a rate limit,
 * and, when the input acknowledges its source, reported with ofd_segment_not_through() (the
 * pipeline stops and the source gives them again); otherwise the pipeline goes on.
 *
 * Memory is fixed: 2 × workers chunks. When all are full or in flight, ofd_wpool_take() waits
 * (back-pressure: the output's queue fills and the core counts it) and counts the wait.
 * Order: chunks may be written out of order by different workers; rows within a chunk keep
 * theirs. A table or a time series has no order to keep.
 *
 * Threads: take/submit/drain/stop from the output's own thread (process, tick, fini); ops run
 * on the workers.
 */
#ifndef OFD_SEG_WPOOL_H
#define OFD_SEG_WPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/cfg.h"
#include "ofd/err.h"

struct ofd_segment;

/*
 * The config keys every pool output takes, for its key table: the state T has uint64_t
 * batchsize, flush_ns, workers, retries, backoff_ns. `what` names a chunk in the help texts
 * ("request", "COPY").
 */
#define OFD_WPOOL_KEYS(T, what)                                                                              \
	OFD_KEY("batchsize", OFD_CFG_UINT, T, batchsize, .def = "5000", .min = 1, .max = 1000000,            \
		.help = "rows per " what " (a chunk of the writer pool)"),                                   \
	    OFD_KEY("flushinterval", OFD_CFG_DURATION, T, flush_ns, .def = "1s",                             \
		    .help = "a " what " open this long is sent even when not full"),                         \
	    OFD_KEY("workers", OFD_CFG_UINT, T, workers, .def = "1", .min = 1, .max = 64,                    \
		    .help = "writer threads, each with its own connection (jobs: N sets it too)"),           \
	    OFD_KEY("retries", OFD_CFG_UINT, T, retries, .def = "3", .max = 1000,                            \
		    .help = "attempts of a " what " after the first when the connection was lost or "        \
			    "the server was busy; then its rows are lost (counted)"),                        \
	    OFD_KEY("backoff", OFD_CFG_DURATION, T, backoff_ns, .def = "1s",                                 \
		    .help = "wait before the first retry, doubled per attempt (at most 60 s)")

/* ops->send's answers */
enum {
	OFD_WP_OK = 0,
	OFD_WP_RETRY = 1,     /* transient: connection lost, timeout, server busy (the chunk is tried
				 again; close() and open() come first when the connection was lost) */
	OFD_WP_RECONNECT = 2, /* as RETRY, and the connection is closed and opened again */
	OFD_WP_FAIL = 3,      /* permanent: the server refused these rows (not tried again) */
};

struct ofd_wpool_ops {
	/* Connect worker w; return its connection, or NULL (reason in err): tried again before the
	   next attempt of a chunk, after the backoff. */
	void *(*open)(void *arg, unsigned w, char *err, size_t errlen);
	/* Write rows rows held in data[0..len). OFD_WP_*; on error the reason in err. */
	int (*send)(void *arg, void *conn, const char *data, size_t len, uint32_t rows, char *err,
		    size_t errlen);
	void (*close)(void *arg, void *conn); /* optional */
};

struct ofd_wpool_conf {
	unsigned workers;    /* threads and connections, >= 1 */
	size_t chunk_bytes;  /* room per chunk */
	unsigned retries;    /* attempts after the first */
	uint64_t backoff_ns; /* before the first retry; doubled per attempt, at most 60 s */
	/* indices into the segment's counters (ofd_segment_count) */
	unsigned c_written, c_lost, c_retried, c_waits;
};

/* A chunk being filled by the output: append at data + len, at most cap - len bytes. */
struct ofd_wpool_chunk {
	char *data;
	size_t len, cap;
	uint32_t rows;
	uint64_t opened_ns; /* monotonic ns when the output took it to fill */
};

struct ofd_wpool;

/* Start the workers (they connect at once; a failed connect is logged and tried again later).
   0 or -errno. */
int ofd_wpool_start(struct ofd_wpool **wp, struct ofd_segment *seg, const struct ofd_wpool_ops *ops,
		    void *arg, const struct ofd_wpool_conf *conf) OFD_MUST_CHECK;

/* The chunk to fill: the current one, or an empty one (waits while every chunk is full or in
   flight). Never NULL. */
struct ofd_wpool_chunk *ofd_wpool_chunk(struct ofd_wpool *wp);

/* Hand the current chunk to the workers (nothing when it is empty). */
void ofd_wpool_submit(struct ofd_wpool *wp);

/* Submit the current chunk when it is at least age_ns old (monotonic now_ns); for tick(). */
void ofd_wpool_flush_old(struct ofd_wpool *wp, uint64_t now_ns, uint64_t age_ns);

/* Submit and wait until every chunk has been written or given up (acking inputs). Returns the
   rows lost since the previous drain (0: all written). */
uint64_t ofd_wpool_drain(struct ofd_wpool *wp);

/* Drain, stop the workers, close the connections, free. NULL is fine. */
void ofd_wpool_stop(struct ofd_wpool *wp);

#endif
