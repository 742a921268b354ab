#include "segments/common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ofd/log.h"
#include "ofd/segment.h"
#include "util/fileio.h"

/* Buffered bytes before a write; at least 2 records of room stay free after the drain. */
#define OUT_BUF (256 * 1024)

static void write_all(struct ofd_outfile *o, const char *p, size_t n)
{
	if (o->reader_gone) /* nothing more is written once the reader closed its end */
		return;
	int err = ofd_write_all(o->fd, p, n);
	if (err == -EPIPE)
		o->reader_gone = 1;
	else if (err)
		o->errors++;
}

/* Feed the buffered text to the compressor (mode: continue, flush or end) and write its output. */
static void zstd_drain(struct ofd_outfile *o, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {o->w.buf, o->w.len, 0};
	for (;;) {
		ZSTD_outBuffer out = {o->zbuf, o->zcap, 0};
		size_t left = ZSTD_compressStream2(o->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			o->errors++;
			ofd_warn("zstd: %s", ZSTD_getErrorName(left));
			break;
		}
		if (out.pos)
			write_all(o, o->zbuf, out.pos);
		int done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
		if (done)
			break;
	}
	o->w.len = 0;
}

static void drain(struct ofd_outfile *o, ZSTD_EndDirective mode)
{
	if (o->zc) {
		zstd_drain(o, mode);
		return;
	}
	if (o->w.len)
		write_all(o, o->w.buf, o->w.len);
	o->w.len = 0;
}

/* Open an existing path (no O_CREAT unless following links): the fd, or -errno. */
static int open_existing(const char *path, int flags, int append, int follow_symlinks)
{
	int fd = open(path, flags | (follow_symlinks ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (!append && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ofd_outfile_open_path(const char *path, int append, int follow_symlinks)
{
	int flags =
	    O_WRONLY | O_NOCTTY | O_CLOEXEC | (append ? O_APPEND : 0) | (follow_symlinks ? 0 : O_NOFOLLOW);
	int fd = -EEXIST;
	/* new: O_EXCL; existing: opened as it is. A file removed in between is created again. */
	for (int tries = 0; tries < 3 && (fd == -EEXIST || fd == -ENOENT); tries++) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0644);
		if (fd >= 0)
			return fd;
		fd = -errno;
		if (fd == -EEXIST)
			fd = open_existing(path, flags, append, follow_symlinks);
	}
	if (fd >= 0)
		return fd;
	if (fd == -ELOOP)
		ofd_err("%s: cannot open for writing: it is a symbolic link (refused; set "
			"follow_symlinks: true to write through it)",
			path);
	else
		ofd_err("%s: cannot open for writing: %s", path, strerror(-fd));
	return fd;
}

int ofd_outfile_open(struct ofd_outfile *o, const char *filename, int zstd_level, int follow_symlinks)
{
	int err;
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (filename && filename[0]) {
		o->fd = ofd_outfile_open_path(filename, 0, follow_symlinks);
		if (o->fd < 0)
			return o->fd;
		o->own_fd = 1;
	} else {
		o->fd = STDOUT_FILENO;
	}
	/* room() drains the buffer before it runs low, so the formatters' own reserve never writes
	   by itself; if a record were larger still, a plain file gets the bytes in order, and a zstd
	   stream (whose fd here is a dead end) counts a write error */
	err = ofd_wbuf_init(&o->w, zstd_level > 0 ? -1 : o->fd, OUT_BUF + 2 * OFD_OUTFILE_RECORD_MAX);
	if (err)
		goto close_fd;
	if (zstd_level > 0) {
		err = -ENOMEM;
		o->zc = ZSTD_createCCtx();
		o->zcap = ZSTD_CStreamOutSize();
		o->zbuf = malloc(o->zcap);
		if (!o->zc || !o->zbuf)
			goto free_zstd;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, zstd_level))) {
			ofd_err("zstd: compression level %d refused", zstd_level);
			err = OFD_ECONFIG;
			goto free_zstd;
		}
	}
	return 0;
free_zstd:
	ZSTD_freeCCtx(o->zc);
	free(o->zbuf);
	o->zc = NULL;
	o->zbuf = NULL;
	o->w.len = 0;
	ofd_wbuf_fini(&o->w);
close_fd:
	if (o->own_fd)
		close(o->fd);
	o->fd = -1;
	o->own_fd = 0;
	return err;
}

void ofd_outfile_room(struct ofd_outfile *o)
{
	if (o->w.cap - o->w.len < 2 * OFD_OUTFILE_RECORD_MAX)
		drain(o, ZSTD_e_continue);
}

void ofd_outfile_flush(struct ofd_outfile *o)
{
	if (o->fd < 0)
		return;
	drain(o, ZSTD_e_flush);
}

void ofd_outfile_close(struct ofd_outfile *o)
{
	if (o->fd >= 0 && o->w.buf)
		drain(o, ZSTD_e_end);
	o->w.len = 0;
	ofd_wbuf_fini(&o->w);
	ZSTD_freeCCtx(o->zc);
	free(o->zbuf);
	o->zc = NULL;
	o->zbuf = NULL;
	if (o->own_fd && o->fd >= 0 && close(o->fd) < 0)
		o->errors++;
	o->fd = -1;
	o->own_fd = 0;
}

void ofd_outfile_report(struct ofd_outfile *o, struct ofd_segment *seg)
{
	if (o->w.len && ofd_segment_acking(seg)) /* an input acknowledges what we return from */
		ofd_outfile_flush(o);
	uint64_t e = ofd_outfile_new_errors(o);
	if (e)
		ofd_segment_count(seg, 0, e);
	if (o->reader_gone == 1) {
		o->reader_gone = 2;
		ofd_seg_log(seg, OFD_LOG_INFO, "output closed by its reader (broken pipe); stopping");
		ofd_segment_stop_pipeline(seg);
	}
}

uint64_t ofd_outfile_new_errors(struct ofd_outfile *o)
{
	uint64_t n = o->errors + o->w.errors - o->reported;
	o->reported = o->errors + o->w.errors;
	return n;
}
