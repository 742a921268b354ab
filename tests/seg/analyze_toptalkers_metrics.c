/*
 * toptalkers_metrics and traffic_specific_toptalkers (src/segments/analyze/toptalkers_metrics.c)
 * on records built here. The proof of issue 16: an NTP reflection (three victims at known rates)
 * among background traffic and 100,000 spoofed one-packet flows; the gauges, read through the
 * harness and by scraping the segment's HTTP server on 127.0.0.1 with a real socket, name
 * exactly the victims above the threshold with rates within 1 %, and the tables stay within
 * maxmemory. Time is driven by tick(). Run as the ctest seg_toptalkers_metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "segments/analyze/toptalkers_metrics.h"
#include "segments/common/talkertab.h"
#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_toptalkers_metrics;
extern const struct ofd_segment_type ofd_seg_traffic_specific_toptalkers;

#define S	1000000000ull
#define T0	5000ull
#define SECONDS 10

/* Flows from src (u32) to dst (u32), udp src port sport, each of bytes and packets. */
static void flow(struct ofd_flow *f, uint32_t src, uint32_t dst, uint16_t sport, uint64_t bytes,
		 uint64_t packets)
{
	ofd_ip_set4u(&f->src_addr, src);
	ofd_ip_set4u(&f->dst_addr, dst);
	f->proto = 17;
	f->src_port = sport;
	f->dst_port = 40000;
	f->bytes = bytes;
	f->packets = packets;
}

/* The victims: 10.9.0.1..3 at 400, 200 and 120 Mbit/s of NTP responses (468-byte packets, a
   whole number of bytes and packets a second); 50 hosts of 10.8.0.0/24 at 8 Mbit/s of other
   traffic; 10,000 spoofed one-packet flows a second to as many addresses of 100.64.0.0/10. */
static const uint32_t victim[3] = {0x0a090001, 0x0a090002, 0x0a090003};
static const uint64_t victim_bps[3] = {400000000, 200000000, 120000000};

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void feed_second(struct ofd_harness *h, uint32_t second)
{
	/* per victim: 100 flows of bps/8/100 bytes, packets = bytes / 500 */
	struct ofd_batch *b = ofd_harness_batch(h, 300 + 50);
	uint32_t n = 0;
	for (int v = 0; v < 3; v++)
		for (int k = 0; k < 100; k++) {
			uint64_t by = victim_bps[v] / 8 / 100;
			flow(&b->flows[n], 0xc6336400 + (uint32_t)k, victim[v], 123, by, by / 500);
			/* three quarters forwarded (RFC 7270: 64), the rest unknown (0: "dropped", as
			   flowpipeline counts it); neither part of the third victim is above on its own */
			b->flows[n++].forwarding_status = k < 75 ? 64 : 0;
		}
	for (uint32_t k = 0; k < 50; k++)
		flow(&b->flows[n++], 0xc0a80001, 0x0a080000 + k, 123, 1000000, 1000);
	ofd_harness_process(h, b);
	for (uint32_t done = 0; done < 10000;) {
		uint32_t m = 10000 - done < OFD_BATCH_CAP ? 10000 - done : OFD_BATCH_CAP;
		b = ofd_harness_batch(h, m);
		for (uint32_t k = 0; k < m; k++) {
			uint32_t i = second * 10000 + done + k; /* 100,000 distinct over the 10 seconds */
			flow(&b->flows[k], 0x64400000 | (rnd() & 0x3fffff), 0x64400000 | i, 123, 80, 1);
		}
		ofd_harness_process(h, b);
		done += m;
	}
}

/* GET path from 127.0.0.1:port with a real socket; the whole answer (the server closes). */
static char *scrape(uint16_t port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char rq[256];
	int len =
	    snprintf(rq, sizeof(rq), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, rq, (size_t)len), len);
	size_t cap = 1 << 20, got = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 5000), 1); /* bounded wait */
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		assert_true(r >= 0);
		if (r == 0)
			break;
		got += (size_t)r;
		assert_true(got < cap - 1);
	}
	buf[got] = 0;
	close(fd);
	return buf;
}

/* The value of the sample line starting with prefix in text, or -1. */
static double sample(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	if (!p)
		return -1;
	return strtod(p + strlen(prefix), NULL);
}

static void assert_within_1pc(double got, double want)
{
	if (got < want * 0.99 || got > want * 1.01)
		fail_msg("%.0f is not within 1 %% of %.0f", got, want);
}

static void test_ntp_reflection(void **state)
{
	(void)state;
	const size_t budget = 4u << 20;
	struct ofd_harness *h =
	    st_open(&ofd_seg_toptalkers_metrics,
		    "{traffictype: ntp-reflection, endpoint: \"127.0.0.1:0\", buckets: 10, "
		    "bucketduration: 1, thresholdbps: 100000000, relevantaddress: destination, "
		    "maxmemory: 4M}");
	void *st = ofd_harness_state(h);
	assert_true(ttm_memory(st) <= budget);
	assert_true(ttm_memory(st) > budget - budget / 64); /* the budget used, not a power of two under it */
	ofd_harness_tick(h, T0 * S);
	for (uint32_t sec = 0; sec < SECONDS; sec++) {
		feed_second(h, sec);
		ofd_harness_tick(h, (T0 + sec + 1) * S);
	}
	/* through the harness: exactly three series, the victims */
	size_t n = 0;
	ofd_harness_metric_n(h, "toptalker_bps", NULL, &n);
	assert_int_equal(n, 3);
	for (int v = 0; v < 3; v++) {
		char a[32];
		snprintf(a, sizeof(a), "10.9.0.%d", v + 1);
		assert_within_1pc((double)ofd_harness_metric(h, "toptalker_bps", a), (double)victim_bps[v]);
		assert_within_1pc((double)ofd_harness_metric(h, "toptalker_pps", a),
				  (double)victim_bps[v] / 8 / 500);
	}
	assert_true(ofd_harness_metric(h, "toptalker_memory_bytes", NULL) <= budget);
	assert_true(ofd_harness_counter(h, "evicted") > 0); /* the flood did not fit: it churned */
	/* through the HTTP server */
	char *t = scrape(ttm_port(st), "/flowdata");
	assert_non_null(strstr(t, "HTTP/1.1 200"));
	for (int v = 0; v < 3; v++) { /* flowpipeline's families and labels */
		char pre[128];
		snprintf(pre, sizeof(pre),
			 "traffic_bps{traffic_type=\"ntp-reflection\",address=\"10.9.0.%d\","
			 "forwarding_status=\"forwarded\"} ",
			 v + 1);
		assert_within_1pc(sample(t, pre), (double)victim_bps[v] * 0.75);
		snprintf(pre, sizeof(pre),
			 "traffic_pps{traffic_type=\"ntp-reflection\",address=\"10.9.0.%d\","
			 "forwarding_status=\"dropped\"} ",
			 v + 1);
		assert_within_1pc(sample(t, pre), (double)victim_bps[v] * 0.25 / 8 / 500);
	}
	size_t lines = 0;
	for (const char *p = strstr(t, "\ntraffic_bps{"); p; p = strstr(p + 1, "\ntraffic_bps{"))
		lines++;
	assert_int_equal(lines, 6); /* forwarded and dropped of each victim */
	free(t);
	t = scrape(ttm_port(st), "/metrics");
	double mem = sample(t, "\noverflowd_toptalker_memory_bytes ");
	if (!(mem > 0 && mem <= (double)budget))
		fail_msg("metrics: %s", t);
	assert_true(sample(t, "\ntoptalkers_db_size ") > 3); /* victims and the flood's survivors */
	assert_true(sample(t, "\nkafka_messages_total ") == (double)SECONDS * (350 + 10000));
	free(t);
	/* the rates age out: ten empty seconds later no series remain */
	ofd_harness_tick(h, (T0 + SECONDS + 11) * S);
	ofd_harness_metric_n(h, "toptalker_bps", NULL, &n);
	assert_int_equal(n, 0);
	ofd_harness_free(h);
}

static void test_traffic_specific(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_traffic_specific_toptalkers,
		    "{endpoint: \"\", buckets: 2, traffic_specific_toptalkers: [{filter: \"proto udp\", "
		    "subfilter: [{filter: \"src port 53\", traffictype: dns, thresholdbps: 1000}, "
		    "{filter: \"src port 123\", traffictype: ntp, thresholdpps: 5}]}]}");
	ofd_harness_tick(h, T0 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	flow(&b->flows[0], 1, 0x0a000001, 53, 1000, 2);	   /* dns: 4000 bit/s over 2 s, 1 pps */
	flow(&b->flows[1], 1, 0x0a000002, 123, 100, 20);   /* ntp: 10 pps */
	flow(&b->flows[2], 1, 0x0a000003, 123, 100000, 4); /* ntp: 2 pps: under */
	ofd_harness_process(h, b);
	ofd_harness_tick(h, (T0 + 2) * S);
	size_t n = 0;
	ofd_harness_metric_n(h, "toptalker_bps", NULL, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ofd_harness_metric(h, "toptalker_bps", "10.0.0.1"), 4000);
	assert_int_equal(ofd_harness_metric(h, "toptalker_pps", "10.0.0.2"), 10);
	assert_int_equal(ofd_harness_metric(h, "toptalker_pps", "10.0.0.3"), 0);
	ofd_harness_free(h);
}

/*
 * The heavy-hitter table's error bound (common/talkertab.h): counts are never over the truth,
 * and a key holding more than 2 W / slots of the window's bytes is kept exactly. A table of
 * 64 slots; 16 heavy keys of 1000 bytes a round and 300 new one-byte keys a round, 200 rounds
 * (W = 3,260,000 bytes, 2 W / 64 = 101,875; each heavy key holds 200,000).
 */
static void key_of(uint8_t *key, uint32_t id)
{
	memset(key, 0, TALKERTAB_KEYBYTES);
	key[0] = 4;
	memcpy(key + 1, &id, sizeof(id));
}

static void test_error_bound(void **state)
{
	(void)state;
	struct talkertab t;
	size_t budget = talkertab_bytes(64, 4);
	assert_int_equal(talkertab_init(&t, budget, 4), 0);
	assert_int_equal(t.nslots, 64); /* 8 sets: exactly the budget */
	assert_true(t.mem_len + t.tags_len <= budget);
	uint8_t key[TALKERTAB_KEYBYTES];
	uint32_t next = 1000;
	for (int round = 0; round < 200; round++) {
		for (uint32_t k = 0; k < 16; k++) {
			key_of(key, k);
			talkertab_add(&t, key, 10, 1000, 1);
		}
		for (int k = 0; k < 300; k++) {
			key_of(key, next++);
			talkertab_add(&t, key, 10, 1, 1);
		}
	}
	assert_true(t.evicted >= 60000 - 64);
	unsigned heavy = 0;
	for (uint64_t i = 0; i < t.nslots; i++) {
		if (!talkertab_used(&t, i))
			continue;
		uint32_t id;
		memcpy(&id, talkertab_at(&t, i)->key + 1, sizeof(id));
		uint64_t by, pk;
		talkertab_sum(&t, i, 11, 4, &by, &pk);
		if (id < 16) {
			assert_int_equal(by, 200000); /* exact */
			assert_int_equal(pk, 200);
			heavy++;
		} else {
			assert_int_equal(by, 1); /* never over */
		}
	}
	assert_int_equal(heavy, 16);
	talkertab_free(&t);
}

/* thresholdbuckets and reportbuckets: the threshold over the last whole bucket, the rate over
   the last four; the bucket being filled is never counted. */
static void test_buckets(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_toptalkers_metrics,
					"{endpoint: \"\", buckets: 4, bucketduration: 2, "
					"thresholdbuckets: 1, reportbuckets: 4, thresholdbps: 1000}");
	ofd_harness_tick(h, T0 * S); /* bucket T0/2 */
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	flow(&b->flows[0], 1, 0x0a000001, 123, 4000, 8); /* only in the first bucket */
	ofd_harness_process(h, b);
	ofd_harness_tick(h, (T0 + 1) * S); /* the same bucket: nothing closed */
	assert_int_equal(ofd_harness_metric(h, "toptalker_bps", "10.0.0.1"), 0);
	ofd_harness_tick(h, (T0 + 2) * S); /* closed: 32,000 bits / 2 s over the last bucket */
	assert_int_equal(ofd_harness_metric(h, "toptalker_bps", "10.0.0.1"), 4000); /* over 8 s */
	assert_int_equal(ofd_harness_metric(h, "toptalker_pps", "10.0.0.1"), 1);
	b = ofd_harness_batch(h, 1);
	flow(&b->flows[0], 1, 0x0a000002, 123, 1000, 1); /* second bucket */
	ofd_harness_process(h, b);
	ofd_harness_tick(h, (T0 + 4) * S);
	/* 10.0.0.1: nothing in the last bucket, under the threshold though its 4-bucket rate is not 0 */
	size_t n = 0;
	ofd_harness_metric_n(h, "toptalker_bps", NULL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ofd_harness_metric(h, "toptalker_bps", "10.0.0.2"), 1000); /* 8000 bits / 8 s */
	ofd_harness_free(h);
}

/* Flows before the first tick count in the bucket of the clock's time (not in bucket 0, which
   the first tick would drop as decades old). */
static void test_before_first_tick(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_toptalkers_metrics, "{endpoint: \"\", buckets: 2, thresholdbps: 1000}");
	uint64_t now = ofd_time_now_ns();
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	flow(&b->flows[0], 1, 0x0a000009, 123, 2000, 4); /* 16,000 bits over 2 s */
	ofd_harness_process(h, b);
	ofd_harness_tick(h, (now / S + 2) * S);
	assert_int_equal(ofd_harness_metric(h, "toptalker_bps", "10.0.0.9"), 8000);
	assert_int_equal(ofd_harness_metric(h, "toptalker_pps", "10.0.0.9"), 2);
	ofd_harness_free(h);
}

/* relevantaddress: source, both (a flow counts for each side) and connection (a pair). */
static void test_relevantaddress(void **state)
{
	(void)state;
	static const struct {
		const char *rel, *addr;
		uint64_t bps;
	} cases[] = {
	    {"source", "10.0.0.9", 16000},
	    {"both", "10.0.0.9", 16000},
	    {"both", "10.0.0.1", 8000},
	    {"connection", "10.0.0.9 -> 10.0.0.1", 8000},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char cfg[128];
		snprintf(cfg, sizeof(cfg), "{endpoint: \"\", buckets: 1, relevantaddress: %s}", cases[k].rel);
		struct ofd_harness *h = st_open(&ofd_seg_toptalkers_metrics, cfg);
		ofd_harness_tick(h, T0 * S);
		struct ofd_batch *b = ofd_harness_batch(h, 2);
		flow(&b->flows[0], 0x0a000009, 0x0a000001, 123, 1000, 1);
		flow(&b->flows[1], 0x0a000009, 0x0a000002, 123, 1000, 1);
		ofd_harness_process(h, b);
		ofd_harness_tick(h, (T0 + 1) * S);
		assert_int_equal(ofd_harness_metric(h, "toptalker_bps", cases[k].addr), cases[k].bps);
		ofd_harness_free(h);
	}
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512];
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_toptalkers_metrics, "{relevantaddress: sideways}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_toptalkers_metrics,
					 "{endpoint: \"\", buckets: 5, reportbuckets: 6}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_int_not_equal(
	    ofd_harness_new(&h, &ofd_seg_traffic_specific_toptalkers,
			    "{endpoint: \"\", traffic_specific_toptalkers: [{filter: \"proto (\"}]}", err,
			    sizeof(err)),
	    0);
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_toptalkers_metrics,
					     "{endpoint: \"\", maxmemory: 5000, buckets: 3600}", err,
					     sizeof(err)),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ntp_reflection),
	    cmocka_unit_test(test_traffic_specific),
	    cmocka_unit_test(test_error_bound),
	    cmocka_unit_test(test_buckets),
	    cmocka_unit_test(test_before_first_tick),
	    cmocka_unit_test(test_relevantaddress),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
