/*
 * kafkaconsumer: at-least-once offset commits (`commit: true`).
 *
 * Each worker notes, per partition, the offset after the last message it consumed (`dirty`).
 * Every hand-over of its batch is a flush point (kc_off_flush): the batch is passed on, the
 * pipeline's watermark H = ofd_segment_handed() read, and (H, the offsets consumed since the
 * previous flush point) appended to a FIFO of at most KC_SNAPSHOTS_MAX snapshots (when full, the
 * newest absorbs the next, taking its later H: commits then wait a little longer, memory does
 * not grow). kc_off_commit() takes the snapshots whose H is at most ofd_segment_done(), i.e.
 * whose records have passed every segment, merges them into `through` (per partition the offset
 * after the last message whose records are through; the later one wins; revoked partitions
 * leave it) and commits that explicit list, again after a failure (a rebalance in progress): asynchronously
 * while running (the result is counted when the worker's own commit queue is served, kc_off_serve),
 * synchronously on revocation and at the end.
 *
 * The flush and its H are taken under the state's flushmu: ofd_segment_handed() is the
 * instance's, and the workers would otherwise race on it. No batch is handed on by itself (the
 * decoder passes it on before it would fill), so every hand-over goes through here.
 */
#include <stdint.h>
#include <string.h>

#include "kafkaconsumer.h"

static void kc_committed(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offs,
			 void *opaque);

void kc_off_serve(struct kc_worker *w)
{
	rd_kafka_event_t *ev;
	while (w->cq && (ev = rd_kafka_queue_poll(w->cq, 0))) {
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT)
			kc_committed(w->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev),
				     w);
		rd_kafka_event_destroy(ev);
	}
}

void kc_off_init(struct kc_worker *w)
{
	w->dirty = rd_kafka_topic_partition_list_new(8);
	w->through = rd_kafka_topic_partition_list_new(8);
	w->last_idx = -1;
}

void kc_off_free(struct kc_worker *w)
{
	for (unsigned i = 0; i < w->nsnap; i++)
		rd_kafka_topic_partition_list_destroy(w->snap[i].offs);
	w->nsnap = 0;
	if (w->cq)
		rd_kafka_queue_destroy(w->cq);
	w->cq = NULL;
	if (w->dirty)
		rd_kafka_topic_partition_list_destroy(w->dirty);
	if (w->through)
		rd_kafka_topic_partition_list_destroy(w->through);
	w->dirty = w->through = NULL;
}

/* Set (topic, partition)'s offset in l, adding it when absent; its index. */
static int kc_put(rd_kafka_topic_partition_list_t *l, const char *topic, int32_t part, int64_t off)
{
	rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(l, topic, part);
	if (!e)
		e = rd_kafka_topic_partition_list_add(l, topic, part);
	e->offset = off;
	return (int)(e - l->elems);
}

void kc_off_consumed(struct kc_worker *w, const char *topic, int32_t partition, int64_t offset)
{
	if (!w->s->commit)
		return;
	rd_kafka_topic_partition_t *e = w->last_idx >= 0 ? &w->dirty->elems[w->last_idx] : NULL;
	if (e && e->partition == partition && !strcmp(e->topic, topic))
		e->offset = offset + 1;
	else
		w->last_idx = kc_put(w->dirty, topic, partition, offset + 1);
}

static void kc_merge(rd_kafka_topic_partition_list_t *into, const rd_kafka_topic_partition_list_t *from)
{
	for (int i = 0; i < from->cnt; i++)
		kc_put(into, from->elems[i].topic, from->elems[i].partition, from->elems[i].offset);
}

void kc_off_flush(struct kc_worker *w)
{
	struct kc_state *s = w->s;
	if (w->finishing)
		return;
	pthread_mutex_lock(&s->flushmu);
	ofd_batch_flush(w->b);
	uint64_t h = ofd_segment_handed(s->seg);
	pthread_mutex_unlock(&s->flushmu);
	w->flushes++;
	if (!s->commit || w->dirty->cnt == 0)
		return;
	if (w->nsnap == KC_SNAPSHOTS_MAX) { /* the newest absorbs this one */
		struct kc_snapshot *last = &w->snap[w->nsnap - 1];
		kc_merge(last->offs, w->dirty);
		last->handed = h;
		rd_kafka_topic_partition_list_destroy(w->dirty);
	} else {
		w->snap[w->nsnap++] = (struct kc_snapshot){h, w->dirty};
	}
	w->dirty = rd_kafka_topic_partition_list_new(8);
	w->last_idx = -1;
}

/* A commit's result: an event on the worker's commit queue, or a synchronous commit's return.
   A failed one leaves the offsets pending: the next commit sends them again. */
static void kc_committed(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offs,
			 void *opaque)
{
	struct kc_worker *w = opaque;
	(void)rk;
	for (int i = 0; !err && offs && i < offs->cnt; i++)
		err = offs->elems[i].err;
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		ofd_segment_count(w->s->seg, KC_C_COMMITS, 1);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	w->pending = 1;
	ofd_segment_count(w->s->seg, KC_C_COMMIT_FAILURES, 1);
	ofd_log_rl(&w->rl_commit, OFD_LOG_WARN,
		   "segment %s: consumer %u: offset commit failed: %s (tried again)",
		   ofd_segment_name(w->s->seg), w->idx, rd_kafka_err2str(err));
}

int kc_off_commit(struct kc_worker *w, int sync)
{
	struct kc_state *s = w->s;
	if (!s->commit || !w->rk)
		return 0;
	/* at the end too: an output that lost records holds `done` below them */
	uint64_t done = ofd_segment_done(s->seg);
	unsigned k = 0;
	while (k < w->nsnap && w->snap[k].handed <= done)
		k++;
	for (unsigned i = 0; i < k; i++) {
		kc_merge(w->through, w->snap[i].offs);
		rd_kafka_topic_partition_list_destroy(w->snap[i].offs);
	}
	memmove(w->snap, w->snap + k, (w->nsnap - k) * sizeof(w->snap[0]));
	w->nsnap -= k;
	if (k)
		w->pending = 1;
	if (!w->pending || w->through->cnt == 0)
		return 0;
	w->pending = 0;
	/* async: the result comes as an event on cq (kc_off_serve); sync: it is returned (a
	   synchronous commit does not call back) */
	rd_kafka_resp_err_t err = rd_kafka_commit_queue(w->rk, w->through, sync ? NULL : w->cq, NULL, w);
	if (sync || err)
		kc_committed(w->rk, err, NULL, w);
	return err && err != RD_KAFKA_RESP_ERR__NO_OFFSET ? -1 : 0;
}

static void kc_drop(rd_kafka_topic_partition_list_t *l, const rd_kafka_topic_partition_list_t *revoked)
{
	for (int i = 0; i < revoked->cnt; i++)
		(void)rd_kafka_topic_partition_list_del(l, revoked->elems[i].topic,
							revoked->elems[i].partition);
}

void kc_off_forget(struct kc_worker *w, const rd_kafka_topic_partition_list_t *revoked)
{
	if (!w->dirty || !revoked)
		return;
	kc_drop(w->dirty, revoked);
	kc_drop(w->through, revoked);
	for (unsigned i = 0; i < w->nsnap; i++)
		kc_drop(w->snap[i].offs, revoked);
	w->last_idx = -1;
}
