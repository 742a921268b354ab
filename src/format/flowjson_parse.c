#include "flowjson_parse.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowfmt.h"
#include "protojson.h"
#include "util/utf8.h"

/* ---- strings ---------------------------------------------------------------------------- */

struct fj_strs {
	struct ofd_batch *b;
	unsigned *dropped;
};

/* A copy of s[0..n) (cut at OFD_FMT_TEXT_MAX on a UTF-8 boundary) in the batch's arena, NULL when
   there is no room (counted) or s holds a NUL. */
static const char *fj_strdup(const struct fj_strs *st, const char *s, size_t n)
{
	n = ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX);
	const char *d = memchr(s, 0, n) ? NULL : ofd_batch_strdup(st->b, s, n);
	if (!d && st->dropped)
		(*st->dropped)++;
	return d;
}

/* ---- values ------------------------------------------------------------------------------ */

/* A JSON integer in 0..max. */
static int get_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v))
		return -1;
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return -1;
	*out = (uint64_t)i;
	return 0;
}

/* A decimal string of at most 5 digits in 0..max (how flowfmt writes unnamed etype/proto). */
static int get_numstr(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *type_name(unsigned t);
static const char *rpki_name(unsigned r);

/* A name (by the field's naming function over 0..max), a numeric string, or an integer. */
static int get_named(const json_t *v, const char *(*name)(unsigned), unsigned max, uint64_t *out)
{
	if (!json_is_string(v))
		return get_uint(v, max, out);
	const char *s = json_string_value(v);
	if (!s[0] && name != type_name && name != rpki_name) { /* goflow2: no name (etype, proto) */
		*out = 0;
		return 0;
	}
	if (get_numstr(s, max, out) == 0)
		return 0;
	/* ofd_etype_name() names only these; the other naming functions cover 0..255 at most */
	static const unsigned etypes[] = {0x0800, 0x86dd, 0x0806};
	unsigned n = max > 255 ? sizeof(etypes) / sizeof(etypes[0]) : max + 1;
	for (unsigned i = 0; i < n; i++) {
		unsigned c = max > 255 ? etypes[i] : i;
		const char *nm = name(c);
		if (nm && strcmp(nm, s) == 0) {
			*out = c;
			return 0;
		}
	}
	return -1;
}

static const char *type_name(unsigned t)
{
	return t <= OFD_FT_IPFIX ? ofd_flow_type_name(t) : NULL;
}
static const char *etype_name(unsigned e)
{
	return ofd_etype_name((uint16_t)e);
}
static const char *proto_name(unsigned p)
{
	return ofd_proto_keyword((uint8_t)p);
}
/* Older overflowd output, and other tools: the short names ("ICMPv6", "OSPF"). */
static const char *proto_short_name(unsigned p)
{
	return ofd_proto_name((uint8_t)p);
}
static const char *rpki_name(unsigned r)
{
	return ofd_rpki_name(r);
}

static int get_ip(const json_t *v, struct ofd_ip *ip)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	if (!s[0]) {
		memset(ip, 0, sizeof(*ip));
		return 0;
	}
	return ofd_ip_parse(ip, s) ? -1 : 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0a:1b:2c:3d:4e:5f" */
static int get_mac(const json_t *v, uint64_t *mac)
{
	if (!json_is_string(v) || json_string_length(v) != 17)
		return -1;
	const char *s = json_string_value(v);
	uint64_t m = 0;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		m = m << 8 | (uint64_t)(hi << 4 | lo);
	}
	*mac = m;
	return 0;
}

/* "192.0.2.128/25" (the prefix length is what the record keeps), or an integer. */
static int get_net(const json_t *v, uint8_t *len)
{
	uint64_t n;
	if (json_is_string(v)) {
		const char *slash = strrchr(json_string_value(v), '/');
		if (!slash || get_numstr(slash + 1, 128, &n))
			return -1;
	} else if (get_uint(v, 128, &n)) {
		return -1;
	}
	*len = (uint8_t)n;
	return 0;
}

static int get_country(const json_t *v, char cc[2])
{
	if (!json_is_string(v))
		return -1;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == 0) {
		cc[0] = cc[1] = 0;
		return 0;
	}
	if (n != 2 || s[0] < 0x21 || s[0] > 0x7e || s[1] < 0x21 || s[1] > 0x7e)
		return -1;
	cc[0] = s[0];
	cc[1] = s[1];
	return 0;
}

/* A JSON array of at most `max` u32 numbers into v[], its length into *n (longer: the first). */
static int get_u32s(const json_t *v, uint32_t *out, unsigned max, uint8_t *n)
{
	if (!json_is_array(v))
		return -1;
	size_t len = json_array_size(v);
	for (size_t i = 0; i < len; i++) {
		uint64_t x;
		if (get_uint(json_array_get(v, i), UINT32_MAX, &x))
			return -1;
		if (i < max)
			out[i] = (uint32_t)x;
	}
	*n = (uint8_t)(len < max ? len : max);
	return 0;
}

/* "global:local1:local2" (RFC 8092), each a decimal u32 */
static int get_lcomm(const json_t *v, struct ofd_large_community *c)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	uint32_t part[3];
	for (int k = 0; k < 3; k++) {
		uint64_t x = 0;
		int digits = 0;
		for (; *s >= '0' && *s <= '9' && digits <= 10; s++, digits++)
			x = x * 10 + (uint64_t)(*s - '0');
		if (!digits || x > UINT32_MAX || *s != (k < 2 ? ':' : 0))
			return -1;
		part[k] = (uint32_t)x;
		s += k < 2;
	}
	c->global = part[0], c->local1 = part[1], c->local2 = part[2];
	return 0;
}

static int get_lcomms(const json_t *v, struct ofd_large_communities *c)
{
	if (!json_is_array(v))
		return -1;
	size_t len = json_array_size(v);
	for (size_t i = 0; i < len; i++) {
		struct ofd_large_community x;
		if (get_lcomm(json_array_get(v, i), &x))
			return -1;
		if (i < OFD_LARGE_COMMUNITIES_MAX)
			c->v[i] = x;
	}
	c->n = (uint8_t)(len < OFD_LARGE_COMMUNITIES_MAX ? len : OFD_LARGE_COMMUNITIES_MAX);
	return 0;
}

/* String fields: 1 when set, 0 when left unset (no table, or the table is full). */
static int get_text(const json_t *v, const struct fj_strs *strs, const char **out)
{
	if (!json_is_string(v))
		return -1;
	if (!strs->b)
		return 0;
	*out = fj_strdup(strs, json_string_value(v), json_string_length(v));
	return *out != NULL;
}

/* ---- fields ------------------------------------------------------------------------------ */

/* A plain unsigned number of `size` bytes at p. */
static int set_uint(unsigned char *p, unsigned size, const json_t *v)
{
	uint64_t max = size == 8 ? INT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
	uint64_t x;
	if (get_uint(v, max, &x))
		return -1;
	switch (size) {
	case 1: *p = (uint8_t)x; break;
	case 2: memcpy(p, &(uint16_t){(uint16_t)x}, 2); break;
	case 4: memcpy(p, &(uint32_t){(uint32_t)x}, 4); break;
	default: memcpy(p, &x, 8); break;
	}
	return 0;
}

/* A named number (type, etype, proto, rpki) of `size` bytes at p. */
static int set_named(unsigned char *p, unsigned kind, const json_t *v)
{
	uint64_t x = 0;
	int r;
	switch (kind) {
	case OFD_FK_FLOWTYPE: r = get_named(v, type_name, OFD_FT_IPFIX, &x); break;
	case OFD_FK_ETYPE: r = get_named(v, etype_name, UINT16_MAX, &x); break;
	case OFD_FK_PROTO:
		r = get_named(v, proto_name, UINT8_MAX, &x);
		if (r)
			r = get_named(v, proto_short_name, UINT8_MAX, &x);
		break;
	default: r = get_named(v, rpki_name, OFD_RPKI_NOTFOUND, &x); break;
	}
	if (r)
		return -1;
	if (kind == OFD_FK_ETYPE)
		memcpy(p, &(uint16_t){(uint16_t)x}, 2);
	else
		*p = (uint8_t)x;
	return 0;
}

/* Set field id from v by its kind: 1 when set, 0 when left unset, -1 when v is not a valid value. */
static int set_field(struct ofd_flow *f, unsigned id, const json_t *v, const struct fj_strs *strs)
{
	const struct ofd_field_info *d = &ofd_fields[id];
	unsigned char *p = (unsigned char *)f + d->off, *aux = (unsigned char *)f + d->aux_off;
	int r;
	if (id == OFD_F_MPLS_LABEL && json_is_array(v)) {
		/* goflow2's label stack: we keep the top label; [] is no label (0) */
		if (!json_array_size(v))
			return f->mpls_label = 0, 1;
		v = json_array_get(v, 0);
	}
	if (id == OFD_F_MPLS_IP && json_is_array(v)) {
		/* goflow2's list of top-label addresses: we keep the first; [] is none (not set) */
		if (!json_array_size(v))
			return 0;
		v = json_array_get(v, 0);
	}
	if ((d->kind == OFD_FK_ASPATH || d->kind == OFD_FK_COMMS || d->kind == OFD_FK_MPLS) &&
	    json_is_array(v) && !json_array_size(v))
		return 0; /* an empty list (goflow2 always writes them): not set */
	switch (d->kind) {
	case OFD_FK_U8:
	case OFD_FK_U16:
	case OFD_FK_U32:
	case OFD_FK_U64: r = set_uint(p, d->size, v); break;
	case OFD_FK_FLOWTYPE:
	case OFD_FK_ETYPE:
	case OFD_FK_PROTO:
	case OFD_FK_RPKI: r = set_named(p, d->kind, v); break;
	case OFD_FK_IP: r = get_ip(v, (struct ofd_ip *)(void *)p); break;
	case OFD_FK_MAC: r = get_mac(v, (uint64_t *)(void *)p); break;
	case OFD_FK_NET: r = get_net(v, p); break;
	case OFD_FK_CC: r = get_country(v, (char *)p); break;
	case OFD_FK_ASPATH: r = get_u32s(v, (uint32_t *)(void *)p, OFD_AS_PATH_MAX, aux); break;
	case OFD_FK_COMMS: {
		struct ofd_communities *c = (struct ofd_communities *)(void *)p;
		r = get_u32s(v, c->v, OFD_COMMUNITIES_MAX, &c->n);
		break;
	}
	case OFD_FK_LCOMMS: r = get_lcomms(v, (struct ofd_large_communities *)(void *)p); break;
	case OFD_FK_MPLS: {
		struct ofd_mpls_stack *m = (struct ofd_mpls_stack *)(void *)p;
		r = get_u32s(v, m->lse, OFD_MPLS_MAX, &m->n);
		break;
	}
	case OFD_FK_STR: return get_text(v, strs, (const char **)(void *)p);
	default: return 0;
	}
	return r ? -1 : 1;
}

/*
 * The field id of an exact name in our output format, or -1 (also for a storage-less field's
 * name: its key is skipped like an unknown one). Our own output writes the fields in id order,
 * so the id after the previous key (`hint`) is tried first: one comparison per key for our
 * lines, a scan for anyone else's order.
 */
static int field_id(const char *key, unsigned hint)
{
	if (hint < OFD_F__STORED && strcmp(ofd_fields[hint].name, key) == 0)
		return (int)hint;
	for (unsigned id = 0; id < OFD_F__STORED; id++)
		if (strcmp(ofd_fields[id].name, key) == 0)
			return (int)id;
	return -1;
}

/*
 * goflow2's label stack: "mpls_label" (labels, top first) with "mpls_ttl" (their TTLs) make the
 * stack when our "mpls_stack" (whole entries) did not come and there is more than the top label
 * to keep (several labels or a TTL); the last entry is the bottom of the stack.
 */
static void mpls_from_goflow2(struct ofd_flow *f, const json_t *root)
{
	const json_t *labels = json_object_get(root, "mpls_label"), *ttls = json_object_get(root, "mpls_ttl");
	if (ofd_flow_has(f, OFD_F_MPLS_STACK) || !json_is_array(labels))
		return;
	size_t n = json_array_size(labels), nttl = json_is_array(ttls) ? json_array_size(ttls) : 0;
	if (n < 2 && !nttl)
		return;
	if (n > OFD_MPLS_MAX)
		n = OFD_MPLS_MAX;
	for (size_t i = 0; i < n; i++) {
		json_int_t label = json_integer_value(json_array_get(labels, i));
		json_int_t ttl = i < nttl ? json_integer_value(json_array_get(ttls, i)) : 0;
		f->mpls_stack.lse[i] =
		    (uint32_t)(label & 0xfffff) << 12 | (uint32_t)(ttl & 0xff) | (i + 1 == n ? 1u << 8 : 0);
	}
	f->mpls_stack.n = (uint8_t)n;
	if (n)
		ofd_flow_set(f, OFD_F_MPLS_STACK);
}

int ofd_flowjson_parse(struct ofd_flow *f, const char *line, size_t len, struct ofd_batch *strs,
		       unsigned *dropped)
{
	int rc = OFD_EFORMAT;
	const struct fj_strs st = {strs, dropped};
	memset(f, 0, sizeof(*f));
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return OFD_EFORMAT;
	if (!json_is_object(root))
		goto free_root;
	const char *key;
	json_t *v;
	unsigned hint = 0;
	json_object_foreach(root, key, v)
	{
		int id = field_id(key, hint);
		if (id < 0) {
			if (ofd_protojson_key(key))
				goto protojson; /* flowpipeline's format (lowerCamel keys) */
			continue;
		}
		hint = (unsigned)id + 1;
		int r = set_field(f, (unsigned)id, v, &st);
		if (r < 0 && ofd_protojson_known(key))
			goto protojson; /* not ours: protojson by proto names ("src_addr": base64)? */
		if (r < 0)
			goto free_root;
		if (r > 0)
			ofd_flow_set(f, (unsigned)id);
	}
	mpls_from_goflow2(f, root);
	rc = 0;
	goto free_root;
protojson:
	rc = ofd_protojson_from_object(f, root, strs, dropped);
free_root:
	json_decref(root);
	if (rc)
		memset(f, 0, sizeof(*f));
	return rc;
}
