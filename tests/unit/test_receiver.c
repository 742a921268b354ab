/*
 * The receiver composed (receiver.h) on a real database and 127.0.0.1 sockets:
 *   - the keys with a good history in the store (tracers over HTTP(S), at least N) are read
 *     most active first, UDP tracers never counting (ofd_learned_good_keys);
 *   - a receiver started on such a store gives those keys' UDP tracers the priority lane at
 *     once, before any tracer of them came in this process; a key with too few HTTP(S)
 *     tracers (or only UDP ones) goes to the budget lane;
 *   - the store's counters in /metrics: tracers refused over the key's and the network's hourly
 *     quota (429) and over the disk budget (507), then the oldest pruned by the budget and
 *     their key history with them, scraped over HTTP and checked exactly.
 * No sleeps: the counters are polled with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ofd/time.h"
#include "receiver/learned.h"
#include "receiver/receiver.h"
#include "store_help.h"

#define T0 UINT64_C(1700000100000000000)

/* A tracer of k about a flow numbered n (distinct bodies for distinct n). */
static void make(struct tr *t, const struct ofd_key *k, uint64_t n)
{
	struct tflow tf = {.saddr = "192.0.2.1",
			   .daddr = "198.51.100.9",
			   .sport = 123,
			   .dport = 4444,
			   .packets = n,
			   .bytes = 468,
			   .stime = 1700000000,
			   .etime = 1700000060,
			   .cls = OFD_TC_MACHINE_SUSPECTED,
			   .contact = "abuse@x.example",
			   .time = 1700000100};
	th_make(t, k, &tf);
}

/* count tracers of k, numbered from first, stored as if from sender over transport. */
static void add_n(struct ofd_store *s, const struct ofd_key *k, uint64_t first, unsigned count,
		  const char *sender, int transport)
{
	static struct tr t;
	for (unsigned i = 0; i < count; i++) {
		make(&t, k, first + i);
		assert_int_equal(th_add_via(s, &t, sender, T0 + first + i, transport), 1);
		ofd_tracer_msg_release(&t.m);
	}
}

/* The store: key 1 with 5 HTTP(S) tracers (4 from 198.51.100.0/24, 1 from 203.0.113.0/24),
   key 2 with 3 over HTTP, key 3 with 2 over HTTP and 6 over UDP, key 4 with 9 over UDP. */
static void fill(const char *db, struct ofd_key *k[5])
{
	struct ofd_store *s = th_open(db);
	add_n(s, k[1], 100, 4, "198.51.100.7", OFD_TRANSPORT_HTTPS);
	add_n(s, k[1], 200, 1, "203.0.113.5", OFD_TRANSPORT_HTTP);
	add_n(s, k[2], 300, 3, "192.0.2.77", OFD_TRANSPORT_HTTP);
	add_n(s, k[3], 400, 2, "192.0.2.78", OFD_TRANSPORT_HTTP);
	add_n(s, k[3], 500, 6, "192.0.2.78", OFD_TRANSPORT_UDP);
	add_n(s, k[4], 600, 9, "192.0.2.79", OFD_TRANSPORT_UDP);
	ofd_store_close(s);
}

static void keys_new(struct ofd_key *k[5])
{
	for (uint8_t i = 1; i < 5; i++)
		k[i] = th_key((uint8_t)(0x50 + i));
}

static void keys_free(struct ofd_key *k[5])
{
	for (unsigned i = 1; i < 5; i++)
		ofd_key_free(k[i]);
}

static void test_good_keys(void **state)
{
	(void)state;
	struct tdir d;
	struct ofd_key *k[5];
	struct ofd_learned_good g[4];
	char ip[OFD_IP_STRLEN];
	th_dir(&d);
	keys_new(k);
	fill(d.db, k);
	struct ofd_store *s = th_open(d.db);
	assert_int_equal(ofd_learned_good_keys(s, 3, g, 4), 2);
	assert_memory_equal(g[0].key, ofd_key_public(k[1]), 32);
	assert_int_equal(g[0].count, 5);
	ofd_ip_str(&g[0].net, ip);
	assert_string_equal(ip, "198.51.100.0"); /* where most came from */
	assert_memory_equal(g[1].key, ofd_key_public(k[2]), 32);
	assert_int_equal(g[1].count, 3);
	ofd_ip_str(&g[1].net, ip);
	assert_string_equal(ip, "192.0.2.0");
	/* bounded: the most active first */
	assert_int_equal(ofd_learned_good_keys(s, 3, g, 1), 1);
	assert_memory_equal(g[0].key, ofd_key_public(k[1]), 32);
	/* at least 1: key 3's two HTTP tracers count, its and key 4's UDP ones never */
	assert_int_equal(ofd_learned_good_keys(s, 0, g, 4), 3);
	assert_memory_equal(g[2].key, ofd_key_public(k[3]), 32);
	assert_int_equal(g[2].count, 2);
	assert_int_equal(ofd_learned_good_keys(s, 6, g, 4), 0);
	ofd_store_close(s);
	keys_free(k);
	th_dir_rm(&d);
}

/* Send the datagram to 127.0.0.1:port. */
static void udp_send(int fd, uint16_t port, const char *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

/* Wait (5 s at most) until the listener has handled n tracers (received). */
static void wait_received(struct ofd_receiver *rx, uint64_t n, struct ofd_listen_counters *c)
{
	uint64_t deadline = ofd_time_mono_ns() + UINT64_C(5000000000);
	do {
		ofd_receiver_counters(rx, c);
		if (c->received >= n && c->stored + c->duplicate + c->store_errors >= n)
			return;
		sched_yield();
	} while (ofd_time_mono_ns() < deadline);
	fail_msg("received %llu stored %llu of %llu", (unsigned long long)c->received,
		 (unsigned long long)c->stored, (unsigned long long)n);
}

static void test_seeded_priority(void **state)
{
	(void)state;
	struct tdir d;
	struct ofd_key *k[5];
	static struct tr t;
	char err[256] = "";
	th_dir(&d);
	keys_new(k);
	fill(d.db, k);
	struct ofd_receiver_opts o = {
	    .udp = "udp://127.0.0.1:0", .db = d.db, .workers = 1, .udp_budget = 1000};
	struct ofd_receiver *rx;
	assert_int_equal(ofd_receiver_new(&rx, &o, err, sizeof(err)), 0);
	assert_int_equal(ofd_receiver_start(rx, err, sizeof(err)), 0);
	struct ofd_listen_counters c;
	ofd_receiver_counters(rx, &c);
	assert_int_equal(c.udp.good_keys, 2); /* keys 1 and 2: 3 HTTP(S) tracers or more */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	/* key 1, from an address outside its usual networks: still the priority lane */
	make(&t, k[1], 1000);
	udp_send(fd, ofd_receiver_udp_port(rx, 0), t.line, t.len);
	wait_received(rx, 1, &c);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], 1);
	assert_int_equal(c.udp.admitted[OFD_VB_BUDGET], 0);
	/* key 3: two HTTP tracers are too few, its UDP ones do not count: the budget lane */
	make(&t, k[3], 1001);
	udp_send(fd, ofd_receiver_udp_port(rx, 0), t.line, t.len);
	wait_received(rx, 2, &c);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], 1);
	assert_int_equal(c.udp.admitted[OFD_VB_BUDGET], 1);
	/* key 2 */
	make(&t, k[2], 1002);
	udp_send(fd, ofd_receiver_udp_port(rx, 0), t.line, t.len);
	wait_received(rx, 3, &c);
	assert_int_equal(c.udp.admitted[OFD_VB_PRIORITY], 2);
	assert_int_equal(c.udp.admitted[OFD_VB_BUDGET], 1);
	assert_int_equal(c.valid, 3);
	assert_int_equal(c.stored, 3);
	close(fd);
	ofd_receiver_free(rx);
	keys_free(k);
	th_dir_rm(&d);
}

/* One HTTP/1.0 request to 127.0.0.1:port; the status, the response's body in resp. */
static int http(uint16_t port, const char *method, const char *path, const char *body, size_t blen,
		char *resp, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char head[256];
	int hn = snprintf(head, sizeof(head), "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
			  method, path, blen);
	assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), hn);
	if (blen)
		assert_int_equal(send(fd, body, blen, MSG_NOSIGNAL), (ssize_t)blen);
	static char buf[65536];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	int status = 0;
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &status), 1);
	const char *b = strstr(buf, "\r\n\r\n");
	snprintf(resp, cap, "%s", b ? b + 4 : "");
	return status;
}

/* The value of `name` (labels included, as written) in a scrape; -1 when absent. */
static long long metric(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ')
			return strtoll(p + nl + 1, NULL, 10);
	return -1;
}

static char scrape[65536];

/* POST a tracer of k numbered n to the receiver: the status. */
static int post(struct ofd_receiver *rx, const struct ofd_key *k, uint64_t n)
{
	static struct tr t;
	char resp[256];
	make(&t, k, n);
	return http(ofd_receiver_http_port(rx), "POST", "/.well-known/overflowd", t.line, t.len, resp,
		    sizeof(resp));
}

static void get_metrics(struct ofd_receiver *rx)
{
	assert_int_equal(http(ofd_receiver_http_port(rx), "GET", "/metrics", NULL, 0, scrape, sizeof(scrape)),
			 200);
}

static void test_metrics_quota(void **state)
{
	(void)state;
	struct tdir d;
	struct ofd_key *k[5];
	char err[256] = "";
	th_dir(&d);
	keys_new(k);
	struct ofd_receiver_opts o = {
	    .http = "127.0.0.1:0", .db = d.db, .workers = 1, .limits = {.key_hour = 1, .net_hour = 2}};
	struct ofd_receiver *rx;
	assert_int_equal(ofd_receiver_new(&rx, &o, err, sizeof(err)), 0);
	assert_int_equal(ofd_receiver_start(rx, err, sizeof(err)), 0);
	get_metrics(rx);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"key_quota\"}"), 0);
	/* answers come after the commit, and the counters are published before the answers */
	assert_int_equal(post(rx, k[1], 1), 202);
	assert_int_equal(post(rx, k[1], 2), 429); /* the key's quota */
	assert_int_equal(post(rx, k[2], 3), 202);
	assert_int_equal(post(rx, k[3], 4), 429); /* 127.0.0.0/24's quota */
	assert_int_equal(post(rx, k[2], 5), 429);
	get_metrics(rx);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"full\"}"), 0);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"key_quota\"}"), 2);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"net_quota\"}"), 1);
	assert_int_equal(metric(scrape, "overflowd_store_pruned_total"), 0);
	assert_int_equal(metric(scrape, "overflowd_store_history_pruned_total"), 0);
	assert_int_equal(metric(scrape, "overflowd_store_errors_total"), 0);
	assert_int_equal(metric(scrape, "overflowd_tracers_stored_total"), 2);
	ofd_receiver_stop(rx);
	struct ofd_store_stats st;
	ofd_receiver_store_stats(rx, &st);
	assert_int_equal(st.stored, 2);
	assert_int_equal(st.quota_key, 2);
	assert_int_equal(st.quota_net, 1);
	ofd_receiver_free(rx);
	keys_free(k);
	th_dir_rm(&d);
}

/* Over the disk budget (1 byte): refused 507, then (within a second) the oldest pruned. */
static void test_metrics_full(void **state)
{
	(void)state;
	struct tdir d;
	struct ofd_key *k[5];
	char err[256] = "";
	th_dir(&d);
	keys_new(k);
	struct ofd_store *s = th_open(d.db);
	add_n(s, k[1], 100, 3, "198.51.100.7", OFD_TRANSPORT_HTTPS);
	ofd_store_close(s);
	struct ofd_receiver_opts o = {
	    .http = "127.0.0.1:0", .db = d.db, .workers = 1, .limits = {.max_size = 1}};
	struct ofd_receiver *rx;
	assert_int_equal(ofd_receiver_new(&rx, &o, err, sizeof(err)), 0);
	assert_int_equal(ofd_receiver_start(rx, err, sizeof(err)), 0);
	assert_int_equal(post(rx, k[2], 1), 507);
	get_metrics(rx);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"full\"}"), 1);
	uint64_t deadline = ofd_time_mono_ns() + UINT64_C(5000000000);
	while (metric(scrape, "overflowd_store_pruned_total") == 0 && ofd_time_mono_ns() < deadline)
		get_metrics(rx); /* the writer prunes a second after its start at the latest */
	assert_int_equal(metric(scrape, "overflowd_store_pruned_total"), 3);
	/* key 1's row, its network's and its contact's */
	assert_int_equal(metric(scrape, "overflowd_store_history_pruned_total"), 3);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"full\"}"), 1);
	assert_int_equal(metric(scrape, "overflowd_store_refused_total{reason=\"key_quota\"}"), 0);
	ofd_receiver_free(rx);
	keys_free(k);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_keys),
	    cmocka_unit_test(test_seeded_priority),
	    cmocka_unit_test(test_metrics_quota),
	    cmocka_unit_test(test_metrics_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
