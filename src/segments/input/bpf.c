/*
 * bpf: flows from a local interface (flowpipeline's `bpf` input, keys device, activetimeout,
 * inactivetimeout, buffersize). flowpipeline runs an eBPF program that copies packet headers into
 * a perf buffer of `buffersize` bytes per CPU; here the kernel writes the headers (the first
 * `snaplen` bytes of each frame) into AF_PACKET TPACKET_V3 rings of `buffersize` bytes, one per
 * worker, the workers in one PACKET_FANOUT_HASH group (both directions of a connection meet in
 * one worker), each with its own flow cache (segments/common/afcap.h, meter/meter.h).
 *
 *   - segment: bpf
 *     config: {device: eth0, activetimeout: 30m, inactivetimeout: 15s, buffersize: 65536}
 *
 * Ours besides: filter (BPF as tcpdump takes it, run in the kernel before the ring), workers,
 * snaplen, endtimeout, maxflows and sampling as the packet input has them. capture_dropped counts
 * the packets that found a ring full (PACKET_STATISTICS tp_drops), ring_frozen how often a ring
 * was full (tp_freeze_q_cnt). Records are local, in_if is the interface's index.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "meter/meter.h"
#include "net/afpacket.h"
#include "ofd/segment.h"
#include "segments/common/afcap.h"

#include <pcap/dlt.h>

static const char *const bpf_samplings[] = {"deterministic", "random", NULL};

struct bpf_state {
	char *device;
	char *filter;
	uint64_t active_ns, inactive_ns, end_ns;
	uint64_t buffersize, snaplen, workers, maxflows, sample, seed;
	int sampling;
	struct ofd_afcap *ac;
};

static const char *const bpf_counters[] = {"packets",	      "sampled_out",	   "not_ip",
					   "flows",	      "emergency_expired", "frag_unmatched",
					   "capture_dropped", "ring_frozen",	   NULL};

static int bpf_check(const void *state, char *err, size_t errlen)
{
	const struct bpf_state *s = state;
	if (!s->device || !*s->device) {
		snprintf(err, errlen, "device: required (the interface to capture on, e.g. eth0)");
		return OFD_ECONFIG;
	}
	if (s->filter && *s->filter)
		return ofd_afp_filter_check(s->filter, DLT_EN10MB, err, errlen);
	return 0;
}

static int bpf_init(struct ofd_segment *seg, void *state)
{
	struct bpf_state *s = state;
	struct ofd_afcap_cfg c = {.device = s->device,
				  .filter = s->filter,
				  .buffersize = s->buffersize,
				  .snaplen = (uint32_t)s->snaplen,
				  .workers = (unsigned)s->workers};
	for (int i = 0; i < OFD_AFCAP_C__COUNT; i++)
		c.counter[i] = i; /* bpf_counters is in afcap's order */
	ofd_meter_cfg_default(&c.meter);
	c.meter.active_ns = s->active_ns;
	c.meter.inactive_ns = s->inactive_ns;
	c.meter.end_ns = s->end_ns;
	c.meter.maxflows = (uint32_t)s->maxflows;
	c.meter.sample = (uint32_t)s->sample;
	c.meter.sampling = s->sampling;
	c.meter.seed = s->seed;
	return ofd_afcap_open(&s->ac, seg, &c);
}

static int bpf_start(struct ofd_segment *seg, void *state)
{
	struct bpf_state *s = state;
	return ofd_afcap_run(s->ac, seg);
}

static void bpf_fini(struct ofd_segment *seg, void *state)
{
	struct bpf_state *s = state;
	(void)seg;
	ofd_afcap_close(s->ac);
	s->ac = NULL;
}

static void bpf_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	(void)seg;
	ofd_afcap_collect(((struct bpf_state *)state)->ac, sink);
}

static const struct ofd_cfg_key bpf_keys[] = {
    OFD_KEY("device", OFD_CFG_STRING, struct bpf_state, device, .required = 1,
	    .help = "the interface to capture on, e.g. eth0 (Ethernet, loopback or raw IP: tun, wireguard)"),
    OFD_KEY("activetimeout", OFD_CFG_DURATION, struct bpf_state, active_ns, .def = "30m",
	    .help = "a flow longer than this is exported and goes on as a new one (0: never)"),
    OFD_KEY("inactivetimeout", OFD_CFG_DURATION, struct bpf_state, inactive_ns, .def = "15s",
	    .help = "a flow without packets for this long is exported (0: never)"),
    OFD_KEY("buffersize", OFD_CFG_SIZE, struct bpf_state, buffersize, .def = "65536", .min = 1,
	    .max = 4294967296.0,
	    .help = "bytes of capture ring per worker, rounded up to whole pages (flowpipeline's default 64k "
		    "holds about 300 packets' headers: raise it (4M, 64M) for a busy link); packets that "
		    "find the ring full are counted in capture_dropped"),
    OFD_KEY("filter", OFD_CFG_STRING, struct bpf_state, filter,
	    .help = "ours: BPF filter as tcpdump takes it, run in the kernel (none: every packet)"),
    OFD_KEY("workers", OFD_CFG_UINT, struct bpf_state, workers, .def = "0", .max = OFD_AFCAP_MAX_WORKERS,
	    .help =
		"ours: capture threads, each with its own ring in one PACKET_FANOUT_HASH group and its own "
		"flow cache (0: one per core, at most 8); `overflowd -n N` sets it when not given"),
    OFD_KEY("snaplen", OFD_CFG_UINT, struct bpf_state, snaplen, .def = "128", .min = 64, .max = 65535,
	    .help = "ours: bytes of each frame copied into the ring (headers: 128 covers Ethernet, two VLAN "
		    "tags, IPv6 and TCP)"),
    OFD_KEY("endtimeout", OFD_CFG_DURATION, struct bpf_state, end_ns, .def = "5s",
	    .help =
		"ours: a TCP flow is exported this long after both directions sent a FIN or either a RST"),
    OFD_KEY("maxflows", OFD_CFG_UINT, struct bpf_state, maxflows, .def = "65536", .min = 1, .max = 268435456,
	    .help = "ours: flows in the caches at most, shared out among the workers (allocated at start, "
		    "about 180 bytes a flow); beyond, the least recently seen is exported early "
		    "(emergency_expired)"),
    OFD_KEY("sample", OFD_CFG_UINT, struct bpf_state, sample, .def = "1", .min = 1, .max = 4294967295.0,
	    .help = "ours: meter 1 in N packets; the records carry N as their sampling rate"),
    OFD_KEY("sampling", OFD_CFG_ENUM, struct bpf_state, sampling, .def = "deterministic",
	    .choices = bpf_samplings,
	    .help = "ours: deterministic: every N-th packet; random: each with probability 1/N"),
    OFD_KEY("seed", OFD_CFG_UINT, struct bpf_state, seed, .def = "1", .help = "ours: random sampling's seed"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_bpf = {
    OFD_SEGMENT_VERSION,
    .name = "bpf",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "meter packets of a local interface into flows (AF_PACKET rings, workers in a fanout group)",
    .state_size = sizeof(struct bpf_state),
    .config = bpf_keys,
    .counters = bpf_counters,
    .metrics = ofd_afcap_metrics,
    .collect = bpf_collect,
    .check = bpf_check,
    .init = bpf_init,
    .start = bpf_start,
    .fini = bpf_fini,
};
