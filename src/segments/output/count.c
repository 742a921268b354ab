/*
 * count: counts the flows passing (and their packets and bytes) and prints the totals once the
 * pipeline ends, as "PREFIX<flows> flows, <packets> packets, <bytes> bytes", to standard error
 * or to `filename` (appended, so that several count segments may share one file). flowpipeline
 * logs "PREFIX<flows>" to standard error, which this line begins with; `stdout: true` also
 * writes that bare line to standard output (not by default: it would mix into a json, csv or
 * print stream there, as it did into the tracers example's). Each is one write of one line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "ofd/segment.h"
#include "segments/common/outfile.h"

struct count_state {
	char *prefix;
	char *filename;
	int follow_symlinks;
	int to_stdout;
	uint64_t flows, packets, bytes;
	int ready; /* init succeeded: fini prints */
};

static const char *const counters[] = {"write_errors", NULL};

static int count_init(struct ofd_segment *seg, void *state)
{
	struct count_state *s = state;
	(void)seg;
	if (s->filename && s->filename[0]) { /* refuse an unwritable file at start, not at the end */
		int fd = ofd_outfile_open_path(s->filename, 1, s->follow_symlinks); /* logs */
		if (fd < 0)
			return fd;
		close(fd);
	}
	s->ready = 1;
	return 0;
}

static void count_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct count_state *s = state;
	(void)seg;
	for (uint32_t w = 0; w < (b->n + 63) / 64; w++) {
		uint64_t live = b->live[w];
		while (live) {
			const struct ofd_flow *f = &b->flows[w * 64 + (unsigned)__builtin_ctzll(live)];
			live &= live - 1;
			s->flows++;
			s->packets += f->packets;
			s->bytes += f->bytes;
		}
	}
}

static void count_fini(struct ofd_segment *seg, void *state)
{
	struct count_state *s = state;
	char line[512];
	if (!s->ready)
		return;
	int n = snprintf(line, sizeof(line), "%s%" PRIu64 " flows, %" PRIu64 " packets, %" PRIu64 " bytes\n",
			 s->prefix ? s->prefix : "", s->flows, s->packets, s->bytes);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	char total[320];
	int tn =
	    snprintf(total, sizeof(total), "%.*s%" PRIu64 "\n", 256, s->prefix ? s->prefix : "", s->flows);
	if (s->to_stdout && tn > 0 && (size_t)tn < sizeof(total) &&
	    write(STDOUT_FILENO, total, (size_t)tn) != tn)
		ofd_segment_count(seg, 0, 1);
	int fd = STDERR_FILENO;
	if (s->filename && s->filename[0])
		fd = ofd_outfile_open_path(s->filename, 1, s->follow_symlinks);
	/* one write of one line: O_APPEND keeps lines of several writers whole */
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		ofd_segment_count(seg, 0, 1);
	if (fd >= 0 && fd != STDERR_FILENO)
		close(fd);
}

static const struct ofd_cfg_key count_keys[] = {
    {.key = "prefix",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct count_state, prefix),
     .def = "",
     .help =
	 "text printed before the totals, e.g. \"pre-filter: \" and \"post-filter: \" around a flowfilter"},
    {.key = "filename",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct count_state, filename),
     .help = "file to append the totals to; standard error when not given"},
    {.key = "stdout",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct count_state, to_stdout),
     .def = "false",
     .help = "also write flowpipeline's bare PREFIX<flows> line to standard output"},
    {.key = "follow_symlinks",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct count_state, follow_symlinks),
     .def = "false",
     .help = "write through a symbolic link at filename (refused by default)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_count = {
    OFD_SEGMENT_VERSION,
    .name = "count",
    .kind = OFD_SEG_OUTPUT,
    .flags = 0,
    .summary = "count flows, packets and bytes; print the totals when the pipeline ends",
    .state_size = sizeof(struct count_state),
    .config = count_keys,
    .counters = counters,
    .init = count_init,
    .process = count_process,
    .tick = NULL,
    .fini = count_fini,
};
