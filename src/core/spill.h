/*
 * The spill: batches kept in zstd-compressed files under a directory while the pipeline cannot
 * take them (the `diskbuffer` segment, issue 14), read back oldest first.
 *
 * Files. BUFFERDIR/<16 hex digits>.ofdspill, numbered in the order they were begun; a file is a
 * 40-byte header (magic "OFDSPILL", byte order mark, version, OFD_FLOW_LAYOUT, the record's
 * size, the batch capacity, and the offset of the first frame not yet through) and frames: a
 * 16-byte frame header (magic, compressed length, records, raw length) and one zstd frame with
 * a content checksum holding the batch's live records and its strings (a string pointer is
 * stored as its offset + 1 into the frame's string area; strings outside the batch's arena are
 * copied in). A new file is begun once the current one reaches `filesize`. The files of an
 * earlier run are queued first at open (survives a restart); a file of another build (layout)
 * or with a broken header, or numbered 2^63 or above, is renamed NAME.bad, logged and counted;
 * anything there but a regular file (a FIFO, a directory, a symlink) is logged, counted and left
 * alone. A broken frame is counted, logged and skipped; when the framing is lost the rest of the
 * file is skipped (the file being written is then closed, and the next batch begins a new file,
 * as after a failed write). Reading is bounds-checked throughout (counts, lengths, offsets).
 *
 * Bounds. The bytes of every queued file together stay below `maxcachesize`: a batch that
 * would pass it is dropped and counted. Nothing here allocates per batch: the serialization and
 * compression buffers are made once at open.
 *
 * Threads. ofd_spill_put() from any thread (one at a time: it takes the spill's lock);
 * ofd_spill_get()/ofd_spill_pushed()/ofd_spill_through() from one reader thread; counters from
 * any thread.
 */
#ifndef OFD_SPILL_H
#define OFD_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"
#include "ofd/cfg.h"
#include "ofd/err.h"

/* The diskbuffer segment's configuration (flowpipeline's keys), the start of its state. */
struct ofd_spill_cfg {
	char *bufferdir;
	uint64_t high, low, reading;	     /* pool occupancy marks, percent */
	char *filesize_text, *maxcache_text; /* as flowpipeline reads sizes: see ofd_spill_size */
	uint64_t filesize, maxcachesize;     /* bytes (ofd_spill_cfg_sizes) */
	uint64_t batchsize, queuesize;	     /* flowpipeline's; taken and checked, see the README */
	uint64_t status_ns;		     /* queuestatusinterval: log the occupancy; 0: never */
	int debug;			     /* batchdebug: log every spill and read-back */
};

struct ofd_spill;

/* The segment's state: the config, then the spill it opened (init). */
struct ofd_spill_state {
	struct ofd_spill_cfg cfg;
	struct ofd_spill *sp;
};

/* The config map of the diskbuffer segment; the engine knows the segment by it. */
extern const struct ofd_cfg_key ofd_spill_keys[];

/* check(): the sizes and the marks in order (reading <= low < high). */
int ofd_spill_check(const void *state, char *err, size_t errlen);

/* A size as flowpipeline (go-humanize) reads it: a number, an optional space, a unit in any
   case: none or B bytes, k kB M MB G GB T TB P PB powers of 1000, KiB MiB GiB TiB PiB (also
   Ki, Mi, ...) powers of 1024. 0, or -1 (not a size, or beyond 2^64). */
int ofd_spill_size(const char *text, uint64_t *out);

/* The texts of filesize and maxcachesize into their byte counts: 0 or OFD_ECONFIG (err). */
int ofd_spill_cfg_sizes(struct ofd_spill_cfg *c, char *err, size_t errlen);

/* Open the spill over cfg->bufferdir (it must exist and be a writable directory) and queue the
   files an earlier run left. 0, or OFD_ECONFIG / a negative errno with the reason in err. */
int ofd_spill_open(struct ofd_spill **out, const struct ofd_spill_cfg *cfg, char *err, size_t errlen);

/* Close: a partly read file keeps the offset of its first frame not through (so a restart
   starts there); files read to the end and through are deleted. */
void ofd_spill_free(struct ofd_spill *sp);

/* Append b's live records as one frame: 0, OFD_ELIMIT (maxcachesize: dropped, counted) or a
   negative errno (write failed: dropped, counted, logged). */
int ofd_spill_put(struct ofd_spill *sp, const struct ofd_batch *b);

/* Frames queued and not yet read (any thread). */
uint64_t ofd_spill_pending(struct ofd_spill *sp);

/* Reader: the oldest frame into the empty batch b: 1 (read), 0 (nothing queued). Broken frames
   and files are skipped (counted, logged). */
int ofd_spill_get(struct ofd_spill *sp, struct ofd_batch *b);

/* Reader: the frame just read went into the pipeline as batch number seq. */
void ofd_spill_pushed(struct ofd_spill *sp, uint64_t seq);

/* Reader: batches below `done` are through the pipeline: delete the files read to the end whose
   batches all are, and note how far the file being read is through. */
void ofd_spill_through(struct ofd_spill *sp, uint64_t done);

struct ofd_spill_stats {
	uint64_t spilled, spilled_records; /* batches and records written */
	uint64_t read, read_records;	   /* read back */
	uint64_t dropped, dropped_records; /* maxcachesize, or a failed write */
	uint64_t read_errors;		   /* broken frames and files */
	uint64_t bytes, files;		   /* on disk now */
	uint64_t pending;		   /* frames queued */
};
void ofd_spill_stats(struct ofd_spill *sp, struct ofd_spill_stats *st);

#endif
