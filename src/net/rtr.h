/*
 * An RPKI-to-Router client (RFC 8210 version 1, falling back to RFC 6810 version 0) as a state
 * machine over a byte stream: no socket, no clock of its own. The socket driver is
 * net/rtr_conn.h; a fuzz target (fuzz/fuzz_rtr.c) feeds it arbitrary bytes.
 *
 * Use:
 *   ofd_rtr_new(&r, &opts);
 *   on each (re)connection: ofd_rtr_connected(r, now)   -> queues Reset Query (no session
 *                           yet) or Serial Query (session id and serial of the last sync);
 *   bytes from the cache:   ev = ofd_rtr_feed(r, buf, n, now);
 *   bytes to send:          p = ofd_rtr_output(r, &len); ... ofd_rtr_sent(r, written);
 *   timers:                 ev = ofd_rtr_tick(r, now); ofd_rtr_next_ms(r, now) for poll();
 *   ev & OFD_RTR_EV_SET:    set = ofd_rtr_take_set(r) (a frozen net/vrp.h set: the caller
 *                           owns it and swaps it in);
 *   ev & OFD_RTR_EV_CLOSE:  send what ofd_rtr_output holds (an Error Report, maybe), then
 *                           close the connection and reconnect later (with backoff);
 *   ev & OFD_RTR_EV_ERROR:  ofd_rtr_last_error() describes what happened (an Error Report
 *                           received or sent, a downgrade): log it (rate-limited).
 *
 * The VRPs are kept in a hash table between updates; a Cache Response opens a pending copy
 * (empty after a Reset Query, the current VRPs after a Serial Query) that IPv4/IPv6 Prefix
 * PDUs change (announce: flag bit 0 set, withdraw: clear) and End of Data commits: a new set
 * is frozen from it (a full freeze per update: ~0.3 s of CPU for 500k VRPs) and reported with
 * OFD_RTR_EV_SET. A Serial Query answered with no prefix PDU makes no new set (unless the set
 * in force was reported expired). Nothing of a broken update is kept: the previous set stays
 * in force.
 *
 * Errors (never a crash, never unbounded memory): a PDU length under 8, over opts.max_pdu, or
 * wrong for its type -> Error Report "Corrupt Data" (0); an unknown type -> "Unsupported PDU
 * Type" (5); a version other than the session's -> "Unexpected Protocol Version" (8) or
 * "Unsupported Protocol Version" (4) for versions over 1; a withdrawal of an absent VRP ->
 * "Withdrawal of Unknown Record" (6); an announcement of a present one -> "Duplicate
 * Announcement Received" (7); a prefix PDU outside a Cache Response, a bad prefix length or
 * maxLength -> "Corrupt Data"; more VRPs than opts.max_vrps -> "Internal Error" (1). Each
 * queues the Error Report (the offending PDU's first 64 bytes encapsulated, a short text),
 * ends the session (the next connection starts with a Reset Query) and returns
 * OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR. An Error Report received is parsed (its text bounded to
 * 255 bytes and sanitised to printable ASCII) and closes too, forgetting the session (a cache
 * restarted with a new session id answers a Serial Query of the old one with Corrupt Data:
 * the next connection must start from a Reset Query; OFD_RTR_EV_RESET is added when the report
 * answered a Serial Query), except "No Data Available" (2), after
 * which the client asks again after the retry interval. A Serial Query that gets no answer at
 * all before its connection ends (EOF, socket error, the retry interval) forgets the session
 * too (stayrtr restarted with a new session id may just close it): ofd_rtr_disconnected or
 * ofd_rtr_tick return OFD_RTR_EV_RESET | OFD_RTR_EV_ERROR and the next connection starts with
 * a Reset Query. Forgetting the session never drops the VRPs: the set in force stays until the
 * Reset Query's End of Data replaces it in one step (the pending copy is built from empty).
 *
 * Version: the first query is version 1 (0 with opts.version0). A cache that answers a
 * version 1 query with an Error Report "Unsupported Protocol Version" in a version 0 PDU, or
 * with any version 0 PDU, makes the client fall back to version 0 for good (the session is
 * closed; the next connection speaks version 0). A cache speaking version 2 to a version 1
 * client is told "Unsupported Protocol Version".
 *
 * Timers (seconds from End of Data; version 0 and defaults: refresh 3600, retry 600, expire
 * 7200): ofd_rtr_tick queues a Serial Query once refresh has passed since the last End of
 * Data (or retry after a failed or unanswered query), and OFD_RTR_EV_EXPIRED once, when the
 * last set is older than expire with no successful refresh since: the caller decides to drop
 * it (the data are then stale).
 *
 * Times (now) are monotonic milliseconds. A struct ofd_rtr is used by one thread.
 */
#ifndef OFD_NET_RTR_H
#define OFD_NET_RTR_H

#include <stddef.h>
#include <stdint.h>

#include "net/vrp.h"
#include "ofd/err.h"

/* PDU types */
enum {
	OFD_RTR_SERIAL_NOTIFY = 0,
	OFD_RTR_SERIAL_QUERY = 1,
	OFD_RTR_RESET_QUERY = 2,
	OFD_RTR_CACHE_RESPONSE = 3,
	OFD_RTR_IPV4_PREFIX = 4,
	OFD_RTR_IPV6_PREFIX = 6,
	OFD_RTR_END_OF_DATA = 7,
	OFD_RTR_CACHE_RESET = 8,
	OFD_RTR_ROUTER_KEY = 9,
	OFD_RTR_ERROR_REPORT = 10,
};

/* Error Report codes */
enum {
	OFD_RTR_ERR_CORRUPT = 0,
	OFD_RTR_ERR_INTERNAL = 1,
	OFD_RTR_ERR_NO_DATA = 2,
	OFD_RTR_ERR_INVALID_REQUEST = 3,
	OFD_RTR_ERR_UNSUPPORTED_VERSION = 4,
	OFD_RTR_ERR_UNSUPPORTED_PDU = 5,
	OFD_RTR_ERR_WITHDRAW_UNKNOWN = 6,
	OFD_RTR_ERR_DUPLICATE = 7,
	OFD_RTR_ERR_UNEXPECTED_VERSION = 8,
};

/* Events (a bit set) from ofd_rtr_feed and ofd_rtr_tick */
enum {
	OFD_RTR_EV_SET = 1,	/* a new frozen set: ofd_rtr_take_set */
	OFD_RTR_EV_CLOSE = 2,	/* flush the output, close, reconnect later */
	OFD_RTR_EV_ERROR = 4,	/* ofd_rtr_last_error() has the text */
	OFD_RTR_EV_EXPIRED = 8, /* the current set outlived the expire interval */
	OFD_RTR_EV_OUTPUT = 16, /* something was queued to send */
	OFD_RTR_EV_RESET = 32,	/* a Serial Query went unanswered or got a fatal Error Report: the
				   session is forgotten, the next connection starts with a Reset
				   Query (reconnect at once) */
};

struct ofd_rtr_opts {
	int version0;	    /* speak version 0 from the start (default: 1, falling back) */
	uint32_t max_pdu;   /* default 65536: longer PDUs are refused */
	size_t max_vrps;    /* default 4,000,000 */
	unsigned refresh_s; /* until the cache says otherwise: default 3600 */
	unsigned retry_s;   /* default 600 */
	unsigned expire_s;  /* default 7200 */
};

struct ofd_rtr_stats {
	uint64_t pdus;		/* PDUs received */
	uint64_t announced;	/* prefix PDUs announcing */
	uint64_t withdrawn;	/* prefix PDUs withdrawing */
	uint64_t router_keys;	/* skipped */
	uint64_t updates;	/* End of Data committed with a new set */
	uint64_t unchanged;	/* End of Data of a Serial Query without change: no new set */
	uint64_t resets;	/* Cache Reset received */
	uint64_t notifies;	/* Serial Notify received */
	uint64_t errors_sent;	/* Error Reports queued */
	uint64_t errors_recv;	/* Error Reports received */
	uint64_t downgrades;	/* fallbacks to version 0 */
	uint64_t expirations;	/* OFD_RTR_EV_EXPIRED reported */
	uint64_t reset_queries; /* Reset Queries sent (the first sync included) */
	uint64_t unanswered;	/* Serial Queries whose connection ended unanswered: session forgotten */
};

struct ofd_rtr;

/* 0 or -ENOMEM; opts may be NULL (defaults), zero fields take their defaults. */
int ofd_rtr_new(struct ofd_rtr **out, const struct ofd_rtr_opts *opts) OFD_MUST_CHECK;
void ofd_rtr_free(struct ofd_rtr *r);

/* A new connection: drops partial input and output, queues the first query. Events. */
int ofd_rtr_connected(struct ofd_rtr *r, int64_t now);

/* The connection is gone (EOF, error): a query in flight is abandoned; retry later. A Serial
   Query that had no answer at all makes the client forget the session:
   OFD_RTR_EV_RESET | OFD_RTR_EV_ERROR (else 0). */
int ofd_rtr_disconnected(struct ofd_rtr *r, int64_t now);

/* Bytes from the cache (any split). Events. After OFD_RTR_EV_CLOSE further bytes are ignored
   until ofd_rtr_connected. */
int ofd_rtr_feed(struct ofd_rtr *r, const void *buf, size_t n, int64_t now);

/* Timers: a Serial Query due (refresh/retry), expiry. Events. */
int ofd_rtr_tick(struct ofd_rtr *r, int64_t now);

/* Milliseconds until ofd_rtr_tick has something to do (at most the retry interval). */
int64_t ofd_rtr_next_ms(const struct ofd_rtr *r, int64_t now);

/* The bytes waiting to be sent (*len 0: none); ofd_rtr_sent drops the first n of them. */
const uint8_t *ofd_rtr_output(const struct ofd_rtr *r, size_t *len);
void ofd_rtr_sent(struct ofd_rtr *r, size_t n);

/* The set made by the last End of Data (NULL if taken or none): the caller owns it. */
struct ofd_vrpset *ofd_rtr_take_set(struct ofd_rtr *r);

/* Last error or notice, "" if none: NUL-terminated, printable ASCII, at most 320 bytes. */
const char *ofd_rtr_last_error(const struct ofd_rtr *r);

/* Session state: 1 with *session_id, *serial once an End of Data was received, else 0. */
int ofd_rtr_session(const struct ofd_rtr *r, uint16_t *session_id, uint32_t *serial);

/* Version in use (after a fallback: 0). */
unsigned ofd_rtr_version(const struct ofd_rtr *r);

/* Intervals in force (seconds). */
void ofd_rtr_intervals(const struct ofd_rtr *r, unsigned *refresh, unsigned *retry, unsigned *expire);

/* VRPs currently held (the committed table). */
size_t ofd_rtr_count(const struct ofd_rtr *r);

/* Call fn on every committed VRP (in no order); stops at the first non-zero result. */
int ofd_rtr_foreach(const struct ofd_rtr *r, int (*fn)(void *ctx, const struct ofd_vrp *v), void *ctx);

const struct ofd_rtr_stats *ofd_rtr_stats(const struct ofd_rtr *r);

#endif
