/*
 * Capture files as a source of export datagrams.
 *
 * libpcap reads both pcap and pcapng; a gzip-compressed file (magic 1f 8b) is inflated by zlib
 * and handed to libpcap as a stdio stream made with fopencookie(). Timestamps are read at
 * nanosecond precision whatever the file holds. Frames are parsed by ofd_pkt_parse() down to
 * the UDP payload.
 *
 * IP fragments are NOT reassembled: every fragment (first or later) of a UDP datagram is
 * counted under OFD_DROP_FRAGMENT and skipped. Export datagrams are normally sent unfragmented
 * (NetFlow and sFlow exporters keep them under the path MTU).
 */
#include "pcapfile.h"

#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ofd/log.h"
#include "pkt.h"

struct ofd_pcapfile {
	pcap_t *pc;
	int link; /* enum ofd_link */
	int done; /* end of file (or truncation) seen */
	struct ofd_pcap_stats st;
	char *iobuf; /* the stream's buffer: libpcap reads frame by frame, stdio batches the reads */
	char path[]; /* for log messages */
};

/* stdio cookie over a gzFile: read and close only. */
static ssize_t gz_cookie_read(void *cookie, char *buf, size_t size)
{
	if (size > INT_MAX)
		size = INT_MAX;
	int n = gzread((gzFile)cookie, buf, (unsigned)size);
	return n < 0 ? -1 : n;
}

static int gz_cookie_close(void *cookie)
{
	return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

#define CAPTURE_BUF (256u << 10)

/* A stdio stream that inflates `path`. Returns NULL (errno set) on failure. */
static FILE *gz_fopen(const char *path, char *iobuf)
{
	static const cookie_io_functions_t io = {
	    .read = gz_cookie_read,
	    .write = NULL,
	    .seek = NULL,
	    .close = gz_cookie_close,
	};
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	gzbuffer(gz, 1 << 17);
	FILE *f = fopencookie(gz, "rb", io);
	if (!f)
		gzclose(gz);
	else
		setvbuf(f, iobuf, _IOFBF, CAPTURE_BUF);
	return f;
}

/* Open `path` for reading, inflating it if it starts with the gzip magic. */
static int capture_fopen(FILE **out, const char *path, char *iobuf)
{
	unsigned char magic[2] = {0, 0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	setvbuf(f, iobuf, _IOFBF, CAPTURE_BUF);
	size_t n = fread(magic, 1, sizeof(magic), f);
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		fclose(f);
		f = gz_fopen(path, iobuf);
		if (!f)
			return errno ? -errno : -ENOMEM;
	} else if (fseek(f, 0, SEEK_SET) != 0) {
		int err = -errno;
		fclose(f);
		return err;
	}
	*out = f;
	return 0;
}

int ofd_pcap_link_from_dlt(int dlt)
{
	if (dlt == DLT_NULL)
		return OFD_LINK_NULL;
	if (dlt == DLT_EN10MB)
		return OFD_LINK_ETHERNET;
	if (dlt == DLT_LOOP)
		return OFD_LINK_LOOP;
	/* raw IP: DLT_RAW is 12 on most systems, 14 on some BSDs; LINKTYPE_RAW is 101 */
	if (dlt == DLT_RAW || dlt == 12 || dlt == 14 || dlt == 101)
		return OFD_LINK_RAW;
	if (dlt == DLT_LINUX_SLL)
		return OFD_LINK_SLL;
#ifdef DLT_LINUX_SLL2
	if (dlt == DLT_LINUX_SLL2)
		return OFD_LINK_SLL2;
#else
	if (dlt == 276)
		return OFD_LINK_SLL2;
#endif
	if (dlt == 228)
		return OFD_LINK_IPV4;
	if (dlt == 229)
		return OFD_LINK_IPV6;
	return -1;
}

int ofd_pcapfile_open(struct ofd_pcapfile **out, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	size_t plen = strlen(path);
	struct ofd_pcapfile *pf = calloc(1, sizeof(*pf) + plen + 1);
	if (!pf)
		return -ENOMEM;
	memcpy(pf->path, path, plen + 1);
	int err = -ENOMEM;
	pf->iobuf = malloc(CAPTURE_BUF);
	if (!pf->iobuf)
		goto free_pf;

	FILE *f = NULL;
	err = capture_fopen(&f, path, pf->iobuf);
	if (err) {
		ofd_err("%s: cannot open: %s", path, strerror(-err));
		goto free_pf;
	}
	pf->pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pf->pc) {
		/* on failure libpcap leaves the stream to us */
		fclose(f);
		ofd_err("%s: not a pcap or pcapng capture: %s", path, errbuf);
		err = OFD_EFORMAT;
		goto free_pf;
	}
	int dlt = pcap_datalink(pf->pc);
	pf->link = ofd_pcap_link_from_dlt(dlt);
	if (pf->link < 0) {
		const char *name = pcap_datalink_val_to_name(dlt);
		ofd_err("%s: unsupported link type %d (%s); supported: Ethernet, Linux cooked (SLL, SLL2), "
			"raw IP, BSD loopback",
			path, dlt, name ? name : "unknown");
		err = OFD_EUNSUPPORTED;
		goto close_pcap;
	}
	*out = pf;
	return 0;
close_pcap:
	pcap_close(pf->pc); /* closes the stream too */
free_pf:
	free(pf->iobuf);
	free(pf);
	return err;
}

/* Count a frame we skip. */
static void frame_drop(struct ofd_pcapfile *pf, enum ofd_drop why)
{
	pf->st.drops[why]++;
}

/*
 * Classify one frame: 1 and the datagram filled in when it is a UDP datagram, 0 when it was
 * skipped (and counted). A datagram cut by the snaplen after its UDP header is handed over as
 * captured and counted as capture_truncated: the decoder keeps what fits and counts what it
 * loses (a cut v9/IPFIX data set as partial_set, other cuts as truncated). Both are counted
 * because a NetFlow v9 datagram cut between two flowsets has no length that would tell the
 * decoder what is missing: the frame's count keeps that loss from being silent.
 */
static int frame_udp(struct ofd_pcapfile *pf, const struct pcap_pkthdr *h, const uint8_t *data,
		     struct ofd_dgram *dg, uint16_t *dst_port)
{
	struct ofd_pkt p;
	int cut = h->caplen < h->len; /* snaplen cut the frame */
	memset(&p, 0, sizeof(p));
	int rc = ofd_pkt_parse(&p, pf->link, data, h->caplen);
	if (rc == OFD_EUNSUPPORTED) {
		frame_drop(pf, OFD_DROP_NOT_UDP); /* ARP, LLDP, ... */
		return 0;
	}
	if (rc < 0) {
		frame_drop(pf, rc == OFD_ETRUNC && cut ? OFD_DROP_CAPTURE_TRUNCATED : OFD_DROP_BAD_FRAME);
		return 0;
	}
	if (p.proto != 17) {
		frame_drop(pf, OFD_DROP_NOT_UDP);
		return 0;
	}
	if (p.layers & OFD_PKT_FRAG) {
		frame_drop(pf, OFD_DROP_FRAGMENT);
		return 0;
	}
	if (!p.udp_payload || p.udp_len < 8) {
		frame_drop(pf, cut ? OFD_DROP_CAPTURE_TRUNCATED : OFD_DROP_BAD_FRAME); /* no UDP header */
		return 0;
	}
	if (p.udp_payload_len < (size_t)p.udp_len - 8) {
		if (!cut) {
			frame_drop(pf, OFD_DROP_BAD_FRAME); /* fewer payload bytes than the UDP length says */
			return 0;
		}
		frame_drop(pf, OFD_DROP_CAPTURE_TRUNCATED); /* cut by the snaplen: decoded as captured */
	}
	dg->data = p.udp_payload;
	dg->len = p.udp_payload_len;
	dg->src = p.src;
	dg->src_port = p.src_port;
	dg->time_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec; /* ns precision */
	if (dst_port)
		*dst_port = p.dst_port;
	return 1;
}

/* The next frame of the file: 1, or 0 at its end (a cut counted and logged). */
static int next_raw(struct ofd_pcapfile *pf, struct pcap_pkthdr **h, const u_char **data)
{
	while (!pf->done) {
		int rc = pcap_next_ex(pf->pc, h, data);
		if (rc == 0)
			continue; /* live-capture timeout; never for files */
		if (rc == PCAP_ERROR_BREAK) {
			pf->done = 1;
			break;
		}
		if (rc < 0) {
			/* a file cut inside a frame (or unreadable from there on): the stream ends */
			pf->done = 1;
			pf->st.drops[OFD_DROP_CAPTURE_TRUNCATED]++;
			ofd_warn("%s: capture ends early after %llu frames: %s", pf->path,
				 (unsigned long long)pf->st.frames, pcap_geterr(pf->pc));
			break;
		}
		pf->st.frames++;
		return 1;
	}
	return 0;
}

int ofd_pcapfile_next(struct ofd_pcapfile *pf, struct ofd_dgram *dg, uint16_t *dst_port)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	while (next_raw(pf, &h, &data)) {
		if (frame_udp(pf, h, data, dg, dst_port)) {
			pf->st.datagrams++;
			return 1;
		}
	}
	return 0;
}

int ofd_pcapfile_next_frame(struct ofd_pcapfile *pf, struct ofd_frame *fr)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	if (!next_raw(pf, &h, &data))
		return 0;
	fr->data = data;
	fr->caplen = h->caplen;
	fr->len = h->len;
	fr->time_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec; /* ns precision */
	return 1;
}

int ofd_pcapfile_link(const struct ofd_pcapfile *pf)
{
	return pf->link;
}

int ofd_pcapfile_dlt(const struct ofd_pcapfile *pf)
{
	return pcap_datalink(pf->pc);
}

const struct ofd_pcap_stats *ofd_pcapfile_stats(const struct ofd_pcapfile *pf)
{
	return &pf->st;
}

void ofd_pcapfile_close(struct ofd_pcapfile *pf)
{
	if (!pf)
		return;
	pcap_close(pf->pc);
	free(pf->iobuf); /* after the stream that used it is closed */
	free(pf);
}
