/*
 * The /metrics server and the pipeline's families, scraped over real HTTP on 127.0.0.1 with
 * libcurl. Every scrape is parsed line by line by a small parser here that also checks the
 * format (HELP and TYPE once per family and before its samples, a family's samples together,
 * counters named *_total, valid label syntax and escapes, no series twice) before values are
 * looked up by series.
 *
 * Cases: the address syntax; the server alone (GET, HEAD, 405 with Allow, 404, 500 from a
 * failing fill, a text larger than the first buffer, a taken port); the shared NetFlow capture
 * through pcap -> count (exact datagrams, records, drops, engine counters, queue gauges, and
 * counters that never go back while scraped during the run); duplicate segment names in a
 * branch; a udp input fed a malformed datagram and a v9 template (drops by reason and by
 * exporter, template gauges); the per-exporter drop table (top 64 plus other, a flood of new
 * addresses that cannot evict a heavy dropper, nothing lost, merges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode_metrics.h"
#include "net/hostport.h"
#include "obs/metrics_http.h"
#include "obs/pipeline_metrics.h"
#include "decode/template.h"
#include "format/promtext.h"
#include "gen_v9ipfix.h"
#include "pipehelp.h"
#include "segments/builtin.h"
#include "segments/input/udp_seg.h"

static char capture[512];
static char dir[] = "/tmp/ofd-metrics-XXXXXX";

/* ---- HTTP ---- */

struct body {
	char *p;
	size_t n;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	char *q = realloc(b->p, b->n + size * n + 1);
	if (!q)
		return 0;
	memcpy(q + b->n, p, size * n);
	b->p = q;
	b->n += size * n;
	b->p[b->n] = 0;
	return size * n;
}

struct reply {
	long status;
	char type[128];
	char allow[64];
	struct body body;
};

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = size * n;
	const char *names[] = {"Content-Type: ", "Allow: "};
	char *dst[] = {r->type, r->allow};
	for (int i = 0; i < 2; i++) {
		size_t k = strlen(names[i]);
		if (len > k && !strncasecmp(p, names[i], k)) {
			size_t v = len - k;
			while (v && (p[k + v - 1] == '\r' || p[k + v - 1] == '\n'))
				v--;
			snprintf(dst[i], 64, "%.*s", (int)v, p + k);
		}
	}
	return len;
}

/* method "GET", "HEAD", "POST"... on http://127.0.0.1:port/path; the caller frees r->body.p
   (also on failure). */
static long http_timeout_ms = 5000;
static const char *http_source; /* the client's address, or NULL */

static CURLcode http_try(uint16_t port, const char *method, const char *path, struct reply *r)
{
	char url[128];
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, http_timeout_ms);
	if (http_source)
		curl_easy_setopt(c, CURLOPT_INTERFACE, http_source);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	else if (strcmp(method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	if (!r->body.p)
		r->body.p = calloc(1, 1);
	return rc;
}

static void http(uint16_t port, const char *method, const char *path, struct reply *r)
{
	CURLcode rc = http_try(port, method, path, r);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
}

/* ---- the exposition parser ---- */

#define MAXS 16384
#define MAXF 64

struct series {
	char key[256]; /* name{labels} exactly as written */
	uint64_t v;
};

struct expo {
	struct series s[MAXS];
	size_t ns;
	char fam[MAXF][128];
	char type[MAXF][16];
	size_t nf;
};

static struct expo X;

static const char *name_end(const char *p)
{
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_' || *p == ':')
		p++;
	return p;
}

/* Labels at p ('{' ... '}'): valid names and escapes; returns the char after '}'. */
static const char *parse_labels(const char *p, int line)
{
	if (*p != '{')
		return p;
	p++;
	for (;;) {
		const char *n = name_end(p);
		if (n == p || n[0] != '=' || n[1] != '"')
			fail_msg("line %d: bad label name", line);
		p = n + 2;
		while (*p != '"') {
			if (*p == '\n' || !*p)
				fail_msg("line %d: unterminated label value", line);
			if (*p == '\\') {
				if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
					fail_msg("line %d: bad escape \\%c", line, p[1]);
				p++;
			}
			p++;
		}
		p++;
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			fail_msg("line %d: expected , or }", line);
		p++;
	}
}

/* Parse and check a whole exposition into X. */
static void parse(const char *text)
{
	memset(&X, 0, sizeof(X));
	char cur[128] = "", help_for[128] = "";
	int line = 0;
	const char *p = text;
	assert_true(*text == 0 || text[strlen(text) - 1] == '\n');
	while (*p) {
		const char *eol = strchr(p, '\n');
		assert_non_null(eol);
		line++;
		if (!strncmp(p, "# HELP ", 7)) {
			const char *n = p + 7, *e = name_end(n);
			snprintf(help_for, sizeof(help_for), "%.*s", (int)(e - n), n);
			for (size_t f = 0; f < X.nf; f++)
				if (!strcmp(X.fam[f], help_for))
					fail_msg("line %d: family %s declared again", line, help_for);
		} else if (!strncmp(p, "# TYPE ", 7)) {
			const char *n = p + 7, *e = name_end(n);
			assert_true(X.nf < MAXF);
			snprintf(X.fam[X.nf], sizeof(X.fam[0]), "%.*s", (int)(e - n), n);
			if (strcmp(X.fam[X.nf], help_for))
				fail_msg("line %d: TYPE %s without its HELP just before", line, X.fam[X.nf]);
			snprintf(X.type[X.nf], sizeof(X.type[0]), "%.*s", (int)(eol - e - 1), e + 1);
			if (strcmp(X.type[X.nf], "counter") && strcmp(X.type[X.nf], "gauge"))
				fail_msg("line %d: type %s", line, X.type[X.nf]);
			size_t nl = strlen(X.fam[X.nf]);
			if (!strcmp(X.type[X.nf], "counter") &&
			    (nl < 6 || strcmp(X.fam[X.nf] + nl - 6, "_total")))
				fail_msg("line %d: counter %s not named *_total", line, X.fam[X.nf]);
			snprintf(cur, sizeof(cur), "%s", X.fam[X.nf]);
			X.nf++;
		} else if (*p == '#') {
			fail_msg("line %d: unexpected comment", line);
		} else {
			const char *e = name_end(p);
			if (e == p || (size_t)(e - p) != strlen(cur) || strncmp(p, cur, strlen(cur)))
				fail_msg("line %d: sample %.*s outside its family (%s)", line, (int)(eol - p),
					 p, cur);
			const char *after = parse_labels(e, line);
			if (*after != ' ')
				fail_msg("line %d: no space before the value", line);
			assert_true(X.ns < MAXS);
			struct series *s = &X.s[X.ns];
			assert_true((size_t)(after - p) < sizeof(s->key));
			memcpy(s->key, p, (size_t)(after - p));
			char *end;
			errno = 0;
			s->v = strtoull(after + 1, &end, 10);
			if (end != eol || errno || after[1] == '-')
				fail_msg("line %d: value %.*s", line, (int)(eol - after - 1), after + 1);
			for (size_t i = 0; i < X.ns; i++)
				if (!strcmp(X.s[i].key, s->key))
					fail_msg("line %d: series %s twice", line, s->key);
			X.ns++;
		}
		p = eol + 1;
	}
}

/* The value of a series, or -1 when absent. */
static int64_t val(const char *key)
{
	for (size_t i = 0; i < X.ns; i++)
		if (!strcmp(X.s[i].key, key))
			return (int64_t)X.s[i].v;
	return -1;
}

static inline int has_family(const char *name)
{
	for (size_t f = 0; f < X.nf; f++)
		if (!strcmp(X.fam[f], name))
			return 1;
	return 0;
}

/* Series of a family. */
static size_t nseries(const char *family)
{
	size_t n = 0, l = strlen(family);
	for (size_t i = 0; i < X.ns; i++)
		n += !strncmp(X.s[i].key, family, l) && (X.s[i].key[l] == '{' || !X.s[i].key[l]);
	return n;
}

static void scrape(uint16_t port)
{
	struct reply r;
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
	parse(r.body.p);
	free(r.body.p);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Scrape until key has value want, for at most 5 s. */
static inline void scrape_until(uint16_t port, const char *key, int64_t want)
{
	uint64_t end = mono_ms() + 5000;
	for (;;) {
		scrape(port);
		if (val(key) == want)
			return;
		if (mono_ms() > end) {
			for (size_t i = 0; i < X.ns; i++)
				print_message("%s %llu\n", X.s[i].key, (unsigned long long)X.s[i].v);
			fail_msg("%s: %lld, want %lld", key, (long long)val(key), (long long)want);
		}
		struct timespec ts = {0, 10 * 1000000}; /* a poll interval, not a wait for an event */
		nanosleep(&ts, NULL);
	}
}

/* ---- the address syntax ---- */

static void test_addr(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	int dual = -1;
	assert_int_equal(ofd_hostport_parse("127.0.0.1:9100", &ss, &dual), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9100);
	assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(dual, 0);
	assert_int_equal(ofd_hostport_parse("[::]:9100", &ss, &dual), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(dual, 1);
	assert_int_equal(ofd_hostport_parse("[::1]:0", &ss, &dual), 0);
	assert_int_equal(dual, 0);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 0);
	assert_int_equal(ofd_hostport_parse(":65535", &ss, &dual), 0);
	assert_int_equal(dual, 1);
	assert_int_equal(ofd_hostport_parse("0.0.0.0:1", NULL, NULL), 0);
	static const char *const bad[] = {"",
					  ":",
					  "9100",
					  "127.0.0.1",
					  "127.0.0.1:",
					  "127.0.0.1:65536",
					  "127.0.0.1:99999",
					  "127.0.0.1:123456",
					  "127.0.0.1:-1",
					  "127.0.0.1:+80",
					  "127.0.0.1:80x",
					  "::1:9100",
					  "[::1]9100",
					  "[::1:9100",
					  "[]:9100",
					  "[127.0.0.1]:80",
					  "localhost:9100",
					  "1.2.3:80",
					  " 127.0.0.1:80",
					  NULL};
	for (int i = 0; bad[i]; i++)
		if (ofd_hostport_parse(bad[i], NULL, NULL) != OFD_ECONFIG)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(ofd_hostport_parse(NULL, NULL, NULL), OFD_ECONFIG);
}

/* ---- the server alone ---- */

struct fill_ctx {
	int scrapes;
	size_t big; /* bytes of extra samples to write */
	int fail;
};

static int fill_test(void *ctx, struct ofd_prom *w)
{
	struct fill_ctx *f = ctx;
	if (f->fail)
		return -ENOMEM;
	ofd_prom_single(w, "t_scrapes_total", OFD_PROM_COUNTER, "Scrapes.", (uint64_t)++f->scrapes);
	if (f->big) {
		char v[16];
		ofd_prom_family(w, "t_big", OFD_PROM_GAUGE, "Many series.");
		for (size_t i = 0; i * 20 < f->big; i++) {
			snprintf(v, sizeof(v), "%zu", i);
			ofd_prom_u64(w, OFD_PROM_LABELS({"i", v}), i);
		}
	}
	return 0;
}

static void test_server(void **state)
{
	(void)state;
	struct fill_ctx f = {0};
	struct ofd_metrics *m;
	char err[256];
	assert_int_equal(ofd_metrics_start(&m, "127.0.0.1:0", fill_test, &f, err, sizeof(err)), 0);
	uint16_t port = ofd_metrics_port(m);
	assert_true(port != 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", (unsigned)port);
	assert_string_equal(ofd_metrics_url(m), url);

	struct reply r;
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
	/* the fill's text, then the server's connection guard */
	static const char head[] = "# HELP t_scrapes_total Scrapes.\n# TYPE t_scrapes_total counter\n"
				   "t_scrapes_total 1\n# HELP overflowd_http_connections ";
	assert_int_equal(strncmp(r.body.p, head, sizeof(head) - 1), 0);
	assert_non_null(strstr(r.body.p, "\noverflowd_http_connections 1\n"));
	assert_non_null(strstr(r.body.p, "\noverflowd_http_deferred 0\n"));
	free(r.body.p);
	http(port, "HEAD", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.n, 0);
	free(r.body.p);
	http(port, "GET", "/metrics?x=1", &r); /* a query string changes nothing */
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.p, "t_scrapes_total 3\n"));
	free(r.body.p);
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", NULL};
	for (int i = 0; methods[i]; i++) {
		http(port, methods[i], "/metrics", &r);
		assert_int_equal(r.status, 405);
		assert_string_equal(r.allow, "GET, HEAD");
		free(r.body.p);
	}
	static const char *const paths[] = {"/", "/metrics/", "/metricsx", "/.well-known/overflowd", NULL};
	for (int i = 0; paths[i]; i++) {
		http(port, "GET", paths[i], &r);
		assert_int_equal(r.status, 404);
		free(r.body.p);
	}
	http(port, "POST", "/elsewhere", &r);
	assert_int_equal(r.status, 404);
	free(r.body.p);

	/* a text far beyond the first 64 KiB buffer: the buffer grows, every line arrives */
	f.big = 160000;
	scrape(port);
	assert_int_equal(nseries("t_big"), 8000);
	assert_int_equal(val("t_big{i=\"7999\"}"), 7999);
	f.big = 0;
	/* a failing fill: 500, and the server goes on */
	f.fail = 1;
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 500);
	free(r.body.p);
	f.fail = 0;
	scrape(port);
	assert_int_equal(val("t_scrapes_total"), f.scrapes);

	/* slowloris: 20 idle connections from 127.0.0.1 hold OFD_METRICS_PER_ADDRESS, the rest
	   are closed at accept; a scraper at 127.0.0.2 is answered at once, and the scrape counts
	   the refusals; past the header deadline the idle ones are closed */
	enum { IDLE = 20 };
	int idle[IDLE];
	for (int i = 0; i < IDLE; i++) {
		idle[i] = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(connect(idle[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	uint64_t until = mono_ms() + 5000;
	while (ofd_metrics_connections(m) != OFD_METRICS_PER_ADDRESS && mono_ms() < until)
		sched_yield();
	assert_int_equal(ofd_metrics_connections(m), OFD_METRICS_PER_ADDRESS);
	http_source = "127.0.0.2";
	http_timeout_ms = 1000;
	scrape(port);
	assert_int_equal(val("overflowd_http_refused_total{reason=\"per_address\"}"),
			 IDLE - OFD_METRICS_PER_ADDRESS);
	assert_int_equal(val("overflowd_http_connections"), OFD_METRICS_PER_ADDRESS + 1);
	http_timeout_ms = 5000;
	until = mono_ms() + (OFD_METRICS_HEADER_S + 3) * 1000;
	while (ofd_metrics_connections(m) != 0 && mono_ms() < until)
		sched_yield();
	assert_int_equal(ofd_metrics_connections(m), 0);
	scrape(port);
	assert_int_equal(val("overflowd_http_deadline_closed_total{phase=\"headers\"}"),
			 OFD_METRICS_PER_ADDRESS);
	http_source = NULL;
	for (int i = 0; i < IDLE; i++)
		close(idle[i]);

	/* the same address again: refused with the reason, nothing started */
	struct ofd_metrics *m2 = NULL;
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)port);
	assert_int_equal(ofd_metrics_start(&m2, addr, fill_test, &f, err, sizeof(err)), -EADDRINUSE);
	assert_null(m2);
	char want[128];
	snprintf(want, sizeof(want), "metrics: cannot listen on %s: Address already in use", addr);
	assert_string_equal(err, want);
	assert_int_equal(ofd_metrics_start(&m2, "127.0.0.1:http", fill_test, &f, err, sizeof(err)),
			 OFD_ECONFIG);
	ofd_metrics_stop(m);
	ofd_metrics_stop(NULL);

	/* the port is free again once stopped */
	assert_int_equal(ofd_metrics_start(&m, addr, fill_test, &f, err, sizeof(err)), 0);
	ofd_metrics_stop(m);

	/* [::]: both families where IPv6 exists (IPv4 alone otherwise) */
	assert_int_equal(ofd_metrics_start(&m, "[::]:0", fill_test, &f, err, sizeof(err)), 0);
	scrape(ofd_metrics_port(m)); /* over 127.0.0.1 */
	assert_int_equal(val("t_scrapes_total"), f.scrapes);
	ofd_metrics_stop(m);
}

/* ---- pipelines ---- */

/* The pipeline tests run these built-in segments: a build without one of them skips them. */
#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_UDP) && defined(OFD_HAVE_SEGMENT_COUNT) &&    \
    defined(OFD_HAVE_SEGMENT_CSV) && defined(OFD_HAVE_SEGMENT_FLOWFILTER)
static int fill_pipeline(void *ctx, struct ofd_prom *w)
{
	return ofd_pipeline_metrics(ctx, w);
}

static struct ofd_metrics *serve(struct seg_pipeline *sp)
{
	struct ofd_metrics *m;
	char err[256];
	const char *addr = ofd_cfg_metrics(sp->cfg);
	assert_non_null(addr);
	assert_int_equal(ofd_metrics_start(&m, addr, fill_pipeline, sp->p, err, sizeof(err)), 0);
	return m;
}

#define PCAP_SERIES(fam, lab) "overflowd_" fam "{segment=\"pcap\"," lab "}"

static void test_pcap_pipeline(void **state)
{
	(void)state;
	if (access(capture, R_OK) != 0)
		skip();
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "metrics: \"127.0.0.1:0\"\n"
		 "pipeline:\n"
		 "  - segment: pcap\n    config: {filename: [%s]}\n"
		 "  - segment: count\n    config: {filename: %s/count.txt}\n",
		 capture, dir);
	const struct ofd_segment_type *const types[] = {&ofd_seg_pcap, &ofd_seg_count, NULL};
	struct seg_pipeline sp;
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	struct ofd_metrics *m = serve(&sp);
	uint16_t port = ofd_metrics_port(m);

	/* before the start: every counter is there and 0; no queues yet */
	scrape(port);
	assert_int_equal(val("overflowd_pipeline_records_in_total"), 0);
	assert_int_equal(val(PCAP_SERIES("records_total", "format=\"netflow_v5\"")), 0);
	assert_int_equal(nseries("overflowd_drops_total"), OFD_DROP__COUNT);
	assert_false(has_family("overflowd_pool_batches"));

	/* while it runs: nothing ever goes back, nothing exceeds the capture */
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	int64_t last_rec = 0, last_in = 0, last_out = 0, scrapes = 0;
	while (!ofd_pipeline_wait(sp.p, 0)) {
		scrape(port);
		int64_t rec = val(PCAP_SERIES("records_total", "format=\"netflow_v5\""));
		int64_t in = val("overflowd_pipeline_records_in_total");
		int64_t out = val("overflowd_segment_records_out_total{segment=\"count\"}");
		assert_true(rec >= last_rec && rec <= 78684);
		assert_true(in >= last_in && in <= 78684);
		assert_true(out >= last_out && out <= in);
		last_rec = rec, last_in = in, last_out = out;
		scrapes++;
	}
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	print_message("scrapes during the run: %lld\n", (long long)scrapes);

	/* after the end: the capture's facts */
	scrape(port);
	assert_int_equal(val(PCAP_SERIES("datagrams_total", "format=\"netflow_v5\"")), 2708);
	assert_int_equal(val(PCAP_SERIES("datagrams_total", "format=\"netflow_v9\"")), 0);
	assert_int_equal(val(PCAP_SERIES("datagrams_total", "format=\"ipfix\"")), 0);
	assert_int_equal(val(PCAP_SERIES("datagrams_total", "format=\"sflow_v5\"")), 0);
	assert_int_equal(val(PCAP_SERIES("datagrams_total", "format=\"unknown\"")), 0);
	assert_int_equal(val(PCAP_SERIES("records_total", "format=\"netflow_v5\"")), 78684);
	assert_int_equal(val(PCAP_SERIES("records_total", "format=\"ipfix\"")), 0);
	assert_int_equal(nseries("overflowd_records_total"), 4);
	/* the file is cut in its last frame: one capture drop, every other reason 0 (but there) */
	for (int k = 0; k < OFD_DROP__COUNT; k++) {
		char key[160];
		snprintf(key, sizeof(key), "overflowd_drops_total{segment=\"pcap\",reason=\"%s\"}",
			 ofd_drop_name((enum ofd_drop)k));
		assert_int_equal(val(key), k == OFD_DROP_CAPTURE_TRUNCATED ? 1 : 0);
	}
	/* capture drops have no exporter: only "other", 0 */
	assert_int_equal(nseries("overflowd_drops_by_exporter_total"), 1);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"other\"}"), 0);
	assert_int_equal(val("overflowd_templates{segment=\"pcap\",kind=\"template\"}"), 0);
	assert_int_equal(val("overflowd_templates{segment=\"pcap\",kind=\"options\"}"), 0);
	assert_int_equal(val("overflowd_template_exporters{segment=\"pcap\"}"), 0);
	/* the engine */
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(sp.p, &t);
	assert_int_equal(val("overflowd_pipeline_records_in_total"), 78684);
	assert_int_equal(val("overflowd_pipeline_records_out_total"), 78684);
	assert_true(t.batches > 0);
	assert_int_equal(val("overflowd_pipeline_batches_total"), t.batches);
	assert_int_equal(val("overflowd_pipeline_queue_waits_total"), t.queue_waits);
	assert_int_equal(val("overflowd_segment_records_out_total{segment=\"pcap\"}"), 78684);
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"pcap\"}"), -1); /* an input */
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"count\"}"), 78684);
	assert_int_equal(val("overflowd_segment_records_out_total{segment=\"count\"}"), 78684);
	assert_int_equal(val("overflowd_segment_dropped_total{segment=\"count\"}"), 0);
	/* queues, drained: the whole pool (16 by default) free, one stage, no blocking segment */
	assert_int_equal(val("overflowd_pool_batches{state=\"free\"}"), 16);
	assert_int_equal(val("overflowd_pool_batches{state=\"in_use\"}"), 0);
	assert_int_equal(val("overflowd_stage_queue_batches{stage=\"0\"}"), 0);
	assert_int_equal(nseries("overflowd_stage_queue_batches"), 1);
	assert_false(has_family("overflowd_output_queue_batches"));
	ofd_metrics_stop(m);
	seg_pipeline_close(&sp);
}

/* Two segments of one name are "csv" and "csv#2"; a filter's drops; blocking queues. */
static void test_branch_labels(void **state)
{
	(void)state;
	if (access(capture, R_OK) != 0)
		skip();
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "metrics: \"127.0.0.1:0\"\n"
		 "pipeline:\n"
		 "- segment: pcap\n  config: {filename: %s}\n"
		 "- segment: branch\n"
		 "  if:\n    - segment: flowfilter\n      config: {filter: \"proto tcp\"}\n"
		 "  then:\n    - segment: csv\n      config: {filename: %s/tcp.csv}\n"
		 "  else:\n    - segment: csv\n      config: {filename: %s/rest.csv}\n"
		 "- segment: flowfilter\n  config: {filter: \"proto udp\"}\n",
		 capture, dir, dir);
	const struct ofd_segment_type *const types[] = {&ofd_seg_pcap, &ofd_seg_csv, &ofd_seg_flowfilter,
							NULL};
	struct seg_pipeline sp;
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	struct ofd_metrics *m = serve(&sp);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	while (!ofd_pipeline_wait(sp.p, 1000))
		;
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	scrape(ofd_metrics_port(m));
	/* entries: pcap, branch, flowfilter, csv, csv, flowfilter */
	struct ofd_seg_counters c[6];
	assert_int_equal(ofd_pipeline_entries(sp.p), 6);
	for (size_t i = 0; i < 6; i++)
		ofd_pipeline_entry_counters(sp.p, i, &c[i]);
	/* 36886 of the capture's records are TCP */
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"flowfilter\"}"), 78684);
	assert_int_equal(val("overflowd_segment_dropped_total{segment=\"flowfilter\"}"), 78684 - 36886);
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"csv\"}"), 36886);
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"csv#2\"}"), 78684 - 36886);
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"branch\"}"), 78684);
	assert_int_equal(val("overflowd_segment_dropped_total{segment=\"branch\"}"), 0);
	/* the second flowfilter keeps UDP: its drops are the engine's in - out exactly */
	assert_int_equal(val("overflowd_segment_records_in_total{segment=\"flowfilter#2\"}"), 78684);
	assert_int_equal(val("overflowd_segment_dropped_total{segment=\"flowfilter#2\"}"), c[5].dropped);
	assert_int_equal(val("overflowd_segment_records_out_total{segment=\"flowfilter#2\"}"), c[5].out);
	assert_true(c[5].out > 0 && c[5].out < 78684 - 36886);
	assert_int_equal(val("overflowd_pipeline_records_out_total"), c[5].out);
	/* both file outputs are blocking: their queues (drained) and waits */
	assert_int_equal(val("overflowd_output_queue_batches{segment=\"csv\"}"), 0);
	assert_int_equal(val("overflowd_output_queue_batches{segment=\"csv#2\"}"), 0);
	assert_int_equal(val("overflowd_segment_queue_waits_total{segment=\"csv\"}"), c[3].queue_waits);
	assert_int_equal(val("overflowd_segment_queue_waits_total{segment=\"csv#2\"}"), c[4].queue_waits);
	assert_int_equal(nseries("overflowd_segment_records_out_total"), 6);
	ofd_metrics_stop(m);
	seg_pipeline_close(&sp);
}

static void *udp_state;

static int udp_init_wrap(struct ofd_segment *seg, void *st)
{
	udp_state = st;
	return ofd_seg_udp.init(seg, st);
}

static void send_to(uint16_t port, const void *p, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, p, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
	close(fd);
}

/* A malformed datagram counts under its reason and its exporter; a v9 template shows. One
   worker: which worker's socket a datagram reaches depends on its source port. */
static void test_udp_drops(void **state)
{
	(void)state;
	struct ofd_segment_type udp = ofd_seg_udp;
	udp.init = udp_init_wrap;
	const struct ofd_segment_type *const types[] = {&udp, &ofd_seg_count, NULL};
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
		 "metrics: 127.0.0.1:0\npipeline:\n"
		 "  - segment: udp\n    config: {listen: 'udp://127.0.0.1:0', workers: 1}\n"
		 "  - segment: count\n    config: {filename: %s/udp-count.txt}\n",
		 dir);
	struct seg_pipeline sp;
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	struct ofd_metrics *m = serve(&sp);
	uint16_t port = ofd_metrics_port(m), uport = ofd_seg_udp_port(udp_state, 0);
	assert_true(uport != 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);

	static const uint8_t bad[] = {0, 7, 0, 1, 2, 3, 4, 5}; /* "version 7" */
	send_to(uport, bad, sizeof(bad));
	scrape_until(port, "overflowd_drops_total{segment=\"udp\",reason=\"bad_version\"}", 1);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"127.0.0.1\"}"), 1);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"other\"}"), 0);
	assert_int_equal(val("overflowd_datagrams_total{segment=\"udp\",format=\"unknown\"}"), 1);
	assert_int_equal(val("overflowd_drops_total{segment=\"udp\",reason=\"truncated\"}"), 0);

	/* a v9 template and a record of it */
	struct gv_msg msg = {0};
	gv_v9_begin(&msg, 100000, 1700000000, 1, 7);
	gv_set_begin(&msg, 0);
	gv_template(&msg, 256, gv_v4_fields, gv_v4_nfields);
	gv_set_begin(&msg, 1);
	static const struct gv_field scope[] = {{1, 4, 0}};	       /* v9 scope: system */
	static const struct gv_field opt[] = {{34, 4, 0}, {35, 1, 0}}; /* sampling interval, algorithm */
	gv_options_template(&msg, 257, scope, 1, opt, 2);
	gv_set_begin(&msg, 256);
	gv_v4_record(&msg, 1);
	size_t len = gv_end(&msg);
	send_to(uport, msg.g.p, len);
	gv_free(&msg);
	/* a truncated one (3 bytes) from the same exporter */
	send_to(uport, bad, 3);
	scrape_until(port, "overflowd_drops_by_exporter_total{exporter=\"127.0.0.1\"}", 2);
	assert_int_equal(val("overflowd_drops_total{segment=\"udp\",reason=\"truncated\"}"), 1);
	scrape_until(port, "overflowd_records_total{segment=\"udp\",format=\"netflow_v9\"}", 1);
	assert_int_equal(val("overflowd_datagrams_total{segment=\"udp\",format=\"netflow_v9\"}"), 1);
	assert_int_equal(val("overflowd_templates{segment=\"udp\",kind=\"template\"}"), 1);
	assert_int_equal(val("overflowd_templates{segment=\"udp\",kind=\"options\"}"), 1);
	assert_int_equal(val("overflowd_template_exporters{segment=\"udp\"}"), 1);
	scrape_until(port, "overflowd_pipeline_records_out_total", 1);
	ofd_pipeline_stop(sp.p);
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	ofd_metrics_stop(m);
	seg_pipeline_close(&sp);
}

/* ---- the per-exporter drop table ---- */

#else
static void test_pcap_pipeline(void **state)
{
	(void)state;
	skip();
}
static void test_branch_labels(void **state)
{
	(void)state;
	skip();
}
static void test_udp_drops(void **state)
{
	(void)state;
	skip();
}
#endif

static uint64_t table_sum(const struct ofd_exporter_drop_table *t, size_t *used)
{
	uint64_t n = t->other;
	*used = 0;
	for (size_t i = 0; i < OFD_EXPORTER_DROP_SLOTS; i++) {
		n += t->slot[i].drops;
		*used += t->slot[i].drops != 0;
	}
	return n;
}

/* The drops_by_exporter family of a table with `top` exporters named, as the exposition writes it. */
static void write_exporters(struct ofd_prom *w, const struct ofd_exporter_drop_table *t, unsigned top)
{
	struct ofd_metric_table mt;
	ofd_mt_init(&mt);
	ofd_decode_metrics_exporters(&mt.sink, t, top);
	ofd_mt_sort(&mt);
	ofd_obs_write_table(w, &mt);
	ofd_mt_fini(&mt);
}

static void test_exporter_top(void **state)
{
	(void)state;
	/* 100 exporters 10.0.0.1..100, exporter i sending i malformed datagrams */
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	static const uint8_t bad[] = {0, 7, 0, 0};
	for (uint32_t i = 1; i <= 100; i++)
		for (uint32_t k = 0; k < i; k++)
			assert_true(gv_decode(d, bad, sizeof(bad), 0x0a000000 + i, 2055, 0, NULL) < 0);
	assert_int_equal(d->st.drops[OFD_DROP_BAD_VERSION], 5050);
	size_t used;
	assert_int_equal(table_sum(&d->st.by_exporter, &used), 5050);
	assert_int_equal(used, 100);
	assert_int_equal(d->st.by_exporter.other, 0);

	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	struct ofd_prom w;
	ofd_prom_init(&w, buf, 1 << 16);
	write_exporters(&w, &d->st.by_exporter, OFD_METRICS_TOP_EXPORTERS);
	int n = ofd_prom_end(&w);
	assert_true(n > 0);
	buf[n] = 0;
	parse(buf);
	assert_int_equal(nseries("overflowd_drops_by_exporter_total"), 65);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"10.0.0.100\"}"), 100);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"10.0.0.37\"}"), 37);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"10.0.0.36\"}"), -1);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"other\"}"), 36 * 37 / 2);
	/* sorted by drops, the most first, "other" last */
	assert_string_equal(X.s[0].key, "overflowd_drops_by_exporter_total{exporter=\"10.0.0.100\"}");
	assert_string_equal(X.s[64].key, "overflowd_drops_by_exporter_total{exporter=\"other\"}");

	/* stats of two decoders add up, the exporter tables merged */
	struct ofd_decoder *d2;
	assert_int_equal(ofd_decoder_new(&d2, NULL), 0);
	assert_true(gv_decode(d2, bad, 2, 0x0a000005, 2055, 0, NULL) < 0);	     /* truncated */
	assert_true(gv_decode(d2, bad, sizeof(bad), 0xc0000201, 2055, 0, NULL) < 0); /* a new one */
	struct ofd_decode_stats *sum = calloc(1, sizeof(*sum));
	assert_non_null(sum);
	ofd_decode_stats_add(sum, &d->st);
	ofd_decode_stats_add(sum, &d2->st);
	assert_int_equal(sum->datagrams, 5052);
	assert_int_equal(sum->drops[OFD_DROP_BAD_VERSION], 5051);
	assert_int_equal(sum->drops[OFD_DROP_TRUNCATED], 1);
	assert_int_equal(table_sum(&sum->by_exporter, &used), 5052);
	assert_int_equal(used, 101);
	ofd_prom_init(&w, buf, 1 << 16);
	write_exporters(&w, &sum->by_exporter, 3);
	n = ofd_prom_end(&w);
	assert_true(n > 0);
	buf[n] = 0;
	parse(buf);
	assert_int_equal(nseries("overflowd_drops_by_exporter_total"), 4);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"10.0.0.98\"}"), 98);
	assert_int_equal(val("overflowd_drops_by_exporter_total{exporter=\"other\"}"), 5052 - 100 - 99 - 98);
	free(sum);
	free(buf);
	ofd_decoder_free(d2);
	ofd_decoder_free(d);
}

static void test_exporter_flood(void **state)
{
	(void)state;
	struct ofd_exporter_drop_table *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	struct ofd_ip heavy, a;
	ofd_ip_set4u(&heavy, 0xc6336401);
	ofd_exporter_drops_add(t, &heavy, 1000);
	/* 100000 spoofed addresses, one drop each, IPv4 and IPv6 */
	for (uint32_t i = 0; i < 100000; i++) {
		if (i & 1) {
			uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8};
			memcpy(b6 + 12, &i, 4);
			ofd_ip_set6(&a, b6);
		} else {
			ofd_ip_set4u(&a, 0x0a000000 + i);
		}
		ofd_exporter_drops_add(t, &a, 1);
	}
	ofd_exporter_drops_add(t, &heavy, 1);
	size_t used;
	assert_int_equal(table_sum(t, &used), 101001);
	assert_true(used <= OFD_EXPORTER_DROP_SLOTS);
	assert_true(used > OFD_EXPORTER_DROP_SLOTS / 2);
	/* the heavy exporter kept its slot and every one of its drops */
	int found = 0;
	for (size_t i = 0; i < OFD_EXPORTER_DROP_SLOTS; i++) {
		if (t->slot[i].drops && ofd_ip_v4(&t->slot[i].addr) == 0xc6336401 &&
		    t->slot[i].addr.family == heavy.family) {
			assert_int_equal(t->slot[i].drops, 1001);
			found++;
		}
	}
	assert_int_equal(found, 1);
	/* adding 0 is nothing; merging into an empty table keeps the sum */
	ofd_exporter_drops_add(t, &a, 0);
	struct ofd_exporter_drop_table *u = calloc(1, sizeof(*u));
	assert_non_null(u);
	ofd_exporter_drops_merge(u, t);
	assert_int_equal(table_sum(u, &used), 101001);
	free(u);
	free(t);
}

/* The decoder keeps the template gauges current: define templates and an options template,
   then withdraw one (IPFIX). */
static void test_template_gauges(void **state)
{
	(void)state;
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct gv_msg msg = {0};
	gv_ipfix_begin(&msg, 1700000000, 1, 9);
	gv_set_begin(&msg, 2);
	gv_template(&msg, 300, gv_v4_fields, gv_v4_nfields);
	gv_template(&msg, 301, gv_v4_fields, gv_v4_nfields);
	gv_set_begin(&msg, 3);
	static const struct gv_field scope[] = {{149, 4, 0}};		 /* observationDomainId */
	static const struct gv_field opt[] = {{305, 2, 0}, {306, 4, 0}}; /* samplingPacketInterval.. */
	gv_options_template(&msg, 400, scope, 1, opt, 2);
	size_t len = gv_end(&msg);
	assert_int_equal(gv_decode(d, msg.g.p, len, 0xc0000202, 4739, 1, NULL), 0);
	gv_free(&msg);
	assert_int_equal(d->st.templates_active, 3);
	assert_int_equal(d->st.options_templates_active, 1);
	assert_int_equal(d->st.template_exporters_active, 1);
	assert_int_equal(d->st.templates_active, ofd_tmpl_cache_templates(d->tc));
	gv_ipfix_begin(&msg, 1700000001, 2, 9);
	gv_set_begin(&msg, 2);
	gv_withdraw(&msg, 300);
	len = gv_end(&msg);
	assert_int_equal(gv_decode(d, msg.g.p, len, 0xc0000202, 4739, 2, NULL), 0);
	gv_free(&msg);
	assert_int_equal(d->st.templates_active, 2);
	assert_int_equal(d->st.options_templates_active, 1);
	assert_int_equal(d->st.template_exporters_active, 1);
	/* the exposition splits the kinds */
	struct ofd_decode_stats *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	ofd_decode_stats_add(st, &d->st);
	ofd_decode_stats_add(st, &d->st);
	assert_int_equal(st->templates_active, 4);
	assert_int_equal(st->options_templates_active, 2);
	free(st);
	ofd_decoder_free(d);
}

static int setup(void **st)
{
	(void)st;
	const char *data = getenv("OFD_DATA");
	snprintf(capture, sizeof(capture), "%s/netflow_4M.pcap", data ? data : "../shared/data");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	curl_global_cleanup();
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr),	   cmocka_unit_test(test_server),
	    cmocka_unit_test(test_pcap_pipeline),  cmocka_unit_test(test_branch_labels),
	    cmocka_unit_test(test_udp_drops),	   cmocka_unit_test(test_exporter_top),
	    cmocka_unit_test(test_exporter_flood), cmocka_unit_test(test_template_gauges),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
