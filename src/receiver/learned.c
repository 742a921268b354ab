/* Sealing keys learned from the receiver's key history (see learned.h). */
#include "receiver/learned.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/prefix.h"
#include "receiver/store.h"
#include "tracer/keypath.h"

/* One row per network with a single key over HTTP(S) in the window, that key's tracers many
   enough and spread enough; the networks that reported most first. Times are ns. */
static const char learned_sql[] =
    "SELECT network, min(key) FROM key_networks WHERE tcp_count > 0 AND tcp_last >= ?3"
    " GROUP BY network HAVING count(*) = 1 AND max(tcp_count) >= ?1 AND max(tcp_last - tcp_first) >= ?4"
    " ORDER BY max(tcp_count) DESC, network LIMIT ?2";

static sqlite3_int64 clamp_ns(uint64_t s)
{
	return s > (uint64_t)INT64_MAX / 1000000000u ? INT64_MAX : (sqlite3_int64)(s * 1000000000u);
}

int ofd_learned_recipients(const char *db, uint64_t min_count, const struct ofd_sender_recipient *conf,
			   size_t nconf, struct ofd_sender_recipient **out, size_t *n, char *err,
			   size_t errlen)
{
	struct ofd_learned_rule rule = {
	    .min_count = min_count, .min_span_s = OFD_LEARNED_SPAN_S, .window_s = OFD_LEARNED_WINDOW_S};
	return ofd_learned_recipients_rule(db, &rule, conf, nconf, out, n, err, errlen);
}

int ofd_learned_recipients_rule(const char *db, const struct ofd_learned_rule *rule,
				const struct ofd_sender_recipient *conf, size_t nconf,
				struct ofd_sender_recipient **out, size_t *n, char *err, size_t errlen)
{
	struct ofd_store *s;
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int rc = ofd_store_open_mode(&s, db, 1, err, errlen);
	if (rc)
		return rc;
	struct ofd_sender_recipient *r = malloc((nconf + OFD_LEARNED_MAX) * sizeof(*r));
	if (!r) {
		ofd_store_close(s);
		return -ENOMEM;
	}
	if (nconf)
		memcpy(r, conf, nconf * sizeof(*r));
	size_t k = nconf;
	if (sqlite3_prepare_v2(ofd_store_db(s), learned_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db, sqlite3_errmsg(ofd_store_db(s)));
		rc = OFD_EFORMAT;
		goto out;
	}
	uint64_t now = rule->now_s ? rule->now_s : (uint64_t)time(NULL);
	uint64_t min_count = rule->min_count ? rule->min_count : 1;
	sqlite3_bind_int64(st, 1, min_count > INT64_MAX ? INT64_MAX : (sqlite3_int64)min_count);
	sqlite3_bind_int(st, 2, OFD_LEARNED_MAX);
	sqlite3_bind_int64(st, 3,
			   rule->window_s && rule->window_s < now ? clamp_ns(now - rule->window_s) : 0);
	sqlite3_bind_int64(st, 4, clamp_ns(rule->min_span_s));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char entry[256];
		const char *net = (const char *)sqlite3_column_text(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		/* rows the receiver wrote; a network or key that does not parse is skipped */
		if (net && key && (size_t)snprintf(entry, sizeof(entry), "%s=%s", net, key) < sizeof(entry) &&
		    ofd_recipient_parse(&r[k], entry) == 0)
			k++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", db, sqlite3_errmsg(ofd_store_db(s)));
		rc = OFD_EFORMAT;
		goto out;
	}
	rc = (int)(k - nconf);
out:
	sqlite3_finalize(st);
	ofd_store_close(s);
	if (rc < 0 || k == 0) {
		free(r);
		return rc < 0 ? rc : 0;
	}
	*out = r;
	*n = k;
	return rc;
}

/* Per key its tracers over HTTP(S), and the network most of them came from. */
static const char good_sql[] =
    "SELECT key, n, (SELECT network FROM key_networks AS w WHERE w.key = g.key"
    " ORDER BY tcp_count DESC, network LIMIT 1)"
    " FROM (SELECT key, sum(tcp_count) AS n FROM key_networks WHERE tcp_count > 0"
    " GROUP BY key HAVING n >= ?1 ORDER BY n DESC, key LIMIT ?2) AS g ORDER BY n DESC, key";

int ofd_learned_good_keys(struct ofd_store *s, uint64_t min_count, struct ofd_learned_good *out, size_t max)
{
	sqlite3_stmt *st = NULL;
	size_t k = 0;
	int rc = SQLITE_DONE;
	if (sqlite3_prepare_v2(ofd_store_db(s), good_sql, -1, &st, NULL) != SQLITE_OK)
		return OFD_EFORMAT;
	sqlite3_bind_int64(st, 1,
			   min_count > INT64_MAX ? INT64_MAX : (sqlite3_int64)(min_count ? min_count : 1));
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *net = (const char *)sqlite3_column_text(st, 2);
		struct ofd_learned_good *g = &out[k];
		struct ofd_prefix p;
		size_t bin = 0;
		memset(g, 0, sizeof(*g));
		/* rows the receiver wrote; a key that does not parse is skipped */
		if (!key || strlen(key) != 64 ||
		    sodium_hex2bin(g->key, sizeof(g->key), key, 64, NULL, &bin, NULL) != 0 || bin != 32)
			continue;
		g->count = (uint64_t)sqlite3_column_int64(st, 1);
		if (net && ofd_prefix_parse(&p, net) == 0)
			g->net = p.addr;
		k++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || k == max ? (int)k : OFD_EFORMAT;
}
