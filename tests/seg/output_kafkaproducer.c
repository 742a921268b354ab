/*
 * kafkaproducer (src/segments/output/kafkaproducer.c) against librdkafka's mock cluster, in
 * process but over real TCP on 127.0.0.1: records with concrete values are produced through the
 * harness, read back with a plain librdkafka consumer, decoded (ofd_pb_decode) and compared;
 * topicsuffix; the key (one key, one partition); the json format; delivery failures counted
 * (a broker set down, a short delivery_timeout); config refusals. Run as the ctest
 * seg_kafkaproducer. Waits are polls with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

#include "format/flowpb.h"
#include "ofd/harness.h"
#include "ofd/time.h"

extern const struct ofd_segment_type ofd_seg_kafkaproducer;

#define DEADLINE_MS 20000u
#define MSGS_MAX    64

struct mock {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	char addr[256];
};

static void mock_start(struct mock *m, int brokers)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	assert_int_equal(rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err)), RD_KAFKA_CONF_OK);
	m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	assert_non_null(m->rk);
	m->mc = rd_kafka_mock_cluster_new(m->rk, brokers);
	assert_non_null(m->mc);
	snprintf(m->addr, sizeof(m->addr), "%s", rd_kafka_mock_cluster_bootstraps(m->mc));
}

static void mock_stop(struct mock *m)
{
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->rk);
}

/* An instance with config, or fail. */
static struct ofd_harness *open_cfg(const char *config)
{
	char err[512] = "";
	struct ofd_harness *h = NULL;
	int rc = ofd_harness_new(&h, &ofd_seg_kafkaproducer, config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return h;
}

/* An instance with config, a format with one %s: the mock's address. */
#define open_seg(fmt, addr)                                                                                  \
	({                                                                                                   \
		char cfg_[1024];                                                                             \
		snprintf(cfg_, sizeof(cfg_), fmt, addr);                                                     \
		open_cfg(cfg_);                                                                              \
	})

/* Wait until counter reaches want (the poller thread serves delivery reports). */
static void wait_counter(struct ofd_harness *h, const char *name, uint64_t want)
{
	uint64_t end = ofd_time_mono_ns() + DEADLINE_MS * 1000000ull;
	while (ofd_harness_counter(h, name) < want && ofd_time_mono_ns() < end) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(ofd_harness_counter(h, name), want);
}

struct msg {
	int32_t partition;
	size_t len, klen;
	uint8_t buf[4096];
	uint8_t key[256];
};

/* Read want messages of topic (parts partitions, from the start) into out, with a deadline. */
static size_t consume(const char *addr, const char *topic, int parts, struct msg *out, size_t want)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", addr, err, sizeof(err)), RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err)), RD_KAFKA_CONF_OK);
	/* assign() needs a group id; nothing is committed */
	assert_int_equal(rd_kafka_conf_set(c, "group.id", "seg_test", err, sizeof(err)), RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	assert_non_null(rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	assert_int_equal(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	size_t n = 0;
	uint64_t end = ofd_time_mono_ns() + DEADLINE_MS * 1000000ull;
	while (n < want && ofd_time_mono_ns() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err && n < MSGS_MAX) {
			assert_true(m->len <= sizeof(out[n].buf) && m->key_len <= sizeof(out[n].key));
			out[n].partition = m->partition;
			out[n].len = m->len;
			out[n].klen = m->key_len;
			memcpy(out[n].buf, m->payload, m->len);
			if (m->key_len)
				memcpy(out[n].key, m->key, m->key_len);
			n++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return n;
}

/* Record i of a test batch: concrete, distinct values. */
static void fill(struct ofd_flow *f, unsigned i)
{
	ofd_ip_set4u(&f->src_addr, 0xc0000201u + i); /* 192.0.2.1 + i */
	ofd_ip_set4u(&f->dst_addr, 0xc6336401u);     /* 198.51.100.1 */
	f->src_port = (uint16_t)(40000 + i);
	f->dst_port = 443;
	f->proto = 6;
	f->bytes = 1000u * (i + 1);
	f->packets = i + 1;
	f->src_as = 65000 + i;
	ofd_flow_set(f, OFD_F_SRC_ADDR);
	ofd_flow_set(f, OFD_F_DST_ADDR);
	ofd_flow_set(f, OFD_F_SRC_PORT);
	ofd_flow_set(f, OFD_F_DST_PORT);
	ofd_flow_set(f, OFD_F_PROTO);
	ofd_flow_set(f, OFD_F_BYTES);
	ofd_flow_set(f, OFD_F_PACKETS);
	ofd_flow_set(f, OFD_F_SRC_AS);
}

static struct msg msgs[MSGS_MAX];

/* Message m decoded into f with schema sc: one length-delimited message filling it exactly
   (protodelim, the producer's default), or the bare message when `bare`. */
static void decode_msg(struct ofd_flow *f, const struct msg *m, enum ofd_pb_schema sc, int bare)
{
	const uint8_t *p = m->buf;
	size_t n = m->len, off = 0;
	if (!bare) {
		assert_int_equal(ofd_pb_next_delim(m->buf, m->len, &off, &p, &n), 1);
		assert_int_equal(off, m->len); /* the prefix frames the whole message */
	}
	assert_int_equal(ofd_pb_decode(f, p, n, sc, NULL, NULL), 0);
}

/* Three records produced, consumed, decoded: the values come back; counters and metrics. */
static void test_roundtrip(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "rt", 1, 1);
	struct ofd_harness *h =
	    open_seg("{server: \"%s\", topic: rt, tls: false, auth: false, compression: zstd}", m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (unsigned i = 0; i < 4; i++)
		fill(&b->flows[i], i);
	ofd_batch_kill(b, 3); /* not live: not produced */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 3); /* passed on */
	wait_counter(h, "acked", 3);
	assert_int_equal(ofd_harness_counter(h, "produced"), 3);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	assert_int_equal(ofd_harness_counter(h, "queue_full"), 0);
	assert_int_equal(consume(m->addr, "rt", 1, msgs, 3), 3);
	uint64_t bytes = 0;
	for (unsigned i = 0; i < 3; i++) {
		struct ofd_flow f;
		assert_int_equal(msgs[i].klen, 0); /* no key configured */
		decode_msg(&f, &msgs[i], OFD_PB_ENRICHED, 0);
		assert_int_equal(ofd_ip_v4(&f.src_addr), 0xc0000201u + i);
		assert_int_equal(ofd_ip_v4(&f.dst_addr), 0xc6336401u);
		assert_int_equal(f.src_port, 40000 + i);
		assert_int_equal(f.dst_port, 443);
		assert_int_equal(f.proto, 6);
		assert_int_equal(f.bytes, 1000u * (i + 1));
		assert_int_equal(f.packets, i + 1);
		assert_int_equal(f.src_as, 65000 + i);
		bytes += msgs[i].len;
	}
	assert_int_equal(ofd_harness_metric(h, "kafkaproducer_acked_bytes_total", NULL), bytes);
	ofd_harness_free(h);
}

/* legacy: goflow2's FlowMessage (gzip-compressed); the values come back through that schema. */
static void test_legacy(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "lg", 1, 1);
	struct ofd_harness *h = open_seg(
	    "{server: \"%s\", topic: lg, legacy: true, tls: false, auth: false, compression: gzip}", m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 5);
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 1);
	assert_int_equal(consume(m->addr, "lg", 1, msgs, 1), 1);
	struct ofd_flow f;
	decode_msg(&f, &msgs[0], OFD_PB_LEGACY, 0);
	assert_int_equal(ofd_ip_v4(&f.src_addr), 0xc0000206u);
	assert_int_equal(f.bytes, 6000);
	assert_int_equal(f.src_port, 40005);
	assert_int_equal(f.src_as, 65005);
	ofd_harness_free(h);
}

/* topicsuffix: SrcAs (by its snake_case name) picks the topic TOPIC-VALUE per record; bare
   messages with delimited: false. */
static void test_topicsuffix(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "sx-65000", 1, 1);
	rd_kafka_mock_topic_create(m->mc, "sx-65001", 1, 1);
	struct ofd_harness *h =
	    open_seg("{server: \"%s\", topic: sx, topicsuffix: src_as, tls: false, auth: false, "
		     "delimited: false}",
		     m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (unsigned i = 0; i < 5; i++)
		fill(&b->flows[i], i % 2); /* src_as 65000, 65001, 65000, 65001, 65000 */
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 5);
	assert_int_equal(ofd_harness_metric(h, "kafkaproducer_topics", NULL), 2);
	assert_int_equal(consume(m->addr, "sx-65000", 1, msgs, 3), 3);
	for (unsigned i = 0; i < 3; i++) {
		struct ofd_flow f;
		decode_msg(&f, &msgs[i], OFD_PB_ENRICHED, 1); /* delimited: false */
		assert_int_equal(f.src_as, 65000);
	}
	assert_int_equal(consume(m->addr, "sx-65001", 1, msgs, 2), 2);
	ofd_harness_free(h);
}

/* key: [SrcAddr, DstPort]: the messages of one key land in one partition, with that key. */
static void test_key_partition(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "kp", 8, 1);
	struct ofd_harness *h = open_seg("{server: \"%s\", topic: kp, key: [SrcAddr, dst_port], tls: false, "
					 "auth: false, compression: lz4}",
					 m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 40);
	for (unsigned i = 0; i < 40; i++) {
		fill(&b->flows[i], i % 4); /* four keys, ten records each */
		b->flows[i].bytes = i;
	}
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 40);
	assert_int_equal(consume(m->addr, "kp", 8, msgs, 40), 40);
	int32_t part_of[4] = {-1, -1, -1, -1};
	unsigned seen[4] = {0};
	for (unsigned i = 0; i < 40; i++) {
		struct ofd_flow f;
		decode_msg(&f, &msgs[i], OFD_PB_ENRICHED, 0);
		unsigned k = ofd_ip_v4(&f.src_addr) - 0xc0000201u;
		assert_true(k < 4);
		assert_int_equal(f.bytes % 4, k);
		assert_int_equal(msgs[i].klen, 17 + 2); /* struct ofd_ip, then the port */
		assert_memory_equal(msgs[i].key, &f.src_addr, 17);
		if (part_of[k] < 0)
			part_of[k] = msgs[i].partition;
		assert_int_equal(msgs[i].partition, part_of[k]);
		seen[k]++;
	}
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(seen[k], 10);
	ofd_harness_free(h);
}

/* format json: the json output's line, without its newline. */
static void test_json(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "js", 1, 1);
	struct ofd_harness *h =
	    open_seg("{server: \"%s\", topic: js, format: json, tls: false, auth: false}", m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 2);
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 1);
	assert_int_equal(consume(m->addr, "js", 1, msgs, 1), 1);
	msgs[0].buf[msgs[0].len] = '\0';
	const char *j = (const char *)msgs[0].buf;
	assert_int_equal(j[0], '{');
	assert_int_equal(j[msgs[0].len - 1], '}');
	assert_non_null(strstr(j, "\"bytes\":3000,"));
	assert_non_null(strstr(j, "\"src_addr\":\"192.0.2.3\""));
	assert_non_null(strstr(j, "\"dst_port\":443,"));
	ofd_harness_free(h);
}

/* A broker that is down: every message fails after delivery_timeout, counted and logged. */
static void test_delivery_failure(void **state)
{
	(void)state;
	struct mock m2;
	mock_start(&m2, 1);
	rd_kafka_mock_topic_create(m2.mc, "down", 1, 1);
	assert_int_equal(rd_kafka_mock_broker_set_down(m2.mc, 1), 0);
	struct ofd_harness *h = open_seg(
	    "{server: \"%s\", topic: down, tls: false, auth: false, delivery_timeout: 300ms}", m2.addr);
	struct ofd_batch *b = ofd_harness_batch(h, 6);
	for (unsigned i = 0; i < 6; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	wait_counter(h, "failed", 6);
	assert_int_equal(ofd_harness_counter(h, "produced"), 6);
	assert_int_equal(ofd_harness_counter(h, "acked"), 0);
	ofd_harness_free(h);
	mock_stop(&m2);
}

/* Produce requests the broker refuses with a retriable error are retried: acked in the end,
   the retries counted (from librdkafka's statistics, once a second). */
static void test_retries(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "rty", 1, 1);
	struct ofd_harness *h = open_seg("{server: \"%s\", topic: rty, tls: false, auth: false}", m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 0);
	/* ApiKey 0: Produce */
	rd_kafka_mock_push_request_errors(m->mc, 0, 2, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
					  RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 1);
	uint64_t end = ofd_time_mono_ns() + DEADLINE_MS * 1000000ull;
	while (ofd_harness_counter(h, "retries") < 2 && ofd_time_mono_ns() < end) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(ofd_harness_counter(h, "retries"), 2);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	ofd_harness_free(h);
}

/* A full queue blocks process() until deliveries make room: everything arrives. */
static void test_queue_full(void **state)
{
	struct mock *m = *state;
	rd_kafka_mock_topic_create(m->mc, "qf", 1, 1);
	struct ofd_harness *h =
	    open_seg("{server: \"%s\", topic: qf, queue: 5, linger: 1ms, tls: false, auth: false}", m->addr);
	struct ofd_batch *b = ofd_harness_batch(h, 50);
	for (unsigned i = 0; i < 50; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	wait_counter(h, "acked", 50);
	assert_true(ofd_harness_counter(h, "queue_full") > 0);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	ofd_harness_free(h);
}

static void refused(const char *config, const char *why)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_kafkaproducer, config, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	if (!strstr(err, why))
		print_error("got: %s\n", err);
	assert_non_null(strstr(err, why));
}

static void test_config(void **state)
{
	(void)state;
	refused("{topic: t}", "key server");
	refused("{server: x:9092, topic: t, compression: brotli}", "key compression");
	refused("{server: x:9092, topic: t, topicsuffix: NoSuchField}",
		"key topicsuffix: unknown field \"NoSuchField\"");
	refused("{server: x:9092, topic: t, topicsuffix: SrcAddr}",
		"key topicsuffix: field SrcAddr is not a number");
	refused("{server: x:9092, topic: t, key: [SrcAddr, Nope]}", "key key: ");
	refused("{server: x:9092, topic: t, auth: false, key: [SrcAddr, DstAddr, SrcPort, DstPort, Proto, "
		"Bytes, Packets, SrcAs, DstAs]}",
		"segment kafkaproducer");
	refused("{server: x:9092, topic: t, auth: false, properties: {no.such.thing: 1}}",
		"librdkafka setting no.such.thing");
	refused("{server: x:9092, topic: t, auth: false, properties: {linger.ms: many}}", "linger.ms");
	/* auth (the default) without a password: refused at start (init), not by check() */
	refused("{server: x:9092, topic: t, user: u}", "segment kafkaproducer");
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_kafkaproducer,
			    "{server: x:9092, topic: t, user: u, pass: p, tls: false, kafka-version: "
			    "2.4.0, topic-suffix: Cid, mechanism: SCRAM-SHA-512}",
			    err, sizeof(err)),
	    0);
	ofd_harness_free(h);
}

static int setup(void **state)
{
	static struct mock m;
	mock_start(&m, 1);
	*state = &m;
	return 0;
}

static int teardown(void **state)
{
	mock_stop(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),	cmocka_unit_test(test_legacy),
	    cmocka_unit_test(test_topicsuffix), cmocka_unit_test(test_key_partition),
	    cmocka_unit_test(test_json),	cmocka_unit_test(test_delivery_failure),
	    cmocka_unit_test(test_retries),	cmocka_unit_test(test_queue_full),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
