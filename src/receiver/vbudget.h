/*
 * The verification budget of the receiver's UDP path. A UDP source address costs nothing to
 * forge, so the per-address limiter cannot stop a flood of tracers with corrupted signatures
 * from random sources, and each one would cost a full Ed25519 verification. The budget decides,
 * in the reading thread and before any verification, which datagrams are verified:
 *
 *   1. a cheap scan (ofd_vbudget_scan) reads the envelope without parsing it: the signer's key
 *      (64 hex digits) next to a signature string of a possible length (at least 88 base64
 *      characters, a multiple of 4), or the sealed form. What it finds is a hint, never a
 *      verdict: verification reads the tracer again;
 *   2. repeats: a datagram with the very bytes of one admitted recently (a table of keyed
 *      hashes, `repeats` entries) is dropped unverified: its first copy was verified;
 *   3. the priority lane: a hinted key that signed a tracer verified in this process (a
 *      bounded table of good keys, `keys` entries; ofd_vbudget_trust adds one, or counts one
 *      more tracer of a key already there) is verified always, unless penalized: every failed
 *      tracer naming a good key adds 1 to a penalty, which decays by `penalty_decay` per
 *      second; at `penalty_max` the tracers it applies to lose priority (counted as demoted)
 *      until it decays. A key keeps one penalty for each of the NETS source networks (IPv4
 *      /24, IPv6 /48) its valid tracers came from most, and one for every other network: junk
 *      naming the key from random forged sources takes the priority away from the key's
 *      tracers from elsewhere, not from its usual networks (only junk forged from those
 *      does). The tracers a penalty applies to that are in flight count as failures already
 *      (a quarter each while it is 0), so a burst cannot overtake its own verdicts. A failure
 *      in the priority lane is also
 *      debited from the budget below, so junk naming good keys makes room for less junk
 *      elsewhere;
 *   4. the budget lane, everything else: verified while a token bucket (`rate` per second,
 *      `burst` held) has a token, else dropped (reason "budget").
 *
 * The verified junk is thus bounded: the budget lane admits at most rate*t + burst datagrams
 * in t seconds, and each penalty of a good key (NETS + 1 a key) lets at most
 * 4 * penalty_max + penalty_decay*t failures into the priority lane (those are charged to the
 * same bucket, down to -burst).
 *
 * Threads: admit, unadmit and the scan run in the one reading thread; result, trust and
 * counters in any thread (a mutex guards the key table and the bucket).
 */
#ifndef OFD_RECEIVER_VBUDGET_H
#define OFD_RECEIVER_VBUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_prom;

enum ofd_vb_lane { OFD_VB_PRIORITY, OFD_VB_BUDGET, OFD_VB__LANES };

enum ofd_vb_drop {
	OFD_VB_DROP_BUDGET, /* budget lane, no token left */
	OFD_VB_DROP_REPEAT, /* the bytes of a datagram admitted recently */
	OFD_VB_DROP_QUEUE,  /* admitted, but the verification queue of its lane was full */
	OFD_VB_DROP__COUNT
};

/* What the scan found: a hint for choosing the lane, not a verdict. */
struct ofd_vb_hint {
	uint8_t key[32];
	uint32_t net;	 /* keyed hash of the source network (set by ofd_vbudget_admit) */
	uint8_t has_key; /* a well-formed key next to a signature string of a possible length */
	uint8_t sealed;	 /* the sealed form ("sealed" and "to" members) */
	uint8_t lane;	 /* enum ofd_vb_lane, set by ofd_vbudget_admit */
};

struct ofd_vbudget_cfg {
	double rate;	      /* budget-lane verifications per second (> 0) */
	double burst;	      /* tokens held at most; 0: rate / 10, at least 16 */
	unsigned keys;	      /* good-key table entries (rounded up to a power of 2); 0: 4096 */
	unsigned repeats;     /* repeat table entries (rounded up to a power of 2); 0: 65536 */
	double penalty_max;   /* failures that take a key's priority away; 0: 8 */
	double penalty_decay; /* penalty forgotten per second; 0: 0.1 */
};

struct ofd_vbudget_counters {
	uint64_t admitted[OFD_VB__LANES]; /* handed to verification, by lane */
	uint64_t failed[OFD_VB__LANES];	  /* of those, not valid */
	uint64_t dropped[OFD_VB_DROP__COUNT];
	uint64_t demoted;   /* tracers of a good but penalized key, sent to the budget lane */
	uint64_t kernel;    /* datagrams the kernel dropped, the socket buffer full (set by the
			       listener; exposed as overflowd_udp_dropped_total{reason="kernel"}) */
	uint64_t good_keys; /* keys in the good-key table now */
	double rate;	    /* the budget (verifications per second) */
};

struct ofd_vbudget;

int ofd_vbudget_new(struct ofd_vbudget **out, const struct ofd_vbudget_cfg *cfg) OFD_MUST_CHECK;
void ofd_vbudget_free(struct ofd_vbudget *b);

/* The hint of a datagram (see above). Any thread. */
void ofd_vbudget_scan(const uint8_t *data, size_t len, struct ofd_vb_hint *h);

/*
 * Reading thread: scan data (from src) and decide. room: whether the budget lane's queue can
 * take one more (when it cannot, a budget-lane datagram is dropped as queue_full, its token
 * kept). Returns the lane (also in h->lane) when the datagram is to be verified, or minus
 * (1 + enum ofd_vb_drop) when it is dropped (counted here).
 */
int ofd_vbudget_admit(struct ofd_vbudget *b, const uint8_t *data, size_t len, const struct ofd_ip *src,
		      int room, struct ofd_vb_hint *h, uint64_t now_ns);

/* Reading thread: an admitted datagram could not be queued after all: counted as dropped
   (queue), its token given back, its bytes forgotten (a copy sent again is not a repeat). */
void ofd_vbudget_unadmit(struct ofd_vbudget *b, const uint8_t *data, size_t len, const struct ofd_vb_hint *h);

/* The verdict of an admitted datagram (ok: valid): an invalid one penalizes its hinted key
   when good, and one from the priority lane takes a token (down to -burst). A valid one changes
   nothing here: the caller trusts the key that verification read (ofd_vbudget_trust), which
   is the signer's even when a decoy misled the scan. Any thread. */
void ofd_vbudget_result(struct ofd_vbudget *b, const struct ofd_vb_hint *h, int ok, uint64_t now_ns);

/* Count a valid tracer of key, from src (NULL: unknown, e.g. the store's history): the key is
   good from now on, and src's network one of its usual ones. Any thread. */
void ofd_vbudget_trust(struct ofd_vbudget *b, const uint8_t key[32], const struct ofd_ip *src,
		       uint64_t now_ns);

void ofd_vbudget_counters(struct ofd_vbudget *b, struct ofd_vbudget_counters *c);

/* The counters in the Prometheus text format (overflowd_udp_verify_*), into w. */
void ofd_vbudget_metrics(const struct ofd_vbudget_counters *c, struct ofd_prom *w);

/* Ed25519 verifications per second of one core: the best of five runs of about 1 ms (a run the
   scheduler interrupted counts less). */
double ofd_vbudget_calibrate(void);

#endif
