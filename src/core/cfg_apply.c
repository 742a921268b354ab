/*
 * Config maps applied to segment state: every key of a `config:` map is looked up in the
 * segment's struct ofd_cfg_key list (unknown keys refused), converted by type (cfg.h documents
 * the storage) and written at its offset; absent keys get their default (the `def` text, parsed
 * as YAML without expansion and converted by the same code) or are refused when required.
 *
 * Conversions:
 *   BOOL      true/false, yes/no, on/off, 1/0, in any letter case
 *   INT/UINT  optional sign (INT only), decimal or 0x hex, overflow refused
 *   DOUBLE    strtod over the whole text, finite values only
 *   DURATION  NUMBER[UNIT], NUMBER decimal with an optional fraction (1.5s), UNIT one of ns us ms
 *             s m h d, none: seconds; sub-nanosecond fractions are truncated
 *   SIZE      NUMBER[UNIT], UNIT one of B k K KiB M MiB G GiB T TiB (powers of 1024), none: bytes
 *   STRLIST   a list of scalars, or one scalar (a list of one); an empty value is an empty list;
 *             v is NULL-terminated (v[n] == NULL) after a conversion
 *   ENUM      one of `choices`, in any letter case
 *   NODE      any node; absent stores NULL (a NODE key has no default)
 * Bounds (min < max) apply to INT, UINT, DOUBLE, DURATION (ns) and SIZE (bytes).
 * Strings and lists written into state belong to it until ofd_cfg_release(), which also frees
 * what a failed ofd_cfg_apply() had written (state must have been zeroed before).
 */
#include "core/config.h"
#include "core/config_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct ofd_cfg_node *ofd_cfg_node_get(const struct ofd_cfg_node *map, const char *key)
{
	if (!map || map->kind != OFD_CFGN_MAP || !key)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

/* What a node is, for "got ..." in messages: 'text' (shortened), an empty value, a list, a map. */
static const char *cfg_got(const struct ofd_cfg_node *v, char *buf, size_t len)
{
	if (v->kind == OFD_CFGN_LIST)
		return "a list";
	if (v->kind == OFD_CFGN_MAP)
		return "a map";
	if (!v->text[0])
		return "an empty value";
	size_t n = strlen(v->text), show = n > 48 ? 48 : n, o = 0;
	buf[o++] = '\'';
	for (size_t i = 0; i < show && o + 6 < len; i++)
		buf[o++] = iscntrl((unsigned char)v->text[i]) ? '?' : v->text[i];
	if (show < n && o + 6 < len)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* Digits (decimal, or hex after 0x) into *out: 0, -1 not a number, -2 out of range. */
static int cfg_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

struct cfg_unit {
	const char *name;
	uint64_t mult;
	int show; /* used to print bounds */
};

static const struct cfg_unit cfg_dur_units[] = {
    {"", 1000000000ull, 0},
    {"ns", 1, 1},
    {"us", 1000, 1},
    {"ms", 1000000, 1},
    {"s", 1000000000ull, 1},
    {"m", 60000000000ull, 1},
    {"h", 3600000000000ull, 1},
    {"d", 86400000000000ull, 1},
    {"w", 604800000000000ull, 1},
    {NULL, 0, 0},
};

static const struct cfg_unit cfg_size_units[] = {
    {"", 1, 1},
    {"B", 1, 0},
    {"k", 1ull << 10, 1},
    {"K", 1ull << 10, 0},
    {"KiB", 1ull << 10, 0},
    {"M", 1ull << 20, 1},
    {"MiB", 1ull << 20, 0},
    {"G", 1ull << 30, 1},
    {"GiB", 1ull << 30, 0},
    {"T", 1ull << 40, 1},
    {"TiB", 1ull << 40, 0},
    {NULL, 0, 0},
};

/* "DIGITS[.DIGITS]UNIT" into *out (base units): 0, -1 malformed, -2 out of range. */
static int cfg_parse_units(const char *s, const struct cfg_unit *units, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, scale = 1;
	int digits = 0, over = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		unsigned d = (unsigned)(*s - '0');
		if (ip > (UINT64_MAX - d) / 10)
			over = 1;
		else
			ip = ip * 10 + d;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (scale <= UINT64_MAX / 100) { /* 18 fraction digits; further ones dropped */
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
	}
	if (!digits)
		return -1;
	const struct cfg_unit *u = units;
	while (u->name && strcmp(u->name, s))
		u++;
	if (!u->name)
		return -1;
	if (over || ip > UINT64_MAX / u->mult)
		return -2;
	uint64_t v = ip * u->mult;
	unsigned __int128 f = (unsigned __int128)frac * u->mult / scale;
	if (f > UINT64_MAX - v)
		return -2;
	*out = v + (uint64_t)f;
	return 0;
}

/* A bound as people write it: 1, 0.5, 10s, 64k. */
static void cfg_fmt_bound(const struct ofd_cfg_key *k, double x, char *buf, size_t len)
{
	const struct cfg_unit *units = k->type == OFD_CFG_DURATION ? cfg_dur_units
				       : k->type == OFD_CFG_SIZE   ? cfg_size_units
								   : NULL;
	if (units && x > 0 && x < 1.8e19 && x == floor(x)) {
		uint64_t v = (uint64_t)x;
		const struct cfg_unit *best = NULL;
		for (const struct cfg_unit *u = units; u->name; u++)
			if (u->show && v % u->mult == 0 && (!best || u->mult > best->mult))
				best = u;
		if (best) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(v / best->mult), best->name);
			return;
		}
	}
	if (x == floor(x) && fabs(x) < 9e18)
		snprintf(buf, len, "%lld", (long long)x);
	else
		snprintf(buf, len, "%g", x);
}

static int cfg_check_bounds(const struct ofd_cfg_key *k, double x, const struct ofd_cfg_node *v,
			    const char *file, const char *seg, char *err, size_t errlen)
{
	if (!(k->min < k->max))
		return 0;
	char b[48];
	if (x < k->min) {
		cfg_fmt_bound(k, k->min, b, sizeof(b));
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key,
				      "%.64s is below the minimum %s", v->text, b);
	}
	if (x > k->max) {
		cfg_fmt_bound(k, k->max, b, sizeof(b));
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key,
				      "%.64s is above the maximum %s", v->text, b);
	}
	return 0;
}

static int cfg_conv_bool(const char *t, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off",
										    "0"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(t, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(t, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* INT, UINT, DOUBLE, DURATION, SIZE: the number into *p, the value as a double into *x. */
static int cfg_conv_number(const struct ofd_cfg_key *k, const char *t, void *p, double *x)
{
	uint64_t u = 0;
	int rc;
	switch (k->type) {
	case OFD_CFG_INT: {
		int neg = t[0] == '-';
		if ((rc = cfg_parse_u64(t + (t[0] == '-' || t[0] == '+'), &u)))
			return rc;
		if (u > (uint64_t)INT64_MAX + neg)
			return -2;
		int64_t i = neg ? (int64_t)(0 - u) : (int64_t)u;
		memcpy(p, &i, sizeof(i));
		*x = (double)i;
		return 0;
	}
	case OFD_CFG_UINT: rc = cfg_parse_u64(t + (t[0] == '+'), &u); break;
	case OFD_CFG_DURATION: rc = cfg_parse_units(t, cfg_dur_units, &u); break;
	case OFD_CFG_SIZE: rc = cfg_parse_units(t, cfg_size_units, &u); break;
	default: {
		char *end;
		if (!t[0] || isspace((unsigned char)t[0]))
			return -1;
		errno = 0;
		double d = strtod(t, &end);
		if (*end)
			return -1;
		if (errno == ERANGE || !isfinite(d))
			return -2;
		memcpy(p, &d, sizeof(d));
		*x = d;
		return 0;
	}
	}
	if (!rc) {
		memcpy(p, &u, sizeof(u));
		*x = (double)u;
	}
	return rc;
}

static const char *cfg_expected(enum ofd_cfg_type t)
{
	switch (t) {
	case OFD_CFG_BOOL: return "a boolean (true/false, yes/no, on/off, 1/0)";
	case OFD_CFG_INT: return "an integer";
	case OFD_CFG_UINT: return "an unsigned integer";
	case OFD_CFG_DOUBLE: return "a number";
	case OFD_CFG_STRING: return "a string";
	case OFD_CFG_STRLIST: return "a list of strings";
	case OFD_CFG_LIST: return "a list of maps";
	case OFD_CFG_DURATION: return "a duration (a number with ns, us, ms, s, m, h, d or w; none: seconds)";
	case OFD_CFG_SIZE: return "a size (a number with k, M, G or T; none: bytes)";
	default: return "a value";
	}
}

static int cfg_conv_enum(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v, int *out,
			 const char *file, const char *seg, char *err, size_t errlen)
{
	char list[256] = "", got[64];
	size_t o = 0;
	for (size_t i = 0; k->choices && k->choices[i]; i++) {
		if (v->kind == OFD_CFGN_SCALAR && !strcasecmp(v->text, k->choices[i])) {
			*out = (int)i;
			return 0;
		}
		if (o < sizeof(list)) {
			int n = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", k->choices[i]);
			o += n > 0 ? (size_t)n : 0;
		}
	}
	if (v->kind == OFD_CFGN_SCALAR)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "%s is not one of: %s",
				      cfg_got(v, got, sizeof(got)), list);
	return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "expected one of: %s, got %s", list,
			      cfg_got(v, got, sizeof(got)));
}

/* A list of scalars, or one scalar, into a new NULL-terminated list (freed by cfg_strlist_free). */
static int cfg_conv_strlist(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v,
			    struct ofd_strlist *out, const char *file, const char *seg, char *err,
			    size_t errlen)
{
	char got[64];
	if (v->kind == OFD_CFGN_MAP)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key,
				      "expected a list of strings, got %s", cfg_got(v, got, sizeof(got)));
	size_t n = v->kind == OFD_CFGN_LIST ? v->n : v->text[0] != '\0';
	for (size_t i = 0; v->kind == OFD_CFGN_LIST && i < n; i++)
		if (v->items[i]->kind != OFD_CFGN_SCALAR)
			return ofd_cfg_errorf(err, errlen, file, v->items[i]->line, seg, k->key,
					      "expected a list of strings, got %s as item %zu",
					      cfg_got(v->items[i], got, sizeof(got)), i + 1);
	struct ofd_strlist l = {calloc(n + 1, sizeof(char *)), 0};
	if (!l.v)
		return -ENOMEM;
	for (; l.n < n; l.n++) {
		const char *t = v->kind == OFD_CFGN_LIST ? v->items[l.n]->text : v->text;
		if (!(l.v[l.n] = strdup(t))) {
			while (l.n)
				free(l.v[--l.n]);
			free(l.v);
			return -ENOMEM;
		}
	}
	*out = l;
	return 0;
}

/* Name element i of list key in the error a sub-key wrote: "key KEY[i].SUB: ..." (0-based i). */
static void cfg_nest_key(char *err, size_t errlen, const char *seg, const char *key, size_t i)
{
	char mark[160], prefix[96];
	if (!err)
		return;
	int m = snprintf(mark, sizeof(mark), "%s%s%skey ", seg ? "segment " : "", seg ? seg : "",
			 seg ? ": " : "");
	int n = snprintf(prefix, sizeof(prefix), "%s[%zu].", key, i);
	if (m <= 0 || (size_t)m >= sizeof(mark) || n <= 0 || (size_t)n >= sizeof(prefix))
		return; /* names too long to rewrite: the message keeps the sub-key alone */
	char *at = strstr(err, mark);
	size_t len = strlen(err);
	if (!at || len + (size_t)n >= errlen)
		return;
	at += strlen(mark);
	memmove(at + n, at, len - (size_t)(at - err) + 1);
	memcpy(at, prefix, (size_t)n);
}

static void cfg_list_free(const struct ofd_cfg_key *k, struct ofd_cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ofd_cfg_release(k->sub, (char *)l->v + i * k->elem_size);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* A list of maps (or one map) into elements, each applied with k->sub. */
static int cfg_conv_list(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v, struct ofd_cfg_list *out,
			 const char *file, const char *seg, char *err, size_t errlen)
{
	char got[64];
	const struct ofd_cfg_node *const *items = (const struct ofd_cfg_node *const *)v->items;
	size_t n = v->n;
	if (v->kind == OFD_CFGN_MAP) {
		items = &v;
		n = 1;
	} else if (v->kind == OFD_CFGN_SCALAR && !v->text[0]) {
		n = 0; /* `key:` with no value: an empty list, as for a list of strings */
	} else if (v->kind != OFD_CFGN_LIST) {
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "expected %s, got %s",
				      cfg_expected(k->type), cfg_got(v, got, sizeof(got)));
	}
	if (!k->sub || !k->elem_size)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "a list key without sub-keys");
	if (k->min < k->max && (double)n > k->max)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "at most %.0f items, got %zu",
				      k->max, n);
	if (k->min < k->max && (double)n < k->min)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "at least %.0f items, got %zu",
				      k->min, n);
	struct ofd_cfg_list l = {calloc(n ? n : 1, k->elem_size), 0};
	if (!l.v)
		return -ENOMEM;
	int rc = 0;
	for (; l.n < n && !rc; l.n++) {
		const struct ofd_cfg_node *it = items[l.n];
		if (it->kind != OFD_CFGN_MAP) {
			char name[128];
			snprintf(name, sizeof(name), "%s[%zu]", k->key, l.n);
			rc = ofd_cfg_errorf(err, errlen, file, it->line, seg, name, "expected a map, got %s",
					    cfg_got(it, got, sizeof(got)));
			break;
		}
		rc = ofd_cfg_apply(k->sub, it, (char *)l.v + l.n * k->elem_size, file, seg, it->line, err,
				   errlen);
		if (rc && rc != -ENOMEM)
			cfg_nest_key(err, errlen, seg, k->key, l.n);
	}
	if (rc) {
		cfg_list_free(k, &l);
		return rc;
	}
	cfg_list_free(k, out);
	*out = l;
	return 0;
}

/* Convert v for k into the field at p (errors carry v's line). */
static int cfg_convert(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v, void *p, const char *file,
		       const char *seg, char *err, size_t errlen)
{
	char got[64];
	int rc;
	switch (k->type) {
	case OFD_CFG_IGNORED: return 0;
	case OFD_CFG_NODE: memcpy(p, &v, sizeof(v)); return 0;
	case OFD_CFG_STRLIST: return cfg_conv_strlist(k, v, p, file, seg, err, errlen);
	case OFD_CFG_ENUM: return cfg_conv_enum(k, v, p, file, seg, err, errlen);
	case OFD_CFG_LIST: return cfg_conv_list(k, v, p, file, seg, err, errlen);
	default: break;
	}
	if (v->kind != OFD_CFGN_SCALAR)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "expected %s, got %s",
				      cfg_expected(k->type), cfg_got(v, got, sizeof(got)));
	if (k->type == OFD_CFG_STRING) {
		char *s = strdup(v->text);
		if (!s)
			return -ENOMEM;
		free(*(char **)p);
		memcpy(p, &s, sizeof(s));
		return 0;
	}
	if (k->type == OFD_CFG_BOOL) {
		if (cfg_conv_bool(v->text, p))
			return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "expected %s, got %s",
					      cfg_expected(k->type), cfg_got(v, got, sizeof(got)));
		return 0;
	}
	if (k->type > OFD_CFG_LIST)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "unknown key type %d",
				      (int)k->type);
	double x = 0;
	union {
		int64_t i;
		uint64_t u;
		double d;
	} tmp;
	rc = cfg_conv_number(k, v->text, &tmp, &x);
	if (rc == -2)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "%.64s is out of range",
				      v->text);
	if (rc)
		return ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "expected %s, got %s",
				      cfg_expected(k->type), cfg_got(v, got, sizeof(got)));
	if ((rc = cfg_check_bounds(k, x, v, file, seg, err, errlen)))
		return rc;
	memcpy(p, &tmp, sizeof(tmp.u));
	return 0;
}

int ofd_cfg_apply_one(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v, void *state,
		      const char *file, const char *seg, char *err, size_t errlen)
{
	int rc = cfg_convert(k, v, (char *)state + k->offset, file, seg, err, errlen);
	if (rc == -ENOMEM)
		ofd_cfg_errorf(err, errlen, file, v->line, seg, k->key, "out of memory");
	return rc;
}

/* The default of k: its `def` text parsed as YAML (an empty one is an empty value) and converted. */
static int cfg_apply_default(const struct ofd_cfg_key *k, void *state, const char *file, const char *seg,
			     unsigned line, char *err, size_t errlen)
{
	if (k->type == OFD_CFG_NODE || k->type == OFD_CFG_LIST)
		return 0;
	struct ofd_cfg_file *t;
	int rc = ofd_cfg_parse_tree(&t, file ? file : "default", k->def, strlen(k->def), 0, err, errlen);
	if (rc)
		return ofd_cfg_errorf(err, errlen, file, line, seg, k->key, "bad default '%.64s'", k->def);
	struct ofd_cfg_node empty = {.kind = OFD_CFGN_SCALAR, .text = ""};
	const struct ofd_cfg_node *root = ofd_cfg_root(t);
	struct ofd_cfg_node v = root ? *root : empty;
	v.line = line;
	rc = ofd_cfg_apply_one(k, &v, state, file, seg, err, errlen);
	ofd_cfg_free(t);
	if (rc && err && strlen(err) + 16 < errlen)
		memcpy(err + strlen(err), " (the default)", sizeof(" (the default)"));
	return rc;
}

int ofd_cfg_apply(const struct ofd_cfg_key *keys, const struct ofd_cfg_node *config, void *state,
		  const char *file, const char *seg, unsigned seg_line, char *err, size_t errlen)
{
	if (config && config->kind != OFD_CFGN_MAP) {
		char got[64];
		return ofd_cfg_errorf(err, errlen, file, config->line, seg, "config",
				      "expected a map, got %s", cfg_got(config, got, sizeof(got)));
	}
	/* the given keys in the order of the file, so that the first error is the first one */
	for (size_t i = 0; config && i < config->n; i++) {
		const struct ofd_cfg_key *k = keys, *any = NULL;
		for (; k && k->key && strcmp(k->key, config->keys[i]); k++)
			if (k->type == OFD_CFG_IGNORED && !strcmp(k->key, "*"))
				any = k;
		if ((!k || !k->key) && any)
			k = any;
		if (!k || !k->key)
			return ofd_cfg_unknown_key(keys, config, i, file, seg, err, errlen);
		if (k->type == OFD_CFG_IGNORED) {
			ofd_cfg_ignored_key(k, config->keys[i], config->key_lines[i], file, seg);
			continue;
		}
		int rc = ofd_cfg_apply_one(k, config->items[i], state, file, seg, err, errlen);
		if (rc)
			return rc;
	}
	for (const struct ofd_cfg_key *k = keys; k && k->key; k++) {
		int rc = 0;
		if (k->type == OFD_CFG_IGNORED || ofd_cfg_node_get(config, k->key))
			continue;
		if (k->required)
			rc = ofd_cfg_errorf(err, errlen, file, seg_line, seg, k->key, "missing required key");
		else if (k->def)
			rc = cfg_apply_default(k, state, file, seg, seg_line, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

void ofd_cfg_release(const struct ofd_cfg_key *keys, void *state)
{
	for (const struct ofd_cfg_key *k = keys; k && k->key; k++) {
		void *p = (char *)state + k->offset;
		if (k->type == OFD_CFG_STRING) {
			char *s;
			memcpy(&s, p, sizeof(s));
			free(s);
			memset(p, 0, sizeof(s));
		} else if (k->type == OFD_CFG_STRLIST) {
			struct ofd_strlist l;
			memcpy(&l, p, sizeof(l));
			for (size_t i = 0; i < l.n; i++)
				free(l.v[i]);
			free(l.v);
			memset(p, 0, sizeof(l));
		} else if (k->type == OFD_CFG_LIST) {
			struct ofd_cfg_list l;
			memcpy(&l, p, sizeof(l));
			cfg_list_free(k, &l);
			memset(p, 0, sizeof(l));
		}
	}
}
