/*
 * The spill (core/spill.h), the diskbuffer's files: batches written and read back in order with
 * their strings; files an earlier run left (read from where it stopped); broken files and
 * frames counted and skipped (a flipped byte, a cut file, another build's layout, a hostile
 * frame that decompresses fine but points outside its strings); maxcachesize. Real files in a
 * mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "core/spill.h"
#include "tmpdir.h"

static char dir[64];
static struct ofd_batch bat, got;
static const char cfgtext[] = "configuration text";

static int setup(void **st)
{
	(void)st;
	return tmpdir_make(dir, sizeof(dir), "spill");
}

static int teardown(void **st)
{
	(void)st;
	tmpdir_remove(dir);
	return 0;
}

/* Files in dir whose names end with suffix. */
static unsigned count_files(const char *suffix)
{
	return tmpdir_count(dir, suffix);
}

/* The path of the only (or first by name) buffer file. */
static void first_file(char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char best[256] = "";
	while (d && (de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".ofdspill") && !strstr(de->d_name, ".bad") &&
		    (!best[0] || strcmp(de->d_name, best) < 0))
			snprintf(best, sizeof(best), "%s", de->d_name);
	if (d)
		closedir(d);
	snprintf(path, len, "%s/%s", dir, best);
}

static struct ofd_spill_cfg cfg(uint64_t maxcache)
{
	return (struct ofd_spill_cfg){.bufferdir = dir,
				      .high = 70,
				      .low = 30,
				      .reading = 5,
				      .filesize = 50u << 20,
				      .maxcachesize = maxcache ? maxcache : 1u << 30};
}

static struct ofd_spill *open_spill(uint64_t maxcache)
{
	struct ofd_spill *sp = NULL;
	char err[256] = "";
	struct ofd_spill_cfg c = cfg(maxcache);
	int rc = ofd_spill_open(&sp, &c, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return sp;
}

/* Batch k: OFD_BATCH_CAP records, bytes k*CAP+i; every 7th has a note in the arena, every 5th
   an interface name outside it; every 3rd is dead. */
static void make(unsigned k)
{
	ofd_batch_init(&bat, NULL, NULL);
	for (unsigned i = 0; i < OFD_BATCH_CAP; i++) {
		struct ofd_flow *f = ofd_batch_add(&bat);
		f->bytes = (uint64_t)k * OFD_BATCH_CAP + i;
		if (i % 7 == 0) {
			char t[32];
			int n = snprintf(t, sizeof(t), "note %u", (unsigned)f->bytes);
			f->note = ofd_batch_strdup(&bat, t, (size_t)n);
			ofd_flow_set(f, OFD_F_NOTE);
		}
		if (i % 5 == 0) {
			f->in_if_name = cfgtext;
			ofd_flow_set(f, OFD_F_IN_IF_NAME);
		}
		if (i % 3 == 0)
			ofd_batch_kill(&bat, i);
	}
}

/* got holds batch k's live records, in order, with their strings. */
static void check(unsigned k)
{
	uint32_t j = 0;
	assert_int_equal(got.n, OFD_BATCH_CAP - (OFD_BATCH_CAP + 2) / 3);
	assert_int_equal(ofd_batch_live_count(&got), got.n);
	for (unsigned i = 0; i < OFD_BATCH_CAP; i++) {
		if (i % 3 == 0)
			continue;
		const struct ofd_flow *f = &got.flows[j++];
		assert_int_equal(f->bytes, (uint64_t)k * OFD_BATCH_CAP + i);
		if (i % 7 == 0) {
			char t[32];
			snprintf(t, sizeof(t), "note %u", (unsigned)f->bytes);
			assert_non_null(f->note);
			assert_string_equal(f->note, t);
			assert_true(f->note >= got.arena && f->note < got.arena + got.arena_used);
		} else {
			assert_null(f->note);
		}
		if (i % 5 == 0)
			assert_string_equal(f->in_if_name, cfgtext);
		else
			assert_null(f->in_if_name);
	}
}

static int get(struct ofd_spill *sp)
{
	ofd_batch_init(&got, NULL, NULL);
	return ofd_spill_get(sp, &got);
}

static void put_n(struct ofd_spill *sp, unsigned from, unsigned n)
{
	for (unsigned k = from; k < from + n; k++) {
		make(k);
		assert_int_equal(ofd_spill_put(sp, &bat), 0);
	}
}

static void test_roundtrip(void **st)
{
	(void)st;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 3);
	assert_int_equal(ofd_spill_pending(sp), 3);
	assert_int_equal(count_files(".ofdspill"), 1);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	assert_int_equal(get(sp), 0);
	assert_int_equal(ofd_spill_pending(sp), 0);
	put_n(sp, 3, 1); /* written after reading caught up: read from the same file */
	assert_int_equal(get(sp), 1);
	check(3);
	ofd_spill_pushed(sp, 3);
	struct ofd_spill_stats s;
	ofd_spill_through(sp, 4);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.spilled, 4);
	assert_int_equal(s.read, 4);
	assert_int_equal(s.spilled_records, 4 * got.n);
	assert_int_equal(s.read_errors, 0);
	assert_int_equal(s.files, 0); /* caught up: the file written to is closed and deleted */
	assert_int_equal(count_files(".ofdspill"), 0);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0); /* all read and through */
}

/* A new file once the current one reaches filesize; read across files in order. */
static void test_rotation(void **st)
{
	(void)st;
	struct ofd_spill *sp = NULL;
	char err[256];
	struct ofd_spill_cfg c = cfg(0);
	c.filesize = 4096;
	assert_int_equal(ofd_spill_open(&sp, &c, err, sizeof(err)), 0);
	put_n(sp, 0, 4);
	assert_int_equal(count_files(".ofdspill"), 2); /* three frames of about 1.7 kB reach 4096 */
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
		ofd_spill_through(sp, k + 1);
	}
	assert_int_equal(count_files(".ofdspill"), 0); /* read and through, the last one too */
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Everything read, the older file not yet through: it stays, and so does the newest. */
static void test_through_late(void **st)
{
	(void)st;
	struct ofd_spill *sp = NULL;
	char err[256];
	struct ofd_spill_cfg c = cfg(0);
	c.filesize = 4096;
	assert_int_equal(ofd_spill_open(&sp, &c, err, sizeof(err)), 0);
	put_n(sp, 0, 4); /* two files: three frames, one */
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	ofd_spill_through(sp, 2); /* batch 2 (the first file's last) is not through */
	assert_int_equal(count_files(".ofdspill"), 2);
	ofd_spill_through(sp, 3);
	assert_int_equal(count_files(".ofdspill"), 1);
	put_n(sp, 4, 1);
	ofd_spill_through(sp, 4);
	assert_int_equal(count_files(".ofdspill"), 1); /* batch 4 not read yet */
	assert_int_equal(get(sp), 1);
	check(4);
	ofd_spill_pushed(sp, 4);
	ofd_spill_through(sp, 5);
	assert_int_equal(count_files(".ofdspill"), 0);
	ofd_spill_free(sp);
}

/* An earlier run's files are read first, from where it stopped. */
static void test_restart(void **st)
{
	(void)st;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 4);
	assert_int_equal(get(sp), 1);
	ofd_spill_pushed(sp, 0);
	assert_int_equal(get(sp), 1);
	ofd_spill_pushed(sp, 1);
	ofd_spill_through(sp, 2);
	ofd_spill_free(sp); /* two through: the file notes where the rest begins */
	assert_int_equal(count_files(".ofdspill"), 1);

	sp = open_spill(0);
	assert_int_equal(ofd_spill_pending(sp), 2);
	put_n(sp, 4, 1); /* this run's own: after the earlier run's */
	for (unsigned k = 2; k < 5; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	assert_int_equal(get(sp), 0);
	ofd_spill_through(sp, 5);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

static void flip(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* Offset of frame i (0-based) in a file. */
static long frame_at(const char *path, unsigned i)
{
	int fd = open(path, O_RDONLY);
	long off = 40;
	uint32_t h[4];
	for (unsigned k = 0; k < i; k++) {
		assert_int_equal(pread(fd, h, 16, off), 16);
		off += 16 + (long)h[1];
	}
	close(fd);
	return off;
}

static void test_corrupt_frame(void **st)
{
	(void)st;
	char path[512];
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 3);
	ofd_spill_free(sp);
	first_file(path, sizeof(path));
	flip(path, frame_at(path, 1) + 16 + 40); /* inside the second frame's compressed data */

	sp = open_spill(0);
	assert_int_equal(ofd_spill_pending(sp), 3);
	assert_int_equal(get(sp), 1);
	check(0);
	ofd_spill_pushed(sp, 0);
	assert_int_equal(get(sp), 1); /* the second is skipped */
	check(2);
	ofd_spill_pushed(sp, 1);
	assert_int_equal(get(sp), 0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 1);
	assert_int_equal(s.read, 2);
	assert_int_equal(s.pending, 0);
	ofd_spill_through(sp, 2);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

static void test_truncated(void **st)
{
	(void)st;
	char path[512];
	struct stat sb;
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 3);
	ofd_spill_free(sp);
	first_file(path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 10), 0); /* a crash while writing the last */

	sp = open_spill(0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.pending, 2);
	assert_int_equal(s.read_errors, 1);
	assert_int_equal(get(sp), 1);
	check(0);
	ofd_spill_pushed(sp, 0);
	assert_int_equal(get(sp), 1);
	check(1);
	ofd_spill_pushed(sp, 1);
	assert_int_equal(get(sp), 0);
	ofd_spill_through(sp, 2);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Another build's file (a different flow layout) and a file that is not ours: renamed .bad. */
static void test_foreign(void **st)
{
	(void)st;
	char path[512];
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 1);
	ofd_spill_free(sp);
	first_file(path, sizeof(path));
	flip(path, 16); /* the layout field */
	char junk[512];
	snprintf(junk, sizeof(junk), "%s/ffffffffffffff00.ofdspill", dir);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("not a buffer file at all, but long enough to have a header of forty bytes", f);
	fclose(f);

	sp = open_spill(0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.pending, 0);
	assert_int_equal(s.read_errors, 2);
	assert_int_equal(s.files, 0);
	assert_int_equal(get(sp), 0);
	put_n(sp, 7, 1); /* new files are numbered after the highest seen */
	assert_int_equal(get(sp), 1);
	check(7);
	ofd_spill_pushed(sp, 0);
	ofd_spill_through(sp, 1);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
	assert_int_equal(count_files(".bad"), 2);
}

/* A frame that decompresses and checks out but whose string offset points past its strings. */
static void test_hostile_frame(void **st)
{
	(void)st;
	char path[512];
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	ofd_spill_free(sp);
	/* the header as the spill writes it: take it from a real file */
	sp = open_spill(0);
	put_n(sp, 0, 1);
	ofd_spill_free(sp);
	first_file(path, sizeof(path));
	unsigned char hdr[40];
	int fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, hdr, 40, 0), 40);
	assert_int_equal(ftruncate(fd, 40), 0);
	static unsigned char raw[8 + sizeof(struct ofd_flow) + 16], z[4096];
	uint32_t n = 1, alen = 16;
	memcpy(raw, &n, 4);
	memcpy(raw + 4, &alen, 4);
	struct ofd_flow fl;
	memset(&fl, 0, sizeof(fl));
	uint64_t bad = 1000; /* past the 16 bytes of strings */
	memcpy(&fl.note, &bad, sizeof(bad));
	fl.as_path_len = 200; /* would be clamped, were the frame taken */
	memcpy(raw + 8, &fl, sizeof(fl));
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	(void)ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t clen = ZSTD_compress2(cc, z, sizeof(z), raw, sizeof(raw));
	ZSTD_freeCCtx(cc);
	assert_false(ZSTD_isError(clen));
	uint32_t fh[4] = {0x4f464446u, (uint32_t)clen, 1, (uint32_t)sizeof(raw)};
	assert_int_equal(pwrite(fd, fh, 16, 40), 16);
	assert_int_equal(pwrite(fd, z, clen, 56), (ssize_t)clen);
	close(fd);

	sp = open_spill(0);
	assert_int_equal(ofd_spill_pending(sp), 1);
	assert_int_equal(get(sp), 0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 1);
	assert_int_equal(s.pending, 0);
	ofd_spill_through(sp, 0);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

static void test_maxcachesize(void **st)
{
	(void)st;
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(20000);
	unsigned ok = 0, full = 0;
	for (unsigned k = 0; k < 20; k++) {
		make(k);
		int rc = ofd_spill_put(sp, &bat);
		assert_true(rc == 0 || rc == OFD_ELIMIT);
		rc == 0 ? ok++ : full++;
	}
	ofd_spill_stats(sp, &s);
	assert_true(ok > 0 && full > 0);
	assert_int_equal(s.spilled, ok);
	assert_int_equal(s.dropped, full);
	assert_int_equal(s.dropped_records, (uint64_t)full * ofd_batch_live_count(&bat));
	assert_true(s.bytes <= 20000);
	for (unsigned k = 0; k < ok; k++) {
		assert_int_equal(get(sp), 1);
		ofd_spill_pushed(sp, k);
	}
	ofd_spill_through(sp, ok);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Issue 14 review, 1: after a restart, the earlier run's file read to the end but not yet
   through, a new file is read from its first frame (not from byte 0, its header). */
static void test_restart_new_file(void **st)
{
	(void)st;
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 2);
	ofd_spill_free(sp);

	sp = open_spill(0);
	assert_int_equal(ofd_spill_pending(sp), 2);
	for (unsigned k = 0; k < 2; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	assert_int_equal(get(sp), 0);
	ofd_spill_through(sp, 0); /* nothing through: the earlier file stays queued */
	assert_int_equal(count_files(".ofdspill"), 1);
	put_n(sp, 2, 2);
	assert_int_equal(count_files(".ofdspill"), 2);
	assert_int_equal(ofd_spill_pending(sp), 2);
	for (unsigned k = 2; k < 4; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	assert_int_equal(get(sp), 0);
	put_n(sp, 4, 1); /* and later ones appended to it */
	assert_int_equal(get(sp), 1);
	check(4);
	ofd_spill_pushed(sp, 4);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 0);
	assert_int_equal(s.read, 5);
	assert_int_equal(s.pending, 0);
	ofd_spill_through(sp, 5);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Issue 14 review, 2: a broken frame header in the file being written skips the rest of that
   file; the batches put afterwards go to a new file and are read. */
static void test_broken_frame_written(void **st)
{
	(void)st;
	char path[512];
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 2);
	first_file(path, sizeof(path));
	flip(path, frame_at(path, 1)); /* the second frame's magic: the framing is lost */
	assert_int_equal(get(sp), 1);
	check(0);
	ofd_spill_pushed(sp, 0);
	assert_int_equal(get(sp), 0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 1);
	assert_int_equal(s.pending, 0);
	put_n(sp, 2, 2);
	assert_int_equal(count_files(".ofdspill"), 2); /* not appended after the broken frame */
	assert_int_equal(ofd_spill_pending(sp), 2);
	for (unsigned k = 2; k < 4; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k - 1);
	}
	assert_int_equal(get(sp), 0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 1);
	assert_int_equal(s.read, 3);
	assert_int_equal(s.pending, 0);
	ofd_spill_through(sp, 3);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Issue 14 review, 2: a failed write (here: RLIMIT_FSIZE, EFBIG) drops the batch and closes the
   file for writing; the next put begins a new file; every whole frame is read back. */
static void test_write_failure(void **st)
{
	(void)st;
	char path[512];
	struct stat sb;
	struct rlimit old, lim;
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 1);
	first_file(path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size + 20; /* the next frame is torn after 20 bytes */
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	make(1);
	int rc = ofd_spill_put(sp, &bat);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, frame_at(path, 1)); /* the torn frame is cut off */
	put_n(sp, 2, 2);
	assert_int_equal(count_files(".ofdspill"), 2); /* a new file after the failed write */
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(s.spilled, 3);
	assert_int_equal(s.pending, 3);
	const unsigned want[] = {0, 2, 3};
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(get(sp), 1);
		check(want[i]);
		ofd_spill_pushed(sp, i);
	}
	assert_int_equal(get(sp), 0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 0);
	ofd_spill_through(sp, 3);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 0);
}

/* Issue 14 review, 3: a FIFO, a directory and a symlink named like buffer files are counted
   and left alone (the FIFO does not block the open); a file numbered 2^63 or above is not
   queued (renamed .bad) and does not make the numbering wrap. */
static void test_hostile_names(void **st)
{
	(void)st;
	char path[512], p[512];
	struct stat sb;
	struct ofd_spill_stats s;
	struct ofd_spill *sp = open_spill(0);
	put_n(sp, 0, 1);
	ofd_spill_free(sp); /* 0000000000000000.ofdspill, one batch */
	first_file(path, sizeof(path));
	snprintf(p, sizeof(p), "%s/0000000000000005.ofdspill", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/0000000000000006.ofdspill", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/0000000000000003.ofdspill", dir);
	assert_int_equal(symlink(path, p), 0);
	snprintf(p, sizeof(p), "%s/ffffffffffffffff.ofdspill", dir);
	assert_int_equal(link(path, p), 0); /* a well-formed file, but numbered too high */

	sp = open_spill(0);
	ofd_spill_stats(sp, &s);
	assert_int_equal(s.read_errors, 4);
	assert_int_equal(s.pending, 1);
	assert_int_equal(s.files, 1);
	assert_int_equal(count_files(".bad"), 1);
	assert_int_equal(stat(p, &sb), -1); /* renamed */
	snprintf(p, sizeof(p), "%s/0000000000000005.ofdspill", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	snprintf(p, sizeof(p), "%s/0000000000000006.ofdspill", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	snprintf(p, sizeof(p), "%s/0000000000000003.ofdspill", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	put_n(sp, 1, 1);
	snprintf(p, sizeof(p), "%s/0000000000000007.ofdspill", dir); /* after the highest id < 2^63 */
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	for (unsigned k = 0; k < 2; k++) {
		assert_int_equal(get(sp), 1);
		check(k);
		ofd_spill_pushed(sp, k);
	}
	assert_int_equal(get(sp), 0);
	ofd_spill_through(sp, 2);
	ofd_spill_free(sp);
	assert_int_equal(count_files(".ofdspill"), 3); /* the FIFO, the directory, the symlink */
}

/* Issue 14 review, 4: a string pointer into the arena past arena_used (not a string of the
   batch) is copied as text from outside, not taken for a copy made while encoding. */
static void test_string_past_arena(void **st)
{
	(void)st;
	static const char stale[] = "stale text";
	struct ofd_spill *sp = open_spill(0);
	ofd_batch_init(&bat, NULL, NULL);
	struct ofd_flow *f = ofd_batch_add(&bat);
	f->note = ofd_batch_strdup(&bat, "first", 5);
	ofd_flow_set(f, OFD_F_NOTE);
	f->in_if_name = cfgtext; /* copied in while encoding, right after the arena's strings */
	ofd_flow_set(f, OFD_F_IN_IF_NAME);
	f = ofd_batch_add(&bat);
	memcpy(bat.arena + bat.arena_used, stale, sizeof(stale));
	f->note = bat.arena + bat.arena_used;
	ofd_flow_set(f, OFD_F_NOTE);
	assert_int_equal(ofd_spill_put(sp, &bat), 0);
	assert_int_equal(get(sp), 1);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.flows[0].note, "first");
	assert_string_equal(got.flows[0].in_if_name, cfgtext);
	assert_string_equal(got.flows[1].note, stale);
	ofd_spill_pushed(sp, 0);
	ofd_spill_through(sp, 1);
	ofd_spill_free(sp);
}

static void test_config(void **st)
{
	(void)st;
	char err[256] = "";
	struct ofd_spill_cfg c = cfg(0);
	assert_int_equal(ofd_spill_check(&c, err, sizeof(err)), 0);
	c.low = 70;
	assert_int_equal(ofd_spill_check(&c, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "lowmemorymark (70) must be below highmemorymark (70)");
	c = cfg(0);
	c.reading = 40;
	assert_int_equal(ofd_spill_check(&c, err, sizeof(err)), OFD_ECONFIG);
	assert_string_equal(err, "readingmemorymark (40) must not be above lowmemorymark (30)");
	struct ofd_spill *sp = NULL;
	c = cfg(0);
	c.bufferdir = "/nonexistent/ofd-spill";
	assert_int_equal(ofd_spill_open(&sp, &c, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "bufferdir /nonexistent/ofd-spill must be a writable directory"));
	assert_null(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_through_late, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_maxcachesize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_new_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_frame_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_string_past_arena, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
