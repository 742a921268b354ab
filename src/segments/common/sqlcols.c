/* flowpipeline's sqlite columns: see sqlcols.h. */
#include "sqlcols.h"

#include <string.h>

#include "format/flowfmt.h"
#include "util/utf8.h"

/* The nanosecond member behind a seconds or milliseconds column, and its unit. */
static int scaled(unsigned id, uint8_t *ns_id, uint32_t *div)
{
	switch (id) {
	case OFD_F_TIME_RECEIVED_SEC: *ns_id = OFD_F_TIME_RECEIVED, *div = 1000000000u; return 1;
	case OFD_F_TIME_FLOW_START_SEC: *ns_id = OFD_F_TIME_FLOW_START, *div = 1000000000u; return 1;
	case OFD_F_TIME_FLOW_END_SEC: *ns_id = OFD_F_TIME_FLOW_END, *div = 1000000000u; return 1;
	case OFD_F_TIME_FLOW_START_MS: *ns_id = OFD_F_TIME_FLOW_START, *div = 1000000u; return 1;
	case OFD_F_TIME_FLOW_END_MS: *ns_id = OFD_F_TIME_FLOW_END, *div = 1000000u; return 1;
	default: return 0;
	}
}

static int is_enum(unsigned id)
{
	switch (id) {
	case OFD_F_NORMALIZED:
	case OFD_F_REMOTE_ADDR:
	case OFD_F_SRC_ADDR_ANON:
	case OFD_F_DST_ADDR_ANON:
	case OFD_F_SAMPLER_ADDR_ANON:
	case OFD_F_NEXT_HOP_ANON: return 1;
	default: return 0;
	}
}

static void classify(struct ofd_sqlcol *c)
{
	unsigned id = c->c.id;
	c->id = (uint8_t)id;
	c->div = 1;
	if (c->c.how != 0 || id >= OFD_F__COUNT) { /* MplsLabel, MplsIp */
		c->how = OFD_SQLCOL_TEXT;
		return;
	}
	if (scaled(id, &c->id, &c->div)) {
		c->how = OFD_SQLCOL_SCALED;
		return;
	}
	enum ofd_field_kind k = (enum ofd_field_kind)ofd_fields[id].kind;
	int number = k == OFD_FK_U8 || k == OFD_FK_U16 || k == OFD_FK_U32 || k == OFD_FK_U64 ||
		     k == OFD_FK_MAC || k == OFD_FK_NET || k == OFD_FK_ETYPE || k == OFD_FK_PROTO;
	if (!ofd_field_stored(id)) {
		c->how = number && id != OFD_F_HAS_MPLS ? OFD_SQLCOL_ZERO : OFD_SQLCOL_TEXT;
		return;
	}
	if (id == OFD_F_IN_IF_SPEED || id == OFD_F_OUT_IF_SPEED)
		c->how = OFD_SQLCOL_SPEED;
	else if (is_enum(id) || k == OFD_FK_FLOWTYPE || k == OFD_FK_RPKI)
		c->how = OFD_SQLCOL_ENUM;
	else if (number)
		c->how = OFD_SQLCOL_INT;
	else if (k == OFD_FK_IP)
		c->how = OFD_SQLCOL_IP;
	else if (k == OFD_FK_STR || k == OFD_FK_CC)
		c->how = OFD_SQLCOL_STR;
	else if (k == OFD_FK_ASPATH || k == OFD_FK_COMMS)
		c->how = OFD_SQLCOL_LIST;
	else
		c->how = OFD_SQLCOL_TEXT;
}

int ofd_sqlcol_by_name(struct ofd_sqlcol *c, const char *name)
{
	if (ofd_fpcsv_col_by_name(&c->c, name) < 0)
		return -1;
	classify(c);
	return 0;
}

void ofd_sqlcol_all(struct ofd_sqlcol *cols)
{
	struct ofd_fpcsv_col all[OFD_FPCSV_NCOLS];
	ofd_fpcsv_all(all);
	for (unsigned i = 0; i < OFD_FPCSV_NCOLS; i++) {
		cols[i].c = all[i];
		classify(&cols[i]);
	}
}

const char *ofd_sqlcol_type(const struct ofd_sqlcol *c)
{
	return c->how <= OFD_SQLCOL_ZERO ? "INTEGER" : "TEXT";
}

int ofd_sqlcol_readable(const struct ofd_sqlcol *c)
{
	return c->how != OFD_SQLCOL_ZERO && c->how != OFD_SQLCOL_TEXT;
}

/* Store v into the member of id; -1 when it does not fit its width. */
static int set_u(struct ofd_flow *f, unsigned id, uint64_t v)
{
	const struct ofd_field_info *d = &ofd_fields[id];
	unsigned char *m = (unsigned char *)f + d->off;
	switch (d->size) {
	case 1: {
		if (v > UINT8_MAX)
			return -1;
		uint8_t x = (uint8_t)v;
		memcpy(m, &x, 1);
		break;
	}
	case 2: {
		if (v > UINT16_MAX)
			return -1;
		uint16_t x = (uint16_t)v;
		memcpy(m, &x, 2);
		break;
	}
	case 4: {
		if (v > UINT32_MAX)
			return -1;
		uint32_t x = (uint32_t)v;
		memcpy(m, &x, 4);
		break;
	}
	case 8: memcpy(m, &v, 8); break;
	default: return -1;
	}
	if (v)
		ofd_flow_set(f, id);
	return 0;
}

int ofd_sqlcol_bind(sqlite3_stmt *st, int i, const struct ofd_sqlcol *c, const struct ofd_flow *f,
		    struct ofd_wbuf *scratch)
{
	const struct ofd_field_info *d = &ofd_fields[c->id];
	switch ((enum ofd_sqlcol_how)c->how) {
	case OFD_SQLCOL_INT: return sqlite3_bind_int64(st, i, (sqlite3_int64)ofd_sqlcol_get_u(f, c->id));
	case OFD_SQLCOL_SPEED:
		return sqlite3_bind_int64(st, i, (sqlite3_int64)(ofd_sqlcol_get_u(f, c->id) / 1000000u));
	case OFD_SQLCOL_SCALED:
		return sqlite3_bind_int64(st, i, (sqlite3_int64)(ofd_sqlcol_get_u(f, c->id) / c->div));
	case OFD_SQLCOL_ZERO: return sqlite3_bind_int64(st, i, 0);
	case OFD_SQLCOL_IP: {
		char buf[OFD_IP_STRLEN];
		const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)((const char *)f + d->off);
		int n = ofd_ip_str(ip, buf);
		return sqlite3_bind_text(st, i, buf, n, SQLITE_TRANSIENT);
	}
	case OFD_SQLCOL_STR: {
		const char *m = (const char *)f + d->off;
		if (d->kind == OFD_FK_CC)
			return sqlite3_bind_text(st, i, m, m[0] ? 2 : 0, SQLITE_TRANSIENT);
		const char *s;
		memcpy(&s, m, sizeof(s));
		return sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
	}
	case OFD_SQLCOL_ENUM:
	case OFD_SQLCOL_LIST:
	case OFD_SQLCOL_TEXT: break;
	}
	size_t at = scratch->len;
	ofd_wbuf_reserve(scratch);
	ofd_fpcsv_row(scratch, f, &c->c, 1); /* the value and a newline: no quoting for these */
	size_t n = scratch->len - at;
	if (n && scratch->buf[at + n - 1] == '\n')
		n--;
	int rc = sqlite3_bind_text(st, i, scratch->buf + at, (int)n, SQLITE_TRANSIENT);
	scratch->len = at;
	return rc;
}

static const char *const flow_types[] = {"FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5", "NETFLOW_V9",
					 "IPFIX",	"EBPF",	   NULL};
static const char *const anon_types[] = {"NotAnonymized", "CryptoPAN", "Subnet", "SubnetAndCryptoPAN", NULL};
static const char *const normalized_types[] = {"No", "Yes", NULL};
static const char *const remote_types[] = {"Neither", "Src", "Dst", NULL};

/* The value of an enum's name (or a plain number, as Go prints an unnamed value); -1 unknown. */
static int64_t enum_value(unsigned id, const char *s)
{
	const char *const *names = NULL;
	if (ofd_fields[id].kind == OFD_FK_RPKI) {
		if (!strcmp(s, "Unknown"))
			return OFD_RPKI_UNKNOWN;
		if (!strcmp(s, "Valid"))
			return OFD_RPKI_VALID;
		if (!strcmp(s, "NotFound"))
			return OFD_RPKI_NOTFOUND;
		if (!strcmp(s, "Invalid"))
			return OFD_RPKI_INVALID;
		return -1;
	}
	if (ofd_fields[id].kind == OFD_FK_FLOWTYPE)
		names = flow_types;
	else if (id == OFD_F_NORMALIZED)
		names = normalized_types;
	else if (id == OFD_F_REMOTE_ADDR)
		names = remote_types;
	else
		names = anon_types;
	for (unsigned k = 0; names[k]; k++)
		if (!strcmp(s, names[k]))
			return k;
	uint64_t v = 0;
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 255)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return (int64_t)v;
}

/* "[1 2 3]" into v (at most max); the count, or -1 when malformed. Longer lists keep their
   first entries, as the decoders do. */
static int parse_list(const char *s, uint32_t *v, unsigned max)
{
	if (*s == 0)
		return 0;
	if (*s++ != '[')
		return -1;
	unsigned n = 0;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == ']')
			return s[1] ? -1 : (int)n;
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t x = 0;
		while (*s >= '0' && *s <= '9') {
			x = x * 10 + (uint64_t)(*s++ - '0');
			if (x > UINT32_MAX)
				return -1;
		}
		if (n < max)
			v[n] = (uint32_t)x;
		n += n < max;
	}
}

int ofd_sqlcol_read(sqlite3_stmt *st, int i, const struct ofd_sqlcol *c, struct ofd_flow *f,
		    struct ofd_batch *b)
{
	int t = sqlite3_column_type(st, i);
	if (t == SQLITE_NULL || !ofd_sqlcol_readable(c))
		return 0;
	const struct ofd_field_info *d = &ofd_fields[c->id];
	unsigned char *m = (unsigned char *)f + d->off;
	switch ((enum ofd_sqlcol_how)c->how) {
	case OFD_SQLCOL_INT:
	case OFD_SQLCOL_SPEED:
	case OFD_SQLCOL_SCALED: {
		if (t != SQLITE_INTEGER)
			return -1;
		sqlite3_int64 v = sqlite3_column_int64(st, i);
		if (v < 0)
			return -1;
		uint64_t u = (uint64_t)v;
		uint64_t mul = c->how == OFD_SQLCOL_SPEED ? 1000000u : c->div;
		if (mul > 1 && u > UINT64_MAX / mul)
			return -1;
		if (c->how == OFD_SQLCOL_SCALED &&
		    ofd_sqlcol_get_u(f, c->id)) /* the ns column was read: it wins */
			return 0;
		if (!u &&
		    ofd_sqlcol_get_u(f, c->id)) /* an ns column of 0 (not written): the seconds column's */
			return 0;
		return set_u(f, c->id, u * mul);
	}
	default: break;
	}
	if (t != SQLITE_TEXT)
		return -1;
	const char *s = (const char *)sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	if (!s || n < 0 || (size_t)n != strlen(s))
		return -1; /* an embedded NUL */
	switch ((enum ofd_sqlcol_how)c->how) {
	case OFD_SQLCOL_IP: {
		struct ofd_ip ip = {0};
		if (n && ofd_ip_parse(&ip, s))
			return -1;
		memcpy(m, &ip, sizeof(ip));
		if (n)
			ofd_flow_set(f, c->id);
		return 0;
	}
	case OFD_SQLCOL_STR:
		if (d->kind == OFD_FK_CC) {
			if (n != 0 && n != 2)
				return -1;
			if (n)
				memcpy(m, s, 2), ofd_flow_set(f, c->id);
			return 0;
		}
		if (n) {
			size_t len = ofd_utf8_cut(s, (size_t)n, OFD_FMT_TEXT_MAX); /* as the decoders keep */
			const char *dup = ofd_batch_strdup(b, s, len);
			if (!dup)
				return -1;
			memcpy(m, &dup, sizeof(dup));
			ofd_flow_set(f, c->id);
		}
		return 0;
	case OFD_SQLCOL_ENUM: {
		int64_t v = enum_value(c->id, s);
		return v < 0 ? -1 : set_u(f, c->id, (uint64_t)v);
	}
	case OFD_SQLCOL_LIST: {
		if (d->kind == OFD_FK_ASPATH) {
			int k = parse_list(s, f->as_path, OFD_AS_PATH_MAX);
			if (k < 0)
				return -1;
			f->as_path_len = (uint8_t)k;
		} else {
			struct ofd_communities *cm = (struct ofd_communities *)(void *)m;
			int k = parse_list(s, cm->v, OFD_COMMUNITIES_MAX);
			if (k < 0)
				return -1;
			cm->n = (uint8_t)k;
			if (!k)
				return 0;
		}
		if (s[1] != ']')
			ofd_flow_set(f, c->id);
		return 0;
	}
	default: return 0;
	}
}
