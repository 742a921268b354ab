/* The Prometheus text exposition as JSON (promjson.h): a line-by-line reader. */
#include "obs/promjson.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PJ_NAME_MAX 200

/* The family named name (the last one, as the text groups them), made when it is new. */
static json_t *pj_family(json_t *fams, const char *name, size_t n, const char *type)
{
	size_t k = json_array_size(fams);
	json_t *f = k ? json_array_get(fams, k - 1) : NULL;
	const char *fn = f ? json_string_value(json_object_get(f, "name")) : NULL;
	if (fn && strlen(fn) == n && memcmp(fn, name, n) == 0)
		return f;
	f = json_pack("{s:s%, s:s, s:s, s:[]}", "name", name, n, "type", type, "help", "", "samples");
	if (!f || json_array_append_new(fams, f))
		return NULL;
	return f;
}

/* The base name of a sample (histogram and summary parts belong to their family). */
static size_t pj_base(json_t *fams, const char *name, size_t n)
{
	static const char *const parts[] = {"_bucket", "_sum", "_count"};
	size_t k = json_array_size(fams);
	const char *fn = k ? json_string_value(json_object_get(json_array_get(fams, k - 1), "name")) : NULL;
	for (size_t i = 0; fn && i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t pl = strlen(parts[i]), fl = strlen(fn);
		if (n == fl + pl && memcmp(name, fn, fl) == 0 && memcmp(name + fl, parts[i], pl) == 0)
			return fl;
	}
	return n;
}

/* A sample line "name{a="x",b="y"} value"; 0 or OFD_EFORMAT / -ENOMEM. */
static int pj_sample(json_t *fams, const char *s, const char *end)
{
	const char *p = s;
	while (p < end && *p != '{' && *p != ' ')
		p++;
	size_t n = (size_t)(p - s);
	if (!n || n > PJ_NAME_MAX)
		return OFD_EFORMAT;
	json_t *labels = json_object();
	if (!labels)
		return -ENOMEM;
	char val[512];
	int rc = OFD_EFORMAT;
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			const char *ln = p;
			while (p < end && *p != '=')
				p++;
			size_t lnl = (size_t)(p - ln);
			if (p + 1 >= end || p[1] != '"' || !lnl || lnl >= 100)
				goto out;
			char lname[100];
			memcpy(lname, ln, lnl);
			lname[lnl] = 0;
			p += 2;
			size_t vl = 0;
			for (; p < end && *p != '"'; p++) {
				char c = *p;
				if (c == '\\' && p + 1 < end) {
					c = *++p;
					c = c == 'n' ? '\n' : c;
				}
				if (vl + 1 >= sizeof(val))
					goto out;
				val[vl++] = c;
			}
			if (p >= end)
				goto out;
			p++; /* the closing quote */
			if (json_object_set_new(labels, lname, json_stringn(val, vl))) {
				rc = -ENOMEM;
				goto out;
			}
			if (p < end && *p == ',')
				p++;
		}
		if (p >= end)
			goto out;
		p++; /* } */
	}
	while (p < end && *p == ' ')
		p++;
	size_t vl = (size_t)(end - p);
	if (!vl || vl >= 64)
		goto out;
	memcpy(val, p, vl);
	val[vl] = 0;
	char *e;
	double v = strtod(val, &e);
	if (*e && *e != ' ') /* a timestamp may follow */
		goto out;
	json_t *f = pj_family(fams, s, pj_base(fams, s, n), "untyped");
	json_t *smp = f ? json_pack("{s:s%, s:O, s:o}", "name", s, n, "labels", labels, "value",
				    isfinite(v) ? json_real(v) : json_null())
			: NULL;
	rc = smp && !json_array_append_new(json_object_get(f, "samples"), smp) ? 0 : -ENOMEM;
out:
	json_decref(labels);
	return rc;
}

/* "# HELP name text" or "# TYPE name type"; other comments are skipped. */
static int pj_comment(json_t *fams, const char *s, const char *end)
{
	int help = end - s > 7 && memcmp(s, "# HELP ", 7) == 0;
	int type = end - s > 7 && memcmp(s, "# TYPE ", 7) == 0;
	if (!help && !type)
		return 0;
	const char *name = s + 7, *p = name;
	while (p < end && *p != ' ')
		p++;
	size_t n = (size_t)(p - name);
	if (!n || n > PJ_NAME_MAX)
		return OFD_EFORMAT;
	const char *rest = p < end ? p + 1 : end;
	json_t *f = pj_family(fams, name, n, "untyped");
	if (!f)
		return -ENOMEM;
	if (help) {
		/* unescape \\ and \n */
		char *t = malloc((size_t)(end - rest) + 1);
		size_t tl = 0;
		if (!t)
			return -ENOMEM;
		for (const char *q = rest; q < end; q++) {
			char c = *q;
			if (c == '\\' && q + 1 < end) {
				c = *++q;
				c = c == 'n' ? '\n' : c;
			}
			t[tl++] = c;
		}
		int rc = json_object_set_new(f, "help", json_stringn(t, tl));
		free(t);
		return rc ? -ENOMEM : 0;
	}
	return json_object_set_new(f, "type", json_stringn(rest, (size_t)(end - rest))) ? -ENOMEM : 0;
}

int ofd_promjson(const char *text, size_t len, json_t **out)
{
	*out = NULL;
	json_t *fams = json_array();
	if (!fams)
		return -ENOMEM;
	const char *p = text, *end = text + len;
	int rc = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p && *p == '#')
			rc = pj_comment(fams, p, le);
		else if (le > p)
			rc = pj_sample(fams, p, le);
		p = nl ? nl + 1 : end;
	}
	if (rc) {
		json_decref(fams);
		return rc;
	}
	json_t *o = json_object();
	if (!o || json_object_set_new(o, "families", fams)) { /* set_new takes fams either way */
		json_decref(o);
		if (!o)
			json_decref(fams);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}
