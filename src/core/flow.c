#include "ofd/flow.h"

#include <string.h>

const char *ofd_flow_type_name(unsigned type)
{
	switch (type) {
	case OFD_FT_SFLOW_5: return "SFLOW_5";
	case OFD_FT_NETFLOW_V5: return "NETFLOW_V5";
	case OFD_FT_NETFLOW_V9: return "NETFLOW_V9";
	case OFD_FT_IPFIX: return "IPFIX";
	default: return "UNKNOWN";
	}
}

/* ---- the field table (include/ofd/fields.def) ---------------------------------------------- */

#define MSIZE(m) sizeof(((struct ofd_flow *)0)->m)

/* clang-format off */
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)                                                      \
	[OFD_F_##ID] = {json, csv, fp, offsetof(struct ofd_flow, m), MSIZE(m), offsetof(struct ofd_flow, aux), \
			MSIZE(aux), OFD_FK_##kind, OFD_FC_##cls},
/* storage-less: no member; off just past the record, so that a read by offset reads no field */
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)                                                              \
	[OFD_F_##ID] = {json, csv, fp, sizeof(struct ofd_flow), 0, sizeof(struct ofd_flow), 0, OFD_FK_##kind,  \
			OFD_FC_NAMED},
const struct ofd_field_info ofd_fields[OFD_F__COUNT] = {
#include "ofd/fields.def"
};
/* clang-format on */

/* The storage each kind needs: a field of another size does not compile. */
#define KIND_SIZE_U8	   1
#define KIND_SIZE_U16	   2
#define KIND_SIZE_U32	   4
#define KIND_SIZE_U64	   8
#define KIND_SIZE_IP	   sizeof(struct ofd_ip)
#define KIND_SIZE_MAC	   8
#define KIND_SIZE_NET	   1
#define KIND_SIZE_STR	   sizeof(const char *)
#define KIND_SIZE_CC	   2
#define KIND_SIZE_ASPATH   (4 * OFD_AS_PATH_MAX)
#define KIND_SIZE_COMMS	   sizeof(struct ofd_communities)
#define KIND_SIZE_LCOMMS   sizeof(struct ofd_large_communities)
#define KIND_SIZE_FLOWTYPE 1
#define KIND_SIZE_ETYPE	   2
#define KIND_SIZE_PROTO	   1
#define KIND_SIZE_RPKI	   1
#define KIND_SIZE_MPLS	   sizeof(struct ofd_mpls_stack)
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)                                                      \
	_Static_assert(MSIZE(m) == KIND_SIZE_##kind, "field " #m ": member size does not fit kind " #kind);  \
	_Static_assert(OFD_F_##ID < OFD_F__STORED,                                                           \
		       "field " #m ": member fields come before storage-less ones");
/* storage-less fields come last (ofd_field_stored tells them by id) */
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)                                                              \
	_Static_assert(OFD_F_##ID >= OFD_F__STORED && KIND_SIZE_##kind > 0,                                  \
		       "field " json ": storage-less fields come last");
#include "ofd/fields.def"

uint32_t ofd_flow_layout(void)
{
	return OFD_FLOW_LAYOUT;
}

const struct ofd_field_info *ofd_field_get(unsigned id)
{
	return id < OFD_F__COUNT ? &ofd_fields[id] : NULL;
}

/* Lower-case name without underscores into out (cap bytes); 0 when it does not fit. */
static int fold_name(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= cap)
			return 0;
		out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + ('a' - 'A') : *s);
	}
	out[n] = 0;
	return 1;
}

/* 1 when the folded name `have` is `want`, or is `want` plus "ns". */
static int folded_match(const char *name, const char *want)
{
	char have[64];
	if (!fold_name(name, have, sizeof(have)))
		return 0;
	if (strcmp(have, want) == 0)
		return 1;
	size_t hl = strlen(have);
	return hl > 2 && strcmp(have + hl - 2, "ns") == 0 && strlen(want) == hl - 2 &&
	       strncmp(have, want, hl - 2) == 0;
}

int ofd_field_by_name(const char *name)
{
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		const struct ofd_field_info *d = &ofd_fields[id];
		if (strcmp(d->name, name) == 0 || strcmp(d->csv, name) == 0 || strcmp(d->fp, name) == 0)
			return (int)id;
	}
	char want[64];
	if (!fold_name(name, want, sizeof(want)) || !want[0])
		return -1;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		const struct ofd_field_info *d = &ofd_fields[id];
		if (folded_match(d->name, want) || folded_match(d->csv, want) || folded_match(d->fp, want))
			return (int)id;
	}
	return -1;
}
