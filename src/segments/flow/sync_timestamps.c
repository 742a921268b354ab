/*
 * sync_timestamps: fills missing flow times from the ones that are there (flowpipeline's
 * segment of that name fills each time from its other precisions; a record here holds every
 * time in ns, so what is left to fill is one time from another). A time is missing when it is
 * 0. In this order:
 *   - start missing, end there: start = end; end missing, start there: end = start;
 *   - both missing: start = end = time_received_ns (when that is there);
 *   - time_received_ns missing: time_received_ns = end (when that is there).
 * A filled time gets its present bit. Times that are there are never changed.
 */
#include "ofd/segment.h"

static void sync_one(struct ofd_flow *f)
{
	uint64_t *start = &f->time_flow_start_ns, *end = &f->time_flow_end_ns;
	if (!*start && *end) {
		*start = *end;
		ofd_flow_set(f, OFD_F_TIME_FLOW_START);
	} else if (*start && !*end) {
		*end = *start;
		ofd_flow_set(f, OFD_F_TIME_FLOW_END);
	} else if (!*start && !*end && f->time_received_ns) {
		*start = *end = f->time_received_ns;
		ofd_flow_set(f, OFD_F_TIME_FLOW_START);
		ofd_flow_set(f, OFD_F_TIME_FLOW_END);
	}
	if (!f->time_received_ns && *end) {
		f->time_received_ns = *end;
		ofd_flow_set(f, OFD_F_TIME_RECEIVED);
	}
}

static void sync_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i))
			sync_one(&b->flows[i]);
}

const struct ofd_segment_type ofd_seg_sync_timestamps = {
    OFD_SEGMENT_VERSION,
    .name = "sync_timestamps",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "fill missing flow start/end times from each other or from the receive time",
    .state_size = 0,
    .config = NULL,
    .process = sync_process,
};
