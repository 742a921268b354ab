/*
 * Live capture into flows with AF_PACKET (net/afpacket.h), shared by the `bpf` input and
 * `packet` with method pcapgo: `workers` capture threads, each with its own TPACKET_V3 ring in
 * one PACKET_FANOUT_HASH group on the device (the kernel's symmetric hash sends both directions
 * of a connection to one worker) and its own flow cache (meter/meter.h) and batch. Worker 0 runs
 * in the input's thread on ofd_input_batch(), the others in threads of their own on batches of
 * ofd_input_batch_init() (the udp input's way); a worker hands its batch on when full and
 * whenever its ring goes quiet. Flows expire by the kernel's packet timestamps and, while no
 * packets come, by the wall clock; when the pipeline stops every flow is emitted.
 *
 * Counters (indexes into the segment's counters; -1: not counted) are added by each worker as
 * they change, at least every 500 ms: packets captured, sampled_out, not_ip, flows, emergency
 * expiries, unmatched fragments, and capture_dropped: the kernel's drops (PACKET_STATISTICS
 * tp_drops: packets that found a ring full), ring_frozen: tp_freeze_q_cnt; and the same per
 * worker as metrics (ofd_afcap_metrics).
 */
#ifndef OFD_SEG_AFCAP_H
#define OFD_SEG_AFCAP_H

#include <stdint.h>

#include "meter/meter.h"
#include "ofd/segment.h"

#define OFD_AFCAP_MAX_WORKERS 64
#define OFD_AFCAP_DEFAULT_MAX 8 /* workers by default: one per core, at most this many */

enum {
	OFD_AFCAP_C_PACKETS,
	OFD_AFCAP_C_SAMPLED_OUT,
	OFD_AFCAP_C_NOT_IP,
	OFD_AFCAP_C_FLOWS,
	OFD_AFCAP_C_EMERGENCY,
	OFD_AFCAP_C_FRAG_UNMATCHED,
	OFD_AFCAP_C_DROPPED,
	OFD_AFCAP_C_FROZEN,
	OFD_AFCAP_C__COUNT
};

struct ofd_afcap_cfg {
	const char *device;
	const char *filter;		 /* NULL or "": none */
	uint64_t buffersize;		 /* ring bytes per worker */
	uint32_t snaplen;		 /* 0: 128 */
	unsigned workers;		 /* 0: one per core, at most OFD_AFCAP_DEFAULT_MAX */
	struct ofd_meter_cfg meter;	 /* maxflows: for all workers together */
	int counter[OFD_AFCAP_C__COUNT]; /* the segment's counter index of each, or -1 */
};

struct ofd_afcap;

/* At init: open every worker's ring (so that a bad device or filter refuses the start) and
   allocate its meter; the reason of a failure is logged as the segment. */
int ofd_afcap_open(struct ofd_afcap **out, struct ofd_segment *seg,
		   const struct ofd_afcap_cfg *cfg) OFD_MUST_CHECK;

/* In start(): capture until the pipeline stops; 0, or the first worker's error. */
int ofd_afcap_run(struct ofd_afcap *ac, struct ofd_segment *seg);

void ofd_afcap_close(struct ofd_afcap *ac);

/* For tests: the workers opened. */
unsigned ofd_afcap_workers(const struct ofd_afcap *ac);

/* Metric families (the segment's `metrics`): capture_packets_total, capture_dropped_total,
   capture_ring_frozen_total, each by worker; ofd_afcap_collect() reports them (any thread; ac
   may be NULL: nothing). */
extern const struct ofd_metric ofd_afcap_metrics[];
void ofd_afcap_collect(const struct ofd_afcap *ac, struct ofd_metric_sink *sink);

#endif
