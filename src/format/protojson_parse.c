/*
 * flowpipeline's flow JSON read (protojson.h): jansson parses the line, each key is looked up in
 * the schema table (the entry after the previous key first: flowpipeline writes in table order),
 * and each value is checked against both the schema's type and our field's range. The label
 * stack's lists are gathered and applied at the end, as are the legacy time fields (only where
 * the *_ns field did not come).
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "flowfmt.h"
#include "pjconv.h"
#include "protojson.h"

struct pj_ctx {
	struct ofd_flow *f;
	struct ofd_batch *strs;
	unsigned *dropped;
	uint32_t labels[OFD_MPLS_MAX], ttls[OFD_MPLS_MAX];
	unsigned nlabels, nttls;
	int have_labels;
	struct ofd_fieldset legacy; /* time fields set from seconds/milliseconds */
};

/* A decimal string of 1..20 digits without overflow. */
static int pj_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* An unsigned integer in 0..max: a JSON integer, an integral real (1e3), or a decimal string. */
static int pj_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	uint64_t x;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return -1;
		x = (uint64_t)i;
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
			return -1;
		x = (uint64_t)d;
	} else if (json_is_string(v)) {
		if (pj_digits(json_string_value(v), json_string_length(v), &x))
			return -1;
	} else {
		return -1;
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

static int pj_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Base64 (standard or URL-safe, padding optional) of at most `cap` bytes; the byte count or -1. */
static int pj_unbase64(const char *s, size_t n, uint8_t *out, unsigned cap)
{
	for (int pad = 0; pad < 2 && n && s[n - 1] == '='; pad++) /* padding is optional */
		n--;
	if (n % 4 == 1 || (n + 3) / 4 * 3 > (size_t)cap + 2)
		return -1;
	unsigned len = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		int d = pj_b64val((unsigned char)s[i]);
		if (d < 0)
			return -1;
		acc = acc << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			if (len + 3 > cap)
				return -1;
			out[len++] = (uint8_t)(acc >> 16), out[len++] = (uint8_t)(acc >> 8),
			out[len++] = (uint8_t)acc;
			acc = 0;
		}
	}
	unsigned rest = (unsigned)(n % 4);
	if (rest) {
		unsigned extra = rest - 1; /* 2 chars: 1 byte, 3 chars: 2 bytes */
		if (len + extra > cap)
			return -1;
		acc >>= 2 * (4 - rest); /* leftover bits are dropped, as Go's decoder does */
		if (extra == 2)
			out[len++] = (uint8_t)(acc >> 8);
		out[len++] = (uint8_t)acc;
	}
	return (int)len;
}

/* An address: 0 bytes (unset: 0), 4 (IPv4) or 16 (IPv6) (1), anything else refused (-1). */
static int pj_addr(const json_t *v, struct ofd_ip *ip)
{
	uint8_t b[16];
	if (!json_is_string(v))
		return -1;
	int n = pj_unbase64(json_string_value(v), json_string_length(v), b, sizeof(b));
	if (n == 4)
		ofd_ip_set4(ip, b);
	else if (n == 16)
		ofd_ip_set6(ip, b);
	else
		return n == 0 ? 0 : -1;
	return 1;
}

static int pj_enum_value(const json_t *v, const struct ofd_pj_enum *e, uint64_t *out)
{
	uint64_t x;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		for (unsigned i = 0; i < e->n; i++)
			if (strcmp(s, e->names[i]) == 0) {
				*out = e->ours[i];
				return 0;
			}
		return -1;
	}
	if (!json_is_integer(v) || pj_uint(v, e->n - 1, &x))
		return -1;
	*out = e->ours[x];
	return 0;
}

/* A list of u32 into out[0..cap) (longer lists: the first), its length into *n. */
static int pj_u32s(const json_t *v, uint32_t *out, unsigned cap, unsigned *n)
{
	if (!json_is_array(v))
		return -1;
	size_t len = json_array_size(v);
	for (size_t i = 0; i < len; i++) {
		uint64_t x;
		if (pj_uint(json_array_get(v, i), UINT32_MAX, &x))
			return -1;
		if (i < cap)
			out[i] = (uint32_t)x;
	}
	*n = (unsigned)(len < cap ? len : cap);
	return 0;
}

static int pj_text(struct pj_ctx *c, const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return -1;
	return ofd_pj_text(c->strs, c->dropped, json_string_value(v), json_string_length(v), out);
}

/* Set our field from v: 1 set, 0 left unset, -1 refused. */
static int pj_set(struct pj_ctx *c, const struct ofd_pj_field *e, const json_t *v)
{
	struct ofd_flow *f = c->f;
	const struct ofd_field_info *d = &ofd_fields[e->field];
	unsigned char *p = (unsigned char *)f + d->off;
	uint64_t x;
	unsigned n;
	switch (e->conv) {
	case OFD_PJ_U32:
	case OFD_PJ_U64: {
		uint64_t max = ofd_pj_max(d), proto_max = e->conv == OFD_PJ_U32 ? UINT32_MAX : UINT64_MAX;
		if (pj_uint(v, max < proto_max ? max : proto_max, &x))
			return -1;
		ofd_pj_store(p, d->size, x);
		return 1;
	}
	case OFD_PJ_SEC:
	case OFD_PJ_MS: {
		uint64_t mul = e->conv == OFD_PJ_SEC ? 1000000000u : 1000000u;
		if (pj_uint(v, INT64_MAX / mul, &x))
			return -1;
		if (ofd_flow_has(f, (unsigned)e->field) && !ofd_fieldset_has(&c->legacy, (unsigned)e->field))
			return 1; /* the *_ns field came first: it wins */
		ofd_fieldset_set(&c->legacy, (unsigned)e->field);
		ofd_pj_store(p, d->size, x * mul);
		return 1;
	}
	case OFD_PJ_MBPS:
		if (pj_uint(v, UINT32_MAX, &x))
			return -1;
		ofd_pj_store(p, d->size, x * 1000000u);
		return 1;
	case OFD_PJ_IP: return pj_addr(v, (struct ofd_ip *)(void *)p);
	case OFD_PJ_MAC:
		if (pj_uint(v, (UINT64_C(1) << 48) - 1, &x))
			return -1;
		ofd_pj_store(p, 8, x);
		return 1;
	case OFD_PJ_STR: return pj_text(c, v, (const char **)(void *)p);
	case OFD_PJ_CC: {
		if (!json_is_string(v))
			return -1;
		const char *s = json_string_value(v);
		n = (unsigned)json_string_length(v);
		if (n == 0)
			return 0;
		if (n != 2 || s[0] < 0x21 || s[0] > 0x7e || s[1] < 0x21 || s[1] > 0x7e)
			return -1;
		memcpy(p, s, 2);
		return 1;
	}
	case OFD_PJ_EFT:
	case OFD_PJ_ERPKI:
	case OFD_PJ_EANON:
	case OFD_PJ_ENORM:
	case OFD_PJ_EREMOTE:
		if (pj_enum_value(v, &ofd_pj_enums[e->conv - OFD_PJ_EFT], &x))
			return -1;
		ofd_pj_store(p, d->size, x);
		return 1;
	case OFD_PJ_REPEATED:
		if (d->kind == OFD_FK_ASPATH) {
			if (pj_u32s(v, f->as_path, OFD_AS_PATH_MAX, &n))
				return -1;
			f->as_path_len = (uint8_t)n;
		} else {
			if (pj_u32s(v, f->bgp_communities.v, OFD_COMMUNITIES_MAX, &n))
				return -1;
			f->bgp_communities.n = (uint8_t)n;
		}
		return n > 0;
	case OFD_PJ_MPLS_TTL: return pj_u32s(v, c->ttls, OFD_MPLS_MAX, &c->nttls) ? -1 : 0;
	case OFD_PJ_MPLS_LABEL:
		c->have_labels = 1;
		return pj_u32s(v, c->labels, OFD_MPLS_MAX, &c->nlabels) ? -1 : 0;
	case OFD_PJ_MPLS_IP: {
		if (!json_is_array(v))
			return -1;
		int r = 0;
		for (size_t i = json_array_size(v); i-- > 0;) { /* each checked; the first kept */
			r = pj_addr(json_array_get(v, i), &f->mpls_ip);
			if (r < 0)
				return -1;
		}
		return r;
	}
	default: return 0;
	}
}

/* The label stack from the gathered lists (pjconv.h). */
static int pj_mpls_finish(struct pj_ctx *c)
{
	return ofd_pj_mpls_apply(c->f, c->labels, c->nlabels, c->ttls, c->nttls, c->have_labels);
}

/* The schema entry of a key (JSON or proto name), or NULL; the entry at *hint is tried first. */
static const struct ofd_pj_field *pj_lookup(const char *key, unsigned *hint)
{
	if (*hint < ofd_pj_nfields && strcmp(ofd_pj_fields[*hint].json, key) == 0)
		return &ofd_pj_fields[(*hint)++];
	for (unsigned i = 0; i < ofd_pj_nfields; i++) {
		const struct ofd_pj_field *e = &ofd_pj_fields[i];
		if (strcmp(e->json, key) == 0 || strcmp(e->proto, key) == 0) {
			*hint = i + 1;
			return e;
		}
	}
	return NULL;
}

int ofd_protojson_known(const char *key)
{
	unsigned hint = ofd_pj_nfields;
	return pj_lookup(key, &hint) != NULL;
}

int ofd_protojson_key(const char *key)
{
	for (; *key; key++)
		if (*key >= 'A' && *key <= 'Z')
			return 1;
	return 0;
}

int ofd_protojson_from_object(struct ofd_flow *f, const struct json_t *root, struct ofd_batch *strs,
			      unsigned *dropped)
{
	struct pj_ctx c = {.f = f, .strs = strs, .dropped = dropped};
	memset(f, 0, sizeof(*f));
	if (!json_is_object(root))
		return OFD_EFORMAT;
	const char *key;
	json_t *v;
	unsigned hint = 0;
	json_object_foreach((json_t *)root, key, v)
	{
		const struct ofd_pj_field *e = pj_lookup(key, &hint);
		if (!e || e->field < 0 || json_is_null(v))
			continue;
		int r = pj_set(&c, e, v);
		if (r < 0)
			goto refused;
		if (r > 0)
			ofd_flow_set(f, (unsigned)e->field);
	}
	if (pj_mpls_finish(&c) == 0)
		return 0;
refused:
	memset(f, 0, sizeof(*f));
	return OFD_EFORMAT;
}

int ofd_protojson_parse(struct ofd_flow *f, const char *line, size_t len, struct ofd_batch *strs,
			unsigned *dropped)
{
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		memset(f, 0, sizeof(*f));
		return OFD_EFORMAT;
	}
	int rc = ofd_protojson_from_object(f, root, strs, dropped);
	json_decref(root);
	return rc;
}
