/*
 * limit: passes the first `count` live records and drops every later one; once `count` have
 * passed it asks the pipeline to stop (ofd_segment_stop_pipeline), so that the inputs end and
 * the pipeline drains and finishes, as after SIGTERM. `overflowd dump --limit N` is this segment
 * before the output. Records already decoded when the stop is asked for are dropped here, so
 * exactly `count` records reach the segments after it (fewer when the inputs end first).
 *
 * One instance (no `jobs`): the count is over the whole stream, in its order.
 */
#include <stddef.h>
#include <string.h>

#include "ofd/segment.h"

struct limit_state {
	uint64_t count;	 /* config */
	uint64_t passed; /* records passed so far, at most count */
	int stopped;	 /* the stop was asked for */
};

static void limit_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct limit_state *s = state;
	uint64_t left = s->count - s->passed;
	uint32_t live = ofd_batch_live_count(b);
	if (live <= left) {
		s->passed += live;
	} else {
		for (uint32_t i = 0; i < b->n; i++) {
			if (!ofd_batch_is_live(b, i))
				continue;
			if (left) {
				left--;
				s->passed++;
			} else {
				ofd_batch_kill(b, i);
			}
		}
	}
	if (s->passed == s->count && !s->stopped) {
		s->stopped = 1;
		ofd_segment_stop_pipeline(seg);
	}
}

static const struct ofd_cfg_key limit_keys[] = {
    {.key = "count",
     .type = OFD_CFG_UINT,
     .offset = offsetof(struct limit_state, count),
     .required = 1,
     .min = 1,
     .max = 1e18,
     .help = "records to pass; later ones are dropped, and the pipeline is asked to stop once they passed"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_limit = {
    OFD_SEGMENT_VERSION,
    .name = "limit",
    .kind = OFD_SEG_FLOW,
    .flags = 0,
    .summary = "pass the first N records, drop the rest and stop the pipeline (dump --limit)",
    .state_size = sizeof(struct limit_state),
    .config = limit_keys,
    .process = limit_process,
};
