/*
 * The store writer (see writer.h): a bounded set of preallocated slots moves between a free
 * ring and a work ring; the writer thread pops work until a transaction is full or old enough,
 * commits, and prunes in between. A transaction with a submitter waiting for its result (an
 * HTTP request: a token) is committed as soon as the queue is empty (group commit: the waiters
 * queued meanwhile share the next one), so an answer waits for one commit, not for batch_ms. The parsed
 * signed bytes (a jansson object) are handed over with the tracer: the queue's lock orders the verifying
 * thread's writes before the writer's reads, and the writer alone releases them.
 */
#include "receiver/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ring.h"
#include "ofd/log.h"
#include "ofd/time.h"

struct wslot {
	struct ofd_tracer_msg m; /* m.body points into body */
	struct ofd_ip sender;
	int has_sender;
	uint64_t recv_ns;
	void *token; /* the submitter's, for the done callback */
	size_t rawlen;
	char body[OFD_TRACER_MAX];
	char raw[OFD_TRACER_MAX + 2];
};

struct ofd_writer {
	struct ofd_writer_cfg cfg;
	struct wslot *slots;
	struct ofd_ring free, work;
	int *pending;	  /* results of the adds in the open transaction (batch_max) */
	void **tokens;	  /* and their tokens */
	unsigned waiting; /* how many of those are not NULL: someone waits for the commit */
	unsigned npending;
	pthread_t thread;
	int started;
	pthread_mutex_t stats_mu; /* guards stats, the store's counters as last published */
	struct ofd_store_stats stats;
};

/* Publish the store's counters for other threads (ofd_writer_stats). Writer thread. */
static void publish(struct ofd_writer *w)
{
	struct ofd_store_stats st;
	ofd_store_get_stats(w->cfg.store, &st);
	pthread_mutex_lock(&w->stats_mu);
	w->stats = st;
	pthread_mutex_unlock(&w->stats_mu);
}

void ofd_writer_stats(struct ofd_writer *w, struct ofd_store_stats *st)
{
	pthread_mutex_lock(&w->stats_mu);
	*st = w->stats;
	pthread_mutex_unlock(&w->stats_mu);
}

/* Commit the open transaction and report its adds' results: as they were, or all failed. */
static void commit(struct ofd_writer *w, unsigned *open)
{
	int crc = *open ? ofd_store_commit(w->cfg.store) : 0;
	if (crc != 0)
		ofd_err("receiver: a transaction of %u tracers could not be committed: %s", *open,
			crc == OFD_STORE_FULL ? "the disk is full" : "store error");
	if (crc > 0)
		crc = OFD_EFORMAT;
	if (*open || w->npending)
		publish(w); /* before the results: whoever sees a result sees its count */
	for (unsigned i = 0; i < w->npending && w->cfg.done; i++)
		w->cfg.done(w->cfg.ctx, crc ? crc : w->pending[i], w->tokens[i]);
	w->npending = 0;
	w->waiting = 0;
	*open = 0;
}

static void prune(struct ofd_writer *w)
{
	int64_t n = ofd_store_prune(w->cfg.store, (uint64_t)time(NULL), w->cfg.max_age_s, w->cfg.max_rows);
	if (n > 0)
		ofd_info("receiver: pruned %lld tracers", (long long)n);
	publish(w);
}

static void add(struct ofd_writer *w, struct wslot *s, unsigned *open)
{
	if (!*open && ofd_store_begin(w->cfg.store) == 0)
		*open = 1;
	else if (*open)
		(*open)++;
	int rc = ofd_store_add(w->cfg.store, &s->m, s->raw, s->rawlen, s->has_sender ? &s->sender : NULL,
			       s->recv_ns);
	ofd_tracer_msg_release(&s->m);
	if (*open) { /* the result stands once the transaction is committed */
		w->waiting += s->token != NULL;
		w->tokens[w->npending] = s->token;
		w->pending[w->npending++] = rc;
	} else if (w->cfg.done) {
		w->cfg.done(w->cfg.ctx, rc, s->token);
	}
}

static void *writer_main(void *arg)
{
	struct ofd_writer *w = arg;
	unsigned open = 0; /* adds in the open transaction */
	uint64_t opened = 0, batch_ns = (uint64_t)w->cfg.batch_ms * 1000000u;
	uint64_t prune_ns = (uint64_t)w->cfg.prune_every_s * 1000000000u,
		 next_prune = ofd_time_mono_ns() + prune_ns;
	int pruning = w->cfg.max_age_s || w->cfg.max_rows;
	for (;;) {
		void *v;
		uint64_t now = ofd_time_mono_ns();
		uint64_t deadline = open ? opened + batch_ns : now + batch_ns;
		/* group commit: while a submitter waits for its result (a token in the open
		   transaction), the transaction ends as soon as nothing more is queued */
		int rc = open && w->waiting ? ofd_ring_trypop(&w->work, &v)
					    : ofd_ring_pop_until(&w->work, &v, deadline);
		if (rc == 0) {
			if (!open)
				opened = ofd_time_mono_ns();
			add(w, v, &open);
			(void)ofd_ring_push(&w->free, v);
			if (open >= w->cfg.batch_max)
				commit(w, &open);
		} else if (rc == -ETIMEDOUT || rc == -EAGAIN) {
			commit(w, &open);
		} else {
			break; /* closed and drained */
		}
		if (open && ofd_time_mono_ns() - opened >= batch_ns)
			commit(w, &open);
		/* at the interval, or within a second when the database nears its size budget */
		uint64_t t = ofd_time_mono_ns();
		if ((pruning && t >= next_prune) ||
		    (ofd_store_wants_prune(w->cfg.store) && t >= next_prune - prune_ns + 1000000000u)) {
			commit(w, &open); /* pruning runs outside a transaction */
			prune(w);
			next_prune = ofd_time_mono_ns() + prune_ns;
		}
	}
	commit(w, &open);
	return NULL;
}

static void writer_free(struct ofd_writer *w)
{
	ofd_ring_fini(&w->free);
	ofd_ring_fini(&w->work);
	free(w->slots);
	free(w->pending);
	free(w->tokens);
	pthread_mutex_destroy(&w->stats_mu);
	free(w);
}

int ofd_writer_start(struct ofd_writer **out, const struct ofd_writer_cfg *cfg)
{
	*out = NULL;
	if (!cfg->store)
		return OFD_ECONFIG;
	struct ofd_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	pthread_mutex_init(&w->stats_mu, NULL);
	ofd_store_get_stats(w->cfg.store, &w->stats);
	if (!w->cfg.queue)
		w->cfg.queue = 256;
	if (!w->cfg.batch_max)
		w->cfg.batch_max = 512;
	if (!w->cfg.batch_ms)
		w->cfg.batch_ms = 50;
	if (!w->cfg.prune_every_s)
		w->cfg.prune_every_s = 60;
	int rc = -ENOMEM;
	w->slots = calloc(w->cfg.queue, sizeof(*w->slots));
	w->pending = calloc(w->cfg.batch_max, sizeof(*w->pending));
	w->tokens = calloc(w->cfg.batch_max, sizeof(*w->tokens));
	if (!w->slots || !w->pending || !w->tokens || (rc = ofd_ring_init(&w->free, w->cfg.queue)) != 0 ||
	    (rc = ofd_ring_init(&w->work, w->cfg.queue)) != 0) {
		writer_free(w);
		return rc;
	}
	for (unsigned i = 0; i < w->cfg.queue; i++)
		(void)ofd_ring_push(&w->free, &w->slots[i]);
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		writer_free(w);
		return -rc;
	}
	w->started = 1;
	*out = w;
	return 0;
}

/* Queue a tracer: wait for a free slot, or not (-EAGAIN). */
static int submit(struct ofd_writer *w, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		  const struct ofd_ip *sender, uint64_t recv_ns, void *token, int wait)
{
	void *v;
	if (!m->body || m->body_len > OFD_TRACER_MAX || len > sizeof(((struct wslot *)0)->raw))
		return OFD_EFORMAT;
	int rc = wait ? ofd_ring_pop(&w->free, &v) : ofd_ring_trypop(&w->free, &v);
	if (rc != 0)
		return rc == -EAGAIN ? -EAGAIN : OFD_EEOF;
	struct wslot *s = v;
	s->m = *m;
	memcpy(s->body, m->body, m->body_len);
	s->m.body = s->body;
	/* m->doc is the caller's until the tracer is queued; then it is ours (see listen.h) */
	memcpy(s->raw, raw, len);
	s->rawlen = len;
	s->has_sender = sender != NULL;
	if (sender)
		s->sender = *sender;
	s->recv_ns = recv_ns;
	s->token = token;
	if (ofd_ring_push(&w->work, s) != 0)
		return OFD_EEOF; /* closed: the slot is not used again, the caller keeps m->doc */
	return 0;
}

int ofd_writer_submit(struct ofd_writer *w, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		      const struct ofd_ip *sender, uint64_t recv_ns)
{
	return submit(w, m, raw, len, sender, recv_ns, NULL, 1);
}

int ofd_writer_offer(struct ofd_writer *w, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		     const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	return submit(w, m, raw, len, sender, recv_ns, token, 0);
}

void ofd_writer_stop(struct ofd_writer *w)
{
	if (!w)
		return;
	ofd_ring_close(&w->work);
	if (w->started)
		pthread_join(w->thread, NULL);
	ofd_ring_close(&w->free);
	writer_free(w);
}
