/*
 * dropfields: clears fields of every flow: with `policy: drop` the named ones, with
 * `policy: keep` all but the named ones. A cleared field is zeroed (strings become unset) and
 * loses its present bit; the record is marked sparse (ofd_flow.sparse) with every base field it
 * keeps marked present, so the JSON output leaves the cleared fields out instead of writing
 * zeros (as flowpipeline's protojson leaves out a dropped field). Names are those of the JSON
 * output or flowpipeline's EnrichedFlow names (all 149, through the field table); an unknown
 * name is refused at start. Clearing a storage-less field (fields.def OFD_FIELD_NAME: nothing
 * produces it, it is never present) does nothing.
 */
#include <stddef.h>
#include <string.h>

#include "format/flowfmt.h"
#include "ofd/segment.h"
#include "segments/common/fieldlist.h"

enum { POLICY_KEEP, POLICY_DROP };

struct dropfields_state {
	int policy;
	struct ofd_strlist names;
	struct ofd_fieldset clear; /* fields to clear */
	struct ofd_fieldset base;  /* base fields not cleared: present in the sparse record */
	unsigned nops;
	struct {
		unsigned short off, size;
	} ops[2 * OFD_F__COUNT];
};

static const char *const policies[] = {"keep", "drop", NULL};

static void add_op(struct dropfields_state *s, unsigned off, unsigned size)
{
	s->ops[s->nops].off = (unsigned short)off;
	s->ops[s->nops].size = (unsigned short)size;
	s->nops++;
}

static int dropfields_init(struct ofd_segment *seg, void *state)
{
	struct dropfields_state *s = state;
	uint8_t ids[OFD_FIELDLIST_MAX];
	unsigned n;
	int err = ofd_fieldlist_parse(seg, "fields", &s->names, ids, &n);
	if (err)
		return err;
	struct ofd_fieldset named = {{0}};
	for (unsigned i = 0; i < n; i++)
		ofd_fieldset_set(&named, ids[i]);
	s->clear = named;
	if (s->policy != POLICY_DROP) {
		s->clear = ofd_fieldset_all();
		ofd_fieldset_andnot(&s->clear, &named);
	}
	/* storage-less fields have no value to clear; their present bits (never set) go in any case */
	struct ofd_fieldset stored = ofd_fieldset_stored(), nameonly = ofd_fieldset_all();
	ofd_fieldset_andnot(&nameonly, &stored);
	ofd_fieldset_or(&s->clear, &nameonly);
	s->base = ofd_fmt_base;
	ofd_fieldset_andnot(&s->base, &s->clear);
	s->nops = 0;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		if (!ofd_fieldset_has(&s->clear, id) || !ofd_field_stored(id))
			continue;
		const struct ofd_field_info *d = &ofd_fields[id];
		add_op(s, d->off, d->size);
		if (d->kind == OFD_FK_ASPATH) /* and its count */
			add_op(s, d->aux_off, d->aux_size);
	}
	return 0;
}

static void dropfields_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct dropfields_state *s = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		unsigned char *f = (unsigned char *)&b->flows[i];
		for (unsigned k = 0; k < s->nops; k++)
			memset(f + s->ops[k].off, 0, s->ops[k].size);
		ofd_fieldset_or(&b->flows[i].present, &s->base);
		ofd_fieldset_andnot(&b->flows[i].present, &s->clear);
		b->flows[i].sparse = 1;
	}
}

/* --check refuses what init would: an unknown field name */
static int dropfields_check(const void *state, char *err, size_t errlen)
{
	const struct dropfields_state *s = state;
	return ofd_fieldlist_check("fields", &s->names, err, errlen);
}

static const struct ofd_cfg_key dropfields_keys[] = {
    {.key = "policy",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct dropfields_state, policy),
     .required = 1,
     .choices = policies,
     .help = "drop: clear the fields named in `fields`; keep: clear all the others"},
    {.key = "fields",
     .type = OFD_CFG_STRLIST,
     .offset = offsetof(struct dropfields_state, names),
     .required = 1,
     .help = "field names, a list or a comma-separated string (JSON output names, or flowpipeline's "
	     "EnrichedFlow names such as SrcAddr, Bytes, SrcIfDesc); unknown names are refused"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_dropfields = {
    OFD_SEGMENT_VERSION,
    .name = "dropfields",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "clear named fields of every flow (policy drop), or all others (policy keep)",
    .state_size = sizeof(struct dropfields_state),
    .config = dropfields_keys,
    .check = dropfields_check,
    .init = dropfields_init,
    .process = dropfields_process,
};
