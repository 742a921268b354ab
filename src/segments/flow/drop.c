/* drop: drops every flow (ends a pipeline, or the `else` side of a branch). */
#include "ofd/segment.h"

static void drop_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	memset(b->live, 0, sizeof(b->live));
}

const struct ofd_segment_type ofd_seg_drop = {
    OFD_SEGMENT_VERSION,	  .name = "drop",  .kind = OFD_SEG_FLOW, .flags = OFD_SEGF_PARALLEL,
    .summary = "drop every flow", .state_size = 0, .config = NULL,	 .process = drop_process,
};
