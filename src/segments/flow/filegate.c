/*
 * filegate: passes the flows while a gate file exists and drops them (counted as `gated`)
 * while it does not; `invert: true` turns that round (pass while the file is absent: a stop
 * file).
 *
 *   - segment: filegate
 *     config: {filename: /run/overflowd/open}
 *
 * The file is looked at (stat(2)) at start and then every `interval` from tick(), never per
 * flow; a change is logged once.
 *
 * flowpipeline's filegate (a development segment without documentation) holds every flow while
 * the file exists and passes them once it is gone: the opposite polarity, and holding instead
 * of dropping. Issue 13 asks for "pass while a file exists", which is the default here; holding
 * would stall the stage and every input before it (their sockets then drop unseen), so a closed
 * gate drops and counts instead. README: "filegate".
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "ofd/segment.h"

struct filegate_state {
	char *filename;
	uint64_t interval_ns;
	int invert;
	int open;  /* flows pass */
	int known; /* open was determined at least once */
	uint64_t last_check_ns;
};

enum { C_GATED };
static const char *const filegate_counters[] = {"gated", NULL};

/* Look at the file; log when the gate opens or closes. */
static void filegate_look(struct ofd_segment *seg, struct filegate_state *s)
{
	struct stat st;
	int exists = stat(s->filename, &st) == 0;
	if (!exists && errno != ENOENT && errno != ENOTDIR)
		exists = 1; /* it may exist; we cannot tell (EACCES...): as flowpipeline, not absent */
	int open = s->invert ? !exists : exists;
	if (!s->known || open != s->open)
		ofd_seg_log(seg, OFD_LOG_INFO, "%s %s: gate %s", s->filename, exists ? "exists" : "is absent",
			    open ? "open, flows pass" : "closed, flows are dropped");
	s->open = open;
	s->known = 1;
}

static int filegate_init(struct ofd_segment *seg, void *state)
{
	filegate_look(seg, state);
	return 0;
}

static void filegate_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct filegate_state *s = state;
	if (s->open)
		return;
	uint64_t n = ofd_batch_live_count(b);
	memset(b->live, 0, sizeof(b->live));
	if (n)
		ofd_segment_count(seg, C_GATED, n);
}

static void filegate_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct filegate_state *s = state;
	if (now_ns >= s->last_check_ns && now_ns - s->last_check_ns < s->interval_ns)
		return;
	s->last_check_ns = now_ns;
	filegate_look(seg, s);
}

static const struct ofd_cfg_key filegate_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct filegate_state, filename, .required = 1,
	    .help = "the gate file: flows pass while it exists"),
    OFD_KEY("invert", OFD_CFG_BOOL, struct filegate_state, invert, .def = "false",
	    .help = "pass while the file does not exist instead (a stop file, flowpipeline's polarity)"),
    OFD_KEY("interval", OFD_CFG_DURATION, struct filegate_state, interval_ns, .def = "1s", .min = 1e8,
	    .max = 36e11, .help = "how often the file is looked at"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_filegate = {
    OFD_SEGMENT_VERSION,
    .name = "filegate",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL, /* the gate's state per instance: each looks at the file */
    .summary = "pass the flows while a file exists, drop them while it does not (or the reverse)",
    .state_size = sizeof(struct filegate_state),
    .config = filegate_keys,
    .counters = filegate_counters,
    .init = filegate_init,
    .process = filegate_process,
    .tick = filegate_tick,
};
