/*
 * The meter: a flow cache that turns parsed packets (decode/pkt.h) into unidirectional flow
 * records, as a NetFlow/IPFIX probe does (softflowd, pmacctd's nfprobe).
 *
 * Key: source and destination address, ports (ICMP: type * 256 + code as the destination
 * port, NetFlow's convention), protocol, IP version, the outermost VLAN, the top MPLS label and
 * the input interface. Counted per flow: packets, bytes (the IP length, as NetFlow counts),
 * first and last packet times, TCP flags OR-ed, TTL min/max, the first packet's MACs, TOS and
 * IPv6 flow label.
 *
 * Time is the packets' own (capture timestamps): a flow expires when the clock, the newest
 * packet time seen, is more than `inactive_ns` past its last packet, more than `active_ns` past
 * its first (the flow is cut and goes on as a new one), or, for TCP, more than `end_ns` past
 * its last packet once the connection ended (both directions sent a FIN, or either a RST: the
 * final ACK still joins the flow). Replaying a file gives the same flows on every run.
 *
 * Bounded: at most `maxflows` entries, all allocated at ofd_meter_new(); a packet that would
 * make one more evicts first an ended TCP flow, else the least recently seen one
 * (emergency_expired counts them), so a flood of spoofed SYNs costs flows, never memory. The
 * hot path (ofd_meter_packet) allocates nothing: an open-addressing table (linear probing,
 * backward-shift deletion) of twice the entries' count, hashed symmetrically (a packet and its
 * reply hash alike: the reply's flow is one probe away, and a later capture fan-out can keep
 * both directions on one worker) with the direction kept in the key.
 *
 * Fragments: the first fragment is metered with its ports and remembered by (src, dst, proto,
 * IP id) in a small direct-mapped table; later fragments with the same identity join the first's
 * flow while it lives; others (the first unseen or its flow gone) go to a flow with ports 0
 * (frag_unmatched).
 *
 * Sampling: 1 in `sample` packets (deterministic: every N-th; random: each with probability
 * 1/N from a seeded generator) are metered; the records carry sampling_rate N and the counts of
 * the packets sampled (not scaled: the normalize segment scales).
 *
 * Expired flows are appended to the batch passed in (ofd_batch_add: a full batch is handed on
 * through its callback). Not thread-safe: one meter per thread.
 */
#ifndef OFD_METER_H
#define OFD_METER_H

#include <stddef.h>
#include <stdint.h>

#include "decode/pkt.h"
#include "ofd/batch.h"

struct ofd_meter;

enum ofd_meter_sampling { OFD_METER_SAMPLE_DETERMINISTIC = 0, OFD_METER_SAMPLE_RANDOM = 1 };

struct ofd_meter_cfg {
	uint64_t active_ns;   /* 0: no active timeout */
	uint64_t inactive_ns; /* 0: no inactive timeout (flows end by TCP, eviction or flush) */
	uint64_t end_ns;      /* linger after both FINs or a RST */
	uint32_t maxflows;    /* entries, at least 1 */
	uint32_t sample;      /* 1 in N packets; 0 or 1: every packet */
	int sampling;	      /* enum ofd_meter_sampling */
	uint64_t seed;	      /* random sampling's generator seed */
	uint32_t frag_slots;  /* fragment table entries (rounded up to a power of 2); 0: 4096 */
};

/* Counters: every packet handed in is in exactly one of sampled_out, not_ip, metered. */
struct ofd_meter_stats {
	uint64_t packets;     /* frames handed in */
	uint64_t sampled_out; /* skipped by sampling */
	uint64_t not_ip;      /* no IP header (ARP, truncated, unknown link layer) */
	uint64_t metered;     /* counted into a flow */
	uint64_t flows;	      /* flows created */
	uint64_t exported;    /* flows emitted (the sum of the expiries below) */
	uint64_t expired_inactive, expired_active, expired_end, expired_flush, emergency_expired;
	uint64_t frag_matched, frag_unmatched; /* later fragments joined to their first's flow, or not */
	uint64_t entries;		       /* flows in the cache now */
	uint64_t entries_max;		       /* high-water mark */
};

/* Defaults as flowpipeline's packet input: active 30m, inactive 15s; end 5s; 65536 flows. */
void ofd_meter_cfg_default(struct ofd_meter_cfg *c);

int ofd_meter_new(struct ofd_meter **out, const struct ofd_meter_cfg *cfg) OFD_MUST_CHECK;
void ofd_meter_free(struct ofd_meter *m);

/*
 * One parsed packet (ofd_pkt_parse returned 0 or OFD_ETRUNC with OFD_PKT_IP set) captured at
 * `ts_ns`, `wire_len` bytes on the wire (for a header without an IP length), from interface
 * in_if. Expired flows go into `out`. Sampling is applied here too (see ofd_meter_sample for
 * deciding before parsing).
 */
void ofd_meter_packet(struct ofd_meter *m, const struct ofd_pkt *p, uint64_t ts_ns, uint32_t wire_len,
		      uint32_t in_if, struct ofd_batch *out);

/*
 * A frame of link type `link`: sampled, parsed and metered (frames without IP counted as
 * not_ip). The fast path of the packet input.
 */
void ofd_meter_frame(struct ofd_meter *m, int link, const uint8_t *data, uint32_t caplen, uint32_t wire_len,
		     uint64_t ts_ns, uint32_t in_if, struct ofd_batch *out);

/* Advance the clock to now_ns (if later) and emit what expired by then. */
void ofd_meter_advance(struct ofd_meter *m, uint64_t now_ns, struct ofd_batch *out);

/* Emit every flow (end of a file, shutdown), oldest first. */
void ofd_meter_flush(struct ofd_meter *m, struct ofd_batch *out);

const struct ofd_meter_stats *ofd_meter_stats(const struct ofd_meter *m);

/*
 * The symmetric flow hash of a packet's key: equal for a packet and its reply (addresses and
 * ports swapped), for spreading connections over workers.
 */
uint32_t ofd_meter_hash(const struct ofd_pkt *p, uint32_t in_if);

#endif
