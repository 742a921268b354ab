/*
 * bench_kafka: bare librdkafka loops, the yardstick for the kafkaproducer/kafkaconsumer
 * segments (bench/kafka_stage.sh runs them against kafka_mock in one run).
 *
 *   bench_kafka fetch ADDR TOPIC N FILE     read N messages of TOPIC (from the start) into FILE
 *                                           (each: u32 length, little endian, then the bytes)
 *   bench_kafka produce ADDR TOPIC FILE [REPEAT] [COMPRESSION]
 *                                           produce FILE's messages REPEAT times (default 1),
 *                                           RD_KAFKA_MSG_F_COPY, polling, flush; compression
 *                                           default none; same queue/linger/acks as the segment
 *   bench_kafka consume ADDR TOPIC N        read N messages (from the start; 0: all the topic
 *                                           holds), touch each
 *   bench_kafka count ADDR TOPIC            print how many messages the topic holds
 *   bench_kafka lines FILE OUT              write FILE's messages to OUT as base64 lines (for
 *                                           kcat -P: 4/3 of their size)
 *
 * produce and consume print one line:
 *   BENCH op=OP records=N bytes=B cpu_s=C wall_s=W rate_cpu=R (records per CPU-second)
 * with the CPU time of this process (getrusage: librdkafka's threads included).
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct msgs {
	uint8_t *data;
	size_t len;
	size_t *off, n, cap;
};

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_kafka: %s: %s\n", what, why);
	exit(1);
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *addr, const char *compression)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	const char *kv[][2] = {
	    {"bootstrap.servers", addr},
	    {"log_level", "3"},
	    {type == RD_KAFKA_PRODUCER ? "acks" : "group.id",
	     type == RD_KAFKA_PRODUCER ? "1" : "bench_kafka"},
	    {type == RD_KAFKA_PRODUCER ? "compression.codec" : "enable.auto.commit",
	     type == RD_KAFKA_PRODUCER ? compression : "false"},
	    {type == RD_KAFKA_PRODUCER ? "linger.ms" : "auto.offset.reset",
	     type == RD_KAFKA_PRODUCER ? "50" : "earliest"},
	    {type == RD_KAFKA_PRODUCER ? "queue.buffering.max.messages" : "fetch.wait.max.ms",
	     type == RD_KAFKA_PRODUCER ? "100000" : "10"},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (rd_kafka_conf_set(c, kv[i][0], kv[i][1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
			die(kv[i][0], err);
	rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof(err));
	if (!rk)
		die("rd_kafka_new", err);
	return rk;
}

static void count_only(void *ctx, const rd_kafka_message_t *m)
{
	(void)ctx, (void)m;
}

/* Consume n messages of topic from the start (0: all it holds, *(size_t *)nout set when not
   NULL); fn(ctx, msg) for each; fn count_only: count, consume nothing. Returns bytes. */
static uint64_t consume_n(const char *addr, const char *topic, size_t n,
			  void (*fn)(void *ctx, const rd_kafka_message_t *m), void *ctx, size_t *nout)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, addr, NULL);
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err)
		die(topic, "no metadata");
	int parts = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	if (!n) /* all the topic holds: the mock keeps about 5 MB per partition, older ones go */
		for (int p = 0; p < parts; p++) {
			int64_t lo, hi;
			if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000))
				die(topic, "no watermarks");
			n += (size_t)(hi - lo);
		}
	if (fn == count_only) {
		*(size_t *)ctx = n;
		rd_kafka_destroy(rk);
		return 0;
	}
	if (nout)
		*nout = n;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	if (rd_kafka_assign(rk, l))
		die(topic, "assign failed");
	rd_kafka_topic_partition_list_destroy(l);
	size_t got = 0;
	uint64_t bytes = 0;
	double idle_since = wall_now();
	while (got < n) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m) {
			if (wall_now() - idle_since > 30)
				die(topic, "no message for 30 s");
			continue;
		}
		idle_since = wall_now();
		if (!m->err) {
			got++;
			bytes += m->len;
			if (fn)
				fn(ctx, m);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return bytes;
}

static void add_msg(void *ctx, const rd_kafka_message_t *m)
{
	FILE *f = ctx;
	uint8_t h[4] = {(uint8_t)m->len, (uint8_t)(m->len >> 8), (uint8_t)(m->len >> 16),
			(uint8_t)(m->len >> 24)};
	if (fwrite(h, 1, 4, f) != 4 || fwrite(m->payload, 1, m->len, f) != m->len)
		die("fetch", "write failed");
}

static volatile uint8_t sink;
static void touch(void *ctx, const rd_kafka_message_t *m)
{
	(void)ctx;
	if (m->len)
		sink ^= ((const uint8_t *)m->payload)[m->len - 1];
}

static void load(const char *path, struct msgs *ms)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, "cannot open");
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	ms->data = malloc((size_t)sz + 1);
	if (!ms->data || fread(ms->data, 1, (size_t)sz, f) != (size_t)sz)
		die(path, "cannot read");
	fclose(f);
	ms->len = (size_t)sz;
	for (size_t o = 0; o + 4 <= ms->len;) {
		size_t l = (size_t)ms->data[o] | (size_t)ms->data[o + 1] << 8 |
			   (size_t)ms->data[o + 2] << 16 | (size_t)ms->data[o + 3] << 24;
		if (o + 4 + l > ms->len)
			die(path, "truncated");
		if (ms->n == ms->cap) {
			ms->cap = ms->cap ? ms->cap * 2 : 1024;
			ms->off = realloc(ms->off, ms->cap * sizeof(*ms->off));
			if (!ms->off)
				die(path, "out of memory");
		}
		ms->off[ms->n++] = o;
		o += 4 + l;
	}
}

static size_t msg_len(const struct msgs *ms, size_t i, const uint8_t **p)
{
	const uint8_t *h = ms->data + ms->off[i];
	*p = h + 4;
	return (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
}

static void report(const char *op, size_t n, uint64_t bytes, double cpu, double wall)
{
	printf("BENCH op=%s records=%zu bytes=%llu cpu_s=%.3f wall_s=%.3f rate_cpu=%.0f\n", op, n,
	       (unsigned long long)bytes, cpu, wall, cpu > 0 ? (double)n / cpu : 0.0);
}

static int produce(const char *addr, const char *topic, const char *file, long repeat, const char *comp)
{
	struct msgs ms = {0};
	load(file, &ms);
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, addr, comp);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	uint64_t bytes = 0;
	size_t n = 0;
	double c0 = cpu_now(), w0 = wall_now();
	for (long r = 0; r < repeat; r++)
		for (size_t i = 0; i < ms.n; i++) {
			const uint8_t *p;
			size_t l = msg_len(&ms, i, &p);
			while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)p, l,
						NULL, 0, NULL) == -1) {
				if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
					die("produce", rd_kafka_err2str(rd_kafka_last_error()));
				rd_kafka_poll(rk, 10);
			}
			bytes += l;
			n++;
			rd_kafka_poll(rk, 0);
		}
	if (rd_kafka_flush(rk, 60000))
		die("flush", "timed out");
	report("produce", n, bytes, cpu_now() - c0, wall_now() - w0);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	free(ms.data);
	free(ms.off);
	return 0;
}

/* FILE's messages as base64 lines (kcat -P splits its input at a one-byte delimiter, and
   every byte value occurs in our messages) */
static int lines(const char *file, const char *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct msgs ms = {0};
	load(file, &ms);
	FILE *f = fopen(out, "wb");
	if (!f)
		die(out, "cannot open");
	for (size_t i = 0; i < ms.n; i++) {
		const uint8_t *p;
		size_t l = msg_len(&ms, i, &p);
		for (size_t k = 0; k < l; k += 3) {
			uint32_t v = (uint32_t)p[k] << 16 | (k + 1 < l ? (uint32_t)p[k + 1] << 8 : 0) |
				     (k + 2 < l ? p[k + 2] : 0);
			char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], k + 1 < l ? b64[(v >> 6) & 63] : '=',
				     k + 2 < l ? b64[v & 63] : '='};
			if (fwrite(q, 1, 4, f) != 4)
				die(out, "write failed");
		}
		if (fputc('\n', f) == EOF)
			die(out, "write failed");
	}
	fclose(f);
	free(ms.data);
	free(ms.off);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "fetch") == 0) {
		FILE *f = fopen(argv[5], "wb");
		if (!f)
			die(argv[5], "cannot open");
		consume_n(argv[2], argv[3], strtoul(argv[4], NULL, 10), add_msg, f, NULL);
		return fclose(f) ? 1 : 0;
	}
	if (argc >= 5 && argc <= 7 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], argv[4], argc > 5 ? strtol(argv[5], NULL, 10) : 1,
			       argc > 6 ? argv[6] : "none");
	if (argc == 5 && strcmp(argv[1], "consume") == 0) {
		size_t n = strtoul(argv[4], NULL, 10);
		double c0 = cpu_now(), w0 = wall_now();
		uint64_t bytes = consume_n(argv[2], argv[3], n, touch, NULL, &n);
		report("consume", n, bytes, cpu_now() - c0, wall_now() - w0);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "count") == 0) {
		size_t n = 0;
		consume_n(argv[2], argv[3], 0, count_only, &n, NULL);
		printf("%zu\n", n);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "lines") == 0)
		return lines(argv[2], argv[3]);
	fprintf(stderr, "usage: bench_kafka fetch ADDR TOPIC N FILE | produce ADDR TOPIC FILE [REPEAT] "
			"[COMPRESSION] | consume ADDR TOPIC N | count ADDR TOPIC | lines FILE OUT\n");
	return 2;
}
