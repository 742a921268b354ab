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
 * the file every flow still in the cache is emitted. The live methods (`pcap`, `pcapgo`:
 * flowpipeline's libpcap and pure-Go capture) are not built yet and refused at start. Records
 * are local (origin OFD_ORIGIN_LOCAL), flow type unknown, in_if 0 for files.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode/pcapfile.h"
#include "meter/meter.h"
#include "ofd/segment.h"

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
	/* running */
	struct ofd_meter *meter;
	struct ofd_meter_stats pub; /* as last counted */
	uint64_t filtered, pub_filtered;
};

enum { C_PACKETS, C_FILTERED, C_SAMPLED_OUT, C_NOT_IP, C_FLOWS, C_EMERGENCY, C_FRAG_UNMATCHED };
static const char *const packet_counters[] = {"packets", "filtered",	      "sampled_out",	"not_ip",
					      "flows",	 "emergency_expired", "frag_unmatched", NULL};

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
	if (s->method != M_FILE) {
		snprintf(err, errlen,
			 "method %s: live capture is not built yet (issue 18); method: file reads a capture",
			 packet_methods[s->method]);
		return OFD_ECONFIG;
	}
	if (!s->source || !*s->source) {
		snprintf(err, errlen, "source: required (the capture file for method file)");
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

static int packet_init(struct ofd_segment *seg, void *state)
{
	struct packet_state *s = state;
	struct ofd_pcapfile *pf;
	int err = ofd_pcapfile_open(&pf, s->source); /* logs the reason with the path */
	if (err)
		return err;
	ofd_pcapfile_close(pf);
	struct ofd_meter_cfg c;
	ofd_meter_cfg_default(&c);
	c.active_ns = s->active_ns;
	c.inactive_ns = s->inactive_ns;
	c.end_ns = s->end_ns;
	c.maxflows = (uint32_t)s->maxflows;
	c.sample = (uint32_t)s->sample;
	c.sampling = s->sampling;
	c.seed = s->seed;
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
	s->pub = *st;
	s->pub_filtered = s->filtered;
}

static int packet_start(struct ofd_segment *seg, void *state)
{
	struct packet_state *s = state;
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
	ofd_meter_free(s->meter);
	s->meter = NULL;
}

static const struct ofd_cfg_key packet_keys[] = {
    OFD_KEY("method", OFD_CFG_ENUM, struct packet_state, method, .def = "pcap", .choices = packet_methods,
	    .help = "file: read a capture file (pcap or pcapng, plain or gzip); pcap, pcapgo: live capture "
		    "(not built yet)"),
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
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_packet = {
    OFD_SEGMENT_VERSION,
    .name = "packet",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "meter packets into flows (a capture file; live capture not built yet)",
    .state_size = sizeof(struct packet_state),
    .config = packet_keys,
    .counters = packet_counters,
    .check = packet_check,
    .init = packet_init,
    .start = packet_start,
    .fini = packet_fini,
};
