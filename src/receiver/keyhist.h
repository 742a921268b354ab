/*
 * The key history of the receiver's store (tables keys, key_networks, key_contacts; schema in
 * store.c), counted in memory while a batch of adds is open and written at its commit: three
 * upserts per tracer cost more than the tracer's own row, while a batch usually carries a few
 * keys from a few networks. Not thread-safe (the store's single user).
 */
#ifndef OFD_RECEIVER_KEYHIST_H
#define OFD_RECEIVER_KEYHIST_H

#include <stdint.h>

#include "ofd/err.h"

struct sqlite3;
struct ofd_keyhist;

int ofd_keyhist_open(struct ofd_keyhist **out, struct sqlite3 *db) OFD_MUST_CHECK;
void ofd_keyhist_close(struct ofd_keyhist *h);

/* True when the next add might not fit: flush first (outside any savepoint). */
int ofd_keyhist_full(const struct ofd_keyhist *h);

/* Count a stored tracer (fresh = 1: its contact, may be NULL, and the sender's network, may be
   "", reached over transport, enum ofd_transport: HTTP(S) ones are counted apart too) or a
   duplicate (fresh = 0) of key at recv_ns. Needs room (ofd_keyhist_full false). */
void ofd_keyhist_add(struct ofd_keyhist *h, const char *key, const char *contact, const char *net,
		     uint64_t recv_ns, int fresh, int transport);

/* Write everything counted, inside the caller's transaction; 0 or OFD_EFORMAT. Counts are
   forgotten either way (a failed write rolls the caller's transaction back). */
int ofd_keyhist_flush(struct ofd_keyhist *h);

#endif
