/*
 * Flows as protobuf (flowpb.h): EnrichedFlow and FlowMessage from the protojson table.
 *
 * At first use (pthread_once) each schema gets its entries from protojson_fields.def, each with
 * its tag bytes, member offset and an operation: for writing, the BASE fields sorted by number
 * and the ENRICHED ones sorted by number (each knowing how many base entries come before it); for
 * reading, a field number -> entry table.
 *
 * Writing walks the base entries in one loop; the enriched fields present (few, mostly none) are
 * found from the present bits and merged in by number, so a NetFlow record never looks at the 70
 * enriched entries. Plain numbers, most fields, are PB_NUM both ways: read as 8 masked bytes
 * (written as their own size), without a call or a jump table. Values follow the conversions
 * shared with protojson (pjconv.h: ranges, enum numbering, the label stack, strings), so a
 * record reads and writes the same in flowpipeline's JSON and in protobuf.
 */
#include "flowpb_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flowfmt.h"
#include "pjconv.h"
#include "protojson.h"
#include "util/utf8.h"

/* The def's lines: number, conversion, field. */
struct pb_def {
	uint16_t num;
	uint8_t conv;
	int16_t field;
};
static const struct pb_def pb_defs[] = {
#define OFD_PJ(num, json, proto, conv, field) {num, OFD_PJ_##conv, field},
#include "protojson_fields.def"
};
_Static_assert(sizeof(pb_defs) / sizeof(pb_defs[0]) == PB_NDEF, "one entry per line of the def");

/* FlowMessage's numbers (proto/flow.proto); tests/unit/test_flowpb.c holds them against it. */
static const uint16_t pb_legacy_nums[] = {1,  3,   4,	6,   7,	  9,   10,  11,	 12,  13,  14, 15, 16,
					  17, 18,  19,	20,  21,  22,  23,  24,	 25,  26,  27, 28, 29,
					  30, 31,  32,	33,  34,  35,  36,  37,	 38,  70,  71, 80, 81,
					  82, 100, 101, 102, 103, 104, 105, 106, 110, 111, 112};

static struct pb_schema pb_schemas[2];
static struct ofd_fieldset pb_enriched; /* every ENRICHED field */
static uint8_t pb_enum_num[5][8];	/* our enum value -> the schema's number (values < 8) */
static pthread_once_t pb_once = PTHREAD_ONCE_INIT;

static int pb_cmp(const void *a, const void *b)
{
	const struct pb_ent *x = a, *y = b;
	return (int)x->num - (int)y->num;
}

static inline uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	if (v < 0x80) {
		*p = (uint8_t)v;
		return p + 1;
	}
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static void pb_make(struct pb_ent *e, const struct pb_def *d)
{
	memset(e, 0, sizeof(*e));
	e->num = d->num;
	e->field = d->field;
	e->op = PB_SKIP;
	if (d->field < 0 || d->conv == OFD_PJ_SKIP)
		return;
	const struct ofd_field_info *fi = &ofd_fields[d->field];
	e->off = fi->off;
	e->trunc = UINT64_MAX;
	e->legacy_bit = d->field < 64 ? UINT64_C(1) << d->field : 0;
	e->enriched = fi->cls == OFD_FC_ENRICHED;
	static const uint8_t by_size[9] = {[1] = PB_N8, [2] = PB_N16, [4] = PB_N32, [8] = PB_N64};
	switch (d->conv) {
	case OFD_PJ_U32:
	case OFD_PJ_U64:
		e->op = by_size[fi->size];
		e->u32 = d->conv == OFD_PJ_U32;
		e->max = ofd_pj_max(fi);
		break;
	case OFD_PJ_SEC: e->op = PB_SEC; break;
	case OFD_PJ_MS: e->op = PB_MS; break;
	case OFD_PJ_MBPS: e->op = PB_MBPS, e->u32 = 1; break;
	case OFD_PJ_MAC: e->op = PB_MAC, e->max = (UINT64_C(1) << 48) - 1; break;
	case OFD_PJ_IP: e->op = PB_IP, e->wt = 2; break;
	case OFD_PJ_STR: e->op = PB_STR, e->wt = 2; break;
	case OFD_PJ_CC: e->op = PB_CC, e->wt = 2; break;
	case OFD_PJ_EFT:
	case OFD_PJ_ERPKI:
	case OFD_PJ_EANON:
	case OFD_PJ_ENORM:
	case OFD_PJ_EREMOTE:
		e->op = PB_ENUM, e->u32 = 1, e->aux = (uint8_t)(d->conv - OFD_PJ_EFT);
		e->max = ofd_pj_enums[e->aux].n - 1; /* schema numbers */
		if (fi->size != 1)
			abort(); /* enum members are one byte */
		break;
	case OFD_PJ_REPEATED: e->op = fi->kind == OFD_FK_ASPATH ? PB_PATH : PB_COMMS, e->wt = 2; break;
	case OFD_PJ_MPLS_TTL: e->op = PB_MTTL, e->wt = 2; break;
	case OFD_PJ_MPLS_LABEL: e->op = PB_MLABEL, e->wt = 2; break;
	case OFD_PJ_MPLS_IP: e->op = PB_MIP, e->wt = 2; break;
	default: break;
	}
	if (e->u32)
		e->trunc = UINT32_MAX;
	uint8_t t[10];
	e->taglen = (uint8_t)(pb_varint(t, (uint64_t)d->num << 3 | e->wt) - t);
	memcpy(e->tag, t, 3);
}

/* The most bytes an entry writes. */
static size_t pb_worst(const struct pb_ent *e)
{
	switch (e->op) {
	case PB_IP:
	case PB_MIP: return e->taglen + 1u + 16u;
	case PB_STR: return e->taglen + 2u + OFD_FMT_TEXT_MAX;
	case PB_CC: return e->taglen + 1u + 2u;
	case PB_PATH: return e->taglen + 1u + 5u * OFD_AS_PATH_MAX;
	case PB_COMMS: return e->taglen + 1u + 5u * OFD_COMMUNITIES_MAX;
	case PB_MTTL:
	case PB_MLABEL: return e->taglen + 1u + 5u * OFD_MPLS_MAX;
	default: return e->taglen + 10u;
	}
}

/* A plain number whose member can be read as 8 bytes (inside the record) is written as PB_NUM. */
static void pb_fast(struct pb_ent *e)
{
	unsigned size = e->op == PB_N8 ? 1 : e->op == PB_N16 ? 2 : e->op == PB_N32 ? 4 : 8;
	if (e->op > PB_MAC || e->off + 8u > sizeof(struct ofd_flow))
		return;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return; /* the mask takes the member's bytes from the low end */
#endif
	e->op = PB_NUM;
	e->size = (uint8_t)size;
	e->mask = size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1; /* little-endian loads */
}

static int pb_is_legacy(unsigned num)
{
	for (unsigned i = 0; i < sizeof(pb_legacy_nums) / sizeof(pb_legacy_nums[0]); i++)
		if (pb_legacy_nums[i] == num)
			return 1;
	return 0;
}

static void pb_init(void)
{
	for (unsigned i = 0; i < OFD_F__STORED; i++)
		if (ofd_fields[i].cls == OFD_FC_ENRICHED)
			ofd_fieldset_set(&pb_enriched, i);
	for (unsigned k = 0; k < 5; k++)
		for (unsigned v = 0; v < 8; v++)
			pb_enum_num[k][v] = (uint8_t)ofd_pj_enum_number(&ofd_pj_enums[k], v);
	for (unsigned s = 0; s < 2; s++) {
		struct pb_schema *S = &pb_schemas[s];
		for (unsigned i = 0; i < PB_NDEF; i++) {
			const struct pb_def *d = &pb_defs[i];
			if (d->num >= PB_NUMS || S->idx[d->num])
				abort(); /* the def's numbers are unique and below PB_NUMS */
			if (s == OFD_PB_LEGACY && !pb_is_legacy(d->num))
				continue;
			struct pb_ent e;
			pb_make(&e, d);
			pb_fast(&e); /* reading takes PB_NUM entries the same way */
			S->dec[S->ndec++] = e;
			S->idx[d->num] = (uint8_t)S->ndec;
			if (e.op == PB_SKIP || e.op == PB_SEC || e.op == PB_MS)
				continue;
			S->worst += pb_worst(&e);
			if (e.enriched)
				S->enr[S->nenr++] = e;
			else
				S->base[S->nbase++] = e;
		}
		qsort(S->enr, S->nenr, sizeof(S->enr[0]), pb_cmp);
		qsort(S->base, S->nbase, sizeof(S->base[0]), pb_cmp);
		for (unsigned i = 0; i < S->nenr; i++) {
			while (S->enr[i].at < S->nbase && S->base[S->enr[i].at].num < S->enr[i].num)
				S->enr[i].at++;
			if (S->enr_idx[S->enr[i].field])
				abort(); /* one written entry per enriched field */
			S->enr_idx[S->enr[i].field] = (uint8_t)(i + 1);
		}
		if (S->worst > PB_SCRATCH || PB_NDEF >= 255)
			abort();
	}
}

const struct pb_schema *ofd_pb_schema(enum ofd_pb_schema s)
{
	pthread_once(&pb_once, pb_init);
	return &pb_schemas[s];
}

_Static_assert(OFD_PB_MAX >= PB_SCRATCH + 10, "OFD_PB_MAX holds any record and its length");

/* ---- encoding ---- */

static inline uint8_t *pb_tag(uint8_t *p, const struct pb_ent *e)
{
	memcpy(p, e->tag, 3); /* the bytes after the tag are written over */
	return p + e->taglen;
}

static inline unsigned pb_varint_len(uint64_t v)
{
	unsigned n = 1;
	while (v >= 0x80)
		v >>= 7, n++;
	return n;
}

/* A packed list of v[i] >> shift & mask. */
static uint8_t *pb_packed(uint8_t *p, const struct pb_ent *e, const uint32_t *v, unsigned n, unsigned shift,
			  uint32_t mask)
{
	unsigned len = 0;
	for (unsigned i = 0; i < n; i++)
		len += pb_varint_len(v[i] >> shift & mask);
	p = pb_tag(p, e);
	*p++ = (uint8_t)len; /* at most 60 bytes */
	for (unsigned i = 0; i < n; i++)
		p = pb_varint(p, v[i] >> shift & mask);
	return p;
}

/* A string as the json output writes it: cut at OFD_FMT_TEXT_MAX bytes on a UTF-8 boundary,
   invalid UTF-8 bytes as '?' (a Go reader refuses a message with invalid UTF-8). */
static uint8_t *pb_text(uint8_t *p, const struct pb_ent *e, const char *s, size_t n)
{
	n = ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX);
	p = pb_tag(p, e);
	p = pb_varint(p, n);
	unsigned char hi = 0;
	for (size_t i = 0; i < n; i++)
		hi |= (unsigned char)s[i];
	if (hi < 0x80) {
		memcpy(p, s, n);
		return p + n;
	}
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = ofd_utf8_decode(u + i, n - i, NULL);
		if (!k) {
			*p++ = '?';
			i++;
			continue;
		}
		memcpy(p, u + i, k);
		p += k, i += k;
	}
	return p;
}

static uint8_t *pb_ip(uint8_t *p, const struct pb_ent *e, const struct ofd_ip *ip)
{
	p = pb_tag(p, e);
	if (ip->family == OFD_AF_INET) {
		*p++ = 4;
		memcpy(p, ip->b + 12, 4);
		return p + 4;
	}
	*p++ = 16;
	memcpy(p, ip->b, 16);
	return p + 16;
}

/* One entry's field of a record at p (when it has a value): the end of what was written. */
static inline __attribute__((always_inline)) uint8_t *pb_put(uint8_t *p, const struct pb_ent *e,
							     const struct ofd_flow *f)
{
	const unsigned char *at = (const unsigned char *)f + e->off;
	uint64_t v;
	if (e->op == PB_NUM) { /* most fields: no jump table */
		memcpy(&v, at, 8);
		v &= e->mask;
		if (!v) /* a branch, not a select: p must not wait for the load */
			return p;
		return pb_varint(pb_tag(p, e), v);
	}
	switch (e->op) {
	case PB_N8:
	case PB_ENUM: v = *at; break;
	case PB_N16: {
		uint16_t x;
		memcpy(&x, at, 2);
		v = x;
		break;
	}
	case PB_N32: {
		uint32_t x;
		memcpy(&x, at, 4);
		v = x;
		break;
	}
	case PB_N64:
	case PB_MAC: memcpy(&v, at, 8); break;
	case PB_MBPS:
		memcpy(&v, at, 8);
		v /= 1000000;
		v = v > UINT32_MAX ? UINT32_MAX : v;
		break;
	case PB_IP: {
		const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)at;
		if (ip->family == OFD_AF_INET || ip->family == OFD_AF_INET6)
			p = pb_ip(p, e, ip);
		return p;
	}
	case PB_STR: {
		const char *s;
		memcpy(&s, at, sizeof(s));
		if (s && *s)
			p = pb_text(p, e, s, strlen(s));
		return p;
	}
	case PB_CC:
		if (at[0] && at[1])
			p = pb_text(p, e, (const char *)at, 2);
		return p;
	case PB_PATH: {
		unsigned n = f->as_path_len;
		if (n)
			p = pb_packed(p, e, f->as_path, n < OFD_AS_PATH_MAX ? n : OFD_AS_PATH_MAX, 0,
				      UINT32_MAX);
		return p;
	}
	case PB_COMMS: {
		unsigned n = f->bgp_communities.n;
		if (n)
			p = pb_packed(p, e, f->bgp_communities.v,
				      n < OFD_COMMUNITIES_MAX ? n : OFD_COMMUNITIES_MAX, 0, UINT32_MAX);
		return p;
	}
	case PB_MTTL: {
		unsigned n = ofd_pj_mpls_n(f);
		if (ofd_pj_mpls_ttls(f, n))
			p = pb_packed(p, e, f->mpls_stack.lse, n, 0, 0xff);
		return p;
	}
	case PB_MLABEL: {
		unsigned n = ofd_pj_mpls_n(f);
		if (n)
			p = pb_packed(p, e, f->mpls_stack.lse, n, 12, 0xfffff);
		else if (f->mpls_label)
			p = pb_packed(p, e, &f->mpls_label, 1, 0, UINT32_MAX);
		return p;
	}
	case PB_MIP:
		if (f->mpls_ip.family == OFD_AF_INET || f->mpls_ip.family == OFD_AF_INET6)
			p = pb_ip(p, e, &f->mpls_ip);
		return p;
	default: return p;
	}
	if (!v)
		return p;
	if (e->op == PB_ENUM && v < 8)
		v = pb_enum_num[e->aux][v];
	return pb_varint(pb_tag(p, e), v);
}

__attribute__((noinline)) static uint8_t *pb_put_cold(uint8_t *p, const struct pb_ent *e,
						      const struct ofd_flow *f)
{
	return pb_put(p, e, f);
}

/* The base entries [e, end). */
static uint8_t *pb_run(uint8_t *p, const struct pb_ent *e, const struct pb_ent *end, const struct ofd_flow *f)
{
	for (; e < end; e++)
		p = pb_put(p, e, f);
	return p;
}

/* The written entries of the present enriched fields into sel[] (enr indexes, ascending): their
   count. */
static unsigned pb_select(const struct ofd_flow *f, const struct pb_schema *S, uint8_t *sel)
{
	unsigned n = 0;
	for (unsigned w = 0; w < OFD_FIELDSET_WORDS; w++)
		for (uint64_t m = f->present.w[w] & pb_enriched.w[w]; m; m &= m - 1) {
			unsigned i = S->enr_idx[64 * w + (unsigned)__builtin_ctzll(m)], k = n;
			if (!i--)
				continue; /* a field the schema does not have */
			for (; k && sel[k - 1] > i; k--)
				sel[k] = sel[k - 1];
			sel[k] = (uint8_t)i;
			n++;
		}
	return n;
}

/* A sparse record (dropfields): base fields too only when present. */
__attribute__((noinline)) static size_t pb_encode_sparse(const struct ofd_flow *f, const struct pb_schema *S,
							 uint8_t *out)
{
	uint8_t sel[PB_NDEF];
	unsigned n = pb_select(f, S, sel), j = 0;
	uint8_t *p = out;
	for (unsigned b = 0; b <= S->nbase; b++) {
		for (; j < n && (b == S->nbase || S->enr[sel[j]].at <= b); j++)
			p = pb_put_cold(p, &S->enr[sel[j]], f);
		if (b < S->nbase && ofd_flow_has(f, (unsigned)S->base[b].field))
			p = pb_put_cold(p, &S->base[b], f);
	}
	return (size_t)(p - out);
}

/* A record into out (room for the schema's worst case): the BASE entries in a plain loop, the
   ENRICHED ones present (a few, mostly) found from the present bits and merged in by number. */
static size_t pb_encode(const struct ofd_flow *f, const struct pb_schema *S, int enriched, uint8_t *out)
{
	if (f->sparse)
		return pb_encode_sparse(f, S, out);
	if (!enriched)
		return (size_t)(pb_run(out, S->base, S->base + S->nbase, f) - out);
	uint8_t sel[PB_NDEF]; /* enr indexes of the present enriched fields, ascending */
	unsigned n = pb_select(f, S, sel);
	uint8_t *p = out;
	unsigned b = 0;
	for (unsigned j = 0; j < n; j++) { /* the base entries before each enriched one, then it */
		const struct pb_ent *x = &S->enr[sel[j]];
		p = pb_run(p, S->base + b, S->base + x->at, f);
		p = pb_put_cold(p, x, f);
		b = x->at;
	}
	return (size_t)(pb_run(p, S->base + b, S->base + S->nbase, f) - out);
}

__attribute__((noinline)) static size_t pb_encode_small(const struct ofd_flow *f, const struct pb_schema *S,
							int enriched, uint8_t *out, size_t cap)
{
	uint8_t tmp[PB_SCRATCH + 16];
	size_t n = pb_encode(f, S, enriched, tmp);
	if (n > cap)
		return 0;
	memcpy(out, tmp, n);
	return n;
}

size_t ofd_pb_encode(const struct ofd_flow *f, enum ofd_pb_schema s, uint8_t *out, size_t cap)
{
	pthread_once(&pb_once, pb_init);
	const struct pb_schema *S = &pb_schemas[s == OFD_PB_LEGACY];
	int enriched = ofd_fieldset_any(&f->present, &pb_enriched);
	if (cap < S->worst + 16) /* + 16: pb_tag writes 3 bytes for a shorter tag */
		return pb_encode_small(f, S, enriched, out, cap);
	return pb_encode(f, S, enriched, out);
}

size_t ofd_pb_put_len(uint8_t *out, uint64_t len)
{
	return (size_t)(pb_varint(out, len) - out);
}
