/*
 * A tracer line's envelope, scanned in one pass without allocation (see envelope.h): the
 * receiver verifies tens of thousands of lines a second, and a general JSON parser spent more
 * time building the line's tree (whose unsigned flowdata and metadata copies are never read)
 * than everything else but the signature check.
 */
#include "tracer/envelope.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

struct scan {
	const char *s;
	size_t n, i;
	int depth;
};

static void ws(struct scan *j)
{
	while (j->i < j->n &&
	       (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/* One escape after the backslash at s[i - 1]: its length from s[i]; -1 if invalid (lone
   surrogates and \u0000 too, as strict parsers refuse them). */
static long escape(const char *s, size_t i, size_t n)
{
	uint32_t v, lo;
	if (i >= n)
		return -1;
	if (s[i] && strchr("\"\\/bfnrt", s[i]))
		return 1;
	if (s[i] != 'u' || n - i < 5 || hex4(s + i + 1, &v) || v == 0 || (v >= 0xdc00 && v <= 0xdfff))
		return -1;
	if (v < 0xd800 || v > 0xdbff)
		return 5;
	if (n - i < 11 || s[i + 5] != '\\' || s[i + 6] != 'u' || hex4(s + i + 7, &lo) || lo < 0xdc00 ||
	    lo > 0xdfff)
		return -1;
	return 11;
}

/* A string at s[i] == '"' into *out (may be NULL); 0 or -1. */
static int string(struct scan *j, struct env_str *out)
{
	const char *s = j->s;
	size_t i = j->i + 1, b = i;
	int esc = 0;
	while (i < j->n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			if (out)
				*out = (struct env_str){ENV_STRING, s + b, i - b, esc};
			j->i = i + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			long l = escape(s, i + 1, j->n);
			if (l < 0)
				return -1;
			esc = 1;
			i += 1 + (size_t)l;
		} else if (c < 0x80) {
			i++;
		} else {
			size_t l = ofd_utf8_decode((const unsigned char *)s + i, j->n - i, NULL);
			if (l == 0)
				return -1;
			i += l;
		}
	}
	return -1;
}

static int digits(struct scan *j)
{
	size_t b = j->i;
	while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	return j->i > b ? 0 : -1;
}

static int number(struct scan *j)
{
	if (j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (digits(j))
		return -1;
	if (j->i < j->n && j->s[j->i] == '.' && (j->i++, digits(j)))
		return -1;
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (digits(j))
			return -1;
	}
	return 0;
}

static int literal(struct scan *j, const char *w)
{
	size_t l = strlen(w);
	if (j->n - j->i < l || memcmp(j->s + j->i, w, l) != 0)
		return -1;
	j->i += l;
	return 0;
}

static int value(struct scan *j, struct env_str *out);

/* An object or array at s[i]; members named in `want` (NULL-terminated) go to outs[k]. */
static int container(struct scan *j, const char *const *want, struct env_str *outs)
{
	char close = j->s[j->i] == '{' ? '}' : ']';
	if (++j->depth > ENVELOPE_DEPTH)
		return -1;
	j->i++;
	ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		j->depth--;
		return 0;
	}
	for (;;) {
		struct env_str *slot = NULL;
		if (close == '}') {
			struct env_str name;
			if (j->i >= j->n || j->s[j->i] != '"' || string(j, &name))
				return -1;
			for (size_t k = 0; want && want[k] && !slot; k++)
				if (!name.esc && name.n == strlen(want[k]) &&
				    memcmp(name.p, want[k], name.n) == 0)
					slot = &outs[k];
			if (slot && slot->kind != ENV_ABSENT)
				return -1; /* a duplicate of a member we read */
			ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return -1;
			j->i++;
		}
		if (value(j, slot))
			return -1;
		ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			ws(j);
			continue;
		}
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
			j->depth--;
			return 0;
		}
		return -1;
	}
}

/* A value at s[i] (after whitespace); kept in *out when out is not NULL. */
static int value(struct scan *j, struct env_str *out)
{
	ws(j);
	if (j->i >= j->n)
		return -1;
	size_t b = j->i;
	int rc;
	switch (j->s[j->i]) {
	case '"': return string(j, out);
	case '{':
	case '[': rc = container(j, NULL, NULL); break;
	case 't': rc = literal(j, "true"); break;
	case 'f': rc = literal(j, "false"); break;
	case 'n': rc = literal(j, "null"); break;
	default: rc = number(j); break;
	}
	if (rc == 0 && out)
		*out = (struct env_str){ENV_OTHER, j->s + b, j->i - b, 0};
	return rc;
}

int ofd_envelope_scan(const char *s, size_t n, struct envelope *e)
{
	static const char *const top[] = {"signature", "sealed", "to", NULL};
	static const char *const inner[] = {"key", "signature", NULL};
	struct env_str outs[3] = {{ENV_ABSENT, NULL, 0, 0}}, in[2] = {{ENV_ABSENT, NULL, 0, 0}};
	struct scan j = {s, n, 0, 0};
	memset(e, 0, sizeof(*e));
	ws(&j);
	if (j.i >= n || s[j.i] != '{' || container(&j, top, outs))
		return -1;
	ws(&j);
	if (j.i != n)
		return -1;
	e->signature = outs[0].kind;
	e->sealed = outs[1];
	e->to = outs[2];
	e->has_sealed = outs[1].kind != ENV_ABSENT;
	/* signature's own members: scanned again, as an object of its own (already valid JSON) */
	if (outs[0].kind == ENV_OTHER && outs[0].p[0] == '{') {
		struct scan k = {outs[0].p, outs[0].n, 0, 1};
		if (container(&k, inner, in))
			return -1; /* a duplicate key or signature */
		e->signature_object = 1;
		e->key = in[0];
		e->sig = in[1];
	}
	return 0;
}

long ofd_envelope_unescape(const struct env_str *v, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->p[i];
		if (c == '\\') {
			char x = v->p[++i];
			uint32_t u = 0;
			switch (x) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (hex4(v->p + i + 1, &u) || u >= 0x80)
					return -1;
				c = (char)u;
				i += 4;
				break;
			default: c = x; break;
			}
		} else if ((unsigned char)c >= 0x80) {
			return -1;
		}
		if (o >= cap)
			return -1;
		buf[o++] = c;
	}
	return (long)o;
}
