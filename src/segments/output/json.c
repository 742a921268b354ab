/*
 * json: one JSON object per line and flow; optionally zstd-compressed. Two formats:
 * overflowd's (the default: goflow2's field names, src/format/flowfmt.c, plus the enriched
 * fields that are present) and flowpipeline's (`format: protojson`: the proto3 JSON of its
 * EnrichedFlow, src/format/protojson.h). `pretty` writes each object over several lines, indented
 * as Go's protojson does (flowpipeline's key; off by default, as there).
 */
#include <stddef.h>
#include <stdlib.h>

#include "format/flowfmt.h"
#include "format/protojson.h"
#include "ofd/segment.h"
#include "segments/common/outfile.h"

struct json_state {
	char *filename;
	int follow_symlinks;
	int compression; /* 0 none, 1 zstd */
	int64_t zstd;	 /* flowpipeline's key: a level > 0 turns zstd on */
	int64_t level;
	int format; /* 0 overflowd, 1 protojson */
	int pretty;
	struct ofd_outfile out;
	struct ofd_wbuf flat; /* pretty overflowd format: each record formatted here first */
};

static const char *const compressions[] = {"none", "zstd", NULL};
static const char *const formats[] = {"overflowd", "protojson", NULL};
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
	if (s->pretty && s->format == 0) {
		int err = ofd_wbuf_init(&s->flat, -1, 4 * OFD_OUTFILE_RECORD_MAX);
		if (err)
			return err;
	}
	return ofd_outfile_open(&s->out, s->filename, level, s->follow_symlinks);
}

/*
 * A one-line JSON object (no blanks outside strings, as ours are) over several lines, the way
 * Go's protojson indents: two spaces a level, `"key": value`, one list element a line, [] and {}
 * kept as they are. Room is made as the text grows.
 */
static void json_indent(struct ofd_outfile *o, const char *s, size_t n)
{
	struct ofd_wbuf *w = &o->w;
	unsigned depth = 0;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (w->cap - w->len < 2 * OFD_OUTFILE_RECORD_MAX / 3)
			ofd_outfile_room(o);
		if (in_str) {
			ofd_wbuf_ch(w, c);
			if (c == '\\' && i + 1 < n)
				ofd_wbuf_ch(w, s[++i]);
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			ofd_wbuf_ch(w, c);
			continue;
		case ':': ofd_wbuf_lit(w, ": "); continue;
		case '{':
		case '[':
			ofd_wbuf_ch(w, c);
			if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == ']')) {
				ofd_wbuf_ch(w, s[++i]);
				continue;
			}
			depth++;
			break;
		case ',': ofd_wbuf_ch(w, c); break;
		case '}':
		case ']':
			depth -= depth > 0;
			ofd_wbuf_ch(w, '\n');
			for (unsigned k = 0; k < depth && k < 64; k++)
				ofd_wbuf_lit(w, "  ");
			ofd_wbuf_ch(w, c);
			continue;
		default: ofd_wbuf_ch(w, c); continue;
		}
		ofd_wbuf_ch(w, '\n'); /* after an opening bracket or a comma */
		for (unsigned k = 0; k < depth && k < 64; k++)
			ofd_wbuf_lit(w, "  ");
	}
}

static void json_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct json_state *s = state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		ofd_outfile_room(&s->out);
		if (s->format == 1) {
			ofd_protojson_write(&s->out.w, &b->flows[i], s->pretty);
		} else if (!s->pretty) {
			ofd_fmt_json_enriched(&s->out.w, &b->flows[i]);
		} else {
			s->flat.len = 0;
			ofd_fmt_json_enriched(&s->flat, &b->flows[i]);
			json_indent(&s->out, s->flat.buf, s->flat.len);
		}
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
	s->flat.len = 0; /* a scratch buffer: nothing to write out */
	ofd_wbuf_fini(&s->flat);
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
    {.key = "format",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct json_state, format),
     .def = "overflowd",
     .choices = formats,
     .help = "overflowd: goflow2's snake_case keys and renderings plus the enriched fields present (what "
	     "`dump` writes); protojson: flowpipeline's json output, the proto3 JSON of its EnrichedFlow "
	     "(lowerCamel keys, 64-bit numbers as strings, addresses as base64, zero fields left out); the "
	     "stdin input reads both"},
    {.key = "pretty",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct json_state, pretty),
     .def = "false",
     .help = "each flow over several indented lines (flowpipeline's key, off by default as there) instead of "
	     "one line per flow; the stdin input reads only one-line flows"},
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
    .summary = "write flows as JSON lines (goflow2 field names, or flowpipeline's protojson), optionally "
	       "zstd-compressed",
    .state_size = sizeof(struct json_state),
    .config = json_keys,
    .counters = counters,
    .init = json_init,
    .process = json_process,
    .tick = json_tick,
    .fini = json_fini,
};
