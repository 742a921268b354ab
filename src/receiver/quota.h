/*
 * Hourly quotas for the receiver's store: how many tracers one key, or one sender network, may
 * have stored in the current hour. Counted in a count-min sketch (two rows of QUOTA_COLS
 * counters indexed by a keyed SipHash of the name, the key chosen at random per process): memory
 * is fixed (256 KiB) whatever the number of keys or networks, a name is never under-counted,
 * and a collision over-counts only with the other names that share both its counters, which an
 * outsider cannot choose without the hash key. The counts start again at each hour of the
 * caller's clock. Not thread-safe (the store's single user).
 */
#ifndef OFD_RECEIVER_QUOTA_H
#define OFD_RECEIVER_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"

struct ofd_quota;

int ofd_quota_new(struct ofd_quota **out) OFD_MUST_CHECK;
void ofd_quota_free(struct ofd_quota *q);

/* The count of name[0..n) in hour `hour` (an upper bound: see above). */
uint32_t ofd_quota_count(struct ofd_quota *q, const void *name, size_t n, uint64_t hour);

/* Count one more for name in hour `hour`. */
void ofd_quota_charge(struct ofd_quota *q, const void *name, size_t n, uint64_t hour);

#endif
