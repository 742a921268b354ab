/*
 * Flows as protobuf, reading (flowpb.h): untrusted bytes into a record, through the schema's
 * number -> entry table (flowpb.c builds it). Every length is checked against the end before it
 * is used; a refused message leaves the record zeroed and the arena as it was.
 */
#include "flowpb_int.h"

#include <string.h>

#include "util/utf8.h"

/* ---- decoding ---- */

/* A varint at *pp (before end): 0, OFD_ETRUNC, or OFD_EFORMAT (more than ten bytes, or beyond
   64 bits). */
static inline int pb_get(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	if (p < end && *p < 0x80) {
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (p >= end)
			return OFD_ETRUNC;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b < 0x80) {
			if (i == 9 && b > 1)
				return OFD_EFORMAT;
			*out = v;
			*pp = p;
			return 0;
		}
	}
	return OFD_EFORMAT;
}

/* A length-delimited payload: its start in *pp, its length in *len (both checked). */
static inline int pb_len(const uint8_t **pp, const uint8_t *end, size_t *len)
{
	uint64_t v;
	int rc = pb_get(pp, end, &v);
	if (rc)
		return rc;
	if (v > (uint64_t)(end - *pp))
		return OFD_ETRUNC;
	*len = (size_t)v;
	return 0;
}

/* Skip a field of wire type wt (groups refused). */
static int pb_skip(const uint8_t **pp, const uint8_t *end, unsigned wt)
{
	uint64_t v;
	size_t n;
	int rc;
	switch (wt) {
	case 0: return pb_get(pp, end, &v);
	case 1: n = 8; break;
	case 2:
		if ((rc = pb_len(pp, end, &n)))
			return rc;
		break;
	case 5: n = 4; break;
	default: return OFD_EFORMAT;
	}
	if (n > (size_t)(end - *pp))
		return OFD_ETRUNC;
	*pp += n;
	return 0;
}

/* What a message gathers before it ends: the label stack's lists, the legacy time fields. */
struct pb_dec {
	struct ofd_flow *f;
	struct ofd_batch *strs;
	unsigned *dropped;
	uint32_t labels[OFD_MPLS_MAX], ttls[OFD_MPLS_MAX];
	unsigned nlabels, nttls;
	int have_labels, have_mpls_ip;
	uint64_t legacy; /* bits of the time fields (ids < 64) set from seconds/milliseconds */
};

/* One element of a repeated uint32 field into its list. */
static void pb_elem(struct pb_dec *d, const struct pb_ent *e, uint32_t v)
{
	struct ofd_flow *f = d->f;
	switch (e->op) {
	case PB_PATH:
		if (f->as_path_len < OFD_AS_PATH_MAX)
			f->as_path[f->as_path_len++] = v;
		ofd_flow_set(f, OFD_F_AS_PATH);
		break;
	case PB_COMMS:
		if (f->bgp_communities.n < OFD_COMMUNITIES_MAX)
			f->bgp_communities.v[f->bgp_communities.n++] = v;
		ofd_flow_set(f, OFD_F_BGP_COMMUNITIES);
		break;
	case PB_MTTL:
		if (d->nttls < OFD_MPLS_MAX)
			d->ttls[d->nttls++] = v;
		break;
	default:
		if (d->nlabels < OFD_MPLS_MAX)
			d->labels[d->nlabels++] = v;
		break;
	}
}

/* 4 or 16 bytes of address (1), none (0), anything else (-1). */
static int pb_addr(struct ofd_ip *ip, const uint8_t *p, size_t n)
{
	if (n == 4)
		ofd_ip_set4(ip, p);
	else if (n == 16)
		ofd_ip_set6(ip, p);
	else
		return n == 0 ? 0 : -1;
	return 1;
}

/* A length-delimited value of entry e, p[0..n). */
static int pb_bytes(struct pb_dec *d, const struct pb_ent *e, const uint8_t *p, size_t n)
{
	struct ofd_flow *f = d->f;
	unsigned char *at = (unsigned char *)f + e->off;
	int r;
	switch (e->op) {
	case PB_IP:
		if ((r = pb_addr((struct ofd_ip *)(void *)at, p, n)) < 0)
			return OFD_EFORMAT;
		break;
	case PB_MIP: {
		struct ofd_ip ip;
		if ((r = pb_addr(&ip, p, n)) < 0)
			return OFD_EFORMAT;
		if (r && !d->have_mpls_ip) /* the first address is kept */
			f->mpls_ip = ip, d->have_mpls_ip = 1;
		break;
	}
	case PB_STR: {
		unsigned char hi = 0;
		for (size_t i = 0; i < n; i++)
			hi |= p[i];
		if (hi >= 0x80) /* proto3 strings are UTF-8 (Go refuses the message otherwise) */
			for (size_t i = 0, k; i < n; i += k)
				if (!(k = ofd_utf8_decode(p + i, n - i, NULL)))
					return OFD_EFORMAT;
		r = ofd_pj_text(d->strs, d->dropped, (const char *)p, n, (const char **)(void *)at);
		break;
	}
	case PB_CC:
		if (n == 0)
			return 0;
		if (n != 2 || p[0] < 0x21 || p[0] > 0x7e || p[1] < 0x21 || p[1] > 0x7e)
			return OFD_EFORMAT;
		memcpy(at, p, 2);
		r = 1;
		break;
	default: { /* a packed list */
		const uint8_t *end = p + n;
		if (e->op == PB_MLABEL)
			d->have_labels = 1;
		while (p < end) {
			uint64_t v;
			if (pb_get(&p, end, &v))
				return OFD_EFORMAT;
			pb_elem(d, e, (uint32_t)v);
		}
		return 0;
	}
	}
	if (r > 0)
		ofd_flow_set(f, (unsigned)e->field);
	return 0;
}

/* A varint value of entry e. */
static int pb_number(struct pb_dec *d, const struct pb_ent *e, uint64_t v)
{
	struct ofd_flow *f = d->f;
	unsigned char *at = (unsigned char *)f + e->off;
	if (e->u32)
		v = (uint32_t)v; /* protobuf's reading of a uint32 field */
	switch (e->op) {
	case PB_SEC:
	case PB_MS: {
		uint64_t mul = e->op == PB_SEC ? 1000000000u : 1000000u, bit = UINT64_C(1) << (e->field & 63);
		if (v > INT64_MAX / mul)
			return OFD_EFORMAT;
		if (ofd_flow_has(f, (unsigned)e->field) && !(d->legacy & bit))
			return 0; /* the *_ns field came: it wins */
		d->legacy |= bit;
		v *= mul;
		memcpy(at, &v, 8);
		break;
	}
	case PB_MBPS:
		v *= 1000000u;
		memcpy(at, &v, 8);
		break;
	case PB_ENUM:
		if (v > e->max)
			return OFD_EFORMAT;
		*at = ofd_pj_enums[e->aux].ours[v];
		break;
	case PB_PATH:
	case PB_COMMS:
	case PB_MTTL:
	case PB_MLABEL: /* an unpacked element */
		if (e->op == PB_MLABEL)
			d->have_labels = 1;
		pb_elem(d, e, (uint32_t)v);
		return 0;
	default: /* plain numbers, MAC */
		if (v > e->max)
			return OFD_EFORMAT;
		switch (e->op) {
		case PB_N8: *at = (uint8_t)v; break;
		case PB_N16: memcpy(at, &(uint16_t){(uint16_t)v}, 2); break;
		case PB_N32: memcpy(at, &(uint32_t){(uint32_t)v}, 4); break;
		default:
			memcpy(at, &v, 8);
			if (e->field < 64)
				d->legacy &=
				    ~(UINT64_C(1) << e->field); /* a *_ns field wins over legacy ones */
			break;
		}
		break;
	}
	ofd_flow_set(f, (unsigned)e->field);
	return 0;
}

static int pb_decode(struct pb_dec *d, const struct pb_schema *S, const uint8_t *p, const uint8_t *end)
{
	int rc;
	while (p < end) {
		uint64_t tag;
		if (*p < 0x80)
			tag = *p++;
		else if ((rc = pb_get(&p, end, &tag)))
			return rc;
		uint64_t num = tag >> 3;
		unsigned wt = (unsigned)tag & 7;
		if (num == 0 || num > 0x1fffffff)
			return OFD_EFORMAT;
		unsigned i = num < PB_NUMS ? S->idx[num] : 0;
		const struct pb_ent *e = i ? &S->dec[i - 1] : NULL;
		if (!e || e->op == PB_SKIP) {
			if ((rc = pb_skip(&p, end, wt)))
				return rc;
			continue;
		}
		if (wt == 0 && e->op == PB_NUM) { /* most fields: no calls, no jump table */
			uint64_t v;
			if (p < end && *p < 0x80)
				v = *p++;
			else if ((rc = pb_get(&p, end, &v)))
				return rc;
			v &= e->trunc;
			if (v > e->max)
				return OFD_EFORMAT;
			unsigned char *at = (unsigned char *)d->f + e->off;
			/* stores of the member's size: a read-modify-write of 8 bytes would wait for
			   the previous field's store to the same bytes */
			if (e->size == 1)
				*at = (uint8_t)v;
			else if (e->size == 2)
				memcpy(at, &(uint16_t){(uint16_t)v}, 2);
			else if (e->size == 4)
				memcpy(at, &(uint32_t){(uint32_t)v}, 4);
			else
				memcpy(at, &v, 8);
			d->f->present.w[(unsigned)e->field >> 6] |= UINT64_C(1) << (e->field & 63);
			d->legacy &= ~e->legacy_bit; /* a *_ns field wins over legacy ones */
			continue;
		}
		if (wt == 0) {
			uint64_t v;
			if (e->wt != 0 && e->op != PB_PATH && e->op != PB_COMMS && e->op != PB_MTTL &&
			    e->op != PB_MLABEL)
				return OFD_EFORMAT;
			if ((rc = pb_get(&p, end, &v)) || (rc = pb_number(d, e, v)))
				return rc;
		} else if (wt == 2 && e->wt == 2) {
			size_t n;
			if ((rc = pb_len(&p, end, &n)) || (rc = pb_bytes(d, e, p, n)))
				return rc;
			p += n;
		} else {
			return OFD_EFORMAT; /* a wire type the schema's field cannot have */
		}
	}
	return ofd_pj_mpls_apply(d->f, d->labels, d->nlabels, d->ttls, d->nttls, d->have_labels) ? OFD_EFORMAT
												 : 0;
}

int ofd_pb_decode(struct ofd_flow *f, const uint8_t *p, size_t n, enum ofd_pb_schema s,
		  struct ofd_batch *strs, unsigned *dropped)
{
	const struct pb_schema *S = ofd_pb_schema(s == OFD_PB_LEGACY ? OFD_PB_LEGACY : OFD_PB_ENRICHED);
	ofd_flow_zero(f);
	struct pb_dec d;
	d.f = f, d.strs = strs, d.dropped = dropped;
	d.nlabels = d.nttls = 0;
	d.have_labels = d.have_mpls_ip = 0;
	d.legacy = 0;
	uint32_t arena = strs ? strs->arena_used : 0;
	unsigned drops = dropped ? *dropped : 0;
	int rc = pb_decode(&d, S, p, p + n);
	if (rc) { /* nothing of a refused message stays: fields, strings, their count */
		ofd_flow_zero(f);
		if (strs)
			strs->arena_used = arena;
		if (dropped)
			*dropped = drops;
	}
	return rc;
}

int ofd_pb_next_delim(const uint8_t *p, size_t n, size_t *off, const uint8_t **msg, size_t *len)
{
	if (*off >= n)
		return *off == n ? 0 : OFD_EFORMAT;
	const uint8_t *q = p + *off;
	int rc = pb_len(&q, p + n, len);
	if (rc)
		return rc;
	*msg = q;
	*off = (size_t)(q - p) + *len;
	return 1;
}
