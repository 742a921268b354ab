/*
 * The tracer receiver's network side: UDP sockets (one tracer per datagram) and an HTTP server
 * (libmicrohttpd: POST /.well-known/overflowd with one tracer as the body, GET /metrics in the
 * Prometheus text format). Every tracer goes through the same steps:
 *
 *   1. size cap (over cfg.limits.max_len: invalid "too_large"; HTTP bodies over max_body: 413);
 *   2. the per-source invalid-tracer limiter: an address (IPv4 /32, IPv6 /64) whose bucket of
 *      invalid tracers is empty is refused before any parsing or signature check and counted
 *      as ratelimited (HTTP 429). UDP and HTTP have separate limiters: a UDP source address can
 *      be forged, so junk sent over UDP in a reporter's name never refuses its HTTP tracers
 *      (whose address the TCP handshake proved); behind a trusted proxy (trusted_proxies) the
 *      HTTP address is the client the proxy names;
 *   2b. over UDP only, the verification budget (vbudget.h): a datagram with the bytes of one
 *      admitted recently is dropped (a repeat); a tracer naming a key with a good history (a
 *      tracer of it verified in this process, over UDP or HTTP) is verified first; any other
 *      is verified only while the budget (udp_budget per second) has a token, else dropped.
 *      Each drop is counted by reason (counters.udp, overflowd_udp_dropped_total). HTTP
 *      tracers are verified in the HTTP server's threads and never wait for UDP work;
 *   3. ofd_tracer_verify_at (cheap checks first, the signature, the values' bounds, then the
 *      freshness window of cfg.limits; sealed ones opened with `ours`); an invalid verdict is
 *      counted by reason ("stale" for the window) and takes a token from the address;
 *   4. the accept callback, called under one mutex (never concurrently), or from every
 *      verifying thread at once when it says it is thread-safe (accept_concurrent: the
 *      receive command queues to its store writer and counts the results as they come).
 *
 * HTTP answers: 202 only once the tracer is stored (or found stored: "duplicate"): a queued
 * tracer's request waits, holding no server thread, for its result through
 * ofd_listen_result(); 503 with Retry-After at once when the store's queue is full
 * (OFD_LISTEN_BUSY: counted as busy); 507 when the store's disk is full (-ENOSPC), 500 for any
 * other store error; 400 invalid, 413 too large, 429 ratelimited.
 *
 * Counters are atomics, readable at any time with ofd_listen_counters().
 */
#ifndef OFD_RECEIVER_LISTEN_H
#define OFD_RECEIVER_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "net/httpd.h"
#include "net/prefix.h"
#include "ofd/flow.h"
#include "receiver/vbudget.h"
#include "tracer/tracer.h"

struct ofd_prom;

/* Store one verified tracer: 1 stored, 0 duplicate, <0 error, or OFD_LISTEN_QUEUED: handed on
   (to a store writer), its result comes later through ofd_listen_result(l, rc, token). Never
   called concurrently unless cfg.accept_concurrent. An accept that returns OFD_LISTEN_QUEUED has
   taken m->doc (the parsed signed bytes) and releases it later with ofd_tracer_msg_release();
   any other result leaves it to the listener. token is NULL over UDP (accept may wait for room);
   an HTTP request's otherwise: accept must not wait, OFD_LISTEN_BUSY when it cannot queue now. */
typedef int (*ofd_listen_accept_fn)(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
				    const struct ofd_ip *sender, uint64_t recv_ns, void *token);

#define OFD_LISTEN_QUEUED      2
#define OFD_LISTEN_BUSY	       3
#define OFD_LISTEN_PER_ADDRESS 64 /* HTTP connections one address (/64) may hold */

struct ofd_listen_cfg {
	const char *udp;	    /* listen string for src/net/udp.h ("udp://[::]:65535"); NULL: no UDP */
	const char *http;	    /* "ADDR:PORT", "[V6]:PORT" or ":PORT" (all, dual stack); NULL: no HTTP */
	const struct ofd_key *ours; /* opens sealed tracers; may be NULL */
	ofd_listen_accept_fn accept;
	void *ctx;
	int accept_concurrent; /* accept is thread-safe: called from every verifying thread at once */
	size_t max_body;       /* HTTP body cap; 0: 16 KiB */
	double invalid_rate;   /* invalid tracers per second per address; 0: 10 */
	double invalid_burst;  /* 0: 100 */
	unsigned http_threads; /* MHD thread pool size; 0: 2 */
	int rcvbuf;	       /* UDP receive buffer bytes; 0: 4 MiB asked (the system may grant less) */
	unsigned udp_workers;  /* threads verifying UDP tracers; 0 or 1: the receiving thread itself */
	double udp_budget;     /* UDP verifications/s for keys without a good history (vbudget.h) */
	double udp_share;      /* udp_budget 0: this share (0: 0.5) of the verifiers' measured rate */
	const char *tls_cert;  /* PEM files: both set, the HTTP server speaks HTTPS only */
	const char *tls_key;
	struct ofd_tv_limits limits; /* size cap and freshness window (zero: OFD_TRACER_MAX, none) */
	const struct ofd_prefix *trusted_proxies; /* HTTP peers whose X-Forwarded-For/Forwarded is
						     honoured (copied); NULL: none */
	size_t ntrusted_proxies;
	enum ofd_httpd_fwd proxy_header; /* X-Forwarded-For (default) or Forwarded */
	/* more families for /metrics, written after the listener's (ctx as for accept); NULL: none.
	   Called from the HTTP server's threads, concurrently: must be thread-safe */
	void (*metrics)(void *ctx, struct ofd_prom *w);
};

enum ofd_lc_class { OFD_LC_CLASS_UNKNOWN = 4, OFD_LC_CLASS__COUNT = 5 };

struct ofd_listen_counters {
	uint64_t received;
	uint64_t valid;
	uint64_t invalid[OFD_TV__COUNT]; /* by reason; [OFD_TV_OK] unused */
	uint64_t invalid_total;
	uint64_t stored;
	uint64_t duplicate;
	uint64_t store_errors;
	uint64_t ratelimited;			/* both transports */
	uint64_t ratelimited_http;		/* of which over HTTP */
	uint64_t busy;				/* valid, refused 503: the store's queue was full */
	uint64_t by_class[OFD_LC_CLASS__COUNT]; /* enum ofd_tracer_class, then UNKNOWN */
	struct ofd_vbudget_counters udp;	/* the UDP verification budget (zero without UDP) */
};

struct ofd_listen;

/* Bind everything in cfg and start the threads. Errors are logged. */
int ofd_listen_start(struct ofd_listen **out, const struct ofd_listen_cfg *cfg) OFD_MUST_CHECK;

/* The bound ports (tests bind port 0): UDP socket i, and the HTTP server (0: none). */
uint16_t ofd_listen_udp_port(const struct ofd_listen *l, unsigned i);
uint16_t ofd_listen_http_port(const struct ofd_listen *l);

/* A consistent-enough snapshot of the counters (each one read atomically). */
void ofd_listen_counters(const struct ofd_listen *l, struct ofd_listen_counters *c);

/* The Prometheus text exposition of the counters into buf; its length, or OFD_ELIMIT. */
int ofd_listen_metrics(const struct ofd_listen *l, char *buf, size_t cap);

/* Label value of an invalid reason in the metrics ("bad_signature", ...). */
const char *ofd_listen_reason_label(enum ofd_tv_error e);

/*
 * Handle one tracer as if received from sender over transport (enum ofd_transport; the UDP and
 * HTTP paths call this; the accept callback finds it in m->transport): returns the verdict
 * (OFD_TV_OK when valid), or -1 when rate-limited. *stored gets the accept result.
 * Thread-safe; scratch must hold OFD_TRACER_MAX bytes and belong to the caller's thread.
 */
int ofd_listen_handle(struct ofd_listen *l, const char *line, size_t len, const struct ofd_ip *sender,
		      uint64_t recv_ns, int transport, uint8_t *scratch, int *stored);

/* Give key's UDP tracers priority, above all from sender's network (NULL: unknown): a valid
   tracer of it came (ofd_listen_handle calls this), or the store knows the key. No-op without
   UDP. Thread-safe. */
void ofd_listen_trust_key(struct ofd_listen *l, const uint8_t key[OFD_KEY_PUB_LEN],
			  const struct ofd_ip *sender);

/* Count the result of a queued accept (1 stored, 0 duplicate, <0 error) and answer its HTTP
   request (token as given to accept; NULL: none). Thread-safe. */
void ofd_listen_result(struct ofd_listen *l, int rc, void *token);

/* Stop receiving: the threads end, everything received is verified and accepted; the counters
   stay readable (ofd_listen_result still counts). Idempotent. */
void ofd_listen_halt(struct ofd_listen *l);

/* Halt, close the sockets, free l (NULL: nothing). */
void ofd_listen_stop(struct ofd_listen *l);

#endif
