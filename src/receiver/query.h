/*
 * Queries over the receiver's store (store.h): the tracer listing, the spoofing report and the
 * key history, written to a FILE* as an aligned table, JSON (one object per line) or CSV
 * (RFC 4180, with a header line).
 *
 * Times in the output: receive times and key first/last seen as ISO 8601 UTC with
 * milliseconds ("2026-11-22T01:59:26.123Z"), flow stime/etime as ISO 8601 UTC seconds.
 */
#ifndef OFD_RECEIVER_QUERY_H
#define OFD_RECEIVER_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "receiver/store.h"
#include "net/prefix.h"

/* OFD_QF_ARRAY: each row a JSON object appended to q->rows (a jansson array), out unused (may
   be NULL); the web page's endpoints (ui.h). */
enum ofd_qfmt { OFD_QF_TABLE, OFD_QF_JSON, OFD_QF_CSV, OFD_QF_ARRAY };

struct json_t;

/* "table", "json", "csv" -> enum ofd_qfmt, or -1. */
int ofd_qfmt_parse(const char *s);

struct ofd_query {
	const struct ofd_prefix *mine; /* my prefixes (may be NULL when nmine = 0) */
	size_t nmine;
	uint64_t since_ns; /* tracers received at or after this (0: all) */
	const char *cls;   /* class name, case-insensitive (NULL: all) */
	const char *key;   /* signer key hex, case-insensitive (NULL: all) */
	const char *net;   /* the reporting (sender's) network as stored, "198.51.100.0/24" (NULL: all) */
	uint64_t limit;	   /* at most this many rows (0: all) */
	int newest;	   /* tracers: the newest first (with limit: the most recent ones) */
	enum ofd_qfmt fmt;
	struct json_t *rows; /* OFD_QF_ARRAY: the array rows are appended to */
};

/*
 * Tracers, oldest first: with nmine, those whose source OR destination is in one of the
 * prefixes. Returns the number of rows written or a negative error.
 */
int64_t ofd_query_tracers(struct ofd_store *s, const struct ofd_query *q, FILE *out);

/*
 * The spoofing report: tracers about flows whose SOURCE address is in one of q->mine (required:
 * OFD_ECONFIG without), grouped by reporting key and the sender's network (/24, /48), with the
 * tracer count, packets, bytes, the flows' time range (min stime, max etime) and the key's last
 * contact; most tracers first. Rows written or a negative error.
 */
int64_t ofd_query_spoofed(struct ofd_store *s, const struct ofd_query *q, FILE *out);

/* The key history (q->key filters; the other filters are ignored), most tracers first. */
int64_t ofd_query_keys(struct ofd_store *s, const struct ofd_query *q, FILE *out);

/* One key's (q->key, required: OFD_ECONFIG without) reporting networks (network, first_seen,
   last_seen, tracers, tcp_tracers: those over HTTP(S)) and contacts (contact, first_seen,
   last_seen, tracers), each oldest first. */
int64_t ofd_query_key_networks(struct ofd_store *s, const struct ofd_query *q, FILE *out);
int64_t ofd_query_key_contacts(struct ofd_store *s, const struct ofd_query *q, FILE *out);

/* Tracers per hour of receipt (hour: its start, ISO 8601 seconds) and reporting network
   (by_class 0: column "network") or class (by_class 1: column "class"), with the listing's
   filters (since, class, key, net, mine as source or destination); oldest hour first. */
int64_t ofd_query_hourly(struct ofd_store *s, const struct ofd_query *q, int by_class, FILE *out);

/*
 * A time for --since: epoch seconds ("1700000000"), ISO 8601 UTC ("2026-11-22T01:59:26Z",
 * "2026-11-22T01:59:26", "2026-11-22 01:59", "2026-11-22") or an age before now_s ("90s", "30m",
 * "1h", "7d", "2w"). Epoch seconds into *out_s; 0 or OFD_EFORMAT.
 */
int ofd_query_parse_time(const char *s, uint64_t now_s, uint64_t *out_s);

#endif
