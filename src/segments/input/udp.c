/*
 * udp: receives NetFlow v5/v9, IPFIX and sFlow v5 export datagrams on the sockets of a listen
 * string (src/net/udp.h) and decodes them (src/decode/decode.h) into the pipeline. The sockets
 * are bound at init, so that a taken port refuses the start. Records go on when a batch is
 * full, and at once whenever the sockets go quiet; ofd_segment_stopping() is checked at least
 * every 100 ms. Decoder and socket counters are reported as they change.
 */
#include <stddef.h>
#include <string.h>

#include "decode/decode.h"
#include "net/udp.h"
#include "ofd/segment.h"
#include "udp_seg.h"

#define UDP_POLL_MS 100
#define UDP_QUIET   64 /* fewer datagrams than this in one poll: the sockets went quiet */

struct udp_state {
	char *listen;
	uint64_t rcvbuf;
	struct ofd_udp *udp;
	struct ofd_decoder *dec;
	struct ofd_segment *seg; /* during start() */
};

static int udp_init(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	int err;
	if (s->rcvbuf > INT32_MAX) {
		ofd_err("%s:%u: segment %s: key rcvbuf: at most 2G", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg));
		return OFD_ECONFIG;
	}
	err = ofd_decoder_new(&s->dec, NULL);
	if (err)
		return err;
	err = ofd_udp_open(&s->udp, s->listen, (int)s->rcvbuf);
	if (err) {
		ofd_err("%s:%u: segment %s: cannot listen on %s: %s", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg), s->listen, ofd_strerror(err));
		s->udp = NULL;
		return err;
	}
	return 0;
}

uint16_t ofd_seg_udp_port(const void *state, unsigned i)
{
	const struct udp_state *s = state;
	return s->udp ? ofd_udp_port(s->udp, i) : 0;
}

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct udp_state *s = ctx;
	(void)ofd_decode(s->dec, dg, ofd_input_batch(s->seg));
}

/* Decoder counters with the sockets' drops added. */
static void udp_report(struct udp_state *s)
{
	struct ofd_decode_stats st = s->dec->st;
	const struct ofd_udp_stats *us = ofd_udp_stats(s->udp);
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		st.drops[i] += us->drops[i];
	ofd_input_decode_stats(s->seg, &st);
}

static int udp_start(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	int rc = 0;
	unsigned polls = 0;
	s->seg = seg;
	while (!ofd_segment_stopping(seg)) {
		int n = ofd_udp_poll(s->udp, UDP_POLL_MS, on_dgram, s);
		if (n < 0) {
			ofd_err("segment %s: receive failed: %s", ofd_segment_name(seg), ofd_strerror(n));
			rc = n;
			break;
		}
		if (n < UDP_QUIET)
			ofd_input_flush(seg);
		if (n == 0 || ++polls % 64 == 0)
			udp_report(s);
	}
	ofd_input_flush(seg);
	udp_report(s);
	return rc;
}

static void udp_fini(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	(void)seg;
	ofd_udp_close(s->udp);
	ofd_decoder_free(s->dec);
	s->udp = NULL;
	s->dec = NULL;
}

static const struct ofd_cfg_key udp_keys[] = {
    {"listen", OFD_CFG_STRING, offsetof(struct udp_state, listen), "sflow://:6343,netflow://:2055", 0, 0, 0,
     NULL,
     "comma-separated sockets, scheme://[address]:port with scheme udp, netflow or sflow (all alike: the "
     "format is told by each datagram); no address: every IPv4 and IPv6 address"},
    {"rcvbuf", OFD_CFG_SIZE, offsetof(struct udp_state, rcvbuf), "0", 0, 0, 0, NULL,
     "socket receive buffer (SO_RCVBUF, e.g. 16M); 0 keeps the system default"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct ofd_segment_type ofd_seg_udp = {
    .abi = OFD_SEGMENT_ABI,
    .name = "udp",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "receive and decode NetFlow v5/v9, IPFIX and sFlow v5 on UDP sockets",
    .state_size = sizeof(struct udp_state),
    .config = udp_keys,
    .init = udp_init,
    .start = udp_start,
    .fini = udp_fini,
};
