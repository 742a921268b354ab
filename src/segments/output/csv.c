/*
 * csv: a header row, then one row per flow over the chosen fields (names as in the JSON output;
 * flowpipeline's CamelCase names are accepted too), in the order given. `format: flowpipeline`
 * writes flowpipeline's CSV instead (format/fpcsv.h): its header names, its renderings and by
 * default its 149 columns.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "segments/common/fieldlist.h"
#include "format/flowfmt.h"
#include "format/fpcsv.h"
#include "ofd/segment.h"
#include "segments/common/outfile.h"

struct csv_state {
	char *filename;
	int follow_symlinks;
	struct ofd_strlist fields;
	int format; /* FORMAT_* */
	uint8_t ids[OFD_FIELDLIST_MAX];
	unsigned nids;
	struct ofd_fpcsv_col cols[OFD_FIELDLIST_MAX]; /* format: flowpipeline */
	struct ofd_outfile out;
};

static const char *const counters[] = {"write_errors", NULL};

enum { FORMAT_OVERFLOWD, FORMAT_FLOWPIPELINE };
static const char *const formats[] = {"overflowd", "flowpipeline", NULL};

static int add_col(void *ctx, const char *name)
{
	struct csv_state *s = ctx;
	if (s->nids >= OFD_FIELDLIST_MAX)
		return OFD_FIELDLIST_FULL;
	if (ofd_fpcsv_col_by_name(&s->cols[s->nids], name) < 0)
		return OFD_FIELDLIST_UNKNOWN;
	s->nids++;
	return 0;
}

static void csv_report(struct ofd_segment *seg, struct csv_state *s)
{
	ofd_outfile_report(&s->out, seg);
}

static int csv_init(struct ofd_segment *seg, void *state)
{
	struct csv_state *s = state;
	int err;
	s->nids = 0;
	if (s->format == FORMAT_FLOWPIPELINE) {
		err = ofd_fieldlist_each(seg, "fields", &s->fields, add_col, s);
		if (err)
			return err;
		if (!s->nids) { /* all of EnrichedFlow's fields, in its order */
			ofd_fpcsv_all(s->cols);
			s->nids = OFD_FPCSV_NCOLS;
		}
	} else {
		err = ofd_fieldlist_parse(seg, "fields", &s->fields, s->ids, &s->nids);
		if (err)
			return err;
		if (!s->nids) /* all of goflow2's fields, as `overflowd dump --format csv` writes them */
			for (unsigned id = 0; id < OFD_F_IN_IF_NAME; id++)
				s->ids[s->nids++] = (uint8_t)id;
	}
	err = ofd_outfile_open(&s->out, s->filename, 0, s->follow_symlinks);
	if (err)
		return err;
	ofd_outfile_room(&s->out);
	if (s->format == FORMAT_FLOWPIPELINE)
		ofd_fpcsv_header(&s->out.w, s->cols, s->nids);
	else
		ofd_fmt_csv_ids_header(&s->out.w, s->ids, s->nids);
	return 0;
}

static void csv_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct csv_state *s = state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		ofd_outfile_room(&s->out);
		if (s->format == FORMAT_FLOWPIPELINE)
			ofd_fpcsv_row(&s->out.w, &b->flows[i], s->cols, s->nids);
		else
			ofd_fmt_csv_ids(&s->out.w, &b->flows[i], s->ids, s->nids);
	}
	csv_report(seg, s);
}

static void csv_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct csv_state *s = state;
	(void)now_ns;
	ofd_outfile_flush(&s->out);
	csv_report(seg, s);
}

static void csv_fini(struct ofd_segment *seg, void *state)
{
	struct csv_state *s = state;
	ofd_outfile_close(&s->out);
	csv_report(seg, s);
}

/* --check refuses what init would: an unknown field name */
static int csv_check(const void *state, char *err, size_t errlen)
{
	const struct csv_state *s = state;
	return ofd_fieldlist_check("fields", &s->fields, err, errlen);
}

static const struct ofd_cfg_key csv_keys[] = {
    {.key = "filename",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct csv_state, filename),
     .help = "file to write (created, or truncated when it exists); standard output when not given"},
    {.key = "fields",
     .type = OFD_CFG_STRLIST,
     .offset = offsetof(struct csv_state, fields),
     .help =
	 "columns in this order, a list or a comma-separated string of field names (as in the JSON output, "
	 "or flowpipeline's EnrichedFlow names); default: every goflow2 field, no enriched ones (format "
	 "flowpipeline: all 149 EnrichedFlow fields in its order)"},
    {.key = "format",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct csv_state, format),
     .def = "overflowd",
     .choices = formats,
     .help = "overflowd: the JSON output's names and renderings (as `dump --format csv`); flowpipeline: "
	     "flowpipeline's csv: EnrichedFlow's Go field names as the header, numbers in decimal (MACs "
	     "as the 48-bit number, etype and proto as numbers, src_net as the prefix length), enums by "
	     "name, lists as [a b c], and zero values for fields overflowd does not have"},
    {.key = "follow_symlinks",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct csv_state, follow_symlinks),
     .def = "false",
     .help = "write through a symbolic link at filename (refused by default)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_csv = {
    OFD_SEGMENT_VERSION,
    .name = "csv",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "write flows as CSV with a header row, over chosen fields",
    .state_size = sizeof(struct csv_state),
    .config = csv_keys,
    .counters = counters,
    .check = csv_check,
    .init = csv_init,
    .process = csv_process,
    .tick = csv_tick,
    .fini = csv_fini,
};
