#include "flowjson_parse.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowfmt.h"

/* ---- interned strings ------------------------------------------------------------------- */

struct ofd_strtab {
	char **slot; /* open addressing, cap slots (a power of two, at least 2 * max) */
	unsigned cap;
	unsigned n;
	unsigned max;
	unsigned long refused;
};

int ofd_strtab_new(struct ofd_strtab **out, unsigned max_strings)
{
	struct ofd_strtab *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (max_strings == 0)
		max_strings = 1;
	if (max_strings > (1u << 24))
		max_strings = 1u << 24;
	t->cap = 16;
	while (t->cap < 2 * max_strings)
		t->cap *= 2;
	t->max = max_strings;
	t->slot = calloc(t->cap, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void ofd_strtab_free(struct ofd_strtab *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	free(t);
}

unsigned long ofd_strtab_refused(const struct ofd_strtab *t)
{
	return t ? t->refused : 0;
}

const char *ofd_strtab_intern(struct ofd_strtab *t, const char *s, size_t n)
{
	if (n > OFD_FMT_TEXT_MAX) {
		n = OFD_FMT_TEXT_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (unsigned i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		char *e = t->slot[i];
		if (!e)
			break;
		if (strncmp(e, s, n) == 0 && e[n] == 0 && memchr(s, 0, n) == NULL)
			return e;
	}
	if (t->n >= t->max || memchr(s, 0, n)) {
		t->refused++;
		return NULL;
	}
	char *e = malloc(n + 1);
	if (!e) {
		t->refused++;
		return NULL;
	}
	memcpy(e, s, n);
	e[n] = 0;
	unsigned i = h & (t->cap - 1);
	while (t->slot[i])
		i = (i + 1) & (t->cap - 1);
	t->slot[i] = e;
	t->n++;
	return e;
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

/* A name (by the field's naming function over 0..max), a numeric string, or an integer. */
static int get_named(const json_t *v, const char *(*name)(unsigned), unsigned max, uint64_t *out)
{
	if (!json_is_string(v))
		return get_uint(v, max, out);
	const char *s = json_string_value(v);
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
	return ofd_proto_name((uint8_t)p);
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

static int get_as_path(const json_t *v, struct ofd_flow *f)
{
	if (!json_is_array(v))
		return -1;
	size_t n = json_array_size(v);
	for (size_t i = 0; i < n; i++) {
		uint64_t as;
		if (get_uint(json_array_get(v, i), UINT32_MAX, &as))
			return -1;
		if (i < OFD_AS_PATH_MAX)
			f->as_path[i] = (uint32_t)as;
	}
	f->as_path_len = (uint8_t)(n < OFD_AS_PATH_MAX ? n : OFD_AS_PATH_MAX);
	return 0;
}

/* String fields: 1 when set, 0 when left unset (no table, or the table is full). */
static int get_text(const json_t *v, struct ofd_strtab *strs, const char **out)
{
	if (!json_is_string(v))
		return -1;
	if (!strs)
		return 0;
	*out = ofd_strtab_intern(strs, json_string_value(v), json_string_length(v));
	return *out != NULL;
}

/* ---- fields ------------------------------------------------------------------------------ */

#define U(id, field) [id] = {offsetof(struct ofd_flow, field), sizeof(((struct ofd_flow *)0)->field)}

/* Plain unsigned fields: where they live and how wide they are. */
static const struct {
	unsigned short off;
	unsigned char size; /* 0: not a plain number */
} plain[OFD_F__COUNT] = {
    U(OFD_F_TIME_RECEIVED, time_received_ns),
    U(OFD_F_SEQUENCE_NUM, sequence_num),
    U(OFD_F_SAMPLING_RATE, sampling_rate),
    U(OFD_F_TIME_FLOW_START, time_flow_start_ns),
    U(OFD_F_TIME_FLOW_END, time_flow_end_ns),
    U(OFD_F_BYTES, bytes),
    U(OFD_F_PACKETS, packets),
    U(OFD_F_SRC_PORT, src_port),
    U(OFD_F_DST_PORT, dst_port),
    U(OFD_F_IN_IF, in_if),
    U(OFD_F_OUT_IF, out_if),
    U(OFD_F_SRC_VLAN, src_vlan),
    U(OFD_F_DST_VLAN, dst_vlan),
    U(OFD_F_VLAN_ID, vlan_id),
    U(OFD_F_IP_TOS, ip_tos),
    U(OFD_F_FORWARDING_STATUS, forwarding_status),
    U(OFD_F_IP_TTL, ip_ttl),
    U(OFD_F_IP_FLAGS, ip_flags),
    U(OFD_F_TCP_FLAGS, tcp_flags),
    U(OFD_F_ICMP_TYPE, icmp_type),
    U(OFD_F_ICMP_CODE, icmp_code),
    U(OFD_F_IPV6_FLOW_LABEL, ipv6_flow_label),
    U(OFD_F_FRAGMENT_ID, fragment_id),
    U(OFD_F_FRAGMENT_OFFSET, fragment_offset),
    U(OFD_F_SRC_AS, src_as),
    U(OFD_F_DST_AS, dst_as),
    U(OFD_F_NEXT_HOP_AS, next_hop_as),
    U(OFD_F_MPLS_LABEL, mpls_label),
    U(OFD_F_OBSERVATION_DOMAIN_ID, observation_domain_id),
    U(OFD_F_OBSERVATION_POINT_ID, observation_point_id),
    U(OFD_F_ENGINE_TYPE, engine_type),
    U(OFD_F_ENGINE_ID, engine_id),
    U(OFD_F_IN_IF_SPEED, in_if_speed),
    U(OFD_F_OUT_IF_SPEED, out_if_speed),
    U(OFD_F_SRC_CID, src_cid),
    U(OFD_F_DST_CID, dst_cid),
    U(OFD_F_SRC_VRF, src_vrf),
    U(OFD_F_DST_VRF, dst_vrf),
    U(OFD_F_MED, med),
    U(OFD_F_LOCAL_PREF, local_pref),
    U(OFD_F_FLOW_DIRECTION, flow_direction),
    U(OFD_F_NORMALIZED, normalized),
};
#undef U

static int set_plain(struct ofd_flow *f, unsigned id, const json_t *v)
{
	unsigned size = plain[id].size;
	uint64_t max = size == 8 ? INT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
	uint64_t x;
	if (get_uint(v, max, &x))
		return -1;
	unsigned char *p = (unsigned char *)f + plain[id].off;
	switch (size) {
	case 1: *p = (uint8_t)x; break;
	case 2: memcpy(p, &(uint16_t){(uint16_t)x}, 2); break;
	case 4: memcpy(p, &(uint32_t){(uint32_t)x}, 4); break;
	default: memcpy(p, &x, 8); break;
	}
	return 1;
}

/* Set field id from v: 1 when set, 0 when left unset, -1 when v is not a valid value. */
static int set_field(struct ofd_flow *f, unsigned id, const json_t *v, struct ofd_strtab *strs)
{
	uint64_t x = 0;
	int r;
	if (plain[id].size)
		return set_plain(f, id, v);
	switch (id) {
	case OFD_F_TYPE: r = get_named(v, type_name, OFD_FT_IPFIX, &x), f->type = (uint8_t)x; break;
	case OFD_F_ETYPE: r = get_named(v, etype_name, UINT16_MAX, &x), f->etype = (uint16_t)x; break;
	case OFD_F_PROTO: r = get_named(v, proto_name, UINT8_MAX, &x), f->proto = (uint8_t)x; break;
	case OFD_F_RPKI: r = get_named(v, ofd_rpki_name, OFD_RPKI_NOTFOUND, &x), f->rpki = (uint8_t)x; break;
	case OFD_F_SAMPLER_ADDRESS: r = get_ip(v, &f->sampler_address); break;
	case OFD_F_SRC_ADDR: r = get_ip(v, &f->src_addr); break;
	case OFD_F_DST_ADDR: r = get_ip(v, &f->dst_addr); break;
	case OFD_F_NEXT_HOP: r = get_ip(v, &f->next_hop); break;
	case OFD_F_BGP_NEXT_HOP: r = get_ip(v, &f->bgp_next_hop); break;
	case OFD_F_SRC_MAC: r = get_mac(v, &f->src_mac); break;
	case OFD_F_DST_MAC: r = get_mac(v, &f->dst_mac); break;
	case OFD_F_SRC_NET: r = get_net(v, &f->src_net); break;
	case OFD_F_DST_NET: r = get_net(v, &f->dst_net); break;
	case OFD_F_SRC_COUNTRY: r = get_country(v, f->src_country); break;
	case OFD_F_DST_COUNTRY: r = get_country(v, f->dst_country); break;
	case OFD_F_AS_PATH: r = get_as_path(v, f); break;
	case OFD_F_IN_IF_NAME: return get_text(v, strs, &f->in_if_name);
	case OFD_F_IN_IF_DESC: return get_text(v, strs, &f->in_if_desc);
	case OFD_F_OUT_IF_NAME: return get_text(v, strs, &f->out_if_name);
	case OFD_F_OUT_IF_DESC: return get_text(v, strs, &f->out_if_desc);
	default: return 0;
	}
	return r ? -1 : 1;
}

/*
 * The field id of an exact name in our output format, or -1. Our own output writes the fields
 * in id order, so the id after the previous key (`hint`) is tried first: one comparison per key
 * for our lines, a scan for anyone else's order.
 */
static int field_id(const char *key, unsigned hint)
{
	if (hint < OFD_F__COUNT && strcmp(ofd_fmt_field_get(hint)->name, key) == 0)
		return (int)hint;
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		if (strcmp(ofd_fmt_field_get(id)->name, key) == 0)
			return (int)id;
	return -1;
}

int ofd_flowjson_parse(struct ofd_flow *f, const char *line, size_t len, struct ofd_strtab *strs)
{
	int rc = OFD_EFORMAT;
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
		if (id < 0)
			continue;
		hint = (unsigned)id + 1;
		int r = set_field(f, (unsigned)id, v, strs);
		if (r < 0)
			goto free_root;
		if (r > 0)
			f->present |= OFD_BIT(id);
	}
	rc = 0;
free_root:
	json_decref(root);
	if (rc)
		memset(f, 0, sizeof(*f));
	return rc;
}
