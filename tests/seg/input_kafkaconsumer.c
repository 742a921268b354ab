/*
 * kafkaconsumer (src/segments/input/kafkaconsumer*.c) through the segment test harness
 * (include/ofd/harness.h) against librdkafka's mock cluster, in this process: messages produced
 * with a plain librdkafka producer (protobuf from ofd_pb_encode, hand-built goflow2 messages,
 * JSON lines, a malformed one), consumed by the segment in a real pipeline whose sink hands every
 * batch to the test; the committed offsets of the group read back with rd_kafka_committed.
 * Run as the ctest seg_kafkaconsumer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../unit/logcap.h"
#include "format/flowpb.h"
#include "ofd/harness.h"
#include "ofd/time.h"

extern const struct ofd_segment_type ofd_seg_kafkaconsumer;

#define MAXREC	256
#define WAIT_NS (30 * 1000000000ull)

/* The cluster and a producer to it, for the whole run. */
static rd_kafka_t *mock_rk, *prod;
static rd_kafka_mock_cluster_t *mock;
static char boot[256];

/* What the sink handed over (on the pipeline's thread: under a lock). */
struct rec {
	uint64_t bytes, packets;
	uint16_t src_port;
	uint8_t proto;
};
struct seen {
	pthread_mutex_t mu;
	size_t n;
	struct rec r[MAXREC];
};

static void on_batch(void *ctx, const struct ofd_batch *b)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->mu);
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && s->n < MAXREC)
			s->r[s->n++] = (struct rec){b->flows[i].bytes, b->flows[i].packets,
						    b->flows[i].src_port, b->flows[i].proto};
	pthread_mutex_unlock(&s->mu);
}

static size_t seen_n(struct seen *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* Wait until at least n records arrived (or the deadline): how many did. */
static size_t wait_records(struct seen *s, size_t n, uint64_t ns)
{
	uint64_t until = ofd_time_mono_ns() + ns;
	while (seen_n(s) < n && ofd_time_mono_ns() < until)
		(void)poll(NULL, 0, 10);
	return seen_n(s);
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	(void)rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	if (!mock_rk)
		return -1;
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	if (!mock)
		return -1;
	snprintf(boot, sizeof(boot), "%s", rd_kafka_mock_cluster_bootstraps(mock));
	c = rd_kafka_conf_new();
	if (rd_kafka_conf_set(c, "bootstrap.servers", boot, err, sizeof(err)) ||
	    rd_kafka_conf_set(c, "linger.ms", "0", err, sizeof(err)))
		return -1;
	prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	return prod ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rd_kafka_destroy(prod);
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
	return 0;
}

static void topic(const char *name, int partitions)
{
	assert_int_equal(rd_kafka_mock_topic_create(mock, name, partitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void produce(const char *t, int32_t part, const void *p, size_t n)
{
	rd_kafka_resp_err_t e = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(t), RD_KAFKA_V_PARTITION(part),
						  RD_KAFKA_V_VALUE((void *)(uintptr_t)p, n),
						  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(rd_kafka_flush(prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* An EnrichedFlow (or FlowMessage) of these values, encoded by our codec. */
static size_t encode(uint8_t *out, size_t cap, enum ofd_pb_schema sc, uint64_t bytes, uint64_t packets,
		     uint16_t sport)
{
	struct ofd_flow f;
	ofd_flow_zero(&f);
	f.bytes = bytes, f.packets = packets, f.src_port = sport, f.proto = 6;
	ofd_flow_set(&f, OFD_F_BYTES);
	ofd_flow_set(&f, OFD_F_PACKETS);
	ofd_flow_set(&f, OFD_F_SRC_PORT);
	ofd_flow_set(&f, OFD_F_PROTO);
	size_t n = ofd_pb_encode(&f, sc, out, cap);
	assert_true(n > 0);
	return n;
}

static void produce_flow(const char *t, int32_t part, uint64_t bytes, uint64_t packets, uint16_t sport)
{
	uint8_t buf[512];
	size_t n = encode(buf, sizeof(buf), OFD_PB_ENRICHED, bytes, packets, sport);
	produce(t, part, buf, n);
}

static struct ofd_harness *start(const char *config, struct seen *s)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, &ofd_seg_kafkaconsumer, config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(ofd_harness_start(h, on_batch, s), 0);
	return h;
}

/* The committed offset of (group, topic, partition), or a negative librdkafka offset. */
static int64_t committed(const char *group, const char *t, int32_t part)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", boot, err, sizeof(err)), RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(c, "group.id", group, err, sizeof(err)), RD_KAFKA_CONF_OK);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	assert_non_null(rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, t, part);
	assert_int_equal(rd_kafka_committed(rk, l, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
	int64_t off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return off;
}

#define CFG(extra)                                                                                           \
	"{server: '%s', tls: false, auth: false, "                                                           \
	"properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}, " extra "}"

/* Protobuf EnrichedFlow messages with a malformed one between: values, counters, commits; a
   second run of the group resumes after the committed offset. */
static void test_protobuf_and_commit(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_pb", 1);
	for (int i = 0; i < 3; i++)
		produce_flow("t_pb", 0, 100 + (uint64_t)i, 1 + (uint64_t)i, (uint16_t)(1000 + i));
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	produce("t_pb", 0, junk, sizeof(junk));
	for (int i = 3; i < 5; i++)
		produce_flow("t_pb", 0, 100 + (uint64_t)i, 1 + (uint64_t)i, (uint16_t)(1000 + i));
	snprintf(cfg, sizeof(cfg), CFG("topic: t_pb, group: g_pb, startat: oldest, commitinterval: 50ms"),
		 boot);
	struct ofd_harness *h = start(cfg, &s);
	assert_int_equal(wait_records(&s, 5, WAIT_NS), 5);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(s.r[i].bytes, 100 + i);
		assert_int_equal(s.r[i].packets, 1 + i);
		assert_int_equal(s.r[i].src_port, 1000 + i);
		assert_int_equal(s.r[i].proto, 6);
	}
	assert_int_equal(ofd_harness_counter(h, "messages"), 6);
	assert_int_equal(ofd_harness_counter(h, "records"), 5);
	assert_int_equal(ofd_harness_counter(h, "decode_errors"), 1);
	assert_int_equal(ofd_harness_counter(h, "consumer_errors"), 0);
	ofd_harness_free(h); /* fini(): the final, synchronous commit */
	assert_int_equal(committed("g_pb", "t_pb", 0), 6);

	/* the group again: only what came after its committed offset */
	produce_flow("t_pb", 0, 777, 7, 7);
	struct seen s2 = {.mu = PTHREAD_MUTEX_INITIALIZER};
	h = start(cfg, &s2);
	assert_int_equal(wait_records(&s2, 1, WAIT_NS), 1);
	/* committed while running, once through (commitinterval) */
	uint64_t until = ofd_time_mono_ns() + WAIT_NS;
	while (ofd_harness_counter(h, "commits") < 1 && ofd_time_mono_ns() < until)
		(void)poll(NULL, 0, 10);
	assert_int_equal(ofd_harness_counter(h, "commits"), 1);
	assert_int_equal(committed("g_pb", "t_pb", 0), 7);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s2.n, 1);
	assert_int_equal(s2.r[0].bytes, 777);
	assert_int_equal(ofd_harness_counter(h, "commit_failures"), 0);
	ofd_harness_free(h);
	assert_int_equal(committed("g_pb", "t_pb", 0), 7);
}

/* format: json: our lines (two in one message) and flowpipeline's protojson. */
static void test_json(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_json", 1);
	const char *m1 =
	    "{\"bytes\":10,\"packets\":1,\"src_port\":53}\n{\"bytes\":20,\"packets\":2,\"src_port\":54}\n";
	const char *m2 = "{\"bytes\":\"30\",\"packets\":\"3\",\"srcPort\":55}"; /* protojson */
	const char *m3 = "not json";
	produce("t_json", 0, m1, strlen(m1));
	produce("t_json", 0, m3, strlen(m3));
	produce("t_json", 0, m2, strlen(m2));
	snprintf(cfg, sizeof(cfg), CFG("topic: t_json, group: g_json, startat: oldest, format: json"), boot);
	struct ofd_harness *h = start(cfg, &s);
	assert_int_equal(wait_records(&s, 3, WAIT_NS), 3);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(s.r[i].bytes, 10 * (i + 1));
		assert_int_equal(s.r[i].packets, i + 1);
		assert_int_equal(s.r[i].src_port, 53 + i);
	}
	assert_int_equal(ofd_harness_counter(h, "messages"), 3);
	assert_int_equal(ofd_harness_counter(h, "decode_errors"), 1);
	ofd_harness_free(h);
	assert_int_equal(committed("g_json", "t_json", 0), 3);
}

/* A goflow2 FlowMessage by hand: bytes (9), packets (10), proto (20), src_port (21). */
static size_t legacy_msg(uint8_t *o, uint8_t bytes, uint8_t packets, uint8_t sport)
{
	const uint8_t m[] = {0x48, bytes, 0x50, packets, 0xa0, 0x01, 17, 0xa8, 0x01, sport};
	memcpy(o, m, sizeof(m));
	return sizeof(m);
}

/* legacy: goflow2's messages, length-delimited (two in one message, -format=bin) and bare. */
static void test_legacy_delimited(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	uint8_t buf[64];
	size_t n = 0;
	topic("t_leg", 1);
	for (uint8_t i = 0; i < 2; i++) {
		buf[n] = 10; /* the length prefix */
		n += 1 + legacy_msg(buf + n + 1, (uint8_t)(40 + i), (uint8_t)(4 + i), (uint8_t)(80 + i));
	}
	produce("t_leg", 0, buf, n);
	n = legacy_msg(buf, 42, 6, 82);
	produce("t_leg", 0, buf, n);
	/* and one of our codec's, delimited */
	n = encode(buf + 1, sizeof(buf) - 1, OFD_PB_LEGACY, 43, 7, 83);
	assert_true(n < 128);
	buf[0] = (uint8_t)n;
	produce("t_leg", 0, buf, n + 1);
	snprintf(cfg, sizeof(cfg), CFG("topic: t_leg, group: g_leg, startat: oldest, legacy: true"), boot);
	struct ofd_harness *h = start(cfg, &s);
	assert_int_equal(wait_records(&s, 4, WAIT_NS), 4);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(s.r[i].bytes, 40 + i);
		assert_int_equal(s.r[i].packets, 4 + i);
		assert_int_equal(s.r[i].src_port, 80 + i);
	}
	assert_int_equal(s.r[0].proto, 17);
	assert_int_equal(ofd_harness_counter(h, "messages"), 3);
	assert_int_equal(ofd_harness_counter(h, "records"), 4);
	assert_int_equal(ofd_harness_counter(h, "decode_errors"), 0);
	ofd_harness_free(h);

	/* delimited: true refuses a bare message (its first byte, 0x48, is no length of the rest) */
	struct seen s2 = {.mu = PTHREAD_MUTEX_INITIALIZER};
	topic("t_leg2", 1);
	n = legacy_msg(buf, 50, 5, 90);
	produce("t_leg2", 0, buf, n);
	buf[0] = 10;
	n = 1 + legacy_msg(buf + 1, 51, 6, 91);
	produce("t_leg2", 0, buf, n);
	snprintf(cfg, sizeof(cfg),
		 CFG("topic: t_leg2, group: g_leg2, startat: oldest, legacy: true, delimited: true"), boot);
	h = start(cfg, &s2);
	assert_int_equal(wait_records(&s2, 1, WAIT_NS), 1);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s2.n, 1);
	assert_int_equal(s2.r[0].bytes, 51);
	assert_int_equal(ofd_harness_counter(h, "messages"), 2);
	assert_int_equal(ofd_harness_counter(h, "decode_errors"), 1);
	ofd_harness_free(h);
}

/* startat: newest skips what the topic held; oldest (another group) starts at the beginning. */
static void test_startat(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_start", 1);
	for (int i = 0; i < 3; i++)
		produce_flow("t_start", 0, 1 + (uint64_t)i, 1, 1);
	snprintf(cfg, sizeof(cfg), CFG("topic: t_start, group: g_new"), boot);
	struct ofd_harness *h = start(cfg, &s);
	/* new messages until one arrives: the consumer has found its starting point by then */
	for (uint64_t k = 0; k < 60 && wait_records(&s, 1, 500000000ull) == 0; k++)
		produce_flow("t_start", 0, 1000 + k, 1, 1);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_true(s.n >= 1);
	for (size_t i = 0; i < s.n; i++)
		assert_true(s.r[i].bytes >= 1000);
	ofd_harness_free(h);

	struct seen s2 = {.mu = PTHREAD_MUTEX_INITIALIZER};
	snprintf(cfg, sizeof(cfg), CFG("topic: t_start, group: g_old, startat: oldest"), boot);
	h = start(cfg, &s2);
	assert_true(wait_records(&s2, 3, WAIT_NS) >= 3);
	assert_int_equal(ofd_harness_stop(h), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(s2.r[i].bytes, 1 + i);
	ofd_harness_free(h);
}

static uint64_t wait_metric(struct ofd_harness *h, const char *family, uint64_t want)
{
	uint64_t until = ofd_time_mono_ns() + WAIT_NS;
	while (ofd_harness_metric(h, family, NULL) != want && ofd_time_mono_ns() < until)
		(void)poll(NULL, 0, 10);
	return ofd_harness_metric(h, family, NULL);
}

/* Records with bytes 1..n arrived: each exactly once, or, when the group took partitions away
   without a revocation (a consumer's assignment lost: a commit or heartbeat refused under load),
   each at least once: their uncommitted messages come again, as at-least-once promises. */
static void assert_every_once(struct seen *s, unsigned n, uint64_t lost)
{
	unsigned char times[64] = {0};
	assert_true(n < sizeof(times));
	for (size_t i = 0; i < s->n; i++) {
		assert_true(s->r[i].bytes >= 1 && s->r[i].bytes <= n);
		times[s->r[i].bytes]++;
	}
	for (unsigned v = 1; v <= n; v++)
		assert_true(lost ? times[v] >= 1 : times[v] == 1);
	if (lost)
		print_message("partitions lost (%llu): %zu records for %u messages\n",
			      (unsigned long long)lost, s->n, n);
}

/* workers: two consumers of the group share four partitions (cooperative-sticky); every message
   arrives once (at least once after a lost assignment) and every partition's offset is
   committed. A topic list too. */
static void test_workers(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_w1", 4);
	topic("t_w2", 1);
	for (int i = 0; i < 40; i++)
		produce_flow("t_w1", i % 4, 1 + (uint64_t)i, 1, 1);
	produce_flow("t_w2", 0, 41, 1, 1);
	snprintf(cfg, sizeof(cfg), CFG("topic: [t_w1, 't_w2'], group: g_w, startat: oldest, workers: 2"),
		 boot);
	struct ofd_harness *h = start(cfg, &s);
	assert_true(wait_records(&s, 41, WAIT_NS) >= 41);
	assert_int_equal(wait_metric(h, "kafkaconsumer_assigned_partitions", 5), 5);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_every_once(&s, 41, ofd_harness_counter(h, "partitions_lost"));
	ofd_harness_free(h);
	for (int p = 0; p < 4; p++)
		assert_int_equal(committed("g_w", "t_w1", p), 10);
	assert_int_equal(committed("g_w", "t_w2", 0), 1);
}

/* A rebalance: a second instance joins the group; the first commits what it consumed before it
   gives a partition up, so the newcomer starts after it (nothing consumed twice). */
static void test_revoke_commits(void **state)
{
	(void)state;
	struct seen a = {.mu = PTHREAD_MUTEX_INITIALIZER}, b = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_rb", 2);
	for (int i = 0; i < 10; i++)
		produce_flow("t_rb", i % 2, 1 + (uint64_t)i, 1, 1);
	snprintf(cfg, sizeof(cfg), CFG("topic: t_rb, group: g_rb, startat: oldest, commitinterval: 60s"),
		 boot);
	struct ofd_harness *ha = start(cfg, &a);
	assert_int_equal(wait_records(&a, 10, WAIT_NS), 10);
	struct ofd_harness *hb = start(cfg, &b);
	assert_int_equal(wait_metric(hb, "kafkaconsumer_assigned_partitions", 1), 1);
	assert_int_equal(wait_metric(ha, "kafkaconsumer_assigned_partitions", 1), 1);
	/* not the periodic commit (60 s): the one on revocation (tried again when the broker answers
	   "rebalance in progress", so it may land a little after the assignment) */
	int64_t sum = 0;
	for (uint64_t t0 = ofd_time_mono_ns(); ofd_time_mono_ns() - t0 < WAIT_NS; poll(NULL, 0, 10))
		if ((sum = committed("g_rb", "t_rb", 0) + committed("g_rb", "t_rb", 1)) == 10)
			break;
	assert_int_equal(sum, 10);
	produce_flow("t_rb", 0, 100, 1, 1);
	produce_flow("t_rb", 1, 101, 1, 1);
	assert_int_equal(wait_records(&b, 1, WAIT_NS), 1);
	assert_int_equal(wait_records(&a, 11, WAIT_NS), 11);
	assert_int_equal(b.n, 1);
	assert_true(b.r[0].bytes == 100 || b.r[0].bytes == 101);
	assert_int_equal(a.r[10].bytes, b.r[0].bytes == 100 ? 101 : 100);
	/* the first leaves while the second runs (which then takes both partitions over) */
	assert_int_equal(ofd_harness_stop(ha), 0);
	ofd_harness_free(ha);
	assert_int_equal(wait_metric(hb, "kafkaconsumer_assigned_partitions", 2), 2);
	assert_int_equal(ofd_harness_stop(hb), 0);
	assert_int_equal(b.n, 1); /* nothing again */
	ofd_harness_free(hb);
	assert_int_equal(committed("g_rb", "t_rb", 0), 6);
	assert_int_equal(committed("g_rb", "t_rb", 1), 6);
}

/* commit: false: librdkafka's auto commit; the records still arrive. */
static void test_autocommit(void **state)
{
	(void)state;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	char cfg[512];
	topic("t_auto", 1);
	produce_flow("t_auto", 0, 5, 1, 1);
	snprintf(cfg, sizeof(cfg),
		 CFG("topic: 't_auto,t_none', group: g_auto, startat: oldest, commit: false"), boot);
	struct ofd_harness *h = start(cfg, &s);
	assert_int_equal(wait_records(&s, 1, WAIT_NS), 1);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(s.r[0].bytes, 5);
	assert_int_equal(ofd_harness_counter(h, "commits"), 0);
	ofd_harness_free(h);
}

static void refused(const char *cfg, const char *want)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_kafkaconsumer, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	if (!strstr(err, want))
		print_error("got: %s\nwant: %s\n", err, want);
	assert_non_null(strstr(err, want));
}

/* The config with the cluster's address for its %s. */
#define REFUSED(config, want)                                                                                \
	do {                                                                                                 \
		char c_[512];                                                                                \
		snprintf(c_, sizeof(c_), config, boot);                                                      \
		refused(c_, want);                                                                           \
	} while (0)

static void test_config_refused(void **state)
{
	(void)state;
	refused("{topic: t, group: g}", "key server");
	REFUSED("{server: '%s', group: g}", "key topic");
	REFUSED("{server: '%s', topic: t}", "key group");
	REFUSED("{server: '%s', topic: ' , ', group: g, auth: false}", "no topic given");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, strategy: 'sticky,fair'}",
		"unknown strategy 'fair' (sticky, roundrobin, range)");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, strategy: ''}", "no strategy given");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, startat: middle}", "key startat");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, format: xml}", "key format");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, workers: 0}", "key workers");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, timeout: 10ms}", "key timeout");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, properties: {no.such.thing: 1}}",
		"key properties: librdkafka setting no.such.thing: No such configuration property");
	REFUSED("{server: '%s', topic: t, group: g, auth: false, properties: [a]}", "key properties: a map");
	/* at start (init), not by check(): --check often runs where the secret is unset */
	logcap_start();
	REFUSED("{server: '%s', topic: t, group: g, user: u}",
		"segment kafkaconsumer: init failed: configuration error");
	logcap_stop();
	assert_non_null(strstr(logcap_buf, "segment kafkaconsumer: auth is true but pass is empty"));
}

/* Accepted: flowpipeline's full example (auth and tls as it writes them, strategy list, version). */
static void test_config_flowpipeline(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "", cfg[512];
	snprintf(cfg, sizeof(cfg),
		 "{server: '%s', topic: t_fp, group: g_fp, user: me, pass: secret, tls: false, auth: false, "
		 "startat: newest, kafka-version: 3.8.0, timeout: 15s, strategy: 'roundrobin,sticky', "
		 "properties: {fetch.wait.max.ms: 50}}",
		 boot);
	logcap_start();
	int rc = ofd_harness_new(&h, &ofd_seg_kafkaconsumer, cfg, err, sizeof(err));
	logcap_stop();
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	/* sticky cannot join roundrobin in librdkafka (cooperative vs eager): left out, said so */
	assert_non_null(strstr(logcap_buf, "key strategy: sticky left out"));
	assert_non_null(strstr(logcap_buf, ", strategy roundrobin, commit when through"));
	ofd_harness_free(h);
	snprintf(cfg, sizeof(cfg),
		 "{server: '%s', topic: t_fp, group: g_fp2, tls: false, auth: false, strategy: 'range, "
		 "roundrobin'}",
		 boot);
	logcap_start();
	rc = ofd_harness_new(&h, &ofd_seg_kafkaconsumer, cfg, err, sizeof(err));
	logcap_stop();
	assert_int_equal(rc, 0);
	assert_non_null(strstr(logcap_buf, ", strategy range,roundrobin, commit when through"));
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_refused),
	    cmocka_unit_test(test_config_flowpipeline),
	    cmocka_unit_test(test_protobuf_and_commit),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_legacy_delimited),
	    cmocka_unit_test(test_startat),
	    cmocka_unit_test(test_workers),
	    cmocka_unit_test(test_revoke_commits),
	    cmocka_unit_test(test_autocommit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
