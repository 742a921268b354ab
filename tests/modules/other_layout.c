/*
 * A custom segment module as if built against another record layout (headers of another
 * overflowd): its descriptor carries a different OFD_SEGMENT_LAYOUT. test_registry loads it and
 * expects it refused with both layouts named.
 */
#include "ofd/segment.h"

static void other_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

static const struct ofd_segment_type other = {
    .abi = OFD_SEGMENT_ABI,
    .layout = OFD_SEGMENT_LAYOUT ^ 0x5a5a0000u,
    .name = "other_layout",
    .kind = OFD_SEG_FLOW,
    .summary = "built against another record layout",
    .process = other_process,
};

__attribute__((visibility("default"))) const struct ofd_segment_type *ofd_segments[] = {&other, NULL};
