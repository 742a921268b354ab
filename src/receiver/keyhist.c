/*
 * Key history counted per batch (see keyhist.h). Three small tables, searched linearly: per
 * (key, contact) the stored tracers, per (key, network) the same, per key the duplicates. At
 * a flush the (key, contact) rows go out oldest first, so that the key's last contact ends up
 * the newest one and a change of contact inside one batch is seen as a change.
 */
#include "receiver/keyhist.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

#define KH_SLOTS 64
#define KH_KEY	 65 /* 64 hex digits */
#define KH_NET	 64

struct kh_use {
	char key[KH_KEY];
	char *contact; /* NULL: none */
	uint64_t first, last, count;
};

struct kh_net {
	char key[KH_KEY];
	char net[KH_NET];
	uint64_t first, last, count;
	uint64_t tcp_first, tcp_last, tcp_count; /* those that came over HTTP(S) */
};

struct kh_dup {
	char key[KH_KEY];
	uint64_t last, count;
};

enum { KH_KEYS, KH_CONTACT, KH_NETS, KH_DUPS, KH__COUNT };

static const char *const kh_sql[KH__COUNT] = {
    [KH_KEYS] =
	"INSERT INTO keys (key, first_seen, last_seen, count, last_contact) VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (key) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),"
	" last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count,"
	" contact_changed = contact_changed OR (excluded.last_contact IS NOT NULL AND"
	" last_contact IS NOT NULL AND excluded.last_contact <> last_contact),"
	" last_contact = coalesce(excluded.last_contact, last_contact)",
    [KH_CONTACT] = "INSERT INTO key_contacts (key, contact, first_seen, last_seen, count)"
		   " VALUES (?1, ?5, ?2, ?3, ?4) ON CONFLICT (key, contact) DO UPDATE SET"
		   " count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen),"
		   " last_seen = max(last_seen, excluded.last_seen)",
    [KH_NETS] = "INSERT INTO key_networks (key, network, first_seen, last_seen, count, tcp_first, tcp_last,"
		" tcp_count) VALUES (?1, ?5, ?2, ?3, ?4, ?6, ?7, ?8) ON CONFLICT (key, network) DO UPDATE SET"
		" count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen),"
		" last_seen = max(last_seen, excluded.last_seen), tcp_count = tcp_count + excluded.tcp_count,"
		" tcp_first = coalesce(min(tcp_first, excluded.tcp_first), tcp_first, excluded.tcp_first),"
		" tcp_last = coalesce(max(tcp_last, excluded.tcp_last), tcp_last, excluded.tcp_last)",
    [KH_DUPS] = "UPDATE keys SET last_seen = max(last_seen, ?3), duplicates = duplicates + ?4 WHERE key = ?1",
};

struct ofd_keyhist {
	sqlite3_stmt *st[KH__COUNT];
	struct kh_use use[KH_SLOTS];
	struct kh_net net[KH_SLOTS];
	struct kh_dup dup[KH_SLOTS];
	unsigned nuse, nnet, ndup;
};

int ofd_keyhist_open(struct ofd_keyhist **out, sqlite3 *db)
{
	struct ofd_keyhist *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (!h)
		return -ENOMEM;
	for (int i = 0; i < KH__COUNT; i++) {
		if (sqlite3_prepare_v3(db, kh_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &h->st[i], NULL) !=
		    SQLITE_OK) {
			ofd_keyhist_close(h);
			return OFD_EFORMAT;
		}
	}
	*out = h;
	return 0;
}

static void forget(struct ofd_keyhist *h)
{
	for (unsigned i = 0; i < h->nuse; i++)
		free(h->use[i].contact);
	h->nuse = h->nnet = h->ndup = 0;
}

void ofd_keyhist_close(struct ofd_keyhist *h)
{
	if (!h)
		return;
	forget(h);
	for (int i = 0; i < KH__COUNT; i++)
		sqlite3_finalize(h->st[i]);
	free(h);
}

int ofd_keyhist_full(const struct ofd_keyhist *h)
{
	return h->nuse == KH_SLOTS || h->nnet == KH_SLOTS || h->ndup == KH_SLOTS;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void span(uint64_t *first, uint64_t *last, uint64_t *count, uint64_t t)
{
	if (*count == 0 || t < *first)
		*first = t;
	if (*count == 0 || t > *last)
		*last = t;
	(*count)++;
}

void ofd_keyhist_add(struct ofd_keyhist *h, const char *key, const char *contact, const char *net,
		     uint64_t recv_ns, int fresh, int transport)
{
	unsigned i;
	if (!fresh) {
		for (i = 0; i < h->ndup && strcmp(h->dup[i].key, key) != 0; i++)
			;
		if (i == h->ndup) {
			h->dup[h->ndup++] = (struct kh_dup){.count = 0};
			snprintf(h->dup[i].key, KH_KEY, "%s", key);
		}
		if (h->dup[i].count++ == 0 || recv_ns > h->dup[i].last)
			h->dup[i].last = recv_ns;
		return;
	}
	for (i = 0; i < h->nuse && !(strcmp(h->use[i].key, key) == 0 && same(h->use[i].contact, contact));
	     i++)
		;
	if (i == h->nuse) {
		h->use[h->nuse++] = (struct kh_use){.contact = contact ? strdup(contact) : NULL};
		snprintf(h->use[i].key, KH_KEY, "%s", key);
	}
	span(&h->use[i].first, &h->use[i].last, &h->use[i].count, recv_ns);
	if (!net[0])
		return;
	for (i = 0; i < h->nnet && !(strcmp(h->net[i].key, key) == 0 && strcmp(h->net[i].net, net) == 0); i++)
		;
	if (i == h->nnet) {
		h->net[h->nnet++] = (struct kh_net){.count = 0};
		snprintf(h->net[i].key, KH_KEY, "%s", key);
		snprintf(h->net[i].net, KH_NET, "%s", net);
	}
	span(&h->net[i].first, &h->net[i].last, &h->net[i].count, recv_ns);
	if (transport == OFD_TRANSPORT_HTTP || transport == OFD_TRANSPORT_HTTPS)
		span(&h->net[i].tcp_first, &h->net[i].tcp_last, &h->net[i].tcp_count, recv_ns);
}

/* Run statement st with ?1 key, ?2 first, ?3 last, ?4 count, ?5 text (NULL: SQL NULL). */
static int put(sqlite3_stmt *st, const char *key, uint64_t first, uint64_t last, uint64_t count,
	       const char *text)
{
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)first);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)last);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)count);
	if (text)
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : OFD_EFORMAT;
}

int ofd_keyhist_flush(struct ofd_keyhist *h)
{
	int rc = 0;
	unsigned order[KH_SLOTS];
	for (unsigned i = 0; i < h->nuse; i++) { /* oldest last use first */
		unsigned j = i;
		for (; j > 0 && h->use[order[j - 1]].last > h->use[i].last; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (unsigned k = 0; k < h->nuse && !rc; k++) {
		const struct kh_use *u = &h->use[order[k]];
		rc = put(h->st[KH_KEYS], u->key, u->first, u->last, u->count, u->contact);
		if (!rc && u->contact)
			rc = put(h->st[KH_CONTACT], u->key, u->first, u->last, u->count, u->contact);
	}
	for (unsigned i = 0; i < h->nnet && !rc; i++) {
		const struct kh_net *n = &h->net[i];
		sqlite3_stmt *st = h->st[KH_NETS];
		if (n->tcp_count) {
			sqlite3_bind_int64(st, 6, (sqlite3_int64)n->tcp_first);
			sqlite3_bind_int64(st, 7, (sqlite3_int64)n->tcp_last);
		} /* else NULL: no HTTP(S) time to keep */
		sqlite3_bind_int64(st, 8, (sqlite3_int64)n->tcp_count);
		rc = put(st, n->key, n->first, n->last, n->count, n->net);
	}
	for (unsigned i = 0; i < h->ndup && !rc; i++)
		rc = put(h->st[KH_DUPS], h->dup[i].key, 0, h->dup[i].last, h->dup[i].count, NULL);
	forget(h);
	return rc;
}
