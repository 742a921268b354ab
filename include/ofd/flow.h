/*
 * The flow record: one fixed-size struct per flow, goflow2 FlowMessage field names.
 *
 * Addresses are 16 bytes plus a family; IPv4 is stored v4-mapped (::ffff:a.b.c.d) so that one
 * comparison and one prefix trie serve both families. Times are ns since the epoch. Counters are
 * u64. `present` says which fields are set (bit OFD_F_x for field x; ofd_flow_has/set/clear).
 *
 * Every field is a line of the field table include/ofd/fields.def, from which the ids, the
 * per-field offsets/sizes/kinds/names (ofd_fields[]), the record's tail members and the layout
 * guard OFD_FLOW_LAYOUT are generated here and in src/core/flow.c.
 */
#ifndef OFD_FLOW_H
#define OFD_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"

enum ofd_flow_type {
	OFD_FT_UNKNOWN = 0,
	OFD_FT_SFLOW_5 = 1,
	OFD_FT_NETFLOW_V5 = 2,
	OFD_FT_NETFLOW_V9 = 3,
	OFD_FT_IPFIX = 4,
};

enum { OFD_AF_NONE = 0, OFD_AF_INET = 4, OFD_AF_INET6 = 6 };

struct ofd_ip {
	uint8_t family; /* OFD_AF_* */
	uint8_t b[16];	/* network order; IPv4 as ::ffff:a.b.c.d */
};

/*
 * Field ids (the `present` bits, the ids formatters, filters and segment configs use), generated
 * from the field table include/ofd/fields.def: OFD_F_<ID> for each line, in table order.
 * Storage-less fields (the OFD_FIELD_NAME lines, class NAMED) come last: ids OFD_F__STORED ..
 * OFD_F__COUNT-1 have a name and no member (ofd_field_stored).
 */
enum ofd_field {
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) OFD_F_##ID,
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)		OFD_F_##ID,
#include "fields.def"
	OFD_F__COUNT,
	OFD_F__NAMED = 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind) +1
#include "fields.def"
	,
	OFD_F__STORED = OFD_F__COUNT - OFD_F__NAMED
};

/* Value kinds of fields (the KIND column of fields.def): how a field is stored and written. */
enum ofd_field_kind {
	OFD_FK_U8, /* plain numbers of 1, 2, 4, 8 bytes */
	OFD_FK_U16,
	OFD_FK_U32,
	OFD_FK_U64,
	OFD_FK_IP,	 /* struct ofd_ip */
	OFD_FK_MAC,	 /* uint64_t, 48 bits */
	OFD_FK_NET,	 /* uint8_t prefix length of the address in `aux` */
	OFD_FK_STR,	 /* const char *, NULL when unset */
	OFD_FK_CC,	 /* char[2], ISO 3166 alpha-2, not terminated */
	OFD_FK_ASPATH,	 /* uint32_t[OFD_AS_PATH_MAX], count (uint8_t) in `aux` */
	OFD_FK_COMMS,	 /* struct ofd_communities */
	OFD_FK_LCOMMS,	 /* struct ofd_large_communities */
	OFD_FK_FLOWTYPE, /* uint8_t enum ofd_flow_type, written by name */
	OFD_FK_ETYPE,	 /* uint16_t, written by name where it has one */
	OFD_FK_PROTO,	 /* uint8_t, written by name where it has one */
	OFD_FK_RPKI,	 /* uint8_t enum ofd_rpki, written by name */
	OFD_FK_MPLS,	 /* struct ofd_mpls_stack */
	OFD_FK__COUNT
};

/*
 * Field classes (the CLASS column): BASE fields are always written, ENRICHED ones when present;
 * NAMED ones (OFD_FIELD_NAME lines) have no member and are never present.
 */
enum ofd_field_class { OFD_FC_BASE, OFD_FC_ENRICHED, OFD_FC_NAMED };

/*
 * The `present` set: one bit per field id. Room for 256 fields; the table may not grow beyond.
 */
#define OFD_FIELDSET_WORDS 4
struct ofd_fieldset {
	uint64_t w[OFD_FIELDSET_WORDS];
};
_Static_assert(OFD_F__COUNT <= 64 * OFD_FIELDSET_WORDS, "struct ofd_fieldset has room for 256 fields");

/* The word of a fieldset that holds field id, and the field's bit in it. */
#define OFD_FS_WORD(id) ((unsigned)(id) >> 6)
#define OFD_FS_BIT(id)	(UINT64_C(1) << ((unsigned)(id)&63))

/*
 * Bit of a field in word 0 (ids 0..63: the base fields and the first enriched ones), for
 * constant masks such as a decoder's "every record has these" set; id must be a constant, and
 * an id of 64 or more does not compile. Use as `f->present.w[0] |= OFD_W0(a) | OFD_W0(b)`.
 */
#define OFD_W0(id) (OFD_FS_BIT(id) * (uint64_t)sizeof(char[(unsigned)(id) < 64 ? 1 : -1]))

#define OFD_AS_PATH_MAX		  12 /* AS path entries kept; longer paths keep their first entries */
#define OFD_COMMUNITIES_MAX	  8  /* BGP communities kept (RFC 1997), the first ones */
#define OFD_LARGE_COMMUNITIES_MAX 4  /* BGP large communities kept (RFC 8092), the first ones */

/* BGP communities: v[0..n), each ASN << 16 | value. */
struct ofd_communities {
	uint32_t v[OFD_COMMUNITIES_MAX];
	uint8_t n;
};

/*
 * An MPLS label stack, top first: lse[0..n), each the whole 32-bit label stack entry as on the wire
 * (RFC 3032: label << 12 | exp << 9 | bottom-of-stack << 8 | ttl; ttl 0 where the source carries
 * none, as IPFIX/v9 mplsLabelStackSection elements do). n counts up to the last entry sent
 * non-zero; entries before it that were not sent are 0.
 */
#define OFD_MPLS_MAX 10
struct ofd_mpls_stack {
	uint32_t lse[OFD_MPLS_MAX];
	uint8_t n;
};
#define OFD_MPLS_LSE_LABEL(e) ((uint32_t)(e) >> 12)
#define OFD_MPLS_LSE_EXP(e)   ((uint32_t)(e) >> 9 & 7)
#define OFD_MPLS_LSE_S(e)     ((uint32_t)(e) >> 8 & 1)
#define OFD_MPLS_LSE_TTL(e)   ((uint32_t)(e)&0xff)

struct ofd_large_community {
	uint32_t global, local1, local2;
};

struct ofd_large_communities {
	struct ofd_large_community v[OFD_LARGE_COMMUNITIES_MAX];
	uint8_t n;
};

enum ofd_direction { OFD_DIR_INGRESS = 0, OFD_DIR_EGRESS = 1 };

/* RFC 6811 route origin validation state, as an enricher found it. */
enum ofd_rpki { OFD_RPKI_UNKNOWN = 0, OFD_RPKI_VALID, OFD_RPKI_INVALID, OFD_RPKI_NOTFOUND };

/* Which side of a flow is the remote one (remote_addr, flowpipeline's RemoteAddr). */
enum ofd_remote_addr { OFD_REMOTE_NEITHER = 0, OFD_REMOTE_SRC = 1, OFD_REMOTE_DST = 2 };

/*
 * Where a record came from (ofd_flow.origin), set by its input. Tracers are only made about
 * records whose export the operator vouches for (src/tracer/admit.c): local ones (capture files,
 * stdin, exporters on loopback) and those of an exporter on the input's `exporters` list. A
 * network input that knows no list marks its records UNLISTED.
 */
enum ofd_origin { OFD_ORIGIN_LOCAL = 0, OFD_ORIGIN_LISTED = 1, OFD_ORIGIN_UNLISTED = 2 };

/* How an address was anonymized (src_addr_anon etc., flowpipeline's AnonymizedType). */
enum ofd_anon { OFD_ANON_NONE = 0, OFD_ANON_CRYPTOPAN = 1, OFD_ANON_SUBNET = 2, OFD_ANON_BOTH = 3 };

/* C declarations of the tail members, by kind. */
#define OFD_DECL_U8(m)	   uint8_t m;
#define OFD_DECL_U16(m)	   uint16_t m;
#define OFD_DECL_U32(m)	   uint32_t m;
#define OFD_DECL_U64(m)	   uint64_t m;
#define OFD_DECL_IP(m)	   struct ofd_ip m;
#define OFD_DECL_MAC(m)	   uint64_t m;
#define OFD_DECL_STR(m)	   const char *m;
#define OFD_DECL_CC(m)	   char m[2];
#define OFD_DECL_COMMS(m)  struct ofd_communities m;
#define OFD_DECL_LCOMMS(m) struct ofd_large_communities m;
#define OFD_DECL_MPLS(m)   struct ofd_mpls_stack m;

struct ofd_flow {
	/* hot for the odds and for filters: the first cache line */
	uint64_t time_received_ns;
	uint64_t time_flow_start_ns;
	uint64_t time_flow_end_ns;
	uint64_t bytes;
	uint64_t packets;
	uint32_t sampling_rate;
	uint8_t type; /* enum ofd_flow_type */
	uint8_t proto;
	uint16_t tcp_flags; /* tcpControlBits at full width: NS (0x100) and the 8 classic bits */
	uint64_t src_mac;   /* 48 bits, most significant byte first */
	uint64_t dst_mac;

	struct ofd_fieldset present; /* which fields are set: bit OFD_F_x for field x */

	struct ofd_ip sampler_address; /* the exporter (sFlow: agent address) */
	struct ofd_ip src_addr;
	struct ofd_ip dst_addr;
	struct ofd_ip next_hop;
	struct ofd_ip bgp_next_hop;

	uint32_t sequence_num;
	uint32_t observation_domain_id;
	uint32_t observation_point_id;
	uint32_t in_if;
	uint32_t out_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint32_t next_hop_as;
	uint32_t ipv6_flow_label;
	uint32_t fragment_id;
	uint32_t mpls_label;	    /* top label, 20 bits */
	uint32_t forwarding_status; /* RFC 7270 forwardingStatus as sent (status: low byte >> 6) */

	uint16_t etype;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t src_vlan;
	uint16_t dst_vlan;
	uint16_t vlan_id;
	uint16_t fragment_offset;

	uint8_t ip_tos;
	uint8_t ip_ttl;
	uint8_t ip_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t normalized; /* 1: bytes/packets were scaled by sampling_rate */
	uint8_t src_net;    /* prefix length */
	uint8_t dst_net;
	uint8_t engine_type;
	uint8_t engine_id;

	/*
	 * Provenance, set by inputs; not fields (never rendered, parsed or filtered on):
	 * origin        enum ofd_origin
	 * export_bytes  this record's share of the export datagram it came in (its length divided
	 *               by the records decoded from it, at least 1), 0 when unknown; the tracer's
	 *               per-exporter budget of bytes sent per byte received is earned from it
	 */
	uint8_t origin;
	/*
	 * 1: the outputs write only the fields whose present bit is set, base ones included
	 * (dropfields sets it: a cleared field is left out of JSON instead of written as zero).
	 */
	uint8_t sparse;
	uint16_t export_bytes;

	/*
	 * Enriched fields. Strings point into the arena of the batch the record is in
	 * (ofd_batch_strdup, include/ofd/batch.h), or at text that outlives the pipeline
	 * (configuration); NULL when unset.
	 */
	uint8_t flow_direction; /* enum ofd_direction */
	uint8_t rpki;		/* enum ofd_rpki */
	uint8_t as_path_len;
	char src_country[2]; /* ISO 3166 alpha-2, not terminated */
	char dst_country[2];
	uint32_t src_cid; /* customer ids */
	uint32_t dst_cid;
	uint32_t src_vrf; /* ingressVRFID */
	uint32_t dst_vrf; /* egressVRFID */
	uint32_t med;
	uint32_t local_pref;
	uint32_t as_path[OFD_AS_PATH_MAX];
	uint64_t in_if_speed; /* bit/s */
	uint64_t out_if_speed;
	const char *in_if_name;
	const char *in_if_desc;
	const char *out_if_name;
	const char *out_if_desc;

	/* the tail: the OFD_FIELD_TAIL lines of fields.def, in their order */
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)
#define OFD_FIELD_TAIL(ID, m, json, csv, fp, kind, cls, aux) OFD_DECL_##kind(m)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "fields.def"
};

/* ---- fieldsets: `present` and sets of fields (template plans, dropfields, masks) ---- */

static inline int ofd_fieldset_has(const struct ofd_fieldset *s, unsigned id)
{
	return (int)(s->w[OFD_FS_WORD(id)] >> (id & 63) & 1);
}

static inline void ofd_fieldset_set(struct ofd_fieldset *s, unsigned id)
{
	s->w[OFD_FS_WORD(id)] |= OFD_FS_BIT(id);
}

static inline void ofd_fieldset_clear(struct ofd_fieldset *s, unsigned id)
{
	s->w[OFD_FS_WORD(id)] &= ~OFD_FS_BIT(id);
}

/* d |= s */
static inline void ofd_fieldset_or(struct ofd_fieldset *d, const struct ofd_fieldset *s)
{
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		d->w[i] |= s->w[i];
}

/* d &= s */
static inline void ofd_fieldset_and(struct ofd_fieldset *d, const struct ofd_fieldset *s)
{
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		d->w[i] &= s->w[i];
}

/* d &= ~s */
static inline void ofd_fieldset_andnot(struct ofd_fieldset *d, const struct ofd_fieldset *s)
{
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		d->w[i] &= ~s->w[i];
}

/* 1 when s has any field of m (m NULL: any field at all). */
static inline int ofd_fieldset_any(const struct ofd_fieldset *s, const struct ofd_fieldset *m)
{
	uint64_t a = 0;
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		a |= s->w[i] & (m ? m->w[i] : UINT64_MAX);
	return a != 0;
}

static inline int ofd_fieldset_eq(const struct ofd_fieldset *a, const struct ofd_fieldset *b)
{
	uint64_t d = 0;
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		d |= a->w[i] ^ b->w[i];
	return d == 0;
}

/* The set of every field of the table. */
static inline struct ofd_fieldset ofd_fieldset_all(void)
{
	struct ofd_fieldset s;
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++) {
		unsigned lo = 64 * i;
		s.w[i] = OFD_F__COUNT >= lo + 64 ? UINT64_MAX
			 : OFD_F__COUNT > lo	 ? (UINT64_C(1) << (OFD_F__COUNT - lo)) - 1
						 : 0;
	}
	return s;
}

/* The set of the fields with a member (all but the storage-less ones). */
static inline struct ofd_fieldset ofd_fieldset_stored(void)
{
	struct ofd_fieldset s;
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++) {
		unsigned lo = 64 * i;
		s.w[i] = OFD_F__STORED >= lo + 64 ? UINT64_MAX
			 : OFD_F__STORED > lo	  ? (UINT64_C(1) << (OFD_F__STORED - lo)) - 1
						  : 0;
	}
	return s;
}

/* Whether field id of f is set (its `present` bit), set it, clear it (the value stays). */
static inline int ofd_flow_has(const struct ofd_flow *f, unsigned id)
{
	return ofd_fieldset_has(&f->present, id);
}

static inline void ofd_flow_set(struct ofd_flow *f, unsigned id)
{
	ofd_fieldset_set(&f->present, id);
}

static inline void ofd_flow_clear(struct ofd_flow *f, unsigned id)
{
	ofd_fieldset_clear(&f->present, id);
}

/*
 * Zero a record (what ofd_batch_add does to every record it hands out). Whole 16-byte stores:
 * cheaper than a library memset or `rep stos` for a record of this size.
 */
static inline void ofd_flow_zero(struct ofd_flow *f)
{
#if defined(__GNUC__) && defined(__SSE2__) && defined(__OPTIMIZE__)
	typedef uint64_t ofd_v2 __attribute__((vector_size(16), may_alias, aligned(8)));
	ofd_v2 *p = (ofd_v2 *)(void *)f;
	ofd_v2 z = {0, 0};
	__asm__("" : "+x"(z)); /* keeps the compiler from turning the stores back into memset */
#pragma GCC unroll 64
	for (unsigned i = 0; i < sizeof(*f) / 16; i++)
		p[i] = z;
	if (sizeof(*f) % 16)
		memset((char *)f + sizeof(*f) / 16 * 16, 0, sizeof(*f) % 16);
#else
	memset(f, 0, sizeof(*f));
#endif
}

/*
 * One field of the table (ofd_fields[id]); offsets and sizes are those of struct ofd_flow. A
 * storage-less field (cls OFD_FC_NAMED) has size and aux_size 0 and off and aux_off just past the
 * record: code that reads fields through the table tests ofd_field_stored() first.
 */
struct ofd_field_info {
	const char *name; /* goflow2-style snake_case: JSON key, dropfields/csv `fields` name */
	const char *csv;  /* CSV column */
	const char *fp;	  /* flowpipeline's (EnrichedFlow) name */
	uint16_t off, size;
	uint16_t aux_off, aux_size; /* the companion member (fields.def `aux`) */
	uint8_t kind;		    /* enum ofd_field_kind */
	uint8_t cls;		    /* enum ofd_field_class */
};

/* The field table, indexed by enum ofd_field. */
OFD_API extern const struct ofd_field_info ofd_fields[OFD_F__COUNT];

/* 1 when field id has a member in struct ofd_flow, 0 for a storage-less one (or no field). */
static inline int ofd_field_stored(unsigned id)
{
	return id < OFD_F__STORED;
}

/* ofd_fields[id], or NULL when id is out of range. */
OFD_API const struct ofd_field_info *ofd_field_get(unsigned id);

/*
 * The field id (enum ofd_field) of a name, or -1. Takes a field's snake_case name, its CSV
 * column and flowpipeline's name exactly, then any of them with case and underscores ignored
 * and a trailing "ns" optional (TimeReceived = time_received_ns, NextHopAS = next_hop_as).
 */
OFD_API int ofd_field_by_name(const char *name);

/*
 * The layout guard: a number that changes whenever the record layout changes (a field added,
 * removed, moved, resized or of another kind, or the record's size). A module built against
 * another layout must not touch records. An integer constant expression (usable in static
 * initializers).
 */
#define OFD_LAYOUT_MIX_(id, m, kind)                                                                         \
	+(((uint32_t)offsetof(struct ofd_flow, m) << 12 ^ (uint32_t)sizeof(((struct ofd_flow *)0)->m) << 2 ^ \
	   (uint32_t)(kind) << 26) *                                                                         \
	  (2u * (uint32_t)(id) + 1u) * 2654435761u)
enum {
	OFD_FLOW_LAYOUT_ =
	    (int)((0x0fd10000u + (uint32_t)sizeof(struct ofd_flow) * 40503u + (uint32_t)OFD_F__COUNT * 97u
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) OFD_LAYOUT_MIX_(OFD_F_##ID, m, OFD_FK_##kind)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)                                                              \
	+(((uint32_t)(OFD_FK_##kind) << 26) * (2u * (uint32_t)(OFD_F_##ID) + 1u) * 2654435761u)
#include "fields.def"
		   ) &
		  0x7fffffffu)
};
#define OFD_FLOW_LAYOUT ((uint32_t)OFD_FLOW_LAYOUT_)

/* OFD_FLOW_LAYOUT as the core was built (a loader compares a module's constant with it). */
OFD_API uint32_t ofd_flow_layout(void);

static inline void ofd_ip_set4(struct ofd_ip *ip, const uint8_t v4[4])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	ip->family = OFD_AF_INET;
	memcpy(ip->b, mapped, 12);
	memcpy(ip->b + 12, v4, 4);
}

static inline void ofd_ip_set4u(struct ofd_ip *ip, uint32_t v4)
{
	uint8_t b[4] = {(uint8_t)(v4 >> 24), (uint8_t)(v4 >> 16), (uint8_t)(v4 >> 8), (uint8_t)v4};
	ofd_ip_set4(ip, b);
}

static inline void ofd_ip_set6(struct ofd_ip *ip, const uint8_t v6[16])
{
	ip->family = OFD_AF_INET6;
	memcpy(ip->b, v6, 16);
}

static inline uint32_t ofd_ip_v4(const struct ofd_ip *ip)
{
	return (uint32_t)ip->b[12] << 24 | (uint32_t)ip->b[13] << 16 | (uint32_t)ip->b[14] << 8 | ip->b[15];
}

/* Text form of an address ("" for none); buf must hold OFD_IP_STRLEN bytes. Returns length. */
#define OFD_IP_STRLEN 46
OFD_API int ofd_ip_str(const struct ofd_ip *ip, char *buf);

/* Parse "a.b.c.d" or an IPv6 literal. Returns 0 or OFD_EFORMAT. */
OFD_API int ofd_ip_parse(struct ofd_ip *ip, const char *s);

/* Names for the type field, as goflow2 writes them. */
OFD_API const char *ofd_flow_type_name(unsigned type);

/* ICMP type/code from a destination port as some exporters encode them (type << 8 | code). */
static inline void ofd_flow_icmp_from_port(struct ofd_flow *f)
{
	if ((f->proto == 1 || f->proto == 58) && !(f->present.w[0] & OFD_W0(OFD_F_ICMP_TYPE))) {
		f->icmp_type = (uint8_t)(f->dst_port >> 8);
		f->icmp_code = (uint8_t)f->dst_port;
		f->present.w[0] |= OFD_W0(OFD_F_ICMP_TYPE) | OFD_W0(OFD_F_ICMP_CODE);
	}
}

#endif
