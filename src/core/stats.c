#include "ofd/stats.h"

static const char *const drop_names[OFD_DROP__COUNT] = {
    [OFD_DROP_TRUNCATED] = "truncated",
    [OFD_DROP_BAD_VERSION] = "bad_version",
    [OFD_DROP_BAD_LENGTH] = "bad_length",
    [OFD_DROP_UNKNOWN_TEMPLATE] = "unknown_template",
    [OFD_DROP_TEMPLATE_LIMIT] = "template_limit",
    [OFD_DROP_BAD_TEMPLATE] = "bad_template",
    [OFD_DROP_MALFORMED_SAMPLE] = "malformed_sample",
    [OFD_DROP_UNKNOWN_SAMPLE] = "unknown_sample",
    [OFD_DROP_NOT_UDP] = "not_udp",
    [OFD_DROP_FRAGMENT] = "ip_fragment",
    [OFD_DROP_BAD_FRAME] = "bad_frame",
    [OFD_DROP_CAPTURE_TRUNCATED] = "capture_truncated",
    [OFD_DROP_SOCKET] = "socket_error",
    [OFD_DROP_KERNEL] = "kernel_drop",
    [OFD_DROP_UNLISTED_EXPORTER] = "unlisted_exporter",
    [OFD_DROP_PARTIAL_SET] = "partial_set",
};

const char *ofd_drop_name(enum ofd_drop d)
{
	if ((unsigned)d >= OFD_DROP__COUNT || !drop_names[d])
		return "unknown";
	return drop_names[d];
}
