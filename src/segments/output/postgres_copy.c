/* The postgres output's column types and COPY text rows: see postgres.h. */
#include "postgres.h"

#include <ctype.h>
#include <string.h>

#include "format/fpcsv.h"
#include "format/wbuf.h"
#include "util/utf8.h"

#define STR_IN_MAX  1024 /* bytes of a string written at most (cut on a UTF-8 boundary) */
#define TEXT_IN_MAX 1024 /* bytes of a flowpipeline-rendered cell */

void ofd_pgcol_init(struct ofd_pgcol *c, const struct ofd_sqlcol *s)
{
	c->s = *s;
	size_t i = 0;
	for (; s->c.name[i] && i < sizeof(c->lname) - 1; i++)
		c->lname[i] = (char)tolower((unsigned char)s->c.name[i]);
	c->lname[i] = 0;
	unsigned kind = s->id < OFD_F__COUNT ? ofd_fields[s->id].kind : OFD_FK__COUNT;
	switch ((enum ofd_sqlcol_how)s->how) {
	case OFD_SQLCOL_INT:
		if (kind == OFD_FK_MAC)
			c->type = OFD_PG_MACADDR;
		else if (kind == OFD_FK_U32 || kind == OFD_FK_U64)
			c->type = OFD_PG_BIGINT;
		else
			c->type = OFD_PG_INTEGER; /* u8, u16, Proto, Etype, SrcNet */
		break;
	case OFD_SQLCOL_SPEED:
	case OFD_SQLCOL_SCALED:
	case OFD_SQLCOL_ZERO: c->type = OFD_PG_BIGINT; break;
	case OFD_SQLCOL_IP: c->type = OFD_PG_INET; break;
	case OFD_SQLCOL_LIST: c->type = OFD_PG_BIGINT_ARRAY; break;
	default: c->type = OFD_PG_TEXT; break;
	}
}

const char *ofd_pgcol_type(const struct ofd_pgcol *c)
{
	static const char *const names[] = {"integer", "bigint", "inet", "macaddr", "bigint[]", "text"};
	return c->type < sizeof(names) / sizeof(names[0]) ? names[c->type] : "text";
}

static size_t col_max(const struct ofd_pgcol *c)
{
	switch ((enum ofd_pgtype)c->type) {
	case OFD_PG_INTEGER:
	case OFD_PG_BIGINT: return 19 + 3; /* at most 2^63-1; ofd_wbuf_put_u64 writes 3 past */
	case OFD_PG_INET: return OFD_IP_STRLEN;
	case OFD_PG_MACADDR: return 18;
	case OFD_PG_BIGINT_ARRAY:
		return 2 + 3 +
		       11 * (OFD_AS_PATH_MAX > OFD_COMMUNITIES_MAX ? OFD_AS_PATH_MAX : OFD_COMMUNITIES_MAX);
	case OFD_PG_TEXT: break;
	}
	return 3 * (STR_IN_MAX > TEXT_IN_MAX ? STR_IN_MAX : TEXT_IN_MAX) + 2;
}

size_t ofd_pgcol_row_max(const struct ofd_pgcol *cols, unsigned n)
{
	size_t m = 1; /* the newline */
	for (unsigned i = 0; i < n; i++)
		m += col_max(&cols[i]) + 1;
	return m;
}

static char *put_null(char *p)
{
	*p++ = '\\';
	*p++ = 'N';
	return p;
}

/* s[0..n) escaped for COPY text, invalid UTF-8 bytes as U+FFFD. */
static char *put_text(char *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char ch = u[i];
		if (ch >= 0x80) {
			size_t k = ofd_utf8_decode(u + i, n - i, NULL);
			if (!k) {
				memcpy(p, "\xef\xbf\xbd", 3);
				p += 3;
				i++;
			} else {
				memcpy(p, u + i, k);
				p += k;
				i += k;
			}
			continue;
		}
		i++;
		switch (ch) {
		case '\\': *p++ = '\\', *p++ = '\\'; break;
		case '\t': *p++ = '\\', *p++ = 't'; break;
		case '\n': *p++ = '\\', *p++ = 'n'; break;
		case '\r': *p++ = '\\', *p++ = 'r'; break;
		default: *p++ = (char)ch; break;
		}
	}
	return p;
}

/* As flowpipeline's CSV renders it (enum names, MPLS labels, storage-less values): apart, so that
   the common cells do not pay for its buffer's stack frame. */
__attribute__((noinline)) static char *put_fp(char *p, const struct ofd_sqlcol *s, const struct ofd_flow *f)
{
	char buf[3 * OFD_WBUF_RECORD_MAX];
	struct ofd_wbuf w = {.buf = buf, .len = 0, .cap = sizeof(buf), .fd = -1};
	ofd_fpcsv_row(&w, f, &s->c, 1);
	size_t n = w.len;
	if (n && buf[n - 1] == '\n')
		n--;
	return put_text(p, buf, ofd_utf8_cut(buf, n, TEXT_IN_MAX));
}

static char *put_cell(char *p, const struct ofd_pgcol *c, const struct ofd_flow *f, uint64_t *clamped)
{
	const struct ofd_sqlcol *s = &c->s;
	const struct ofd_field_info *d = s->id < OFD_F__COUNT ? &ofd_fields[s->id] : NULL;
	switch ((enum ofd_sqlcol_how)s->how) {
	case OFD_SQLCOL_INT: {
		uint64_t v = ofd_sqlcol_get_u(f, s->id);
		if (c->type == OFD_PG_MACADDR) {
			if (!v && !ofd_flow_has(f, s->id))
				return put_null(p);
			for (int k = 5; k >= 0; k--) {
				memcpy(p, &ofd_wbuf_hex2[2 * ((v >> (8 * k)) & 0xff)], 2);
				p += 2;
				if (k)
					*p++ = ':';
			}
			return p;
		}
		if (v > (uint64_t)INT64_MAX) {
			v = (uint64_t)INT64_MAX;
			++*clamped;
		}
		return ofd_wbuf_put_u64(p, v);
	}
	case OFD_SQLCOL_SPEED: return ofd_wbuf_put_u64(p, ofd_sqlcol_get_u(f, s->id) / 1000000u);
	case OFD_SQLCOL_SCALED: return ofd_wbuf_put_u64(p, ofd_sqlcol_get_u(f, s->id) / s->div);
	case OFD_SQLCOL_ZERO: *p++ = '0'; return p;
	case OFD_SQLCOL_IP: {
		const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)((const char *)f + d->off);
		if (!ip->family)
			return put_null(p);
		return p + ofd_ip_str(ip, p);
	}
	case OFD_SQLCOL_STR: {
		const char *m = (const char *)f + d->off;
		if (d->kind == OFD_FK_CC)
			return m[0] ? put_text(p, m, m[1] ? 2 : 1) : put_null(p);
		const char *str;
		memcpy(&str, m, sizeof(str));
		if (!str)
			return put_null(p);
		size_t n = strlen(str);
		return put_text(p, str, ofd_utf8_cut(str, n, STR_IN_MAX));
	}
	case OFD_SQLCOL_LIST: {
		const uint32_t *v;
		unsigned n;
		if (d->kind == OFD_FK_ASPATH) {
			v = f->as_path;
			n = f->as_path_len < OFD_AS_PATH_MAX ? f->as_path_len : OFD_AS_PATH_MAX;
		} else {
			const struct ofd_communities *cm = (const void *)((const char *)f + d->off);
			v = cm->v;
			n = cm->n < OFD_COMMUNITIES_MAX ? cm->n : OFD_COMMUNITIES_MAX;
		}
		*p++ = '{';
		for (unsigned i = 0; i < n; i++) {
			if (i)
				*p++ = ',';
			p = ofd_wbuf_put_u64(p, v[i]);
		}
		*p++ = '}';
		return p;
	}
	case OFD_SQLCOL_ENUM:
	case OFD_SQLCOL_TEXT: break;
	}
	return put_fp(p, s, f);
}

void ofd_pgcopy_row(char *out, size_t *len, const struct ofd_flow *f, const struct ofd_pgcol *cols,
		    unsigned n, uint64_t *clamped)
{
	char *p = out + *len;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			*p++ = '\t';
		p = put_cell(p, &cols[i], f, clamped);
	}
	*p++ = '\n';
	*len = (size_t)(p - out);
}
