/*
 * The RTR client over TCP (net/rtr.h's state machine on a socket): connects to host:port with
 * a timeout, runs the exchange with poll() and the cache's intervals, reconnects with
 * exponential backoff, and hands every freshly frozen VRP set to a callback. Meant for a
 * background thread of the segment that uses it (ofd_segment_spawn): ofd_rtr_conn_run blocks
 * until ofd_rtr_conn_stop (callable from any thread).
 *
 * Callbacks run on the run() thread: on_set takes ownership of the set (swap it in with an
 * atomic pointer store; free the previous one once no reader can hold it); on_expired is
 * called once when the set in force has outlived the expire interval without a successful
 * refresh (the caller decides to drop it: flows then get OFD_RPKI_UNKNOWN, say); on_log gets
 * every error and notice (connect failures, Error Reports sent and received, version fallback,
 * disconnections) as one printable line: rate-limit it there.
 *
 * Backoff: backoff_min_ms after the first failure (connect error, timeout, session closed on
 * an error), doubled each time up to backoff_max_ms, back to the minimum after an End of Data.
 * A session whose Serial Query ended unanswered or refused with an Error Report (a cache
 * restarted with a new session id does either) makes the state machine forget the session
 * (OFD_RTR_EV_RESET): the next connection, at once and without a backoff wait, starts with a
 * Reset Query; the set in force stays until that query's End of Data brings the new one
 * (logged, counted in resets). A Reset Query that fails too waits the backoff: no loop.
 */
#ifndef OFD_NET_RTR_CONN_H
#define OFD_NET_RTR_CONN_H

#include <stdatomic.h>
#include <stdint.h>

#include "net/rtr.h"

struct ofd_rtr_conn_opts {
	const char *host;	 /* an address or a name (getaddrinfo) */
	const char *port;	 /* a number or a service name */
	int connect_timeout_ms;	 /* default 5000 */
	int backoff_min_ms;	 /* default 1000 */
	int backoff_max_ms;	 /* default 60000 */
	struct ofd_rtr_opts rtr; /* the state machine's options */
	void (*on_set)(void *ctx, struct ofd_vrpset *set);
	void (*on_expired)(void *ctx);
	void (*on_log)(void *ctx, const char *msg);
	void *ctx;
};

struct ofd_rtr_conn_stats {
	atomic_ulong connects;	       /* connections established */
	atomic_ulong connect_failures; /* refused, unreachable, timed out, name not resolved */
	atomic_ulong disconnects;      /* sessions ended (EOF, error, Error Report) */
	atomic_ulong sets;	       /* sets handed to on_set */
	atomic_ulong resets; /* sessions forgotten after a failed Serial Query: a Reset Query at once */
};

struct ofd_rtr_conn;

/* 0, -ENOMEM, or -errno of pipe(). o->host and o->port are copied. */
int ofd_rtr_conn_new(struct ofd_rtr_conn **out, const struct ofd_rtr_conn_opts *o) OFD_MUST_CHECK;

/* Run until ofd_rtr_conn_stop: 0. */
int ofd_rtr_conn_run(struct ofd_rtr_conn *c);

/* Make run() return soon (thread-safe, async-signal-safe). */
void ofd_rtr_conn_stop(struct ofd_rtr_conn *c);

/* Counters, readable from any thread. */
const struct ofd_rtr_conn_stats *ofd_rtr_conn_stats(const struct ofd_rtr_conn *c);

/* The state machine (its stats, session, version): read it only on the run() thread or after
   run() returned. */
const struct ofd_rtr *ofd_rtr_conn_rtr(const struct ofd_rtr_conn *c);

/* After run() returned. */
void ofd_rtr_conn_free(struct ofd_rtr_conn *c);

#endif
