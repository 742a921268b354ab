/*
 * pcap: reads export datagrams from capture files (pcap or pcapng, plain or gzip; see
 * src/decode/pcapfile.h), one after the other, and decodes them into the pipeline, as
 * `overflowd dump FILE...` does. The input ends when the last file ends. Every file is opened
 * once at init, so that a missing or unreadable one refuses the start. Frames that are not
 * export datagrams and truncated captures are counted with the decoder's drops.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/decode_metrics.h"
#include "decode/pcapfile.h"
#include "ofd/segment.h"

struct pcap_state {
	struct ofd_strlist filename;
	struct ofd_decoder *dec;
	uint64_t drops[OFD_DROP__COUNT]; /* capture drops of the files done so far */
	int mu_ok;
	pthread_mutex_t mu;	     /* pub */
	struct ofd_decode_stats pub; /* the counters as last published, for collect() */
};

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
	return ofd_decoder_new(&s->dec, NULL);
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
			if ((n & 4095) == 0)
				pcap_report(s, pf);
		}
	}
	const struct ofd_pcap_stats *ps = ofd_pcapfile_stats(pf);
	ofd_debug("%s: frames %" PRIu64 ", udp datagrams %" PRIu64, path, ps->frames, ps->datagrams);
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		s->drops[i] += ps->drops[i];
	ofd_pcapfile_close(pf);
	return stopped;
}

static int pcap_start(struct ofd_segment *seg, void *state)
{
	struct pcap_state *s = state;
	int rc = 0;
	for (size_t i = 0; i < s->filename.n && !ofd_segment_stopping(seg); i++)
		if (pcap_file(seg, s, s->filename.v[i], &rc))
			break;
	ofd_input_flush(seg);
	pcap_report(s, NULL);
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
