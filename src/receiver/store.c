/*
 * The receiver's SQLite store. One connection, used by one thread at a time (the caller
 * serialises); readers (overflowd tracers / keys) open their own connection, and WAL mode lets
 * them read while the receiver writes.
 *
 * Schema version 2 (PRAGMA user_version):
 *   tracers       one row per distinct (key, signed bytes): the flow's fields parsed from the
 *                 signed bytes, the sender, its /24 or /48 and the transport it used (udp,
 *                 http, https; NULL for rows from before version 2), the signed bytes and the
 *                 signature (stored once: version 1 also kept the raw line, which repeats them
 *                 in base64), and `dups`, how many more times the same tracer arrived
 *   keys          per signing key: first/last seen (receive ns), tracers stored, duplicates,
 *                 whether its contact ever changed, the last contact it carried
 *   key_networks  per key and sender network (/24, /48): first/last seen, count, and the same
 *                 for the tracers that came over HTTP(S) (tcp_count, tcp_first, tcp_last): what
 *                 learned sealing keys trust (learned.h)
 *   key_contacts  per key and contact: first/last seen, count
 * Times are ns since the epoch for receive times, seconds for the flow's stime/etime.
 * Retention and the key history's pruning are in prune.c.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "ofd/time.h"
#include "receiver/store_int.h"

/* migrations[i] takes a database from version i to i + 1 */
static const char *const migrations[] = {
    "CREATE TABLE tracers ("
    " id INTEGER PRIMARY KEY,"
    " recv_ns INTEGER NOT NULL,"
    " sender TEXT NOT NULL,"
    " sender_net TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " class TEXT, info TEXT, contact TEXT, msg_time REAL,"
    " saddr TEXT, daddr TEXT, sport INTEGER, dport INTEGER, proto INTEGER,"
    " packets INTEGER, bytes INTEGER, stime INTEGER, etime INTEGER, exporter TEXT,"
    " src_type TEXT, src_version INTEGER,"
    " body_hash BLOB NOT NULL, body TEXT NOT NULL, raw TEXT NOT NULL,"
    " sealed INTEGER NOT NULL DEFAULT 0,"
    " dups INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (key, body_hash));"
    "CREATE INDEX tracers_recv ON tracers (recv_ns);"
    "CREATE INDEX tracers_key ON tracers (key, recv_ns);"
    "CREATE INDEX tracers_class ON tracers (class, recv_ns);"
    "CREATE TABLE keys ("
    " key TEXT PRIMARY KEY,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " count INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0,"
    " contact_changed INTEGER NOT NULL DEFAULT 0, last_contact TEXT);"
    "CREATE TABLE key_networks ("
    " key TEXT NOT NULL, network TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (key, network)) WITHOUT ROWID;"
    "CREATE TABLE key_contacts ("
    " key TEXT NOT NULL, contact TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (key, contact)) WITHOUT ROWID;",
    /* 2: the transport, the signature, the raw line no more; HTTP(S) counts per key network */
    "ALTER TABLE tracers ADD COLUMN transport TEXT;"
    "ALTER TABLE tracers ADD COLUMN sig BLOB;"
    "ALTER TABLE tracers DROP COLUMN raw;"
    "ALTER TABLE key_networks ADD COLUMN tcp_count INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE key_networks ADD COLUMN tcp_first INTEGER;"
    "ALTER TABLE key_networks ADD COLUMN tcp_last INTEGER;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVE] = "SAVEPOINT ofd_add",
    [ST_RELEASE] = "RELEASE ofd_add",
    [ST_UNDO] = "ROLLBACK TO ofd_add",
    [ST_INSERT] = "INSERT INTO tracers (recv_ns, sender, sender_net, key, class, info, contact, msg_time,"
		  " saddr, daddr, sport, dport, proto, packets, bytes, stime, etime, exporter, src_type,"
		  " src_version, body_hash, body, sig, sealed, transport) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		  " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		  " ?25) ON CONFLICT (key, body_hash) DO NOTHING",
    [ST_DUP] = "UPDATE tracers SET dups = dups + 1 WHERE key = ?1 AND body_hash = ?2",
    [ST_PAGES] = "PRAGMA page_count",
    [ST_FREE] = "PRAGMA freelist_count",
};

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Bring the schema to SCHEMA_VERSION in one transaction; a newer schema is refused. */
static int migrate(sqlite3 *db, int readonly, char *err, size_t errlen)
{
	int v;
	char *msg = NULL;
	if (sqlite3_exec(db, readonly ? "BEGIN" : "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    user_version(db, &v)) {
		snprintf(err, errlen, "cannot read the schema version: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return OFD_EFORMAT;
	}
	int rc = 0;
	if (v > SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "database schema version %d is newer than this overflowd supports (%d); "
			 "use a newer overflowd",
			 v, SCHEMA_VERSION);
		rc = OFD_EVERSION;
	} else if (v < SCHEMA_VERSION && readonly) {
		snprintf(err, errlen,
			 "database schema version %d is older than %d; open it with the receiver first", v,
			 SCHEMA_VERSION);
		rc = OFD_EVERSION;
	}
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "schema migration to version %d failed: %s", v + 1,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			rc = OFD_EFORMAT;
		}
	}
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* What the writer needs besides the schema: statements, key history, quotas, the directory. */
static int open_writer(struct ofd_store *s, const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
			return OFD_ECONFIG;
		}
	}
	if (ofd_keyhist_open(&s->kh, s->db) != 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		return OFD_ECONFIG;
	}
	if (ofd_quota_new(&s->qkey) || ofd_quota_new(&s->qnet)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	const char *slash = strrchr(path, '/');
	s->dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		s->page_size = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return s->dir ? 0 : -ENOMEM;
}

int ofd_store_open_mode(struct ofd_store **out, const char *path, int readonly, char *err, size_t errlen)
{
	struct ofd_store *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
		rc = OFD_ECONFIG;
		goto close_db;
	}
	sqlite3_busy_timeout(s->db, 5000);
	char *msg = NULL;
	/* the WAL is truncated to 8 MiB after a checkpoint: the disk budget counts the database */
	if (!readonly && sqlite3_exec(s->db,
				      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				      " PRAGMA journal_size_limit = 8388608",
				      NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		rc = OFD_ECONFIG;
		goto close_db;
	}
	rc = migrate(s->db, readonly, err, errlen);
	if (rc == 0 && !readonly)
		rc = open_writer(s, path, err, errlen);
	if (rc)
		goto close_db;
	*out = s;
	return 0;
close_db:
	ofd_store_close(s);
	return rc;
}

int ofd_store_open(struct ofd_store **out, const char *path, char *err, size_t errlen)
{
	return ofd_store_open_mode(out, path, 0, err, errlen);
}

void ofd_store_close(struct ofd_store *s)
{
	if (!s)
		return;
	ofd_keyhist_close(s->kh);
	ofd_quota_free(s->qkey);
	ofd_quota_free(s->qnet);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->dir);
	free(s);
}

struct sqlite3 *ofd_store_db(struct ofd_store *s)
{
	return s->db;
}

void ofd_store_get_stats(const struct ofd_store *s, struct ofd_store_stats *st)
{
	*st = s->stats;
}

int ofd_store_network(const struct ofd_ip *a, char *buf, size_t cap)
{
	struct ofd_ip m = *a;
	char ip[OFD_IP_STRLEN];
	int bits = a->family == OFD_AF_INET ? 24 : 48;
	if (a->family != OFD_AF_INET && a->family != OFD_AF_INET6) {
		if (cap)
			buf[0] = 0;
		return 0;
	}
	/* IPv4 is v4-mapped: its /24 is bits 96..119 */
	unsigned keep = a->family == OFD_AF_INET ? 15 : 6; /* bytes kept */
	memset(m.b + keep, 0, 16 - keep);
	ofd_ip_str(&m, ip);
	int n = snprintf(buf, cap, "%s/%d", ip, bits);
	return n < 0 || (size_t)n >= cap ? OFD_ELIMIT : n;
}

/* ---- one tracer's fields, from the signed bytes ---- */

struct fields {
	json_t *root;
	const char *cls, *info, *saddr, *daddr, *exporter, *src_type;
	char *contact; /* a string contact as is; any other JSON value in compact form */
	json_t *sport, *dport, *proto, *packets, *bytes, *stime, *etime, *src_version, *time;
};

static int fields_parse(struct fields *f, const struct ofd_tracer_msg *m)
{
	memset(f, 0, sizeof(*f));
	/* the listener hands the signed bytes parsed; other callers get them parsed here */
	f->root = m->doc ? json_incref((json_t *)m->doc) : json_loadb(m->body, m->body_len, 0, NULL);
	json_t *fd = json_object_get(f->root, "flowdata");
	json_t *d = json_object_get(fd, "data"), *src = json_object_get(fd, "sourcetype");
	json_t *meta = json_object_get(f->root, "metadata");
	/* what ofd_tracer_verify accepts, the store holds: flowdata.data may be left out */
	if ((d && !json_is_object(d)) || !json_is_object(meta))
		return OFD_EFORMAT;
	f->cls = json_string_value(json_object_get(meta, "class"));
	f->info = json_string_value(json_object_get(meta, "info"));
	f->time = json_object_get(meta, "time");
	json_t *c = json_object_get(meta, "contact");
	if (json_is_string(c))
		f->contact = strdup(json_string_value(c));
	else if (c && !json_is_null(c))
		f->contact = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	f->saddr = json_string_value(json_object_get(d, "saddr"));
	f->daddr = json_string_value(json_object_get(d, "daddr"));
	f->exporter = json_string_value(json_object_get(d, "exporter"));
	f->sport = json_object_get(d, "sport");
	f->dport = json_object_get(d, "dport");
	f->proto = json_object_get(d, "protocol");
	f->packets = json_object_get(d, "pcount");
	f->bytes = json_object_get(d, "bcount");
	f->stime = json_object_get(d, "stime");
	f->etime = json_object_get(d, "etime");
	f->src_type = json_string_value(json_object_get(src, "type"));
	f->src_version = json_object_get(src, "version");
	return 0;
}

static void fields_free(struct fields *f)
{
	free(f->contact);
	json_decref(f->root);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* An integer member as an integer, a real one as a real, anything else as NULL. */
static void bind_num(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_integer(v))
		sqlite3_bind_int64(st, i, (sqlite3_int64)json_integer_value(v));
	else if (json_is_real(v))
		sqlite3_bind_double(st, i, json_real_value(v));
	else
		sqlite3_bind_null(st, i);
}

/* Step to the end: 0, OFD_STORE_FULL when the disk is full (SQLITE_FULL), else OFD_EFORMAT. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_FULL ? OFD_STORE_FULL : OFD_EFORMAT;
}

static int insert_tracer(struct ofd_store *s, const struct fields *f, const char *key, const uint8_t hash[32],
			 const struct ofd_tracer_msg *m, const char *sender, const char *net,
			 uint64_t recv_ns)
{
	sqlite3_stmt *st = s->st[ST_INSERT];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)recv_ns);
	bind_text(st, 2, sender);
	bind_text(st, 3, net);
	bind_text(st, 4, key);
	bind_text(st, 5, f->cls);
	bind_text(st, 6, f->info);
	bind_text(st, 7, f->contact);
	bind_num(st, 8, f->time);
	bind_text(st, 9, f->saddr);
	bind_text(st, 10, f->daddr);
	bind_num(st, 11, f->sport);
	bind_num(st, 12, f->dport);
	bind_num(st, 13, f->proto);
	bind_num(st, 14, f->packets);
	bind_num(st, 15, f->bytes);
	bind_num(st, 16, f->stime);
	bind_num(st, 17, f->etime);
	bind_text(st, 18, f->exporter);
	bind_text(st, 19, f->src_type);
	bind_num(st, 20, f->src_version);
	sqlite3_bind_blob(st, 21, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 22, m->body, (int)m->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 23, m->sig, OFD_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 24, m->sealed ? 1 : 0);
	bind_text(st, 25, ofd_transport_name(m->transport));
	int rc = step_done(st);
	if (rc)
		return rc;
	return sqlite3_changes(s->db) == 1 ? 1 : 0;
}

/* A duplicate: counted on its row (the key's count goes to the key history). */
static int count_dup(struct ofd_store *s, const char *key, const uint8_t hash[32])
{
	sqlite3_stmt *st = s->st[ST_DUP];
	bind_text(st, 1, key);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	return step_done(st);
}

/* ---- the disk budget and the quotas ---- */

void ofd_store_set_limits(struct ofd_store *s, const struct ofd_store_limits *lim)
{
	s->lim = *lim;
	s->since_measure = 0;
	s->free_at_ns = 0;
}

uint64_t ofd_store_used(struct ofd_store *s)
{
	int64_t pages = 0, freel = 0;
	if (sqlite3_step(s->st[ST_PAGES]) == SQLITE_ROW)
		pages = sqlite3_column_int64(s->st[ST_PAGES], 0);
	sqlite3_reset(s->st[ST_PAGES]);
	if (sqlite3_step(s->st[ST_FREE]) == SQLITE_ROW)
		freel = sqlite3_column_int64(s->st[ST_FREE], 0);
	sqlite3_reset(s->st[ST_FREE]);
	return pages > freel ? (uint64_t)(pages - freel) * s->page_size : 0;
}

int ofd_store_wants_prune(const struct ofd_store *s)
{
	return s->lim.max_size && (double)s->used > OFD_STORE_PRUNE_MARK * (double)s->lim.max_size;
}

/* 1 when an add now would go over the budget. The database's size is measured every 64 adds,
   every add once it is above the prune mark; the free space once a second at most. */
static int budget_full(struct ofd_store *s)
{
	if (!s->lim.max_size && !s->lim.min_free)
		return 0;
	if (s->since_measure++ % 64 == 0 || ofd_store_wants_prune(s))
		s->used = ofd_store_used(s);
	uint64_t now = ofd_time_mono_ns();
	if (s->lim.min_free && (!s->free_at_ns || now - s->free_at_ns >= 1000000000u)) {
		struct statvfs v;
		s->free_bytes = statvfs(s->dir, &v) == 0 ? (uint64_t)v.f_bavail * v.f_frsize : 0;
		s->free_at_ns = now;
	}
	s->full = (s->lim.max_size && s->used >= s->lim.max_size) ||
		  (s->lim.min_free && s->free_bytes < s->lim.min_free);
	return s->full;
}

/* 1 (and counted) when key or net has had its hourly quota. */
static int over_quota(struct ofd_store *s, const struct ofd_tracer_msg *m, const char *net, uint64_t recv_ns)
{
	uint64_t hour = recv_ns / (UINT64_C(3600) * 1000000000u);
	if (s->lim.key_hour && ofd_quota_count(s->qkey, m->key, OFD_KEY_PUB_LEN, hour) >= s->lim.key_hour) {
		s->stats.quota_key++;
		return 1;
	}
	if (s->lim.net_hour && net[0] &&
	    ofd_quota_count(s->qnet, net, strlen(net), hour) >= s->lim.net_hour) {
		s->stats.quota_net++;
		return 1;
	}
	return 0;
}

static void charge_quota(struct ofd_store *s, const struct ofd_tracer_msg *m, const char *net,
			 uint64_t recv_ns)
{
	uint64_t hour = recv_ns / (UINT64_C(3600) * 1000000000u);
	if (s->lim.key_hour)
		ofd_quota_charge(s->qkey, m->key, OFD_KEY_PUB_LEN, hour);
	if (s->lim.net_hour && net[0])
		ofd_quota_charge(s->qnet, net, strlen(net), hour);
}

/* ---- adding ---- */

/* Insert in the open savepoint (batch) or transaction: 1 stored, 0 duplicate, or an error; a
   new tracer over its quota is taken back (OFD_STORE_QUOTA). Leaves the savepoint open. */
static int add_row(struct ofd_store *s, const struct fields *f, const char *key, const uint8_t hash[32],
		   const struct ofd_tracer_msg *m, const char *addr, const char *net, uint64_t recv_ns)
{
	int rc = insert_tracer(s, f, key, hash, m, addr, net, recv_ns);
	if (rc == 0 && count_dup(s, key, hash) != 0)
		rc = OFD_EFORMAT;
	if (rc == 1 && over_quota(s, m, net, recv_ns))
		rc = OFD_STORE_QUOTA;
	else if (rc == 1)
		charge_quota(s, m, net, recv_ns);
	if (rc >= 0 && !s->batch) { /* alone: the history goes into this add's transaction */
		ofd_keyhist_add(s->kh, key, f->contact, net, recv_ns, rc, m->transport);
		if (ofd_keyhist_flush(s->kh))
			rc = OFD_EFORMAT;
	}
	return rc;
}

int ofd_store_add(struct ofd_store *s, const struct ofd_tracer_msg *m, const char *raw, size_t rawlen,
		  const struct ofd_ip *sender, uint64_t recv_ns)
{
	struct fields f;
	char key[2 * OFD_KEY_PUB_LEN + 1], addr[OFD_IP_STRLEN] = "", net[OFD_IP_STRLEN + 8] = "";
	uint8_t hash[32];
	int rc = OFD_EFORMAT;
	(void)raw;
	if (!m->body || m->body_len > OFD_TRACER_MAX || rawlen > (size_t)OFD_TRACER_MAX * 2 ||
	    recv_ns > INT64_MAX)
		return OFD_EFORMAT;
	if (fields_parse(&f, m))
		goto free_fields;
	if (budget_full(s)) {
		s->stats.full++;
		rc = OFD_STORE_FULL;
		goto free_fields;
	}
	sodium_bin2hex(key, sizeof(key), m->key, OFD_KEY_PUB_LEN);
	crypto_generichash(hash, sizeof(hash), (const uint8_t *)m->body, m->body_len, NULL, 0);
	if (sender && sender->family != OFD_AF_NONE) {
		ofd_ip_str(sender, addr);
		if (ofd_store_network(sender, net, sizeof(net)) < 0)
			goto free_fields;
	}
	if (s->batch && ofd_keyhist_full(s->kh) && ofd_keyhist_flush(s->kh)) {
		s->batch_failed = 1; /* the history of the batch's adds is lost: the batch goes too */
		s->stats.errors++;
		goto free_fields;
	}
	if (step_done(s->st[s->batch ? ST_SAVE : ST_BEGIN]))
		goto free_fields;
	rc = add_row(s, &f, key, hash, m, addr, net, recv_ns);
	if (rc < 0 || step_done(s->st[s->batch ? ST_RELEASE : ST_COMMIT])) {
		if (s->batch) {
			step_done(s->st[ST_UNDO]);
			step_done(s->st[ST_RELEASE]);
		} else {
			step_done(s->st[ST_ROLLBACK]);
		}
		if (rc != OFD_STORE_QUOTA)
			s->stats.errors++;
		rc = rc < 0 ? rc : OFD_EFORMAT;
		goto free_fields;
	}
	if (s->batch) { /* in a batch: the history counted now, written and counted at the commit */
		ofd_keyhist_add(s->kh, key, f.contact, net, recv_ns, rc, m->transport);
		*(rc == 1 ? &s->pend_stored : &s->pend_dups) += 1;
	} else {
		*(rc == 1 ? &s->stats.stored : &s->stats.duplicates) += 1;
	}
free_fields:
	fields_free(&f);
	return rc;
}

int ofd_store_begin(struct ofd_store *s)
{
	if (s->batch || step_done(s->st[ST_BEGIN]))
		return OFD_EFORMAT;
	s->batch = 1;
	return 0;
}

int ofd_store_commit(struct ofd_store *s)
{
	if (!s->batch)
		return OFD_EFORMAT;
	s->batch = 0;
	int ok = !s->batch_failed, err = OFD_EFORMAT;
	if (ofd_keyhist_flush(s->kh) != 0) /* flushed (and forgotten) also when failed */
		ok = 0;
	if (ok && (err = step_done(s->st[ST_COMMIT])) != 0)
		ok = 0;
	if (ok) {
		s->stats.stored += s->pend_stored;
		s->stats.duplicates += s->pend_dups;
	} else {
		step_done(s->st[ST_ROLLBACK]);
		s->stats.errors += s->pend_stored + s->pend_dups;
	}
	s->pend_stored = s->pend_dups = 0;
	s->batch_failed = 0;
	return ok ? 0 : err ? err : OFD_EFORMAT;
}
