/* InfluxDB line protocol: see lineproto.h. */
#include "segments/common/lineproto.h"

#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "format/fpcsv.h"
#include "ofd/err.h"
#include "segments/common/fieldlist.h"
#include "util/termtext.h"
#include "util/utf8.h"

#define LP_SCRATCH (4 * OFD_WBUF_RECORD_MAX)

static int special(int c, int kind)
{
	switch (kind) {
	case 'm': return c == ',' || c == ' ';
	case 'k': return c == ',' || c == '=' || c == ' ';
	default: return c == '"' || c == '\\';
	}
}

/*
 * InfluxDB's scanner ends a name or tag value at a special byte whose previous byte is not a
 * backslash, and unescapes only backslash-comma, -equals and -space. So a backslash of the text
 * is written as it is (before an escaped special byte it stays a byte of the value) but the last
 * one: it would escape the delimiter after the value, and line protocol has no way to end a
 * value with a backslash; it is written as the text \x5c (termtext's notation).
 */
char *ofd_lp_escape(char *p, char *end, const char *s, size_t n, int kind)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (end - p < 4)
			return NULL;
		if (special(c, kind)) {
			*p++ = '\\';
		} else if (c == '\\' && kind != 's' && i + 1 == n) {
			p = OFD_WBUF_LIT(p, "\\x5c");
			continue;
		}
		*p++ = (char)c;
	}
	return p;
}

int ofd_lp_init(struct ofd_lp *lp, const char *meas)
{
	memset(lp, 0, sizeof(*lp));
	size_t n = strlen(meas);
	char *e = ofd_lp_escape(lp->meas, lp->meas + sizeof(lp->meas), meas, n, 'm');
	if (!n || !e)
		return OFD_ECONFIG;
	lp->measlen = (uint8_t)(e - lp->meas);
	return ofd_wbuf_init(&lp->scratch, -1, LP_SCRATCH);
}

void ofd_lp_fini(struct ofd_lp *lp)
{
	lp->scratch.len = 0;
	if (lp->scratch.buf)
		ofd_wbuf_fini(&lp->scratch);
	lp->scratch.buf = NULL;
}

static int number_how(uint8_t how)
{
	return how == OFD_SQLCOL_INT || how == OFD_SQLCOL_SPEED || how == OFD_SQLCOL_SCALED ||
	       how == OFD_SQLCOL_ZERO;
}

static int add(struct ofd_lp_col *cols, unsigned *n, const char *name)
{
	struct ofd_lp_col c;
	memset(&c, 0, sizeof(c));
	if (ofd_sqlcol_by_name(&c.col, name) < 0)
		return OFD_FIELDLIST_UNKNOWN;
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(cols[i].col.c.name, c.col.c.name))
			return 0;
	if (*n >= OFD_LP_MAX)
		return OFD_FIELDLIST_FULL;
	const char *k = c.col.c.name;
	char *e = ofd_lp_escape(c.key, c.key + sizeof(c.key) - 1, k, strlen(k), 'k');
	if (!e)
		return OFD_FIELDLIST_UNKNOWN;
	*e++ = '=';
	c.keylen = (uint8_t)(e - c.key);
	c.number = (uint8_t)number_how(c.col.how);
	cols[(*n)++] = c;
	return 0;
}

int ofd_lp_add_tag(struct ofd_lp *lp, const char *name)
{
	return add(lp->tags, &lp->ntags, name);
}

int ofd_lp_add_field(struct ofd_lp *lp, const char *name)
{
	return add(lp->fields, &lp->nfields, name);
}

static int by_key(const void *a, const void *b)
{
	const struct ofd_lp_col *x = a, *y = b;
	return strcmp(x->key, y->key);
}

const char *ofd_lp_finish(struct ofd_lp *lp)
{
	qsort(lp->tags, lp->ntags, sizeof(lp->tags[0]), by_key);
	qsort(lp->fields, lp->nfields, sizeof(lp->fields[0]), by_key);
	for (unsigned i = 0; i < lp->ntags; i++)
		for (unsigned j = 0; j < lp->nfields; j++)
			if (!strcmp(lp->tags[i].col.c.name, lp->fields[j].col.c.name))
				return lp->tags[i].col.c.name;
	return NULL;
}

/* A numeric column's value. */
static uint64_t num(const struct ofd_sqlcol *c, const struct ofd_flow *f)
{
	switch (c->how) {
	case OFD_SQLCOL_INT: return ofd_sqlcol_get_u(f, c->id);
	case OFD_SQLCOL_SPEED: return ofd_sqlcol_get_u(f, c->id) / 1000000u;
	case OFD_SQLCOL_SCALED: return ofd_sqlcol_get_u(f, c->id) / c->div;
	default: return 0;
	}
}

/*
 * The text of a non-numeric column (buf: at least OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX) bytes),
 * cut and made one line; *n its length.
 */
static const char *text(struct ofd_lp *lp, const struct ofd_sqlcol *c, const struct ofd_flow *f, char *buf,
			size_t cap, size_t *n)
{
	const struct ofd_field_info *d = &ofd_fields[c->id < OFD_F__COUNT ? c->id : 0];
	const char *s = "";
	*n = 0;
	switch ((enum ofd_sqlcol_how)c->how) {
	case OFD_SQLCOL_IP: {
		const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)((const char *)f + d->off);
		*n = (size_t)ofd_ip_str(ip, buf);
		return buf; /* plain */
	}
	case OFD_SQLCOL_STR: {
		const char *m = (const char *)f + d->off;
		if (d->kind == OFD_FK_CC) {
			s = m;
			*n = m[0] ? 2 : 0;
		} else {
			memcpy(&s, m, sizeof(s));
			if (!s)
				s = "";
			*n = strlen(s);
		}
		break;
	}
	case OFD_SQLCOL_ENUM:
	case OFD_SQLCOL_LIST:
	case OFD_SQLCOL_TEXT:
		lp->scratch.len = 0;
		ofd_fpcsv_row(&lp->scratch, f, &c->c, 1); /* the value and a newline */
		s = lp->scratch.buf;
		*n = lp->scratch.len ? lp->scratch.len - 1 : 0;
		break;
	default: return s;
	}
	*n = ofd_utf8_cut(s, *n, OFD_FMT_TEXT_MAX);
	if (!ofd_termtext_plain(s, *n)) {
		*n = ofd_termtext_escape(buf, cap, s, *n);
		return buf;
	}
	return s;
}

/* A decimal number at p (room checked by the caller: 28 bytes). */
static char *put_u(char *p, uint64_t v)
{
	return ofd_wbuf_put_u64(p, v);
}

#define ROOM(k)                                                                                              \
	do {                                                                                                 \
		if (end - p < (ptrdiff_t)(k))                                                                \
			return NULL;                                                                         \
	} while (0)

char *ofd_lp_row(struct ofd_lp *lp, const struct ofd_flow *f, uint64_t ts, char *p, char *end)
{
	char buf[OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX) + OFD_IP_STRLEN];
	ROOM(lp->measlen);
	memcpy(p, lp->meas, lp->measlen);
	p += lp->measlen;
	for (unsigned i = 0; i < lp->ntags; i++) {
		const struct ofd_lp_col *t = &lp->tags[i];
		size_t n;
		if (t->number) {
			ROOM(1 + t->keylen + 28);
			*p++ = ',';
			memcpy(p, t->key, t->keylen);
			p = put_u(p + t->keylen, num(&t->col, f));
			continue;
		}
		const char *s = text(lp, &t->col, f, buf, sizeof(buf), &n);
		if (!n)
			continue; /* no empty tag values */
		ROOM(1 + t->keylen);
		*p++ = ',';
		memcpy(p, t->key, t->keylen);
		if (!(p = ofd_lp_escape(p + t->keylen, end, s, n, 'k')))
			return NULL;
	}
	for (unsigned i = 0; i < lp->nfields; i++) {
		const struct ofd_lp_col *c = &lp->fields[i];
		ROOM(1 + c->keylen + 30);
		*p++ = i ? ',' : ' ';
		memcpy(p, c->key, c->keylen);
		p += c->keylen;
		if (c->number) {
			uint64_t v = num(&c->col, f);
			if (v > (uint64_t)INT64_MAX) {
				v = (uint64_t)INT64_MAX;
				lp->clamped++;
			}
			p = put_u(p, v);
			*p++ = 'i';
			continue;
		}
		size_t n;
		const char *s = text(lp, &c->col, f, buf, sizeof(buf), &n);
		*p++ = '"';
		if (!(p = ofd_lp_escape(p, end, s, n, 's')))
			return NULL;
		ROOM(1);
		*p++ = '"';
	}
	ROOM(1 + 28 + 1);
	*p++ = ' ';
	p = put_u(p, ts);
	*p++ = '\n';
	return p;
}
