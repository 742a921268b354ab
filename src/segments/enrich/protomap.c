/*
 * protomap: sets proto_name (flowpipeline's ProtoName) from the protocol number of every live
 * record, as flowpipeline's protomap segment names them:
 *
 *   - segment: protomap
 *
 * flowpipeline's names are the IANA protocol-numbers keywords for 0..143 but for a few
 * (numbers 4, 53, 55, 71, 84, 89, 94, 124 have other spellings; 61, 63, 68, 99 and 114, which
 * have no keyword, get their description), and "UNKWOWN" (sic: what it writes, so that
 * consumers keyed on it keep working) for every number above 143. `names: iana` writes the
 * registry's keywords instead (format/flowfmt.c's table, as goflow2 names proto) and the
 * decimal number where there is none. The names are static text or the state's own table (kept
 * until fini): no arena, no allocation.
 */
#include <stddef.h>
#include <stdint.h>

#include "format/flowfmt.h"
#include "ofd/segment.h"

enum { NAMES_FLOWPIPELINE, NAMES_IANA };

struct protomap_state {
	int names;	      /* NAMES_* */
	char decimal[256][4]; /* "0".."255": names: iana, a number the registry has no keyword for */
};

/* flowpipeline's names where they differ from the IANA keyword (or the registry has none). */
static const char *fp_override(uint8_t proto)
{
	switch (proto) {
	case 4: return "IPIP";
	case 53: return "SwIPe";
	case 55: return "MOBILE";
	case 61: return "Any host internal protocol";
	case 63: return "Any local network";
	case 68: return "Any distributed file system";
	case 71: return "IPCU";
	case 84: return "TTP";
	case 89: return "OSPF";
	case 94: return "OS";
	case 99: return "Any private encryption scheme";
	case 114: return "Any 0-hop protocol";
	case 124: return "IS-IS over IPv4";
	default: return NULL;
	}
}

#define FP_LAST	   143 /* the highest number flowpipeline names */
#define FP_UNKNOWN "UNKWOWN"

/* The name protomap writes for proto (never NULL). */
static const char *protomap_name(const struct protomap_state *s, uint8_t proto)
{
	const char *n;
	if (s->names == NAMES_IANA)
		return (n = ofd_proto_keyword(proto)) ? n : s->decimal[proto];
	if (proto > FP_LAST)
		return FP_UNKNOWN;
	if ((n = fp_override(proto)) || (n = ofd_proto_keyword(proto)))
		return n;
	return FP_UNKNOWN;
}

static int protomap_init(struct ofd_segment *seg, void *state)
{
	struct protomap_state *s = state;
	(void)seg;
	for (unsigned i = 0; i < 256; i++) {
		char *p = s->decimal[i];
		if (i >= 100)
			*p++ = (char)('0' + i / 100);
		if (i >= 10)
			*p++ = (char)('0' + i / 10 % 10);
		*p++ = (char)('0' + i % 10);
		*p = 0;
	}
	return 0;
}

static void protomap_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	const struct protomap_state *s = state;
	(void)seg;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		f->proto_name = protomap_name(s, f->proto);
		ofd_flow_set(f, OFD_F_PROTO_NAME);
	}
}

static const char *const protomap_names[] = {"flowpipeline", "iana", NULL};

static const struct ofd_cfg_key protomap_keys[] = {
    OFD_KEY(
	"names", OFD_CFG_ENUM, struct protomap_state, names, .def = "flowpipeline", .choices = protomap_names,
	.help = "flowpipeline: its names (IANA keywords but a few, \"UNKWOWN\" above 143); iana: the IANA "
		"keywords, the number where the registry has none"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_protomap = {
    OFD_SEGMENT_VERSION,
    .name = "protomap",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "set proto_name (ProtoName) from the protocol number, as flowpipeline names them",
    .state_size = sizeof(struct protomap_state),
    .config = protomap_keys,
    .init = protomap_init,
    .process = protomap_process,
};
