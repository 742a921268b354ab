/*
 * AS paths for the simulator, from a TABLE_DUMP_V2 RIB (net/mrt.h walks it): each RIB entry's
 * AS_SEQUENCE with prepending collapsed. An attack path joins two entries (sim_paths_join): the
 * attacker's origin up to the AS where the two routes part, then down to the victim's origin,
 * so that paths between any two origins have the lengths and the transit ASes the table shows.
 * ASes are numbered 0..nas-1 (asn[] maps back); rank[] orders them by how many joined paths
 * they are in the middle of (largest transit first), from a fixed sample.
 */
#ifndef OFD_SIM_PATHS_H
#define OFD_SIM_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define SIM_PATH_MAX 64

struct sim_paths {
	uint32_t nroutes;
	uint32_t *off; /* route i is as_idx[off[i] .. off[i+1]) (peer first, origin last) */
	uint32_t *as_idx;
	uint32_t nas;
	uint32_t *asn;	   /* index -> ASN */
	uint32_t *rank;	   /* index -> position in the transit ranking (0: most central) */
	uint64_t *transit; /* index -> joined sample paths it is in the middle of */
	uint32_t peers;	   /* of the PEER_INDEX_TABLE */
};

/* Load from an MRT file (0 or a negative OFD_E*; why says what failed). */
int sim_paths_load(struct sim_paths *p, const char *file, const char **why);
/* Build from explicit routes (tests): n routes, route i holds len[i] ASNs at asns[i]. */
int sim_paths_from(struct sim_paths *p, unsigned n, const uint32_t *const *asns, const unsigned *len);
void sim_paths_free(struct sim_paths *p);

/*
 * The attack path from route a's origin to route v's origin, as AS indexes in out[] (attacker
 * first, victim last); returns its length in ASes, 0 when the two have the same origin or the
 * join loops.
 */
unsigned sim_paths_join(const struct sim_paths *p, uint32_t a, uint32_t v, uint32_t *out);
/* A random attack path (attacker and victim: origins of two random RIB entries); its length. */
unsigned sim_paths_pick(const struct sim_paths *p, struct sim_rng *g, uint32_t *out);
/* Rank the ASes by middle positions over `samples` random joined paths (seeded: the same order
 * on every run). Called by load/from. */
void sim_paths_rank(struct sim_paths *p, unsigned samples, uint64_t seed);

#endif
