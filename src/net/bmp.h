/*
 * BMP v3 messages (RFC 7854), the station side: a stream framer and a bounded parser of one
 * message. Route Monitoring hands its BGP UPDATE to net/bgp_msg.h's parser (4-byte ASNs unless
 * the per-peer header's A flag says 2-byte, no ADD-PATH: BMP v3 does not say whether the peer
 * negotiated it); Peer Up parses the sent and received OPENs; Peer Down the NOTIFICATION.
 * Statistics Reports and Route Mirroring are skipped (counted). Layer net, nothing allocated:
 * pointers into the message, texts copied bounded and cleaned (ofd_bgp_text_clean: UTF-8 kept,
 * controls and bidi overrides -> '?').
 */
#ifndef OFD_NET_BMP_H
#define OFD_NET_BMP_H

#include <stddef.h>
#include <stdint.h>

#include "net/bgp_msg.h"

#define OFD_BMP_HDR_LEN	     6
#define OFD_BMP_PEER_HDR_LEN 42
#define OFD_BMP_MAX_LEN	     131072 /* a Route Monitoring of a 65535-byte UPDATE fits; longer: error */
#define OFD_BMP_TEXT_MAX     255    /* Initiation/Termination texts kept (longer ones are cut) */

enum ofd_bmp_type {
	OFD_BMP_ROUTE_MONITORING = 0,
	OFD_BMP_STATS = 1,
	OFD_BMP_PEER_DOWN = 2,
	OFD_BMP_PEER_UP = 3,
	OFD_BMP_INITIATION = 4,
	OFD_BMP_TERMINATION = 5,
	OFD_BMP_ROUTE_MIRRORING = 6,
	OFD_BMP__TYPES
};

/* per-peer header flags */
enum { OFD_BMP_F_V = 0x80, OFD_BMP_F_L = 0x40, OFD_BMP_F_A = 0x20 };

struct ofd_bmp_peer {
	uint8_t type;  /* 0 global, 1 RD instance, 2 local instance */
	uint8_t flags; /* V (IPv6 address), L (post-policy), A (2-byte AS_PATH) */
	uint64_t distinguisher;
	struct ofd_ip addr; /* IPv4 v4-mapped when V is clear */
	uint32_t as;
	uint32_t bgp_id;
	uint32_t ts_sec, ts_usec;
};

struct ofd_bmp_counts {
	uint64_t msgs[OFD_BMP__TYPES]; /* messages parsed, by type */
	uint64_t stats_skipped;	       /* Statistics Reports skipped */
	uint64_t mirroring_skipped;    /* Route Mirroring messages skipped */
	uint64_t errors;	       /* messages refused (ofd_bmp_parse returned an error) */
};

struct ofd_bmp_msg {
	uint8_t version, type;
	uint32_t len;
	uint8_t has_peer;
	struct ofd_bmp_peer peer;
	const char *error; /* static reason when ofd_bmp_parse failed */

	/* Route Monitoring: the BGP UPDATE (whole message) and, when asked, its parse */
	const uint8_t *bgp;
	size_t bgp_len;

	/* Peer Up */
	struct ofd_ip local_addr;
	uint16_t local_port, remote_port;
	struct ofd_bgp_open sent_open, recv_open;

	/* Peer Down: reason 1..5; fsm_event for 2; the NOTIFICATION for 1 and 3 */
	uint8_t down_reason;
	uint16_t fsm_event;
	uint8_t has_notification;
	struct ofd_bgp_notification notification;

	/* Initiation / Termination TLVs (the first of each kind) */
	char sys_name[OFD_BMP_TEXT_MAX + 1], sys_descr[OFD_BMP_TEXT_MAX + 1], text[OFD_BMP_TEXT_MAX + 1];
	uint8_t has_term_reason;
	uint16_t term_reason; /* 0 admin close, 1 unspecified, 2 out of resources, 3 redundant, 4 permanent */
	uint16_t tlvs;	      /* information TLVs seen */

	uint32_t stats_count; /* Statistics Report: its stat count (the stats are skipped) */
};

/*
 * Split a BMP byte stream: returns 1 with a whole message at buf[0..*msg_len), 0 when more
 * bytes are needed (*msg_len: the total needed, 6 while the header is short), OFD_EVERSION for
 * a version other than 3, OFD_EFORMAT for a length under 6 or over OFD_BMP_MAX_LEN (the
 * stream cannot be resynchronised: close it).
 */
int ofd_bmp_frame(const uint8_t *buf, size_t len, size_t *msg_len);

/*
 * Parse one whole message msg[0..len). For Route Monitoring, if upd is not NULL the UPDATE is
 * parsed into it (its outcome is the caller's to act on; a session reset outcome on a BMP feed
 * means: drop this message, count it). counts (may be NULL) is updated. Returns 0, or
 * OFD_EVERSION / OFD_EFORMAT with m->error: a per-peer header, Peer Up, Peer Down or TLV
 * shorter than it claims, an unknown type, a BGP PDU of a bad type or length inside.
 */
int ofd_bmp_parse(const uint8_t *msg, size_t len, struct ofd_bmp_msg *m, struct ofd_bgp_update *upd,
		  struct ofd_bmp_counts *counts);

/* The UPDATE parse options a Route Monitoring message implies (A flag, no ADD-PATH). */
void ofd_bmp_sess(const struct ofd_bmp_peer *p, struct ofd_bgp_sess *s);

#endif
