/* Error codes: 0 or a negative value. Negative errno where one exists, project codes from -1000. */
#ifndef OFD_ERR_H
#define OFD_ERR_H

#include "api.h"

#include <errno.h>

#define OFD_MUST_CHECK __attribute__((warn_unused_result))

enum {
	OFD_OK = 0,
	OFD_ETRUNC = -1000,   /* input shorter than it claims */
	OFD_EVERSION = -1001, /* unknown protocol version */
	OFD_EFORMAT = -1002,  /* malformed input */
	OFD_ELIMIT = -1003,   /* a configured bound was reached */
	OFD_ENOTFOUND = -1004,
	OFD_ECONFIG = -1005,
	OFD_EUNSUPPORTED = -1006,
	OFD_EEOF = -1007,
};

/* Name an error code; never returns NULL. */
OFD_API const char *ofd_strerror(int err);

#endif
