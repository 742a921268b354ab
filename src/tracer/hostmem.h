/*
 * Hosts that do not answer: the sender's memory of (address, port) pairs whose last HTTP(S)
 * attempt failed without an answer (connection refused, reset, connect timeout, no answer before
 * the deadline), so that attempts to them are skipped for a while instead of holding a transfer
 * slot each time.
 *
 * A failure makes the pair skipped for base_s seconds; a failure after that time has passed (the
 * next attempt, a probe) doubles it, up to max_s. A pair that answers (any HTTP status) is
 * forgotten. A pair whose skip ended more than max_s ago starts again from base_s.
 *
 * Fixed table: 8-way sets chosen by keyed SipHash of the pair (random key: nobody can aim
 * addresses at one set). A new pair takes an empty way, else the way whose skip ends first
 * (an expired one before any other). Memory never grows; under a flood of distinct failing
 * hosts the ones about to be retried anyway are forgotten first. An address is its 16 bytes
 * (IPv4 as v4-mapped), whatever its family field says. Not thread-safe (the sender thread owns
 * it). Time is whatever clock the caller passes (ns), monotonic in practice.
 */
#ifndef OFD_TRACER_HOSTMEM_H
#define OFD_TRACER_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_hostmem;

/* entries: up to 1 << 24 (rounded up to a power of two, at least 8); base_s <= max_s, both > 0.
   OFD_ELIMIT / OFD_ECONFIG when out of range, -ENOMEM, -EIO when libsodium cannot start. */
int ofd_hostmem_new(struct ofd_hostmem **out, size_t entries, uint32_t base_s, uint32_t max_s) OFD_MUST_CHECK;

/* 1 if attempts to (a, port) are to be skipped at now_ns (a failure less than its backoff ago). */
int ofd_hostmem_skip(const struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port, uint64_t now_ns);

/* (a, port) failed without an answer at now_ns: remember it, or double its backoff. Returns the
   seconds it is now skipped for. */
uint32_t ofd_hostmem_failed(struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port, uint64_t now_ns);

/* (a, port) answered: forget it. */
void ofd_hostmem_answered(struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port);

size_t ofd_hostmem_used(const struct ofd_hostmem *m); /* pairs remembered */
size_t ofd_hostmem_capacity(const struct ofd_hostmem *m);
void ofd_hostmem_free(struct ofd_hostmem *m); /* NULL: nothing */

#endif
