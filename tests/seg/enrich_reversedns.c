/*
 * reversedns (src/segments/enrich/reversedns.c) against a real resolver: Debian's dnsmasq on
 * 127.0.0.1 (tests/gen/gen_dnsmasq.h) serving PTR records for IPv4 and IPv6 and NXDOMAIN for
 * the rest, and a UDP socket that never answers. Answers arrive in the background, so each
 * case feeds batches through the harness until they show up (a bounded wait, no sleeps).
 * Run as the ctest seg_reversedns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_dnsmasq.h"
#include "ofd/harness.h"

extern const struct ofd_segment_type ofd_seg_reversedns;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ofd_harness *open_seg(const char *config)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, &ofd_seg_reversedns, config, err, sizeof(err));
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return h;
}

static void set_ip(struct ofd_ip *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	struct in_addr v4;
	if (inet_pton(AF_INET, text, &v4) == 1) {
		a->family = OFD_AF_INET;
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &v4, 4);
	} else {
		a->family = OFD_AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, a->b), 1);
	}
}

/* The test's dnsmasq: stopped by the teardown, so that a failed assertion (which leaves the
   test at once) does not leave it running. */
static struct gen_dnsmasq dns;

static int stop_dns(void **state)
{
	(void)state;
	gen_dnsmasq_stop(&dns);
	return 0;
}

/* Start dnsmasq with these extra arguments, or skip when it is not installed. */
static int start_dns(struct gen_dnsmasq *d, const char *const *args)
{
	if (!gen_dnsmasq_path()) {
		print_message("dnsmasq not installed (Debian dnsmasq-base): skipped\n");
		skip();
	}
	assert_int_equal(gen_dnsmasq_start(d, args), 0);
	return d->port;
}

static const char *const records[] = {
    "--ptr-record=10.2.0.192.in-addr.arpa,src-host.example",
    "--ptr-record=20.100.51.198.in-addr.arpa,dst-host.example",
    "--ptr-record=1.113.0.203.in-addr.arpa,gw.example",
    "--ptr-record=254.2.0.192.in-addr.arpa,router.example",
    "--ptr-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,v6-host.example",
    "--local=/in-addr.arpa/",
    "--local=/ip6.arpa/",
    "--local-ttl=600",
    NULL,
};

/* Two records: every field of r0 over IPv4; r1 with an IPv6 source that has a name and one
   that has none, the same exporter, no next hop. */
static struct ofd_batch *names_batch(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	set_ip(&b->flows[0].src_addr, "192.0.2.10");
	set_ip(&b->flows[0].dst_addr, "198.51.100.20");
	set_ip(&b->flows[0].next_hop, "203.0.113.1");
	set_ip(&b->flows[0].sampler_address, "192.0.2.254");
	set_ip(&b->flows[1].src_addr, "2001:db8::1");
	set_ip(&b->flows[1].dst_addr, "2001:db8::2");
	set_ip(&b->flows[1].next_hop, "0.0.0.0"); /* unset in effect: not looked up */
	set_ip(&b->flows[1].sampler_address, "192.0.2.254");
	return b;
}

static int in_arena(const struct ofd_batch *b, const char *s)
{
	return s >= b->arena && s < b->arena + b->arena_used;
}

static void test_names_v4_v6(void **state)
{
	(void)state;
	struct gen_dnsmasq *d = &dns;
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{resolver: '127.0.0.1:%d', timeout: 1s}", start_dns(d, records));
	struct ofd_harness *h = open_seg(cfg);

	/* the first batch: nothing known yet, every address queued, the flows go on without names */
	struct ofd_batch *b = names_batch(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 2);
	assert_null(b->flows[0].src_host_name);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_SRC_HOST_NAME));
	assert_int_equal(ofd_harness_counter(h, "notyet"), 7); /* 4 + 3 lookups, 0.0.0.0 skipped */

	/* the answers arrive in the background: feed batches until the names show up */
	double deadline = now_s() + 10;
	for (;;) {
		b = names_batch(h);
		ofd_harness_process(h, b);
		int named = b->flows[0].src_host_name && b->flows[0].dst_host_name &&
			    b->flows[0].next_hop_host_name && b->flows[0].sampler_host_name &&
			    b->flows[1].src_host_name;
		if ((named && ofd_harness_metric(h, "reversedns_queries_total", NULL) == 6) ||
		    now_s() > deadline)
			break;
		sched_yield();
	}
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_total", "answer"), 5);
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_total", "nxdomain"), 1);
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_sent_total", NULL), 6);

	/* every answer counted is in the cache from the next batch on */
	b = names_batch(h);
	ofd_harness_process(h, b);
	const struct ofd_flow *f0 = &b->flows[0], *f1 = &b->flows[1];
	assert_string_equal(f0->src_host_name, "src-host.example.");
	assert_string_equal(f0->dst_host_name, "dst-host.example.");
	assert_string_equal(f0->next_hop_host_name, "gw.example.");
	assert_string_equal(f0->sampler_host_name, "router.example.");
	assert_true(ofd_flow_has(f0, OFD_F_SRC_HOST_NAME) && ofd_flow_has(f0, OFD_F_DST_HOST_NAME) &&
		    ofd_flow_has(f0, OFD_F_NEXT_HOP_HOST_NAME) && ofd_flow_has(f0, OFD_F_SAMPLER_HOST_NAME));
	assert_string_equal(f1->src_host_name, "v6-host.example.");
	assert_null(f1->dst_host_name); /* NXDOMAIN */
	assert_false(ofd_flow_has(f1, OFD_F_DST_HOST_NAME));
	assert_null(f1->next_hop_host_name);
	assert_false(ofd_flow_has(f1, OFD_F_NEXT_HOP_HOST_NAME));
	/* in the batch's arena, and a name copied once per batch */
	assert_true(in_arena(b, f0->src_host_name) && in_arena(b, f1->src_host_name));
	assert_ptr_equal(f0->sampler_host_name, f1->sampler_host_name);
	assert_true(ofd_harness_counter(h, "negative") >= 1);
	assert_true(ofd_harness_metric(h, "reversedns_lookups_total", "hit") >= 6);
	assert_int_equal(ofd_harness_metric(h, "reversedns_cache_entries", NULL), 6);
	assert_int_equal(ofd_harness_counter(h, "timeouts"), 0);
	assert_int_equal(ofd_harness_counter(h, "queue_full"), 0);
	ofd_harness_free(h);
	gen_dnsmasq_stop(d);
}

/* NXDOMAIN is cached for negativettl: the address is not asked for again. */
static void test_nxdomain_cached(void **state)
{
	(void)state;
	static const char *const args[] = {"--local=/in-addr.arpa/", NULL};
	struct gen_dnsmasq *d = &dns;
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{resolver: '127.0.0.1:%d', negativettl: 1h}", start_dns(d, args));
	struct ofd_harness *h = open_seg(cfg);
	double deadline = now_s() + 10;
	do {
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		set_ip(&b->flows[0].src_addr, "10.9.8.7");
		ofd_harness_process(h, b);
		sched_yield();
	} while (ofd_harness_metric(h, "reversedns_queries_total", "nxdomain") < 1 && now_s() < deadline);
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_total", "nxdomain"), 1);
	uint64_t neg0 = ofd_harness_counter(h, "negative");
	for (int i = 0; i < 20; i++) {
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		set_ip(&b->flows[0].src_addr, "10.9.8.7");
		ofd_harness_process(h, b);
		assert_null(b->flows[0].src_host_name);
		assert_false(ofd_flow_has(&b->flows[0], OFD_F_SRC_HOST_NAME));
	}
	assert_int_equal(ofd_harness_counter(h, "negative") - neg0, 20);
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_sent_total", NULL), 1);
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_total", NULL), 1);
	ofd_harness_free(h);
	gen_dnsmasq_stop(d);
}

/* The cache is bounded: 64 addresses through a cache of 16 entries evict, and it stays at 16. */
static void test_cache_bounded(void **state)
{
	(void)state;
	static const char *const args[] = {"--local=/in-addr.arpa/", NULL};
	struct gen_dnsmasq *d = &dns;
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{resolver: '127.0.0.1:%d', cachesize: 16, negativettl: 1h}",
		 start_dns(d, args));
	struct ofd_harness *h = open_seg(cfg);
	double deadline = now_s() + 10;
	do {
		struct ofd_batch *b = ofd_harness_batch(h, 64);
		for (int i = 0; i < 64; i++) {
			char ip[32];
			snprintf(ip, sizeof(ip), "10.2.%d.%d", i, i + 1);
			set_ip(&b->flows[i].src_addr, ip);
		}
		ofd_harness_process(h, b);
		assert_true(ofd_harness_metric(h, "reversedns_cache_entries", NULL) <= 16);
		sched_yield();
	} while (ofd_harness_metric(h, "reversedns_queries_total", "nxdomain") < 64 && now_s() < deadline);
	assert_true(ofd_harness_metric(h, "reversedns_queries_total", "nxdomain") >= 64);
	assert_int_equal(ofd_harness_metric(h, "reversedns_cache_entries", NULL), 16);
	assert_true(ofd_harness_counter(h, "evicted") >= 48);
	ofd_harness_free(h);
	gen_dnsmasq_stop(d);
}

/* A short TTL: the name in use is served while it is asked for again. */
static void test_ttl_refresh(void **state)
{
	(void)state;
	static const char *const args[] = {"--ptr-record=7.0.0.10.in-addr.arpa,short.example",
					   "--local-ttl=1", NULL};
	struct gen_dnsmasq *d = &dns;
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{resolver: '127.0.0.1:%d', minttl: 1s, refreshinterval: 1h}",
		 start_dns(d, args));
	struct ofd_harness *h = open_seg(cfg);
	double deadline = now_s() + 10;
	const char *name = NULL;
	while (!name && now_s() < deadline) {
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		set_ip(&b->flows[0].dst_addr, "10.0.0.7");
		ofd_harness_process(h, b);
		name = b->flows[0].dst_host_name;
		sched_yield();
	}
	assert_non_null(name);
	assert_string_equal(name, "short.example.");
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_sent_total", NULL), 1);
	/* after the TTL (1 s) the next lookup queues a refresh; the name keeps coming meanwhile */
	deadline = now_s() + 10;
	while (ofd_harness_metric(h, "reversedns_queries_total", "answer") < 2 && now_s() < deadline) {
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		set_ip(&b->flows[0].dst_addr, "10.0.0.7");
		ofd_harness_process(h, b);
		assert_non_null(b->flows[0].dst_host_name);
		assert_string_equal(b->flows[0].dst_host_name, "short.example.");
		sched_yield();
	}
	assert_int_equal(ofd_harness_metric(h, "reversedns_queries_total", "answer"), 2);
	assert_true(ofd_harness_metric(h, "reversedns_lookups_total", "stale") >= 1);
	ofd_harness_free(h);
	gen_dnsmasq_stop(d);
}

/* cache: false (flowpipeline's key): an answer is kept for its TTL only, never served stale. */
static void test_cache_false(void **state)
{
	(void)state;
	static const char *const args[] = {"--ptr-record=8.0.0.10.in-addr.arpa,once.example", "--local-ttl=1",
					   NULL};
	struct gen_dnsmasq *d = &dns;
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{resolver: '127.0.0.1:%d', cache: false, minttl: 1s}",
		 start_dns(d, args));
	struct ofd_harness *h = open_seg(cfg);
	/* the name comes, goes when its TTL is over, and comes back with the next answer */
	const int want[3] = {1, 0, 1};
	for (int phase = 0; phase < 3; phase++) {
		double deadline = now_s() + 10;
		int named;
		do {
			struct ofd_batch *b = ofd_harness_batch(h, 1);
			set_ip(&b->flows[0].src_addr, "10.0.0.8");
			ofd_harness_process(h, b);
			named = b->flows[0].src_host_name != NULL;
			if (named)
				assert_string_equal(b->flows[0].src_host_name, "once.example.");
			sched_yield();
		} while (named != want[phase] && now_s() < deadline);
		assert_int_equal(named, want[phase]);
	}
	assert_int_equal(ofd_harness_metric(h, "reversedns_lookups_total", "stale"), 0);
	assert_true(ofd_harness_metric(h, "reversedns_queries_total", "answer") >= 2);
	ofd_harness_free(h);
	gen_dnsmasq_stop(d);
}

/* A resolver that never answers: process() keeps its pace, the queries time out, at most
   maxinflight are on the wire, the queue is bounded. */
static void test_silent_resolver(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	char cfg[256];
	snprintf(cfg, sizeof(cfg),
		 "{resolver: '127.0.0.1:%d', timeout: 500ms, tries: 1, maxinflight: 4, queuesize: 8, "
		 "negativettl: 1h}",
		 ntohs(a.sin_port));
	struct ofd_harness *h = open_seg(cfg);
	double slowest = 0;
	double deadline = now_s() + 15;
	int rounds = 0;
	do {
		struct ofd_batch *b = ofd_harness_batch(h, 64);
		for (int i = 0; i < 64; i++) {
			char ip[32];
			snprintf(ip, sizeof(ip), "10.1.0.%d", i + 1);
			set_ip(&b->flows[i].src_addr, ip);
		}
		double t0 = now_s();
		ofd_harness_process(h, b);
		double dt = now_s() - t0;
		if (dt > slowest)
			slowest = dt;
		assert_int_equal(ofd_batch_live_count(b), 64);
		assert_null(b->flows[0].src_host_name);
		assert_true(ofd_harness_metric(h, "reversedns_inflight", NULL) <= 4);
		assert_true(ofd_harness_metric(h, "reversedns_queue", NULL) <= 8);
		if (rounds++ == 0) {
			assert_int_equal(ofd_harness_counter(h, "notyet"), 64);
			/* 8 queued; the thread may have taken up to 4 of them meanwhile */
			uint64_t full = ofd_harness_counter(h, "queue_full");
			assert_true(full >= 52 && full <= 56);
		}
		sched_yield();
	} while (ofd_harness_counter(h, "timeouts") < 12 && now_s() < deadline);
	assert_true(ofd_harness_counter(h, "timeouts") >= 12);
	/* the thread goes on meanwhile: the counter is taken before the metric */
	uint64_t m_timeouts = ofd_harness_metric(h, "reversedns_queries_total", "timeout");
	uint64_t c_timeouts = ofd_harness_counter(h, "timeouts");
	assert_true(m_timeouts >= 12 && c_timeouts >= m_timeouts && c_timeouts - m_timeouts <= 4);
	assert_int_equal(ofd_harness_metric(h, "reversedns_inflight_peak", NULL), 4);
	assert_int_equal(ofd_harness_counter(h, "notyet") + ofd_harness_counter(h, "negative"),
			 64u * (unsigned)rounds);
	/* the pipeline kept its pace: no batch waited for the resolver (a wait would last a query
	   timeout, 500 ms; the bound leaves room for a loaded machine's scheduling) */
	assert_true(slowest < 0.2);
	uint64_t sent = ofd_harness_metric(h, "reversedns_queries_sent_total", NULL);
	ofd_harness_free(h);
	/* every query that was sent reached the socket once (tries: 1); the thread may have sent
	   up to maxinflight more before it stopped */
	uint64_t got = 0;
	char buf[512];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		got++;
	assert_true(got >= sent && got <= sent + 4);
	close(fd);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_reversedns, "{resolver: 'ns.example.net'}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	assert_non_null(
	    strstr(err, "segment reversedns: key resolver: \"ns.example.net\" is not a numeric address"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_reversedns, "{resolver: '127.0.0.1:0'}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "port 0"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_reversedns, "{minttl: 2h, maxttl: 1h}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "key minttl: larger than maxttl"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_reversedns, "{refreshinterval: soon}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "refreshinterval"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_reversedns, "{cachesize: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "cachesize"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_reversedns, "{maxinflight: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	/* flowpipeline's keys as its configs write them, and a list of servers */
	h = open_seg("{cache: true, refreshinterval: 10m, resolver: '127.0.0.1:5353,[::1]:53,::1'}");
	struct ofd_batch *b = ofd_harness_batch(h, 1); /* unset addresses: nothing looked up */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_metric(h, "reversedns_lookups_total", NULL), 0);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),
	    cmocka_unit_test_teardown(test_names_v4_v6, stop_dns),
	    cmocka_unit_test_teardown(test_nxdomain_cached, stop_dns),
	    cmocka_unit_test_teardown(test_cache_bounded, stop_dns),
	    cmocka_unit_test_teardown(test_ttl_refresh, stop_dns),
	    cmocka_unit_test_teardown(test_cache_false, stop_dns),
	    cmocka_unit_test(test_silent_resolver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
