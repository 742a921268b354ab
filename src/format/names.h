/*
 * The IANA protocol-numbers table behind ofd_proto_keyword() (format/flowfmt.h), for writers
 * that copy a keyword with its length on their hot path.
 */
#ifndef OFD_FORMAT_NAMES_H
#define OFD_FORMAT_NAMES_H

#include <stdint.h>

struct ofd_proto_name {
	char s[16];
	uint8_t n; /* its length; 0: the registry has none */
};

/* Indexed by protocol number: the keyword goflow2 v2.2 prints, n == 0 where the registry has
   none (61, 63, 68, 99, 114, 146-255). */
extern const struct ofd_proto_name ofd_iana_proto[256];

#endif
