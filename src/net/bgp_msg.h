/*
 * BGP-4 message codec (RFC 4271) for a collector-only speaker: framing of a byte stream, OPEN
 * (capabilities, RFC 5492), KEEPALIVE, NOTIFICATION (RFC 8203/9003 shutdown text), ROUTE-REFRESH
 * and UPDATE with RFC 7606 error handling. Layer net: no session state, no segment code.
 *
 * All bytes are hostile. Every read goes through include/ofd/rd.h and never leaves the message
 * handed in; nothing is allocated. Parsed structures point into the caller's message buffer
 * (valid while that buffer is) and keep fixed-size arrays whose caps are the OFD_BGP_*_MAX
 * constants below; what does not fit is counted, never written past an array.
 *
 * Caps (what a parse keeps; the rest is counted in the *_dropped / *_cut fields):
 *   OFD_BGP_AFS_MAX       AFI/SAFI entries per capability (MP, graceful restart, ADD-PATH, LLGR)
 *   OFD_BGP_UNKCAPS_MAX   unknown capabilities listed (code, length, data pointer)
 *   OFD_BGP_PATH_MAX      ASNs of the (merged) AS path; segments: OFD_BGP_SEGS_MAX
 *   OFD_BGP_UNKATTRS_MAX  unknown optional attributes listed (kept raw)
 * Communities, large and extended communities and NLRI are not copied: the update keeps a
 * pointer and a count (ofd_bgp_comm() etc. read entry i), so they have no cap.
 */
#ifndef OFD_NET_BGP_MSG_H
#define OFD_NET_BGP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "net/prefix.h"

#define OFD_BGP_HDR_LEN	    19	  /* marker (16) + length (2) + type (1) */
#define OFD_BGP_MAX_LEN	    4096  /* RFC 4271 */
#define OFD_BGP_EXT_MAX_LEN 65535 /* RFC 8654, once both sides announced the extended message cap */
#define OFD_BGP_AS_TRANS    23456 /* RFC 6793 */

enum ofd_bgp_type {
	OFD_BGP_OPEN = 1,
	OFD_BGP_UPDATE = 2,
	OFD_BGP_NOTIFICATION = 3,
	OFD_BGP_KEEPALIVE = 4,
	OFD_BGP_ROUTE_REFRESH = 5,
};

/* NOTIFICATION error codes (RFC 4271 4.5) and the subcodes this codec sends. */
enum {
	OFD_BGP_ERR_HEADER = 1, /* 1 connection not synchronized, 2 bad length, 3 bad type */
	OFD_BGP_ERR_OPEN = 2,	/* 1 version, 2 peer AS, 3 BGP id, 4 opt param, 6 hold time */
	OFD_BGP_ERR_UPDATE = 3, /* 1 attr list, 2 unrecognized well-known, 3 missing well-known,
				   4 attr flags, 5 attr length, 6 ORIGIN, 8 NEXT_HOP, 9 optional
				   attribute, 10 network field, 11 AS_PATH */
	OFD_BGP_ERR_HOLD = 4,
	OFD_BGP_ERR_FSM = 5,
	OFD_BGP_ERR_CEASE = 6, /* 2 administrative shutdown, 4 administrative reset (RFC 4486) */
	OFD_BGP_ERR_RR = 7,    /* ROUTE-REFRESH message error (RFC 7313) */
};

/* A NOTIFICATION to send (or received): code, subcode, data; reason is a static text for logs. */
struct ofd_bgp_err {
	uint8_t code, subcode;
	const uint8_t *data; /* into the offending message, or NULL */
	uint16_t data_len;
	const char *reason; /* static, never NULL after an error */
};

/* ------------------------------------------------------------------------------------------ */
/* Framing */

/*
 * Split a TCP byte stream into messages. buf[0..len) is what has been read so far; max_len is
 * OFD_BGP_MAX_LEN, or OFD_BGP_EXT_MAX_LEN once extended messages were negotiated (OPEN and
 * KEEPALIVE stay limited to 4096 / 19 either way).
 *   returns 1: a whole message is at buf[0..*msg_len): hand it on and drop *msg_len bytes;
 *   returns 0: more bytes are needed (*msg_len: the total needed, 19 while the header is short);
 *   returns OFD_EFORMAT: the header is bad (marker not all ones, a length out of range for the
 *     type, an unknown type); err holds the NOTIFICATION to send (1/1, 1/2 with the length as
 *     data, 1/3 with the type as data) and the session must be reset.
 * A header is judged as soon as its 19 bytes are there, before the body arrives.
 */
int ofd_bgp_frame(const uint8_t *buf, size_t len, size_t max_len, size_t *msg_len, struct ofd_bgp_err *err);

/* ------------------------------------------------------------------------------------------ */
/* OPEN */

#define OFD_BGP_AFS_MAX	    8
#define OFD_BGP_UNKCAPS_MAX 8

enum { OFD_BGP_AFI_IPV4 = 1, OFD_BGP_AFI_IPV6 = 2, OFD_BGP_SAFI_UNICAST = 1 };

/* ADD-PATH send/receive values (RFC 7911 4) */
enum { OFD_BGP_ADDPATH_RX = 1, OFD_BGP_ADDPATH_TX = 2 };

/* One AFI/SAFI of a capability. flags: ADD-PATH send/receive (1 receive, 2 send, 3 both);
 * graceful restart and LLGR: their per-AFI flags byte (0x80 forwarding state preserved).
 * time: LLGR long-lived stale time (24 bits); 0 otherwise. */
struct ofd_bgp_af {
	uint16_t afi;
	uint8_t safi;
	uint8_t flags;
	uint32_t time;
};

struct ofd_bgp_cap_unknown {
	uint8_t code;
	uint8_t len;
	const uint8_t *data;
};

struct ofd_bgp_open {
	uint8_t version;    /* 4 */
	uint16_t my_as;	    /* as sent: AS_TRANS (23456) for a 4-byte AS */
	uint16_t hold_time; /* 0 or >= 3 */
	uint32_t bgp_id;    /* host order */
	uint32_t asn;	    /* the peer's AS: the 4-octet AS capability's value, else my_as */
	uint8_t ext_params; /* the RFC 9072 extended optional parameters length was used */

	/* capabilities (RFC 5492); has_* says the capability was announced */
	uint8_t has_as4, has_route_refresh, has_enhanced_rr, has_ext_msg, has_gr, has_llgr, has_addpath;
	uint32_t as4;	  /* capability 65 */
	uint8_t gr_flags; /* capability 64: R (0x8) and N (0x4) bits of the restart flags nibble */
	uint16_t gr_time; /* restart time, seconds (12 bits) */
	uint8_t n_mp, n_gr, n_addpath, n_llgr, n_unknown;
	struct ofd_bgp_af mp[OFD_BGP_AFS_MAX];	    /* capability 1 (flags, time 0) */
	struct ofd_bgp_af gr[OFD_BGP_AFS_MAX];	    /* capability 64's AFI/SAFI entries */
	struct ofd_bgp_af addpath[OFD_BGP_AFS_MAX]; /* capability 69 */
	struct ofd_bgp_af llgr[OFD_BGP_AFS_MAX];    /* capability 71 */
	struct ofd_bgp_cap_unknown unknown[OFD_BGP_UNKCAPS_MAX];
	uint16_t n_caps;       /* capabilities seen in all */
	uint16_t caps_dropped; /* entries that did not fit an array above */
	uint16_t other_params; /* optional parameters other than capabilities (skipped) */
};

/*
 * Parse an OPEN: msg[0..len) is the whole message, header included (as ofd_bgp_frame hands it).
 * Returns 0, or OFD_EFORMAT with the NOTIFICATION in err: 1/2 bad length, 2/1 version other
 * than 4 (data: 0x0004), 2/2 peer AS 0 or a 4-octet AS capability of 0, 2/3 BGP id 0, 2/6 hold
 * time 1 or 2, 2/0 optional parameters or a known capability whose lengths do not add up.
 * Unknown capabilities are listed (up to OFD_BGP_UNKCAPS_MAX) and skipped.
 */
int ofd_bgp_open_parse(const uint8_t *msg, size_t len, struct ofd_bgp_open *o, struct ofd_bgp_err *err);

/* What we announce: a collector-only speaker. */
struct ofd_bgp_open_cfg {
	uint32_t asn;	    /* our AS; sent as AS_TRANS in My AS when > 65535 */
	uint16_t hold_time; /* 0 or >= 3 */
	uint32_t bgp_id;    /* host order, not 0 */
	uint16_t gr_time;   /* graceful restart time announced (receiver: we keep no forwarding state) */
	uint8_t ipv4, ipv6; /* MP unicast families announced (and ADD-PATH receive for each) */
};

/*
 * Build our OPEN into buf (cap bytes; 128 are always enough): capabilities MP for the families
 * asked, route refresh, 4-octet AS, ADD-PATH receive per family, extended message, graceful
 * restart with no AFI/SAFI (a receiving speaker, RFC 4724 section 3). Returns the length or
 * OFD_ELIMIT when cap is too small, OFD_EFORMAT for a hold time of 1 or 2 or a BGP id of 0.
 */
int ofd_bgp_open_build(uint8_t *buf, size_t cap, const struct ofd_bgp_open_cfg *c);

/* What two OPENs agreed on, for parsing this peer's UPDATEs. */
struct ofd_bgp_sess {
	uint8_t as4;	    /* both sides announced 4-octet AS: AS_PATH carries 4-byte ASNs */
	uint8_t ext_msg;    /* both announced extended messages: max length 65535 */
	uint8_t addpath_v4; /* IPv4 unicast NLRI carry a 4-byte path id (we receive, they send) */
	uint8_t addpath_v6; /* the same for IPv6 unicast */
	uint8_t ibgp;	    /* same AS: LOCAL_PREF is mandatory (else it is discarded, RFC 7606 7.5) */
	uint8_t monitor;    /* BMP route monitoring: LOCAL_PREF kept when present, never required */
	uint16_t hold_time; /* the smaller of both */
};

/* Fill s from our OPEN and theirs (both parsed). */
void ofd_bgp_negotiate(const struct ofd_bgp_open *ours, const struct ofd_bgp_open *theirs,
		       struct ofd_bgp_sess *s);

/* ------------------------------------------------------------------------------------------ */
/* KEEPALIVE, NOTIFICATION, ROUTE-REFRESH */

/* Build a KEEPALIVE (19 bytes). Returns 19 or OFD_ELIMIT. */
int ofd_bgp_keepalive_build(uint8_t *buf, size_t cap);

/* Build a NOTIFICATION with data[0..data_len) (cut to fit 4096). Returns the length or OFD_ELIMIT. */
int ofd_bgp_notification_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t subcode, const uint8_t *data,
			       size_t data_len);

/* Build a ROUTE-REFRESH (RFC 2918; subtype 0 normal, RFC 7313: 1 BoRR, 2 EoRR). Returns 23 or OFD_ELIMIT. */
int ofd_bgp_route_refresh_build(uint8_t *buf, size_t cap, uint16_t afi, uint8_t safi, uint8_t subtype);

#define OFD_BGP_SHUTDOWN_MAX 255 /* RFC 9003: up to 255 octets */

struct ofd_bgp_notification {
	uint8_t code, subcode;
	const uint8_t *data; /* into the message */
	uint16_t data_len;
	uint8_t has_text;		     /* Cease 2/4 with a well-formed shutdown communication */
	char text[OFD_BGP_SHUTDOWN_MAX + 1]; /* UTF-8, cleaned by ofd_bgp_text_clean */
};

/*
 * Copy the hostile text src[0..n) into dst (n + 1 bytes), NUL-terminated: valid UTF-8 is kept,
 * and each C0/C1 control, DEL, bidirectional formatting character (U+061C, U+200E/F,
 * U+202A-E, U+2066-9) or byte that starts no valid sequence becomes '?'. Returns the length.
 */
size_t ofd_bgp_text_clean(char *dst, const uint8_t *src, size_t n);

/* Parse a NOTIFICATION (whole message). Returns 0 or OFD_EFORMAT (shorter than 21 bytes). A
 * shutdown communication whose length byte overruns the data is left out (has_text 0). */
int ofd_bgp_notification_parse(const uint8_t *msg, size_t len, struct ofd_bgp_notification *n);

/* Parse a ROUTE-REFRESH (exactly 23 bytes). Returns 0 or OFD_EFORMAT (err: 7/1 bad length). */
int ofd_bgp_route_refresh_parse(const uint8_t *msg, size_t len, uint16_t *afi, uint8_t *safi,
				uint8_t *subtype, struct ofd_bgp_err *err);

/* ------------------------------------------------------------------------------------------ */
/* UPDATE */

#define OFD_BGP_PATH_MAX     128
#define OFD_BGP_SEGS_MAX     32
#define OFD_BGP_UNKATTRS_MAX 8

enum ofd_bgp_attr_type {
	OFD_BGP_ATTR_ORIGIN = 1,
	OFD_BGP_ATTR_AS_PATH = 2,
	OFD_BGP_ATTR_NEXT_HOP = 3,
	OFD_BGP_ATTR_MED = 4,
	OFD_BGP_ATTR_LOCAL_PREF = 5,
	OFD_BGP_ATTR_ATOMIC_AGGREGATE = 6,
	OFD_BGP_ATTR_AGGREGATOR = 7,
	OFD_BGP_ATTR_COMMUNITIES = 8,
	OFD_BGP_ATTR_MP_REACH = 14,
	OFD_BGP_ATTR_MP_UNREACH = 15,
	OFD_BGP_ATTR_EXT_COMMUNITIES = 16,
	OFD_BGP_ATTR_AS4_PATH = 17,
	OFD_BGP_ATTR_AS4_AGGREGATOR = 18,
	OFD_BGP_ATTR_LARGE_COMMUNITIES = 32,
};

enum ofd_bgp_seg_type {
	OFD_BGP_AS_SET = 1,
	OFD_BGP_AS_SEQUENCE = 2,
	OFD_BGP_AS_CONFED_SEQUENCE = 3,
	OFD_BGP_AS_CONFED_SET = 4
};

/* RFC 7606 outcome of one UPDATE, in rising severity. */
enum ofd_bgp_outcome {
	OFD_BGP_OK = 0,
	OFD_BGP_ATTR_DISCARD = 1,      /* some attributes were dropped (attr_discarded); routes are good */
	OFD_BGP_TREAT_AS_WITHDRAW = 2, /* every NLRI of the UPDATE (NLRI and MP_REACH) is a withdrawal */
	OFD_BGP_SESSION_RESET = 3,     /* send err as a NOTIFICATION and drop the session */
};

/* A block of NLRI (prefixes) in the message, walked with ofd_bgp_nlri_next(). */
struct ofd_bgp_nlri {
	const uint8_t *p; /* into the message; NULL when absent */
	uint16_t len;
	uint16_t afi; /* 1 or 2 */
	uint8_t safi;
	uint8_t addpath; /* each prefix starts with a 4-byte path id */
	uint32_t count;	 /* prefixes in it (the parse walked them all) */
};

struct ofd_bgp_nlri_it {
	struct ofd_bgp_nlri b;
	size_t off;
};

struct ofd_bgp_seg {
	uint8_t type;	/* enum ofd_bgp_seg_type */
	uint8_t n;	/* ASNs (1-255) */
	uint16_t first; /* index of its first ASN in asn[] */
};

/* An AS path: segments over a flat list of ASNs (AS4_PATH already merged in when it applied). */
struct ofd_bgp_aspath {
	uint16_t n_asn, n_seg;
	uint8_t cut; /* longer than OFD_BGP_PATH_MAX ASNs or OFD_BGP_SEGS_MAX segments: the rest left out */
	uint8_t origin_ok; /* origin_as is defined (see ofd_bgp_origin_as), even for a cut path */
	uint32_t origin_as;
	uint32_t asn[OFD_BGP_PATH_MAX];
	struct ofd_bgp_seg seg[OFD_BGP_SEGS_MAX];
};

struct ofd_bgp_attr_raw {
	uint8_t flags, type;
	uint16_t len;
	const uint8_t *data;
};

/* has_* bits (1 << attribute type) in ofd_bgp_update.attrs for attributes present and valid. */
#define OFD_BGP_HAS(u, type) (((u)->attrs >> (type)) & 1)

struct ofd_bgp_update {
	enum ofd_bgp_outcome outcome;
	struct ofd_bgp_err err;	 /* why, for any outcome but OK (reason set; code/subcode/data: the
				    NOTIFICATION for a reset, the RFC 4271 code for the log otherwise) */
	uint64_t attrs;		 /* bit t: attribute t (< 64) present and kept */
	uint32_t attr_discarded; /* attributes dropped (duplicates, malformed discardable ones) */

	/* End-of-RIB (RFC 4724 2): an empty UPDATE (IPv4) or one holding only an empty MP_UNREACH */
	uint8_t eor;
	uint16_t eor_afi;
	uint8_t eor_safi;

	struct ofd_bgp_nlri withdrawn; /* IPv4 unicast withdrawn routes */
	struct ofd_bgp_nlri nlri;      /* IPv4 unicast NLRI */
	struct ofd_bgp_nlri mp_reach;  /* MP_REACH_NLRI's prefixes (afi 1/2, safi 1) */
	struct ofd_bgp_nlri mp_unreach;
	uint8_t mp_other; /* MP_(UN)REACH for an AFI/SAFI not parsed (skipped) */

	uint8_t origin; /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	struct ofd_bgp_aspath path;
	uint8_t as4_merged;  /* a 2-byte AS_PATH had AS4_PATH merged in (RFC 6793 4.2.3) */
	uint8_t as4_ignored; /* an AS4_PATH/AS4_AGGREGATOR was present but not used */
	uint32_t next_hop;   /* NEXT_HOP, host order */
	uint32_t med, local_pref;
	uint32_t aggr_as, aggr_id; /* AGGREGATOR (AS4_AGGREGATOR merged in), id host order */

	struct ofd_ip mp_nh;	/* MP_REACH next hop: IPv4 v4-mapped or IPv6 global */
	struct ofd_ip mp_nh_ll; /* IPv6 link-local next hop (32-byte form), else family 0 */

	const uint8_t *comms; /* COMMUNITIES: n_comms entries of 4 bytes */
	uint16_t n_comms;
	const uint8_t *lcomms; /* LARGE_COMMUNITIES: n_lcomms entries of 12 bytes */
	uint16_t n_lcomms;
	const uint8_t *ecomms; /* EXTENDED_COMMUNITIES raw: n_ecomms entries of 8 bytes */
	uint16_t n_ecomms;

	uint8_t n_unknown;
	uint16_t unknown_dropped; /* unknown optional attributes not listed */
	struct ofd_bgp_attr_raw unknown[OFD_BGP_UNKATTRS_MAX];
};

/*
 * Parse an UPDATE (msg[0..len): the whole message, header included) for a session with the
 * options s. Fills u and returns its outcome (u->outcome). Nothing is allocated; u points into
 * msg. RFC 7606 decisions: bgp_update.c's head comment lists which defect gets which outcome.
 */
enum ofd_bgp_outcome ofd_bgp_update_parse(const uint8_t *msg, size_t len, const struct ofd_bgp_sess *s,
					  struct ofd_bgp_update *u);

/* Walk a block: returns 1 and fills p (IPv4 v4-mapped, family set; bits after the length
 * cleared) and path_id (may be NULL; 0 without ADD-PATH), 0 at its end, -1 on a defect (a
 * prefix length over 32/128 or past the block: never for a block the parse accepted). */
static inline void ofd_bgp_nlri_begin(struct ofd_bgp_nlri_it *it, const struct ofd_bgp_nlri *b)
{
	it->b = *b;
	it->off = 0;
}
int ofd_bgp_nlri_next(struct ofd_bgp_nlri_it *it, struct ofd_prefix *p, uint32_t *path_id);

/* Community i: ASN << 16 | value. Large community i. Extended community i (raw 8 bytes). */
static inline uint32_t ofd_bgp_comm(const struct ofd_bgp_update *u, unsigned i)
{
	const uint8_t *p = u->comms + 4 * i;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
void ofd_bgp_lcomm(const struct ofd_bgp_update *u, unsigned i, uint32_t *global, uint32_t *l1, uint32_t *l2);
static inline const uint8_t *ofd_bgp_ecomm(const struct ofd_bgp_update *u, unsigned i)
{
	return u->ecomms + 8 * i;
}

/* The origin AS: the last ASN when the whole path ends in an AS_SEQUENCE (or an AS_SET of one).
 * Returns 1 and sets *asn, or 0 (empty path, a larger AS_SET, a confederation segment). */
static inline int ofd_bgp_origin_as(const struct ofd_bgp_aspath *p, uint32_t *asn)
{
	if (p->origin_ok)
		*asn = p->origin_as;
	return p->origin_ok;
}

const char *ofd_bgp_outcome_name(enum ofd_bgp_outcome o);

#endif
