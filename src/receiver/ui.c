/*
 * The receiver's web page (ui.h): static files from the binary and JSON endpoints over the
 * query functions of query.h, answered on the server's one thread through one read-only
 * connection to the store.
 */
#include "receiver/ui.h"

#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/httpd.h"
#include "net/httpd_page.h"
#include "ofd/time.h"
#include "receiver/query.h"
#include "receiver/store.h"

#define UI_HOURLY_ROWS 5000
#define UI_HOURLY_AGE  "48h"
#define UI_ARG_MAX     128

struct ofd_ui {
	struct ofd_httpd *h;
	struct ofd_store *store;
	struct ofd_prefix *mine;
	size_t nmine;
	uint64_t deadline_ns; /* the running query's (monotonic) */
	int timed_out;
};

/* ---- arguments ---- */

/* The filters of a request into q; NULL, or the reason for a 400. */
static const char *ui_filters(struct ofd_ui *u, const struct ofd_httpd_req *rq, struct ofd_query *q,
			      uint64_t def_limit, uint64_t max_limit)
{
	static const char *const names[] = {"class", "key", "net", "since", "limit", "mine", "by"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = ofd_httpd_arg(rq, names[i]);
		if (v && strlen(v) > UI_ARG_MAX)
			return "an argument is too long\n";
	}
	const char *v;
	memset(q, 0, sizeof(*q));
	q->fmt = OFD_QF_ARRAY;
	q->mine = u->mine;
	q->limit = def_limit;
	if ((v = ofd_httpd_arg(rq, "class")) && *v)
		q->cls = v;
	if ((v = ofd_httpd_arg(rq, "net")) && *v)
		q->net = v;
	if ((v = ofd_httpd_arg(rq, "key")) && *v) {
		for (const char *p = v; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return "key: expected hexadecimal\n";
		q->key = v;
	}
	if ((v = ofd_httpd_arg(rq, "since")) && *v) {
		uint64_t s;
		if (ofd_query_parse_time(v, ofd_time_now_ns() / OFD_NS_PER_S, &s))
			return "since: expected epoch seconds, ISO 8601 UTC or an age (30m, 1h, 7d)\n";
		q->since_ns = s * OFD_NS_PER_S;
	}
	if ((v = ofd_httpd_arg(rq, "limit")) && *v) {
		char *end;
		unsigned long long n = strtoull(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || n == 0 || n > max_limit)
			return "limit: expected 1 to 1000\n";
		q->limit = n;
	}
	if ((v = ofd_httpd_arg(rq, "mine")) && strcmp(v, "1") == 0)
		q->nmine = u->nmine;
	return NULL;
}

/* ---- running a query ---- */

/* SQLite's progress callback: stop a query past its deadline. */
static int ui_progress(void *ctx)
{
	struct ofd_ui *u = ctx;
	if (ofd_time_mono_ns() < u->deadline_ns)
		return 0;
	u->timed_out = 1;
	return 1;
}

typedef int64_t (*ui_query_fn)(struct ofd_store *s, const struct ofd_query *q, FILE *out);

/* Run fn with q into a new array (q->limit + 1 rows: one more says truncated). The array, or
   NULL with rs answered. */
static json_t *ui_rows(struct ofd_ui *u, ui_query_fn fn, struct ofd_query *q, int *truncated,
		       struct ofd_httpd_resp *rs)
{
	json_t *rows = json_array();
	if (!rows) {
		ofd_httpd_text(rs, 500, "out of memory\n");
		return NULL;
	}
	uint64_t limit = q->limit;
	q->rows = rows;
	q->limit = limit ? limit + 1 : 0;
	u->deadline_ns = ofd_time_mono_ns() + (uint64_t)OFD_UI_QUERY_MS * 1000000u;
	u->timed_out = 0;
	int64_t n = fn(u->store, q, NULL);
	q->limit = limit;
	q->rows = NULL;
	if (n < 0) {
		json_decref(rows);
		if (u->timed_out)
			ofd_httpd_text(rs, 503, "the query took too long\n");
		else
			ofd_httpd_text(rs, 500, "query failed\n");
		return NULL;
	}
	*truncated = limit && json_array_size(rows) > limit;
	if (*truncated)
		json_array_remove(rows, limit);
	return rows;
}

/* {"limit":N,"truncated":B,"rows":[...]} into rs, after extra's members. */
static void ui_answer(struct ofd_ui *u, ui_query_fn fn, struct ofd_query *q, json_t *extra,
		      struct ofd_httpd_resp *rs)
{
	int truncated = 0;
	json_t *rows = ui_rows(u, fn, q, &truncated, rs);
	if (!rows) {
		json_decref(extra);
		return;
	}
	json_t *o = extra ? extra : json_object();
	if (o) {
		json_object_set_new(o, "limit", json_integer((json_int_t)q->limit));
		json_object_set_new(o, "truncated", json_boolean(truncated));
		json_object_set_new(o, "rows", rows);
	} else {
		json_decref(rows);
	}
	ofd_page_json(rs, o);
}

/* ---- handlers ---- */

static void on_file(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)ctx;
	ofd_page_asset(rs, strcmp(rq->path, "/") == 0 ? "index.html" : rq->path + 1);
}

#define UI_ARGS(def, max)                                                                                    \
	struct ofd_ui *u = ctx;                                                                              \
	struct ofd_query q;                                                                                  \
	const char *bad = ui_filters(u, rq, &q, def, max);                                                   \
	if (bad) {                                                                                           \
		ofd_httpd_text(rs, 400, bad);                                                                \
		return;                                                                                      \
	}

static void on_tracers(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	UI_ARGS(OFD_UI_DEFAULT_ROWS, OFD_UI_MAX_ROWS)
	q.newest = 1;
	ui_answer(u, ofd_query_tracers, &q, NULL, rs);
}

static void on_keys(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	UI_ARGS(OFD_UI_MAX_ROWS, OFD_UI_MAX_ROWS)
	ui_answer(u, ofd_query_keys, &q, NULL, rs);
}

static void on_key(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	UI_ARGS(OFD_UI_MAX_ROWS, OFD_UI_MAX_ROWS)
	if (!q.key || strlen(q.key) != 64) {
		ofd_httpd_text(rs, 400, "key: expected 64 hexadecimal digits\n");
		return;
	}
	int tn = 0, tc = 0;
	json_t *nets = ui_rows(u, ofd_query_key_networks, &q, &tn, rs);
	json_t *contacts = nets ? ui_rows(u, ofd_query_key_contacts, &q, &tc, rs) : NULL;
	if (!contacts) {
		json_decref(nets);
		return;
	}
	char key[65];
	for (int i = 0; i < 64; i++)
		key[i] = (char)tolower((unsigned char)q.key[i]);
	key[64] = 0;
	ofd_page_json(rs, json_pack("{s:s, s:o, s:o, s:b}", "key", key, "networks", nets, "contacts",
				    contacts, "truncated", tn || tc));
}

static void on_spoofing(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	UI_ARGS(OFD_UI_DEFAULT_ROWS, OFD_UI_MAX_ROWS)
	json_t *mine = json_array();
	char buf[OFD_PREFIX_STRLEN];
	for (size_t i = 0; mine && i < u->nmine; i++) {
		ofd_prefix_str(&u->mine[i], buf);
		json_array_append_new(mine, json_string(buf));
	}
	json_t *o = mine ? json_pack("{s:o}", "mine", mine) : NULL;
	if (!o) {
		ofd_httpd_text(rs, 500, "out of memory\n");
		return;
	}
	if (!u->nmine) { /* nothing to report on: no --mine */
		json_object_set_new(o, "limit", json_integer((json_int_t)q.limit));
		json_object_set_new(o, "truncated", json_false());
		json_object_set_new(o, "rows", json_array());
		ofd_page_json(rs, o);
		return;
	}
	q.nmine = u->nmine;
	ui_answer(u, ofd_query_spoofed, &q, o, rs);
}

static int64_t ui_hourly_net(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	return ofd_query_hourly(s, q, 0, out);
}

static int64_t ui_hourly_class(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	return ofd_query_hourly(s, q, 1, out);
}

static void on_hourly(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	UI_ARGS(UI_HOURLY_ROWS, UI_HOURLY_ROWS)
	const char *by = ofd_httpd_arg(rq, "by");
	int by_class = by && strcmp(by, "class") == 0;
	if (by && !by_class && strcmp(by, "network") != 0) {
		ofd_httpd_text(rs, 400, "by: expected network or class\n");
		return;
	}
	const char *since = ofd_httpd_arg(rq, "since");
	if (!since || !*since) {
		uint64_t s = 0;
		(void)ofd_query_parse_time(UI_HOURLY_AGE, ofd_time_now_ns() / OFD_NS_PER_S, &s);
		q.since_ns = (s - s % 3600) * OFD_NS_PER_S; /* whole hours */
	}
	char iso[32];
	time_t t = (time_t)(q.since_ns / OFD_NS_PER_S);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *o = json_pack("{s:s, s:s}", "by", by_class ? "class" : "network", "since", iso);
	ui_answer(u, by_class ? ui_hourly_class : ui_hourly_net, &q, o, rs);
}

/* ---- the server ---- */

int ofd_ui_start(struct ofd_ui **out, const struct ofd_ui_cfg *cfg, char *err, size_t errlen)
{
	*out = NULL;
	struct ofd_ui *u = calloc(1, sizeof(*u));
	if (!u || (cfg->nmine && !(u->mine = malloc(cfg->nmine * sizeof(*u->mine))))) {
		free(u);
		snprintf(err, errlen, "ui: out of memory");
		return -ENOMEM;
	}
	if (cfg->nmine)
		memcpy(u->mine, cfg->mine, cfg->nmine * sizeof(*u->mine));
	u->nmine = cfg->nmine;
	char why[512] = "";
	int rc = ofd_store_open_mode(&u->store, cfg->db, 1, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "ui: %s: %s", cfg->db, why);
		ofd_ui_stop(u);
		return rc;
	}
	sqlite3_progress_handler(ofd_store_db(u->store), 1000, ui_progress, u);
	const char *get = "GET, HEAD";
	const struct ofd_httpd_route routes[] = {
	    {.path = "/", .methods = get, .handle = on_file},
	    {.path = "/ui.js", .methods = get, .handle = on_file},
	    {.path = "/ui.css", .methods = get, .handle = on_file},
	    {.path = "/api/tracers", .methods = get, .handle = on_tracers, .ctx = u},
	    {.path = "/api/keys", .methods = get, .handle = on_keys, .ctx = u},
	    {.path = "/api/key", .methods = get, .handle = on_key, .ctx = u},
	    {.path = "/api/spoofing", .methods = get, .handle = on_spoofing, .ctx = u},
	    {.path = "/api/hourly", .methods = get, .handle = on_hourly, .ctx = u},
	};
	const struct ofd_httpd_cfg hc = {.name = "ui",
					 .addr = cfg->addr,
					 .routes = routes,
					 .nroutes = sizeof(routes) / sizeof(routes[0]),
					 .connections = 16,
					 .timeout_s = 10,
					 .per_address = 8,
					 .header_s = 5,
					 .request_s = 15,
					 .headers = ofd_page_headers};
	rc = ofd_httpd_start(&u->h, &hc, err, errlen);
	if (rc) {
		ofd_ui_stop(u);
		return rc;
	}
	*out = u;
	return 0;
}

uint16_t ofd_ui_port(const struct ofd_ui *u)
{
	return u ? ofd_httpd_port(u->h) : 0;
}

void ofd_ui_stop(struct ofd_ui *u)
{
	if (!u)
		return;
	ofd_httpd_stop(u->h);
	if (u->store)
		ofd_store_close(u->store);
	free(u->mine);
	free(u);
}
