/*
 * influx: flowpipeline's `influx` output. Every flow becomes one point of the measurement
 * `flowdata` in InfluxDB line protocol (segments/common/lineproto.h): the chosen `tags`
 * (default ProtoName) as tags, the chosen `fields` (default Bytes,Packets) as fields, integers
 * as integers; its timestamp is the time it is written, in ns (flowpipeline's: time.Now()),
 * made strictly increasing within the output so that no two points of a series overwrite each
 * other (`time` chooses a flow time instead). Points are POSTed in chunks of `batchsize` to the
 * InfluxDB 2 write API, or 1.x's /write (`api`; auto finds out), by `workers` connections of the
 * writer pool (segments/common/wpool.h, influx_http.c); retried on 5xx/429/408 and transport
 * errors, lost and counted when refused (400: bad points; 401/403; 404).
 *
 * Writing: a blocking output. A chunk is sent when it holds `batchsize` points, on the tick after
 * it has been open `flushinterval`, when the input acknowledges its source (process() then
 * waits until it is written or given up), and at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ofd/time.h"
#include "segments/common/fieldlist.h"
#include "segments/output/influx.h"

#define ROW_BYTES 256 /* a point's room in a chunk: a chunk of batchsize points is sent earlier */

static const char *const counters[] = {"written",   "lost",    "retried",	"waits", "refused",
				       "too_large", "clamped", "api_fallbacks", NULL};
static const char *const apis[] = {"auto", "v1", "v2", NULL};
static const char *const times[] = {"now", "TimeReceived", "TimeFlowStart", "TimeFlowEnd", NULL};

static int add_tag(void *ctx, const char *name)
{
	return ofd_lp_add_tag(ctx, name);
}

static int add_field(void *ctx, const char *name)
{
	return ofd_lp_add_field(ctx, name);
}

static int scheme_ok(const char *a)
{
	return !strncasecmp(a, "http://", 7) || !strncasecmp(a, "https://", 8);
}

static int influx_init(struct ofd_segment *seg, void *state)
{
	struct influx_state *s = state;
	s->seg = seg;
	int err = ofd_lp_init(&s->lp, s->measurement);
	if (err) {
		if (err == OFD_ECONFIG)
			ofd_seg_log(seg, OFD_LOG_ERR,
				    "key measurement: empty or longer than %d bytes escaped",
				    OFD_LP_KEY_MAX - 1);
		return err;
	}
	if ((err = ofd_fieldlist_each(seg, "tags", &s->tags, add_tag, &s->lp)) ||
	    (err = ofd_fieldlist_each(seg, "fields", &s->fields, add_field, &s->lp)))
		return err;
	if (!s->tags.n && ofd_lp_add_tag(&s->lp, "ProtoName"))
		return OFD_ECONFIG;
	if (!s->fields.n && (ofd_lp_add_field(&s->lp, "Bytes") || ofd_lp_add_field(&s->lp, "Packets")))
		return OFD_ECONFIG;
	const char *both = ofd_lp_finish(&s->lp);
	if (both) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key tags, fields: %s is both a tag and a field", both);
		return OFD_ECONFIG;
	}
	if (s->api != INFLUX_V1 && (!s->token || !s->token[0])) /* an unset $VARIABLE, say */
		ofd_seg_log(seg, OFD_LOG_WARN,
			    "key token: empty: no Authorization is sent, and a server with authentication "
			    "refuses every write (401: counted lost)");
	atomic_store(&s->api_now, s->api == INFLUX_V1 ? INFLUX_V1 : INFLUX_V2);
	if ((err = influx_http_init(seg, s)))
		return err;
	struct ofd_wpool_conf pc = {
	    .workers = (unsigned)s->workers,
	    .chunk_bytes = (size_t)s->batchsize * ROW_BYTES + 65536,
	    .retries = (unsigned)s->retries,
	    .backoff_ns = s->backoff_ns,
	    .c_written = C_WRITTEN,
	    .c_lost = C_LOST,
	    .c_retried = C_RETRIED,
	    .c_waits = C_WAITS,
	};
	err = ofd_wpool_start(&s->wp, seg, &influx_ops, s, &pc);
	if (err)
		ofd_seg_log(seg, OFD_LOG_ERR, "writer pool: %s", strerror(-err));
	return err;
}

static uint64_t stamp(struct influx_state *s, const struct ofd_flow *f, uint64_t now)
{
	switch (s->time_from) {
	case TS_RECEIVED: return f->time_received_ns;
	case TS_START: return f->time_flow_start_ns;
	case TS_END: return f->time_flow_end_ns;
	default: s->last_ts = now > s->last_ts ? now : s->last_ts + 1; return s->last_ts;
	}
}

static void influx_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct influx_state *s = state;
	uint64_t now = s->time_from == TS_NOW ? ofd_time_now_ns() : 0, large = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		uint64_t ts = stamp(s, f, now);
		struct ofd_wpool_chunk *c = ofd_wpool_chunk(s->wp);
		char *e = ofd_lp_row(&s->lp, f, ts, c->data + c->len, c->data + c->cap);
		if (!e && c->rows) { /* full: send it, and try an empty one */
			ofd_wpool_submit(s->wp);
			c = ofd_wpool_chunk(s->wp);
			e = ofd_lp_row(&s->lp, f, ts, c->data + c->len, c->data + c->cap);
		}
		if (!e) { /* larger than a whole chunk: cannot happen with the bounded texts */
			large++;
			continue;
		}
		c->len = (size_t)(e - c->data);
		if (++c->rows >= s->batchsize)
			ofd_wpool_submit(s->wp);
	}
	if (large) {
		ofd_segment_count(seg, C_TOO_LARGE, large);
		ofd_segment_not_through(seg);
	}
	if (s->lp.clamped) {
		ofd_segment_count(seg, C_CLAMPED, s->lp.clamped);
		s->lp.clamped = 0;
	}
	if (ofd_segment_acking(seg))
		(void)ofd_wpool_drain(s->wp); /* lost rows: the pool said not through */
}

static void influx_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct influx_state *s = state;
	(void)seg, (void)now_ns; /* wall clock; the pool's chunks carry monotonic times */
	if (s->wp)
		ofd_wpool_flush_old(s->wp, ofd_time_mono_ns(), s->flush_ns);
}

static void influx_fini(struct ofd_segment *seg, void *state)
{
	struct influx_state *s = state;
	(void)seg;
	ofd_wpool_stop(s->wp); /* drains: the last chunk is written */
	s->wp = NULL;
	influx_http_fini(s);
	ofd_lp_fini(&s->lp);
}

/* --check refuses what init would: unknown field names, a bad address, missing credentials */
static int influx_check(const void *state, char *err, size_t errlen)
{
	const struct influx_state *s = state;
	static struct ofd_lp tmp; /* large: not on the stack; --check is single-threaded */
	char why[160];
	memset(&tmp, 0, sizeof(tmp));
	if (ofd_fieldlist_walk(&s->tags, add_tag, &tmp, why, sizeof(why))) {
		snprintf(err, errlen, "key tags: %s", why);
		return OFD_ECONFIG;
	}
	memset(&tmp, 0, sizeof(tmp));
	if (ofd_fieldlist_walk(&s->fields, add_field, &tmp, why, sizeof(why))) {
		snprintf(err, errlen, "key fields: %s", why);
		return OFD_ECONFIG;
	}
	if (!scheme_ok(s->address)) {
		snprintf(err, errlen, "key address: the scheme must be http:// or https:// (got \"%.64s\")",
			 s->address);
		return OFD_ECONFIG;
	}
	if (s->api != INFLUX_V1 && (!s->org || !s->org[0])) {
		snprintf(err, errlen, "key org: required (but with api: v1)");
		return OFD_ECONFIG;
	}
	if (!s->bucket[0]) {
		snprintf(err, errlen, "key bucket: empty");
		return OFD_ECONFIG;
	}
	if (!s->timeout_ns) {
		snprintf(err, errlen, "key timeout: must be more than 0");
		return OFD_ECONFIG;
	}
	return 0;
}

static const struct ofd_cfg_key influx_keys[] = {
    OFD_KEY("address", OFD_CFG_STRING, struct influx_state, address, .def = "http://127.0.0.1:8086",
	    .help = "the InfluxDB server's URL (http:// or https://; a path prefix is kept)"),
    OFD_KEY("org", OFD_CFG_STRING, struct influx_state, org,
	    .help = "the organization (InfluxDB 2); required but with api: v1, where it is ignored"),
    OFD_KEY("bucket", OFD_CFG_STRING, struct influx_state, bucket, .required = 1,
	    .help = "the bucket (InfluxDB 2), or the database (1.x: /write?db=BUCKET); must exist"),
    OFD_KEY("token", OFD_CFG_STRING, struct influx_state, token,
	    .help = "the access token, sent as Authorization: Token TOKEN (v1: user:password as basic "
		    "auth); empty: none sent (warned about but with api: v1)"),
    OFD_KEY("tags", OFD_CFG_STRLIST, struct influx_state, tags,
	    .help = "the fields written as tags, a list or a comma-separated string of field names (any "
		    "field: numbers in decimal, addresses as text, enums by name); default ProtoName"),
    OFD_KEY("fields", OFD_CFG_STRLIST, struct influx_state, fields,
	    .help = "the fields written as fields (numbers as integers, others as strings); default "
		    "Bytes,Packets"),
    OFD_KEY("measurement", OFD_CFG_STRING, struct influx_state, measurement, .def = "flowdata",
	    .help = "ours: the measurement (flowpipeline's is flowdata)"),
    OFD_KEY("time", OFD_CFG_ENUM, struct influx_state, time_from, .def = "now", .choices = times,
	    .help = "ours: the points' timestamp: now (flowpipeline's: when written, strictly increasing), "
		    "or a flow time (points of one tag set with the same time overwrite each other)"),
    OFD_KEY("api", OFD_CFG_ENUM, struct influx_state, api, .def = "auto", .choices = apis,
	    .help = "ours: v2 (/api/v2/write), v1 (/write?db=BUCKET), or auto: v2 and, on a 404, v1 for "
		    "the rest of the run"),
    OFD_WPOOL_KEYS(struct influx_state, "request"),
    OFD_KEY("timeout", OFD_CFG_DURATION, struct influx_state, timeout_ns, .def = "10s",
	    .help = "a request at most (connecting: at most 5s of it)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_influx = {
    OFD_SEGMENT_VERSION,
    .name = "influx",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "write flows as points into InfluxDB (2.x write API or 1.x /write), line protocol "
	       "batches over parallel keep-alive connections",
    .state_size = sizeof(struct influx_state),
    .config = influx_keys,
    .counters = counters,
    .check = influx_check,
    .init = influx_init,
    .process = influx_process,
    .tick = influx_tick,
    .fini = influx_fini,
};
