/* VRP files (Routinator/RIPE "roas" JSON, rpki-client JSON and CSV): see vrp_load.h. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/vrp_load.h"

const char *ofd_vrp_format_name(enum ofd_vrp_format f)
{
	switch (f) {
	case OFD_VRP_FMT_ROAS_JSON: return "roas-json";
	case OFD_VRP_FMT_RPKI_CLIENT_JSON: return "rpki-client-json";
	case OFD_VRP_FMT_CSV: return "rpki-client-csv";
	default: return "none";
	}
}

struct scan {
	const char *buf;
	size_t len, pos;
	size_t lpos; /* newlines counted up to here */
	int line;    /* line of lpos (1-based) */
	struct ofd_vrp_load_stats *st;
};

static int line_at(struct scan *sc, size_t pos)
{
	if (pos > sc->len)
		pos = sc->len;
	for (; sc->lpos < pos; sc->lpos++)
		if (sc->buf[sc->lpos] == '\n')
			sc->line++;
	return sc->line;
}

static int refuse(struct scan *sc, size_t pos, const char *why)
{
	snprintf(sc->st->error, sizeof(sc->st->error), "%s", why);
	sc->st->line = line_at(sc, pos);
	return OFD_EFORMAT;
}

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->buf[sc->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->pos++;
	}
}

/* One JSON value at pos (jansson, stopping after it); NULL with the file refused. */
static json_t *value(struct scan *sc, int *rc)
{
	json_error_t e;
	json_t *v =
	    json_loadb(sc->buf + sc->pos, sc->len - sc->pos, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
	if (!v) {
		char why[160];
		snprintf(why, sizeof(why), "not JSON: %.120s", e.text);
		size_t start = sc->pos;
		*rc = refuse(sc, start, why);
		sc->st->line += e.line > 0 ? e.line - 1 : 0;
		return NULL;
	}
	sc->pos += (size_t)e.position;
	return v;
}

static void bad(struct ofd_vrp_load_stats *st, size_t index, const char *why)
{
	if (st->bad++ == 0) {
		st->first_bad_index = index;
		snprintf(st->first_bad, sizeof(st->first_bad), "%s", why);
	}
}

/* "AS64496", "as64496" or "64496" into *asn: 0 or -1. */
static int parse_asn_text(const char *s, size_t n, uint32_t *asn)
{
	if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*asn = (uint32_t)v;
	return 0;
}

/* One VRP from its parts into *v: NULL, or the reason of a refusal. */
static const char *make_one(struct ofd_vrp *v, uint32_t asn, const char *prefix, long long maxlength)
{
	struct ofd_prefix p;
	if (ofd_prefix_parse(&p, prefix) != 0)
		return "bad prefix";
	if (maxlength < 0 || maxlength > 128 || ofd_vrp_make(v, &p, (unsigned)maxlength, asn) != 0)
		return "maxLength below the prefix length or over 32/128";
	return NULL;
}

static int roa(struct ofd_vrpset *s, json_t *o, size_t index, int64_t now, struct ofd_vrp_load_stats *st)
{
	st->entries++;
	if (!json_is_object(o)) {
		bad(st, index, "not an object");
		return 0;
	}
	json_t *ja = json_object_get(o, "asn"), *jp = json_object_get(o, "prefix");
	json_t *jm = json_object_get(o, "maxLength"), *je = json_object_get(o, "expires");
	uint32_t asn = 0;
	if (json_is_integer(ja)) {
		json_int_t a = json_integer_value(ja);
		if (a < 0 || a > (json_int_t)UINT32_MAX) {
			bad(st, index, "asn out of range");
			return 0;
		}
		asn = (uint32_t)a;
		st->format = OFD_VRP_FMT_RPKI_CLIENT_JSON;
	} else if (!json_is_string(ja) ||
		   parse_asn_text(json_string_value(ja), json_string_length(ja), &asn) != 0) {
		bad(st, index, "asn missing or not AS<number>");
		return 0;
	}
	if (!json_is_string(jp) || strlen(json_string_value(jp)) != json_string_length(jp)) {
		bad(st, index, "prefix missing or not a string");
		return 0;
	}
	if (!json_is_integer(jm)) {
		bad(st, index, "maxLength missing or not an integer");
		return 0;
	}
	if (je && !json_is_integer(je)) {
		bad(st, index, "expires not an integer");
		return 0;
	}
	struct ofd_vrp v;
	const char *why = make_one(&v, asn, json_string_value(jp), (long long)json_integer_value(jm));
	if (why) {
		bad(st, index, why);
		return 0;
	}
	if (je && now && json_integer_value(je) <= now) {
		st->expired++;
		return 0;
	}
	int rc = ofd_vrpset_add(s, &v);
	if (rc)
		return rc;
	st->loaded++;
	return 0;
}

static int load_json(struct ofd_vrpset *s, struct scan *sc, int64_t now)
{
	struct ofd_vrp_load_stats *st = sc->st;
	int rc = 0, seen_roas = 0;
	st->format = OFD_VRP_FMT_ROAS_JSON;
	sc->pos++; /* '{' */
	skip_ws(sc);
	if (sc->pos < sc->len && sc->buf[sc->pos] == '}')
		return refuse(sc, sc->pos, "no \"roas\" array");
	for (;;) {
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->buf[sc->pos] != '"')
			return refuse(sc, sc->pos, "not JSON: a key expected");
		json_t *k = value(sc, &rc);
		if (!k)
			return rc;
		int is_roas = strcmp(json_string_value(k), "roas") == 0;
		int is_meta = strcmp(json_string_value(k), "metadata") == 0;
		json_decref(k);
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->buf[sc->pos] != ':')
			return refuse(sc, sc->pos, "not JSON: ':' expected");
		sc->pos++;
		skip_ws(sc);
		if (!is_roas) {
			json_t *v = value(sc, &rc);
			if (!v)
				return rc;
			/* rpki-client's metadata (Routinator's has "generated" instead) */
			if (is_meta &&
			    (json_object_get(v, "buildtime") || json_object_get(v, "buildmachine")))
				st->format = OFD_VRP_FMT_RPKI_CLIENT_JSON;
			json_decref(v);
		} else {
			if (seen_roas++)
				return refuse(sc, sc->pos, "\"roas\" given twice");
			if (sc->pos >= sc->len || sc->buf[sc->pos] != '[')
				return refuse(sc, sc->pos, "\"roas\" is not an array");
			sc->pos++;
			skip_ws(sc);
			size_t index = 0;
			if (sc->pos < sc->len && sc->buf[sc->pos] == ']') {
				sc->pos++;
			} else {
				for (;;) {
					skip_ws(sc);
					json_t *v = value(sc, &rc);
					if (!v)
						return rc;
					int e = roa(s, v, index++, now, st);
					json_decref(v);
					if (e < 0)
						return e;
					skip_ws(sc);
					if (sc->pos < sc->len && sc->buf[sc->pos] == ',') {
						sc->pos++;
						continue;
					}
					if (sc->pos < sc->len && sc->buf[sc->pos] == ']') {
						sc->pos++;
						break;
					}
					return refuse(sc, sc->pos,
						      "not JSON: ',' or ']' expected in \"roas\"");
				}
			}
		}
		skip_ws(sc);
		if (sc->pos < sc->len && sc->buf[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if (sc->pos < sc->len && sc->buf[sc->pos] == '}') {
			sc->pos++;
			break;
		}
		return refuse(sc, sc->pos, "not JSON: ',' or '}' expected");
	}
	skip_ws(sc);
	if (sc->pos != sc->len)
		return refuse(sc, sc->pos, "not JSON: text after the top-level object");
	if (!seen_roas)
		return refuse(sc, sc->pos, "no \"roas\" array");
	return 0;
}

/* Next CSV field of line[0..n) from *i, up to ',' (not included): its length. */
static size_t field(const char *line, size_t n, size_t *i, const char **f)
{
	*f = line + *i;
	size_t k = *i;
	while (k < n && line[k] != ',')
		k++;
	size_t len = k - *i;
	*i = k < n ? k + 1 : k;
	return len;
}

#define CSV_LINE_MAX 512

static int csv_row(struct ofd_vrpset *s, const char *line, size_t n, size_t lineno, int64_t now,
		   struct ofd_vrp_load_stats *st)
{
	st->entries++;
	if (n > CSV_LINE_MAX) {
		bad(st, lineno, "line too long");
		return 0;
	}
	const char *f[5];
	size_t fl[5] = {0}, i = 0;
	int nf = 0;
	while (nf < 5 && i < n)
		fl[nf] = field(line, n, &i, &f[nf]), nf++;
	if (nf < 3 || i < n) {
		bad(st, lineno, "not ASN,IP Prefix,Max Length[,Trust Anchor[,Expires]]");
		return 0;
	}
	uint32_t asn;
	if (parse_asn_text(f[0], fl[0], &asn) != 0) {
		bad(st, lineno, "asn not AS<number>");
		return 0;
	}
	char pfx[64];
	if (fl[1] >= sizeof(pfx)) {
		bad(st, lineno, "bad prefix");
		return 0;
	}
	memcpy(pfx, f[1], fl[1]);
	pfx[fl[1]] = 0;
	long long ml = 0, exp = 0;
	if (fl[2] == 0 || fl[2] > 3) {
		bad(st, lineno, "maxLength not a number");
		return 0;
	}
	for (size_t k = 0; k < fl[2]; k++) {
		if (f[2][k] < '0' || f[2][k] > '9') {
			bad(st, lineno, "maxLength not a number");
			return 0;
		}
		ml = ml * 10 + (f[2][k] - '0');
	}
	int has_exp = nf == 5 && fl[4] > 0;
	if (has_exp) {
		if (fl[4] > 18) {
			bad(st, lineno, "expires not an integer");
			return 0;
		}
		for (size_t k = 0; k < fl[4]; k++) {
			if (f[4][k] < '0' || f[4][k] > '9') {
				bad(st, lineno, "expires not an integer");
				return 0;
			}
			exp = exp * 10 + (f[4][k] - '0');
		}
	}
	struct ofd_vrp v;
	const char *why = make_one(&v, asn, pfx, ml);
	if (why) {
		bad(st, lineno, why);
		return 0;
	}
	if (has_exp && now && exp <= now) {
		st->expired++;
		return 0;
	}
	int rc = ofd_vrpset_add(s, &v);
	if (rc)
		return rc;
	st->loaded++;
	return 0;
}

static int load_csv(struct ofd_vrpset *s, const char *buf, size_t len, int64_t now,
		    struct ofd_vrp_load_stats *st)
{
	st->format = OFD_VRP_FMT_CSV;
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - pos;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		lineno++;
		if (n && !(lineno == 1 && n >= 4 && memcmp(buf + pos, "ASN,", 4) == 0)) {
			int rc = csv_row(s, buf + pos, n, lineno, now, st);
			if (rc)
				return rc;
		}
		pos = end + 1;
	}
	return 0;
}

int ofd_vrp_load_buf(struct ofd_vrpset *s, const char *buf, size_t len, int64_t now,
		     struct ofd_vrp_load_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct scan sc = {buf, len, 0, 0, 1, st};
	skip_ws(&sc);
	if (sc.pos < len && buf[sc.pos] == '{')
		return load_json(s, &sc, now);
	if (len - sc.pos >= 4 && memcmp(buf + sc.pos, "ASN,", 4) == 0 && sc.pos == 0)
		return load_csv(s, buf, len, now, st);
	if (sc.pos < len && (buf[sc.pos] == '[' || buf[sc.pos] == '"' || buf[sc.pos] == '-' ||
			     (buf[sc.pos] >= '0' && buf[sc.pos] <= '9')))
		return refuse(&sc, sc.pos, "not a JSON object");
	return refuse(&sc, sc.pos, "neither JSON nor rpki-client CSV (ASN,IP Prefix,Max Length,...)");
}

int ofd_vrp_load_file(const char *path, size_t max_bytes, int64_t now, struct ofd_vrpset **out,
		      struct ofd_vrp_load_stats *st)
{
	memset(st, 0, sizeof(*st));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(st->error, sizeof(st->error), "open: %s", strerror(e));
		return -e;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(st->error, sizeof(st->error), "not a regular file");
		return OFD_EFORMAT;
	}
	if ((uint64_t)sb.st_size > max_bytes) {
		close(fd);
		snprintf(st->error, sizeof(st->error), "file over %zu bytes", max_bytes);
		return OFD_ELIMIT;
	}
	size_t cap = (size_t)sb.st_size, n = 0;
	char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap) { /* the file may shrink while read; never read past cap */
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			snprintf(st->error, sizeof(st->error), "read: %s", strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	struct ofd_vrpset *s;
	int rc = ofd_vrpset_new(&s);
	if (rc == 0) {
		rc = ofd_vrp_load_buf(s, buf, n, now, st);
		if (rc == 0)
			rc = ofd_vrpset_freeze(s);
		if (rc)
			ofd_vrpset_free(s);
		else
			*out = s;
	}
	free(buf);
	return rc;
}
