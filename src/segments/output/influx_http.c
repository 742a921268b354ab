/*
 * The influx output's connections (influx.h): one libcurl easy handle per writer-pool worker,
 * kept alive between chunks. A chunk is one POST of line protocol:
 *
 *   v2: POST ADDRESS/api/v2/write?org=ORG&bucket=BUCKET&precision=ns, Authorization: Token TOKEN
 *   v1: POST ADDRESS/write?db=BUCKET&precision=ns, basic auth user:password when the token holds
 *       a colon, else Authorization: Token TOKEN (InfluxDB 1.8+ and 2.x's /write take it)
 *
 * auto starts with v2 and switches to v1 for the rest of the run on the first 404 from
 * /api/v2/write (a 1.x server before 1.8 has no such path), logged once.
 * Answers: 204/200 written; 5xx, 429, 408 retried (OFD_WP_RETRY); a transport error (refused,
 * reset, timeout) retried on a new connection (OFD_WP_RECONNECT); any other (400 bad points,
 * 401/403, 404 unknown database or bucket, 413) refused: the rows are lost (OFD_WP_FAIL) with
 * the server's error text, which the pool logs at a rate limit.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segments/output/influx.h"
#include "util/termtext.h"

#define RESP_MAX 1024 /* bytes of an answer's body kept for the log (the pool keeps 1 KiB) */

struct influx_conn {
	CURL *e;
	struct curl_slist *hdr_v1, *hdr_v2;
	int api; /* what the handle is set up for (0: nothing yet) */
	size_t resp_len;
	char resp[RESP_MAX];
	char curlerr[CURL_ERROR_SIZE];
};

static size_t keep_body(char *p, size_t size, size_t n, void *ctx)
{
	struct influx_conn *c = ctx;
	size_t len = size * n, room = sizeof(c->resp) - 1 - c->resp_len;
	if (room) {
		size_t k = len < room ? len : room;
		memcpy(c->resp + c->resp_len, p, k);
		c->resp_len += k;
	}
	return len; /* the rest is read and dropped: the body is bounded here, not by the server */
}

static char *join(const char *a, const char *b, const char *c, const char *d, const char *e)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s%s%s", a, b, c, d, e);
	return s;
}

int influx_http_init(struct ofd_segment *seg, struct influx_state *s)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	s->curl_inited = 1;
	char *org = curl_easy_escape(NULL, s->org ? s->org : "", 0);
	char *bucket = curl_easy_escape(NULL, s->bucket, 0);
	char base[1024];
	size_t n = strlen(s->address);
	while (n && s->address[n - 1] == '/')
		n--;
	if (n >= sizeof(base)) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key address: longer than %zu bytes", sizeof(base) - 1);
		curl_free(org);
		curl_free(bucket);
		return OFD_ECONFIG;
	}
	memcpy(base, s->address, n);
	base[n] = 0;
	if (org && bucket) {
		char *q = join("?org=", org, "&bucket=", bucket, "&precision=ns");
		s->url_v2 = q ? join(base, "/api/v2/write", q, "", "") : NULL;
		free(q);
		s->url_v1 = join(base, "/write?db=", bucket, "&precision=ns", "");
	}
	curl_free(org);
	curl_free(bucket);
	int token = s->token && s->token[0]; /* none (api: v1 only): no Authorization at all */
	if (token)
		s->auth_header = join("Authorization: Token ", s->token, "", "", "");
	if (token && strchr(s->token, ':'))
		s->userpwd = join(s->token, "", "", "", "");
	if (!s->url_v1 || !s->url_v2 || (token && !s->auth_header) ||
	    (token && strchr(s->token, ':') && !s->userpwd))
		return -ENOMEM;
	return 0;
}

void influx_http_fini(struct influx_state *s)
{
	free(s->url_v1);
	free(s->url_v2);
	free(s->auth_header);
	free(s->userpwd);
	s->url_v1 = s->url_v2 = s->auth_header = s->userpwd = NULL;
	if (s->curl_inited)
		curl_global_cleanup();
	s->curl_inited = 0;
}

static void conn_free(struct influx_conn *c)
{
	if (c->e)
		curl_easy_cleanup(c->e);
	curl_slist_free_all(c->hdr_v1);
	curl_slist_free_all(c->hdr_v2);
	free(c);
}

static struct curl_slist *headers(const char *auth)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	struct curl_slist *t = h ? curl_slist_append(h, "Expect:") : NULL; /* no 100-continue wait */
	if (t && auth)
		t = curl_slist_append(t, auth);
	if (!t)
		curl_slist_free_all(h);
	return t;
}

static void *influx_open(void *arg, unsigned w, char *err, size_t errlen)
{
	struct influx_state *s = arg;
	(void)w;
	struct influx_conn *c = calloc(1, sizeof(*c));
	if (!c || !(c->e = curl_easy_init())) {
		snprintf(err, errlen, "out of memory");
		if (c)
			conn_free(c);
		return NULL;
	}
	c->hdr_v2 = headers(s->auth_header);
	c->hdr_v1 = headers(s->userpwd ? NULL : s->auth_header);
	if (!c->hdr_v1 || !c->hdr_v2) {
		snprintf(err, errlen, "out of memory");
		conn_free(c);
		return NULL;
	}
	CURL *e = c->e;
	long ms = (long)(s->timeout_ns / 1000000 ? s->timeout_ns / 1000000 : 1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms < 5000 ? ms : 5000L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curlerr);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "overflowd");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	return c; /* connects with the first chunk */
}

static void influx_close(void *arg, void *conn)
{
	(void)arg;
	conn_free(conn);
}

static void setup(struct influx_state *s, struct influx_conn *c, int api)
{
	if (c->api == api)
		return;
	c->api = api;
	curl_easy_setopt(c->e, CURLOPT_URL, api == INFLUX_V1 ? s->url_v1 : s->url_v2);
	curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, api == INFLUX_V1 ? c->hdr_v1 : c->hdr_v2);
	if (api == INFLUX_V1 && s->userpwd) {
		curl_easy_setopt(c->e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->e, CURLOPT_USERPWD, s->userpwd);
	} else {
		curl_easy_setopt(c->e, CURLOPT_USERPWD, NULL);
	}
}

/* One POST: the status (0: transport error, in c->curlerr). */
static long post(struct influx_state *s, struct influx_conn *c, int api, const char *data, size_t len)
{
	setup(s, c, api);
	c->resp_len = 0;
	c->curlerr[0] = 0;
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	CURLcode rc = curl_easy_perform(c->e);
	if (rc != CURLE_OK) {
		if (!c->curlerr[0])
			snprintf(c->curlerr, sizeof(c->curlerr), "%s", curl_easy_strerror(rc));
		return 0;
	}
	long status = 0;
	curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static int influx_send(void *arg, void *conn, const char *data, size_t len, uint32_t rows, char *err,
		       size_t errlen)
{
	struct influx_state *s = arg;
	struct influx_conn *c = conn;
	(void)rows;
	int api = atomic_load(&s->api_now);
	long st = post(s, c, api, data, len);
	if (st == 404 && api == INFLUX_V2 && s->api == INFLUX_AUTO) {
		int want = INFLUX_V2;
		if (atomic_compare_exchange_strong(&s->api_now, &want, INFLUX_V1)) {
			ofd_seg_log(s->seg, OFD_LOG_INFO,
				    "%s: 404: no InfluxDB 2 write API there; writing to /write?db=%s "
				    "(InfluxDB 1.x) from now on",
				    s->url_v2, s->bucket);
			ofd_segment_count(s->seg, C_FALLBACKS, 1);
		}
		api = INFLUX_V1;
		st = post(s, c, api, data, len);
	}
	if (st == 204 || st == 200)
		return OFD_WP_OK;
	if (st == 0) {
		snprintf(err, errlen, "%s: %s", api == INFLUX_V1 ? s->url_v1 : s->url_v2, c->curlerr);
		return OFD_WP_RECONNECT;
	}
	char text[OFD_TERMTEXT_CAP(RESP_MAX)];
	size_t n = c->resp_len;
	while (n && (c->resp[n - 1] == '\n' || c->resp[n - 1] == '\r'))
		n--;
	ofd_termtext_escape(text, sizeof(text), c->resp, n);
	snprintf(err, errlen, "%s: answer %ld: %s", api == INFLUX_V1 ? "/write" : "/api/v2/write", st, text);
	if (st >= 500 || st == 429 || st == 408)
		return OFD_WP_RETRY;
	ofd_segment_count(s->seg, C_REFUSED, 1);
	return OFD_WP_FAIL;
}

const struct ofd_wpool_ops influx_ops = {
    .open = influx_open,
    .send = influx_send,
    .close = influx_close,
};
