/*
 * The built-in segments: X(name) for each `const struct ofd_segment_type ofd_seg_<name>`
 * defined in src/segments/. `branch` is not listed: the pipeline engine implements it.
 */
#ifndef OFD_SEGMENTS_BUILTIN_H
#define OFD_SEGMENTS_BUILTIN_H

#include "ofd/segment.h"

#define OFD_BUILTIN_SEGMENTS(X)                                                                              \
	X(udp)                                                                                               \
	X(pcap)                                                                                              \
	X(stdin)                                                                                             \
	X(flowfilter)                                                                                        \
	X(drop)                                                                                              \
	X(pass)                                                                                              \
	X(limit)                                                                                             \
	X(elephant)                                                                                          \
	X(sync_timestamps)                                                                                   \
	X(dropfields)                                                                                        \
	X(json)                                                                                              \
	X(csv)                                                                                               \
	X(print)                                                                                             \
	X(count)                                                                                             \
	X(tracer)

#define OFD_DECLARE_SEGMENT(name) extern const struct ofd_segment_type ofd_seg_##name;
OFD_BUILTIN_SEGMENTS(OFD_DECLARE_SEGMENT)
#undef OFD_DECLARE_SEGMENT

#endif
