/* The spill: batches in zstd files under a directory, read back in order (core/spill.h): the
   files, the queue of them, writing and reading frames. Frames: spill_frame.c; keys: spill_cfg.c. */
#include "core/spill.h"
#include "core/spill_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

#include "ofd/err.h"
#include "ofd/log.h"

#define SP_MAGIC   "OFDSPILL"
#define SP_BOM	   0x01020304u
#define SP_VERSION 1u
#define SP_HDR                                                                                               \
	40u /* magic 8, bom 4, version 4, layout 4, record size 4, capacity 4, pad 4,                        \
	       consumed 8 */
#define SP_CONSUMED_AT 32u
#define SP_FMAGIC      0x4f464446u /* "OFDF" */
#define SP_FHDR	       16u	   /* magic, compressed length, records, raw length */
#define SP_EXT	       ".ofdspill"
#define SP_ID_MAX      (UINT64_C(1) << 63) /* ids from here on are refused: the order cannot wrap */
/* Opening a queued file: a FIFO must not block, a symlink is not followed (then S_ISREG). */
#define SP_OPEN_FLAGS (O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)

struct sp_file {
	uint64_t id, size, frames;
	uint64_t last_seq, last_end; /* the last frame read from it went in as batch last_seq */
	int has_seq;
	uint64_t through_end; /* frames before this offset are through the pipeline */
};

struct ofd_spill {
	struct ofd_spill_cfg cfg;
	char *dir;
	pthread_mutex_t mu;
	struct sp_file *f; /* oldest first; f[0..r) read to the end, f[r] being read */
	size_t nf, cap, r;
	uint64_t next_id;
	int wfd; /* the newest file, open for appending; -1 */
	/* the reader's position in f[r] (its thread only, but roff and rread under mu) */
	int rfd;
	uint64_t roff, rread;
	_Atomic uint64_t pending;
	_Atomic uint64_t spilled, spilled_rec, read, read_rec, dropped, dropped_rec, errors, bytes, files;
	unsigned char *raw, *z, *rraw, *rz;
	size_t zcap;
	ZSTD_CCtx *cc;
	ZSTD_DCtx *dc;
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* ---- names and files ---- */

static void sp_path(const struct ofd_spill *sp, uint64_t id, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016" PRIx64 SP_EXT "%s", sp->dir, id, suffix);
}

/* The id of a buffer file's name, or -1. */
static int sp_name_id(const char *name, uint64_t *id)
{
	if (strlen(name) != 16 + strlen(SP_EXT) || strcmp(name + 16, SP_EXT) != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
						    : 16;
		if (d > 15)
			return -1;
		v = v << 4 | d;
	}
	*id = v;
	return 0;
}

static void sp_header(unsigned char h[SP_HDR])
{
	memset(h, 0, SP_HDR);
	memcpy(h, SP_MAGIC, 8);
	put32(h + 8, SP_BOM);
	put32(h + 12, SP_VERSION);
	put32(h + 16, OFD_FLOW_LAYOUT);
	put32(h + 20, (uint32_t)sizeof(struct ofd_flow));
	put32(h + 24, OFD_BATCH_CAP);
}

static int sp_grow(struct ofd_spill *sp)
{
	if (sp->nf < sp->cap)
		return 0;
	size_t cap = sp->cap ? 2 * sp->cap : 16;
	struct sp_file *f = realloc(sp->f, cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	sp->f = f;
	sp->cap = cap;
	return 0;
}

/* A file whose header is not ours: renamed NAME.bad, so it is neither read nor counted again. */
static void sp_reject(struct ofd_spill *sp, uint64_t id, const char *why)
{
	char from[4096], to[4200];
	sp_path(sp, id, "", from, sizeof(from));
	sp_path(sp, id, ".bad", to, sizeof(to));
	ofd_warn("diskbuffer: %s: %s; renamed to %s", from, why, to);
	atomic_fetch_add(&sp->errors, 1);
	if (rename(from, to))
		ofd_warn("diskbuffer: cannot rename %s: %s", from, strerror(errno));
}

/* A frame header at off is plausible and the frame lies inside size. */
static int sp_frame_ok(const unsigned char fh[SP_FHDR], uint64_t off, uint64_t size, size_t zcap)
{
	uint32_t clen = get32(fh + 4), n = get32(fh + 8), raw = get32(fh + 12);
	return get32(fh) == SP_FMAGIC && clen && clen <= zcap && n <= OFD_BATCH_CAP && raw <= SP_RAW_MAX &&
	       off + SP_FHDR + clen <= size;
}

/* Open a queued file for reading: the fd, or -1 with errno set (ENOTSUP: not a regular file). */
static int sp_open_file(const char *path)
{
	int fd = open(path, O_RDONLY | SP_OPEN_FLAGS);
	struct stat st;
	if (fd < 0)
		return -1;
	int bad = fstat(fd, &st) ? errno : S_ISREG(st.st_mode) ? 0 : ENOTSUP;
	if (bad) {
		close(fd);
		errno = bad;
		return -1;
	}
	return fd;
}

/* Queue a file an earlier run left: check its header, count its frames. Anything but a regular
   file (a FIFO, a directory, a symlink) is logged, counted and left alone. */
static void sp_adopt(struct ofd_spill *sp, uint64_t id)
{
	char path[4096];
	unsigned char h[SP_HDR], fh[SP_FHDR];
	sp_path(sp, id, "", path, sizeof(path));
	int fd = sp_open_file(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		ofd_warn("diskbuffer: cannot read %s: %s; skipped", path,
			 errno == ENOTSUP ? "not a regular file" : strerror(errno));
		atomic_fetch_add(&sp->errors, 1);
		if (fd >= 0)
			close(fd);
		return;
	}
	uint64_t size = (uint64_t)st.st_size, consumed;
	const char *bad = NULL;
	if (id >= SP_ID_MAX)
		bad = "number too high (2^63 or above: not a file of ours)";
	else if (pread(fd, h, SP_HDR, 0) != (ssize_t)SP_HDR || memcmp(h, SP_MAGIC, 8) != 0)
		bad = "not a buffer file (header)";
	else if (get32(h + 8) != SP_BOM || get32(h + 12) != SP_VERSION)
		bad = "written by another version or byte order";
	else if (get32(h + 16) != OFD_FLOW_LAYOUT || get32(h + 20) != sizeof(struct ofd_flow) ||
		 get32(h + 24) != OFD_BATCH_CAP)
		bad = "written by a build with another flow record layout";
	if (bad) {
		close(fd);
		sp_reject(sp, id, bad);
		return;
	}
	memcpy(&consumed, h + SP_CONSUMED_AT, 8);
	if (consumed < SP_HDR || consumed > size)
		consumed = SP_HDR;
	uint64_t off = consumed, frames = 0;
	while (off + SP_FHDR <= size && pread(fd, fh, SP_FHDR, (off_t)off) == (ssize_t)SP_FHDR &&
	       sp_frame_ok(fh, off, size, sp->zcap)) {
		off += SP_FHDR + get32(fh + 4);
		frames++;
	}
	close(fd);
	if (off != size) {
		ofd_warn("diskbuffer: %s: broken or truncated after %" PRIu64 " frames (byte %" PRIu64
			 " of %" PRIu64 "): the rest is skipped",
			 path, frames, off, size);
		atomic_fetch_add(&sp->errors, 1);
	}
	if (sp_grow(sp))
		return;
	sp->f[sp->nf++] = (struct sp_file){.id = id, .size = size, .frames = frames, .through_end = consumed};
	if (sp->r == sp->nf - 1) { /* the reader is positioned on it */
		sp->roff = consumed;
		sp->rread = 0;
	}
	atomic_fetch_add(&sp->pending, frames);
	atomic_fetch_add(&sp->bytes, size);
	atomic_fetch_add(&sp->files, 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int sp_scan(struct ofd_spill *sp)
{
	DIR *d = opendir(sp->dir);
	if (!d)
		return -errno;
	uint64_t *ids = NULL, id;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (sp_name_id(de->d_name, &id))
			continue;
		if (n == cap) {
			uint64_t *v = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!v) {
				free(ids);
				closedir(d);
				return -ENOMEM;
			}
			ids = v;
		}
		ids[n++] = id;
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		sp_adopt(sp, ids[i]);
		if (ids[i] < SP_ID_MAX && ids[i] >= sp->next_id)
			sp->next_id = ids[i] + 1;
	}
	free(ids);
	if (sp->nf)
		ofd_info("diskbuffer: %zu file(s) of an earlier run in %s, %" PRIu64 " batches: read first",
			 sp->nf, sp->dir, atomic_load(&sp->pending));
	return 0;
}

int ofd_spill_open(struct ofd_spill **out, const struct ofd_spill_cfg *cfg, char *err, size_t errlen)
{
	struct stat st;
	*out = NULL;
	if (stat(cfg->bufferdir, &st) || !S_ISDIR(st.st_mode) || access(cfg->bufferdir, W_OK | X_OK)) {
		snprintf(err, errlen, "bufferdir %s must be a writable directory (%s)", cfg->bufferdir,
			 errno ? strerror(errno) : "not a directory");
		return OFD_ECONFIG;
	}
	struct ofd_spill *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->cfg = *cfg;
	sp->wfd = sp->rfd = -1;
	pthread_mutex_init(&sp->mu, NULL);
	sp->zcap = ZSTD_compressBound(SP_RAW_MAX);
	sp->dir = strdup(cfg->bufferdir);
	sp->raw = malloc(SP_RAW_MAX);
	sp->rraw = malloc(SP_RAW_MAX);
	sp->z = malloc(sp->zcap);
	sp->rz = malloc(sp->zcap);
	sp->cc = ZSTD_createCCtx();
	sp->dc = ZSTD_createDCtx();
	int rc = -ENOMEM;
	if (!sp->dir || !sp->raw || !sp->rraw || !sp->z || !sp->rz || !sp->cc || !sp->dc)
		goto fail;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(sp->cc, ZSTD_c_compressionLevel, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(sp->cc, ZSTD_c_checksumFlag, 1))) {
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = sp_scan(sp)) != 0) {
		snprintf(err, errlen, "bufferdir %s: %s", cfg->bufferdir, ofd_strerror(rc));
		goto fail;
	}
	*out = sp;
	return 0;

fail:
	ofd_spill_free(sp);
	return rc;
}

static int sp_write_all(int fd, const struct iovec *iov0, int n)
{
	struct iovec iov[2];
	memcpy(iov, iov0, (size_t)n * sizeof(*iov));
	struct iovec *v = iov;
	while (n) {
		ssize_t w = writev(fd, v, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		while (n && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Begin a new file (the newest); 0 or a negative errno. */
static int sp_begin_file(struct ofd_spill *sp)
{
	char path[4096];
	unsigned char h[SP_HDR];
	int rc;
	if ((rc = sp_grow(sp)) != 0)
		return rc;
	if (sp->wfd >= 0)
		close(sp->wfd);
	sp->wfd = -1;
	uint64_t id = sp->next_id++;
	sp_path(sp, id, "", path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	sp_header(h);
	struct iovec v = {h, SP_HDR};
	if ((rc = sp_write_all(fd, &v, 1)) != 0) {
		close(fd);
		unlink(path);
		return rc;
	}
	sp->wfd = fd;
	sp->f[sp->nf++] = (struct sp_file){.id = id, .size = SP_HDR, .through_end = SP_HDR};
	if (sp->r == sp->nf - 1) { /* the reader is past every other file: it reads this one next */
		sp->roff = SP_HDR;
		sp->rread = 0;
	}
	atomic_fetch_add(&sp->bytes, SP_HDR);
	atomic_fetch_add(&sp->files, 1);
	return 0;
}

int ofd_spill_put(struct ofd_spill *sp, const struct ofd_batch *b)
{
	uint32_t n;
	int rc;
	pthread_mutex_lock(&sp->mu);
	size_t raw = ofd_spill_encode(sp->raw, b, &n);
	size_t clen = ZSTD_compress2(sp->cc, sp->z, sp->zcap, sp->raw, raw);
	if (ZSTD_isError(clen)) {
		rc = -EIO;
		ofd_warn("diskbuffer: compression failed: %s", ZSTD_getErrorName(clen));
		goto drop;
	}
	int fresh = sp->wfd < 0 || sp->f[sp->nf - 1].size >= sp->cfg.filesize;
	uint64_t need = SP_FHDR + clen + (fresh ? SP_HDR : 0);
	if (atomic_load(&sp->bytes) + need > sp->cfg.maxcachesize) {
		rc = OFD_ELIMIT;
		goto drop;
	}
	if (fresh && (rc = sp_begin_file(sp)) != 0) {
		ofd_warn("diskbuffer: cannot begin a buffer file in %s: %s", sp->dir, ofd_strerror(rc));
		goto drop;
	}
	struct sp_file *f = &sp->f[sp->nf - 1];
	unsigned char fh[SP_FHDR];
	put32(fh, SP_FMAGIC);
	put32(fh + 4, (uint32_t)clen);
	put32(fh + 8, n);
	put32(fh + 12, (uint32_t)raw);
	struct iovec v[2] = {{fh, SP_FHDR}, {sp->z, clen}};
	if ((rc = sp_write_all(sp->wfd, v, 2)) != 0) {
		ofd_warn("diskbuffer: cannot write to buffer file %016" PRIx64 ": %s", f->id,
			 ofd_strerror(rc));
		if (ftruncate(sp->wfd, (off_t)f->size)) /* a torn frame would end the file for reading */
			ofd_warn("diskbuffer: cannot truncate buffer file %016" PRIx64, f->id);
		/* no more frames after a torn one (were the truncate to fail): the next put begins
		   a new file; this one is read up to its last whole frame */
		close(sp->wfd);
		sp->wfd = -1;
		goto drop;
	}
	f->size += SP_FHDR + clen;
	f->frames++;
	atomic_fetch_add(&sp->bytes, SP_FHDR + clen);
	atomic_fetch_add(&sp->pending, 1);
	atomic_fetch_add(&sp->spilled, 1);
	atomic_fetch_add(&sp->spilled_rec, n);
	if (sp->cfg.debug)
		ofd_debug("diskbuffer: %u records to file %016" PRIx64 " (%zu bytes)", n, f->id, clen);
	pthread_mutex_unlock(&sp->mu);
	return 0;

drop:
	atomic_fetch_add(&sp->dropped, 1);
	atomic_fetch_add(&sp->dropped_rec, ofd_batch_live_count(b));
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

uint64_t ofd_spill_pending(struct ofd_spill *sp)
{
	return atomic_load(&sp->pending);
}

/* Reader: f[r] is read to the end; go on with the next file. Under mu. */
static void sp_next_file(struct ofd_spill *sp)
{
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
	sp->r++;
	sp->rread = 0;
	sp->roff = sp->r < sp->nf ? sp->f[sp->r].through_end : 0;
}

/* Reader: skip the rest of f[r] (broken), counting its frames as gone, and go on with the next
   file. When f[r] is the file being written, it is closed for writing: frames appended after
   the broken spot could not be found, so the next put begins a new file. Under mu. */
static void sp_skip_rest(struct ofd_spill *sp)
{
	struct sp_file *f = &sp->f[sp->r];
	atomic_fetch_sub(&sp->pending, f->frames - sp->rread);
	sp->rread = f->frames;
	if (sp->r + 1 == sp->nf && sp->wfd >= 0) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	sp_next_file(sp);
}

int ofd_spill_get(struct ofd_spill *sp, struct ofd_batch *b)
{
	char path[4096];
	unsigned char fh[SP_FHDR];
	pthread_mutex_lock(&sp->mu);
	for (;;) {
		if (sp->r >= sp->nf)
			break;
		struct sp_file *f = &sp->f[sp->r];
		if (sp->rread >= f->frames) {
			if (sp->r + 1 == sp->nf && sp->wfd >= 0) /* the file being written: nothing yet */
				break;
			sp_next_file(sp);
			continue;
		}
		uint64_t id = f->id, off = sp->roff, size = f->size;
		pthread_mutex_unlock(&sp->mu);
		const char *why = NULL;
		int rest = 0; /* the framing is lost: skip the rest of the file */
		size_t clen = 0;
		if (sp->rfd < 0) {
			sp_path(sp, id, "", path, sizeof(path));
			if ((sp->rfd = sp_open_file(path)) < 0) {
				why = errno == ENOTSUP ? "not a regular file" : strerror(errno);
				rest = 1;
			}
		}
		if (!why && (pread(sp->rfd, fh, SP_FHDR, (off_t)off) != (ssize_t)SP_FHDR ||
			     !sp_frame_ok(fh, off, size, sp->zcap))) {
			why = "bad frame header";
			rest = 1;
		}
		if (!why) {
			clen = get32(fh + 4);
			size_t raw = get32(fh + 12);
			size_t got;
			if (pread(sp->rfd, sp->rz, clen, (off_t)(off + SP_FHDR)) != (ssize_t)clen)
				why = "short read";
			else if (ZSTD_isError(
				     got = ZSTD_decompressDCtx(sp->dc, sp->rraw, SP_RAW_MAX, sp->rz, clen)) ||
				 got != raw)
				why = "frame does not decompress (corrupt)";
			else if (ofd_spill_decode(sp->rraw, raw, get32(fh + 8), b)) {
				ofd_batch_reset(b);
				why = "frame does not hold together (corrupt)";
			}
		}
		pthread_mutex_lock(&sp->mu);
		f = &sp->f[sp->r];
		if (!why) {
			sp->roff = off + SP_FHDR + clen;
			sp->rread++;
			atomic_fetch_add(&sp->read, 1);
			atomic_fetch_add(&sp->read_rec, b->n);
			if (sp->cfg.debug)
				ofd_debug("diskbuffer: %u records from file %016" PRIx64, b->n, id);
			pthread_mutex_unlock(&sp->mu);
			return 1; /* pending goes down in ofd_spill_pushed */
		}
		ofd_warn("diskbuffer: buffer file %016" PRIx64 " at byte %" PRIu64 ": %s: %s", id, off, why,
			 rest ? "the rest of the file is skipped" : "the batch is skipped");
		atomic_fetch_add(&sp->errors, 1);
		if (rest) {
			sp_skip_rest(sp);
		} else {
			sp->roff = off + SP_FHDR + clen;
			sp->rread++;
			atomic_fetch_sub(&sp->pending, 1);
		}
	}
	pthread_mutex_unlock(&sp->mu);
	return 0;
}

void ofd_spill_pushed(struct ofd_spill *sp, uint64_t seq)
{
	pthread_mutex_lock(&sp->mu);
	struct sp_file *f = &sp->f[sp->r];
	f->last_seq = seq;
	f->last_end = sp->roff;
	f->has_seq = 1;
	atomic_fetch_sub(&sp->pending, 1);
	pthread_mutex_unlock(&sp->mu);
}

static void sp_delete(struct ofd_spill *sp, const struct sp_file *f)
{
	char path[4096];
	sp_path(sp, f->id, "", path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		ofd_warn("diskbuffer: cannot delete %s: %s", path, strerror(errno));
	atomic_fetch_sub(&sp->bytes, f->size);
	atomic_fetch_sub(&sp->files, 1);
}

void ofd_spill_through(struct ofd_spill *sp, uint64_t done)
{
	pthread_mutex_lock(&sp->mu);
	for (size_t i = 0; i <= sp->r && i < sp->nf; i++) {
		struct sp_file *f = &sp->f[i];
		if (f->has_seq && f->last_seq < done)
			f->through_end = f->last_end;
	}
	size_t k = 0; /* files read to the end whose batches are all through */
	while (k < sp->r && (!sp->f[k].has_seq || sp->f[k].last_seq < done))
		sp_delete(sp, &sp->f[k++]);
	if (k) {
		memmove(sp->f, sp->f + k, (sp->nf - k) * sizeof(*sp->f));
		sp->nf -= k;
		sp->r -= k;
	}
	/* caught up: the file being written is read and through; begin afresh on the next put,
	   so that frames already through do not count against maxcachesize */
	struct sp_file *w = sp->nf ? &sp->f[sp->nf - 1] : NULL;
	if (w && sp->nf == 1 && sp->r == 0 && sp->wfd >= 0 && w->frames && sp->rread == w->frames &&
	    w->through_end == w->size) {
		close(sp->wfd);
		sp->wfd = -1;
		if (sp->rfd >= 0)
			close(sp->rfd);
		sp->rfd = -1;
		sp_delete(sp, w);
		sp->nf = sp->r = 0;
		sp->rread = sp->roff = 0;
	}
	pthread_mutex_unlock(&sp->mu);
}

void ofd_spill_stats(struct ofd_spill *sp, struct ofd_spill_stats *st)
{
	st->spilled = atomic_load(&sp->spilled);
	st->spilled_records = atomic_load(&sp->spilled_rec);
	st->read = atomic_load(&sp->read);
	st->read_records = atomic_load(&sp->read_rec);
	st->dropped = atomic_load(&sp->dropped);
	st->dropped_records = atomic_load(&sp->dropped_rec);
	st->read_errors = atomic_load(&sp->errors);
	st->bytes = atomic_load(&sp->bytes);
	st->files = atomic_load(&sp->files);
	st->pending = atomic_load(&sp->pending);
}

void ofd_spill_free(struct ofd_spill *sp)
{
	if (!sp)
		return;
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->wfd = sp->rfd = -1;
	/* files read to the end and through are gone (ofd_spill_through); what is left keeps the
	   offset of its first frame not through, for the next start */
	for (size_t i = 0; i < sp->nf; i++) {
		struct sp_file *f = &sp->f[i];
		if (f->frames == 0 && f->size == SP_HDR) { /* nothing in it */
			sp_delete(sp, f);
			continue;
		}
		uint64_t end = f->through_end;
		if (end <= SP_HDR)
			continue;
		if (end >= f->size) {
			sp_delete(sp, f);
			continue;
		}
		char path[4096];
		sp_path(sp, f->id, "", path, sizeof(path));
		int fd = open(path, O_WRONLY | SP_OPEN_FLAGS);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
			errno = ENOTSUP;
		}
		if (fd < 0 || pwrite(fd, &end, sizeof(end), SP_CONSUMED_AT) != (ssize_t)sizeof(end))
			ofd_warn("diskbuffer: cannot note the read position in %s: %s", path,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	ZSTD_freeCCtx(sp->cc);
	ZSTD_freeDCtx(sp->dc);
	free(sp->raw);
	free(sp->rraw);
	free(sp->z);
	free(sp->rz);
	free(sp->f);
	free(sp->dir);
	pthread_mutex_destroy(&sp->mu);
	free(sp);
}
