/*
 * The collectors of the ipfix and netflow9 outputs: one socket per target, UDP (connected, the
 * messages of a batch in one sendmmsg) or TCP (IPFIX, RFC 7011 section 10.4: non-blocking connect,
 * reconnect with a doubling backoff, the templates first on every new connection).
 */
#ifndef OFD_SEG_EXPORT_SEND_H
#define OFD_SEG_EXPORT_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/hostport.h"

struct fx_target {
	struct sockaddr_storage ss;
	socklen_t sl;
	char name[OFD_HOSTPORT_STRLEN];
	int fd; /* -1: none */
	int tcp;
	int up;		      /* tcp: connected (the templates went first) */
	uint64_t retry_ns;    /* tcp: next connect attempt (monotonic) */
	uint64_t backoff_ns;  /* tcp: the wait after the next failure */
	uint64_t min_backoff; /* tcp: the first wait */
};

/* What a send round did, for the segment's counters. */
struct fx_send_stats {
	uint64_t errors;       /* messages that failed (per target) */
	uint64_t lost_records; /* their data records */
	uint64_t reconnects;   /* tcp connections made again after a loss or a failed attempt */
	uint64_t connects;     /* tcp connections established (the templates are due on each) */
};

/* Parse "ADDR:PORT" / "[IPV6]:PORT" into t (nothing opened). 0 or OFD_ECONFIG (a wildcard or no
   port is refused too). */
int fx_target_parse(struct fx_target *t, const char *s, int tcp, uint64_t min_backoff_ns) OFD_MUST_CHECK;

/* UDP: open and connect the socket (errors logged by the caller). 0 or -errno. TCP: nothing yet
   (the first send round starts the connect). */
int fx_target_open(struct fx_target *t) OFD_MUST_CHECK;

/*
 * TCP: make progress on the connection (start a connect when due, see whether one finished).
 * Returns 1 when the connection just came up (send the templates first), 0 otherwise. UDP: 0.
 */
int fx_target_poll(struct fx_target *t, uint64_t now_ns, struct fx_send_stats *st);

/*
 * Send n messages (msg[i], len[i] bytes, recs[i] data records) to t. UDP: sendmmsg, a failed
 * message counted and skipped; TCP: written whole or the connection is dropped (what was not
 * written is lost and counted, the next round reconnects after the backoff); while not connected
 * every message is lost and counted.
 */
void fx_target_send(struct fx_target *t, uint8_t *const *msg, const size_t *len, const uint32_t *recs,
		    unsigned n, uint64_t now_ns, struct fx_send_stats *st);

void fx_target_close(struct fx_target *t);

#endif
