/* toptalkers_metrics and traffic_specific_toptalkers: what their test reads of the state. */
#ifndef OFD_SEG_TOPTALKERS_METRICS_H
#define OFD_SEG_TOPTALKERS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct ofd_segment;

/* The port the segment's HTTP server is bound to (0: none), and the bytes its tables take. */
uint16_t ttm_port(const void *state);
size_t ttm_memory(const void *state);

#endif
