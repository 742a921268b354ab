/*
 * The Prometheus text exposition writer (see promtext.h). Every line is built in place at the
 * end of the buffer and kept only when it fitted whole; on the first failure the buffer is cut
 * back to the line's start and the writer stops, so a truncated text is a prefix of whole lines.
 */
#include "promtext.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

void ofd_prom_init(struct ofd_prom *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
}

int ofd_prom_metric_name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == ':'))
			return 0;
	return 1;
}

int ofd_prom_label_name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9') || (s[0] == '_' && s[1] == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

/* ---- appending (each sets w->truncated when the bytes do not fit) ---- */

static void put(struct ofd_prom *w, const char *s, size_t n)
{
	if (w->truncated)
		return;
	if (n > w->cap - w->len) {
		w->truncated = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void put_str(struct ofd_prom *w, const char *s)
{
	put(w, s, strlen(s));
}

/* s escaped: backslash and newline always, double quote when `quote` (label values). */
static void put_escaped(struct ofd_prom *w, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p && !w->truncated) {
		/* the longest run that needs no escaping goes in one copy */
		const unsigned char *q = p;
		size_t n;
		while (*q >= 0x20 && *q < 0x80 && *q != '\\' && !(quote && *q == '"'))
			q++;
		put(w, (const char *)p, (size_t)(q - p));
		p = q;
		if (!*p)
			break;
		if (*p == '\\')
			put(w, "\\\\", 2), p++;
		else if (*p == '"' && quote)
			put(w, "\\\"", 2), p++;
		else if (*p == '\n')
			put(w, "\\n", 2), p++;
		else if ((n = ofd_utf8_decode(p, strnlen((const char *)p, 4), NULL)) != 0)
			put(w, (const char *)p, n),
			    p += n; /* other control bytes pass: the format allows them */
		else
			put(w, "?", 1), p++;
	}
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

void ofd_prom_family(struct ofd_prom *w, const char *name, enum ofd_prom_type type, const char *help)
{
	w->family = NULL;
	if (!ofd_prom_metric_name_ok(name)) {
		w->invalid = 1;
		return;
	}
	uint64_t h = name_hash(name);
	for (unsigned i = 0; i < w->nfam && i < OFD_PROM_FAMILIES_MAX; i++) {
		if (w->fam[i] == h) {
			w->invalid = 1; /* declared twice: its samples would be split */
			return;
		}
	}
	if (w->nfam < OFD_PROM_FAMILIES_MAX)
		w->fam[w->nfam] = h;
	w->nfam++;
	w->family = name;
	w->help = help ? help : "";
	w->type = type;
	w->pending = 1;
}

/* The name, labels and a space of a sample line (with the family's header first if pending). */
static int sample_start(struct ofd_prom *w, const struct ofd_prom_label *labels, size_t n)
{
	if (!w->family) {
		w->invalid = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ofd_prom_label_name_ok(labels[i].name) || !labels[i].value) {
			w->invalid = 1;
			return -1;
		}
	}
	if (w->pending) {
		put_str(w, "# HELP ");
		put_str(w, w->family);
		put(w, " ", 1);
		put_escaped(w, w->help, 0);
		put_str(w, "\n# TYPE ");
		put_str(w, w->family);
		put_str(w, w->type == OFD_PROM_COUNTER ? " counter\n" : " gauge\n");
	}
	put_str(w, w->family);
	for (size_t i = 0; i < n; i++) {
		put(w, i ? "," : "{", 1);
		put_str(w, labels[i].name);
		put(w, "=\"", 2);
		put_escaped(w, labels[i].value, 1);
		put(w, "\"", 1);
	}
	if (n)
		put(w, "}", 1);
	put(w, " ", 1);
	return 0;
}

static void sample_value(struct ofd_prom *w, size_t line0, const char *num, size_t len)
{
	put(w, num, len);
	put(w, "\n", 1);
	if (w->truncated)
		w->len = line0; /* nothing of the line (or of the header with it) stays */
	else
		w->pending = 0;
}

void ofd_prom_u64(struct ofd_prom *w, const struct ofd_prom_label *labels, size_t n, uint64_t v)
{
	char num[24];
	size_t line0 = w->len;
	if (w->truncated || sample_start(w, labels, n))
		return;
	int k = snprintf(num, sizeof(num), "%" PRIu64, v);
	sample_value(w, line0, num, (size_t)k);
}

void ofd_prom_f64(struct ofd_prom *w, const struct ofd_prom_label *labels, size_t n, double v)
{
	char num[32];
	size_t line0 = w->len;
	int k;
	if (w->truncated || sample_start(w, labels, n))
		return;
	if (isnan(v))
		k = snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		k = snprintf(num, sizeof(num), "%s", v > 0 ? "+Inf" : "-Inf");
	else
		k = snprintf(num, sizeof(num), "%.17g", v);
	sample_value(w, line0, num, (size_t)k);
}

void ofd_prom_single(struct ofd_prom *w, const char *name, enum ofd_prom_type type, const char *help,
		     uint64_t v)
{
	ofd_prom_family(w, name, type, help);
	ofd_prom_u64(w, OFD_PROM_NOLABELS, v);
}

int ofd_prom_end(const struct ofd_prom *w)
{
	if (w->invalid)
		return -EINVAL;
	if (w->truncated || w->len > INT32_MAX)
		return OFD_ELIMIT;
	return (int)w->len;
}
