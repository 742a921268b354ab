/*
 * Queries over the receiver's store: each runs one SELECT and writes its rows through a column
 * list (name, kind, table width) as a table, JSON lines or CSV. Prefix matching of the stored
 * text addresses is done in C by the SQL function ofd_mine(addr), registered on the connection
 * for the duration of one query.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/prefix.h"
#include "receiver/query.h"
#include "util/termtext.h"

int ofd_qfmt_parse(const char *s)
{
	if (strcmp(s, "table") == 0)
		return OFD_QF_TABLE;
	if (strcmp(s, "json") == 0)
		return OFD_QF_JSON;
	if (strcmp(s, "csv") == 0)
		return OFD_QF_CSV;
	return -1;
}

/* ---- output ---- */

enum kind { K_TEXT, K_INT, K_NS, K_S };

struct col {
	const char *name;
	enum kind kind;
	int width; /* table column width */
};

/* ISO 8601 UTC; with milliseconds for ns. */
static void fmt_time(char *buf, size_t cap, int64_t v, int ns)
{
	time_t t = (time_t)(ns ? v / 1000000000 : v);
	struct tm tm;
	if (v < 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, cap, "%lld", (long long)v);
		return;
	}
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ns)
		snprintf(buf + n, cap - n, ".%03dZ", (int)(v % 1000000000 / 1000000));
	else
		snprintf(buf + n, cap - n, "Z");
}

/* The text of column i of the current row (NULL for SQL NULL); tmp for numbers and times. */
static const char *cell(sqlite3_stmt *st, int i, enum kind k, char *tmp, size_t cap)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	switch (k) {
	case K_TEXT: return (const char *)sqlite3_column_text(st, i);
	case K_INT:
		if (sqlite3_column_type(st, i) == SQLITE_FLOAT)
			snprintf(tmp, cap, "%.6f", sqlite3_column_double(st, i));
		else
			snprintf(tmp, cap, "%lld", (long long)sqlite3_column_int64(st, i));
		return tmp;
	case K_NS:
	case K_S: fmt_time(tmp, cap, sqlite3_column_int64(st, i), k == K_NS); return tmp;
	}
	return NULL;
}

/* A CSV cell, control characters escaped (termtext.h: stored text is a stranger's). */
static void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	char *e = NULL;
	if (!ofd_termtext_plain(s, n)) {
		e = malloc(OFD_TERMTEXT_CAP(n));
		if (e)
			ofd_termtext_escape(e, OFD_TERMTEXT_CAP(n), s, n);
		s = e ? e : "?"; /* out of memory: never the raw text */
	}
	if (!strpbrk(s, ",\"")) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	}
	free(e);
}

/* A table cell, control characters escaped, padded to width, then a space; width < 0: the last
   cell, unpadded. */
static void table_cell(FILE *out, const char *v, int width)
{
	size_t n = strlen(v);
	if (ofd_termtext_plain(v, n)) {
		if (width < 0)
			fputs(v, out);
		else
			fprintf(out, "%-*s ", width, v);
		return;
	}
	size_t len = ofd_termtext_len(v, n);
	ofd_termtext_fputs(out, v);
	for (; width >= 0 && len < (size_t)width; len++)
		fputc(' ', out);
	if (width >= 0)
		fputc(' ', out);
}

static void header(FILE *out, const struct col *cols, int n, enum ofd_qfmt fmt)
{
	if (fmt == OFD_QF_JSON || fmt == OFD_QF_ARRAY)
		return;
	for (int i = 0; i < n; i++) {
		if (fmt == OFD_QF_CSV)
			fprintf(out, "%s%s", i ? "," : "", cols[i].name);
		else
			table_cell(out, cols[i].name, i + 1 < n ? cols[i].width : -1);
	}
	fputc('\n', out);
}

static int json_row(sqlite3_stmt *st, const struct col *cols, int n, enum ofd_qfmt fmt, json_t *rows,
		    FILE *out)
{
	json_t *o = json_object();
	char tmp[64];
	if (!o)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		json_t *v;
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			v = json_null();
		else if (cols[i].kind == K_INT && sqlite3_column_type(st, i) == SQLITE_FLOAT)
			v = json_real(sqlite3_column_double(st, i));
		else if (cols[i].kind == K_INT)
			v = json_integer((json_int_t)sqlite3_column_int64(st, i));
		else
			v = json_string(cell(st, i, cols[i].kind, tmp, sizeof(tmp)));
		json_object_set_new(o, cols[i].name, v ? v : json_null());
	}
	if (fmt == OFD_QF_ARRAY)
		return json_array_append_new(rows, o) ? -ENOMEM : 0;
	int rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', out);
	json_decref(o);
	return rc ? OFD_EFORMAT : 0;
}

#define UDP_NOTE                                                                                             \
	"note: transport udp: the sender is the source address the datagram claimed, and UDP sources "       \
	"can be forged; http and https senders completed a TCP handshake from theirs\n"

/* 1 when a column named "transport" of the current row says udp. */
static int udp_row(sqlite3_stmt *st, const struct col *cols, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(cols[i].name, "transport") == 0) {
			const unsigned char *v = sqlite3_column_text(st, i);
			return v && strcmp((const char *)v, "udp") == 0;
		}
	return 0;
}

/* Step st to the end, writing each row; the rows written or a negative error. A table with
   rows that came over UDP ends with UDP_NOTE. */
static int64_t emit(sqlite3_stmt *st, const struct col *cols, int n, enum ofd_qfmt fmt, json_t *arr,
		    FILE *out)
{
	int64_t rows = 0;
	int rc, udp = 0;
	header(out, cols, n, fmt);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out && ferror(out))
			break; /* the output failed (a reader that went away): stop */
		rows++;
		udp = udp || udp_row(st, cols, n);
		if (fmt == OFD_QF_JSON || fmt == OFD_QF_ARRAY) {
			if (json_row(st, cols, n, fmt, arr, out))
				return OFD_EFORMAT;
			continue;
		}
		for (int i = 0; i < n; i++) {
			char tmp[64];
			const char *v = cell(st, i, cols[i].kind, tmp, sizeof(tmp));
			if (fmt == OFD_QF_CSV) {
				if (i)
					fputc(',', out);
				csv_field(out, v);
			} else {
				table_cell(out, v ? v : "-", i + 1 < n ? cols[i].width : -1);
			}
		}
		fputc('\n', out);
	}
	if (rc == SQLITE_DONE && udp && fmt == OFD_QF_TABLE)
		fputs(UDP_NOTE, out);
	return rc == SQLITE_DONE ? rows : OFD_EFORMAT;
}

/* ---- ofd_mine(addr): 1 when a text address is in one of the query's prefixes ---- */

static void mine_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct ofd_query *q = sqlite3_user_data(ctx);
	const char *s = argc == 1 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	struct ofd_ip ip;
	int hit = 0;
	if (s && ofd_ip_parse(&ip, s) == 0)
		for (size_t i = 0; i < q->nmine && !hit; i++)
			hit = ofd_prefix_match(&q->mine[i], &ip);
	sqlite3_result_int(ctx, hit);
}

/* Prepare sql with ofd_mine bound to q, and bind ?1 since, ?2 class, ?3 key, ?4 nmine, ?5 net,
   ?6 limit (-1: none). */
static int prepare(struct ofd_store *s, const struct ofd_query *q, const char *sql, sqlite3_stmt **st)
{
	sqlite3 *db = ofd_store_db(s);
	if (sqlite3_create_function(db, "ofd_mine", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)q, mine_fn,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		fprintf(stderr, "overflowd: query: %s\n", sqlite3_errmsg(db));
		return OFD_EFORMAT;
	}
	int np = sqlite3_bind_parameter_count(*st);
	if (np >= 1)
		sqlite3_bind_int64(*st, 1, q->since_ns > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->since_ns);
	if (np >= 2 && q->cls)
		sqlite3_bind_text(*st, 2, q->cls, -1, SQLITE_STATIC);
	if (np >= 3 && q->key)
		sqlite3_bind_text(*st, 3, q->key, -1, SQLITE_STATIC);
	if (np >= 4)
		sqlite3_bind_int64(*st, 4, (sqlite3_int64)q->nmine);
	if (np >= 5 && q->net)
		sqlite3_bind_text(*st, 5, q->net, -1, SQLITE_STATIC);
	if (np >= 6)
		sqlite3_bind_int64(
		    *st, 6, q->limit && q->limit <= INT64_MAX ? (sqlite3_int64)q->limit : (sqlite3_int64)-1);
	return 0;
}

static void finish(struct ofd_store *s, sqlite3_stmt *st)
{
	sqlite3_finalize(st);
	/* q lives only for this query: drop the function that points to it */
	sqlite3_create_function(ofd_store_db(s), "ofd_mine", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
}

#define FILTERS                                                                                              \
	" recv_ns >= ?1 AND (?2 IS NULL OR class = ?2 COLLATE NOCASE) AND (?3 IS NULL OR t.key = lower(?3))" \
	" AND (?5 IS NULL OR t.sender_net = ?5)"

static const struct col tracer_cols[] = {
    {"id", K_INT, 6},	   {"received", K_NS, 24},    {"sender", K_TEXT, 15}, {"transport", K_TEXT, 9},
    {"key", K_TEXT, 64},   {"class", K_TEXT, 17},     {"saddr", K_TEXT, 15},  {"sport", K_INT, 5},
    {"daddr", K_TEXT, 15}, {"dport", K_INT, 5},	      {"proto", K_INT, 5},    {"packets", K_INT, 10},
    {"bytes", K_INT, 12},  {"stime", K_S, 20},	      {"etime", K_S, 20},     {"exporter", K_TEXT, 15},
    {"source", K_TEXT, 7}, {"duplicates", K_INT, 10}, {"info", K_TEXT, 8},    {"contact", K_TEXT, 0},
};

static int64_t query_out(struct ofd_store *s, const struct ofd_query *q, const char *sql,
			 const struct col *cols, int n, FILE *out)
{
	sqlite3_stmt *st = NULL;
	int64_t rc = prepare(s, q, sql, &st);
	if (rc == 0 && q->fmt == OFD_QF_ARRAY && !json_is_array(q->rows))
		rc = OFD_ECONFIG;
	if (rc == 0)
		rc = emit(st, cols, n, q->fmt, q->rows, out);
	finish(s, st);
	return rc;
}

int64_t ofd_query_tracers(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
#define TRACERS_SQL(order)                                                                                   \
	"SELECT id, recv_ns, sender, transport, t.key, class, saddr, sport, daddr, dport, proto, packets, "  \
	"bytes,"                                                                                             \
	" stime, etime, exporter, src_type, dups, info, contact FROM tracers t WHERE" FILTERS                \
	" AND (?4 = 0 OR ofd_mine(saddr) OR ofd_mine(daddr)) ORDER BY " order " LIMIT ?6"
	static const char oldest[] = TRACERS_SQL("recv_ns, id"),
			  newest[] = TRACERS_SQL("recv_ns DESC, id DESC");
	return query_out(s, q, q->newest ? newest : oldest, tracer_cols,
			 (int)(sizeof(tracer_cols) / sizeof(tracer_cols[0])), out);
}

static const struct col spoof_cols[] = {
    {"key", K_TEXT, 64},       {"network", K_TEXT, 20}, {"transport", K_TEXT, 9}, {"tracers", K_INT, 8},
    {"duplicates", K_INT, 10}, {"packets", K_INT, 12},	{"bytes", K_INT, 14},	  {"first", K_S, 20},
    {"last", K_S, 20},	       {"contact", K_TEXT, 0},
};

int64_t ofd_query_spoofed(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	static const char sql[] =
	    "SELECT t.key, t.sender_net, t.transport, count(*), sum(t.dups), CAST(total(t.packets) AS "
	    "INTEGER),"
	    " CAST(total(t.bytes) AS INTEGER), min(t.stime), max(t.etime), k.last_contact FROM tracers t"
	    " LEFT JOIN keys k ON k.key = t.key WHERE" FILTERS " AND ?4 > 0 AND ofd_mine(t.saddr)"
	    " GROUP BY t.key, t.sender_net, t.transport ORDER BY count(*) DESC, t.key, t.sender_net, "
	    "t.transport LIMIT ?6";
	if (!q->nmine)
		return OFD_ECONFIG;
	return query_out(s, q, sql, spoof_cols, (int)(sizeof(spoof_cols) / sizeof(spoof_cols[0])), out);
}

static const struct col key_cols[] = {
    {"key", K_TEXT, 64},    {"first_seen", K_NS, 24},	    {"last_seen", K_NS, 24},
    {"tracers", K_INT, 8},  {"duplicates", K_INT, 10},	    {"networks", K_INT, 8},
    {"contacts", K_INT, 8}, {"contact_changed", K_INT, 15}, {"contact", K_TEXT, 0},
};

int64_t ofd_query_keys(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	static const char sql[] =
	    "SELECT t.key, first_seen, last_seen, count, duplicates,"
	    " (SELECT count(*) FROM key_networks n WHERE n.key = t.key),"
	    " (SELECT count(*) FROM key_contacts c WHERE c.key = t.key), contact_changed, last_contact"
	    " FROM keys t WHERE ?1 >= 0 AND ?2 IS NULL AND (?3 IS NULL OR t.key = lower(?3))"
	    " AND ?5 IS NULL ORDER BY count DESC, t.key LIMIT ?6";
	struct ofd_query kq = *q;
	kq.since_ns = 0;
	kq.cls = NULL;
	kq.net = NULL;
	return query_out(s, &kq, sql, key_cols, (int)(sizeof(key_cols) / sizeof(key_cols[0])), out);
}

/* A query of one key's rows: only ?3 (the key) and ?6 (the limit) filter. */
static int64_t key_rows(struct ofd_store *s, const struct ofd_query *q, const char *sql,
			const struct col *cols, int n, FILE *out)
{
	if (!q->key)
		return OFD_ECONFIG;
	struct ofd_query kq = *q;
	kq.since_ns = 0;
	kq.cls = NULL;
	kq.net = NULL;
	return query_out(s, &kq, sql, cols, n, out);
}

static const struct col net_cols[] = {
    {"network", K_TEXT, 20}, {"first_seen", K_NS, 24},	{"last_seen", K_NS, 24},
    {"tracers", K_INT, 8},   {"tcp_tracers", K_INT, 0},
};

int64_t ofd_query_key_networks(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	static const char sql[] =
	    "SELECT network, first_seen, last_seen, count, tcp_count FROM key_networks"
	    " WHERE ?1 >= 0 AND ?2 IS NULL AND key = lower(?3) AND ?4 >= 0 AND ?5 IS NULL"
	    " ORDER BY first_seen, network LIMIT ?6";
	return key_rows(s, q, sql, net_cols, (int)(sizeof(net_cols) / sizeof(net_cols[0])), out);
}

static const struct col contact_cols[] = {
    {"contact", K_TEXT, 30},
    {"first_seen", K_NS, 24},
    {"last_seen", K_NS, 24},
    {"tracers", K_INT, 0},
};

int64_t ofd_query_key_contacts(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	static const char sql[] =
	    "SELECT contact, first_seen, last_seen, count FROM key_contacts"
	    " WHERE ?1 >= 0 AND ?2 IS NULL AND key = lower(?3) AND ?4 >= 0 AND ?5 IS NULL"
	    " ORDER BY first_seen, contact LIMIT ?6";
	return key_rows(s, q, sql, contact_cols, (int)(sizeof(contact_cols) / sizeof(contact_cols[0])), out);
}

static const struct col hour_net_cols[] = {{"hour", K_S, 20}, {"network", K_TEXT, 20}, {"tracers", K_INT, 0}};
static const struct col hour_cls_cols[] = {{"hour", K_S, 20}, {"class", K_TEXT, 17}, {"tracers", K_INT, 0}};

int64_t ofd_query_hourly(struct ofd_store *s, const struct ofd_query *q, int by_class, FILE *out)
{
#define HOURLY_SQL(group)                                                                                    \
	"SELECT recv_ns / 3600000000000 * 3600, " group ", count(*) FROM tracers t WHERE" FILTERS            \
	" AND (?4 = 0 OR ofd_mine(saddr) OR ofd_mine(daddr)) GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ?6"
	static const char by_net[] = HOURLY_SQL("t.sender_net"), by_cls[] = HOURLY_SQL("t.class");
	return by_class ? query_out(s, q, by_cls, hour_cls_cols, 3, out)
			: query_out(s, q, by_net, hour_net_cols, 3, out);
}

/* ---- --since ---- */

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

int ofd_query_parse_time(const char *s, uint64_t now_s, uint64_t *out_s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 40)
		return OFD_EFORMAT;
	char *end;
	if (all_digits(s, n)) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno || v > INT64_MAX / 1000000000)
			return OFD_EFORMAT;
		*out_s = v;
		return 0;
	}
	if (all_digits(s, n - 1)) {
		static const char units[] = "smhdw";
		static const uint64_t mult[] = {1, 60, 3600, 86400, 604800};
		const char *u = strchr(units, s[n - 1]);
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (!u || !s[n - 1] || errno || v > UINT64_C(1000000000000))
			return OFD_EFORMAT;
		uint64_t age = v * mult[u - units];
		*out_s = age > now_s ? 0 : now_s - age;
		return 0;
	}
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
					   "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (!end || (*end && strcmp(end, "Z") != 0))
			continue;
		time_t t = timegm(&tm);
		if (t < 0)
			return OFD_EFORMAT;
		*out_s = (uint64_t)t;
		return 0;
	}
	return OFD_EFORMAT;
}
