#include "ofd/flow.h"

const char *ofd_flow_type_name(unsigned type)
{
	switch (type) {
	case OFD_FT_SFLOW_5: return "SFLOW_5";
	case OFD_FT_NETFLOW_V5: return "NETFLOW_V5";
	case OFD_FT_NETFLOW_V9: return "NETFLOW_V9";
	case OFD_FT_IPFIX: return "IPFIX";
	default: return "UNKNOWN";
	}
}
