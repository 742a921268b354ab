/*
 * diskbuffer: when the segments after it cannot keep up, the inputs' batches go to
 * zstd-compressed files under `bufferdir` and come back in order once the pipeline has room
 * (flowpipeline's diskbuffer, issue 14).
 *
 *   - segment: diskbuffer
 *     config: {bufferdir: /var/spool/overflowd, maxcachesize: 10GB}
 *
 * The work is the engine's: it allows this segment only directly after the input(s), and asks
 * the spill (core/spill.h, opened here in init) where each full input batch goes; the reader
 * that brings batches back is an engine thread (core/pipeline_spill.c). process() passes the
 * records on unchanged. In one-pass mode (dump, -f) it does nothing, with a warning.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spill.h"
#include "ofd/segment.h"

struct diskbuffer_state {
	struct ofd_spill_state sp; /* first: the engine reads the config and the spill from it */
	/* tick() and fini() only: what the counters were given so far */
	struct ofd_spill_stats told;
};

enum { C_SPILLED, C_READ, C_DROPPED, C_ERRORS };
static const char *const diskbuffer_counters[] = {"spilled", "read_back", "dropped_full", "read_errors",
						  NULL};

enum { M_BATCHES, M_RECORDS, M_ERRORS, M_BYTES, M_FILES, M_PENDING };
static const struct ofd_metric diskbuffer_metrics[] = {
    [M_BATCHES] =
	{"diskbuffer_batches_total",
	 OFD_METRIC_COUNTER,
	 0,
	 "Batches written to disk (spilled), read back (read), dropped because maxcachesize was reached "
	 "or a write failed (dropped).",
	 {"event"}},
    [M_RECORDS] = {"diskbuffer_records_total",
		   OFD_METRIC_COUNTER,
		   0,
		   "Records of those batches, by the same events.",
		   {"event"}},
    [M_ERRORS] = {"diskbuffer_read_errors_total",
		  OFD_METRIC_COUNTER,
		  0,
		  "Broken buffer files and frames skipped (corrupt, truncated, another build's layout).",
		  {NULL}},
    [M_BYTES] = {"diskbuffer_bytes", OFD_METRIC_GAUGE, 0, "Bytes of the buffer files on disk.", {NULL}},
    [M_FILES] = {"diskbuffer_files", OFD_METRIC_GAUGE, 0, "Buffer files on disk.", {NULL}},
    [M_PENDING] =
	{"diskbuffer_pending_batches", OFD_METRIC_GAUGE, 0, "Batches on disk not yet read back.", {NULL}},
    {.name = NULL},
};

static int diskbuffer_init(struct ofd_segment *seg, void *state)
{
	struct diskbuffer_state *s = state;
	char err[512];
	int rc = ofd_spill_cfg_sizes(&s->sp.cfg, err, sizeof(err));
	if (!rc)
		rc = ofd_spill_open(&s->sp.sp, &s->sp.cfg, err, sizeof(err));
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
	return rc;
}

static void diskbuffer_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

/* The counters (exit summary, SIGUSR1) follow the spill's statistics. */
static void diskbuffer_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct diskbuffer_state *s = state;
	struct ofd_spill_stats st;
	(void)now_ns;
	if (!s->sp.sp)
		return;
	ofd_spill_stats(s->sp.sp, &st);
	ofd_segment_count(seg, C_SPILLED, st.spilled_records - s->told.spilled_records);
	ofd_segment_count(seg, C_READ, st.read_records - s->told.read_records);
	ofd_segment_count(seg, C_DROPPED, st.dropped_records - s->told.dropped_records);
	ofd_segment_count(seg, C_ERRORS, st.read_errors - s->told.read_errors);
	s->told = st;
}

static void diskbuffer_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct diskbuffer_state *s = state;
	struct ofd_spill_stats st;
	(void)seg;
	if (!s->sp.sp)
		return;
	ofd_spill_stats(s->sp.sp, &st);
	const struct ofd_metric *b = &diskbuffer_metrics[M_BATCHES], *r = &diskbuffer_metrics[M_RECORDS];
	ofd_metric_put(sink, b, OFD_METRIC_VALUES("spilled"), st.spilled);
	ofd_metric_put(sink, b, OFD_METRIC_VALUES("read"), st.read);
	ofd_metric_put(sink, b, OFD_METRIC_VALUES("dropped"), st.dropped);
	ofd_metric_put(sink, r, OFD_METRIC_VALUES("spilled"), st.spilled_records);
	ofd_metric_put(sink, r, OFD_METRIC_VALUES("read"), st.read_records);
	ofd_metric_put(sink, r, OFD_METRIC_VALUES("dropped"), st.dropped_records);
	ofd_metric_put(sink, &diskbuffer_metrics[M_ERRORS], NULL, st.read_errors);
	ofd_metric_put(sink, &diskbuffer_metrics[M_BYTES], NULL, st.bytes);
	ofd_metric_put(sink, &diskbuffer_metrics[M_FILES], NULL, st.files);
	ofd_metric_put(sink, &diskbuffer_metrics[M_PENDING], NULL, st.pending);
}

static int diskbuffer_check(const void *state, char *err, size_t errlen)
{
	return ofd_spill_check(&((const struct diskbuffer_state *)state)->sp.cfg, err, errlen);
}

/* After the engine's threads are joined: what was read back is through, the rest stays. */
static void diskbuffer_fini(struct ofd_segment *seg, void *state)
{
	struct diskbuffer_state *s = state;
	diskbuffer_tick(seg, state, 0);
	ofd_spill_free(s->sp.sp);
	s->sp.sp = NULL;
}

const struct ofd_segment_type ofd_seg_diskbuffer = {
    OFD_SEGMENT_VERSION,
    .name = "diskbuffer",
    .kind = OFD_SEG_FLOW,
    .summary = "when the segments after it cannot keep up, batches go to zstd files under bufferdir and "
	       "come back in order (directly after the inputs)",
    .state_size = sizeof(struct diskbuffer_state),
    .config = ofd_spill_keys,
    .counters = diskbuffer_counters,
    .metrics = diskbuffer_metrics,
    .collect = diskbuffer_collect,
    .check = diskbuffer_check,
    .init = diskbuffer_init,
    .process = diskbuffer_process,
    .tick = diskbuffer_tick,
    .fini = diskbuffer_fini,
};
