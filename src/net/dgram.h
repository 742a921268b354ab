/*
 * One received datagram, as the UDP listeners and the capture reader hand it on: the bytes
 * (valid only during the callback that receives it), where it came from and when.
 */
#ifndef OFD_NET_DGRAM_H
#define OFD_NET_DGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/flow.h"

struct ofd_dgram {
	const uint8_t *data;
	size_t len;
	struct ofd_ip src; /* the sender's address as seen by us (an exporter's) */
	uint16_t src_port;
	uint64_t time_ns; /* receive time (capture time for files) */
};

#endif
