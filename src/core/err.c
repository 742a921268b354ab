#include "ofd/err.h"

#include <string.h>

const char *ofd_strerror(int err)
{
	switch (err) {
	case OFD_OK: return "success";
	case OFD_ETRUNC: return "truncated input";
	case OFD_EVERSION: return "unknown version";
	case OFD_EFORMAT: return "malformed input";
	case OFD_ELIMIT: return "limit reached";
	case OFD_ENOTFOUND: return "not found";
	case OFD_ECONFIG: return "configuration error";
	case OFD_EUNSUPPORTED: return "unsupported";
	case OFD_EEOF: return "end of input";
	default: break;
	}
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
