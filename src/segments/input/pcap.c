/*
 * pcap: reads export datagrams from capture files (pcap or pcapng, plain or gzip; see
 * src/decode/pcapfile.h), one after the other, and decodes them into the pipeline, as
 * `overflowd dump FILE...` does. The input ends when the last file ends. Every file is opened
 * once at init, so that a missing or unreadable one refuses the start. Frames that are not
 * export datagrams and truncated captures are counted with the decoder's drops. Its records are
 * local (origin OFD_ORIGIN_LOCAL: the operator chose the file), with export_bytes each captured
 * datagram's length over its records, as the decoder sets them (ofd_decode, decode.h).
 *
 * state_file keeps NetFlow v9 / IPFIX templates across runs (src/decode/tmpl_state.h): loaded
 * at init, saved every state_interval while reading and at the end. summary prints what
 * `overflowd dump` shows on stderr (summary.h): each file's frames and capture drops when it
 * ends, the state file's load and save, the decoder's counters at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "decode/decode_metrics.h"
#include "decode/pcapfile.h"
#include "decode/template.h"
#include "decode/tmpl_state.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/insum.h"

struct pcap_state {
	struct ofd_strlist filename;
	char *state_file;	    /* templates: loaded at init, saved at an interval and the end */
	uint64_t state_interval_ns; /* 0: only at the end */
	int summary;		    /* print dump's summary to stderr */
	uint64_t next_save_ns;	    /* CLOCK_MONOTONIC */
	struct ofd_decoder *dec;
	uint64_t drops[OFD_DROP__COUNT]; /* capture drops of the files done so far */
	int mu_ok;
	pthread_mutex_t mu;	     /* pub */
	struct ofd_decode_stats pub; /* the counters as last published, for collect() */
};

static int pcap_load_state(struct ofd_segment *seg, struct pcap_state *s)
{
	struct ofd_tmpl_state_info in;
	uint64_t now = ofd_time_now_ns(); /* template times are datagram times: wall clock */
	int err = ofd_tmpl_state_load(s->dec, s->state_file, now, &in);
	if (err)
		return err;
	ofd_decode_stats_refresh(s->dec);
	if (s->summary)
		ofd_insum_state_loaded(s->state_file, &in, now);
	else if (in.missing)
		ofd_info("segment %s: state file %s: none yet", ofd_segment_name(seg), s->state_file);
	else if (!in.ignored)
		ofd_info("segment %s: state file %s: %u templates, %u options templates of %u exporters "
			 "loaded (%u stale, %u refused)",
			 ofd_segment_name(seg), s->state_file, in.templates, in.options_templates,
			 in.exporters, in.stale, in.refused);
	return 0;
}

/* Write the state file (failures are logged by the save); with `final`, say so in the summary. */
static void pcap_save_state(struct pcap_state *s, int final)
{
	int err = ofd_tmpl_state_save((const struct ofd_decoder *const[]){s->dec}, 1, s->state_file);
	if (!err && final && s->summary)
		ofd_insum_state_saved(s->state_file, ofd_tmpl_cache_templates(s->dec->tc),
				      ofd_tmpl_cache_exporters(s->dec->tc));
}

static int pcap_init(struct ofd_segment *seg, void *state)
{
	struct pcap_state *s = state;
	if (!s->filename.n) {
		ofd_err("%s:%u: segment %s: key filename: required", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg));
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < s->filename.n; i++) {
		struct ofd_pcapfile *pf;
		int err = ofd_pcapfile_open(&pf, s->filename.v[i]); /* logs the reason with the path */
		if (err)
			return err;
		ofd_pcapfile_close(pf);
	}
	if (pthread_mutex_init(&s->mu, NULL))
		return -ENOMEM;
	s->mu_ok = 1;
	int err = ofd_decoder_new(&s->dec, NULL);
	if (!err && s->state_file)
		err = pcap_load_state(seg, s);
	return err;
}

static void pcap_report(struct pcap_state *s, const struct ofd_pcapfile *pf)
{
	struct ofd_decode_stats st = s->dec->st;
	const struct ofd_pcap_stats *ps = pf ? ofd_pcapfile_stats(pf) : NULL;
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		st.drops[i] += s->drops[i] + (ps ? ps->drops[i] : 0);
	pthread_mutex_lock(&s->mu);
	s->pub = st;
	pthread_mutex_unlock(&s->mu);
}

static void pcap_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct pcap_state *s = state;
	struct ofd_decode_stats *st = malloc(sizeof(*st));
	(void)seg;
	if (!st)
		return;
	pthread_mutex_lock(&s->mu);
	*st = s->pub;
	pthread_mutex_unlock(&s->mu);
	ofd_decode_metrics_put(sink, st);
	free(st);
}

/* Decode one file; 1 when stopped early. */
static int pcap_file(struct ofd_segment *seg, struct pcap_state *s, const char *path, int *rc)
{
	struct ofd_pcapfile *pf;
	int err = ofd_pcapfile_open(&pf, path);
	if (err) {
		*rc = err;
		return 0;
	}
	struct ofd_dgram dg;
	unsigned n = 0;
	int stopped = 0;
	while (ofd_pcapfile_next(pf, &dg, NULL) > 0) {
		(void)ofd_decode(s->dec, &dg, ofd_input_batch(seg));
		if ((++n & 63) == 0) {
			if (ofd_segment_stopping(seg)) {
				stopped = 1;
				break;
			}
			if ((n & 4095) == 0) {
				pcap_report(s, pf);
				if (s->state_file && s->state_interval_ns &&
				    ofd_time_mono_ns() >= s->next_save_ns) {
					pcap_save_state(s, 0);
					s->next_save_ns = ofd_time_mono_ns() + s->state_interval_ns;
				}
			}
		}
	}
	const struct ofd_pcap_stats *ps = ofd_pcapfile_stats(pf);
	if (s->summary) {
		fprintf(stderr, "%s: frames %" PRIu64 ", udp datagrams %" PRIu64 "\n", path, ps->frames,
			ps->datagrams);
		ofd_insum_drops("capture", ps->drops);
	} else {
		ofd_debug("%s: frames %" PRIu64 ", udp datagrams %" PRIu64, path, ps->frames, ps->datagrams);
	}
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		s->drops[i] += ps->drops[i];
	ofd_pcapfile_close(pf);
	return stopped;
}

static int pcap_start(struct ofd_segment *seg, void *state)
{
	struct pcap_state *s = state;
	int rc = 0;
	s->next_save_ns = ofd_time_mono_ns() + s->state_interval_ns;
	for (size_t i = 0; i < s->filename.n && !ofd_segment_stopping(seg); i++)
		if (pcap_file(seg, s, s->filename.v[i], &rc))
			break;
	ofd_input_flush(seg);
	pcap_report(s, NULL);
	if (s->state_file)
		pcap_save_state(s, 1);
	if (s->summary)
		ofd_decode_stats_print(&s->dec->st, "");
	return rc;
}

static void pcap_fini(struct ofd_segment *seg, void *state)
{
	struct pcap_state *s = state;
	(void)seg;
	ofd_decoder_free(s->dec);
	s->dec = NULL;
	if (s->mu_ok)
		pthread_mutex_destroy(&s->mu);
	s->mu_ok = 0;
}

static const struct ofd_cfg_key pcap_keys[] = {
    {.key = "filename",
     .type = OFD_CFG_STRLIST,
     .offset = offsetof(struct pcap_state, filename),
     .required = 1,
     .help = "capture file, or a list of them read in order: pcap or pcapng, plain or gzip-compressed, with "
	     "NetFlow/IPFIX/sFlow export datagrams over UDP"},
    {.key = "state_file",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct pcap_state, state_file),
     .help =
	 "NetFlow v9/IPFIX templates and options state: loaded at start, saved every state_interval and at "
	 "the end (none: not kept)"},
    {.key = "state_interval",
     .type = OFD_CFG_DURATION,
     .offset = offsetof(struct pcap_state, state_interval_ns),
     .def = "60s",
     .help = "how often the state file is written while reading (0: only at the end)"},
    {.key = "summary",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct pcap_state, summary),
     .def = "false",
     .help = "print each file's frames and drops, the state file's load and save and the decoder's counters "
	     "to stderr (as overflowd dump does)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_pcap = {
    OFD_SEGMENT_VERSION,
    .name = "pcap",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "decode the export datagrams in capture files (pcap, pcapng, gzip)",
    .state_size = sizeof(struct pcap_state),
    .config = pcap_keys,
    .metrics = ofd_decode_metrics,
    .collect = pcap_collect,
    .init = pcap_init,
    .start = pcap_start,
    .fini = pcap_fini,
};
