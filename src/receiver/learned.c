/* Sealing keys learned from the receiver's key history (see learned.h). */
#include "receiver/learned.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/store.h"
#include "tracer/keypath.h"

/* One row per network with a single key; the networks that reported most first. */
static const char learned_sql[] =
    "SELECT network, min(key) FROM key_networks GROUP BY network"
    " HAVING count(*) = 1 AND max(count) >= ?1 ORDER BY max(count) DESC, network"
    " LIMIT ?2";

int ofd_learned_recipients(const char *db, uint64_t min_count, const struct ofd_sender_recipient *conf,
			   size_t nconf, struct ofd_sender_recipient **out, size_t *n, char *err,
			   size_t errlen)
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
	sqlite3_bind_int64(st, 1, min_count > INT64_MAX ? INT64_MAX : (sqlite3_int64)min_count);
	sqlite3_bind_int(st, 2, OFD_LEARNED_MAX);
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
