/*
 * The output side shared by the text outputs (json, csv, print, count): a file or standard
 * output, buffered, optionally zstd-compressed with libzstd's streaming API.
 *
 * Use: ofd_outfile_open(); for every record ofd_outfile_room() and then format straight into
 * `w` (a record of up to OFD_OUTFILE_RECORD_MAX bytes); ofd_outfile_flush() on tick;
 * ofd_outfile_close() at the end (a zstd stream is ended there, so the file is a complete .zst
 * frame). Failed writes lose their data and are counted in `errors`; a closed pipe (EPIPE)
 * ends the writing instead (ofd_outfile_report stops the pipeline).
 */
#ifndef OFD_SEG_OUTFILE_H
#define OFD_SEG_OUTFILE_H

#include <stdint.h>
#include <zstd.h>

#include "format/wbuf.h"
#include "ofd/err.h"

/* The most one formatted record may take (ofd_fmt_json_enriched with four long strings). */
#define OFD_OUTFILE_RECORD_MAX 12288

struct ofd_outfile {
	struct ofd_wbuf w; /* format records here */
	int fd;		   /* -1: not open */
	int own_fd;	   /* opened by us: closed at the end */
	ZSTD_CCtx *zc;	   /* NULL: no compression */
	char *zbuf;
	size_t zcap;
	uint64_t errors;   /* failed writes but EPIPE */
	uint64_t reported; /* errors already passed to ofd_segment_count */
	int reader_gone;   /* a write failed with EPIPE (1; 2 once reported): nothing more is written */
};

/*
 * Open path for writing, as the outputs do: a new file is created with O_EXCL (mode 0644, less
 * the umask); an existing one is opened without O_CREAT and, unless append, truncated (a FIFO or
 * a device is written as it is). A symbolic link at path is refused unless follow_symlinks
 * (then a dangling link creates its target, as before). The fd, or -errno (-ELOOP: a symbolic
 * link), logged with the path and how to allow a link.
 */
int ofd_outfile_open_path(const char *path, int append, int follow_symlinks) OFD_MUST_CHECK;

/*
 * Open `filename` (ofd_outfile_open_path, truncated), or standard output when it is NULL or "".
 * zstd_level > 0 compresses at that level. Errors are logged with the path.
 */
int ofd_outfile_open(struct ofd_outfile *o, const char *filename, int zstd_level,
		     int follow_symlinks) OFD_MUST_CHECK;

/* Make room for one record in o->w, writing out (or compressing) what is buffered if needed. */
void ofd_outfile_room(struct ofd_outfile *o);

/* Write out everything buffered (zstd: compress and flush the current block). */
void ofd_outfile_flush(struct ofd_outfile *o);

/* Flush, end the zstd frame, close what we opened, release. Safe on a zeroed or closed o. */
void ofd_outfile_close(struct ofd_outfile *o);

/* Errors not yet reported; marks them reported. */
uint64_t ofd_outfile_new_errors(struct ofd_outfile *o);

/*
 * After writing (every process() ends with it): write out what is buffered when the pipeline's
 * input acknowledges its source (ofd_segment_acking); count the new errors in seg's counter 0
 * (write_errors), and once the reader
 * of a pipe closed its end (EPIPE, with SIGPIPE ignored, as `| head -1` does) log one line and
 * stop the pipeline, as SIGTERM would: a reader that went away is the end of the run, not an
 * error (nothing more is written or counted).
 */
struct ofd_segment;
void ofd_outfile_report(struct ofd_outfile *o, struct ofd_segment *seg);

#endif
