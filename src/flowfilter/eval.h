/*
 * The compiled form of a flowfilter expression and its evaluator.
 *
 * An expression compiles to a flat array of tests (struct ofd_ff_insn), one per match in the
 * expression (an undirected match such as `port 53` is two tests: src, then dst). Each test
 * names the next test to run when it holds (jt) and when it fails (jf); OFD_FF_ACCEPT and
 * OFD_FF_REJECT end the run. `and`, `or` and `not` are compiled into these jumps, so evaluation
 * is a loop over forward jumps: no recursion, no allocation, short-circuit by construction.
 */
#ifndef OFD_FF_EVAL_H
#define OFD_FF_EVAL_H

#include <stdint.h>

#include "flowfilter/flowfilter.h"

/*
 * Tests. Unless noted, a test holds when a field value v lies in [lo, hi] (empty when lo > hi).
 * As in flowpipeline, a field the record does not have reads as zero (an empty string, an empty
 * AS path, no address).
 */
enum ofd_ff_op {
	OFD_FF_OP_SRC_ADDR, /* aux: index into prefixes */
	OFD_FF_OP_DST_ADDR,
	OFD_FF_OP_ROUTER,  /* sampler_address */
	OFD_FF_OP_NEXTHOP, /* next_hop */
	OFD_FF_OP_SRC_PORT,
	OFD_FF_OP_DST_PORT,
	OFD_FF_OP_SRC_AS,
	OFD_FF_OP_DST_AS,
	OFD_FF_OP_SRC_NET, /* prefix lengths */
	OFD_FF_OP_DST_NET,
	OFD_FF_OP_IN_IF,
	OFD_FF_OP_OUT_IF,
	OFD_FF_OP_IN_SPEED, /* bit/s (a number with a unit suffix) */
	OFD_FF_OP_OUT_SPEED,
	OFD_FF_OP_IN_SPEED_G, /* whole Gbit/s, rounded down (a bare number, as flowpipeline) */
	OFD_FF_OP_OUT_SPEED_G,
	OFD_FF_OP_CID, /* cid, src_cid or dst_cid (`cid` without a direction) */
	OFD_FF_OP_SRC_CID,
	OFD_FF_OP_DST_CID,
	OFD_FF_OP_SRC_VRF,
	OFD_FF_OP_DST_VRF,
	OFD_FF_OP_NEXTHOP_AS,
	OFD_FF_OP_BYTES,
	OFD_FF_OP_PACKETS,
	OFD_FF_OP_DURATION, /* end - start in whole seconds, each rounded down; wraps if end < start */
	OFD_FF_OP_BPS,	    /* bytes * 8 / duration, a duration of 0 counting as 1 (integer division) */
	OFD_FF_OP_PPS,	    /* packets / duration, likewise */
	OFD_FF_OP_IPTOS,
	OFD_FF_OP_IPTOS_MASK, /* (ip_tos & lo) == lo */
	OFD_FF_OP_DSCP,	      /* ip_tos >> 2 */
	OFD_FF_OP_ECN,	      /* ip_tos & 3 */
	OFD_FF_OP_SAMPLING,
	OFD_FF_OP_MED,
	OFD_FF_OP_LOCALPREF,
	OFD_FF_OP_ETYPE,
	OFD_FF_OP_PROTO,
	OFD_FF_OP_STATUS,	 /* forwarding_status */
	OFD_FF_OP_STATUS_MASK,	 /* (forwarding_status & lo) == lo */
	OFD_FF_OP_TCPFLAGS,	 /* proto 6 and tcp_flags in range */
	OFD_FF_OP_TCPFLAGS_MASK, /* proto 6 and (tcp_flags & lo) == lo */
	OFD_FF_OP_ICMP_TYPE,	 /* proto 1 and dst_port >> 8 */
	OFD_FF_OP_ICMP_CODE,	 /* proto 1 and dst_port & 0xff */
	OFD_FF_OP_IN_NAME,	 /* aux: offset into strings; ASCII case-insensitive substring */
	OFD_FF_OP_OUT_NAME,
	OFD_FF_OP_IN_DESC,
	OFD_FF_OP_OUT_DESC,
	OFD_FF_OP_COUNTRY,     /* lo: two uppercase letters c0 << 8 | c1; remote_country */
	OFD_FF_OP_SRC_COUNTRY, /* src_country */
	OFD_FF_OP_DST_COUNTRY,
	OFD_FF_OP_DIRECTION,  /* flow_direction */
	OFD_FF_OP_NORMALIZED, /* normalized == 1 */
	OFD_FF_OP_RPKI,	      /* rpki */
	OFD_FF_OP_PASSES,     /* as_path holds asns[aux .. aux + lo) as a contiguous run */
	/*
	 * BGP communities (ours): a test holds when one entry of the record's list does; an absent
	 * list is empty. Standard ones are ASN << 16 | value, as the record stores them. LCOMMUNITY:
	 * global lo >> 32, local1 lo & 0xffffffff, local2 hi. LCOMMUNITY_RANGE: part k (global,
	 * local1, local2) in [asns[aux + 2k], asns[aux + 2k + 1]].
	 */
	OFD_FF_OP_COMMUNITY,	    /* a standard community equals lo */
	OFD_FF_OP_COMMUNITY_RANGE,  /* ASN in [lo >> 16, hi >> 16], value in [lo & 0xffff, hi & 0xffff] */
	OFD_FF_OP_LCOMMUNITY,	    /* a large community equals the one in lo, hi */
	OFD_FF_OP_LCOMMUNITY_RANGE, /* each part of a large community in its bounds */
	OFD_FF_OP_NONE,		    /* never holds (a prefix length past the family's width) */
	OFD_FF_OP__COUNT
};

#define OFD_FF_ACCEPT	 0xfffe
#define OFD_FF_REJECT	 0xffff
#define OFD_FF_MAX_INSNS 0xf000

struct ofd_ff_insn {
	uint8_t op;	 /* enum ofd_ff_op */
	uint16_t jt, jf; /* next test index, or OFD_FF_ACCEPT / OFD_FF_REJECT; always forward */
	uint32_t aux;
	uint64_t lo, hi;
};

/* An address prefix in v4-mapped form: matches addresses of the same family with (a & mask) == net. */
struct ofd_ff_prefix {
	uint8_t family;		  /* OFD_AF_INET or OFD_AF_INET6 */
	uint64_t net[2], mask[2]; /* the 16 address bytes as two native-order words */
};

struct ofd_filter {
	uint32_t n; /* tests in code */
	struct ofd_ff_insn *code;
	struct ofd_ff_prefix *prefixes;
	char *strings;	/* NUL-terminated lowercase patterns */
	uint32_t *asns; /* passes-through's ASNs; the part bounds of large community ranges */
};

#endif
