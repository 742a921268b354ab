/*
 * The inputs' summary on stderr, for the pcap and udp segments' `summary: true` (what
 * `overflowd dump` and the tracer modes -f/-u print): per source its datagrams and drops, the
 * template state file's load and save, then the decoder's counters (ofd_decode_stats_print).
 * Plain lines, no log prefix, in the words the command line always used:
 *
 *   FILE: frames N, udp datagrams N          LISTEN: udp datagrams N
 *     capture dropped REASON: N                socket dropped REASON: N
 *   template state FILE: no file yet | loaded ... | saved N templates of N exporters
 *   datagrams N, records N  (and the decoder's breakdown)
 */
#ifndef OFD_SEG_COMMON_INSUM_H
#define OFD_SEG_COMMON_INSUM_H

#include <stdint.h>

#include "decode/tmpl_state.h"

/* "  WHAT dropped REASON: N" for every non-zero drops[0..OFD_DROP__COUNT). */
void ofd_insum_drops(const char *what, const uint64_t *drops);

/* What loading the template state file did (info from ofd_tmpl_state_load at now_ns). */
void ofd_insum_state_loaded(const char *path, const struct ofd_tmpl_state_info *info, uint64_t now_ns);

/* The template state file was written with this many templates of this many exporters. */
void ofd_insum_state_saved(const char *path, uint32_t templates, uint32_t exporters);

#endif
