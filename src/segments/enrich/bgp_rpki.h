/*
 * The bgp segment's RPKI origin validation: VRPs from a file (`rpkifile`: Routinator's or
 * rpki-client's JSON, rpki-client's CSV; reloaded on SIGHUP, a failed reload keeps the set in
 * force) and/or an RTR cache (`rtr`: host:port, RFC 8210/6810). The newest set from either
 * source is the one in force. Sets are built on background threads and handed over through an
 * atomic pointer; the flow path takes a new one between batches (bgp_rpki_take) and then
 * validates without locks (bgp_rpki_batch). Before any set arrives, and after the RTR cache's
 * expire interval passed without a refresh, flows get `unknown`.
 */
#ifndef OFD_SEG_BGP_RPKI_H
#define OFD_SEG_BGP_RPKI_H

#include <stdatomic.h>
#include <stdint.h>

#include "net/rtr_conn.h"
#include "net/vrp.h"
#include "ofd/flow.h"
#include "ofd/metrics.h"

struct ofd_segment;

struct bgp_rpki {
	/* config (the segment's keys) */
	char *file, *rtr;
	/* run */
	struct ofd_segment *seg;
	_Atomic(struct ofd_vrpset *) pending; /* a new set, not taken yet */
	struct ofd_vrpset *cur;		      /* the set in force (flow path only) */
	atomic_int expired;		      /* the RTR set outlived its expire interval */
	struct ofd_rtr_conn *conn;
	uint64_t reload_gen;
	_Atomic uint64_t loads, load_failures, rtr_sets, expirations;
	_Atomic uint64_t vrps; /* VRPs in the newest set */
};

/* 1 when a source is configured. */
static inline int bgp_rpki_on(const struct bgp_rpki *k)
{
	return (k->file && *k->file) || (k->rtr && *k->rtr);
}

/* Config checks that open nothing (the rtr address form). 0 or OFD_ECONFIG with err. */
int bgp_rpki_check(const struct bgp_rpki *k, char *err, size_t errlen);

/* Load the file (refusing the start on an error, with its line) and start the threads. */
int bgp_rpki_init(struct bgp_rpki *k, struct ofd_segment *seg);

/* Between batches, on the flow path: take a new set if one came. */
void bgp_rpki_take(struct bgp_rpki *k);

/* The states of routes[0..n) from origins[0..n) into out (ofd_vrpset_validate_batch: their
   memory misses overlap), or all unknown without a set in force. */
void bgp_rpki_batch(const struct bgp_rpki *k, const struct ofd_prefix *const *routes, const uint32_t *origins,
		    size_t n, uint8_t *out);

/* The counters (from any thread) into events{event} (file_loads, file_load_failures, rtr_sets,
   rtr_expirations, rtr_connects, rtr_connect_failures, rtr_disconnects, rtr_resets) and the
   newest set's size into vrps. */
void bgp_rpki_collect(const struct bgp_rpki *k, struct ofd_metric_sink *sink, const struct ofd_metric *events,
		      const struct ofd_metric *vrps);

/* After the threads were joined. */
void bgp_rpki_fini(struct bgp_rpki *k);

#endif
