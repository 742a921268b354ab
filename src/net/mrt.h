/*
 * MRT routing table dumps (RFC 6396 TABLE_DUMP_V2, with RFC 8050's ADD-PATH RIB subtypes): a
 * bounded walker over the bytes of a whole file, for aslookup's `type: mrt` and anything else
 * that wants the routes of a RIB dump.
 *
 * The bytes are hostile: every length is checked against what is left of its record (include/
 * ofd/rd.h), nothing is allocated, and the walk stops at the first defect with a reason, the
 * record number and its byte offset. A defect is: a record header or body past the end of the
 * input (a truncated file), a RIB record before the PEER_INDEX_TABLE, a second PEER_INDEX_TABLE
 * (two dumps concatenated), a peer index beyond the table, a prefix length over 32/128 or with
 * host bits set, an attribute longer than its entry, an AS_PATH whose segments fill its
 * attribute neither as 4-byte nor as 2-byte ASNs, bytes left over in a RIB record. Records of
 * other types (TABLE_DUMP v1, BGP4MP, ...) and TABLE_DUMP_V2 subtypes other than
 * PEER_INDEX_TABLE and the IPv4/IPv6 unicast RIBs are skipped and counted.
 *
 * AS paths: TABLE_DUMP_V2 writes AS_PATH with 4-byte ASNs (RFC 6396 4.3.4); a path whose
 * segments only fit as 2-byte ASNs is read so, and an AS4_PATH beside it is merged as RFC 6793
 * 4.2.3 says: the leading ASNs of AS_PATH that AS4_PATH does not cover (counted with an AS_SET
 * as 1 and confederation segments as 0; each AS_SET a segment of its own), then AS4_PATH (its
 * confederation segments left out, RFC 6793 section 6). An AS4_PATH with more ASNs than
 * AS_PATH is ignored (4.2.3); a malformed one (shorter than one ASN, segments that do not fill
 * it, a segment of 0 ASNs or of an unknown type) is ignored and counted (as4_malformed, section
 * 6): the entry keeps its 2-byte AS_PATH and the file is read on. The path handed on is the
 * AS_SEQUENCE ASNs in order (confederation segments and AS_SETs are left out), its first
 * OFD_MRT_PATH_MAX (path_cut when there were more). The origin comes from the final segment of
 * the whole path, however long: its last ASN when it is an AS_SEQUENCE, its one member when it
 * is an AS_SET of one, and undefined (origin_ok 0) when it is a larger AS_SET or a
 * confederation segment, or the path is empty (a route of the collector's own AS).
 */
#ifndef OFD_NET_MRT_H
#define OFD_NET_MRT_H

#include <stddef.h>
#include <stdint.h>

#include "net/prefix.h"

#define OFD_MRT_PATH_MAX 64 /* ASNs of a path handed on; longer paths are cut (path_cut) */

/* One RIB entry: a prefix as one peer saw it. */
struct ofd_mrt_route {
	struct ofd_prefix prefix; /* IPv4 v4-mapped (len 96 + n), family OFD_AF_INET/INET6 */
	uint16_t peer;		  /* index into the PEER_INDEX_TABLE */
	uint16_t entry;		  /* the entry's position within its RIB record (0 = first) */
	uint32_t peer_as;	  /* that peer's AS */
	uint32_t origin;	  /* valid when origin_ok */
	int origin_ok;
	int path_cut; /* the path had more than OFD_MRT_PATH_MAX ASNs */
	unsigned path_len;
	uint32_t path[OFD_MRT_PATH_MAX];
};

struct ofd_mrt_stats {
	uint64_t records;	/* MRT records read (all types) */
	uint64_t skipped;	/* records of types or subtypes not read */
	uint64_t rib_records;	/* RIB_IPV4/IPV6_UNICAST(_ADDPATH) records */
	uint64_t entries;	/* RIB entries handed on */
	uint64_t as2_paths;	/* AS_PATHs read with 2-byte ASNs */
	uint64_t as4_merged;	/* of those, AS4_PATHs merged in */
	uint64_t as4_malformed; /* of those, malformed AS4_PATHs ignored (RFC 6793 section 6) */
	uint64_t as_set;	/* entries whose path ends in an AS_SET */
	uint32_t peers;		/* peers of the PEER_INDEX_TABLE */
	/* on a defect: what, and where */
	const char *error;   /* NULL, or a static reason */
	uint64_t err_record; /* its record number (0-based) */
	uint64_t err_offset; /* its byte offset in the input */
};

/*
 * Called for every RIB entry, in file order; return 0 to go on, anything else to stop the walk
 * (which then returns that value). r is valid during the call only.
 */
typedef int (*ofd_mrt_route_fn)(void *ctx, const struct ofd_mrt_route *r);

/*
 * Walk buf[0..len) and call fn for each RIB entry. Peer ASes come from the PEER_INDEX_TABLE; a
 * table of more than OFD_MRT_PEERS_MAX peers ends the walk with OFD_ELIMIT (st->error "PEER_INDEX_TABLE
 * has too many peers"). Returns 0 at the end of the input, fn's value if it stopped the walk, OFD_EFORMAT /
 * OFD_ETRUNC on a defect or OFD_ELIMIT (st->error says which; fn was called for the entries
 * before it). st is zeroed first.
 */
#define OFD_MRT_PEERS_MAX 4096
int ofd_mrt_walk(const uint8_t *buf, size_t len, ofd_mrt_route_fn fn, void *ctx, struct ofd_mrt_stats *st);

/* MRT's first bytes look like compressed data (bzip2, gzip, xz, zstd): its name, else NULL. */
const char *ofd_mrt_compressed(const uint8_t *buf, size_t len);

#endif
