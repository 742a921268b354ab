/*
 * Live capture with AF_PACKET: a TPACKET_V3 receive ring (blocks of packets mmap'd between the
 * kernel and us; a block is handed over when full or when its retire timeout passes), a
 * classic BPF program attached with SO_ATTACH_FILTER (the `filter` compiled by libpcap for the
 * device's link type; with none, one that only truncates to snaplen, so that the ring holds
 * headers, not payloads), promiscuous mode while the socket is open, and optionally
 * PACKET_FANOUT: several sockets on one device in one group, the kernel spreading packets over
 * them by a symmetric flow hash (PACKET_FANOUT_HASH: both directions of a connection, and every
 * fragment of a datagram, reach the same socket). One handle is used by one thread.
 *
 * Frames are handed out as the wire had them: a VLAN tag the NIC stripped (TP_STATUS_VLAN_VALID)
 * is put back in front of the EtherType. Drops are the kernel's PACKET_STATISTICS (packets that
 * found the ring full), read and summed by ofd_afp_stats().
 */
#ifndef OFD_NET_AFPACKET_H
#define OFD_NET_AFPACKET_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"

struct ofd_afp;

/* fanout of ofd_afp_cfg */
#define OFD_AFP_FANOUT_NONE (-1) /* a socket of its own */
#define OFD_AFP_FANOUT_NEW  (-2) /* start a new group (the kernel picks a free id) */

struct ofd_afp_cfg {
	const char *device;  /* interface name */
	const char *filter;  /* BPF as tcpdump takes it; NULL or "": every packet */
	uint64_t ring_bytes; /* ring size, rounded up to whole blocks (at least one page) */
	uint32_t snaplen;    /* bytes of each frame kept (headers); 0: 128 */
	uint32_t retire_ms;  /* a block not yet full is handed over after this long; 0: 50 */
	int fanout;	     /* OFD_AFP_FANOUT_NONE, _NEW, or a group id (0..65535) to join */
	int promisc;	     /* put the device into promiscuous mode while open */
};

struct ofd_afp_stats {
	uint64_t packets;  /* frames handed out */
	uint64_t kernel;   /* tp_packets: packets the filter passed (handed out, dropped or in the ring) */
	uint64_t drops;	   /* tp_drops: passed the filter, found no room in the ring */
	uint64_t freeze_q; /* tp_freeze_q_cnt: times the ring was full (the queue froze) */
	uint64_t blocks;   /* blocks read */
};

/*
 * Open, filter, map and bind a capture socket. Returns 0; or OFD_ECONFIG (no such device, a
 * filter that does not compile, a link type we do not read, a ring size out of range) or a
 * negative errno (no permission: -EPERM, the ring not granted: -ENOMEM), with the reason in err.
 */
int ofd_afp_open(struct ofd_afp **out, const struct ofd_afp_cfg *cfg, char *err,
		 size_t errlen) OFD_MUST_CHECK;
void ofd_afp_close(struct ofd_afp *a);

/* The fanout group id (after OFD_AFP_FANOUT_NEW: the one the kernel picked), -1 without. */
int ofd_afp_fanout_group(const struct ofd_afp *a);

/* The frames' link type, as a pcap DLT (DLT_EN10MB or DLT_RAW). */
int ofd_afp_dlt(const struct ofd_afp *a);
unsigned ofd_afp_ifindex(const struct ofd_afp *a);
/* The ring as mapped: block size and count. */
void ofd_afp_ring(const struct ofd_afp *a, uint32_t *block_size, uint32_t *block_nr);

/* A frame: `caplen` bytes of a frame `len` bytes long on the wire, stamped by the kernel. */
typedef void (*ofd_afp_fn)(void *ctx, const uint8_t *data, uint32_t caplen, uint32_t len, uint64_t ts_ns);

/*
 * Hand out the frames of every block the kernel has passed to us (at most the ring's count),
 * waiting up to timeout_ms (poll) when there is none. Returns the frames handed out (0 after
 * the wait), or a negative errno when the socket failed (-ENETDOWN: the device went away).
 */
int ofd_afp_read(struct ofd_afp *a, int timeout_ms, ofd_afp_fn fn, void *ctx);

/* The counters so far (the kernel's are read and summed here: call it from the reading thread). */
void ofd_afp_stats(struct ofd_afp *a, struct ofd_afp_stats *out);

/*
 * The filter (may be NULL or "") compiled for link type dlt, to check a config before opening
 * anything: 0, or OFD_ECONFIG with libpcap's reason in err.
 */
int ofd_afp_filter_check(const char *filter, int dlt, char *err, size_t errlen);

#endif
