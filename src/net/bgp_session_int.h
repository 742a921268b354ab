/*
 * Inside net/bgp_session: the speaker's structures and helpers shared by bgp_session.c
 * (sockets, connections, timers, the loop) and bgp_session_msg.c (messages, FSM transitions).
 * Not for other modules.
 */
#ifndef OFD_NET_BGP_SESSION_INT_H
#define OFD_NET_BGP_SESSION_INT_H

#include "net/bgp_session.h"

#define RX_CAP	     (OFD_BGP_EXT_MAX_LEN + 1)
#define TX_CAP	     4096
#define OPEN_HOLD_NS (240ull * 1000000000ull) /* RFC 4271 suggests a large hold time before OPEN */
#define SEC	     1000000000ull

struct peer {
	struct ofd_bgp_peer_cfg c;
	char name[64];
	struct ofd_bgp_rib *rib;
	_Atomic int state;
	_Atomic uint64_t n_paths, n_sets; /* copies for other threads */
	uint64_t refused_seen;
	int fd;
	uint8_t rx[RX_CAP];
	size_t rx_n;
	uint8_t tx[TX_CAP];
	size_t tx_n;
	struct ofd_bgp_open ours, theirs;
	struct ofd_bgp_sess sess;
	uint64_t hold_deadline, ka_next, connect_next, last_publish, stale_deadline;
	uint8_t stale, eor_need, eor_seen; /* GR: stale paths kept; families (bit 0 v4, 1 v6) */
};

struct ofd_bgp_speaker {
	struct ofd_bgp_speaker_cfg c;
	int lfd;
	uint16_t lport;
	struct peer *peers;
	size_t n;
	struct ofd_bgp_counters cnt;
	struct ofd_bgp_update u; /* ~1 KB: one for the thread */
	ofd_bgp_log_fn log;
	void *log_ctx;
	struct ofd_bgp_poll_hook hook; /* fill NULL: none */
};

void bgp_logf(struct ofd_bgp_speaker *sp, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append a message to the send buffer (dropped when it does not fit) and try to send. */
void bgp_queue(struct peer *p, const uint8_t *m, int len);
/* End the connection; gr: a TCP loss (graceful restart applies when the peer announced it). */
void bgp_peer_close(struct ofd_bgp_speaker *sp, struct peer *p, const char *why, int gr);
/* Send e as a NOTIFICATION, count the reset, close. */
void bgp_reset(struct ofd_bgp_speaker *sp, struct peer *p, const struct ofd_bgp_err *e);
/* Read what the socket has and handle every whole message (bgp_session_msg.c). */
void bgp_on_readable(struct ofd_bgp_speaker *sp, struct peer *p);

#endif
