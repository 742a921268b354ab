/*
 * Capture files as a source of export datagrams: pcap or pcapng, plain or gzip-compressed
 * (libpcap reads, zlib inflates through a stdio cookie). Link types: Ethernet (with 802.1Q/QinQ),
 * Linux cooked (SLL, SLL2), raw IP, BSD loopback (NULL/LOOP). IPv4 and IPv6; UDP only. Other
 * frames are skipped and counted; a file cut short ends the stream with the truncation counted.
 */
#ifndef OFD_PCAPFILE_H
#define OFD_PCAPFILE_H

#include <stdint.h>

#include "decode.h"
#include "ofd/stats.h"

struct ofd_pcapfile;

struct ofd_pcap_stats {
	uint64_t frames;    /* frames read from the file */
	uint64_t datagrams; /* UDP datagrams handed out */
	uint64_t drops[OFD_DROP__COUNT];
};

/* Open a capture. Errors (missing file, not a capture) are logged with the path. */
int ofd_pcapfile_open(struct ofd_pcapfile **out, const char *path) OFD_MUST_CHECK;

/*
 * The next UDP datagram: dg->data points into the reader's buffer and stays valid until the
 * next call; dg->time_ns is the capture timestamp; dst_port (may be NULL) gets the UDP
 * destination port. Returns 1 for a datagram, 0 at the end of the file (a truncated file ends
 * here too, counted under OFD_DROP_CAPTURE_TRUNCATED and logged once).
 */
int ofd_pcapfile_next(struct ofd_pcapfile *pf, struct ofd_dgram *dg, uint16_t *dst_port);

/* A captured frame, as ofd_pcapfile_next_frame hands it out. */
struct ofd_frame {
	const uint8_t *data; /* valid until the next call */
	uint32_t caplen;     /* bytes captured */
	uint32_t len;	     /* bytes on the wire */
	uint64_t time_ns;
};

/*
 * The next frame, whatever it holds (for packet metering: src/meter/); frames counts it.
 * Returns 1 for a frame, 0 at the end of the file (a truncated file as ofd_pcapfile_next).
 * Not to be mixed with ofd_pcapfile_next on one reader.
 */
int ofd_pcapfile_next_frame(struct ofd_pcapfile *pf, struct ofd_frame *fr);

/* libpcap's DLT_ value as enum ofd_link (decode/pkt.h), or -1 for a link type we do not read. */
int ofd_pcap_link_from_dlt(int dlt);

/* The capture's link type: enum ofd_link (decode/pkt.h) and libpcap's DLT_ value. */
int ofd_pcapfile_link(const struct ofd_pcapfile *pf);
int ofd_pcapfile_dlt(const struct ofd_pcapfile *pf);

const struct ofd_pcap_stats *ofd_pcapfile_stats(const struct ofd_pcapfile *pf);

void ofd_pcapfile_close(struct ofd_pcapfile *pf);

#endif
