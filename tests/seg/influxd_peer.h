/*
 * A real InfluxDB 1.x (Debian's influxd) for the influx output's test: started with a config
 * file the test writes (meta, data and wal dirs under the scratch directory, HTTP and the RPC
 * service on free ports of 127.0.0.1, reporting, monitoring, CQs off), its log read through a
 * pipe until it says "Listening on HTTP" (each wait bounded by poll(), at most 60 s in all: no
 * sleeps), then /ping answered 204; the rest of its log drained by a thread into influxd.log.
 * Stopped with SIGTERM (killed with the test if it dies first). influxd_http() sends requests
 * to it (queries, CREATE DATABASE) with libcurl. Include after segtest.h.
 */
#ifndef OFD_TEST_INFLUXD_PEER_H
#define OFD_TEST_INFLUXD_PEER_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "ofd/time.h"

#define INFLUXD "/usr/bin/influxd"

static pid_t influxd_pid = -1;
static unsigned influxd_port;
static int influxd_log_fd = -1;
static pthread_t influxd_drain_thr;
static int influxd_drain_on;

/* A TCP port free on 127.0.0.1 now. */
static unsigned free_tcp_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

struct resp {
	char buf[65536];
	size_t len;
};

static size_t resp_add(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t k = size * n, room = sizeof(r->buf) - 1 - r->len;
	if (k > room)
		k = room;
	memcpy(r->buf + r->len, p, k);
	r->len += k;
	r->buf[r->len] = 0;
	return size * n;
}

/* method GET or POST of path (query escaped by the caller) on 127.0.0.1:port; the status (0:
   transport error), the answer's body in r. */
static long http_to(unsigned port, const char *method, const char *path, struct resp *r)
{
	char url[4096];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	CURL *e = curl_easy_init();
	assert_non_null(e);
	r->len = 0;
	r->buf[0] = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, resp_add);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	long status = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return status;
}

/* A query (InfluxQL, escaped here) on database db ("" for none), times in ns: the JSON. */
static const char *influxd_query(const char *db, const char *q, struct resp *r)
{
	char *eq = curl_easy_escape(NULL, q, 0);
	char path[3000];
	snprintf(path, sizeof(path), "/query?epoch=ns&db=%s&q=%s", db, eq);
	curl_free(eq);
	long st = http_to(influxd_port, "POST", path, r);
	if (st != 200)
		print_error("query %s: %ld %s\n", q, st, r->buf);
	assert_int_equal(st, 200);
	return r->buf;
}

/* influxd_query until the answer holds want (a write answered 204 is in influxd's cache, yet a
   loaded machine showed it late once), at most 10 s; fails with the last answer. */
static const char *influxd_query_has(const char *db, const char *q, const char *want, struct resp *r)
{
	uint64_t until = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	for (;;) {
		const char *j = influxd_query(db, q, r);
		if (strstr(j, want))
			return j;
		if (ofd_time_mono_ns() > until)
			fail_msg("query %s: %s lacks %s", q, j, want);
	}
}

static void *influxd_drain(void *arg)
{
	int fd = (int)(intptr_t)arg;
	int out = open(st_path("influxd.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (out >= 0 && write(out, buf, (size_t)n) < 0)
			break;
	if (out >= 0)
		close(out);
	close(fd);
	return NULL;
}

/* Read the log until it says the HTTP service listens (1), or influxd ended/60 s passed (0). */
static int influxd_wait_listening(int fd)
{
	char buf[8192];
	size_t len = 0;
	uint64_t until = (uint64_t)time(NULL) + 60;
	int out = open(st_path("influxd.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
	int ok = 0;
	while (!ok && (uint64_t)time(NULL) < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 1000) <= 0)
			continue;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		if (out >= 0 && write(out, buf + len, (size_t)n) < 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		ok = strstr(buf, "Listening on HTTP") != NULL;
		if (len > sizeof(buf) / 2) { /* keep the tail: the phrase may straddle reads */
			memmove(buf, buf + len - 64, 64);
			len = 64;
		}
	}
	if (out >= 0)
		close(out);
	return ok;
}

static int influxd_start(void)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		influxd_port = free_tcp_port();
		unsigned rpc = free_tcp_port();
		char conf[4096];
		snprintf(conf, sizeof(conf),
			 "reporting-disabled = true\n"
			 "bind-address = \"127.0.0.1:%u\"\n"
			 "[meta]\n  dir = \"%s/meta\"\n"
			 "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n  query-log-enabled = false\n"
			 "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:%u\"\n"
			 "  auth-enabled = false\n  log-enabled = false\n"
			 "[monitor]\n  store-enabled = false\n"
			 "[continuous_queries]\n  enabled = false\n"
			 "[subscriber]\n  enabled = false\n",
			 rpc, st_dir, st_dir, st_dir, influxd_port);
		char confpath[600];
		snprintf(confpath, sizeof(confpath), "%s", st_path("influxd.conf"));
		st_write(confpath, conf);
		int pfd[2];
		assert_int_equal(pipe(pfd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			close(pfd[0]);
			close(pfd[1]);
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no influxd behind */
			char *env[] = {"PATH=/usr/bin:/bin", NULL};
			char *argv[] = {INFLUXD, "-config", confpath, NULL};
			execve(INFLUXD, argv, env);
			_exit(127);
		}
		close(pfd[1]);
		influxd_pid = pid;
		int ok = influxd_wait_listening(pfd[0]);
		struct resp r;
		for (int i = 0; ok && i < 50; i++) /* listening: /ping answers at once (bounded) */
			if (http_to(influxd_port, "GET", "/ping", &r) == 204)
				break;
		influxd_log_fd = pfd[0];
		assert_int_equal(
		    pthread_create(&influxd_drain_thr, NULL, influxd_drain, (void *)(intptr_t)pfd[0]), 0);
		influxd_drain_on = 1;
		if (ok && http_to(influxd_port, "GET", "/ping", &r) == 204)
			return 0;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pthread_join(influxd_drain_thr, NULL);
		influxd_drain_on = 0;
		influxd_pid = -1;
	}
	print_error("influxd did not start (see %s)\n", st_path("influxd.log"));
	return -1;
}

static void influxd_stop(void)
{
	if (influxd_pid > 0) {
		kill(influxd_pid, SIGTERM);
		waitpid(influxd_pid, NULL, 0);
	}
	if (influxd_drain_on)
		pthread_join(influxd_drain_thr, NULL);
	influxd_drain_on = 0;
	influxd_pid = -1;
}

#endif
