/*
 * Prefix files: parsing and building a table (see prefixfile.h). The reloading source is in
 * prefixsrc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "segments/common/prefixfile.h"

/* ---- the table's strings: interned while building ---- */

struct strset {
	char *blob;
	size_t used, cap;
	uint32_t *off;	  /* [n] offsets into blob */
	uint16_t *len;	  /* [n] */
	uint32_t n, ncap; /* strings */
	uint32_t *slot;	  /* hash: index + 1, 0 empty */
	uint32_t nslot;	  /* a power of two */
};

static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int strset_grow_hash(struct strset *ss)
{
	uint32_t ns = ss->nslot ? ss->nslot * 2 : 64;
	uint32_t *sl = calloc(ns, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	for (uint32_t i = 0; i < ss->n; i++) {
		uint32_t h = str_hash(ss->blob + ss->off[i], ss->len[i]) & (ns - 1);
		while (sl[h])
			h = (h + 1) & (ns - 1);
		sl[h] = i + 1;
	}
	free(ss->slot);
	ss->slot = sl;
	ss->nslot = ns;
	return 0;
}

/* The index + 1 of s (added if new), or a negative errno. */
static int64_t strset_add(struct strset *ss, const char *s, size_t n)
{
	if ((uint64_t)(ss->n + 1) * 2 > ss->nslot && strset_grow_hash(ss))
		return -ENOMEM;
	uint32_t h = str_hash(s, n) & (ss->nslot - 1);
	for (uint32_t k; (k = ss->slot[h]) != 0; h = (h + 1) & (ss->nslot - 1))
		if (ss->len[k - 1] == n && memcmp(ss->blob + ss->off[k - 1], s, n) == 0)
			return k;
	if (ss->n == ss->ncap) {
		uint32_t nc = ss->ncap ? ss->ncap * 2 : 64;
		uint32_t *o = realloc(ss->off, nc * sizeof(*o));
		if (!o)
			return -ENOMEM;
		ss->off = o;
		uint16_t *l = realloc(ss->len, nc * sizeof(*l));
		if (!l)
			return -ENOMEM;
		ss->len = l;
		ss->ncap = nc;
	}
	if (ss->used + n + 1 > ss->cap) {
		size_t nc = ss->cap ? ss->cap * 2 : 4096;
		while (nc < ss->used + n + 1)
			nc *= 2;
		char *bl = realloc(ss->blob, nc);
		if (!bl)
			return -ENOMEM;
		ss->blob = bl;
		ss->cap = nc;
	}
	memcpy(ss->blob + ss->used, s, n);
	ss->blob[ss->used + n] = 0;
	ss->off[ss->n] = (uint32_t)ss->used;
	ss->len[ss->n] = (uint16_t)n;
	ss->used += n + 1;
	ss->slot[h] = ++ss->n;
	return ss->n;
}

static void strset_free(struct strset *ss)
{
	free(ss->blob);
	free(ss->off);
	free(ss->len);
	free(ss->slot);
}

/* ---- one line ---- */

struct field {
	const char *p;
	size_t n;
	char buf[PFX_LINE_MAX + 1]; /* a quoted field's text, unescaped */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The next field of line [*pp, end): trimmed, unquoted into fl. 0, or 1 at the end of the line
 * (no more fields), or -1 with why.
 */
static int next_field(const char **pp, const char *end, struct field *fl, const char **why)
{
	const char *p = *pp;
	if (!p)
		return 1;
	while (p < end && is_blank(*p))
		p++;
	if (p < end && *p == '"') {
		size_t n = 0;
		p++;
		for (;;) {
			if (p >= end) {
				*why = "a quoted field is not closed on its line";
				return -1;
			}
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"') {
					fl->buf[n++] = '"';
					p += 2;
					continue;
				}
				p++;
				break;
			}
			fl->buf[n++] = *p++;
		}
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p != ',') {
			*why = "text after a quoted field";
			return -1;
		}
		fl->p = fl->buf;
		fl->n = n;
		*pp = p < end ? p + 1 : NULL; /* past the comma, or no more fields */
		return 0;
	}
	const char *q = memchr(p, ',', (size_t)(end - p));
	const char *e = q ? q : end;
	const char *t = e;
	while (t > p && is_blank(t[-1]))
		t--;
	fl->p = p;
	fl->n = (size_t)(t - p);
	*pp = q ? q + 1 : NULL;
	return 0;
}

static int parse_u32(const char *s, size_t n, uint32_t *v)
{
	uint64_t x = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

struct builder {
	const char *path;
	enum pfx_mode mode;
	struct ofd_lpm *lpm;
	struct strset ss;
	size_t nprefixes;
	int records; /* records seen (a header is only the first) */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct builder *bd, unsigned line, const char *fmt,
							 ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(bd->err, bd->errlen, "%s:%u: %s", bd->path, line, why);
	return OFD_EFORMAT;
}

/* A shown excerpt of a field (at most 64 bytes, for messages). */
static int show_n(size_t n)
{
	return n > 64 ? 64 : (int)n;
}

static int add_line(struct builder *bd, unsigned line, const char *p, const char *end)
{
	struct field f0, f1;
	const char *why = NULL;
	const char *cur = p;
	int rc = next_field(&cur, end, &f0, &why);
	if (rc < 0)
		return fail_at(bd, line, "%s", why);
	int have_id = 0;
	rc = next_field(&cur, end, &f1, &why);
	if (rc < 0)
		return fail_at(bd, line, "%s", why);
	have_id = rc == 0;
	int first = bd->records++ == 0;
	/* further fields: checked for well-formedness, ignored */
	for (struct field fx; have_id && (rc = next_field(&cur, end, &fx, &why)) == 0;)
		;
	if (rc < 0)
		return fail_at(bd, line, "%s", why);

	char pbuf[OFD_PREFIX_STRLEN + 1];
	struct ofd_prefix pfx;
	int ok = f0.n < sizeof(pbuf);
	if (ok) {
		memcpy(pbuf, f0.p, f0.n);
		pbuf[f0.n] = 0;
		ok = ofd_prefix_parse(&pfx, pbuf) == 0;
	}
	if (!ok) {
		if (first && !memchr(f0.p, '.', f0.n) && !memchr(f0.p, ':', f0.n))
			return 0; /* a header */
		return fail_at(bd, line,
			       "bad prefix '%.*s' (an address/length without host bits set expected)",
			       show_n(f0.n), f0.p);
	}
	uint32_t v = 1;
	if (!have_id) {
		if (bd->mode != PFX_FLAG)
			return fail_at(bd, line, "no id after the prefix ('prefix,id' expected)");
	} else if (bd->mode == PFX_STR) {
		if (f1.n > PFX_ID_MAX)
			return fail_at(bd, line, "id longer than %u bytes", PFX_ID_MAX);
		if (f1.n == 0) {
			v = 0;
		} else {
			int64_t k = strset_add(&bd->ss, f1.p, f1.n);
			if (k < 0)
				return (int)k;
			v = (uint32_t)k;
		}
	} else if (parse_u32(f1.p, f1.n, &v)) {
		return fail_at(bd, line, "id '%.*s' is not an integer 0-4294967295 (useintids)", show_n(f1.n),
			       f1.p);
	}
	rc = ofd_lpm_add(bd->lpm, &pfx, v);
	if (rc == OFD_EFORMAT)
		return fail_at(bd, line, "bad prefix '%.*s'", show_n(f0.n), f0.p);
	if (rc)
		return rc;
	bd->nprefixes++;
	return 0;
}

static int build(struct builder *bd, const char *text, size_t len)
{
	/* IPv4 apart from IPv6: an IPv6 prefix covering ::ffff:0:0/96 (::/0) must not match IPv4
	   addresses; the file's own 0.0.0.0/0, added later, replaces this "no id" entry */
	struct ofd_prefix v4all;
	if (ofd_prefix_parse(&v4all, "0.0.0.0/0") || ofd_lpm_add(bd->lpm, &v4all, 0))
		return -ENOMEM;
	unsigned line = 0;
	const char *p = text, *end = text + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark (spreadsheets write one) */
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		if ((size_t)(e - p) > PFX_LINE_MAX)
			return fail_at(bd, line, "line longer than %u bytes", PFX_LINE_MAX);
		if (e > p && e[-1] == '\r')
			e--;
		if (memchr(p, 0, (size_t)(e - p)))
			return fail_at(bd, line, "a NUL byte (not a text file)");
		const char *q = p;
		while (q < e && is_blank(*q))
			q++;
		if (q < e && *q != '#') {
			int rc = add_line(bd, line, q, e);
			if (rc)
				return rc;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void pfx_table_free(struct pfx_table *t)
{
	if (!t)
		return;
	ofd_lpm_free(t->lpm);
	free(t->str);
	free(t->len);
	free(t->blob);
	free(t->cache);
	free(t->stamp);
	free(t->memo);
	free(t);
}

int pfx_parse(const char *path, const char *text, size_t len, enum pfx_mode mode, struct pfx_table **out,
	      char *err, size_t errlen)
{
	struct builder bd = {.path = path, .mode = mode, .err = err, .errlen = errlen};
	struct pfx_table *t = NULL;
	*out = NULL;
	int rc = ofd_lpm_new(&bd.lpm);
	if (!rc)
		rc = build(&bd, text, len);
	if (!rc)
		rc = ofd_lpm_freeze(bd.lpm);
	if (!rc && !(t = calloc(1, sizeof(*t))))
		rc = -ENOMEM;
	if (!rc && !(t->memo = calloc(PFX_MEMO, sizeof(*t->memo))))
		rc = -ENOMEM;
	if (!rc && bd.ss.n) {
		t->str = calloc(bd.ss.n, sizeof(*t->str));
		t->cache = calloc(bd.ss.n, sizeof(*t->cache));
		t->stamp = calloc(bd.ss.n, sizeof(*t->stamp));
		if (!t->str || !t->cache || !t->stamp)
			rc = -ENOMEM;
	}
	if (rc) {
		if (rc != OFD_EFORMAT)
			snprintf(err, errlen, "%s: %s", path, ofd_strerror(rc));
		ofd_lpm_free(bd.lpm);
		strset_free(&bd.ss);
		pfx_table_free(t);
		return rc;
	}
	t->lpm = bd.lpm;
	t->nprefixes = bd.nprefixes;
	t->nstr = bd.ss.n;
	t->blob = bd.ss.blob;
	t->len = bd.ss.len;
	for (uint32_t i = 0; i < t->nstr; i++)
		t->str[i] = t->blob + bd.ss.off[i];
	free(bd.ss.off);
	free(bd.ss.slot);
	*out = t;
	return 0;
}

void pfx_sig_of(struct pfx_sig *sig, const struct stat *st)
{
	memset(sig, 0, sizeof(*sig));
	sig->dev = st->st_dev;
	sig->ino = st->st_ino;
	sig->size = st->st_size;
	sig->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	sig->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

int pfx_load(const char *path, enum pfx_mode mode, struct pfx_table **out, struct pfx_sig *sig, char *err,
	     size_t errlen)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	char *text = NULL;
	size_t len = 0;
	int fs = fstat(fd, &st);
	if (!fs && sig)
		pfx_sig_of(sig, &st);
	if (fs) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = OFD_EFORMAT;
		snprintf(err, errlen, "%s: not a regular file", path);
	} else if ((uint64_t)st.st_size > PFX_FILE_MAX) {
		rc = OFD_ELIMIT;
		snprintf(err, errlen, "%s: larger than %u MiB", path, PFX_FILE_MAX >> 20);
	} else if (!(text = malloc((size_t)st.st_size + 1))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
	}
	/* read what fstat said, and notice a file that grew meanwhile (read again at its next change) */
	while (!rc && len <= (size_t)st.st_size) {
		ssize_t k = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		} else if (k == 0) {
			break;
		} else {
			len += (size_t)k;
		}
	}
	if (!rc && len > (size_t)st.st_size) {
		rc = -EAGAIN;
		snprintf(err, errlen, "%s: the file grew while being read", path);
	}
	close(fd);
	if (!rc)
		rc = pfx_parse(path, text, len, mode, out, err, errlen);
	free(text);
	return rc;
}

const char *pfx_str_in_batch(struct pfx_table *t, uint32_t v, uint32_t stamp, struct ofd_batch *b)
{
	uint32_t i = v - 1;
	if (v == 0 || i >= t->nstr)
		return NULL;
	if (t->stamp[i] == stamp)
		return t->cache[i];
	const char *c = ofd_batch_strdup(b, t->str[i], t->len[i]);
	if (c) {
		t->cache[i] = c;
		t->stamp[i] = stamp;
	}
	return c;
}

static inline uint32_t memo_slot(uint64_t hi, uint64_t lo)
{
	uint64_t h = (hi ^ (lo * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 52) & (PFX_MEMO - 1);
}

void pfx_lookup(struct pfx_table *t, const struct ofd_ip **a, size_t n, uint32_t *out)
{
	const struct ofd_ip *q[256];
	uint32_t r[256];
	uint16_t at[256];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = 0;
		if (a[i]) {
			uint64_t hi, lo;
			memcpy(&hi, a[i]->b, 8);
			memcpy(&lo, a[i]->b + 8, 8);
			const struct pfx_memo *m = &t->memo[memo_slot(hi, lo)];
			if (m->valid && m->hi == hi && m->lo == lo) {
				out[i] = m->v;
			} else {
				q[k] = a[i];
				at[k++] = (uint16_t)i;
			}
		}
		if (k == 256 || (i + 1 == n && k)) {
			(void)ofd_lpm_lookup_batch(t->lpm, q, k, r, 0);
			for (size_t j = 0; j < k; j++) {
				uint64_t hi, lo;
				memcpy(&hi, q[j]->b, 8);
				memcpy(&lo, q[j]->b + 8, 8);
				struct pfx_memo *m = &t->memo[memo_slot(hi, lo)];
				*m = (struct pfx_memo){hi, lo, r[j], 1};
				out[at[j]] = r[j];
			}
			k = 0;
		}
	}
}
