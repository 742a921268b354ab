/* Drop reasons: every record or datagram we do not deliver is counted under one of these. */
#ifndef OFD_STATS_H
#define OFD_STATS_H

#include "api.h"

#include <stdint.h>

enum ofd_drop {
	/* decoders */
	OFD_DROP_TRUNCATED,	   /* shorter than its own header says */
	OFD_DROP_BAD_VERSION,	   /* not NetFlow v5/v9, IPFIX or sFlow v5 */
	OFD_DROP_BAD_LENGTH,	   /* lengths or counts that do not add up */
	OFD_DROP_UNKNOWN_TEMPLATE, /* a data set before (or without) its template */
	OFD_DROP_TEMPLATE_LIMIT,   /* a template refused by the per-exporter or total bounds */
	OFD_DROP_BAD_TEMPLATE,	   /* a malformed template or options template */
	OFD_DROP_MALFORMED_SAMPLE, /* an sFlow sample or record that does not parse */
	OFD_DROP_UNKNOWN_SAMPLE,   /* an sFlow sample or record type we do not decode (skipped) */
	/* capture files and sockets */
	OFD_DROP_NOT_UDP,	    /* a captured frame that is not an IPv4/IPv6 UDP datagram */
	OFD_DROP_FRAGMENT,	    /* an IP fragment (not reassembled) */
	OFD_DROP_BAD_FRAME,	    /* a captured frame whose link or IP header does not parse */
	OFD_DROP_CAPTURE_TRUNCATED, /* a capture cut short (frame or snaplen) */
	OFD_DROP_SOCKET,	    /* receive errors on a socket */
	OFD_DROP_KERNEL,	    /* the kernel's own socket drop counter */
	/* inputs */
	OFD_DROP_UNLISTED_EXPORTER, /* a datagram from an exporter not on the input's `exporters` list */
	/* decoders, later additions */
	OFD_DROP_PARTIAL_SET, /* a v9/IPFIX data set cut by the datagram's end: the whole records kept */
	OFD_DROP__COUNT
};

/* Stable snake_case name of a drop reason, for logs and metrics. */
OFD_API const char *ofd_drop_name(enum ofd_drop d);

#endif
