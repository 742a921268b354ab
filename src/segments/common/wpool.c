/*
 * The writer pool (wpool.h). One mutex guards the chunk lists; the producer fills `cur` outside
 * it, the workers send outside it. Chunks cycle: free -> cur (producer) -> ready (FIFO) ->
 * in flight (a worker) -> free.
 */
#include "segments/common/wpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/log.h"
#include "ofd/segment.h"
#include "ofd/time.h"

#define BACKOFF_MAX (60ull * 1000000000ull)

struct ofd_wpool {
	struct ofd_segment *seg;
	const struct ofd_wpool_ops *ops;
	void *arg;
	struct ofd_wpool_conf conf;
	pthread_mutex_t mu;
	pthread_cond_t work; /* workers: a chunk is ready, or stopping */
	pthread_cond_t idle; /* producer: a chunk came back */
	pthread_cond_t halt; /* workers pausing between attempts: stopping */
	struct ofd_wpool_chunk *chunks;
	unsigned nchunks;
	unsigned *freel, nfree;		/* stack of free chunk indices */
	unsigned *ready, rhead, rcount; /* FIFO of submitted ones */
	unsigned inflight;
	struct ofd_wpool_chunk *cur; /* the producer's, or NULL */
	int stopping;
	uint64_t lost, lost_seen; /* rows given up; up to the last drain */
	pthread_t *thr;
	unsigned nthr;
	struct ofd_ratelimit rl; /* under mu */
};

struct wp_worker {
	struct ofd_wpool *wp;
	unsigned w;
};

static void wp_log(struct ofd_wpool *wp, const char *what, const char *err)
{
	pthread_mutex_lock(&wp->mu);
	ofd_log_rl(&wp->rl, OFD_LOG_ERR, "%s:%u: segment %s: %s: %s", ofd_segment_file(wp->seg),
		   ofd_segment_line(wp->seg), ofd_segment_name(wp->seg), what, err[0] ? err : "failed");
	pthread_mutex_unlock(&wp->mu);
}

/* Wait ns between attempts; once the pipeline or the pool is stopping, at most STOP_PAUSE (a
   dead server must not hold a SIGTERM up for the whole backoff, yet a server restarting with
   us still gets a moment). Wakes every 100 ms to notice a stop. */
#define STOP_PAUSE (1000000000ull)
static void wp_pause(struct ofd_wpool *wp, uint64_t ns)
{
	uint64_t start = ofd_time_mono_ns(), until = start + ns;
	pthread_mutex_lock(&wp->mu);
	for (;;) {
		if ((wp->stopping || ofd_segment_stopping(wp->seg)) && until > start + STOP_PAUSE)
			until = start + STOP_PAUSE;
		uint64_t now = ofd_time_mono_ns();
		if (now >= until)
			break;
		struct timespec ts = ofd_time_ts(until - now > 100000000u ? now + 100000000u : until);
		pthread_cond_timedwait(&wp->halt, &wp->mu, &ts);
	}
	pthread_mutex_unlock(&wp->mu);
}

/* Send chunk c on *conn with retries; its rows are written or lost when this returns. */
static void wp_send(struct ofd_wpool *wp, unsigned w, void **conn, struct ofd_wpool_chunk *c)
{
	char err[1024]; /* a server's message with its detail and context (the row) */
	uint64_t backoff = wp->conf.backoff_ns;
	int rc = OFD_WP_FAIL;
	for (unsigned attempt = 0;; attempt++) {
		err[0] = '\0';
		if (!*conn)
			*conn = wp->ops->open(wp->arg, w, err, sizeof(err));
		if (!*conn)
			rc = OFD_WP_RETRY;
		else
			rc = wp->ops->send(wp->arg, *conn, c->data, c->len, c->rows, err, sizeof(err));
		if (rc == OFD_WP_OK) {
			ofd_segment_count(wp->seg, wp->conf.c_written, c->rows);
			return;
		}
		const char *what = *conn ? "writing (will retry)" : "connecting (will retry)";
		if (rc == OFD_WP_RECONNECT && *conn) {
			if (wp->ops->close)
				wp->ops->close(wp->arg, *conn);
			*conn = NULL;
		}
		if (rc == OFD_WP_FAIL || attempt >= wp->conf.retries)
			break;
		wp_log(wp, what, err);
		ofd_segment_count(wp->seg, wp->conf.c_retried, 1);
		wp_pause(wp, backoff);
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	char what[96];
	snprintf(what, sizeof(what), "%u rows lost (%s)", c->rows,
		 rc == OFD_WP_FAIL ? "refused" : "retries exhausted");
	wp_log(wp, what, err);
	ofd_segment_count(wp->seg, wp->conf.c_lost, c->rows);
	pthread_mutex_lock(&wp->mu);
	wp->lost += c->rows;
	pthread_mutex_unlock(&wp->mu);
	if (ofd_segment_acking(wp->seg)) /* the source gives them again; else counted and gone */
		ofd_segment_not_through(wp->seg);
}

static void *wp_main(void *p)
{
	struct wp_worker *wk = p;
	struct ofd_wpool *wp = wk->wp;
	char err[1024] = "";
	void *conn = wp->ops->open(wp->arg, wk->w, err, sizeof(err));
	if (!conn)
		wp_log(wp, "connecting (will retry with the first rows)", err);
	pthread_mutex_lock(&wp->mu);
	for (;;) {
		while (!wp->rcount && !wp->stopping)
			pthread_cond_wait(&wp->work, &wp->mu);
		if (!wp->rcount)
			break; /* stopping, nothing left */
		unsigned i = wp->ready[wp->rhead];
		wp->rhead = (wp->rhead + 1) % wp->nchunks;
		wp->rcount--;
		wp->inflight++;
		pthread_mutex_unlock(&wp->mu);
		struct ofd_wpool_chunk *c = &wp->chunks[i];
		wp_send(wp, wk->w, &conn, c);
		c->len = 0;
		c->rows = 0;
		c->opened_ns = 0;
		pthread_mutex_lock(&wp->mu);
		wp->inflight--;
		wp->freel[wp->nfree++] = i;
		pthread_cond_broadcast(&wp->idle);
	}
	pthread_mutex_unlock(&wp->mu);
	if (conn && wp->ops->close)
		wp->ops->close(wp->arg, conn);
	free(wk);
	return NULL;
}

static void wp_free(struct ofd_wpool *wp)
{
	if (wp->chunks)
		for (unsigned i = 0; i < wp->nchunks; i++)
			free(wp->chunks[i].data);
	free(wp->chunks);
	free(wp->freel);
	free(wp->ready);
	free(wp->thr);
	pthread_cond_destroy(&wp->work);
	pthread_cond_destroy(&wp->idle);
	pthread_cond_destroy(&wp->halt);
	pthread_mutex_destroy(&wp->mu);
	free(wp);
}

int ofd_wpool_start(struct ofd_wpool **out, struct ofd_segment *seg, const struct ofd_wpool_ops *ops,
		    void *arg, const struct ofd_wpool_conf *conf)
{
	*out = NULL;
	if (!conf->workers || !conf->chunk_bytes)
		return -EINVAL;
	struct ofd_wpool *wp = calloc(1, sizeof(*wp));
	if (!wp)
		return -ENOMEM;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->work, NULL);
	pthread_cond_init(&wp->halt, &ca);
	pthread_cond_init(&wp->idle, NULL);
	pthread_condattr_destroy(&ca);
	wp->seg = seg;
	wp->ops = ops;
	wp->arg = arg;
	wp->conf = *conf;
	wp->nchunks = 2 * conf->workers;
	wp->chunks = calloc(wp->nchunks, sizeof(*wp->chunks));
	wp->freel = calloc(wp->nchunks, sizeof(*wp->freel));
	wp->ready = calloc(wp->nchunks, sizeof(*wp->ready));
	wp->thr = calloc(conf->workers, sizeof(*wp->thr));
	if (!wp->chunks || !wp->freel || !wp->ready || !wp->thr)
		goto nomem;
	for (unsigned i = 0; i < wp->nchunks; i++) {
		if (!(wp->chunks[i].data = malloc(conf->chunk_bytes)))
			goto nomem;
		wp->chunks[i].cap = conf->chunk_bytes;
		wp->freel[wp->nfree++] = wp->nchunks - 1 - i;
	}
	for (unsigned w = 0; w < conf->workers; w++) {
		struct wp_worker *wk = malloc(sizeof(*wk));
		if (wk)
			*wk = (struct wp_worker){wp, w};
		int rc = wk ? pthread_create(&wp->thr[w], NULL, wp_main, wk) : ENOMEM;
		if (rc) {
			free(wk);
			*out = wp;
			ofd_wpool_stop(wp);
			*out = NULL;
			return -rc;
		}
		wp->nthr++;
	}
	*out = wp;
	return 0;
nomem:
	wp_free(wp);
	return -ENOMEM;
}

struct ofd_wpool_chunk *ofd_wpool_chunk(struct ofd_wpool *wp)
{
	if (wp->cur)
		return wp->cur;
	pthread_mutex_lock(&wp->mu);
	if (!wp->nfree) {
		ofd_segment_count(wp->seg, wp->conf.c_waits, 1);
		while (!wp->nfree)
			pthread_cond_wait(&wp->idle, &wp->mu);
	}
	wp->cur = &wp->chunks[wp->freel[--wp->nfree]];
	pthread_mutex_unlock(&wp->mu);
	wp->cur->opened_ns = ofd_time_mono_ns();
	return wp->cur;
}

void ofd_wpool_submit(struct ofd_wpool *wp)
{
	struct ofd_wpool_chunk *c = wp->cur;
	if (!c || !c->rows)
		return;
	pthread_mutex_lock(&wp->mu);
	wp->ready[(wp->rhead + wp->rcount++) % wp->nchunks] = (unsigned)(c - wp->chunks);
	wp->cur = NULL;
	pthread_cond_signal(&wp->work);
	pthread_mutex_unlock(&wp->mu);
}

void ofd_wpool_flush_old(struct ofd_wpool *wp, uint64_t now_ns, uint64_t age_ns)
{
	if (wp->cur && wp->cur->rows && now_ns - wp->cur->opened_ns >= age_ns)
		ofd_wpool_submit(wp);
}

uint64_t ofd_wpool_drain(struct ofd_wpool *wp)
{
	ofd_wpool_submit(wp);
	pthread_mutex_lock(&wp->mu);
	while (wp->rcount || wp->inflight)
		pthread_cond_wait(&wp->idle, &wp->mu);
	uint64_t lost = wp->lost - wp->lost_seen;
	wp->lost_seen = wp->lost;
	pthread_mutex_unlock(&wp->mu);
	return lost;
}

void ofd_wpool_stop(struct ofd_wpool *wp)
{
	if (!wp)
		return;
	ofd_wpool_submit(wp);
	pthread_mutex_lock(&wp->mu);
	wp->stopping = 1;
	pthread_cond_broadcast(&wp->work);
	pthread_cond_broadcast(&wp->halt);
	pthread_mutex_unlock(&wp->mu);
	for (unsigned w = 0; w < wp->nthr; w++)
		pthread_join(wp->thr[w], NULL);
	wp_free(wp);
}
