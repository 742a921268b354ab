/*
 * printdots: flowpipeline's print segment of that name. Counts the flows passing and writes a
 * dot (".") to standard output for every `flowsperdot` of them, as visual feedback that flows
 * arrive; every flow is passed on unchanged.
 *
 *   - segment: printdots
 *     config: {flowsperdot: 5000}
 *
 * The dots of one batch go out in one write (flowpipeline writes each dot by itself); a
 * flowsperdot of 0 prints a dot per flow, as flowpipeline does. Failed writes are counted.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "ofd/segment.h"

struct printdots_state {
	uint64_t flows_per_dot;
	uint64_t count; /* flows since the last dot */
};

enum { C_WRITE_ERRORS };
static const char *const printdots_counters[] = {"write_errors", NULL};

static void printdots_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct printdots_state *s = state;
	char dots[OFD_BATCH_CAP];
	size_t n = 0;
	uint64_t per = s->flows_per_dot ? s->flows_per_dot : 1;
	uint64_t live = ofd_batch_live_count(b);
	s->count += live;
	while (s->count >= per && n < sizeof(dots)) {
		dots[n++] = '.';
		s->count -= per;
	}
	if (n && write(STDOUT_FILENO, dots, n) != (ssize_t)n)
		ofd_segment_count(seg, C_WRITE_ERRORS, 1);
}

static const struct ofd_cfg_key printdots_keys[] = {
    OFD_KEY("flowsperdot", OFD_CFG_UINT, struct printdots_state, flows_per_dot, .def = "5000",
	    .max = 4294967295.0, .help = "flows per dot (0: a dot per flow)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_printdots = {
    OFD_SEGMENT_VERSION,
    .name = "printdots",
    .kind = OFD_SEG_OUTPUT,
    .summary = "print a dot to standard output for every flowsperdot flows",
    .state_size = sizeof(struct printdots_state),
    .config = printdots_keys,
    .counters = printdots_counters,
    .process = printdots_process,
};
