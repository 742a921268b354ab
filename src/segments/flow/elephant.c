/*
 * elephant: keeps only the flows above a percentile of one aspect (bytes, packets, bps or pps)
 * over a sliding window, and drops the rest ("the lower 99%" by default).
 *
 * How the percentile is estimated: the segment keeps a ring of the most recent `samples` values
 * (one per flow, with its time) and forgets the ones older than `window` (300 s, flowpipeline's
 * default) before the newest. Time is wall-clock time when the flow reaches the segment, as in
 * flowpipeline (`clock: wall`), or with `clock: flow` the flows' own (time_received_ns, else
 * time_flow_end_ns), so that a capture replayed at full speed behaves as it did live. For every
 * batch, its flows are added to the ring first, then the threshold is the exact nearest-rank
 * percentile of the values in the ring (the value at rank ceil(p/100 * n) in ascending order,
 * found by quickselect, O(n)), and a flow is kept when its value is at least the threshold
 * (`>=`, as flowpipeline compares). So the estimate is exact over the
 * last `samples` flows of the window; when the window holds more flows than that, it is the
 * percentile of the most recent ones. bps and pps are bytes * 8 and packets over the flow's
 * duration in seconds, taken as at least one second.
 */
#include <stddef.h>
#include <stdlib.h>

#include "ofd/segment.h"
#include "ofd/time.h"

enum { CLOCK_WALL, CLOCK_FLOW };
enum { ASPECT_BYTES, ASPECT_PACKETS, ASPECT_BPS, ASPECT_PPS };

struct elephant_state {
	int aspect;
	int clock;
	double percentile;
	uint64_t window_ns;
	uint64_t samples;
	int exact;
	uint64_t rampup_ns;

	double *val;	/* ring of values, `samples` slots */
	uint64_t *when; /* their flow times */
	double *scratch;
	size_t cap, head, n; /* oldest sample at (head - n) mod cap */
	uint64_t newest;
	uint64_t first; /* time of the first flow (ramp-up); 0: none yet */
};

static const char *const aspects[] = {"bytes", "packets", "bps", "pps", NULL};
static const char *const clocks[] = {"wall", "flow", NULL};

static int elephant_init(struct ofd_segment *seg, void *state)
{
	struct elephant_state *s = state;
	(void)seg;
	if (s->samples < 1)
		return OFD_ECONFIG;
	s->cap = (size_t)s->samples;
	s->val = malloc(s->cap * sizeof(*s->val));
	s->when = malloc(s->cap * sizeof(*s->when));
	s->scratch = malloc(s->cap * sizeof(*s->scratch));
	if (!s->val || !s->when || !s->scratch)
		return -ENOMEM;
	return 0;
}

static double aspect_value(int aspect, const struct ofd_flow *f)
{
	if (aspect == ASPECT_BYTES)
		return (double)f->bytes;
	if (aspect == ASPECT_PACKETS)
		return (double)f->packets;
	double secs = 1;
	if (f->time_flow_start_ns && f->time_flow_end_ns > f->time_flow_start_ns)
		secs = (double)(f->time_flow_end_ns - f->time_flow_start_ns) / 1e9;
	if (secs < 1)
		secs = 1;
	return aspect == ASPECT_BPS ? (double)f->bytes * 8 / secs : (double)f->packets / secs;
}

static uint64_t flow_time(const struct ofd_flow *f)
{
	return f->time_received_ns ? f->time_received_ns : f->time_flow_end_ns;
}

/* The k-th smallest (0-based) of v[0..n), reordering v (Hoare quickselect, median of three). */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi];
		double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

static void add_sample(struct elephant_state *s, double v, uint64_t t)
{
	s->val[s->head] = v;
	s->when[s->head] = t;
	s->head = (s->head + 1) % s->cap;
	if (s->n < s->cap)
		s->n++;
	if (t > s->newest)
		s->newest = t;
}

/* Forget the samples older than the window before the newest flow. */
static void expire(struct elephant_state *s)
{
	while (s->n) {
		size_t tail = (s->head + s->cap - s->n) % s->cap;
		if (s->when[tail] + s->window_ns >= s->newest)
			break;
		s->n--;
	}
}

static double threshold(struct elephant_state *s)
{
	size_t tail = (s->head + s->cap - s->n) % s->cap;
	for (size_t i = 0; i < s->n; i++)
		s->scratch[i] = s->val[(tail + i) % s->cap];
	double rank = s->percentile / 100.0 * (double)s->n; /* nearest rank: ceil(p/100 * n) */
	size_t k = (size_t)rank;
	if ((double)k < rank)
		k++;
	if (k == 0)
		k = 1;
	return select_kth(s->scratch, s->n, k - 1);
}

static void elephant_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct elephant_state *s = state;
	(void)seg;
	uint64_t now = s->clock == CLOCK_WALL ? ofd_time_now_ns() : 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		uint64_t t = now ? now : flow_time(f);
		if (!s->first)
			s->first = t ? t : 1;
		add_sample(s, aspect_value(s->aspect, f), t);
	}
	if (!s->n)
		return;
	expire(s);
	double th = threshold(s);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (s->rampup_ns && (now ? now : flow_time(f)) < s->first + s->rampup_ns)
			ofd_batch_kill(b, i);
		else if (!(aspect_value(s->aspect, f) >= th))
			ofd_batch_kill(b, i);
	}
}

static void elephant_fini(struct ofd_segment *seg, void *state)
{
	struct elephant_state *s = state;
	(void)seg;
	free(s->val);
	free(s->when);
	free(s->scratch);
	s->val = s->scratch = NULL;
	s->when = NULL;
}

static const struct ofd_cfg_key elephant_keys[] = {
    {.key = "aspect",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct elephant_state, aspect),
     .def = "bytes",
     .choices = aspects,
     .help =
	 "what is compared: bytes, packets, bps or pps (per second of the flow's duration, at least 1 s)"},
    {.key = "percentile",
     .type = OFD_CFG_DOUBLE,
     .offset = offsetof(struct elephant_state, percentile),
     .def = "99.00",
     .max = 100,
     .help = "keep the flows at or above this percentile (0-100) of the aspect; the rest are dropped"},
    {.key = "window",
     .type = OFD_CFG_DURATION,
     .offset = offsetof(struct elephant_state, window_ns),
     .def = "300s",
     .help = "sliding window over which the percentile is taken (a bare number is seconds)"},
    {.key = "clock",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct elephant_state, clock),
     .def = "wall",
     .choices = clocks,
     .help = "the window's time: wall (when the flow reaches the segment, as flowpipeline) or flow (the "
	     "flow's own receive or end time: a replayed capture behaves as it did live)"},
    {.key = "samples",
     .type = OFD_CFG_UINT,
     .offset = offsetof(struct elephant_state, samples),
     .def = "65536",
     .min = 16,
     .max = 16777216,
     .help =
	 "most recent flows kept for the estimate (bounds memory: 24 bytes each); the percentile is exact "
	 "over them"},
    {.key = "exact",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct elephant_state, exact),
     .def = "false",
     .help = "flowpipeline's key, accepted for its configs: the percentile is always exact over the samples"},
    {.key = "rampuptime",
     .type = OFD_CFG_DURATION,
     .offset = offsetof(struct elephant_state, rampup_ns),
     .def = "0",
     .help =
	 "drop every flow for this long (the window's time) after the first one, while the window fills; 0: "
	 "off"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_elephant = {
    OFD_SEGMENT_VERSION,
    .name = "elephant",
    .kind = OFD_SEG_FLOW,
    .flags = 0,
    .summary = "keep the flows above a percentile of bytes, packets, bps or pps over a sliding window",
    .state_size = sizeof(struct elephant_state),
    .config = elephant_keys,
    .init = elephant_init,
    .process = elephant_process,
    .fini = elephant_fini,
};
