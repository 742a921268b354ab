/*
 * An example custom segment, built as example_segment.so and loaded with
 *
 *   overflowd -c config.yml -p ./example_segment.so
 *
 * `sample_every` keeps one flow in every `n` (deterministic 1-in-n sampling, counted across
 * batches) and, when `scale` is on, multiplies the kept flow's bytes and packets by n and sets
 * its sampling rate, so that totals stay estimates of the real traffic:
 *
 *   - segment: sample_every
 *     config: {n: 100, scale: true}
 *
 * A custom segment includes only include/ofd/ and exports a NULL-terminated ofd_segments[].
 * Core functions (ofd_segment_count, ofd_log, ...) are resolved from the overflowd binary when
 * the module is loaded.
 */
#include <stddef.h>
#include <stdint.h>

#include "ofd/segment.h"

struct sample_every {
	uint64_t n;
	int scale;
	uint64_t seen; /* live flows seen so far */
};

enum { C_KEPT, C_SKIPPED };
static const char *const sample_counters[] = {"kept", "skipped", NULL};

static const struct ofd_cfg_key sample_keys[] = {
    {.key = "n",
     .type = OFD_CFG_UINT,
     .offset = offsetof(struct sample_every, n),
     .def = "10",
     .min = 1,
     .max = 1e9,
     .help = "keep one flow in every n"},
    {.key = "scale",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct sample_every, scale),
     .def = "false",
     .help = "multiply bytes and packets of kept flows by n"},
    {.key = NULL},
};

static int sample_init(struct ofd_segment *seg, void *state)
{
	struct sample_every *s = state;
	ofd_log(OFD_LOG_DEBUG, "segment %s (%s:%u): keeping 1 flow in %llu", ofd_segment_name(seg),
		ofd_segment_file(seg), ofd_segment_line(seg), (unsigned long long)s->n);
	return 0;
}

static void sample_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct sample_every *s = state;
	uint64_t kept = 0, skipped = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (s->seen++ % s->n) {
			ofd_batch_kill(b, i);
			skipped++;
			continue;
		}
		kept++;
		if (s->scale && s->n > 1) {
			struct ofd_flow *f = &b->flows[i];
			f->bytes *= s->n;
			f->packets *= s->n;
			f->sampling_rate = (uint32_t)(f->sampling_rate ? f->sampling_rate * s->n : s->n);
			ofd_flow_set(f, OFD_F_SAMPLING_RATE);
		}
	}
	ofd_segment_count(seg, C_KEPT, kept);
	ofd_segment_count(seg, C_SKIPPED, skipped);
}

static const struct ofd_segment_type sample_every = {
    OFD_SEGMENT_VERSION,
    .name = "sample_every",
    .kind = OFD_SEG_FLOW,
    .summary = "keep one flow in every n (deterministic sampling)",
    .state_size = sizeof(struct sample_every),
    .config = sample_keys,
    .counters = sample_counters,
    .init = sample_init,
    .process = sample_process,
};

const struct ofd_segment_type *ofd_segments[] = {&sample_every, NULL};
