/*
 * packet: packets to flows (flowpipeline's `packet` input). Frames are filtered (`filter`, BPF
 * as tcpdump takes it), sampled (`sample: N`) and metered into unidirectional flows by the flow
 * cache of src/meter/meter.h (keys, timeouts, TCP ends, fragments, the bounded table and its
 * emergency expiry are described there); expired flows enter the pipeline.
 *
 *   - segment: packet
 *     config: {method: file, source: capture.pcap.gz, filter: "tcp or udp", activetimeout: 30m,
 *              inactivetimeout: 15s, maxflows: 65536, sample: 1}
 *
 * method `file` reads a pcap or pcapng capture, plain or gzip (src/decode/pcapfile.h), with the
 * capture's timestamps as the clock, so a replay gives the same flows every time; at the end of
 * the file every flow still in the cache is emitted. Method `pcap` captures on the interface
 * `source` with libpcap (promiscuous, nonblocking, the filter in the kernel; not immediate: libpcap
 * then uses TPACKET_V3 blocks handed over when full or after 100 ms, where immediate mode wakes
 * per packet and cost 7-15x the CPU, with drops), in the input's thread,
 * polling every 100 ms; the wall clock expires flows while no packets come, and every flow is
 * emitted when the pipeline stops; capture_dropped counts the kernel's drops. `pcapgo`, the
 * default as in flowpipeline (there gopacket's pure-Go AF_PACKET handle), is our AF_PACKET engine, the one of
 * the `bpf` input (segments/common/afcap.h): TPACKET_V3 rings, `workers` threads in a PACKET_FANOUT_HASH
 * group, each with its own flow cache, `buffersize` bytes of ring each, the filter in the
 * kernel; capture_dropped counts the rings' drops (PACKET_STATISTICS). Records are local (origin
 * OFD_ORIGIN_LOCAL), flow type unknown, in_if 0 (pcap, file) or the interface's index (pcapgo).
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode/pcapfile.h"
#include "segments/common/afcap.h"
#include "meter/meter.h"
#include "ofd/segment.h"
#include "ofd/time.h"

enum { M_PCAP, M_PCAPGO, M_FILE };
static const char *const packet_methods[] = {"pcap", "pcapgo", "file", NULL};
static const char *const packet_samplings[] = {"deterministic", "random", NULL};

struct packet_state {
	/* config */
	int method;
	char *source;
	char *filter;
	uint64_t active_ns, inactive_ns, end_ns;
	uint64_t maxflows, sample, seed;
	int sampling;
	uint64_t workers, buffersize;
	/* running */
	struct ofd_afcap *afcap; /* method pcapgo */
	struct ofd_meter *meter;
	struct ofd_meter_stats pub; /* as last counted */
	uint64_t filtered, pub_filtered;
	pcap_t *live; /* method pcap: the capture handle, opened at init */
	int link;     /* its enum ofd_link */
	int nano;     /* its timestamps are in ns */
	uint64_t capture_dropped;
	struct ofd_segment *seg;
	struct ofd_batch *b;
};

enum {
	C_PACKETS,
	C_FILTERED,
	C_SAMPLED_OUT,
	C_NOT_IP,
	C_FLOWS,
	C_EMERGENCY,
	C_FRAG_UNMATCHED,
	C_CAPTURE_DROPPED
};
static const char *const packet_counters[] = {"packets",	"filtered",	   "sampled_out",
					      "not_ip",		"flows",	   "emergency_expired",
					      "frag_unmatched", "capture_dropped", NULL};

/* Compile the filter for link type dlt; 0, or OFD_ECONFIG with the reason in err. */
static int packet_compile(const char *filter, int dlt, struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(dlt, 262144);
	if (!dead) {
		snprintf(err, errlen, "filter: cannot open a pcap handle for link type %d", dlt);
		return OFD_ECONFIG;
	}
	int rc = 0;
	if (pcap_compile(dead, prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter: %s", pcap_geterr(dead));
		rc = OFD_ECONFIG;
	}
	pcap_close(dead);
	return rc;
}

static int packet_check(const void *state, char *err, size_t errlen)
{
	const struct packet_state *s = state;
	if (!s->source || !*s->source) {
		snprintf(err, errlen,
			 "source: required (the capture file, or the interface for methods pcapgo and pcap)");
		return OFD_ECONFIG;
	}
	if (s->filter && *s->filter) {
		struct bpf_program prog;
		if (packet_compile(s->filter, DLT_EN10MB, &prog, err, errlen))
			return OFD_ECONFIG;
		pcap_freecode(&prog);
	}
	return 0;
}

/* method pcap: open the interface (at init, so that a wrong one refuses the start). */
static int packet_open_live(struct ofd_segment *seg, struct packet_state *s)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	s->live = pcap_create(s->source, eb);
	if (!s->live) {
		ofd_seg_log(seg, OFD_LOG_ERR, "source %s: %s", s->source, eb);
		return OFD_ECONFIG;
	}
	(void)pcap_set_snaplen(s->live, 262144);
	(void)pcap_set_promisc(s->live, 1);
	(void)pcap_set_timeout(s->live, 100);
	(void)pcap_set_immediate_mode(s->live, 0);
	(void)pcap_set_buffer_size(s->live, 32 << 20);
	s->nano = pcap_set_tstamp_precision(s->live, PCAP_TSTAMP_PRECISION_NANO) == 0;
	int rc = pcap_activate(s->live);
	if (rc < 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "source %s: cannot capture: %s", s->source,
			    pcap_geterr(s->live));
		return OFD_ECONFIG;
	}
	s->link = ofd_pcap_link_from_dlt(pcap_datalink(s->live));
	if (s->link < 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "source %s: link type %d is not one we read", s->source,
			    pcap_datalink(s->live));
		return OFD_EUNSUPPORTED;
	}
	if (s->filter && *s->filter) {
		struct bpf_program prog;
		if (pcap_compile(s->live, &prog, s->filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(s->live, &prog) != 0) {
			ofd_seg_log(seg, OFD_LOG_ERR, "filter: %s", pcap_geterr(s->live));
			return OFD_ECONFIG;
		}
		pcap_freecode(&prog);
	}
	return 0;
}

static void packet_meter_cfg(const struct packet_state *s, struct ofd_meter_cfg *c)
{
	ofd_meter_cfg_default(c);
	c->active_ns = s->active_ns;
	c->inactive_ns = s->inactive_ns;
	c->end_ns = s->end_ns;
	c->maxflows = (uint32_t)s->maxflows;
	c->sample = (uint32_t)s->sample;
	c->sampling = s->sampling;
	c->seed = s->seed;
}

/* method pcapgo: the AF_PACKET engine of the bpf input */
static int packet_open_afcap(struct ofd_segment *seg, struct packet_state *s)
{
	struct ofd_afcap_cfg c = {.device = s->source,
				  .filter = s->filter,
				  .buffersize = s->buffersize,
				  .workers = (unsigned)s->workers,
				  .counter = {C_PACKETS, C_SAMPLED_OUT, C_NOT_IP, C_FLOWS, C_EMERGENCY,
					      C_FRAG_UNMATCHED, C_CAPTURE_DROPPED, -1}};
	packet_meter_cfg(s, &c.meter);
	return ofd_afcap_open(&s->afcap, seg, &c);
}

static int packet_init(struct ofd_segment *seg, void *state)
{
	struct packet_state *s = state;
	int err;
	if (s->method == M_PCAPGO)
		return packet_open_afcap(seg, s);
	if (s->method == M_PCAP) {
		err = packet_open_live(seg, s);
		if (err)
			return err;
	} else {
		struct ofd_pcapfile *pf;
		err = ofd_pcapfile_open(&pf, s->source); /* logs the reason with the path */
		if (err)
			return err;
		ofd_pcapfile_close(pf);
	}
	struct ofd_meter_cfg c;
	packet_meter_cfg(s, &c);
	err = ofd_meter_new(&s->meter, &c);
	if (err)
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate a flow cache of %" PRIu64 " flows",
			    s->maxflows);
	return err;
}

/* Add what changed since the last call to the segment's counters. */
static void packet_publish(struct ofd_segment *seg, struct packet_state *s)
{
	const struct ofd_meter_stats *st = ofd_meter_stats(s->meter);
	ofd_segment_count(seg, C_PACKETS, st->packets - s->pub.packets + s->filtered - s->pub_filtered);
	ofd_segment_count(seg, C_FILTERED, s->filtered - s->pub_filtered);
	ofd_segment_count(seg, C_SAMPLED_OUT, st->sampled_out - s->pub.sampled_out);
	ofd_segment_count(seg, C_NOT_IP, st->not_ip - s->pub.not_ip);
	ofd_segment_count(seg, C_FLOWS, st->exported - s->pub.exported);
	ofd_segment_count(seg, C_EMERGENCY, st->emergency_expired - s->pub.emergency_expired);
	ofd_segment_count(seg, C_FRAG_UNMATCHED, st->frag_unmatched - s->pub.frag_unmatched);
	if (s->live) {
		struct pcap_stat ps;
		if (pcap_stats(s->live, &ps) == 0 && ps.ps_drop + ps.ps_ifdrop > s->capture_dropped) {
			ofd_segment_count(seg, C_CAPTURE_DROPPED,
					  ps.ps_drop + ps.ps_ifdrop - s->capture_dropped);
			s->capture_dropped = ps.ps_drop + ps.ps_ifdrop;
		}
	}
	s->pub = *st;
	s->pub_filtered = s->filtered;
}

static void packet_live_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct packet_state *s = (struct packet_state *)(void *)user;
	uint64_t t = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * (s->nano ? 1u : 1000u);
	ofd_meter_frame(s->meter, s->link, data, h->caplen, h->len, t, 0, ofd_input_batch(s->seg));
}

/* method pcap: capture until stopped; flows expire by the wall clock when no packets come. */
static int packet_live(struct ofd_segment *seg, struct packet_state *s)
{
	s->seg = seg;
	uint64_t next_pub = 0;
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(s->live), .events = POLLIN};
	while (!ofd_segment_stopping(seg)) {
		/* nonblocking: wait up to 100 ms for packets, so that a stop and the clock are seen */
		int rc = poll(&pfd, 1, 100);
		if (rc > 0)
			rc = pcap_dispatch(s->live, 512, packet_live_frame, (u_char *)(void *)s);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			ofd_seg_log(seg, OFD_LOG_ERR, "source %s: capture failed: %s", s->source,
				    pcap_geterr(s->live));
			break;
		}
		uint64_t now = ofd_time_now_ns();
		ofd_meter_advance(s->meter, now, ofd_input_batch(seg));
		if (rc == 0)
			ofd_input_flush(seg); /* idle: what expired leaves now */
		if (now >= next_pub) {
			packet_publish(seg, s);
			next_pub = now + 500000000u;
		}
	}
	ofd_meter_flush(s->meter, ofd_input_batch(seg));
	ofd_input_flush(seg);
	packet_publish(seg, s);
	return 0;
}

static int packet_start(struct ofd_segment *seg, void *state)
{
	struct packet_state *s = state;
	if (s->afcap)
		return ofd_afcap_run(s->afcap, seg);
	if (s->live)
		return packet_live(seg, s);
	struct ofd_pcapfile *pf;
	int err = ofd_pcapfile_open(&pf, s->source);
	if (err)
		return err;
	struct bpf_program prog;
	int filtering = s->filter && *s->filter;
	if (filtering) {
		char why[PCAP_ERRBUF_SIZE + 64];
		if (packet_compile(s->filter, ofd_pcapfile_dlt(pf), &prog, why, sizeof(why))) {
			ofd_seg_log(seg, OFD_LOG_ERR, "%s", why);
			ofd_pcapfile_close(pf);
			return OFD_ECONFIG;
		}
	}
	const int link = ofd_pcapfile_link(pf);
	struct ofd_frame fr;
	unsigned n = 0;
	while (ofd_pcapfile_next_frame(pf, &fr) > 0) {
		struct ofd_batch *b = ofd_input_batch(seg);
		if (filtering) {
			struct pcap_pkthdr h = {.caplen = fr.caplen, .len = fr.len};
			if (!pcap_offline_filter(&prog, &h, fr.data)) {
				s->filtered++;
				continue;
			}
		}
		ofd_meter_frame(s->meter, link, fr.data, fr.caplen, fr.len, fr.time_ns, 0, b);
		if ((++n & 4095) == 0) {
			packet_publish(seg, s);
			if (ofd_segment_stopping(seg))
				break;
		}
	}
	ofd_meter_flush(s->meter, ofd_input_batch(seg));
	ofd_input_flush(seg);
	packet_publish(seg, s);
	const struct ofd_meter_stats *st = ofd_meter_stats(s->meter);
	ofd_seg_log(seg, OFD_LOG_DEBUG,
		    "%" PRIu64 " frames: %" PRIu64 " filtered, %" PRIu64 " sampled out, %" PRIu64
		    " without IP, %" PRIu64 " metered into %" PRIu64 " flows (%" PRIu64
		    " expired in an emergency)",
		    ofd_pcapfile_stats(pf)->frames, s->filtered, st->sampled_out, st->not_ip, st->metered,
		    st->exported, st->emergency_expired);
	if (filtering)
		pcap_freecode(&prog);
	ofd_pcapfile_close(pf);
	return 0;
}

static void packet_fini(struct ofd_segment *seg, void *state)
{
	struct packet_state *s = state;
	(void)seg;
	ofd_afcap_close(s->afcap);
	s->afcap = NULL;
	ofd_meter_free(s->meter);
	s->meter = NULL;
	if (s->live)
		pcap_close(s->live);
	s->live = NULL;
}

static void packet_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	(void)seg;
	ofd_afcap_collect(((struct packet_state *)state)->afcap, sink); /* method pcapgo */
}

static const struct ofd_cfg_key packet_keys[] = {
    OFD_KEY("method", OFD_CFG_ENUM, struct packet_state, method, .def = "pcapgo", .choices = packet_methods,
	    .help =
		"file: read a capture file (pcap or pcapng, plain or gzip); pcap: capture on an interface "
		"with libpcap; pcapgo: capture with AF_PACKET rings in `workers` threads (as the bpf input)"),
    OFD_KEY("source", OFD_CFG_STRING, struct packet_state, source, .required = 1,
	    .help = "the capture file (method file), or the interface (live methods)"),
    OFD_KEY("filter", OFD_CFG_STRING, struct packet_state, filter,
	    .help = "BPF filter as tcpdump takes it (none: every packet)"),
    OFD_KEY("activetimeout", OFD_CFG_DURATION, struct packet_state, active_ns, .def = "30m",
	    .help = "a flow longer than this is exported and goes on as a new one (0: never)"),
    OFD_KEY("inactivetimeout", OFD_CFG_DURATION, struct packet_state, inactive_ns, .def = "15s",
	    .help = "a flow without packets for this long is exported (0: never)"),
    OFD_KEY("endtimeout", OFD_CFG_DURATION, struct packet_state, end_ns, .def = "5s",
	    .help = "a TCP flow is exported this long after both directions sent a FIN or either a RST"),
    OFD_KEY("maxflows", OFD_CFG_UINT, struct packet_state, maxflows, .def = "65536", .min = 1,
	    .max = 268435456,
	    .help = "flows in the cache at most (memory is allocated at start, about 180 bytes a flow); "
		    "a new flow beyond evicts the least recently seen, counted as emergency_expired"),
    OFD_KEY("sample", OFD_CFG_UINT, struct packet_state, sample, .def = "1", .min = 1, .max = 4294967295.0,
	    .help = "meter 1 in N packets; the records carry N as their sampling rate"),
    OFD_KEY("sampling", OFD_CFG_ENUM, struct packet_state, sampling, .def = "deterministic",
	    .choices = packet_samplings,
	    .help = "deterministic: every N-th packet; random: each with probability 1/N"),
    OFD_KEY("seed", OFD_CFG_UINT, struct packet_state, seed, .def = "1",
	    .help = "random sampling's generator seed (the same seed samples the same packets)"),
    OFD_KEY("workers", OFD_CFG_UINT, struct packet_state, workers, .def = "0", .max = OFD_AFCAP_MAX_WORKERS,
	    .help = "method pcapgo: capture threads, each with its own ring in one fanout group and its own "
		    "flow cache, maxflows shared out among them (0: one per core, at most 8)"),
    OFD_KEY("buffersize", OFD_CFG_SIZE, struct packet_state, buffersize, .def = "4M", .min = 1,
	    .max = 4294967296.0,
	    .help = "method pcapgo: bytes of ring per worker (whole pages; about 16,000 packets' headers "
		    "a megabyte); packets that find it full are counted in capture_dropped"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_packet = {
    OFD_SEGMENT_VERSION,
    .name = "packet",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "meter packets into flows, from a capture file or an interface (libpcap or AF_PACKET)",
    .state_size = sizeof(struct packet_state),
    .config = packet_keys,
    .counters = packet_counters,
    .metrics = ofd_afcap_metrics,
    .collect = packet_collect,
    .check = packet_check,
    .init = packet_init,
    .start = packet_start,
    .fini = packet_fini,
};
