/*
 * A prefix file that reloads itself (prefixfile.h): the loader thread (ofd_segment_spawn)
 * watches ofd_reload_generation() every 100 ms and stats the file every check_ns; a changed
 * file is read once its version (device, inode, size, mtime, ctime) was the same at two checks
 * in a row, so that a file being written in place is not read half-way (SIGHUP reads at once).
 * It builds the new table aside and publishes it in `pending`; the instance's own thread takes
 * it at the start of a batch (or a tick), so a batch is looked up in one table, old or new,
 * never both, and puts the table it replaced on `retired`, which the loader frees: no
 * process() can hold it any more, since only that thread reads `cur`. Strings a batch got from
 * a table are copies in that batch's arena, so freeing a table never leaves a record pointing
 * into it. A reload that fails is logged (FILE:LINE: reason) and counted; the table in use
 * stays, and the same version of the file is not read again.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ofd/time.h"
#include "segments/common/prefixfile.h"

#define STEP_NS 100000000ull /* how often the loader looks at the reload generation */

static void free_retired(struct pfx_src *s)
{
	struct pfx_table *t = atomic_exchange_explicit(&s->retired, NULL, memory_order_acquire);
	while (t) {
		struct pfx_table *n = t->next;
		pfx_table_free(t);
		t = n;
	}
}

void pfx_src_adopt(struct pfx_src *s)
{
	struct pfx_table *t = atomic_exchange_explicit(&s->pending, NULL, memory_order_acq_rel);
	if (!t)
		return;
	struct pfx_table *old = s->cur;
	s->cur = t;
	if (!old)
		return;
	old->next = atomic_load_explicit(&s->retired, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&s->retired, &old->next, old, memory_order_release,
						      memory_order_relaxed))
		;
}

static int sig_eq(const struct pfx_sig *a, const struct pfx_sig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns;
}

static void reload(struct pfx_src *s, const char *why)
{
	char err[512] = "";
	struct pfx_table *t = NULL;
	struct pfx_sig sig = s->seen;
	int rc = pfx_load(s->path, s->mode, &t, &sig, err, sizeof(err));
	s->loaded = s->seen = sig; /* this version is not read again, loaded or not */
	if (rc) {
		ofd_segment_count(s->seg, s->c_failures, 1);
		ofd_seg_log(s->seg, OFD_LOG_ERR, "reload (%s) failed, keeping the prefixes loaded before: %s",
			    why, err);
		return;
	}
	size_t n = t->nprefixes;
	struct pfx_table *old = atomic_exchange_explicit(&s->pending, t, memory_order_acq_rel);
	pfx_table_free(old); /* published but never taken: no reader */
	ofd_segment_count(s->seg, s->c_reloads, 1);
	ofd_seg_log(s->seg, OFD_LOG_INFO, "reloaded %s (%s): %zu prefixes", s->path, why, n);
}

static void check_file(struct pfx_src *s)
{
	struct stat st;
	struct pfx_sig sig;
	if (stat(s->path, &st) != 0) {
		memset(&sig, 0, sizeof(sig)); /* gone: a version of its own, nothing to read */
		if (!sig_eq(&sig, &s->seen))
			ofd_seg_log(s->seg, OFD_LOG_WARN, "%s: %s; keeping the prefixes loaded before",
				    s->path, strerror(errno));
		s->seen = sig;
		return;
	}
	pfx_sig_of(&sig, &st);
	if (sig_eq(&sig, &s->loaded)) {
		s->seen = sig;
		return;
	}
	if (!sig_eq(&sig, &s->seen)) { /* changed since the last look: read it once it holds still */
		s->seen = sig;
		return;
	}
	reload(s, "file changed");
}

static void loader(struct ofd_segment *seg, void *arg)
{
	struct pfx_src *s = arg;
	uint64_t step = s->check_ns && s->check_ns < STEP_NS ? s->check_ns : STEP_NS;
	while (!ofd_segment_thread_wait(seg, step)) {
		free_retired(s);
		uint64_t g = ofd_reload_generation();
		if (g != s->gen) {
			s->gen = g;
			reload(s, "SIGHUP");
			continue;
		}
		uint64_t now = ofd_time_mono_ns();
		if (s->check_ns && now - s->last_check_ns >= s->check_ns) {
			s->last_check_ns = now;
			check_file(s);
		}
	}
	free_retired(s);
}

int pfx_src_open(struct pfx_src *s, struct ofd_segment *seg, const char *path, enum pfx_mode mode,
		 uint64_t check_ns, unsigned c_reloads, unsigned c_failures)
{
	char err[512] = "";
	s->seg = seg;
	s->path = path;
	s->mode = mode;
	/* a file looked at more often than every 10 ms would keep a core busy with stat() */
	s->check_ns = check_ns && check_ns < 10000000ull ? 10000000ull : check_ns;
	s->c_reloads = c_reloads;
	s->c_failures = c_failures;
	atomic_init(&s->pending, NULL);
	atomic_init(&s->retired, NULL);
	s->gen = ofd_reload_generation();
	int rc = pfx_load(path, mode, &s->cur, &s->loaded, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return rc;
	}
	s->seen = s->loaded;
	s->last_check_ns = ofd_time_mono_ns();
	ofd_seg_log(seg, OFD_LOG_DEBUG, "%s: %zu prefixes", path, s->cur->nprefixes);
	rc = ofd_segment_spawn(seg, loader, s);
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot start the reloading thread: %s", ofd_strerror(rc));
		return rc;
	}
	s->started = 1;
	return 0;
}

void pfx_src_close(struct pfx_src *s)
{
	pfx_table_free(s->cur);
	s->cur = NULL;
	pfx_table_free(atomic_exchange(&s->pending, NULL));
	free_retired(s);
}
