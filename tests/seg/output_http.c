/*
 * http (src/segments/output/http.c) against a real HTTP server on 127.0.0.1 run by this test:
 * the bodies (flowpipeline's protojson by default, overflowd's JSON with format: overflowd, a
 * record longer than a slot dropped), path, method and type it receives, retries after a 503, giving up after
 * 500s and at once on a 400, the bounded queue (a server that holds its answer), a shutdown that does not
 * wait for a dead endpoint's backoff, and the config. Run as the ctest seg_http.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <strings.h>
#include <sys/socket.h>

#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_http;

#define REQ_MAX 16

struct req {
	char line[128]; /* "POST /path HTTP/1.1" */
	char type[64];	/* Content-Type */
	char body[4200];
};

/* A one-connection-at-a-time HTTP/1.1 server: answers request i with status[i] (200 beyond). */
struct srv {
	int fd;
	unsigned short port;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int status[REQ_MAX];
	int hold; /* answer nothing while set */
	int stop;
	struct req req[REQ_MAX];
	int n;
};

static struct srv S;

/* Read one request from c into r (headers, then Content-Length bytes of body); 0 or -1. */
static int srv_read(int c, struct req *r)
{
	char buf[8192];
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		ssize_t k = recv(c, buf + len, sizeof(buf) - 1 - len, 0);
		if (k <= 0)
			return -1;
		len += (size_t)k;
		buf[len] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end && len == sizeof(buf) - 1)
			return -1;
	}
	*end = 0;
	char *eol = strstr(buf, "\r\n");
	snprintf(r->line, sizeof(r->line), "%.*s", eol ? (int)(eol - buf) : (int)strlen(buf), buf);
	size_t clen = 0;
	r->type[0] = 0;
	for (char *h = eol; h && *h; h = strstr(h + 2, "\r\n")) {
		if (!strncasecmp(h + 2, "Content-Length:", 15))
			clen = strtoul(h + 17, NULL, 10);
		if (!strncasecmp(h + 2, "Content-Type: ", 14)) {
			char *e = strstr(h + 2, "\r\n");
			snprintf(r->type, sizeof(r->type), "%.*s",
				 e ? (int)(e - h - 16) : (int)strlen(h + 16), h + 16);
		}
	}
	if (clen >= sizeof(r->body))
		return -1;
	size_t have = len - (size_t)(end + 4 - buf);
	memcpy(r->body, end + 4, have);
	while (have < clen) {
		ssize_t k = recv(c, r->body + have, clen - have, 0);
		if (k <= 0)
			return -1;
		have += (size_t)k;
	}
	r->body[clen] = 0;
	return 0;
}

static void *srv_main(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(S.fd, NULL, NULL);
		if (c < 0)
			return NULL;
		struct req r;
		if (srv_read(c, &r) == 0) {
			pthread_mutex_lock(&S.mu);
			int i = S.n < REQ_MAX ? S.n : REQ_MAX - 1;
			S.req[i] = r;
			S.n++;
			pthread_cond_broadcast(&S.cv);
			while (S.hold && !S.stop)
				pthread_cond_wait(&S.cv, &S.mu);
			int status = i < REQ_MAX && S.status[i] ? S.status[i] : 200;
			pthread_mutex_unlock(&S.mu);
			char a[128];
			int n = snprintf(a, sizeof(a),
					 "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
					 status);
			(void)send(c, a, (size_t)n, MSG_NOSIGNAL);
		}
		close(c);
	}
}

static void srv_start(const int *status, int n)
{
	memset(&S, 0, sizeof(S));
	pthread_mutex_init(&S.mu, NULL);
	pthread_cond_init(&S.cv, NULL);
	for (int i = 0; i < n; i++)
		S.status[i] = status[i];
	S.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(S.fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(S.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(S.fd, (struct sockaddr *)&a, &al), 0);
	S.port = ntohs(a.sin_port);
	assert_int_equal(listen(S.fd, 16), 0);
	assert_int_equal(pthread_create(&S.thread, NULL, srv_main, NULL), 0);
}

static void srv_stop(void)
{
	pthread_mutex_lock(&S.mu);
	S.stop = 1;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	shutdown(S.fd, SHUT_RDWR);
	pthread_join(S.thread, NULL);
	close(S.fd);
}

/* Wait until the server has read n requests. */
static void srv_wait(int n)
{
	pthread_mutex_lock(&S.mu);
	while (S.n < n)
		pthread_cond_wait(&S.cv, &S.mu);
	pthread_mutex_unlock(&S.mu);
}

static struct ofd_harness *open_http(const char *more)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{url: \"http://127.0.0.1:%u/alert\"%s}", S.port, more);
	return st_open(&ofd_seg_http, cfg);
}

static void flow(struct ofd_flow *f, uint8_t last, uint64_t bytes)
{
	f->src_addr.family = OFD_AF_INET;
	f->src_addr.b[10] = f->src_addr.b[11] = 0xff;
	f->src_addr.b[12] = 192, f->src_addr.b[14] = 2, f->src_addr.b[15] = last;
	f->bytes = bytes;
	f->proto = 17;
	f->dst_port = 123;
}

static void assert_has(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("\"%s\" lacks \"%s\"", s, part);
}

static void test_bodies_and_retry(void **state)
{
	(void)state;
	static const int status[] = {503, 200, 200};
	srv_start(status, 3);
	struct ofd_harness *h = open_http(", retries: 2, backoff: 10ms");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	flow(&b->flows[0], 1, 1500);
	flow(&b->flows[1], 2, 64);
	flow(&b->flows[2], 3, 9);
	ofd_batch_kill(b, 2); /* not posted */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 2); /* passed on */
	srv_wait(3);
	ofd_harness_free(h); /* the thread is joined: every counter is final */
	assert_int_equal(S.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(S.req[i].line, "POST /alert HTTP/1.1");
		assert_string_equal(S.req[i].type, "application/json");
		size_t n = strlen(S.req[i].body);
		assert_true(n > 2 && S.req[i].body[0] == '{' && S.req[i].body[n - 1] == '}');
	}
	/* the first record twice (a 503, then 200), then the second; flowpipeline's protojson: the
	   schema's order, uint64 as strings, the address as base64 of its 4 bytes, zeros left out */
	static const char want1[] =
	    "{\"bytes\":\"1500\",\"srcAddr\":\"wAACAQ==\",\"proto\":17,\"dstPort\":123}";
	assert_string_equal(S.req[0].body, want1);
	assert_string_equal(S.req[1].body, want1);
	assert_string_equal(S.req[2].body,
			    "{\"bytes\":\"64\",\"srcAddr\":\"wAACAg==\",\"proto\":17,\"dstPort\":123}");
	srv_stop();
}

/* format: protojson and format: overflowd (the json output's default rendering), enriched fields too. */
static void test_formats(void **state)
{
	(void)state;
	srv_start(NULL, 0);
	for (int fmt = 0; fmt < 2; fmt++) {
		struct ofd_harness *h = open_http(fmt ? ", format: overflowd" : ", format: protojson");
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		flow(&b->flows[0], 7, 1500);
		b->flows[0].in_if_name = "xe-0/0/0";
		b->flows[0].med = 50;
		b->flows[0].present.w[0] |= OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_MED);
		ofd_harness_process(h, b);
		srv_wait(fmt + 1);
		ofd_harness_free(h);
	}
	assert_int_equal(S.n, 2);
	assert_string_equal(S.req[0].body, "{\"bytes\":\"1500\",\"srcAddr\":\"wAACBw==\",\"proto\":17,"
					   "\"dstPort\":123,\"Med\":50,\"SrcIfName\":\"xe-0/0/0\"}");
	/* every base field by value, as goflow2 writes it, then the enriched ones present */
	static const char want_ofd[] =
	    "{\"type\":\"UNKNOWN\",\"time_received_ns\":0,\"sequence_num\":0,\"sampling_rate\":0,"
	    "\"sampler_address\":\"\",\"time_flow_start_ns\":0,\"time_flow_end_ns\":0,\"bytes\":1500,"
	    "\"packets\":0,\"src_addr\":\"192.0.2.7\",\"dst_addr\":\"\",\"etype\":\"\","
	    "\"proto\":\"UDP\",\"src_port\":0,\"dst_port\":123,\"in_if\":0,\"out_if\":0,"
	    "\"src_mac\":\"00:00:00:00:00:00\",\"dst_mac\":\"00:00:00:00:00:00\",\"src_vlan\":0,"
	    "\"dst_vlan\":0,\"vlan_id\":0,\"ip_tos\":0,\"forwarding_status\":0,\"ip_ttl\":0,"
	    "\"ip_flags\":0,\"tcp_flags\":0,\"icmp_type\":0,\"icmp_code\":0,\"ipv6_flow_label\":0,"
	    "\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":0,\"dst_as\":0,\"next_hop\":\"\","
	    "\"next_hop_as\":0,\"src_net\":\"0.0.0.0/0\",\"dst_net\":\"0.0.0.0/0\","
	    "\"bgp_next_hop\":\"\",\"bgp_communities\":[],\"as_path\":[],\"mpls_ttl\":[],"
	    "\"mpls_label\":[],\"mpls_ip\":[],\"observation_domain_id\":0,\"observation_point_id\":0,"
	    "\"layer_stack\":[],\"layer_size\":[],\"ipv6_routing_header_addresses\":[],"
	    "\"ipv6_routing_header_seg_left\":0,\"engine_type\":0,\"engine_id\":0,"
	    "\"in_if_name\":\"xe-0/0/0\",\"med\":50}";
	assert_string_equal(S.req[1].body, want_ofd);
	assert_string_equal(S.req[1].type, "application/json");
	srv_stop();
}

/* A record that renders longer than its 4 KiB slot is dropped and counted, not posted cut. */
static void test_large(void **state)
{
	(void)state;
	srv_start(NULL, 0);
	static char ctl[256]; /* 255 control bytes: each escaped to 6 (\u0001), 4 fields > 4 KiB */
	memset(ctl, 1, sizeof(ctl) - 1);
	for (int fmt = 0; fmt < 2; fmt++) {
		struct ofd_harness *h = open_http(fmt ? ", format: overflowd" : "");
		struct ofd_batch *b = ofd_harness_batch(h, 2);
		flow(&b->flows[0], 40, 100);
		flow(&b->flows[1], 41, 100);
		struct ofd_flow *f = &b->flows[0];
		f->in_if_name = f->in_if_desc = f->out_if_name = f->out_if_desc = ctl;
		f->present.w[0] |= OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_IN_IF_DESC) |
				   OFD_W0(OFD_F_OUT_IF_NAME) | OFD_W0(OFD_F_OUT_IF_DESC);
		ofd_harness_process(h, b);
		assert_int_equal(ofd_harness_counter(h, "dropped_large"), 1);
		assert_int_equal(ofd_batch_live_count(b), 2); /* passed on all the same */
		srv_wait(fmt + 1);
		ofd_harness_free(h);
	}
	assert_int_equal(S.n, 2);
	assert_has(S.req[0].body, "\"srcAddr\":\"wAACKQ==\"");
	assert_has(S.req[1].body, "\"src_addr\":\"192.0.2.41\"");
	srv_stop();
}

static void test_counters(void **state)
{
	(void)state;
	/* record 1: 500, 500 (given up after one retry); record 2: 400 (not retried); record 3: 200 */
	static const int status[] = {500, 500, 400, 200};
	srv_start(status, 4);
	struct ofd_harness *h = open_http(", retries: 1, backoff: 1ms");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (int i = 0; i < 3; i++)
		flow(&b->flows[i], (uint8_t)(10 + i), 100);
	ofd_harness_process(h, b);
	srv_wait(4);
	/* the sender pops the last record once its answer is read: wait for the gauge */
	while (ofd_harness_metric(h, "http_queued", NULL))
		sched_yield();
	assert_int_equal(ofd_harness_counter(h, "sent"), 1);
	assert_int_equal(ofd_harness_counter(h, "failed"), 2);
	assert_int_equal(ofd_harness_counter(h, "retries"), 1);
	assert_int_equal(ofd_harness_counter(h, "dropped_full"), 0);
	assert_has(S.req[3].body, "\"srcAddr\":\"wAACDA==\""); /* 192.0.2.12 */
	ofd_harness_free(h);
	srv_stop();
}

static void test_queue_bound(void **state)
{
	(void)state;
	srv_start(NULL, 0);
	S.hold = 1; /* the first post waits for its answer: the queue cannot empty meanwhile */
	struct ofd_harness *h = open_http(", queue: 2");
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (int i = 0; i < 5; i++)
		flow(&b->flows[i], (uint8_t)(20 + i), 100);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "dropped_full"), 3);
	assert_int_equal(ofd_harness_metric(h, "http_queued", NULL), 2);
	assert_int_equal(ofd_batch_live_count(b), 5);
	srv_wait(1);
	pthread_mutex_lock(&S.mu);
	S.hold = 0;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	srv_wait(2);
	ofd_harness_free(h);
	assert_int_equal(S.n, 2);
	assert_has(S.req[0].body, "\"srcAddr\":\"wAACFA==\""); /* 192.0.2.20 */
	assert_has(S.req[1].body, "\"srcAddr\":\"wAACFQ==\""); /* 192.0.2.21 */
	srv_stop();
}

static void test_stop_during_backoff(void **state)
{
	(void)state;
	static const int status[] = {503, 503, 503, 503};
	srv_start(status, 4);
	struct ofd_harness *h = open_http(", retries: 5, backoff: 1h");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	flow(&b->flows[0], 30, 100);
	flow(&b->flows[1], 31, 100);
	ofd_harness_process(h, b);
	srv_wait(1); /* the first answer was a 503: the sender waits an hour to retry */
	uint64_t t0 = ofd_time_mono_ns();
	ofd_harness_free(h);
	assert_true(ofd_time_mono_ns() - t0 < 5000000000ull); /* not the backoff */
	assert_int_equal(S.n, 1);			      /* nothing more was tried */
	srv_stop();
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_http, NULL, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "url"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_http, "{url: \"ftp://example.com/x\"}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "http:// or https://"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_http, "{url: \"http://127.0.0.1:9/\", queue: 0}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "key queue: "));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_http, "{url: \"http://127.0.0.1:9/\", format: json}",
					 err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "format"));
	/* upper-case schemes are schemes */
	h = st_open(&ofd_seg_http, "{url: \"HTTPS://127.0.0.1:9/\"}");
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies_and_retry),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_large),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_queue_bound),
	    cmocka_unit_test(test_stop_during_backoff),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
