/* The udp input segment's extra, for tests: the port its socket i is bound to (after init). */
#ifndef OFD_SEG_UDP_H
#define OFD_SEG_UDP_H

#include <stdint.h>

uint16_t ofd_seg_udp_port(const void *state, unsigned i);

#endif
