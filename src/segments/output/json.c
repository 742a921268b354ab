/*
 * json: one JSON object per line and flow, goflow2's field names (src/format/flowfmt.c), plus
 * the enriched fields that are present; optionally zstd-compressed.
 */
#include <stddef.h>

#include "format/flowfmt.h"
#include "ofd/segment.h"
#include "segments/common/outfile.h"

struct json_state {
	char *filename;
	int follow_symlinks;
	int compression; /* 0 none, 1 zstd */
	int64_t zstd;	 /* flowpipeline's key: a level > 0 turns zstd on */
	int64_t level;
	struct ofd_outfile out;
};

static const char *const compressions[] = {"none", "zstd", NULL};
static const char *const counters[] = {"write_errors", NULL};

static int json_init(struct ofd_segment *seg, void *state)
{
	struct json_state *s = state;
	int level = 0;
	(void)seg;
	if (s->zstd > 0)
		level = (int)s->zstd;
	else if (s->compression == 1)
		level = (int)s->level;
	return ofd_outfile_open(&s->out, s->filename, level, s->follow_symlinks);
}

static void json_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct json_state *s = state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		ofd_outfile_room(&s->out);
		ofd_fmt_json_enriched(&s->out.w, &b->flows[i]);
	}
	ofd_outfile_report(&s->out, seg);
}

static void json_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct json_state *s = state;
	(void)now_ns;
	ofd_outfile_flush(&s->out);
	ofd_outfile_report(&s->out, seg);
}

static void json_fini(struct ofd_segment *seg, void *state)
{
	struct json_state *s = state;
	ofd_outfile_close(&s->out);
	ofd_outfile_report(&s->out, seg);
}

static const struct ofd_cfg_key json_keys[] = {
    {.key = "filename",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct json_state, filename),
     .help = "file to write (created, or truncated when it exists); standard output when not given"},
    {.key = "compression",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct json_state, compression),
     .def = "none",
     .choices = compressions,
     .help =
	 "none, or zstd: a zstd stream (ZSTD_compressStream2), a complete .zst frame once the pipeline ends"},
    {.key = "level",
     .type = OFD_CFG_INT,
     .offset = offsetof(struct json_state, level),
     .def = "3",
     .min = 1,
     .max = 19,
     .help = "zstd compression level (1-19) with compression: zstd"},
    {.key = "zstd",
     .type = OFD_CFG_INT,
     .offset = offsetof(struct json_state, zstd),
     .def = "0",
     .max = 22,
     .help =
	 "flowpipeline's key: a level > 0 compresses with zstd at that level (overrides compression/level)"},
    {.key = "follow_symlinks",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct json_state, follow_symlinks),
     .def = "false",
     .help = "write through a symbolic link at filename (refused by default)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_json = {
    OFD_SEGMENT_VERSION,
    .name = "json",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "write flows as JSON lines (goflow2 field names), optionally zstd-compressed",
    .state_size = sizeof(struct json_state),
    .config = json_keys,
    .counters = counters,
    .init = json_init,
    .process = json_process,
    .tick = json_tick,
    .fini = json_fini,
};
