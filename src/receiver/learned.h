/*
 * Sealing keys learned from tracers we received: a key that signed tracers sent over HTTP(S)
 * from one network (/24 or /48), consistently over time, and no other key over HTTP(S) from
 * there, is taken to be that network's own overflowd key, and tracers we send to addresses in
 * that network are sealed to it. Tracers that came over UDP never count: their source address
 * can be forged, and twelve forged datagrams would otherwise make us seal a victim network's
 * tracers to an attacker. HTTP(S) needs a TCP handshake from the address. The receiver's key
 * history (receiver/store.h, table key_networks, its tcp_* columns) is the source; this lives
 * with the receiver because it reads the receiver's tables (tracer/ includes nothing from
 * receiver/; the tracer segment and the CLI call it).
 */
#ifndef OFD_RECEIVER_LEARNED_H
#define OFD_RECEIVER_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"
#include "tracer/send.h"

struct ofd_store;

#define OFD_LEARNED_MAX 4096 /* learned recipients at most (the busiest networks first) */

/* When a network's key is learned. */
struct ofd_learned_rule {
	uint64_t min_count;  /* tracers over HTTP(S) from the network signed by the key, at least */
	uint64_t min_span_s; /* between its first and its last such tracer, at least (0: any) */
	uint64_t window_s;   /* the last one at most this old, and no other key over HTTP(S) from
				the network whose last tracer is this recent (0: no limit) */
	uint64_t now_s;	     /* 0: the clock */
};

#define OFD_LEARNED_SPAN_S   (24 * 3600)      /* the default min_span_s: a day */
#define OFD_LEARNED_WINDOW_S (30 * 24 * 3600) /* the default window: the default retention */

/*
 * The configured recipients conf[0..nconf) followed by the learned ones from the receiver
 * database db by rule. *out is malloc'd (free() it; NULL when there are none), *n its length.
 * Returns the number learned, or a negative error with the reason in err (the database cannot
 * be opened or read).
 */
int ofd_learned_recipients_rule(const char *db, const struct ofd_learned_rule *rule,
				const struct ofd_sender_recipient *conf, size_t nconf,
				struct ofd_sender_recipient **out, size_t *n, char *err, size_t errlen);

/* ofd_learned_recipients_rule with min_count and the default span and window. */
int ofd_learned_recipients(const char *db, uint64_t min_count, const struct ofd_sender_recipient *conf,
			   size_t nconf, struct ofd_sender_recipient **out, size_t *n, char *err,
			   size_t errlen);

/* A key with a good history in the receiver's store: count tracers of it came over HTTP(S),
   most of them from net (its network's address, a.b.c.0 for a.b.c.0/24; family 0: unknown). */
struct ofd_learned_good {
	uint8_t key[32];
	struct ofd_ip net;
	uint64_t count;
};

/*
 * The keys of the open store s with at least min_count (0: 1) tracers over HTTP(S) in the key
 * history (key_networks.tcp_count, summed over the key's networks), the most such first, at
 * most max of them, into out[0..max). Tracers that came over UDP never count (their source can
 * be forged). Returns how many, or OFD_EFORMAT (SQLite errors). The store's single user only.
 */
int ofd_learned_good_keys(struct ofd_store *s, uint64_t min_count, struct ofd_learned_good *out, size_t max);

#endif
