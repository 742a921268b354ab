/* Flow records built in code for tests of formatters, parsers and segments. */
#ifndef OFD_GEN_FLOW_H
#define OFD_GEN_FLOW_H

#include "ofd/flow.h"

/* The reference NetFlow v5 record (192.0.2.129:123 -> 198.51.100.2:44321 UDP, 10 packets,
   15,000 bytes, exporter 122.166.4.242) that the exact-text tests of the outputs expect. */
void gen_sample_flow(struct ofd_flow *f);

#endif
