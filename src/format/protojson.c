/*
 * flowpipeline's flow JSON written (protojson.h): a walk over the schema table in its declaration
 * order, each value formatted in place with the cursor writers of wbuf.h. Room is reserved once
 * per field (a string field may take 6 * OFD_FMT_TEXT_MAX bytes, a list a few hundred), so a
 * record of any size fits and nothing is allocated.
 */
#include "protojson.h"

#include <string.h>

#include "flowfmt.h"
#include "pjconv.h"

const struct ofd_pj_field ofd_pj_fields[] = {
#define OFD_PJ(num, json, proto, conv, field) {json, proto, num, OFD_PJ_##conv, field},
#include "protojson_fields.def"
};
const unsigned ofd_pj_nfields = sizeof(ofd_pj_fields) / sizeof(ofd_pj_fields[0]);

/* Enum names by our value (the record's numbering). ValidationStatusType numbers its values
   otherwise than we do (NotFound 2, Invalid 3); names are what is written. */
static const char *const ft_names[] = {"FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5", "NETFLOW_V9", "IPFIX"};
static const char *const rpki_names[] = {"Unknown", "Valid", "Invalid", "NotFound"};
static const char *const anon_names[] = {"NotAnonymized", "CryptoPAN", "Subnet", "SubnetAndCryptoPAN"};
static const char *const norm_names[] = {"No", "Yes"};
static const char *const remote_names[] = {"Neither", "Src", "Dst"};

/* The value of a plain number field of any width. */
static uint64_t pj_num(const struct ofd_flow *f, const struct ofd_field_info *d)
{
	return ofd_pj_num((const unsigned char *)f + d->off, d->size);
}

/* Standard base64 with padding of b[0..n) at p. */
static char *pj_base64(char *p, const uint8_t *b, unsigned n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		p[0] = a[v >> 18], p[1] = a[v >> 12 & 63], p[2] = a[v >> 6 & 63], p[3] = a[v & 63];
		p += 4;
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)b[i] << 16;
		p[0] = a[v >> 18], p[1] = a[v >> 12 & 63], p[2] = '=', p[3] = '=';
		p += 4;
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;
		p[0] = a[v >> 18], p[1] = a[v >> 12 & 63], p[2] = a[v >> 6 & 63], p[3] = '=';
		p += 4;
	}
	return p;
}

/* An address as a quoted base64 string: 4 bytes for IPv4, 16 for IPv6. */
static char *pj_ip(char *p, const struct ofd_ip *ip)
{
	*p++ = '"';
	p = ip->family == OFD_AF_INET ? pj_base64(p, ip->b + 12, 4) : pj_base64(p, ip->b, 16);
	*p++ = '"';
	return p;
}

static char *pj_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

/* The writer's state: the cursor and whether anything was written (for the separators). */
struct pj_out {
	struct ofd_wbuf *w;
	char *p;
	int pretty;
	int any;
};

/* Make room for one field and write its key. */
static void pj_key(struct pj_out *o, const char *key)
{
	ofd_wbuf_set_end(o->w, o->p);
	ofd_wbuf_reserve(o->w);
	char *p = ofd_wbuf_end(o->w);
	if (o->any)
		*p++ = ',';
	if (o->pretty)
		p = OFD_WBUF_LIT(p, "\n  ");
	*p++ = '"';
	p = pj_str(p, key);
	p = o->pretty ? OFD_WBUF_LIT(p, "\": ") : OFD_WBUF_LIT(p, "\":");
	o->p = p;
	o->any = 1;
}

/* A list element's separator (i: its index). */
static char *pj_elem(const struct pj_out *o, char *p, unsigned i)
{
	if (i)
		*p++ = ',';
	if (o->pretty)
		p = OFD_WBUF_LIT(p, "\n    ");
	return p;
}

static char *pj_list_end(const struct pj_out *o, char *p)
{
	if (o->pretty)
		p = OFD_WBUF_LIT(p, "\n  ");
	*p++ = ']';
	return p;
}

/* A list of u32 (mask/shift applied to each: label stack entries); nothing when n is 0. */
static void pj_u32s(struct pj_out *o, const char *key, const uint32_t *v, unsigned n, unsigned shift,
		    uint32_t mask)
{
	if (!n)
		return;
	pj_key(o, key);
	char *p = o->p;
	*p++ = '[';
	for (unsigned i = 0; i < n; i++) {
		p = pj_elem(o, p, i);
		p = ofd_wbuf_put_u32(p, v[i] >> shift & mask);
	}
	o->p = pj_list_end(o, p);
}

static void pj_enum(struct pj_out *o, const char *key, const char *const *names, unsigned n, uint64_t v)
{
	pj_key(o, key);
	char *p = o->p;
	if (v < n) {
		*p++ = '"';
		p = pj_str(p, names[v]);
		*p++ = '"';
	} else {
		p = ofd_wbuf_put_u64(p, v); /* a value without a name: its number, as Go writes it */
	}
	o->p = p;
}

/* The MPLS fields: labels and TTLs of the stack (or the top label alone), the top label's address. */
static void pj_mpls(struct pj_out *o, const struct ofd_flow *f, unsigned conv, const char *key)
{
	const struct ofd_mpls_stack *s = &f->mpls_stack;
	unsigned n = ofd_pj_mpls_n(f);
	if (conv == OFD_PJ_MPLS_TTL) {
		if (ofd_pj_mpls_ttls(f, n))
			pj_u32s(o, key, s->lse, n, 0, 0xff);
	} else if (conv == OFD_PJ_MPLS_LABEL) {
		if (n)
			pj_u32s(o, key, s->lse, n, 12, 0xfffff);
		else if (f->mpls_label)
			pj_u32s(o, key, &f->mpls_label, 1, 0, UINT32_MAX);
	} else if (ofd_flow_has(f, OFD_F_MPLS_IP) && f->mpls_ip.family) {
		pj_key(o, key);
		char *p = o->p;
		*p++ = '[';
		p = pj_elem(o, p, 0);
		p = pj_ip(p, &f->mpls_ip);
		o->p = pj_list_end(o, p);
	}
}

static void pj_field(struct pj_out *o, const struct ofd_flow *f, const struct ofd_pj_field *e)
{
	const struct ofd_field_info *d = &ofd_fields[e->field];
	const unsigned char *at = (const unsigned char *)f + d->off;
	uint64_t v;
	switch (e->conv) {
	case OFD_PJ_U32:
	case OFD_PJ_U64:
	case OFD_PJ_MAC:
		if (!(v = pj_num(f, d)))
			return;
		pj_key(o, e->json);
		if (e->conv == OFD_PJ_U32) {
			o->p = ofd_wbuf_put_u64(o->p, v);
		} else {
			*o->p = '"';
			o->p = ofd_wbuf_put_u64(o->p + 1, v);
			*o->p++ = '"';
		}
		return;
	case OFD_PJ_MBPS:
		v = pj_num(f, d) / 1000000;
		if (!v)
			return;
		pj_key(o, e->json);
		o->p = ofd_wbuf_put_u64(o->p, v > UINT32_MAX ? UINT32_MAX : v);
		return;
	case OFD_PJ_IP: {
		const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)at;
		if (ip->family != OFD_AF_INET && ip->family != OFD_AF_INET6)
			return;
		pj_key(o, e->json);
		o->p = pj_ip(o->p, ip);
		return;
	}
	case OFD_PJ_STR:
	case OFD_PJ_CC: {
		const char *s;
		size_t n;
		if (e->conv == OFD_PJ_STR) {
			memcpy(&s, at, sizeof(s));
			n = s ? strlen(s) : 0;
		} else {
			s = (const char *)at;
			n = s[0] && s[1] ? 2 : 0; /* a code is two letters; anything less is no code */
		}
		if (!n)
			return;
		pj_key(o, e->json);
		*o->p++ = '"';
		ofd_wbuf_set_end(o->w, o->p);
		ofd_fmt_json_text(o->w, s, n);
		o->p = ofd_wbuf_end(o->w);
		*o->p++ = '"';
		return;
	}
	case OFD_PJ_EFT:
	case OFD_PJ_ERPKI:
	case OFD_PJ_EANON:
	case OFD_PJ_ENORM:
	case OFD_PJ_EREMOTE:
		if (!(v = pj_num(f, d)))
			return;
		switch (e->conv) {
		case OFD_PJ_EFT: pj_enum(o, e->json, ft_names, 5, v); break;
		case OFD_PJ_ERPKI: pj_enum(o, e->json, rpki_names, 4, v); break;
		case OFD_PJ_EANON: pj_enum(o, e->json, anon_names, 4, v); break;
		case OFD_PJ_ENORM: pj_enum(o, e->json, norm_names, 2, v); break;
		default: pj_enum(o, e->json, remote_names, 3, v); break;
		}
		return;
	case OFD_PJ_REPEATED:
		if (d->kind == OFD_FK_ASPATH) {
			unsigned n = *((const unsigned char *)f + d->aux_off);
			pj_u32s(o, e->json, f->as_path, n < OFD_AS_PATH_MAX ? n : OFD_AS_PATH_MAX, 0,
				UINT32_MAX);
		} else {
			unsigned n = f->bgp_communities.n;
			pj_u32s(o, e->json, f->bgp_communities.v,
				n < OFD_COMMUNITIES_MAX ? n : OFD_COMMUNITIES_MAX, 0, UINT32_MAX);
		}
		return;
	case OFD_PJ_MPLS_TTL:
	case OFD_PJ_MPLS_LABEL:
	case OFD_PJ_MPLS_IP: pj_mpls(o, f, e->conv, e->json); return;
	default: return; /* SKIP, and the read-only SEC and MS */
	}
}

void ofd_protojson_write(struct ofd_wbuf *w, const struct ofd_flow *f, int pretty)
{
	ofd_wbuf_reserve(w);
	struct pj_out o = {w, ofd_wbuf_end(w), pretty, 0};
	*o.p++ = '{';
	for (unsigned i = 0; i < ofd_pj_nfields; i++) {
		const struct ofd_pj_field *e = &ofd_pj_fields[i];
		if (e->field < 0 || e->conv == OFD_PJ_SKIP || e->conv == OFD_PJ_SEC || e->conv == OFD_PJ_MS)
			continue;
		/* enriched fields count when present; base ones are written by value, as in our json */
		if (ofd_fields[e->field].cls == OFD_FC_ENRICHED && !ofd_flow_has(f, (unsigned)e->field) &&
		    e->conv != OFD_PJ_MPLS_TTL && e->conv != OFD_PJ_MPLS_LABEL)
			continue;
		pj_field(&o, f, e);
	}
	ofd_wbuf_set_end(w, o.p);
	ofd_wbuf_reserve(w);
	char *p = ofd_wbuf_end(w);
	if (pretty && o.any)
		*p++ = '\n';
	p = OFD_WBUF_LIT(p, "}\n");
	ofd_wbuf_set_end(w, p);
}
