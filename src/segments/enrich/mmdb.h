/*
 * libmaxminddb for the enrich segments (geolocation, aslookup `type: db`): open a database with
 * the reason a refusal has, and look up an address of a flow record without allocating.
 */
#ifndef OFD_SEG_MMDB_H
#define OFD_SEG_MMDB_H

#include <maxminddb.h>
#include <stddef.h>

#include "ofd/flow.h"

/*
 * Open path (memory-mapped) into a new MMDB_s. 0, or OFD_ECONFIG with the reason in err
 * ("FILE: cannot open: ...", "FILE: not a MaxMind DB: ...", "FILE: empty search tree").
 */
int seg_mmdb_open(const char *path, MMDB_s **out, char *err, size_t errlen);
void seg_mmdb_close(MMDB_s *db);

/*
 * Look a up (IPv4 v4-mapped as an IPv4 address, so IPv4-only databases answer too). Returns 1
 * found (res filled), 0 not found (an IPv6 address in an IPv4-only database too), -1 an error
 * (a corrupt tree: libmaxminddb's code in *mmdb_err).
 */
int seg_mmdb_lookup(const MMDB_s *db, const struct ofd_ip *a, MMDB_lookup_result_s *res, int *mmdb_err);

#endif
