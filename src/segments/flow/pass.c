/* pass: passes every flow unchanged (a placeholder, e.g. in a branch). */
#include "ofd/segment.h"

static void pass_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

/* flowpipeline's pass takes any key (its documentation shows one) and uses none */
static const struct ofd_cfg_key pass_keys[] = {
    {.key = "*",
     .type = OFD_CFG_IGNORED,
     .help = "pass uses no config; any key is accepted, as by flowpipeline"},
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_pass = {
    OFD_SEGMENT_VERSION,
    .name = "pass",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "pass every flow unchanged",
    .state_size = 0,
    .config = pass_keys,
    .process = pass_process,
};
