/*
 * A collector-only BGP speaker (RFC 4271 FSM, reduced to what a route collector needs): one
 * passive listener (routers connect to us) and active sessions (we connect, with a connect
 * retry timer), one RIB (net/bgp_rib.h) per configured router. We never send an UPDATE.
 *
 * Driven by one thread: ofd_bgp_speaker_poll() waits up to a timeout for socket events and
 * timers and does all the work (accept, connect, OPEN exchange with ofd_bgp_open_build and
 * ofd_bgp_negotiate, KEEPALIVE/hold timers, UPDATEs into the RIB, NOTIFICATION on errors then a
 * counted reset, snapshot publication at most every snapshot_ns per RIB). The RIBs' readers (the
 * flow threads) only adopt snapshots (ofd_bgp_rib_adopt).
 *
 * Bounded: a receive buffer of one maximal message (65535 bytes) and a 4 KiB send buffer per
 * router; unknown peers are refused at accept (counted); routes per router capped (max_paths,
 * counted by the RIB); one connection per router (a second one while the first is not yet
 * Established replaces it; while Established it is refused: simplified collision handling).
 *
 * Graceful restart (RFC 4724) as a receiver: when an Established session whose peer announced
 * the GR capability is lost, its paths are marked stale and kept for the peer's restart time
 * (capped by gr_max_ns) when the connection failed without a NOTIFICATION (RFC 4724 4.2; we do
 * not announce the RFC 8538 N bit); they are swept at the End-of-RIB of every family of the new session or
 * when the time runs out. Without GR the paths are removed at once. The session's paths are feed 0
 * of the router's RIB (ofd_bgp_rib_apply_src: ADD-PATH ids kept to their low 20 bits): a BMP
 * feed of the same router (net/bgp_bmp.h) keeps its paths through all of this.
 */
#ifndef OFD_NET_BGP_SESSION_H
#define OFD_NET_BGP_SESSION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net/bgp_msg.h"
#include "net/bgp_rib.h"

#define OFD_BGP_PEER_ADDRS_MAX 8
#define OFD_BGP_PEERS_MAX      256

struct ofd_bgp_peer_cfg {
	const char *name;
	struct ofd_ip addr[OFD_BGP_PEER_ADDRS_MAX]; /* the router's addresses (session, sampler) */
	unsigned n_addr;
	uint32_t asn;	    /* its AS (an OPEN with another is refused: 2/2) */
	uint32_t local_asn; /* ours for this session (0: the speaker's) */
	uint32_t router_id; /* ours for this session (0: the speaker's), host order */
	int active;	    /* we connect to addr[0]:port */
	uint16_t port;	    /* active: its port (179) */
};

struct ofd_bgp_speaker_cfg {
	struct ofd_ip listen; /* family 0: no listener */
	uint16_t listen_port;
	uint32_t asn, router_id;
	uint16_t hold_time; /* proposed; 0 or >= 3 */
	uint16_t gr_time;   /* restart time we announce */
	uint64_t gr_max_ns; /* longest we keep stale routes (the peer's time is capped by it) */
	uint64_t snapshot_ns;
	uint64_t connect_retry_ns;
	size_t max_paths; /* per router */
};

enum ofd_bgp_state {
	OFD_BGPS_IDLE,
	OFD_BGPS_CONNECT,
	OFD_BGPS_OPENSENT,
	OFD_BGPS_OPENCONFIRM,
	OFD_BGPS_ESTABLISHED
};

/* Counters, read from any thread. */
struct ofd_bgp_counters {
	_Atomic uint64_t up, down, resets, updates, malformed, treat_as_withdraw, refused_peers, eor,
	    notif_recv, stale_kept, stale_swept, routes_refused;
};

struct ofd_bgp_speaker;

/* Peers are copied (names too); the RIBs are created here. 0, -ENOMEM, or a negative errno for
 * the listener (err says why). */
int ofd_bgp_speaker_new(struct ofd_bgp_speaker **out, const struct ofd_bgp_speaker_cfg *c,
			const struct ofd_bgp_peer_cfg *peers, size_t n, char *err,
			size_t errlen) OFD_MUST_CHECK;
void ofd_bgp_speaker_free(struct ofd_bgp_speaker *sp);

/* One round: wait up to timeout_ms for events, handle them and the timers. */
void ofd_bgp_speaker_poll(struct ofd_bgp_speaker *sp, int timeout_ms);

/* The listener's port (for tests with port 0), 0 without a listener. */
uint16_t ofd_bgp_speaker_port(const struct ofd_bgp_speaker *sp);

size_t ofd_bgp_speaker_npeers(const struct ofd_bgp_speaker *sp);
struct ofd_bgp_rib *ofd_bgp_speaker_rib(struct ofd_bgp_speaker *sp, size_t i);
const struct ofd_bgp_peer_cfg *ofd_bgp_speaker_peer(const struct ofd_bgp_speaker *sp, size_t i);
enum ofd_bgp_state ofd_bgp_speaker_state(const struct ofd_bgp_speaker *sp, size_t i); /* any thread */
/* Paths in router i's RIB and (sets not NULL) its attribute sets, as of the last poll round; any thread. */
uint64_t ofd_bgp_speaker_routes(const struct ofd_bgp_speaker *sp, size_t i, uint64_t *sets);
struct ofd_bgp_counters *ofd_bgp_speaker_counters(struct ofd_bgp_speaker *sp);

/* Further sockets served by the speaker's thread (the BMP station, net/bgp_bmp.h), so that one
 * thread writes the RIBs: fill() puts up to max pollfds at pf and returns how many; ready() gets
 * them back with their revents after each poll, before the RIBs' timers run (snapshot
 * publication). NULL removes the hook. */
struct pollfd;
struct ofd_bgp_poll_hook {
	unsigned (*fill)(void *ctx, struct pollfd *pf, unsigned max);
	void (*ready)(void *ctx, const struct pollfd *pf, unsigned n);
	void *ctx;
};
#define OFD_BGP_HOOK_FDS_MAX (OFD_BGP_PEERS_MAX + 1)
void ofd_bgp_speaker_set_hook(struct ofd_bgp_speaker *sp, const struct ofd_bgp_poll_hook *h);

/* Socket helpers shared with the BMP station: a non-blocking listener on ip:port (0, or a
 * negative errno with err); the next connection on listener lfd (its fd, -1 when none is
 * waiting), its address in ip (IPv4 v4-mapped) and in *router the configured router it came
 * from (one of its addresses), -1 for none. */
int ofd_bgp_listen(const struct ofd_ip *ip, uint16_t port, int *fd, uint16_t *bound_port, char *err,
		   size_t errlen) OFD_MUST_CHECK;
int ofd_bgp_accept(const struct ofd_bgp_speaker *sp, int lfd, struct ofd_ip *ip, int *router);

/* Logging hook (the segment's ofd_seg_log), rate limiting is the caller's. */
typedef void (*ofd_bgp_log_fn)(void *ctx, int err, const char *msg);
void ofd_bgp_speaker_set_log(struct ofd_bgp_speaker *sp, ofd_bgp_log_fn fn, void *ctx);

#endif
