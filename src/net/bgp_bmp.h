/*
 * A BMP station (RFC 7854): routers (BMP senders) connect to our listener and stream what they
 * hear from their BGP peers; the Route Monitoring messages feed the RIB of the configured
 * router (net/bgp_session.h) whose address is the connection's source address, so flows from
 * that router's sampler get its routes.
 *
 * Runs on the speaker's thread (ofd_bgp_speaker_set_hook): the speaker's poll serves our
 * sockets too and then publishes the RIBs' snapshots, so every RIB keeps one writer thread.
 *
 * Per router one connection (a new one from the same address replaces the old one). Per
 * connection the monitored peers (per-peer header: peer type, distinguisher, address), at most
 * OFD_BGP_BMP_PEERS_MAX; a peer's paths are tagged with its slot (ofd_bgp_rib_apply_src) so
 * that they leave together. Peer Up's OPENs (sent by the router, received from the peer) say
 * how its UPDATEs are encoded (ADD-PATH per family, as ofd_bgp_negotiate); the per-peer
 * header's A flag says 2- or 4-byte AS_PATH per message. A Route Monitoring before its Peer Up
 * is taken with the A flag and no ADD-PATH.
 *
 * Policy: pre-policy Adj-RIB-In (L flag clear) or post-policy (L set), one per station; the
 * other kind and Loc-RIB (RFC 9069 peer type 3) are counted as ignored_policy.
 *
 * Peer Down: that peer's paths are removed at once. Connection loss or Termination: every peer
 * of the connection is removed at once (BMP has no graceful restart; a new connection sends
 * the whole table again after its Peer Ups).
 *
 * A router may have a BGP session with us and a BMP feed at once: the session is feed 0 of its
 * RIB and keeps its own paths (its loss, graceful restart and End-of-RIB touch only those), the
 * BMP peers are feeds 1..1024; a flow gets the best path over all of them (net/bgp_rib.h).
 *
 * Hostile input: messages are framed (ofd_bmp_frame, at most OFD_BMP_MAX_LEN) in a receive
 * buffer of one maximal message, allocated while connected; a message that does not parse, a
 * bad version or length, or a stream ending inside a message counts as malformed and closes the
 * connection. An UPDATE whose RFC 7606 outcome is a session reset is dropped (update_errors);
 * the connection stays. Paths per router are capped by the RIB (maxroutes).
 */
#ifndef OFD_NET_BGP_BMP_H
#define OFD_NET_BGP_BMP_H

#include <stddef.h>
#include <stdint.h>

#include "net/bgp_session.h"

#define OFD_BGP_BMP_PEERS_MAX 1024 /* monitored peers per router (<= OFD_BGP_RIB_SRC_MAX) */

struct ofd_bgp_bmp_cfg {
	struct ofd_ip listen; /* family 0: no listener (messages fed with ofd_bgp_bmp_input) */
	uint16_t port;	      /* 0: any free one */
	uint8_t post_policy;  /* 1: post-policy Adj-RIB-In (L flag), 0: pre-policy */
};

enum ofd_bgp_bmp_event {
	OFD_BMPE_CONNECTIONS,	   /* accepted from a configured router */
	OFD_BMPE_REFUSED,	   /* from an address that is no router's */
	OFD_BMPE_CLOSED,	   /* connections ended (any reason) */
	OFD_BMPE_MESSAGES,	   /* messages parsed */
	OFD_BMPE_INITIATION,	   /* by type */
	OFD_BMPE_TERMINATION,	   /* */
	OFD_BMPE_ROUTE_MONITORING, /* */
	OFD_BMPE_STATISTICS,	   /* Statistics Reports (counted, not kept) */
	OFD_BMPE_PEER_UP,	   /* */
	OFD_BMPE_PEER_DOWN,	   /* */
	OFD_BMPE_ROUTE_MIRRORING,  /* (counted, skipped) */
	OFD_BMPE_MALFORMED,	   /* messages refused: the connection is closed */
	OFD_BMPE_UPDATE_ERRORS,	   /* UPDATEs an RFC 7606 session reset would end: dropped */
	OFD_BMPE_IGNORED_POLICY,   /* Route Monitoring of the other policy, or Loc-RIB */
	OFD_BMPE_IGNORED_PEERS,	   /* Route Monitoring / Peer Up beyond OFD_BGP_BMP_PEERS_MAX */
	OFD_BMPE__N
};
extern const char *const ofd_bgp_bmp_event_names[OFD_BMPE__N];

struct ofd_bgp_bmp;

/* A station feeding sp's RIBs (sp outlives it). Registers itself as sp's poll hook. 0,
 * -ENOMEM, or a negative errno for the listener (err says why). */
int ofd_bgp_bmp_new(struct ofd_bgp_bmp **out, const struct ofd_bgp_bmp_cfg *c, struct ofd_bgp_speaker *sp,
		    char *err, size_t errlen) OFD_MUST_CHECK;
/* Unhooks and closes (the speaker's thread must have stopped). */
void ofd_bgp_bmp_free(struct ofd_bgp_bmp *st);

uint16_t ofd_bgp_bmp_port(const struct ofd_bgp_bmp *st);
uint64_t ofd_bgp_bmp_count(const struct ofd_bgp_bmp *st, enum ofd_bgp_bmp_event e); /* any thread */
void ofd_bgp_bmp_set_log(struct ofd_bgp_bmp *st, ofd_bgp_log_fn fn, void *ctx);

/*
 * Handle one whole message msg[0..len) as if it came over router i's connection (the
 * speaker's thread; benchmarks and tests without sockets). Returns 0, 1 for a Termination
 * (the caller closes), or OFD_EFORMAT / OFD_EVERSION (counted as malformed; the caller closes).
 */
int ofd_bgp_bmp_input(struct ofd_bgp_bmp *st, size_t router, const uint8_t *msg, size_t len);
/* Drop router i's monitored peers and their paths (as a connection loss does). */
void ofd_bgp_bmp_reset(struct ofd_bgp_bmp *st, size_t router);

#endif
