#include "fieldlist.h"

#include <stdio.h>
#include <string.h>

#include "ofd/flow.h"

static int refuse(char *err, size_t errlen, const char *what, const char *name, size_t n)
{
	snprintf(err, errlen, "%s \"%.*s\"", what, (int)(n > 64 ? 64 : n), name);
	return OFD_ECONFIG;
}

/* The names of list one by one to fn; the reason of a refusal in err. */
int ofd_fieldlist_walk(const struct ofd_strlist *list, int (*fn)(void *ctx, const char *name), void *ctx,
		       char *err, size_t errlen)
{
	for (size_t i = 0; i < list->n; i++) {
		const char *p = list->v[i];
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			const char *b = p, *e = p + len;
			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			char name[64];
			size_t nl = (size_t)(e - b);
			if (nl == 0 && !comma && list->n == 1 && p == list->v[i] && len == 0)
				break; /* fields: "" (flowpipeline's default): no names */
			if (nl == 0)
				return refuse(err, errlen, "empty field name in", list->v[i],
					      strlen(list->v[i]));
			if (nl >= sizeof(name))
				return refuse(err, errlen, "unknown field", b, nl);
			memcpy(name, b, nl);
			name[nl] = 0;
			int r = fn(ctx, name);
			if (r == OFD_FIELDLIST_UNKNOWN)
				return refuse(err, errlen, "unknown field", b, nl);
			if (r == OFD_FIELDLIST_FULL)
				return refuse(err, errlen, "too many fields at", b, nl);
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	return 0;
}

int ofd_fieldlist_each(struct ofd_segment *seg, const char *key, const struct ofd_strlist *list,
		       int (*fn)(void *ctx, const char *name), void *ctx)
{
	char why[160];
	int rc = ofd_fieldlist_walk(list, fn, ctx, why, sizeof(why));
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "key %s: %s", key, why);
	return rc;
}

struct ids_ctx {
	uint8_t *ids; /* NULL: count only */
	unsigned *n;
};

static int add_id(void *ctx, const char *name)
{
	struct ids_ctx *c = ctx;
	int id = ofd_field_by_name(name);
	if (id < 0)
		return OFD_FIELDLIST_UNKNOWN;
	if (*c->n >= OFD_FIELDLIST_MAX)
		return OFD_FIELDLIST_FULL;
	if (c->ids)
		c->ids[*c->n] = (uint8_t)id;
	(*c->n)++;
	return 0;
}

int ofd_fieldlist_parse(struct ofd_segment *seg, const char *key, const struct ofd_strlist *list,
			uint8_t *ids, unsigned *n)
{
	struct ids_ctx c = {ids, n};
	*n = 0;
	return ofd_fieldlist_each(seg, key, list, add_id, &c);
}

int ofd_fieldlist_check(const char *key, const struct ofd_strlist *list, char *err, size_t errlen)
{
	char why[160];
	unsigned n = 0;
	struct ids_ctx c = {NULL, &n};
	int rc = ofd_fieldlist_walk(list, add_id, &c, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "key %s: %s", key, why);
	return rc;
}
