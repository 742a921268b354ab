/*
 * http: POSTs every live record as one JSON object (without a newline; Content-Type:
 * application/json) to `url`, as flowpipeline's http alert segment does, without holding the
 * pipeline up. The body is flowpipeline's by default (`format: protojson`: the proto3 JSON of its
 * EnrichedFlow, src/format/protojson.h, compact, as the json segment writes it), or overflowd's
 * JSON (`format: overflowd`: goflow2's keys, the json segment's default). Records are rendered
 * into a bounded queue of `queue` slots and a background thread sends them one after the other;
 * a record that finds the queue full is dropped and counted (dropped_full), one that renders
 * longer than a slot (4 KiB: only with many long strings) is dropped and counted (dropped_large)
 * rather than posted cut. Records pass on unchanged.
 *
 *   - segment: http
 *     config: {url: "https://example.com/postable-endpoint"}
 *
 * Delivery: an answer 2xx is success (sent). A transport error (connect, TLS, `timeout`), 408,
 * 429 or 5xx is retried up to `retries` times after `backoff`, doubled per attempt (at most
 * 60 s); then, and at once for any other answer, the record is given up (failed). Failures are
 * logged rate-limited, and once more when a post succeeds again. At the end of the pipeline the
 * thread sends what is queued, one attempt each; after the first failure then the rest is
 * dropped and counted (dropped_stop), so a dead endpoint cannot hold the shutdown up.
 * Differences from flowpipeline, which posts synchronously in the pipeline: records are queued and
 * may be dropped (above); redirects are not followed; Go's protojson sometimes puts a blank after
 * a `:` or `,` at random (to keep users from relying on its bytes), we never do.
 * Proxies come from the environment as curl reads them (http_proxy, https_proxy, no_proxy).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/flowfmt.h"
#include "format/protojson.h"
#include "ofd/segment.h"
#include "ofd/time.h"

#define SLOT	    OFD_WBUF_RECORD_MAX
#define BACKOFF_MAX (60ull * 1000000000ull)
/* The render buffer: room for the longest record (17 strings of 6 * OFD_FMT_TEXT_MAX escaped
   bytes and the rest), so that ofd_wbuf_reserve never flushes in the middle of one. */
#define RENDER_CAP (64u * 1024u)

struct http_state {
	/* config */
	char *url;
	uint64_t queue, retries, backoff_ns, timeout_ns, connect_timeout_ns;
	int format; /* 0 protojson, 1 overflowd */
	/* the queue: slots[head..head+count) are waiting, the one at head is being sent */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int locks; /* mu and cv were initialised */
	int curl_inited;
	char *slots;
	uint32_t *lens;
	size_t head, count;
	/* process() only */
	struct ofd_wbuf w;
	/* the sender thread only */
	CURL *easy;
	struct curl_slist *headers;
	int failing;
	struct ofd_ratelimit rl;
	_Atomic uint64_t queued; /* for collect() */
};

enum { C_SENT, C_FAILED, C_RETRIES, C_DROPPED_FULL, C_DROPPED_STOP, C_DROPPED_LARGE };
static const char *const http_counters[] = {"sent",	    "failed",	     "retries", "dropped_full",
					    "dropped_stop", "dropped_large", NULL};
static const char *const http_formats[] = {"protojson", "overflowd", NULL};

enum { M_QUEUED };
static const struct ofd_metric http_metrics[] = {
    [M_QUEUED] = {"http_queued",
		  OFD_METRIC_GAUGE,
		  0,
		  "Records waiting to be posted (the one being sent included).",
		  {NULL}},
    {.name = NULL},
};

static const struct ofd_cfg_key http_keys[] = {
    OFD_KEY("url", OFD_CFG_STRING, struct http_state, url, .required = 1,
	    .help = "the endpoint every record is POSTed to, http:// or https://"),
    OFD_KEY("format", OFD_CFG_ENUM, struct http_state, format, .def = "protojson", .choices = http_formats,
	    .help = "the body: protojson, flowpipeline's (the proto3 JSON of its EnrichedFlow, as the json "
		    "output's format: protojson writes it, on one line: lowerCamel keys, 64-bit numbers as "
		    "strings, addresses as base64, zero fields left out); or overflowd, the json output's "
		    "default (goflow2's snake_case keys and renderings plus the enriched fields present)"),
    OFD_KEY("queue", OFD_CFG_UINT, struct http_state, queue, .def = "1024", .min = 1, .max = 65536,
	    .help = "records waiting to be sent at most (4 KiB each); a record beyond is dropped and counted "
		    "(dropped_full), as is one that renders longer than 4 KiB (dropped_large)"),
    OFD_KEY("retries", OFD_CFG_UINT, struct http_state, retries, .def = "3", .min = 0, .max = 100,
	    .help = "further attempts after a transport error, 408, 429 or 5xx"),
    OFD_KEY("backoff", OFD_CFG_DURATION, struct http_state, backoff_ns, .def = "500ms",
	    .help = "wait before the first retry, doubled for each further one (at most 60s)"),
    OFD_KEY("timeout", OFD_CFG_DURATION, struct http_state, timeout_ns, .def = "10s",
	    .help = "a whole request at most (connect, send, answer)"),
    OFD_KEY("connect_timeout", OFD_CFG_DURATION, struct http_state, connect_timeout_ns, .def = "5s",
	    .help = "connecting at most"),
    OFD_KEY_END,
};

static int http_check(const void *state, char *err, size_t errlen)
{
	const struct http_state *s = state;
	if (strncasecmp(s->url, "http://", 7) != 0 && strncasecmp(s->url, "https://", 8) != 0) {
		snprintf(err, errlen, "key url: the scheme must be http:// or https:// (got \"%.64s\")",
			 s->url);
		return OFD_ECONFIG;
	}
	if (!s->timeout_ns || !s->connect_timeout_ns) {
		snprintf(err, errlen, "key timeout, connect_timeout: must be more than 0");
		return OFD_ECONFIG;
	}
	return 0;
}

static size_t http_discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p, (void)ctx;
	return size * n;
}

/* One attempt at posting body: 0 sent, 1 worth retrying, -1 not. */
static int http_post(struct ofd_segment *seg, struct http_state *s, const char *body, uint32_t len)
{
	CURL *e = s->easy;
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	CURLcode rc = curl_easy_perform(e);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		if (s->failing)
			ofd_seg_log(seg, OFD_LOG_INFO, "posting to %s works again", s->url);
		s->failing = 0;
		return 0;
	}
	s->failing = 1;
	if (rc != CURLE_OK)
		ofd_log_rl(&s->rl, OFD_LOG_ERR, "%s:%u: segment %s: posting to %s: %s", ofd_segment_file(seg),
			   ofd_segment_line(seg), ofd_segment_name(seg), s->url, curl_easy_strerror(rc));
	else
		ofd_log_rl(&s->rl, OFD_LOG_ERR, "%s:%u: segment %s: posting to %s: answer %ld",
			   ofd_segment_file(seg), ofd_segment_line(seg), ofd_segment_name(seg), s->url,
			   status);
	return rc != CURLE_OK || status == 408 || status == 429 || status >= 500 ? 1 : -1;
}

/* Send the record at the head of the queue: with retries while running, once when stopping. */
static void http_send_head(struct ofd_segment *seg, struct http_state *s, int *give_up)
{
	const char *body = s->slots + s->head * SLOT;
	uint32_t len = s->lens[s->head];
	if (*give_up) {
		ofd_segment_count(seg, C_DROPPED_STOP, 1);
		return;
	}
	uint64_t wait = s->backoff_ns;
	for (uint64_t attempt = 0;; attempt++) {
		int stopping = ofd_segment_thread_stopping(seg);
		int rc = http_post(seg, s, body, len);
		if (rc == 0) {
			ofd_segment_count(seg, C_SENT, 1);
			return;
		}
		if (stopping) { /* the end: one attempt each, and none after a failure */
			*give_up = 1;
			ofd_segment_count(seg, C_DROPPED_STOP, 1);
			return;
		}
		if (rc < 0 || attempt >= s->retries) {
			ofd_segment_count(seg, C_FAILED, 1);
			return;
		}
		ofd_segment_count(seg, C_RETRIES, 1);
		if (ofd_segment_thread_wait(seg, wait)) { /* told to stop while waiting */
			*give_up = 1;
			ofd_segment_count(seg, C_DROPPED_STOP, 1);
			return;
		}
		wait = wait * 2 > BACKOFF_MAX ? BACKOFF_MAX : wait * 2;
	}
}

static void http_thread(struct ofd_segment *seg, void *arg)
{
	struct http_state *s = arg;
	int give_up = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->count && !ofd_segment_thread_stopping(seg)) {
			struct timespec ts = ofd_time_ts(ofd_time_now_ns() + 100000000ull);
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		int empty = !s->count;
		pthread_mutex_unlock(&s->mu);
		if (empty) /* and stopping */
			return;
		http_send_head(seg, s, &give_up); /* the head slot is ours until it is popped */
		pthread_mutex_lock(&s->mu);
		s->head = (s->head + 1) % s->queue;
		s->count--;
		atomic_store_explicit(&s->queued, s->count, memory_order_relaxed);
		pthread_mutex_unlock(&s->mu);
	}
}

static int http_init(struct ofd_segment *seg, void *state)
{
	struct http_state *s = state;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return OFD_ECONFIG;
	s->curl_inited = 1;
	if (pthread_mutex_init(&s->mu, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&s->cv, NULL)) {
		pthread_mutex_destroy(&s->mu);
		return -ENOMEM;
	}
	s->locks = 1;
	s->slots = malloc(s->queue * SLOT);
	s->lens = calloc(s->queue, sizeof(*s->lens));
	s->easy = curl_easy_init();
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h = s->headers ? curl_slist_append(s->headers, "Expect:") : NULL;
	if (!s->slots || !s->lens || !s->easy || !h)
		return -ENOMEM;
	s->headers = h;
	int rc = ofd_wbuf_init(&s->w, -1, RENDER_CAP);
	if (rc)
		return rc;
	CURL *e = s->easy;
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)(s->timeout_ns / 1000000 ? s->timeout_ns / 1000000 : 1));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(s->connect_timeout_ns / 1000000 ? s->connect_timeout_ns / 1000000 : 1));
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "overflowd");
	return ofd_segment_spawn(seg, http_thread, s);
}

static void http_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct http_state *s = state;
	pthread_mutex_lock(&s->mu);
	size_t room = s->queue - s->count, tail = (s->head + s->count) % s->queue;
	pthread_mutex_unlock(&s->mu);
	/* the slots from tail on are free until they are counted in: render there unlocked */
	size_t k = 0;
	uint64_t dropped = 0, large = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (k == room) {
			dropped++;
			continue;
		}
		s->w.len = 0;
		uint64_t errors = s->w.errors; /* a flush (to no fd) would count one: not reached */
		if (s->format == 0)
			ofd_protojson_write(&s->w, &b->flows[i], 0);
		else
			ofd_fmt_json_enriched(&s->w, &b->flows[i]);
		size_t len = s->w.len;
		if (len && s->w.buf[len - 1] == '\n')
			len--;
		if (len > SLOT || s->w.errors != errors) {
			large++;
			continue;
		}
		size_t slot = (tail + k) % s->queue;
		memcpy(s->slots + slot * SLOT, s->w.buf, len);
		s->lens[slot] = (uint32_t)len;
		k++;
	}
	s->w.len = 0;
	if (k) {
		pthread_mutex_lock(&s->mu);
		s->count += k;
		atomic_store_explicit(&s->queued, s->count, memory_order_relaxed);
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	if (dropped)
		ofd_segment_count(seg, C_DROPPED_FULL, dropped);
	if (large)
		ofd_segment_count(seg, C_DROPPED_LARGE, large);
}

static void http_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct http_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &http_metrics[M_QUEUED], NULL,
		       atomic_load_explicit(&s->queued, memory_order_relaxed));
}

/* The thread is joined before this runs. */
static void http_fini(struct ofd_segment *seg, void *state)
{
	struct http_state *s = state;
	(void)seg;
	s->w.len = 0; /* nothing to flush: the buffer only renders */
	ofd_wbuf_fini(&s->w);
	if (s->easy)
		curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->headers);
	free(s->slots);
	free(s->lens);
	if (s->locks) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	if (s->curl_inited)
		curl_global_cleanup();
}

const struct ofd_segment_type ofd_seg_http = {
    OFD_SEGMENT_VERSION,
    .name = "http",
    .kind = OFD_SEG_OUTPUT,
    .summary =
	"POST every record as JSON (flowpipeline's protojson, or overflowd's) to a URL, from a bounded "
	"queue, with retries (flowpipeline's http alert)",
    .state_size = sizeof(struct http_state),
    .config = http_keys,
    .check = http_check,
    .counters = http_counters,
    .metrics = http_metrics,
    .collect = http_collect,
    .init = http_init,
    .process = http_process,
    .fini = http_fini,
};
