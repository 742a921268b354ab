/*
 * kafkaconsumer: flows from Kafka topics (flowpipeline's segment and keys, librdkafka).
 *
 *   - segment: kafkaconsumer
 *     config: {server: kafka:9092, topic: flows, group: overflowd, auth: false, tls: false}
 *
 * A consumer of the group `group` subscribed to `topic` (one name, a comma-separated list as
 * flowpipeline takes it, or a YAML list); `workers` consumers of that group in this process,
 * each in a thread of its own with its own batch. Messages are protobuf (flowpipeline's
 * EnrichedFlow; goflow2's FlowMessage with `legacy`; bare or length-delimited, see
 * kafkaconsumer_decode.c) or JSON lines (`format: json`). A message that does not decode is
 * counted (decode_errors), named in a rate-limited warning and skipped; consumer errors are
 * counted and logged the same way.
 *
 * At least once (`commit: true`, the default): offsets are committed only for messages whose
 * records ofd_segment_done() says have passed every segment (kafkaconsumer_offsets.c), every
 * `commitinterval`, on revocation (after waiting, bounded, for what was handed on) and at the
 * end in fini() before the consumer is closed. `commit: false` leaves it to librdkafka's auto
 * commit (at most once across a crash, as flowpipeline's).
 *
 * Rebalances are logged at info with the partitions; `strategy: sticky` (the default) is
 * librdkafka's cooperative-sticky with incremental assign/unassign, roundrobin and range are
 * eager. A batch that is not full is passed on when the topic has been quiet for 100 ms, or is
 * 100 ms old.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafkaconsumer.h"
#include "ofd/time.h"

#define KC_POLL_MS	  100
#define KC_BATCH	  256			   /* messages taken from the consumer queue at a time */
#define KC_QUIET_NS	  (KC_POLL_MS * 900000ull) /* a short batch after this long: the topic is quiet */
#define KC_FLUSH_NS	  (100 * 1000000ull)	   /* a batch's longest wait for more records */
#define KC_REVOKE_WAIT_NS (10 * 1000000000ull)	   /* on revocation, for the records to be through */
#define KC_LAG_NS	  (1000000000ull)
#define KC_FINAL_NS	  (5 * 1000000000ull) /* fini(): retrying a commit refused during a rebalance */

static const char *const kc_counters[] = {"messages",	     "records",		"decode_errors",
					  "consumer_errors", "commits",		"commit_failures",
					  "strings_dropped", "partitions_lost", NULL};

enum { M_LAG, M_PARTITIONS };
static const struct ofd_metric kc_metrics[] = {
    [M_LAG] = {"kafkaconsumer_lag",
	       OFD_METRIC_GAUGE,
	       0,
	       "Messages in the assigned partitions behind their high watermarks (as last fetched).",
	       {NULL}},
    [M_PARTITIONS] = {"kafkaconsumer_assigned_partitions",
		      OFD_METRIC_GAUGE,
		      0,
		      "Partitions assigned to this instance's consumers.",
		      {NULL}},
    {.name = NULL},
};

static const char *const kc_startat_names[] = {"newest", "oldest", NULL};
static const char *const kc_format_names[] = {"protobuf", "json", NULL};
static const char *const kc_delim_names[] = {"auto", "true", "false", NULL};

/* Publish a worker's counts (its own thread). */
static void kc_publish(struct kc_worker *w)
{
	struct ofd_segment *seg = w->s->seg;
	if (w->n_msgs)
		ofd_segment_count(seg, KC_C_MESSAGES, w->n_msgs);
	if (w->n_recs)
		ofd_segment_count(seg, KC_C_RECORDS, w->n_recs);
	if (w->n_bad)
		ofd_segment_count(seg, KC_C_DECODE_ERRORS, w->n_bad);
	if (w->n_strs)
		ofd_segment_count(seg, KC_C_STRINGS, w->n_strs);
	w->n_msgs = w->n_recs = w->n_bad = w->n_strs = 0;
}

/* "topic[0] topic[3] ..." for the log, cut to fit. */
static void kc_parts_text(const rd_kafka_topic_partition_list_t *l, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; l && i < l->cnt && o + 1 < len; i++) {
		int r = snprintf(out + o, len - o, "%s%s[%d]", i ? " " : "", l->elems[i].topic,
				 (int)l->elems[i].partition);
		if (r < 0 || (size_t)r >= len - o) {
			snprintf(out + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			return;
		}
		o += (size_t)r;
	}
}

static void kc_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kc_worker *w = rd_kafka_opaque(rk);
	enum ofd_log_level lvl = level <= 3   ? OFD_LOG_ERR
				 : level == 4 ? OFD_LOG_WARN
				 : level <= 6 ? OFD_LOG_INFO
					      : OFD_LOG_DEBUG;
	if (w)
		ofd_seg_log(w->s->seg, lvl, "librdkafka %s: %s", fac, buf);
}

/* Revocation: pass on what we hold, wait (bounded) until it is through, commit, forget. */
static void kc_revoke(struct kc_worker *w, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
	if (w->s->commit && !rd_kafka_assignment_lost(rk)) {
		kc_off_flush(w);
		uint64_t h = w->nsnap ? w->snap[w->nsnap - 1].handed : 0;
		uint64_t until = ofd_time_mono_ns() + KC_REVOKE_WAIT_NS;
		while (!w->finishing && ofd_segment_done(w->s->seg) < h && ofd_time_mono_ns() < until)
			(void)poll(NULL, 0, 2);
		if (!w->finishing && ofd_segment_done(w->s->seg) < h)
			ofd_seg_log(
			    w->s->seg, OFD_LOG_WARN,
			    "revoked partitions: records still on their way after %llu s; their messages "
			    "will be consumed again by the partitions' next owner",
			    (unsigned long long)(KC_REVOKE_WAIT_NS / 1000000000ull));
		(void)kc_off_commit(w, 1);
	}
	kc_off_forget(w, parts);
}

static void kc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
			    void *opaque)
{
	struct kc_worker *w = opaque;
	struct kc_state *s = w->s;
	int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	char text[512];
	kc_parts_text(parts, text, sizeof(text));
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t r = RD_KAFKA_RESP_ERR_NO_ERROR;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		ofd_seg_log(s->seg, OFD_LOG_INFO, "consumer %u: assigned %d partition(s): %s", w->idx,
			    parts ? parts->cnt : 0, text);
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			r = rd_kafka_assign(rk, parts);
		if (!e && !r && parts) {
			w->npart = coop ? w->npart + (unsigned)parts->cnt : (unsigned)parts->cnt;
		}
	} else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		int lost = rd_kafka_assignment_lost(rk);
		ofd_seg_log(s->seg, lost ? OFD_LOG_WARN : OFD_LOG_INFO, "consumer %u: %s %d partition(s): %s",
			    w->idx, lost ? "lost" : "revoked", parts ? parts->cnt : 0, text);
		if (lost && parts && parts->cnt > 0)
			ofd_segment_count(s->seg, KC_C_LOST, (uint64_t)parts->cnt);
		kc_revoke(w, rk, parts);
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			r = rd_kafka_assign(rk, NULL);
		unsigned n = parts ? (unsigned)parts->cnt : 0;
		w->npart = coop && w->npart > n ? w->npart - n : 0;
	} else {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "consumer %u: rebalance error: %s", w->idx,
			    rd_kafka_err2str(err));
		r = rd_kafka_assign(rk, NULL);
		w->npart = 0;
	}
	atomic_store_explicit(&w->parts_pub, w->npart, memory_order_relaxed);
	if (e) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "consumer %u: %s", w->idx, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (r) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "consumer %u: assign: %s", w->idx, rd_kafka_err2str(r));
	}
}

/* The lag of w's assigned partitions: high watermark - position, as librdkafka last saw them. */
static void kc_lag(struct kc_worker *w)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	uint64_t lag = 0;
	if (rd_kafka_assignment(w->rk, &l) || !l)
		return;
	if (rd_kafka_position(w->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (int i = 0; i < l->cnt; i++) {
			int64_t lo, hi;
			if (l->elems[i].offset < 0 ||
			    rd_kafka_get_watermark_offsets(w->rk, l->elems[i].topic, l->elems[i].partition,
							   &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			if (hi > l->elems[i].offset)
				lag += (uint64_t)(hi - l->elems[i].offset);
		}
	rd_kafka_topic_partition_list_destroy(l);
	atomic_store_explicit(&w->lag_pub, lag, memory_order_relaxed);
}

static void kc_message(struct kc_worker *w, rd_kafka_message_t *m)
{
	struct kc_state *s = w->s;
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (m->err) {
		ofd_segment_count(s->seg, KC_C_CONSUMER_ERRORS, 1);
		ofd_log_rl(&w->rl_err, OFD_LOG_WARN, "segment %s: consumer %u: %s%s%s",
			   ofd_segment_name(s->seg), w->idx, m->rkt ? rd_kafka_topic_name(m->rkt) : "",
			   m->rkt ? ": " : "", rd_kafka_message_errstr(m));
		return;
	}
	w->n_msgs++;
	if (kc_decode(w, m->payload, m->len)) {
		w->n_bad++;
		ofd_log_rl(&w->rl_decode, OFD_LOG_WARN,
			   "segment %s: %s[%d] offset %lld: %zu bytes that are not a flow in %s (skipped)",
			   ofd_segment_name(s->seg), rd_kafka_topic_name(m->rkt), (int)m->partition,
			   (long long)m->offset, m->len,
			   s->format == KC_FMT_JSON ? "JSON"
			   : s->legacy		    ? "goflow2's FlowMessage protobuf"
						    : "flowpipeline's EnrichedFlow protobuf");
	}
	kc_off_consumed(w, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
}

static void kc_run(struct kc_worker *w)
{
	struct kc_state *s = w->s;
	rd_kafka_message_t *ms[KC_BATCH];
	uint64_t since = 0, next_lag = 0;
	w->next_commit_ns = ofd_time_mono_ns() + s->commit_interval_ns;
	while (!ofd_segment_stopping(s->seg)) {
		/* up to KC_BATCH messages; the consumer queue's rebalances and errors are served here */
		uint64_t before = ofd_time_mono_ns();
		ssize_t n = rd_kafka_consume_batch_queue(w->q, KC_POLL_MS, ms, KC_BATCH);
		uint64_t now = ofd_time_mono_ns();
		for (ssize_t i = 0; i < n; i++) {
			kc_message(w, ms[i]);
			rd_kafka_message_destroy(ms[i]);
		}
		if (w->b->n && !since)
			since = now;
		/* quiet (nothing, or a short batch after waiting), or held long enough */
		int quiet = n <= 0 || (n < KC_BATCH && now - before >= KC_QUIET_NS);
		if (w->b->n && (quiet || now - since >= KC_FLUSH_NS)) {
			kc_off_flush(w);
			kc_publish(w);
		}
		if (!w->b->n)
			since = 0;
		if (now >= w->next_commit_ns) {
			kc_publish(w);
			(void)kc_off_commit(w, 0);
			kc_off_serve(w);
			w->next_commit_ns = now + s->commit_interval_ns;
		}
		if (now >= next_lag) {
			kc_lag(w);
			next_lag = now + KC_LAG_NS;
		}
	}
	kc_off_flush(w);
	kc_publish(w);
}

static void *kc_thread(void *arg)
{
	kc_run(arg);
	return NULL;
}

static int kc_open(struct kc_worker *w)
{
	struct kc_state *s = w->s;
	char err[512];
	rd_kafka_conf_t *c = kc_conf_new(s, err, sizeof(err));
	if (!c) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	rd_kafka_conf_set_opaque(c, w);
	rd_kafka_conf_set_log_cb(c, kc_log_cb);
	rd_kafka_conf_set_rebalance_cb(c, kc_rebalance_cb);
	w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	if (!w->rk) {
		rd_kafka_conf_destroy(c);
		ofd_seg_log(s->seg, OFD_LOG_ERR, "consumer %u: %s", w->idx, err);
		return OFD_ECONFIG;
	}
	rd_kafka_poll_set_consumer(w->rk);
	w->q = rd_kafka_queue_get_consumer(w->rk);
	w->cq = rd_kafka_queue_new(w->rk);
	rd_kafka_resp_err_t r = rd_kafka_subscribe(w->rk, s->subscription);
	if (r) {
		ofd_seg_log(s->seg, OFD_LOG_ERR, "consumer %u: subscribe: %s", w->idx, rd_kafka_err2str(r));
		return OFD_ECONFIG;
	}
	return 0;
}

static int kc_init(struct ofd_segment *seg, void *state)
{
	struct kc_state *s = state;
	char err[512], strat[64];
	int dropped = 0;
	s->seg = seg;
	if (!(s->subscription = kc_topics(s, err, sizeof(err)))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	if (kc_strategy(s->strategy, strat, sizeof(strat), &dropped, err, sizeof(err)) == 0 && dropped)
		ofd_seg_log(seg, OFD_LOG_WARN,
			    "key strategy: sticky left out (librdkafka's sticky assignor is cooperative and "
			    "cannot be mixed with roundrobin or range): %s",
			    strat);
	int rc = ofd_kafka_conn_start(seg, &s->conn);
	if (rc)
		return rc;
	if (s->commit) /* outputs write out (or deliver) a batch before it counts as through */
		ofd_segment_set_acking(seg);
	if (pthread_mutex_init(&s->flushmu, NULL))
		return -ENOMEM;
	s->mu_ok = 1;
	s->nw = (unsigned)(s->workers ? s->workers : 1);
	if (!(s->w = calloc(s->nw, sizeof(*s->w))))
		return -ENOMEM;
	for (unsigned i = 0; i < s->nw; i++) {
		struct kc_worker *w = &s->w[i];
		w->s = s;
		w->idx = i;
		kc_off_init(w);
		if (i > 0 && !(w->own = malloc(sizeof(*w->own))))
			return -ENOMEM;
		if ((rc = kc_open(w)))
			return rc;
	}
	char topics[256];
	size_t o = 0;
	topics[0] = '\0';
	for (int i = 0; i < s->subscription->cnt && o < sizeof(topics); i++) {
		int r = snprintf(topics + o, sizeof(topics) - o, "%s%s", i ? "," : "",
				 s->subscription->elems[i].topic);
		o += r > 0 ? (size_t)r : 0;
	}
	ofd_seg_log(seg, OFD_LOG_INFO, "%u consumer(s) of group %s, topic %s on %s, strategy %s, commit %s",
		    s->nw, s->group, topics, s->conn.server, strat,
		    s->commit ? "when through" : "by librdkafka");
	return 0;
}

static int kc_start(struct ofd_segment *seg, void *state)
{
	struct kc_state *s = state;
	int rc = 0;
	s->w[0].b = ofd_input_batch(seg);
	for (unsigned i = 1; i < s->nw; i++) {
		struct kc_worker *w = &s->w[i];
		ofd_input_batch_init(seg, w->own);
		w->b = w->own;
		int e = pthread_create(&w->thread, NULL, kc_thread, w);
		if (e) {
			ofd_seg_log(seg, OFD_LOG_ERR, "cannot start consumer %u: %s", i, strerror(e));
			ofd_segment_stop_pipeline(seg);
			rc = -e;
			break;
		}
		w->started = 1;
	}
	kc_run(&s->w[0]);
	for (unsigned i = 1; i < s->nw; i++)
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
	return rc;
}

static void kc_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct kc_state *s = state;
	uint64_t lag = 0, parts = 0;
	(void)seg;
	for (unsigned i = 0; s->w && i < s->nw; i++) {
		lag += atomic_load_explicit(&s->w[i].lag_pub, memory_order_relaxed);
		parts += atomic_load_explicit(&s->w[i].parts_pub, memory_order_relaxed);
	}
	ofd_metric_put(sink, &kc_metrics[M_LAG], NULL, lag);
	ofd_metric_put(sink, &kc_metrics[M_PARTITIONS], NULL, parts);
}

/* fini(): a final commit that failed (a rebalance in progress, e.g. another consumer of the
   group just left) is tried again while the consumer takes part in the rebalance, for up to
   KC_FINAL_NS; messages polled meanwhile are not handed on, nor committed. */
static void kc_final_commit(struct kc_worker *w)
{
	rd_kafka_message_t *ms[KC_BATCH];
	uint64_t until = ofd_time_mono_ns() + KC_FINAL_NS;
	while (kc_off_commit(w, 1) && ofd_time_mono_ns() < until) {
		ssize_t n = rd_kafka_consume_batch_queue(w->q, KC_POLL_MS, ms, KC_BATCH);
		for (ssize_t i = 0; i < n; i++)
			rd_kafka_message_destroy(ms[i]);
	}
}

/* Everything handed on is through now (unless an output lost records): commit it (every consumer before any
   leaves the group, which would start a rebalance), then leave. */
static void kc_fini(struct ofd_segment *seg, void *state)
{
	struct kc_state *s = state;
	(void)seg;
	for (unsigned i = 0; s->w && i < s->nw; i++) {
		struct kc_worker *w = &s->w[i];
		w->finishing = 1;
		if (w->rk && s->commit)
			kc_final_commit(w);
	}
	for (unsigned i = 0; s->w && i < s->nw; i++) {
		struct kc_worker *w = &s->w[i];
		if (w->rk) {
			rd_kafka_resp_err_t r = rd_kafka_consumer_close(w->rk);
			if (r)
				ofd_seg_log(s->seg, OFD_LOG_WARN, "consumer %u: close: %s", i,
					    rd_kafka_err2str(r));
			kc_off_serve(w);
		}
		if (w->q)
			rd_kafka_queue_destroy(w->q);
		w->q = NULL;
		kc_off_free(w); /* the queues go before their client */
		if (w->rk)
			rd_kafka_destroy(w->rk);
		w->rk = NULL;
		free(w->own);
	}
	free(s->w);
	s->w = NULL;
	if (s->subscription)
		rd_kafka_topic_partition_list_destroy(s->subscription);
	s->subscription = NULL;
	if (s->mu_ok)
		pthread_mutex_destroy(&s->flushmu);
	s->mu_ok = 0;
}

static int kc_check(const void *state, char *err, size_t errlen)
{
	const struct kc_state *s = state;
	rd_kafka_topic_partition_list_t *t = kc_topics(s, err, errlen);
	if (!t)
		return OFD_ECONFIG;
	rd_kafka_topic_partition_list_destroy(t);
	rd_kafka_conf_t *c = kc_conf_new(s, err, errlen);
	if (!c)
		return OFD_ECONFIG;
	rd_kafka_conf_destroy(c);
	return 0;
}

#define KC_KEY(name, type, field, ...) OFD_KEY(name, type, struct kc_state, field, __VA_ARGS__)
static const struct ofd_cfg_key kc_keys[] = {
    OFD_KAFKA_CONN_KEYS(struct kc_state, conn),
    KC_KEY("topic", OFD_CFG_STRLIST, topic, .required = 1,
	   .help = "topic(s) to consume: a name, a comma-separated list (flowpipeline) or a YAML list"),
    KC_KEY("group", OFD_CFG_STRING, group, .required = 1, .help = "consumer group (group.id)"),
    KC_KEY("startat", OFD_CFG_ENUM, startat, .def = "newest", .choices = kc_startat_names,
	   .help = "where a group without committed offsets starts: newest or oldest (auto.offset.reset)"),
    KC_KEY("strategy", OFD_CFG_STRING, strategy, .def = "sticky",
	   .help = "partition assignment, comma-separated: sticky (librdkafka's cooperative-sticky), "
		   "roundrobin, range; sticky is left out when mixed with the others"),
    KC_KEY("timeout", OFD_CFG_DURATION, timeout_ns, .def = "15s", .min = 1e9, .max = 3600e9,
	   .help = "time to set up a connection to a broker (flowpipeline's dial timeout; "
		   "socket.connection.setup.timeout.ms)"),
    KC_KEY("legacy", OFD_CFG_BOOL, legacy, .def = "false",
	   .help = "messages are goflow2's FlowMessage instead of flowpipeline's EnrichedFlow"),
    KC_KEY("format", OFD_CFG_ENUM, format, .def = "protobuf", .choices = kc_format_names,
	   .help = "message format: protobuf, or json (JSON lines: ours, goflow2's or flowpipeline's)"),
    KC_KEY("delimited", OFD_CFG_ENUM, delimited, .def = "auto", .choices = kc_delim_names,
	   .help = "protobuf messages with varint length prefixes (goflow2 -format=bin): auto detects "
		   "them per message, true or false forces"),
    KC_KEY("commit", OFD_CFG_BOOL, commit, .def = "true",
	   .help = "commit offsets only once their records have passed every segment (at least once); "
		   "false: librdkafka's auto commit"),
    KC_KEY("commitinterval", OFD_CFG_DURATION, commit_interval_ns, .def = "1s", .min = 10e6, .max = 3600e9,
	   .help = "how often what is through is committed (commit: true)"),
    KC_KEY("workers", OFD_CFG_UINT, workers, .def = "1", .min = 1, .max = KC_WORKERS_MAX,
	   .help = "consumers of the group in this process, each in a thread of its own (also jobs, -n)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_kafkaconsumer = {
    OFD_SEGMENT_VERSION,
    .name = "kafkaconsumer",
    .kind = OFD_SEG_INPUT,
    .summary = "consume flows from Kafka topics (protobuf EnrichedFlow or goflow2 FlowMessage, or JSON "
	       "lines), committing offsets once their records are through",
    .state_size = sizeof(struct kc_state),
    .config = kc_keys,
    .counters = kc_counters,
    .metrics = kc_metrics,
    .collect = kc_collect,
    .check = kc_check,
    .init = kc_init,
    .start = kc_start,
    .fini = kc_fini,
};
