/* pass: passes every flow unchanged (a placeholder, e.g. in a branch). */
#include "ofd/segment.h"

static void pass_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

const struct ofd_segment_type ofd_seg_pass = {
    OFD_SEGMENT_VERSION,
    .name = "pass",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "pass every flow unchanged",
    .state_size = 0,
    .config = NULL,
    .process = pass_process,
};
