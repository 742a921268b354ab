/*
 * Tracer delivery: to both ends of a flow (UDP to port 65535, HTTP and HTTPS POST to
 * /.well-known/overflowd) or to fixed relays, with the safety rules of the wire format:
 * no reserved, private, loopback, link-local, multicast or broadcast destinations and no `deny`
 * prefixes unless `allow` names them; per-address and global token buckets; the same flow to the
 * same address at most once per dedup window; a bounded queue. ofd_sender_offer() never blocks;
 * a sender thread does the network work (UDP sendto, libcurl multi). Every tracer not sent is
 * counted under a reason.
 */
#ifndef OFD_TRACER_SEND_H
#define OFD_TRACER_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"
#include "net/prefix.h"
#include "tracer/tracer.h"

enum { OFD_SEND_UDP = 1 << 0, OFD_SEND_HTTP = 1 << 1, OFD_SEND_HTTPS = 1 << 2 };

enum ofd_send_drop {
	OFD_SD_RESERVED,    /* destination in a reserved/private/loopback/... range, not allowed */
	OFD_SD_DENIED,	    /* destination in a `deny` prefix */
	OFD_SD_DUPLICATE,   /* same flow to the same address within the dedup window */
	OFD_SD_ADDR_RATE,   /* per-address token bucket empty */
	OFD_SD_RATE,	    /* global (or relay) token bucket empty */
	OFD_SD_QUEUE_FULL,  /* the send queue was full */
	OFD_SD_TOO_LARGE,   /* too large for UDP */
	OFD_SD_ERROR,	    /* the send failed (socket error, HTTP error status, timeout) */
	OFD_SD_UNREACHABLE, /* HTTP(S) skipped: the host did not answer on that port lately */
	OFD_SD_DEST_FULL,   /* HTTP(S): that destination's attempts (dest_queue + in flight) are all taken */
	OFD_SD_HTTP_FULL,   /* HTTP(S): http_queue attempts already wait or are in flight */
	OFD_SD__COUNT
};

/* The reason's name in metrics and summaries: reserved, denied, duplicate, address_rate, rate,
   queue_full, too_large, error, unreachable, dest_queue_full, http_queue_full. */
const char *ofd_send_drop_name(enum ofd_send_drop d);

struct ofd_sender_recipient { /* sealing: tracers to addresses in `prefix` are sealed to `key` */
	struct ofd_prefix prefix;
	uint8_t key[OFD_KEY_PUB_LEN];
};

/*
 * Sender configuration. Zero fields take the defaults in brackets; a negative rate means no
 * limit. The arrays and strings are copied by ofd_sender_new.
 *
 * Delivery: UDP is sent when the sender thread takes a tracer from the queue, never behind
 * HTTP(S). HTTP(S) attempts go to per-destination queues (a flow end's address, or a relay):
 * at most dest_inflight transfers in flight and dest_queue attempts waiting per flow end (a
 * relay: relay_inflight and http_queue), http_queue attempts waiting or in flight and max_inflight
 * transfers in flight overall, destinations served round robin. A flow end's (address, port) that
 * does not answer (refused, reset, connect timeout, no answer within total_timeout_ms) is
 * remembered in a table of unreachable_table entries and skipped (counted `unreachable`) for
 * unreachable_min_s, doubling at each failure after that up to unreachable_max_s; any HTTP
 * answer forgets it (hostmem.h). Its waiting attempts of that method are then counted
 * `unreachable` too. Relays are never skipped.
 *
 * Certificates: HTTPS to a flow end (and to a relay given as a bare address) does not verify the
 * server's certificate (CURLOPT_SSL_VERIFYPEER/HOST 0): there is no name to check an address
 * against, and the payload is signed (and sealed where the recipient's key is known), so TLS only
 * adds privacy on the path. HTTPS to a relay given by name verifies as usual.
 * Redirects are never followed, environment proxies are not used, and an answer counts as sent
 * only with a 2xx status.
 */
struct ofd_sender_cfg {
	unsigned methods;    /* OFD_SEND_* to flow ends [OFD_SEND_UDP] */
	uint16_t udp_port;   /* [65535] */
	uint16_t http_port;  /* [80] (tests: another) */
	uint16_t https_port; /* [443] */
	const struct ofd_prefix *allow;
	size_t nallow;
	const struct ofd_prefix *deny;
	size_t ndeny;
	double addr_rate, addr_burst;		       /* tracers per second per destination address [1, 5] */
	double global_rate, global_burst;	       /* all flow-end deliveries together [100, 200] */
	double relay_rate, relay_burst;		       /* each relay [1000, 1000] */
	uint32_t dedup_window_s;		       /* [300]; OFD_SEND_DEDUP_OFF turns it off */
	uint32_t queue_max;			       /* tracers waiting to be sent [1024] */
	uint32_t max_inflight;			       /* concurrent HTTP(S) requests [128] */
	uint32_t connect_timeout_ms, total_timeout_ms; /* [2000, 5000]; connect: relays */
	uint32_t end_connect_timeout_ms;	       /* TCP connect to a flow end [1000] */
	uint32_t http_queue;			       /* HTTP(S) attempts waiting or in flight [1024] */
	uint32_t dest_inflight;			       /* transfers in flight to one flow end [1] */
	uint32_t dest_queue;			       /* attempts waiting for one flow end [4] */
	uint32_t relay_inflight;    /* transfers in flight to one relay [32, at most max_inflight] */
	uint32_t unreachable_table; /* (address, port) pairs remembered [4096] */
	uint32_t unreachable_min_s, unreachable_max_s; /* skip for [600], doubling up to [86400] */
	const char *const *relays; /* udp://HOST:PORT, http://..., https://... (NULL-terminated or NULL) */
	const struct ofd_sender_recipient *recipients;
	size_t nrecipients;
	uint32_t addr_table;  /* per-address buckets remembered [4096] */
	uint32_t dedup_table; /* (flow, address) pairs remembered for the dedup window [16384] */
};

#define OFD_SEND_DEDUP_OFF  UINT32_MAX
#define OFD_SEND_MAX_RELAYS 32

/*
 * Counters. A delivery is one tracer to one destination (a flow end or a relay). The checks in
 * ofd_sender_offer (policy, dedup, buckets, queue) count once per delivery; a flow end is then
 * tried by every configured method, and sent_* / TOO_LARGE / ERROR / UNREACHABLE / DEST_FULL /
 * HTTP_FULL count per method tried: every delivery is either sent or counted under one reason.
 */
struct ofd_sender_stats {
	uint64_t offered;  /* tracers offered (each goes to up to two ends, or to every relay) */
	uint64_t sent_udp; /* deliveries */
	uint64_t sent_http;
	uint64_t sent_https;
	uint64_t sealed;
	uint64_t not_sent[OFD_SD__COUNT]; /* deliveries not made, by reason */
	uint64_t unreachable_hosts;	  /* gauge: (address, port) pairs skipped now or lately */
};

struct ofd_sender;

/*
 * Start a sender (its thread, sockets and curl handles; every buffer is allocated here). Relay
 * URLs are checked and their host names resolved here, once (getaddrinfo; curl is then pinned
 * to that address). Relays replace the flow ends: every tracer goes to every relay, limited only
 * by the relay's own bucket (no flow-end policy, dedup, per-address or global limit). Errors:
 * OFD_ECONFIG with the reason in err, -ENOMEM, -errno.
 */
int ofd_sender_new(struct ofd_sender **out, const struct ofd_sender_cfg *cfg, char *err,
		   size_t errlen) OFD_MUST_CHECK;

/*
 * Offer a signed tracer about flow f: it is queued for the flow's source and destination (or for
 * the relays, if any are configured). Never blocks; what cannot be queued is counted.
 * now_ns is wall-clock time (rate limits, dedup). For each flow end (an address without a
 * family is skipped): policy (RESERVED, DENIED), dedup (DUPLICATE), per-address bucket
 * (ADDR_RATE), global bucket (RATE), queue (QUEUE_FULL); a tracer of 0 or more than
 * OFD_TRACER_HTTP_MAX bytes counts TOO_LARGE. A destination matching a recipient prefix (the most
 * specific one) gets the tracer sealed to that key; sealed, it must still fit UDP's bound.
 */
void ofd_sender_offer(struct ofd_sender *s, const struct ofd_flow *f, const char *tracer, size_t len,
		      uint64_t now_ns);

/* The destinations of one tracer that passed the checks (flow ends, or a mask of relays). */
struct ofd_send_dests {
	uint8_t ndest;
	struct ofd_ip dest[2]; /* flow ends */
	uint64_t relays;       /* bit i: relay i (when relays are configured) */
};

/* What ofd_sender_admit() let through, for ofd_sender_queue(). */
struct ofd_send_ticket {
	unsigned n; /* deliveries admitted; 0: none */
	struct ofd_send_dests d;
};

/*
 * ofd_sender_offer() in two steps, so that a tracer is built and signed only when a destination
 * takes it (the emitter does this). ofd_sender_admit() counts the tracer as offered and runs
 * every check of ofd_sender_offer() for the flow's ends or the relays, with the same spending
 * (dedup entry, per-address and global or relay tokens of the destinations that pass) and the
 * same counting of those that do not, then the queue's room (QUEUE_FULL, or ERROR once flushed,
 * counted per admitted delivery: nothing is admitted then). It returns t->n, the deliveries
 * admitted. Only then the caller signs, and hands the tracer over with ofd_sender_queue(),
 * exactly once per ticket with t->n > 0: a tracer of 0 or more than OFD_TRACER_HTTP_MAX bytes (pass
 * len 0 when it could not be made) counts TOO_LARGE per admitted delivery, as a full queue or a
 * flushed sender then does. The only difference to offer: a too-large tracer whose deliveries
 * meet a full queue counts QUEUE_FULL rather than TOO_LARGE. Never blocks; any thread.
 *
 * Two forms of one tracer: `tracer` goes over HTTP(S) (up to OFD_TRACER_HTTP_MAX bytes); `udp`, when
 * not NULL, is the form fitted to one datagram (at most OFD_TRACER_UDP_MAX bytes, see emit.c) and
 * goes over UDP instead. udp NULL: `tracer` is used for UDP too.
 */
unsigned ofd_sender_admit(struct ofd_sender *s, const struct ofd_flow *f, uint64_t now_ns,
			  struct ofd_send_ticket *t);
void ofd_sender_queue(struct ofd_sender *s, const struct ofd_send_ticket *t, const char *tracer, size_t len,
		      const char *udp, size_t udp_len);

/*
 * Wait up to timeout_ms for everything queued and in flight to finish; then stop the thread.
 * What is left (queued, in flight) is counted under OFD_SD_ERROR, and so is every delivery
 * offered after the flush.
 */
void ofd_sender_flush(struct ofd_sender *s, unsigned timeout_ms);

/* A consistent copy of the counters. */
void ofd_sender_stats(struct ofd_sender *s, struct ofd_sender_stats *st);

void ofd_sender_free(struct ofd_sender *s);

#endif
