/*
 * kafkaproducer: every live record as one Kafka message (flowpipeline's kafkaproducer, on
 * librdkafka). The message is flowpipeline's EnrichedFlow protobuf by default (goflow2's
 * FlowMessage with `legacy: true`, overflowd's JSON line with `format: json`), to `topic`, or
 * to "TOPIC-VALUE" where VALUE is the record's `topicsuffix` field (one topic per customer with
 * Cid, as flowpipeline's splitter does). Records pass on unchanged.
 *
 *   - segment: kafkaproducer
 *     config: {server: "kafka1:9093,kafka2:9093", topic: flows, user: me, pass: $KAFKA_SASL_PASS}
 *
 * Delivery: rd_kafka_produce() copies each message into librdkafka's queue (bounded by `queue`
 * messages and `queue_bytes`); a full queue blocks the segment (OFD_SEGF_BLOCKING: it runs in
 * its own thread behind a bounded ring, so back-pressure reaches the inputs and memory stays
 * bounded) while it polls for deliveries. Every message ends in a delivery report: acked
 * (with its bytes) or failed (logged rate-limited with librdkafka's reason). A background
 * thread serves the reports; at the end it flushes for `flush_timeout`, then purges what is
 * still queued, which reports those messages as failed: nothing is lost silently. Retries
 * are librdkafka's, counted from its statistics (requests retried, messages sent again).
 *
 * Differences from flowpipeline (sarama): a message that cannot be delivered is counted and
 * logged (flowpipeline discards errors); compression is the `compression` key (flowpipeline
 * fixes snappy, our default too); `kafka-version` is librdkafka's broker.version.fallback (the
 * protocol is negotiated with the broker); empty credentials with `auth: true` are refused at
 * start, not by --check (a check often runs where the secret is not set).
 */
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "format/flowpb.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/fieldlist.h"
#include "segments/kafka/kafkaconf.h"

#define TOPIC_MAX  249 /* Kafka's limit on a topic name */
#define SUFFIX_MAX 128
#define KEY_MAX	   256
#define KEY_FIELDS 8
#define SLOTS	   256 /* cached topic handles (one per suffix value) */
#define PROBE	   8
#define JSON_CAP   (64u * 1024u)
#define RUN_BYTES  (1u << 20) /* the encoded messages of one produce_batch() call at most */

struct topic_slot {
	uint64_t hash;
	rd_kafka_topic_t *rkt; /* NULL: empty */
	char suffix[SUFFIX_MAX + 1];
};

struct kp_state {
	/* config */
	struct ofd_kafka_conn conn; /* server, user, pass, tls, auth, mechanism, kafka-version, properties */
	char *topic, *topicsuffix;
	int legacy, delimited, compression, format;
	struct ofd_strlist key;
	uint64_t queue, queue_bytes, delivery_timeout_ns, flush_timeout_ns, linger_ns;
	/* set up by init() */
	struct ofd_segment *seg;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt; /* the topic without a suffix */
	int suffix_id;	       /* field id, or -1 */
	uint8_t key_ids[KEY_FIELDS];
	unsigned nkey;
	struct topic_slot *slots;
	unsigned clock;
	uint8_t *buf;		 /* one encoded record (OFD_PB_MAX) */
	uint8_t *runbuf;	 /* the messages (and keys) of a run for produce_batch (RUN_BYTES) */
	rd_kafka_message_t *run; /* OFD_BATCH_CAP */
	struct ofd_wbuf w;
	int wbuf_inited;
	/* delivery reports and logs come from two threads (the poller, process() when the queue
	   is full) and from librdkafka's own threads (logs) */
	pthread_mutex_t logmu;
	int logmu_inited;
	struct ofd_ratelimit rl_dr, rl_log;
	_Atomic uint64_t acked_bytes, retries_seen, queued, topics;
	_Atomic uint64_t nfailed; /* every failure, for process() with an acking input */
};

enum { C_PRODUCED, C_ACKED, C_FAILED, C_RETRIES, C_QUEUE_FULL };
static const char *const kp_counters[] = {"produced", "acked", "failed", "retries", "queue_full", NULL};

enum { M_BYTES, M_QUEUED, M_TOPICS };
static const struct ofd_metric kp_metrics[] = {
    [M_BYTES] = {"kafkaproducer_acked_bytes_total",
		 OFD_METRIC_COUNTER,
		 0,
		 "Bytes of the messages the brokers acknowledged (message values and keys).",
		 {NULL}},
    [M_QUEUED] = {"kafkaproducer_queued",
		  OFD_METRIC_GAUGE,
		  0,
		  "Messages in librdkafka's queue or in flight, waiting for their delivery report.",
		  {NULL}},
    [M_TOPICS] = {"kafkaproducer_topics",
		  OFD_METRIC_GAUGE,
		  OFD_METRIC_DETAIL,
		  "Topic handles cached (one per topicsuffix value, at most 256).",
		  {NULL}},
    {.name = NULL},
};

static const char *const kp_compressions[] = {"snappy", "none", "gzip", "lz4", "zstd", NULL};
static const char *const kp_formats[] = {"protobuf", "json", NULL};

static const struct ofd_cfg_key kp_keys[] = {
    OFD_KAFKA_CONN_KEYS(struct kp_state, conn),
    OFD_KEY("topic", OFD_CFG_STRING, struct kp_state, topic, .required = 1,
	    .help = "the topic every record is produced to (with topicsuffix: its prefix)"),
    OFD_KEY("topicsuffix", OFD_CFG_STRING, struct kp_state, topicsuffix,
	    .help =
		"a field (any of its names: Cid, cid, SrcAs...) of a number or string kind: each record "
		"goes to the topic TOPIC-VALUE (flowpipeline's rule), e.g. flows-65000 for topic flows and "
		"Cid 65000; an unset field gives 0 or the empty string"),
    OFD_KEY("topic-suffix", OFD_CFG_IGNORED, struct kp_state, topicsuffix,
	    .help = "flowpipeline reads topicsuffix; this spelling (of its splitter example) is ignored "
		    "there as here"),
    OFD_KEY("legacy", OFD_CFG_BOOL, struct kp_state, legacy, .def = "false",
	    .help =
		"protobuf messages in goflow2's FlowMessage schema instead of flowpipeline's EnrichedFlow"),
    OFD_KEY("delimited", OFD_CFG_BOOL, struct kp_state, delimited, .def = "true",
	    .help = "protobuf: a varint length before each message (protodelim), as flowpipeline's "
		    "kafkaproducer and goflow2 v2 write them; false: the bare message, as flowpipeline "
		    "before goflow2 v2 and goflow2 v1 did"),
    OFD_KEY("key", OFD_CFG_STRLIST, struct kp_state, key,
	    .help = "fields whose values form the message key (a name or a list), so the records of one flow "
		    "or host land in one partition; default none: no key, librdkafka's partitioner spreads "
		    "the messages"),
    OFD_KEY("compression", OFD_CFG_ENUM, struct kp_state, compression, .def = "snappy",
	    .choices = kp_compressions,
	    .help = "snappy (flowpipeline's), none, gzip, lz4 or zstd; per batch of messages"),
    OFD_KEY("format", OFD_CFG_ENUM, struct kp_state, format, .def = "protobuf", .choices = kp_formats,
	    .help = "protobuf (flowpipeline's EnrichedFlow, or FlowMessage with legacy) or json (the json "
		    "output's line, without its newline)"),
    OFD_KEY("queue", OFD_CFG_UINT, struct kp_state, queue, .def = "100000", .min = 1, .max = 10000000,
	    .help = "messages waiting for delivery at most (queue.buffering.max.messages); when full the "
		    "segment waits (counted: queue_full)"),
    OFD_KEY("queue_bytes", OFD_CFG_SIZE, struct kp_state, queue_bytes, .def = "64M", .min = 1024,
	    .max = 2147483647.0 * 1024,
	    .help = "bytes waiting for delivery at most (queue.buffering.max.kbytes)"),
    OFD_KEY("linger", OFD_CFG_DURATION, struct kp_state, linger_ns, .def = "50ms",
	    .help = "how long messages wait to fill a batch (linger.ms)"),
    OFD_KEY("delivery_timeout", OFD_CFG_DURATION, struct kp_state, delivery_timeout_ns, .def = "5m",
	    .min = 1e6,
	    .help = "a message not acknowledged within this (retries included) fails (message.timeout.ms)"),
    OFD_KEY("flush_timeout", OFD_CFG_DURATION, struct kp_state, flush_timeout_ns, .def = "10s",
	    .help = "at the end, wait this long for the queue to be delivered; what is left fails"),
    OFD_KEY_END,
};

/* The topic a suffix value names: "TOPIC-VALUE" into out (TOPIC_MAX + 1); 0 or -1 too long. */
static int topic_name(char *out, const char *topic, const char *suffix)
{
	int n = snprintf(out, TOPIC_MAX + 1, "%s-%s", topic, suffix);
	return n < 0 || n > TOPIC_MAX ? -1 : 0;
}

/* The kinds a topic suffix may be (flowpipeline: uint32, uint64, string). */
static int suffix_kind_ok(unsigned kind)
{
	switch (kind) {
	case OFD_FK_U8:
	case OFD_FK_U16:
	case OFD_FK_U32:
	case OFD_FK_U64:
	case OFD_FK_PROTO:
	case OFD_FK_ETYPE:
	case OFD_FK_STR:
	case OFD_FK_CC: return 1;
	default: return 0;
	}
}

/* A stored field's value as an unsigned number (its kind is one of the integer ones). */
static uint64_t field_u64(const struct ofd_flow *f, const struct ofd_field_info *fi)
{
	const char *p = (const char *)f + fi->off;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	switch (fi->size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

/* The suffix text of f into out (SUFFIX_MAX + 1): its length, or -1 when too long. */
static int suffix_text(const struct ofd_flow *f, int id, char *out)
{
	const struct ofd_field_info *fi = &ofd_fields[id];
	int has = ofd_flow_has(f, (unsigned)id);
	if (fi->kind == OFD_FK_STR) {
		const char *s;
		memcpy(&s, (const char *)f + fi->off, sizeof(s));
		size_t n = has && s ? strlen(s) : 0;
		if (n > SUFFIX_MAX)
			return -1;
		memcpy(out, has && s ? s : "", n);
		out[n] = '\0';
		return (int)n;
	}
	if (fi->kind == OFD_FK_CC) {
		const char *cc = (const char *)f + fi->off;
		int n = has && cc[0] ? (cc[1] ? 2 : 1) : 0;
		memcpy(out, cc, (size_t)n);
		out[n] = '\0';
		return n;
	}
	uint64_t v = has ? field_u64(f, fi) : 0;
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

static uint64_t hash_text(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* The message key of f into out (KEY_MAX): the key fields' stored bytes in order (strings with
   their terminating zero); an unset field as zeros. Its length. */
static size_t key_bytes(const struct kp_state *s, const struct ofd_flow *f, uint8_t *out)
{
	size_t n = 0;
	for (unsigned i = 0; i < s->nkey; i++) {
		const struct ofd_field_info *fi = &ofd_fields[s->key_ids[i]];
		int has = ofd_flow_has(f, s->key_ids[i]);
		if (fi->kind == OFD_FK_STR) {
			const char *str;
			memcpy(&str, (const char *)f + fi->off, sizeof(str));
			size_t len = has && str ? strlen(str) : 0;
			if (len > KEY_MAX - 1 - n)
				len = KEY_MAX - 1 - n;
			memcpy(out + n, has && str ? str : "", len);
			n += len;
			out[n++] = 0;
			continue;
		}
		size_t len = fi->size <= KEY_MAX - n ? fi->size : KEY_MAX - n;
		if (has)
			memcpy(out + n, (const char *)f + fi->off, len);
		else
			memset(out + n, 0, len);
		n += len;
	}
	return n;
}

/* Resolve topicsuffix into its field id; 0 or OFD_ECONFIG with the reason in err. */
static int resolve_suffix(const struct kp_state *s, int *id, char *err, size_t errlen)
{
	*id = -1;
	if (!s->topicsuffix || !*s->topicsuffix)
		return 0;
	int f = ofd_field_by_name(s->topicsuffix);
	if (f < 0) {
		snprintf(err, errlen, "key topicsuffix: unknown field \"%.64s\"", s->topicsuffix);
		return OFD_ECONFIG;
	}
	if (!ofd_field_stored((unsigned)f) || !suffix_kind_ok(ofd_fields[f].kind)) {
		snprintf(err, errlen,
			 "key topicsuffix: field %s is not a number or a string (flowpipeline takes uint32, "
			 "uint64 and string fields)",
			 ofd_fields[f].fp);
		return OFD_ECONFIG;
	}
	*id = f;
	return 0;
}

/* librdkafka's configuration from the keys (properties last); NULL with the reason in err. */
static rd_kafka_conf_t *build_conf(const struct kp_state *s, char *err, size_t errlen)
{
	rd_kafka_conf_t *c = ofd_kafka_conf_new(&s->conn, err, errlen);
	if (!c)
		return NULL;
	char v[32];
	/* flowpipeline's WaitForLocal; when an input acknowledges its source, every replica (a leader
	   that fails over after acking could lose what the source was told is through) and the
	   idempotent producer (a retried request can then not land behind a later one: a partition
	   keeps its order) */
	int acking = s->seg && ofd_segment_acking(s->seg);
	int rc = ofd_kafka_set(c, "acks", acking ? "all" : "1", err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "enable.idempotence", acking ? "true" : "false", err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "compression.codec", kp_compressions[s->compression], err, errlen);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)s->queue);
	rc = rc ? rc : ofd_kafka_set(c, "queue.buffering.max.messages", v, err, errlen);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(s->queue_bytes / 1024));
	rc = rc ? rc : ofd_kafka_set(c, "queue.buffering.max.kbytes", v, err, errlen);
	rc = rc ? rc : ofd_kafka_set_ms(c, "linger.ms", s->linger_ns, 900000, err, errlen);
	rc = rc ? rc
		: ofd_kafka_set_ms(c, "message.timeout.ms", s->delivery_timeout_ns, 2147483647, err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "statistics.interval.ms", "1000", err, errlen);
	rc = rc ? rc : ofd_kafka_conf_properties(c, &s->conn, err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	return c;
}

static int kp_check(const void *state, char *err, size_t errlen)
{
	const struct kp_state *s = state;
	int id;
	if (!*s->conn.server || !*s->topic) {
		snprintf(err, errlen, "key %s: must not be empty", *s->conn.server ? "topic" : "server");
		return OFD_ECONFIG;
	}
	if (strlen(s->topic) > TOPIC_MAX) {
		snprintf(err, errlen, "key topic: longer than Kafka's %d bytes", TOPIC_MAX);
		return OFD_ECONFIG;
	}
	int rc = resolve_suffix(s, &id, err, errlen);
	if (rc)
		return rc;
	if (s->key.n && ofd_fieldlist_check("key", &s->key, err, errlen))
		return OFD_ECONFIG;
	rd_kafka_conf_t *c = build_conf(s, err, errlen);
	if (!c)
		return OFD_ECONFIG;
	rd_kafka_conf_destroy(c);
	return 0;
}

/* A delivery report: once per message, acked or failed. */
static void kp_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kp_state *s = opaque;
	(void)rk;
	if (!m->err) {
		ofd_segment_count(s->seg, C_ACKED, 1);
		atomic_fetch_add_explicit(&s->acked_bytes, m->len + m->key_len, memory_order_relaxed);
		return;
	}
	ofd_segment_count(s->seg, C_FAILED, 1);
	atomic_fetch_add(&s->nfailed, 1);
	pthread_mutex_lock(&s->logmu);
	ofd_log_rl(&s->rl_dr, OFD_LOG_ERR, "%s:%u: segment %s: a message to %s failed: %s",
		   ofd_segment_file(s->seg), ofd_segment_line(s->seg), ofd_segment_name(s->seg),
		   m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
	pthread_mutex_unlock(&s->logmu);
}

/* librdkafka's own log lines, from its threads: only critical ones, rate-limited (errors come
   to kp_errcb as well, and a log line would say them twice). */
static void kp_logcb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kp_state *s = rd_kafka_opaque(rk);
	if (!s || level > 2)
		return;
	pthread_mutex_lock(&s->logmu);
	ofd_log_rl(&s->rl_log, OFD_LOG_ERR, "%s:%u: segment %s: librdkafka %s: %s", ofd_segment_file(s->seg),
		   ofd_segment_line(s->seg), ofd_segment_name(s->seg), fac, buf);
	pthread_mutex_unlock(&s->logmu);
}

static void kp_errcb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kp_state *s = opaque;
	(void)rk;
	pthread_mutex_lock(&s->logmu);
	ofd_log_rl(&s->rl_log, OFD_LOG_ERR, "%s:%u: segment %s: kafka: %s (%s)", ofd_segment_file(s->seg),
		   ofd_segment_line(s->seg), ofd_segment_name(s->seg), reason,
		   rd_kafka_err2name((rd_kafka_resp_err_t)err));
	pthread_mutex_unlock(&s->logmu);
}

/* Statistics (every second): retries. librdkafka counts request retries per broker
   (txretries: timeouts, transport errors) and, per partition, messages transmitted (txmsgs,
   resends included) and produced (msgs); a partition's txmsgs - msgs are its messages sent
   again after an error answer (a lower bound: messages that never left count against it). */
static int kp_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kp_state *s = opaque;
	(void)rk;
	json_t *root = json_loadb(json, len, 0, NULL);
	const char *name, *pname;
	json_t *v, *p;
	uint64_t sum = 0;
	json_object_foreach(json_object_get(root, "brokers"), name, v)
	{
		json_t *r = json_object_get(v, "txretries");
		if (json_is_integer(r) && json_integer_value(r) > 0)
			sum += (uint64_t)json_integer_value(r);
	}
	json_object_foreach(json_object_get(root, "topics"), name, v)
	{
		json_object_foreach(json_object_get(v, "partitions"), pname, p)
		{
			json_int_t tx = json_integer_value(json_object_get(p, "txmsgs"));
			json_int_t msgs = json_integer_value(json_object_get(p, "msgs"));
			if (tx > msgs)
				sum += (uint64_t)(tx - msgs);
		}
	}
	json_decref(root);
	/* brokers come and go (their counters with them): count only growth; two pollers may
	   serve two reports at once */
	uint64_t seen = atomic_load_explicit(&s->retries_seen, memory_order_relaxed);
	while (sum > seen && !atomic_compare_exchange_weak(&s->retries_seen, &seen, sum))
		;
	if (sum > seen)
		ofd_segment_count(s->seg, C_RETRIES, sum - seen);
	return 0; /* librdkafka frees json */
}

/* The poller: delivery reports and statistics while running; at the end the flush, then what
   is left is purged (its reports count it as failed). */
static void kp_thread(struct ofd_segment *seg, void *arg)
{
	struct kp_state *s = arg;
	while (!ofd_segment_thread_stopping(seg)) {
		rd_kafka_poll(s->rk, 100);
		atomic_store_explicit(&s->queued, (uint64_t)rd_kafka_outq_len(s->rk), memory_order_relaxed);
	}
	uint64_t ms = s->flush_timeout_ns / 1000000u;
	rd_kafka_resp_err_t e = rd_kafka_flush(s->rk, ms > 2147483647 ? 2147483647 : (int)ms);
	int left = rd_kafka_outq_len(s->rk);
	if (e == RD_KAFKA_RESP_ERR__TIMED_OUT && left > 0) {
		ofd_seg_log(seg, OFD_LOG_ERR,
			    "%d messages not delivered within flush_timeout: counted as failed", left);
		rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(s->rk, 0); /* the purged messages' reports */
	}
	atomic_store_explicit(&s->queued, (uint64_t)rd_kafka_outq_len(s->rk), memory_order_relaxed);
}

static int kp_init(struct ofd_segment *seg, void *state)
{
	struct kp_state *s = state;
	char err[512];
	s->seg = seg;
	if (pthread_mutex_init(&s->logmu, NULL))
		return -ENOMEM;
	s->logmu_inited = 1;
	if (ofd_kafka_conn_start(seg, &s->conn))
		return OFD_ECONFIG;
	if (resolve_suffix(s, &s->suffix_id, err, sizeof(err))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	uint8_t ids[OFD_FIELDLIST_MAX];
	unsigned nids = 0;
	if (s->key.n && ofd_fieldlist_parse(seg, "key", &s->key, ids, &nids))
		return OFD_ECONFIG;
	if (nids > KEY_FIELDS) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key: at most %d fields (got %u)", KEY_FIELDS, nids);
		return OFD_ECONFIG;
	}
	memcpy(s->key_ids, ids, nids);
	s->nkey = nids;
	s->buf = malloc(OFD_PB_MAX);
	s->slots = calloc(SLOTS, sizeof(*s->slots));
	s->runbuf = malloc(RUN_BYTES);
	s->run = calloc(OFD_BATCH_CAP, sizeof(*s->run));
	if (!s->buf || !s->slots || !s->runbuf || !s->run)
		return -ENOMEM;
	if (s->format == 1) {
		int rc = ofd_wbuf_init(&s->w, -1, JSON_CAP);
		if (rc)
			return rc;
		s->wbuf_inited = 1;
	}
	rd_kafka_conf_t *c = build_conf(s, err, sizeof(err));
	if (!c) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	rd_kafka_conf_set_opaque(c, s);
	rd_kafka_conf_set_dr_msg_cb(c, kp_dr);
	rd_kafka_conf_set_error_cb(c, kp_errcb);
	rd_kafka_conf_set_log_cb(c, kp_logcb);
	rd_kafka_conf_set_stats_cb(c, kp_stats);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	if (!s->rk) { /* c is still ours */
		rd_kafka_conf_destroy(c);
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	if (s->suffix_id < 0) {
		s->rkt = rd_kafka_topic_new(s->rk, s->topic, NULL);
		if (!s->rkt) {
			ofd_seg_log(seg, OFD_LOG_ERR, "topic %s: %s", s->topic,
				    rd_kafka_err2str(rd_kafka_last_error()));
			return OFD_ECONFIG;
		}
	}
	return ofd_segment_spawn(seg, kp_thread, s);
}

/* The topic handle of f: the fixed one, or the cached one of its suffix value (NULL: fails). */
static rd_kafka_topic_t *topic_of(struct kp_state *s, const struct ofd_flow *f)
{
	if (s->suffix_id < 0)
		return s->rkt;
	char suffix[SUFFIX_MAX + 1], name[TOPIC_MAX + 1];
	int n = suffix_text(f, s->suffix_id, suffix);
	if (n < 0)
		return NULL;
	uint64_t h = hash_text(suffix, (size_t)n);
	unsigned base = (unsigned)(h % SLOTS), empty = SLOTS;
	for (unsigned i = 0; i < PROBE; i++) {
		struct topic_slot *t = &s->slots[(base + i) % SLOTS];
		if (t->rkt && t->hash == h && strcmp(t->suffix, suffix) == 0)
			return t->rkt;
		if (!t->rkt && empty == SLOTS)
			empty = (base + i) % SLOTS;
	}
	if (topic_name(name, s->topic, suffix))
		return NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(s->rk, name, NULL);
	if (!rkt)
		return NULL;
	if (empty == SLOTS) { /* the window is full: evict one in turn (its messages go on) */
		empty = (base + (s->clock++ % PROBE)) % SLOTS;
		rd_kafka_topic_destroy(s->slots[empty].rkt);
	} else {
		atomic_fetch_add_explicit(&s->topics, 1, memory_order_relaxed);
	}
	struct topic_slot *t = &s->slots[empty];
	t->hash = h;
	t->rkt = rkt;
	memcpy(t->suffix, suffix, (size_t)n + 1);
	return rkt;
}

/* Room before a delimited message for its prefix: 2 bytes hold any length below 16 KiB. */
#define PB_PREFIX 2

/* The protobuf message of f in out[0..OFD_PB_MAX), behind its varint length when delimited: its
   start in out and (*len) its length with the prefix; *len 0 when it does not encode. */
static uint8_t *pb_message(const struct kp_state *s, const struct ofd_flow *f, uint8_t *out, size_t *len)
{
	enum ofd_pb_schema sc = s->legacy ? OFD_PB_LEGACY : OFD_PB_ENRICHED;
	if (!s->delimited) {
		*len = ofd_pb_encode(f, sc, out, OFD_PB_MAX);
		return out;
	}
	size_t n = ofd_pb_encode(f, sc, out + PB_PREFIX, OFD_PB_MAX - 10);
	uint8_t pre[10];
	size_t k = n ? ofd_pb_put_len(pre, n) : 0;
	uint8_t *start = out + PB_PREFIX - k;
	if (k > PB_PREFIX) { /* a message of 16 KiB or more: rare, moved */
		memmove(out + k, out + PB_PREFIX, n);
		start = out;
	}
	memcpy(start, pre, k);
	*len = n ? n + k : 0;
	return start;
}

/* The message of f into s->buf or s->w: its bytes and length (0: none). */
static const void *encode(struct kp_state *s, const struct ofd_flow *f, size_t *len)
{
	if (s->format == 0)
		return pb_message(s, f, s->buf, len);
	s->w.len = 0;
	ofd_fmt_json_enriched(&s->w, f);
	*len = s->w.len;
	if (*len && s->w.buf[*len - 1] == '\n')
		(*len)--;
	return s->w.buf;
}

static void fail_one(struct kp_state *s, const char *what, const char *topic)
{
	ofd_segment_count(s->seg, C_FAILED, 1);
	atomic_fetch_add(&s->nfailed, 1);
	pthread_mutex_lock(&s->logmu);
	ofd_log_rl(&s->rl_dr, OFD_LOG_ERR, "%s:%u: segment %s: a record not produced to %s: %s",
		   ofd_segment_file(s->seg), ofd_segment_line(s->seg), ofd_segment_name(s->seg), topic, what);
	pthread_mutex_unlock(&s->logmu);
}

/* An input acknowledges its source once we return: wait until the brokers have every message
   (each fails at delivery_timeout at the latest; once stopping, flush_timeout more at most). A
   message that failed, or that is still undelivered then, was not written: the source must
   keep it (ofd_segment_not_through stops the pipeline; the next start reads it again). */
static void kp_deliver(struct ofd_segment *seg, struct kp_state *s, uint64_t failed0)
{
	uint64_t give_up = 0;
	while (rd_kafka_outq_len(s->rk) > 0) {
		if (ofd_segment_stopping(seg)) {
			uint64_t now = ofd_time_mono_ns();
			if (!give_up)
				give_up = now + s->flush_timeout_ns;
			else if (now >= give_up)
				break;
		}
		(void)rd_kafka_flush(s->rk, 100);
	}
	if (atomic_load(&s->nfailed) == failed0 && rd_kafka_outq_len(s->rk) == 0)
		return;
	ofd_seg_log(seg, OFD_LOG_ERR,
		    "records not delivered while the input acknowledges its source: stopping, nothing from "
		    "here on is acknowledged (it will be read again)");
	ofd_segment_not_through(seg);
}

/* Produce one message, waiting while the queue is full: 1 produced, 0 failed (counted). */
static int produce_one(struct kp_state *s, rd_kafka_topic_t *rkt, const void *msg, size_t len,
		       const void *key, size_t klen, uint64_t *full)
{
	int counted = 0;
	while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)msg, len,
				(void *)key, klen, NULL) == -1) {
		rd_kafka_resp_err_t e = rd_kafka_last_error();
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fail_one(s, rd_kafka_err2str(e), rd_kafka_topic_name(rkt));
			return 0;
		}
		if (!counted++) /* back-pressure: wait for deliveries to make room */
			(*full)++;
		rd_kafka_poll(s->rk, 100);
	}
	return 1;
}

/* The run's n messages in produce_batch() calls (one lock and one partitioner pass per call
   instead of per message), each waiting first until the queue has room for all of it: a queue
   that fills part-way would take later messages before earlier ones (the byte bound can still
   do that; those messages go one by one). Returns the messages produced. */
static uint64_t produce_run(struct kp_state *s, rd_kafka_topic_t *rkt, unsigned n, uint64_t *full)
{
	uint64_t done = 0;
	unsigned step = s->queue / 4 ? (unsigned)(s->queue / 4 < n ? s->queue / 4 : n) : 1;
	for (unsigned off = 0; off < n;) {
		unsigned k = n - off < step ? n - off : step;
		int counted = 0;
		while ((uint64_t)rd_kafka_outq_len(s->rk) + k > s->queue) {
			if (!counted++)
				(*full)++;
			rd_kafka_poll(s->rk, 100);
		}
		rd_kafka_message_t *m = s->run + off;
		int got = rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, m, (int)k);
		done += got > 0 ? (uint64_t)got : 0;
		for (unsigned i = 0; got != (int)k && i < k; i++) {
			if (!m[i].err)
				continue;
			if (m[i].err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				done += (uint64_t)produce_one(s, rkt, m[i].payload, m[i].len, m[i].key,
							      m[i].key_len, full);
			else
				fail_one(s, rd_kafka_err2str(m[i].err), rd_kafka_topic_name(rkt));
		}
		off += k;
	}
	return done;
}

static void kp_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct kp_state *s = state;
	uint8_t key[KEY_MAX];
	uint64_t produced = 0, full = 0;
	unsigned nrun = 0;
	size_t used = 0;
	/* one topic: the batch's messages in runs (per-record topics go one by one: a cached topic
	   handle may be evicted while a run would still point at it) */
	int batched = s->suffix_id < 0 && s->format == 0;
	uint64_t failed0 = atomic_load(&s->nfailed);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (i + 2 < b->n) /* the records came from another thread: their lines are not here yet */
			__builtin_prefetch(&b->flows[i + 2]);
		rd_kafka_topic_t *rkt = topic_of(s, f);
		if (!rkt) {
			fail_one(s, "the topic name (topic-suffix) is too long or refused", s->topic);
			continue;
		}
		if (batched) {
			if (RUN_BYTES - used < OFD_PB_MAX + KEY_MAX) {
				produced += produce_run(s, rkt, nrun, &full);
				nrun = 0;
				used = 0;
			}
			size_t len;
			uint8_t *p = pb_message(s, f, s->runbuf + used, &len);
			if (!len) {
				fail_one(s, "the record does not encode", s->topic);
				continue;
			}
			size_t klen = s->nkey ? key_bytes(s, f, p + len) : 0;
			s->run[nrun++] = (rd_kafka_message_t){
			    .payload = p, .len = len, .key = klen ? p + len : NULL, .key_len = klen};
			used = (size_t)(p + len + klen - s->runbuf);
			continue;
		}
		size_t len, klen = s->nkey ? key_bytes(s, f, key) : 0;
		const void *msg = encode(s, f, &len);
		if (!len) {
			fail_one(s, "the record does not encode", rd_kafka_topic_name(rkt));
			continue;
		}
		produced += (uint64_t)produce_one(s, rkt, msg, len, klen ? key : NULL, klen, &full);
	}
	if (nrun)
		produced += produce_run(s, s->rkt, nrun, &full);
	if (produced)
		ofd_segment_count(seg, C_PRODUCED, produced);
	if (full)
		ofd_segment_count(seg, C_QUEUE_FULL, full);
	if (ofd_segment_acking(seg))
		kp_deliver(seg, s, failed0);
	else
		rd_kafka_poll(s->rk, 0);
}

static void kp_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct kp_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &kp_metrics[M_BYTES], NULL,
		       atomic_load_explicit(&s->acked_bytes, memory_order_relaxed));
	ofd_metric_put(sink, &kp_metrics[M_QUEUED], NULL,
		       atomic_load_explicit(&s->queued, memory_order_relaxed));
	ofd_metric_put(sink, &kp_metrics[M_TOPICS], NULL,
		       atomic_load_explicit(&s->topics, memory_order_relaxed));
}

/* The poller has flushed (and is joined) before this runs. */
static void kp_fini(struct ofd_segment *seg, void *state)
{
	struct kp_state *s = state;
	(void)seg;
	if (s->slots) {
		for (unsigned i = 0; i < SLOTS; i++)
			if (s->slots[i].rkt)
				rd_kafka_topic_destroy(s->slots[i].rkt);
		free(s->slots);
	}
	if (s->rkt)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk)
		rd_kafka_destroy(s->rk);
	if (s->wbuf_inited) {
		s->w.len = 0; /* nothing to flush: the buffer only renders */
		ofd_wbuf_fini(&s->w);
	}
	free(s->buf);
	free(s->runbuf);
	free(s->run);
	if (s->logmu_inited)
		pthread_mutex_destroy(&s->logmu);
}

const struct ofd_segment_type ofd_seg_kafkaproducer = {
    OFD_SEGMENT_VERSION,
    .name = "kafkaproducer",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary =
	"produce every record to Kafka as flowpipeline's EnrichedFlow protobuf (or goflow2's "
	"FlowMessage, or JSON), optionally one topic per value of a field (flowpipeline's kafkaproducer)",
    .state_size = sizeof(struct kp_state),
    .config = kp_keys,
    .check = kp_check,
    .counters = kp_counters,
    .metrics = kp_metrics,
    .collect = kp_collect,
    .init = kp_init,
    .process = kp_process,
    .fini = kp_fini,
};
