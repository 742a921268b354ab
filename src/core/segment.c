/*
 * The functions the core provides to segments (include/ofd/segment.h): names, logging,
 * counters, the input batch, and segment-owned background threads.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "core/pipeline_int.h"
#include "ofd/segment.h"
#include "ofd/time.h"

const char *ofd_segment_name(const struct ofd_segment *seg)
{
	return seg->entry->name;
}

const char *ofd_segment_file(const struct ofd_segment *seg)
{
	return seg->entry->file;
}

unsigned ofd_segment_line(const struct ofd_segment *seg)
{
	return seg->entry->line;
}

void ofd_seg_log(const struct ofd_segment *seg, enum ofd_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ofd_log(lvl, "%s:%u: segment %s: %s", seg->entry->file, seg->entry->line, seg->entry->name, msg);
}

void ofd_segment_count(struct ofd_segment *seg, unsigned i, uint64_t n)
{
	struct pl_entry *e = seg->entry;
	if (i < e->ncounters)
		atomic_fetch_add_explicit(&e->own[i], n, memory_order_relaxed);
}

struct ofd_batch *ofd_input_batch(struct ofd_segment *seg)
{
	return seg->ibatch;
}

void ofd_input_flush(struct ofd_segment *seg)
{
	if (seg->ibatch)
		ofd_batch_flush(seg->ibatch);
}

void ofd_input_batch_init(struct ofd_segment *seg, struct ofd_batch *b)
{
	ofd_batch_init(b, ofd_pipeline_input_full, seg);
	if (seg->p && ofd_pl_dgrams_give(seg->p, b))
		ofd_err("segment %s: no memory for a datagram area: this thread's datagrams are not "
			"forwarded",
			seg->entry->name);
}

/* ---- background threads ---- */

static void *seg_bg_main(void *arg)
{
	struct pl_bg *bg = arg;
	bg->fn(bg->seg, bg->arg);
	return NULL;
}

int ofd_segment_spawn(struct ofd_segment *seg, ofd_segment_thread_fn fn, void *arg)
{
	pthread_mutex_lock(&seg->bgmu);
	int rc = OFD_ELIMIT;
	if (seg->nbg < OFD_SEGMENT_THREADS && !seg->bg_stop) {
		struct pl_bg *bg = &seg->bg[seg->nbg];
		*bg = (struct pl_bg){.fn = fn, .arg = arg, .seg = seg};
		rc = -pthread_create(&bg->thread, NULL, seg_bg_main, bg);
		if (rc == 0)
			seg->nbg++;
	}
	pthread_mutex_unlock(&seg->bgmu);
	return rc;
}

int ofd_segment_thread_stopping(const struct ofd_segment *seg)
{
	return __atomic_load_n(&seg->bg_stop, __ATOMIC_ACQUIRE);
}

int ofd_segment_thread_wait(struct ofd_segment *seg, uint64_t ns)
{
	uint64_t now = ofd_time_now_ns(); /* bgcv is a default (CLOCK_REALTIME) condition */
	struct timespec ts = ofd_time_ts(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
	pthread_mutex_lock(&seg->bgmu);
	int rc = 0;
	while (!seg->bg_stop && rc == 0)
		rc = pthread_cond_timedwait(&seg->bgcv, &seg->bgmu, &ts);
	int stop = seg->bg_stop;
	pthread_mutex_unlock(&seg->bgmu);
	return stop;
}

void ofd_pl_bg_join(struct ofd_segment *s)
{
	pthread_mutex_lock(&s->bgmu);
	__atomic_store_n(&s->bg_stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->bgcv);
	unsigned n = s->nbg;
	pthread_mutex_unlock(&s->bgmu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(s->bg[i].thread, NULL);
	s->nbg = 0;
}

/* A segment's request to stop (limit): the same flag ofd_pipeline_stop() sets; the inputs poll
   it, nothing else changes (the records already under way still flow). */
/* a lock-free atomic: the SIGHUP handler counts up, any thread reads */
static atomic_uint_fast64_t reload_gen;

void ofd_reload_request(void)
{
	atomic_fetch_add_explicit(&reload_gen, 1, memory_order_release);
}

uint64_t ofd_reload_generation(void)
{
	return (uint64_t)atomic_load_explicit(&reload_gen, memory_order_acquire);
}

void ofd_segment_stop_pipeline(struct ofd_segment *seg)
{
	if (seg->p)
		ofd_pipeline_stop(seg->p);
	else
		seg->stop_requested = 1; /* a harness instance (include/ofd/harness.h) */
}
