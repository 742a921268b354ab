/*
 * The tracer receiver, composed: the store (store.h, SQLite), its writer thread (writer.h), and
 * the listeners (listen.h: UDP sockets with their verification threads, the HTTP server).
 * Verified tracers go from any verifying thread to the writer's queue, whose thread alone adds
 * them to the store in transactions and prunes by max_age_s / max_rows; the writer's results
 * come back into the listener's stored / duplicate / store-error counters and, for a tracer
 * that came over HTTP, as its answer: 202 once its transaction committed, never before. An HTTP
 * thread never waits for the store: a full queue is answered 503 (Retry-After) at once.
 *
 *   ofd_receiver_new     open the store (nothing runs yet)
 *   ofd_receiver_start   start the writer, bind and start the listeners; the keys with a
 *                        good history in the store (good_min tracers over HTTP(S), the most
 *                        active first, at most OFD_RECEIVER_GOOD_MAX) keep their UDP priority
 *                        across a restart (listen.h, ofd_listen_trust_key)
 *   ofd_receiver_stop    halt the listeners (everything received is verified and queued), then
 *                        stop the writer (everything queued is stored): the counters are final
 *   ofd_receiver_free    close the listeners and the store (after a stop, or instead of one)
 *
 * `overflowd receive` parses its options into struct ofd_receiver_opts and runs this.
 */
#ifndef OFD_RECEIVER_RECEIVER_H
#define OFD_RECEIVER_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "receiver/listen.h"
#include "receiver/store.h"

struct ofd_receiver_opts {
	const char *udp;	    /* listen string (udp://[::]:65535,...); NULL: no UDP */
	const char *http;	    /* ADDR:PORT, [V6]:PORT or :PORT; NULL: no HTTP */
	const char *db;		    /* the SQLite database (created when missing) */
	const struct ofd_key *ours; /* opens tracers sealed to us; NULL: they stay closed. Borrowed:
				       must outlive the receiver */
	const char *tls_cert;	    /* both set: the HTTP server speaks HTTPS only */
	const char *tls_key;
	uint64_t max_age_s;		   /* retention by age (0: none) */
	uint64_t max_rows;		   /* retention by rows (0: none) */
	unsigned workers;		   /* threads verifying UDP tracers; 0: one per core */
	struct ofd_store_limits limits;	   /* the disk budget and the hourly quotas (0: none; store.h) */
	size_t max_tracer;		   /* the size cap on a tracer (0: OFD_TRACER_MAX) */
	uint32_t max_past_s, max_future_s; /* the freshness window (0: none on that side) */
	const struct ofd_prefix *trusted_proxies; /* HTTP reverse proxies (copied); NULL: none */
	size_t ntrusted_proxies;
	enum ofd_httpd_fwd proxy_header; /* the header they name the client in */
	double udp_budget; /* UDP verifications/s for keys without a good history (0: automatic) */
	double udp_share;  /* udp_budget 0: this share (0 < x <= 1; 0: 0.5) of the measured rate */
	uint64_t good_min; /* tracers over HTTP(S) in the store that make a key good at the start
			      (0: OFD_RECEIVER_GOOD_MIN) */
	const char *ui;	   /* the web page's address (ui.h); NULL: none. Never the tracer port: the
			      same port as http is refused (OFD_ECONFIG) */
	const struct ofd_prefix *mine; /* my prefixes: the page's spoofing report (copied) */
	size_t nmine;
};

/* The defaults of `overflowd receive` (the receiver itself takes 0 as "none"). */
#define OFD_RECEIVER_MAX_AGE_S	  (30 * 24 * 3600)
#define OFD_RECEIVER_MAX_SIZE	  (UINT64_C(1) << 30) /* 1 GiB of database */
#define OFD_RECEIVER_MIN_FREE	  (UINT64_C(256) << 20)
#define OFD_RECEIVER_KEY_HOUR	  10000		      /* tracers stored per key per hour */
#define OFD_RECEIVER_NET_HOUR	  20000		      /* ... per sender network (/24, /48) per hour */
#define OFD_RECEIVER_TRACER_MAX	  OFD_TRACER_HTTP_MAX /* the longest tracer a sender makes */
#define OFD_RECEIVER_MAX_PAST_S	  (24 * 3600)
#define OFD_RECEIVER_MAX_FUTURE_S 600
#define OFD_RECEIVER_GOOD_MIN	  3    /* HTTP(S) tracers of a key in the store: good at the start */
#define OFD_RECEIVER_GOOD_MAX	  4096 /* keys made good at the start: the good-key table's size */

struct ofd_receiver;

/* Open the store at o->db (the strings in o are copied). Errors: the reason in err. */
int ofd_receiver_new(struct ofd_receiver **out, const struct ofd_receiver_opts *o, char *err,
		     size_t errlen) OFD_MUST_CHECK;

/* Start the writer and the listeners. On error nothing runs and the reason is in err, or err is
   "" when a listener failed (it logged why); the receiver can then only be freed. */
int ofd_receiver_start(struct ofd_receiver *r, char *err, size_t errlen) OFD_MUST_CHECK;

/* The HTTP server's bound port (0: none), and UDP socket i's. After a successful start. */
uint16_t ofd_receiver_http_port(const struct ofd_receiver *r);
/* The web page's bound port (0: none). */
uint16_t ofd_receiver_ui_port(const struct ofd_receiver *r);
uint16_t ofd_receiver_udp_port(const struct ofd_receiver *r, unsigned i);

/* The listener's counters (zero before the start). Any thread. */
void ofd_receiver_counters(const struct ofd_receiver *r, struct ofd_listen_counters *c);

/* The store's counters (stored, refused for the budget or a quota, pruned): final after a
   stop; while the writer runs, as of its last commit or prune. Any thread, but not during
   ofd_receiver_stop (which halts /metrics first). Also in /metrics:
   overflowd_store_refused_total{reason="full|key_quota|net_quota"},
   overflowd_store_pruned_total, overflowd_store_history_pruned_total,
   overflowd_store_errors_total. */
void ofd_receiver_store_stats(const struct ofd_receiver *r, struct ofd_store_stats *st);

/* Halt the listeners, then store everything queued (see above). Idempotent. */
void ofd_receiver_stop(struct ofd_receiver *r);

/* Stop if still running, close the listeners and the store, free r (NULL: nothing). */
void ofd_receiver_free(struct ofd_receiver *r);

#endif
