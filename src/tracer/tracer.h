/*
 * Overflowd tracers: the odds of reporting a flow, the signed message, keys, verification and
 * sealing. Delivery is in send.h. Wire format v1 (compatible with the 2016 prototype):
 *
 *   {"flowdata": {"sourcetype": {"type": "Netflow", "version": 5},
 *                 "data": {"saddr": ..., "daddr": ..., "sport": ..., "dport": ..., "protocol": ...,
 *                          "pcount": ..., "bcount": ..., "stime": ..., "etime": ..., "flags": ...,
 *                          "tos": ..., ...}},
 *    "metadata": {"info": "FLOWSEEN", "class": "INFORMATIONAL", "time": 1477778027.138109,
 *                 "contact": {...}},
 *    "signature": {"key": "<hex Ed25519 public key>",
 *                  "signature": "<base64 of the 64-byte signature || the signed bytes>"}}
 *
 * The signed bytes are the exact JSON text of {"flowdata": ..., "metadata": ...}; a verifier
 * checks them and reads the message from them, never from a re-encoding.
 */
#ifndef OFD_TRACER_H
#define OFD_TRACER_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

/* ---- odds (odds.c) ---- */

/*
 * Selection randomness: xoshiro256** from a seed (tests, --seed) or a CSPRNG: ChaCha20 with
 * fast key erasure (the key in s, replaced from each block's output), keyed from libsodium's
 * randombytes_buf and rekeyed from it every 4096 refills. See odds.c.
 */
struct ofd_odds {
	int seeded;
	uint64_t s[4];	   /* xoshiro state, or the ChaCha20 key */
	uint64_t pool[64]; /* CSPRNG output, refilled in bulk */
	unsigned pool_left;
	unsigned refills; /* CSPRNG refills since init */
};

void ofd_odds_init(struct ofd_odds *o, int seeded, uint64_t seed);
/* The next 64 random bits. */
uint64_t ofd_odds_u64(struct ofd_odds *o);
/* A uniform double in [0, 1). */
double ofd_odds_uniform(struct ofd_odds *o);
/* min(1, rate * packets) */
double ofd_odds_p(double rate, uint64_t packets);
/* 1 with probability p. */
int ofd_odds_pick(struct ofd_odds *o, double p);

/* ---- keys (keystore.c) ---- */

struct ofd_key; /* the secret key lives in sodium_malloc'd, locked memory */

#define OFD_KEY_PUB_LEN 32
#define OFD_SIG_LEN	64

/*
 * Load a key file: the 32-byte Ed25519 seed as 64 hex digits on one line ('#' comment lines
 * allowed). Refused, with the reason in err: a file readable or writable by group or others,
 * not a regular file, malformed content.
 */
int ofd_key_load(struct ofd_key **out, const char *path, char *err, size_t errlen) OFD_MUST_CHECK;
/* Create a new key file (mode 0600, O_EXCL: never overwrites) and return the key. */
int ofd_key_create(struct ofd_key **out, const char *path, char *err, size_t errlen) OFD_MUST_CHECK;
/* A key from its 32-byte Ed25519 seed (tests, fuzzing); 0, -ENOMEM or OFD_EFORMAT. */
int ofd_key_from_seed(struct ofd_key **out, const uint8_t seed[32]) OFD_MUST_CHECK;
const uint8_t *ofd_key_public(const struct ofd_key *k);
/* Lower-case hex of the public key into hex[65]. */
void ofd_key_public_hex(const struct ofd_key *k, char hex[2 * OFD_KEY_PUB_LEN + 1]);
void ofd_key_sign(const struct ofd_key *k, const uint8_t *m, size_t n, uint8_t sig[OFD_SIG_LEN]);
/* Open a sealed box addressed to this key's X25519 form into m (clen - 48 bytes); 0 or OFD_EFORMAT. */
int ofd_key_unseal(const struct ofd_key *k, const uint8_t *c, size_t clen, uint8_t *m, size_t *mlen);
void ofd_key_free(struct ofd_key *k);

/* ---- messages (wire.c) ---- */

enum ofd_tracer_class {
	OFD_TC_INFORMATIONAL,
	OFD_TC_MACHINE_SUSPECTED,
	OFD_TC_HUMAN_SUSPECTED,
	OFD_TC_HUMAN_CONFIRMED,
};

/* "INFORMATIONAL", ...; "UNKNOWN" for a value outside the enum. */
const char *ofd_tracer_class_name(enum ofd_tracer_class c);
/* The class of a name (case-insensitive), or -1. */
int ofd_tracer_class_parse(const char *name);

struct ofd_tracer_meta {
	enum ofd_tracer_class cls;
	const char *contact; /* abuse contact, free text (e-mail, RDAP handle, ...); may be NULL */
	double time;	     /* epoch seconds with microseconds: when the tracer was made */
};

#define OFD_TRACER_UDP_MAX  1200 /* a tracer sent over UDP stays below this (no fragmentation) */
#define OFD_TRACER_HTTP_MAX 4096 /* a tracer the sender makes for HTTP(S) or print stays below this */
#define OFD_TRACER_MAX	    8192 /* any tracer line */

/*
 * The signed part, {"flowdata": ..., "metadata": ...}, for flow f into buf. Optional data fields
 * (exporter, sampling rate, AS numbers, interfaces) are left out when the whole tracer would not
 * stay below max_tracer bytes: the signed line is always strictly shorter than max_tracer (0, or
 * anything above OFD_TRACER_MAX, means OFD_TRACER_MAX). They are dropped from the last one
 * (out_if) backwards until it fits, and metadata then ends with "truncated": ["data"] (which
 * ones are missing shows; a field left out because it is not known or redacted is not marked).
 * buf is NUL-terminated.
 * Returns the length, OFD_ELIMIT if even the required fields (with the whole contact) do not fit
 * (or cap is too small), OFD_EFORMAT for a class outside the enum.
 *
 * Compatibility: verifiers (ours, the 2016 prototype's) read only the members they know; a
 * reader that wants to know whether a tracer is complete tests "truncated" for presence (an
 * earlier version wrote "truncated": true).
 */
int ofd_tracer_body(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		    size_t max_tracer);

/*
 * As ofd_tracer_body, for a transport with little room (one UDP datagram): when the required
 * fields with the whole contact do not fit either, the contact is cut, at a UTF-8 character
 * boundary, to the longest prefix with which the tracer fits (or left out when not even one
 * character does), and "contact" ends the "truncated" list (["contact"] or ["data", "contact"]).
 * OFD_ELIMIT only when the required fields alone do not fit.
 */
int ofd_tracer_body_cut(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
			size_t max_tracer);

/*
 * The whole tracer line (no newline): the body's members, then "signature" with the key and
 * base64(signature || body). body must be a JSON object with members ("{...}", else
 * OFD_EFORMAT). out is NUL-terminated, so cap must exceed the length. Returns the length, or
 * OFD_ELIMIT when cap is too small or the line would exceed OFD_TRACER_MAX.
 */
int ofd_tracer_sign(char *out, size_t cap, const char *body, size_t blen, const struct ofd_key *k);
/* The length of the line ofd_tracer_sign() makes from a body of blen bytes. */
size_t ofd_tracer_signed_len(size_t blen);

/* ---- verification (verify.c) ---- */

enum ofd_tv_error {
	OFD_TV_OK,
	OFD_TV_TOO_LARGE,     /* over OFD_TRACER_MAX */
	OFD_TV_NOT_JSON,      /* the line is not a JSON object */
	OFD_TV_NO_SIGNATURE,  /* no signature.key / signature.signature strings */
	OFD_TV_BAD_KEY,	      /* key is not 64 hex digits */
	OFD_TV_BAD_BASE64,    /* signature is not base64, or shorter than 64 bytes */
	OFD_TV_BAD_SIGNATURE, /* Ed25519 verification failed */
	OFD_TV_BODY_NOT_JSON, /* the signed bytes are not a JSON object */
	OFD_TV_BAD_BODY,      /* no flowdata / metadata objects in the signed bytes */
	OFD_TV_SEALED,	      /* a sealed tracer that could not be opened (not for us) */
	OFD_TV_BAD_VALUE,     /* a member of the signed bytes out of its bounds (ofd_tracer_check_values) */
	OFD_TV_STALE,	      /* its time is outside the freshness window (ofd_tracer_verify_at) */
	OFD_TV__COUNT
};

const char *ofd_tv_error_name(enum ofd_tv_error e);
/* A stable snake_case label for metrics: "bad_signature", "sealed_not_for_us", ... */
const char *ofd_tv_error_slug(enum ofd_tv_error e);

struct ofd_tracer_msg {
	uint8_t key[OFD_KEY_PUB_LEN];
	uint8_t sig[OFD_SIG_LEN]; /* the signature over body, set with it */
	const char *body;	  /* the signed bytes, inside the caller's scratch buffer */
	size_t body_len;
	int sealed;	   /* it came sealed and was opened with our key */
	double time;	   /* metadata.time (epoch seconds) once the values were checked, else 0 */
	uint8_t transport; /* enum ofd_transport: how it reached us; set by the receiver, not here */
	/* the signed bytes parsed (a jansson json_t object), set only by ofd_tracer_verify_doc on
	   OFD_TV_OK and released by its caller with ofd_tracer_msg_release: the receiver reads the
	   class and the flow from it instead of parsing the signed bytes again */
	void *doc;
};

/*
 * Verify one tracer line (plain, or {"sealed": B64, "to": HEX} opened with `ours`, which may be
 * NULL). Cheap checks first (size, JSON shape, base64, key form), the signature last, then the
 * signed bytes must parse as a JSON object with flowdata and metadata. scratch must hold
 * OFD_TRACER_MAX bytes. Returns OFD_TV_OK or the reason. out->body is set only on OFD_TV_OK;
 * out->key is the signer's key once it was read (also when the signature then fails); both are
 * zero/NULL for a sealed tracer that was not opened. out->sealed is 1 when a sealed tracer was
 * opened with `ours`, whatever the inner verdict.
 */
enum ofd_tv_error ofd_tracer_verify(const char *line, size_t len, const struct ofd_key *ours,
				    uint8_t *scratch, struct ofd_tracer_msg *out);
/* As ofd_tracer_verify, and on OFD_TV_OK out->doc holds the parsed signed bytes. */
enum ofd_tv_error ofd_tracer_verify_doc(const char *line, size_t len, const struct ofd_key *ours,
					uint8_t *scratch, struct ofd_tracer_msg *out);
/* Release out->doc (no-op when there is none). */
void ofd_tracer_msg_release(struct ofd_tracer_msg *m);

/*
 * Bounds of the signed bytes' values, checked by every verification (a tracer outside them is
 * OFD_TV_BAD_VALUE): data.sport/dport 0-65535, protocol and tos 0-255, flags 0-65535,
 * pcount/bcount 0-OFD_TRACER_COUNT_MAX (2^53: exact in a double and in any JSON reader; sums
 * of them are taken as reals), stime/etime and metadata.time 0-OFD_TRACER_TIME_MAX
 * seconds, sampling_rate, src_as, dst_as, in_if, out_if 0-2^32-1, sourcetype.version 0-65535,
 * saddr/daddr/exporter IP address strings; counters, ports and AS numbers are integers. A member
 * left out is not checked (stored as unknown); one of the wrong type is out of bounds.
 */
#define OFD_TRACER_COUNT_MAX (UINT64_C(1) << 53)
#define OFD_TRACER_TIME_MAX  UINT64_C(8589934592) /* 2^33 s: the year 2242 */

/* OFD_TV_OK or OFD_TV_BAD_VALUE for the parsed signed bytes doc; *time gets metadata.time (0
   when it has none). */
enum ofd_tv_error ofd_tracer_check_values(const void *doc, double *time);

/* How a tracer reached a receiver: UDP sources can be forged, HTTP(S) ones made a handshake. */
enum ofd_transport { OFD_TRANSPORT_UNKNOWN, OFD_TRANSPORT_UDP, OFD_TRANSPORT_HTTP, OFD_TRANSPORT_HTTPS };

/* "udp", "http", "https"; NULL for OFD_TRANSPORT_UNKNOWN or anything else. */
const char *ofd_transport_name(int t);

/* A receiver's limits on what it verifies. */
struct ofd_tv_limits {
	size_t max_len;	   /* a plain tracer's bytes at most (0: OFD_TRACER_MAX); a sealed line may be
			      ofd_tracer_sealed_len(max_len), its content max_len. A line longer than
			      that is refused unparsed, a plain one over max_len before its signature */
	uint32_t past_s;   /* metadata.time at most this long before now (0: no limit) */
	uint32_t future_s; /* ... and at most this long after now (0: no limit) */
};

/*
 * ofd_tracer_verify_doc within lim (NULL: none) at now_ns (epoch ns): over the size cap it is
 * OFD_TV_TOO_LARGE before anything is parsed, outside the window OFD_TV_STALE (a tracer without
 * a time is stale when a window is set): a captured tracer cannot be replayed for ever.
 */
enum ofd_tv_error ofd_tracer_verify_at(const char *line, size_t len, const struct ofd_key *ours,
				       const struct ofd_tv_limits *lim, uint64_t now_ns, uint8_t *scratch,
				       struct ofd_tracer_msg *out);

/*
 * Seal a tracer to a recipient's Ed25519 public key: {"sealed": B64, "to": HEX}, NUL-terminated.
 * Length, OFD_EFORMAT for a key that does not convert to X25519 (small order, not on the
 * curve), OFD_ELIMIT when cap is too small or the sealed line would exceed OFD_TRACER_MAX.
 * Note: sealing makes a line about 4/3 longer plus 152 bytes, so a sealed tracer does not fit
 * below OFD_TRACER_UDP_MAX: even a minimal IPv4 tracer (about 960 bytes signed) is about 1440
 * sealed.
 */
int ofd_tracer_seal(char *out, size_t cap, const char *tracer, size_t len,
		    const uint8_t pub[OFD_KEY_PUB_LEN]);
/* The length of the sealed form of a tracer of len bytes. */
size_t ofd_tracer_sealed_len(size_t len);

#endif
