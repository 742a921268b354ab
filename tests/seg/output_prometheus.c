/*
 * prometheus (src/segments/output/prometheus.c) through the segment harness, scraped over a
 * real socket on 127.0.0.1: the counters per label set with flowpipeline's names, the series
 * cap and its `other` series, vacuum, escaping of label values from the network, the AS pair
 * and path families, the endpoint shared with the daemon's metrics server, config errors; and
 * a real Prometheus server (Debian's `prometheus`, started here on 127.0.0.1) that scrapes the
 * segment and gives the series back through its HTTP API (skipped only when the binary is
 * missing). Run as the ctest seg_prometheus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format/promtext.h"
#include "obs/metrics_http.h"
#include "ofd/harness.h"
#include "segtest.h"
#include "../unit/freeport.h"

extern const struct ofd_segment_type ofd_seg_prometheus;

#define PROMETHEUS_BIN "/usr/bin/prometheus"
#define BODY_MAX       (8u << 20)

/*
 * GET path from 127.0.0.1:port (HTTP/1.0, read to the close; each read waits at most 5 s).
 * Returns the status (0: no connection) and the body in *body (caller frees), NUL-terminated.
 */
static int http_get(unsigned port, const char *path, char **body)
{
	*body = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return 0;
	}
	char rq[1024];
	int n = snprintf(rq, sizeof(rq), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	assert_int_equal(write(fd, rq, (size_t)n), n);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (cap - len < 4096) {
			assert_true(cap < BODY_MAX);
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	char *b = strstr(buf, "\r\n\r\n");
	*body = strdup(b ? b + 4 : "");
	free(buf);
	return status;
}

/* The value of the sample line `series` (name and labels as written) in text; -1 if none. */
static long long sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; (p = strstr(p, series)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

/* Scrape path on port: 200 expected; the body (caller frees). */
static char *scrape(unsigned port, const char *path)
{
	char *body = NULL;
	int st = http_get(port, path, &body);
	if (st != 200)
		print_error("GET %s: %d\n%s\n", path, st, body ? body : "");
	assert_int_equal(st, 200);
	return body;
}

static struct ofd_harness *open_at(unsigned *port, const char *more)
{
	char cfg[1024];
	struct ofd_harness *h = NULL;
	char err[512] = "";
	for (int attempt = 0; attempt < 5; attempt++) { /* a port taken meanwhile: another one */
		*port = test_free_port(SOCK_STREAM);
		snprintf(cfg, sizeof(cfg), "{endpoint: \"127.0.0.1:%u\"%s%s}", *port, more[0] ? ", " : "",
			 more);
		if (ofd_harness_new(&h, &ofd_seg_prometheus, cfg, err, sizeof(err)) == 0)
			return h;
	}
	print_error("%s\n", err);
	fail();
	return NULL;
}

static void set_flow(struct ofd_flow *f, uint8_t proto, uint16_t dport, uint64_t bytes, uint64_t packets)
{
	f->proto = proto;
	f->dst_port = dport;
	f->etype = 0x0800;
	f->bytes = bytes;
	f->packets = packets;
}

/* Counters per label set, flowpipeline's names and label names, over a socket. */
static void test_counts(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: \"proto,dst_port\"");
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	set_flow(&b->flows[0], 6, 443, 1500, 1);
	set_flow(&b->flows[1], 6, 443, 500, 2);
	set_flow(&b->flows[2], 17, 53, 80, 1);
	set_flow(&b->flows[3], 17, 53, 120, 1);
	set_flow(&b->flows[4], 1, 0, 64, 1);
	ofd_batch_kill(b, 4); /* dropped before: not counted */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 4); /* passed on */
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_bits{proto=\"6\",dst_port=\"443\"}"), 16000);
	assert_int_equal(sample(t, "flow_number{proto=\"6\",dst_port=\"443\"}"), 2);
	assert_int_equal(sample(t, "flow_packets{proto=\"6\",dst_port=\"443\"}"), 3);
	assert_int_equal(sample(t, "flow_bits{proto=\"17\",dst_port=\"53\"}"), 1600);
	assert_int_equal(sample(t, "flow_number{proto=\"17\",dst_port=\"53\"}"), 2);
	assert_int_equal(sample(t, "flow_number{proto=\"1\",dst_port=\"0\"}"), -1);
	assert_non_null(strstr(t, "# TYPE flow_bits counter\n"));
	free(t);
	t = scrape(port, "/metrics");
	assert_int_equal(sample(t, "kafka_messages_total"), 4);
	assert_int_equal(sample(t, "overflowd_prometheus_series{table=\"flows\"}"), 2);
	free(t);
	t = scrape(port, "/");
	assert_non_null(strstr(t, "/flowdata\n"));
	free(t);
	/* more of the same: the counters go on */
	b = ofd_harness_batch(h, 1);
	set_flow(&b->flows[0], 17, 53, 100, 4);
	ofd_harness_process(h, b);
	t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_bits{proto=\"17\",dst_port=\"53\"}"), 2400);
	assert_int_equal(sample(t, "flow_packets{proto=\"17\",dst_port=\"53\"}"), 6);
	free(t);
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "flows"), 2);
	ofd_harness_free(h);
	char *body = NULL;
	assert_int_equal(http_get(port, "/flowdata", &body), 0); /* the server went with it */
	free(body);
}

/* The default labels (flowpipeline's Etype,Proto: numbers as it writes them) and addresses. */
static void test_default_labels_and_addresses(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	set_flow(&b->flows[0], 17, 53, 100, 1);
	ofd_harness_process(h, b);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_bits{Etype=\"2048\",Proto=\"17\"}"), 800);
	free(t);
	ofd_harness_free(h);

	h = open_at(&port, "labels: [SamplerAddress, dst_addr, src_country]");
	b = ofd_harness_batch(h, 2);
	ofd_ip_set4u(&b->flows[0].sampler_address, 0xc0000201); /* 192.0.2.1 */
	const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	ofd_ip_set6(&b->flows[0].dst_addr, v6);
	memcpy(b->flows[0].src_country, "DE", 2);
	b->flows[0].bytes = 10;
	b->flows[1].bytes = 20; /* no addresses: "" */
	ofd_harness_process(h, b);
	t = scrape(port, "/flowdata");
	assert_int_equal(
	    sample(t, "flow_bits{SamplerAddress=\"192.0.2.1\",dst_addr=\"2001:db8::1\",src_country=\"DE\"}"),
	    80);
	assert_int_equal(sample(t, "flow_bits{SamplerAddress=\"\",dst_addr=\"\",src_country=\"\"}"), 160);
	free(t);
	ofd_harness_free(h);
}

/* The cap: max_series label sets, the rest under "other", folded counted. */
static void test_cap_other(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: \"proto,dst_port\", max_series: 4");
	struct ofd_batch *b = ofd_harness_batch(h, 10);
	for (int i = 0; i < 10; i++)
		set_flow(&b->flows[i], 17, (uint16_t)(1000 + i), 100, 1);
	ofd_harness_process(h, b);
	b = ofd_harness_batch(h, 2);
	set_flow(&b->flows[0], 17, 1000, 100, 1); /* known: counted in its own */
	set_flow(&b->flows[1], 17, 2000, 100, 1); /* new: other */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "folded"), 7);
	assert_int_equal(ofd_harness_metric(h, "prometheus_folded_total", "flows"), 7);
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "flows"), 4);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_number{proto=\"other\",dst_port=\"other\"}"), 7);
	assert_int_equal(sample(t, "flow_bits{proto=\"other\",dst_port=\"other\"}"), 5600);
	assert_int_equal(sample(t, "flow_number{proto=\"17\",dst_port=\"1000\"}"), 2);
	/* exactly 4 + 1 series per family */
	int lines = 0;
	for (const char *p = t; (p = strstr(p, "\nflow_number{")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 5);
	free(t);
	t = scrape(port, "/metrics");
	assert_int_equal(sample(t, "overflowd_prometheus_folded_total{table=\"flows\"}"), 7);
	assert_int_equal(sample(t, "overflowd_prometheus_series_max{table=\"flows\"}"), 4);
	free(t);
	ofd_harness_free(h);
}

/* Series not counted within vacuum_interval go; the rest stays; room is made again. */
static void test_vacuum(void **state)
{
	(void)state;
	const uint64_t s = 1000000000ull;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: dst_port, vacuum_interval: 10s, max_series: 2");
	ofd_harness_tick(h, 100 * s);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	set_flow(&b->flows[0], 6, 1, 10, 1);
	set_flow(&b->flows[1], 6, 2, 10, 1);
	set_flow(&b->flows[2], 6, 3, 10, 1); /* over the cap: other */
	ofd_harness_process(h, b);
	ofd_harness_tick(h, 105 * s);
	b = ofd_harness_batch(h, 1);
	set_flow(&b->flows[0], 6, 2, 10, 1);
	ofd_harness_process(h, b);
	ofd_harness_tick(h, 110 * s); /* 10 s since port 1: not older than the interval yet */
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "flows"), 2);
	ofd_harness_tick(h, 111 * s); /* port 1 and other go, port 2 stays */
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "flows"), 1);
	assert_int_equal(ofd_harness_counter(h, "vacuumed"), 2);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_number{dst_port=\"1\"}"), -1);
	assert_int_equal(sample(t, "flow_number{dst_port=\"other\"}"), -1);
	assert_int_equal(sample(t, "flow_number{dst_port=\"2\"}"), 2);
	free(t);
	b = ofd_harness_batch(h, 1); /* room again: a series of its own */
	set_flow(&b->flows[0], 6, 3, 10, 1);
	ofd_harness_process(h, b);
	t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_number{dst_port=\"3\"}"), 1);
	free(t);
	ofd_harness_free(h);
}

/* Label values from the network are escaped as the exposition format says. */
static void test_escaping(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: SrcIfDesc");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	b->flows[0].in_if_desc = "a\"b\\c\nd";
	b->flows[0].bytes = 1;
	b->flows[1].in_if_desc = "bad \xff byte";
	b->flows[1].bytes = 2;
	/* longer than kept: cut at 63 bytes */
	b->flows[2].in_if_desc = "0123456789012345678901234567890123456789012345678901234567890123456789";
	b->flows[2].bytes = 3;
	ofd_harness_process(h, b);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_bits{SrcIfDesc=\"a\\\"b\\\\c\\nd\"}"), 8);
	assert_int_equal(sample(t, "flow_bits{SrcIfDesc=\"bad ? byte\"}"), 16);
	assert_int_equal(
	    sample(
		t,
		"flow_bits{SrcIfDesc=\"012345678901234567890123456789012345678901234567890123456789012\"}"),
	    24);
	free(t);
	ofd_harness_free(h);
}

/* export_as_pairs and export_as_paths on the as_path field (consecutive repeats merged). */
static void test_as_pairs_paths(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "export_as_pairs: true, export_as_paths: true");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	const uint32_t path[] = {64500, 64500, 64501, 64502};
	memcpy(b->flows[0].as_path, path, sizeof(path));
	b->flows[0].as_path_len = 4;
	b->flows[0].bytes = 1000;
	b->flows[1].as_path[0] = 64500; /* a path of one: not counted */
	b->flows[1].as_path_len = 1;
	b->flows[1].bytes = 7;
	ofd_harness_process(h, b);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(
	    sample(t, "flow_as_hop_pair_bytes{from=\"64500\",to=\"64501\",path_direction=\"Destination\"}"),
	    1000);
	assert_int_equal(
	    sample(t, "flow_as_hop_pair_bytes{from=\"64501\",to=\"64502\",path_direction=\"Destination\"}"),
	    1000);
	assert_int_equal(
	    sample(t, "flow_as_hop_pair_bytes{from=\"64502\",to=\"64502\",path_direction=\"Destination\"}"),
	    1000);
	assert_int_equal(
	    sample(t, "flow_as_hop_pair_bytes{from=\"64500\",to=\"64500\",path_direction=\"Destination\"}"),
	    -1);
	assert_int_equal(sample(t, "flow_as_path_bytes{as_path=\"[64500 64501 64502]\"}"), 1000);
	assert_null(strstr(t, "as_path=\"[64500]\""));
	free(t);
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "as_pairs"), 3);
	assert_int_equal(ofd_harness_metric(h, "prometheus_series", "as_paths"), 1);
	ofd_harness_free(h);
}

static int daemon_fill(void *ctx, struct ofd_prom *w)
{
	(void)ctx;
	ofd_prom_single(w, "overflowd_test_total", OFD_PROM_COUNTER, "The daemon's own.", 42);
	return 0;
}

/* The endpoint of the daemon's metrics server: one server, its /metrics kept, /flowdata added. */
static void test_shared_with_daemon(void **state)
{
	(void)state;
	struct ofd_metrics *m = NULL;
	char err[512] = "", addr[64], cfg[256];
	unsigned port = 0;
	for (int attempt = 0; attempt < 5 && !m; attempt++) {
		port = test_free_port(SOCK_STREAM);
		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		if (ofd_metrics_start(&m, addr, daemon_fill, NULL, err, sizeof(err)))
			m = NULL;
	}
	assert_non_null(m);
	snprintf(cfg, sizeof(cfg), "{endpoint: \"%s\", labels: dst_port}", addr);
	struct ofd_harness *h = st_open(&ofd_seg_prometheus, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	set_flow(&b->flows[0], 6, 22, 50, 1);
	ofd_harness_process(h, b);
	char *t = scrape(port, "/metrics"); /* the daemon's, not the segment's */
	assert_int_equal(sample(t, "overflowd_test_total"), 42);
	assert_int_equal(sample(t, "kafka_messages_total"), -1);
	free(t);
	t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_bits{dst_port=\"22\"}"), 400);
	free(t);
	/* a second one on the same path is refused with the reason */
	struct ofd_harness *h2 = NULL;
	assert_int_not_equal(ofd_harness_new(&h2, &ofd_seg_prometheus, cfg, err, sizeof(err)), 0);
	assert_null(h2);
	/* ... on another path it shares the server too (and a server of its own lists its paths) */
	snprintf(cfg, sizeof(cfg), "{endpoint: \"%s\", flowdatapath: /flows2, metricspath: /meta2}", addr);
	h2 = st_open(&ofd_seg_prometheus, cfg);
	t = scrape(port, "/meta2");
	assert_int_equal(sample(t, "kafka_messages_total"), 0);
	free(t);
	ofd_harness_free(h2);
	ofd_harness_free(h);
	char *body = NULL;
	assert_int_equal(http_get(port, "/flowdata", &body), 404); /* gone, the server stays */
	free(body);
	t = scrape(port, "/metrics");
	assert_int_equal(sample(t, "overflowd_test_total"), 42);
	free(t);
	ofd_metrics_stop(m);
}

static void test_config_errors(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_prometheus,
					 "{endpoint: \"127.0.0.1:0\", labels: nosuch}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "unknown field \"nosuch\""));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_prometheus,
					 "{endpoint: \"127.0.0.1:0\", labels: \"proto,Proto\"}", err,
					 sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "names a field twice"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_prometheus,
					 "{endpoint: \"127.0.0.1:0\", metricspath: /x, flowdatapath: /x}",
					 err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "both /x"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_prometheus, "{endpoint: \"localhost:80\"}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_prometheus,
					 "{endpoint: \"127.0.0.1:0\", max_series: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
}

struct scraper {
	unsigned port;
	volatile int stop;
	int scrapes, went_back;
	long long last;
};

static void *scrape_loop(void *arg)
{
	struct scraper *sc = arg;
	while (!__atomic_load_n(&sc->stop, __ATOMIC_ACQUIRE)) {
		char *t = NULL;
		if (http_get(sc->port, "/flowdata", &t) == 200) {
			long long v = sample(t, "flow_number{dst_port=\"7\"}");
			if (v >= 0 && v < sc->last)
				sc->went_back++;
			if (v >= 0)
				sc->last = v;
			__atomic_add_fetch(&sc->scrapes, 1, __ATOMIC_RELEASE);
		}
		free(t);
	}
	return NULL;
}

/* Scrapes while records are counted: the counters only go up, and end exact. */
static void test_scrapes_while_counting(void **state)
{
	(void)state;
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: dst_port, max_series: 64");
	struct scraper sc = {.port = port};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, scrape_loop, &sc), 0);
	long long rounds = 0; /* at least 2000, and until three scrapes went through */
	for (; rounds < 2000 || (__atomic_load_n(&sc.scrapes, __ATOMIC_ACQUIRE) < 3 && rounds < 10000000);
	     rounds++) {
		struct ofd_batch *b = ofd_harness_batch(h, 100);
		for (int i = 0; i < 100; i++)
			set_flow(&b->flows[i], 17, (uint16_t)(i % 100), 10, 1); /* 36 ports over the cap */
		ofd_harness_process(h, b);
	}
	__atomic_store_n(&sc.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_true(sc.scrapes >= 3);
	assert_int_equal(sc.went_back, 0);
	char *t = scrape(port, "/flowdata");
	assert_int_equal(sample(t, "flow_number{dst_port=\"7\"}"), rounds);
	assert_int_equal(sample(t, "flow_number{dst_port=\"other\"}"), 36 * rounds);
	free(t);
	assert_int_equal(ofd_harness_counter(h, "folded"), 36 * rounds);
	ofd_harness_free(h);
}

/* ---- a real Prometheus server ---- */

/*
 * Waiting without sleeps: besides the segment, Prometheus scrapes a probe target this test
 * serves (a listening socket). Each wait blocks in poll() on that socket until Prometheus's
 * next scrape of it arrives (bounded by a timeout), answers it, and returns: so the test moves
 * on when a scrape round happened, not after a guessed delay.
 */
static pid_t prom_pid = -1;
static int probe_fd = -1;

static void prom_stop(void)
{
	if (prom_pid > 0) {
		kill(prom_pid, SIGTERM);
		waitpid(prom_pid, NULL, 0);
	}
	prom_pid = -1;
	if (probe_fd >= 0)
		close(probe_fd);
	probe_fd = -1;
}

static unsigned probe_listen(void)
{
	probe_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(probe_fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(probe_fd, 8), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(probe_fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

/* Wait up to ms for Prometheus to scrape the probe; answer it. 1 if it did. */
static int probe_wait(int ms)
{
	struct pollfd p = {.fd = probe_fd, .events = POLLIN};
	if (poll(&p, 1, ms) != 1)
		return 0;
	int c = accept(probe_fd, NULL, NULL);
	if (c < 0)
		return 0;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[4096];
	size_t n = 0;
	while (n < sizeof(req) - 1) { /* the request's headers */
		ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
				     "Content-Length: 13\r\nConnection: close\r\n\r\nprobe_up 1.0\n";
	ssize_t w = write(c, answer, sizeof(answer) - 1);
	close(c);
	return w == (ssize_t)sizeof(answer) - 1;
}

/* Start prometheus scraping 127.0.0.1:target/flowdata and the probe every second; returns its
   API port once it scraped the probe (at most 60 waits of 1 s for that). */
static unsigned prom_start(unsigned target)
{
	char conf[1024], data[600], confpath[600], listen_addr[64];
	unsigned probe = probe_listen();
	snprintf(conf, sizeof(conf),
		 "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
		 "scrape_configs:\n  - job_name: ofd\n    metrics_path: /flowdata\n"
		 "    static_configs:\n      - targets: ['127.0.0.1:%u']\n"
		 "  - job_name: probe\n    static_configs:\n      - targets: ['127.0.0.1:%u']\n",
		 target, probe);
	snprintf(confpath, sizeof(confpath), "%s", st_path("prometheus.yml"));
	st_write(confpath, conf);
	snprintf(data, sizeof(data), "%s", st_path("tsdb"));
	for (int attempt = 0; attempt < 5; attempt++) {
		unsigned port = test_free_port(SOCK_STREAM);
		snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%u", port);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int fd = open(st_path("prometheus.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no server behind */
			char a1[700], a2[700], a3[100];
			snprintf(a1, sizeof(a1), "--config.file=%s", confpath);
			snprintf(a2, sizeof(a2), "--storage.tsdb.path=%s", data);
			snprintf(a3, sizeof(a3), "--web.listen-address=%s", listen_addr);
			char *argv[] = {PROMETHEUS_BIN, a1, a2, a3, "--log.level=warn", NULL};
			char *env[] = {"PATH=/usr/bin:/bin", NULL};
			execve(PROMETHEUS_BIN, argv, env);
			_exit(127);
		}
		prom_pid = pid;
		for (int i = 0; i < 60; i++) {
			if (probe_wait(1000)) {
				char *body = NULL;
				int st = http_get(port, "/-/ready", &body);
				free(body);
				if (st == 200)
					return port;
			}
			int status;
			if (waitpid(pid, &status, WNOHANG) == pid) { /* it died: its port was taken? */
				prom_pid = -1;
				break;
			}
		}
		if (prom_pid > 0) {
			kill(prom_pid, SIGKILL);
			waitpid(prom_pid, NULL, 0);
			prom_pid = -1;
		}
	}
	fail_msg("prometheus did not start (see %s)", st_path("prometheus.log"));
	return 0;
}

/* The value Prometheus has for query (an instant vector of one sample), or -1. */
static long long prom_query(unsigned port, const char *query_enc)
{
	char path[1024], *body = NULL;
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", query_enc);
	int st = http_get(port, path, &body);
	long long v = -1;
	const char *p = body ? strstr(body, "\"value\":[") : NULL;
	if (st == 200 && strstr(body, "\"status\":\"success\"") && p) {
		p = strchr(p, ',');
		if (p && p[1] == '"')
			v = strtoll(p + 2, NULL, 10);
	}
	free(body);
	return v;
}

static void test_real_prometheus(void **state)
{
	(void)state;
	if (access(PROMETHEUS_BIN, X_OK) != 0) {
		print_message("skipped: " PROMETHEUS_BIN " is missing (Debian package prometheus)\n");
		skip();
	}
	unsigned port;
	struct ofd_harness *h = open_at(&port, "labels: \"proto,dst_port,SrcIfDesc\"");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	set_flow(&b->flows[0], 17, 123, 4680, 10);
	b->flows[0].in_if_desc = "uplink \"A\"";
	set_flow(&b->flows[1], 17, 123, 468, 1);
	b->flows[1].in_if_desc = "uplink \"A\"";
	set_flow(&b->flows[2], 6, 443, 1500, 1);
	b->flows[2].in_if_desc = "core";
	ofd_harness_process(h, b);
	unsigned pport = prom_start(port);
	/* flow_bits{job="ofd",proto="17",dst_port="123",SrcIfDesc="uplink \"A\""} */
	const char *q1 = "flow_bits%7Bjob%3D%22ofd%22%2Cproto%3D%2217%22%2Cdst_port%3D%22123%22%2C"
			 "SrcIfDesc%3D%22uplink%20%5C%22A%5C%22%22%7D";
	const char *q2 = "flow_packets%7Bjob%3D%22ofd%22%2Cproto%3D%2217%22%7D";
	const char *q3 = "flow_number%7Bjob%3D%22ofd%22%2Cproto%3D%226%22%2Cdst_port%3D%22443%22%7D";
	long long v1 = -1, v2 = -1, v3 = -1;
	/* a query after each scrape round of the probe, at most 30 rounds (each wait at most 2 s) */
	for (int i = 0; i < 30; i++) {
		v1 = prom_query(pport, q1);
		v2 = prom_query(pport, q2);
		v3 = prom_query(pport, q3);
		if (v1 >= 0 && v2 >= 0 && v3 >= 0)
			break;
		probe_wait(2000);
	}
	if (v1 < 0)
		print_error("see %s\n", st_path("prometheus.log"));
	assert_int_equal(v1, 41184); /* (4680 + 468) * 8 */
	assert_int_equal(v2, 11);
	assert_int_equal(v3, 1);
	/* the counters go on: Prometheus reads the new value after the next scrapes */
	b = ofd_harness_batch(h, 1);
	set_flow(&b->flows[0], 6, 443, 100, 1);
	b->flows[0].in_if_desc = "core";
	ofd_harness_process(h, b);
	for (int i = 0; i < 30 && v3 != 2; i++) {
		probe_wait(2000);
		v3 = prom_query(pport, q3);
	}
	assert_int_equal(v3, 2);
	assert_int_equal(prom_query(pport, "up%7Bjob%3D%22ofd%22%7D"), 1); /* the scrapes went well */
	prom_stop();
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_default_labels_and_addresses),
	    cmocka_unit_test(test_cap_other),
	    cmocka_unit_test(test_vacuum),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_as_pairs_paths),
	    cmocka_unit_test(test_shared_with_daemon),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_scrapes_while_counting),
	    cmocka_unit_test(test_real_prometheus),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
