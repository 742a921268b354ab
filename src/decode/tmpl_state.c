/*
 * Template state files (see tmpl_state.h for the layout): snapshots of decoders' template
 * caches, their merge and encoding, the atomic write, and the loader, which checks the whole
 * file before it defines anything, so that a bad file changes nothing.
 */
#include "tmpl_state.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ofd/rd.h"
#include "ofd/time.h"
#include "template.h"
#include "util/fileio.h"

#define HDR_LEN	    32
#define SUM_LEN	    32 /* crypto_generichash_BYTES: BLAKE2b-256 */
#define EX_LEN	    40
#define SAMPLER_LEN 12
#define T_LEN	    20
#define FIELD_LEN   8

static const uint8_t magic[8] = {'O', 'F', 'D', 'T', 'M', 'P', 'L', 'S'};

/* ---- snapshots ---- */

struct snap_ex {
	struct ofd_tmpl_key key;
	struct ofd_tmpl_opts opts;
};

struct snap_t {
	struct ofd_tmpl_key key;
	uint64_t seen_ns;
	size_t foff; /* first field in the snapshot's field array */
	uint32_t nfields, nscope;
	uint16_t id;
	uint8_t options;
};

struct ofd_tmpl_snap {
	struct snap_ex *ex;
	size_t nex, capex;
	struct snap_t *t;
	size_t nt, capt;
	struct ofd_tmpl_field *f;
	size_t nf, capf;
};

/* Room for `need` elements of `size` bytes in p (capacity *cap): the array, or NULL (p kept). */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 16;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return NULL;
		c *= 2;
	}
	void *q = realloc(p, c * size);
	if (q)
		*cap = c;
	return q;
}

static int take_ex(const struct ofd_tmpl_key *k, const struct ofd_tmpl_opts *o, void *ctx)
{
	struct ofd_tmpl_snap *s = ctx;
	struct snap_ex *ex = grow(s->ex, &s->capex, s->nex + 1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	s->ex = ex;
	ex[s->nex++] = (struct snap_ex){*k, *o};
	return 0;
}

static int take_t(const struct ofd_tmpl_view *v, void *ctx)
{
	struct ofd_tmpl_snap *s = ctx;
	struct snap_t *t = grow(s->t, &s->capt, s->nt + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	s->t = t;
	struct ofd_tmpl_field *f = grow(s->f, &s->capf, s->nf + v->nfields, sizeof(*f));
	if (!f)
		return -ENOMEM;
	s->f = f;
	memcpy(f + s->nf, v->fields, v->nfields * sizeof(*f));
	t[s->nt++] = (struct snap_t){.key = *v->key,
				     .seen_ns = v->seen_ns,
				     .foff = s->nf,
				     .nfields = v->nfields,
				     .nscope = v->nscope,
				     .id = v->id,
				     .options = v->options};
	s->nf += v->nfields;
	return 0;
}

int ofd_tmpl_snap_take(struct ofd_tmpl_snap **out, const struct ofd_decoder *d)
{
	struct ofd_tmpl_snap *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int err = ofd_tmpl_cache_each_exporter(d->tc, take_ex, s);
	if (!err)
		err = ofd_tmpl_cache_each(d->tc, take_t, s);
	if (err) {
		ofd_tmpl_snap_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void ofd_tmpl_snap_free(struct ofd_tmpl_snap *s)
{
	if (!s)
		return;
	free(s->ex);
	free(s->t);
	free(s->f);
	free(s);
}

/* ---- merging ---- */

static int key_cmp(const struct ofd_tmpl_key *a, const struct ofd_tmpl_key *b)
{
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	int c = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
	if (c)
		return c < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	return 0;
}

#define CMP(a, b)                                                                                            \
	do {                                                                                                 \
		if ((a) != (b))                                                                              \
			return (a) < (b) ? -1 : 1;                                                           \
	} while (0)

/* An exporter or a template of snapshot `snap`, at position `idx` there. */
struct m_ex {
	const struct snap_ex *e;
	size_t snap, idx;
};

struct m_t {
	const struct snap_t *t;
	const struct ofd_tmpl_field *f;
	size_t snap, idx;
	size_t ex; /* index in the merged exporters */
};

/* The merged exporters: unique keys in key order. */
struct u_ex {
	struct ofd_tmpl_key key;
	struct ofd_tmpl_opts opts;
	uint32_t out; /* index in the file, UINT32_MAX: no template kept */
};

static int m_ex_cmp(const void *pa, const void *pb)
{
	const struct m_ex *a = pa, *b = pb;
	int c = key_cmp(&a->e->key, &b->e->key);
	if (c)
		return c;
	CMP(a->snap, b->snap);
	CMP(a->idx, b->idx);
	return 0;
}

/* By exporter and id, the most recently refreshed first (then the earlier snapshot). */
static int m_t_by_id(const void *pa, const void *pb)
{
	const struct m_t *a = pa, *b = pb;
	CMP(a->ex, b->ex);
	CMP(a->t->id, b->t->id);
	CMP(b->t->seen_ns, a->t->seen_ns);
	CMP(a->snap, b->snap);
	CMP(a->idx, b->idx);
	return 0;
}

/* Refresh order, as a cache keeps it. */
static int m_t_by_age(const void *pa, const void *pb)
{
	const struct m_t *a = pa, *b = pb;
	CMP(a->t->seen_ns, b->t->seen_ns);
	CMP(a->snap, b->snap);
	CMP(a->idx, b->idx);
	return 0;
}

/* Unique exporters of all snapshots, in key order (*out, *nout). */
static int merge_exporters(const struct ofd_tmpl_snap *const *snaps, size_t n, struct u_ex **out,
			   size_t *nout)
{
	size_t total = 0, nu = 0;
	for (size_t i = 0; i < n; i++)
		total += snaps[i]->nex;
	struct m_ex *m = calloc(total ? total : 1, sizeof(*m));
	struct u_ex *u = calloc(total ? total : 1, sizeof(*u));
	if (!m || !u) {
		free(m);
		free(u);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < snaps[i]->nex; j++)
			m[k++] = (struct m_ex){&snaps[i]->ex[j], i, j};
	qsort(m, total, sizeof(*m), m_ex_cmp);
	for (size_t i = 0; i < total; i++) {
		if (nu && key_cmp(&u[nu - 1].key, &m[i].e->key) == 0) {
			ofd_tmpl_opts_merge(&u[nu - 1].opts, &m[i].e->opts); /* the newest wins */
			continue;
		}
		u[nu].key = m[i].e->key;
		u[nu].opts = m[i].e->opts;
		if (u[nu].opts.nsamplers > OFD_TMPL_SAMPLERS)
			u[nu].opts.nsamplers = OFD_TMPL_SAMPLERS;
		u[nu].out = UINT32_MAX;
		nu++;
	}
	free(m);
	*out = u;
	*nout = nu;
	return 0;
}

static size_t find_ex(const struct u_ex *u, size_t nu, const struct ofd_tmpl_key *k)
{
	size_t lo = 0, hi = nu;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&u[mid].key, k);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* Templates of all snapshots, one per exporter and id, in refresh order (*out, *nout). */
static int merge_templates(const struct ofd_tmpl_snap *const *snaps, size_t n, const struct u_ex *u,
			   size_t nu, struct m_t **out, size_t *nout)
{
	size_t total = 0, k = 0, kept = 0;
	for (size_t i = 0; i < n; i++)
		total += snaps[i]->nt;
	struct m_t *m = calloc(total ? total : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < snaps[i]->nt; j++) {
			const struct snap_t *t = &snaps[i]->t[j];
			size_t ex = find_ex(u, nu, &t->key);
			/* a cache's templates all have their exporter; field counts come from u16s */
			if (ex == SIZE_MAX || t->nfields == 0 || t->nfields > UINT16_MAX ||
			    t->nscope > t->nfields)
				continue;
			m[k++] = (struct m_t){t, snaps[i]->f + t->foff, i, j, ex};
		}
	qsort(m, k, sizeof(*m), m_t_by_id);
	for (size_t i = 0; i < k; i++)
		if (!kept || m[kept - 1].ex != m[i].ex || m[kept - 1].t->id != m[i].t->id)
			m[kept++] = m[i];
	qsort(m, kept, sizeof(*m), m_t_by_age);
	*out = m;
	*nout = kept;
	return 0;
}

/* ---- encoding ---- */

struct wr {
	uint8_t *p;
};

static void put8(struct wr *w, uint8_t v)
{
	*w->p++ = v;
}

static void put16(struct wr *w, uint16_t v)
{
	put8(w, (uint8_t)(v >> 8));
	put8(w, (uint8_t)v);
}

static void put32(struct wr *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

static void put64(struct wr *w, uint64_t v)
{
	put32(w, (uint32_t)(v >> 32));
	put32(w, (uint32_t)v);
}

static void put_exporter(struct wr *w, const struct u_ex *e)
{
	put8(w, e->key.addr.family);
	put8(w, e->key.version);
	put16(w, e->key.port);
	memcpy(w->p, e->key.addr.b, 16);
	w->p += 16;
	put32(w, e->key.domain);
	put32(w, e->opts.rate);
	put8(w, e->opts.has_sys_init ? 1 : 0);
	put8(w, e->opts.nsamplers);
	put16(w, 0);
	put64(w, e->opts.has_sys_init ? e->opts.sys_init_ms : 0);
	for (unsigned i = 0; i < e->opts.nsamplers; i++) {
		put64(w, e->opts.samplers[i].id);
		put32(w, e->opts.samplers[i].rate);
	}
}

static void put_template(struct wr *w, const struct m_t *m, uint32_t ex)
{
	const struct snap_t *t = m->t;
	put32(w, ex);
	put16(w, t->id);
	put8(w, t->options);
	put8(w, 0);
	put64(w, t->seen_ns);
	put16(w, (uint16_t)t->nfields);
	put16(w, (uint16_t)t->nscope);
	for (uint32_t i = 0; i < t->nfields; i++) {
		put16(w, m->f[i].id);
		put16(w, m->f[i].len);
		put32(w, m->f[i].pen);
	}
}

int ofd_tmpl_state_encode(const struct ofd_tmpl_snap *const *snaps, size_t n, uint64_t save_ns, uint8_t **out,
			  size_t *len)
{
	struct u_ex *u = NULL;
	struct m_t *m = NULL;
	size_t nu = 0, nt = 0;
	int err = merge_exporters(snaps, n, &u, &nu);
	if (err)
		return err;
	err = merge_templates(snaps, n, u, nu, &m, &nt);
	if (err)
		goto free_exporters;
	/* number the exporters that keep a template, in key order; add up the size */
	uint64_t size = HDR_LEN + SUM_LEN;
	uint32_t nex = 0;
	for (size_t i = 0; i < nt; i++) {
		u[m[i].ex].out = 0;
		size += T_LEN + (uint64_t)m[i].t->nfields * FIELD_LEN;
	}
	for (size_t i = 0; i < nu; i++)
		if (u[i].out != UINT32_MAX) {
			u[i].out = nex++;
			size += EX_LEN + (uint64_t)u[i].opts.nsamplers * SAMPLER_LEN;
		}
	err = OFD_ELIMIT;
	if (size > OFD_TMPL_STATE_MAX)
		goto free_templates;
	err = -ENOMEM;
	uint8_t *buf = malloc(size);
	if (!buf)
		goto free_templates;
	struct wr w = {buf};
	memcpy(w.p, magic, sizeof(magic));
	w.p += sizeof(magic);
	put32(&w, OFD_TMPL_STATE_VERSION);
	put32(&w, 0);
	put64(&w, save_ns);
	put32(&w, nex);
	put32(&w, (uint32_t)nt);
	for (size_t i = 0; i < nu; i++)
		if (u[i].out != UINT32_MAX)
			put_exporter(&w, &u[i]);
	for (size_t i = 0; i < nt; i++)
		put_template(&w, &m[i], u[m[i].ex].out);
	crypto_generichash(w.p, SUM_LEN, buf, size - SUM_LEN, NULL, 0);
	*out = buf;
	*len = size;
	err = 0;
free_templates:
	free(m);
free_exporters:
	free(u);
	return err;
}

/* ---- writing ---- */

/* Make the rename durable; a file system that cannot sync a directory still renamed the file. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* What is at path when it is not a regular file ("a symbolic link", "a device"...), NULL when
   it is one or nothing is there. */
static const char *not_regular(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
		return NULL;
	if (S_ISLNK(st.st_mode))
		return "a symbolic link";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "a device";
	if (S_ISFIFO(st.st_mode))
		return "a FIFO";
	if (S_ISDIR(st.st_mode))
		return "a directory";
	return "not a regular file";
}

/* Create tmp afresh (O_EXCL): a regular file left there by an earlier run is removed first,
   anything else is refused. The fd, or a negative error. */
static int open_tmp(const char *tmp)
{
	for (int tries = 0; tries < 2; tries++) {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
		const char *what = not_regular(tmp);
		if (what) {
			ofd_warn("template state %s: %s is there, not replaced", tmp, what);
			return -EEXIST;
		}
		if (unlink(tmp) != 0 && errno != ENOENT)
			return -errno;
	}
	return -EEXIST;
}

/* Write path.tmp, fsync it and rename it over path. */
static int write_atomic(const char *path, const uint8_t *p, size_t len)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 5);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, pl + 5, "%s.tmp", path);
	int err = 0;
	int fd = open_tmp(tmp);
	if (fd < 0) {
		err = fd;
		goto free_tmp;
	}
	err = ofd_write_all(fd, p, len);
	if (!err && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err)
		unlink(tmp);
	else
		sync_dir(path);
free_tmp:
	free(tmp);
	return err;
}

int ofd_tmpl_state_write(const struct ofd_tmpl_snap *const *snaps, size_t n, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *what = not_regular(path);
	if (what) { /* never replaced: a device, FIFO, directory or link is not ours to turn into a file */
		ofd_warn("template state %s: %s, not a regular file; not replaced, templates not saved", path,
			 what);
		return -EEXIST;
	}
	int err = ofd_tmpl_state_encode(snaps, n, ofd_time_now_ns(), &buf, &len);
	if (!err)
		err = write_atomic(path, buf, len);
	free(buf);
	if (err)
		ofd_warn("template state %s: cannot save: %s", path, ofd_strerror(err));
	return err;
}

int ofd_tmpl_state_save(const struct ofd_decoder *const *decs, size_t n, const char *path)
{
	struct ofd_tmpl_snap **snaps = calloc(n ? n : 1, sizeof(*snaps));
	int err = snaps ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		err = ofd_tmpl_snap_take(&snaps[i], decs[i]);
	if (!err)
		err = ofd_tmpl_state_write((const struct ofd_tmpl_snap *const *)snaps, n, path);
	else
		ofd_warn("template state %s: cannot save: %s", path, ofd_strerror(err));
	for (size_t i = 0; snaps && i < n; i++)
		ofd_tmpl_snap_free(snaps[i]);
	free(snaps);
	return err;
}

/* ---- loading ---- */

/* An exporter record as read, and whether a template of it is in the decoder now. */
struct l_ex {
	struct ofd_tmpl_key key;
	struct ofd_tmpl_opts opts;
	uint8_t loaded, present;
};

/* A template record as read; its fields stay in the file's bytes. */
struct l_t {
	uint32_t ex;
	uint16_t id;
	uint8_t options;
	uint64_t seen_ns;
	uint16_t nfields, nscope;
	const uint8_t *fields;
};

/* Ignore the whole file with one warning (detail: a system error text, or NULL). */
static int ignore_err(struct ofd_tmpl_state_info *info, const char *name, const char *why, const char *detail)
{
	info->ignored = 1;
	info->why = why;
	ofd_warn("template state %s: %s%s%s: ignored, templates are learned afresh", name, why,
		 detail ? ": " : "", detail ? detail : "");
	return 0;
}

static int ignore(struct ofd_tmpl_state_info *info, const char *name, const char *why)
{
	return ignore_err(info, name, why, NULL);
}

static const char *read_exporter(struct ofd_rd *r, struct l_ex *e)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	e->key.addr.family = ofd_rd_u8(r);
	e->key.version = ofd_rd_u8(r);
	e->key.port = ofd_rd_u16(r);
	ofd_rd_bytes(r, e->key.addr.b, 16);
	e->key.domain = ofd_rd_u32(r);
	e->opts.rate = ofd_rd_u32(r);
	uint8_t flags = ofd_rd_u8(r);
	e->opts.nsamplers = ofd_rd_u8(r);
	uint16_t reserved = ofd_rd_u16(r);
	e->opts.sys_init_ms = ofd_rd_u64(r);
	e->opts.has_sys_init = flags & 1;
	if (r->err)
		return "exporter record cut short";
	if (e->key.addr.family != OFD_AF_INET && e->key.addr.family != OFD_AF_INET6)
		return "exporter with a bad address family";
	if (e->key.addr.family == OFD_AF_INET && memcmp(e->key.addr.b, v4mapped, 12) != 0)
		return "exporter with a bad IPv4 address";
	if (e->key.version != 9 && e->key.version != 10)
		return "exporter with a version other than 9 and 10";
	if ((flags & ~1u) || reserved || e->opts.nsamplers > OFD_TMPL_SAMPLERS)
		return "exporter with bad flags or sampler count";
	if (!e->opts.has_sys_init && e->opts.sys_init_ms)
		return "exporter with an init time but no flag";
	for (unsigned i = 0; i < e->opts.nsamplers; i++) {
		e->opts.samplers[i].id = ofd_rd_u64(r);
		e->opts.samplers[i].rate = ofd_rd_u32(r);
	}
	return r->err ? "exporter samplers cut short" : NULL;
}

static const char *read_template(struct ofd_rd *r, const struct l_ex *ex, uint32_t nex, struct l_t *t)
{
	t->ex = ofd_rd_u32(r);
	t->id = ofd_rd_u16(r);
	t->options = ofd_rd_u8(r);
	uint8_t reserved = ofd_rd_u8(r);
	t->seen_ns = ofd_rd_u64(r);
	t->nfields = ofd_rd_u16(r);
	t->nscope = ofd_rd_u16(r);
	if (r->err)
		return "template record cut short";
	if (t->ex >= nex)
		return "template of an exporter not in the file";
	if (t->id < 256 || t->options > 1 || reserved)
		return "template with a bad id or flags";
	int v9 = ex[t->ex].key.version == 9;
	/* as the decoders accept them: v9 options may lack scope fields, IPFIX ones may not */
	if (t->nfields == 0 || t->nscope > t->nfields || (!t->options && t->nscope) ||
	    (t->options && !v9 && t->nscope == 0))
		return "template with bad field or scope counts";
	if (!ofd_rd_need(r, (size_t)t->nfields * FIELD_LEN))
		return "template fields cut short";
	t->fields = r->p;
	for (uint32_t i = 0; i < t->nfields; i++) {
		const uint8_t *f = r->p + i * FIELD_LEN;
		uint16_t id = ofd_be16(f);
		uint32_t pen = ofd_be32(f + 4);
		if (v9 ? pen != 0 : (id & 0x8000) != 0)
			return "template field with a bad element id or enterprise number";
	}
	ofd_rd_skip(r, (size_t)t->nfields * FIELD_LEN);
	return NULL;
}

static int stale(const struct ofd_decoder *d, uint64_t seen_ns, uint64_t now_ns)
{
	uint64_t to = d->lim.template_timeout_s;
	return to && now_ns > seen_ns && now_ns - seen_ns > to * 1000000000ull;
}

/* Define one (checked) template record in d; counts it in info. */
static int load_template(struct ofd_decoder *d, struct l_ex *e, const struct l_t *t, uint64_t now_ns,
			 struct ofd_tmpl_state_info *info)
{
	if (stale(d, t->seen_ns, now_ns)) {
		info->stale++;
		return 0;
	}
	struct ofd_tmpl_field *f = ofd_tmpl_fields(d->tc);
	for (uint32_t i = 0; i < t->nfields && i < d->lim.max_fields; i++) {
		const uint8_t *p = t->fields + i * FIELD_LEN;
		f[i] = (struct ofd_tmpl_field){ofd_be16(p), ofd_be16(p + 2), ofd_be32(p + 4)};
	}
	/* a refresh time ahead of now (the clock went back) counts as now: it must expire one day */
	uint64_t seen = t->seen_ns > now_ns ? now_ns : t->seen_ns;
	int rc = ofd_tmpl_restore(d, &e->key, t->id, t->options, t->nfields, t->nscope, seen);
	if (rc == 0) {
		if (t->options)
			info->options_templates++;
		else
			info->templates++;
		e->loaded = e->present = 1;
	} else if (rc == 1) {
		info->kept++;
		e->present = 1;
	} else if (rc == -ENOMEM) {
		return rc;
	} else {
		info->refused++;
	}
	return 0;
}

static int load_buf(struct ofd_decoder *d, const uint8_t *p, size_t len, uint64_t now_ns,
		    struct ofd_tmpl_state_info *info, const char *name)
{
	uint8_t sum[SUM_LEN];
	if (len == 0)
		return ignore(info, name, "empty file");
	if (len < HDR_LEN + SUM_LEN)
		return ignore(info, name, "shorter than a header and checksum");
	if (memcmp(p, magic, sizeof(magic)) != 0)
		return ignore(info, name, "not a template state file");
	uint32_t version = ofd_be32(p + 8);
	if (version != OFD_TMPL_STATE_VERSION)
		return ignore(info, name, "written in another format version");
	if (len > OFD_TMPL_STATE_MAX)
		return ignore(info, name, "larger than a state file can be");
	crypto_generichash(sum, sizeof(sum), p, len - SUM_LEN, NULL, 0);
	if (memcmp(sum, p + len - SUM_LEN, SUM_LEN) != 0)
		return ignore(info, name, "checksum mismatch (truncated or corrupt)");
	if (ofd_be32(p + 12) != 0)
		return ignore(info, name, "malformed header");
	uint64_t saved_ns = ofd_be64(p + 16);
	uint32_t nex = ofd_be32(p + 24), nt = ofd_be32(p + 28);
	size_t body = len - HDR_LEN - SUM_LEN;
	if ((uint64_t)nex * EX_LEN + (uint64_t)nt * T_LEN > body)
		return ignore(info, name, "record counts larger than the file");
	/* several workers' decoders may have been merged into one file, but never more than this:
	   the bound keeps a crafted file from making the loader allocate for millions of exporters */
	if ((uint64_t)nex > (uint64_t)d->lim.max_exporters * OFD_TMPL_STATE_MERGE_MAX ||
	    (uint64_t)nt > (uint64_t)d->lim.max_templates_total * OFD_TMPL_STATE_MERGE_MAX)
		return ignore(info, name, "more exporters or templates than any collector keeps");

	/* check everything first: a bad file must change nothing */
	struct l_ex *ex = calloc(nex ? nex : 1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	struct ofd_rd r = ofd_rd_make(p + HDR_LEN, body);
	const char *bad = NULL;
	for (uint32_t i = 0; i < nex && !bad; i++)
		bad = read_exporter(&r, &ex[i]);
	const struct ofd_rd templates = r;
	struct l_t t;
	for (uint32_t i = 0; i < nt && !bad; i++)
		bad = read_template(&r, ex, nex, &t);
	if (!bad && ofd_rd_left(&r))
		bad = "bytes after the last record";
	if (bad) {
		free(ex);
		return ignore(info, name, bad);
	}

	info->saved_ns = saved_ns;
	int err = 0;
	r = templates;
	for (uint32_t i = 0; i < nt && !err; i++) {
		(void)read_template(&r, ex, nex, &t);
		err = load_template(d, &ex[t.ex], &t, now_ns, info);
	}
	for (uint32_t i = 0; i < nex; i++)
		if (ex[i].present && ofd_tmpl_restore_opts(d, &ex[i].key, &ex[i].opts) == 0 && ex[i].loaded)
			info->exporters++;
	free(ex);
	return err;
}

int ofd_tmpl_state_load_mem(struct ofd_decoder *d, const uint8_t *p, size_t len, uint64_t now_ns,
			    struct ofd_tmpl_state_info *info)
{
	struct ofd_tmpl_state_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	return load_buf(d, p, len, now_ns, info, "(memory)");
}

int ofd_tmpl_state_load(struct ofd_decoder *d, const char *path, uint64_t now_ns,
			struct ofd_tmpl_state_info *info)
{
	struct ofd_tmpl_state_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the start; links not followed */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			info->missing = 1;
			return 0;
		}
		if (errno == ELOOP)
			return ignore(info, path, "a symbolic link (not followed)");
		return ignore_err(info, path, "cannot be opened", ofd_strerror(-errno));
	}
	struct stat st;
	int err = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = ignore(info, path, "not a regular file");
		goto close_fd;
	}
	if ((uint64_t)st.st_size > OFD_TMPL_STATE_MAX) {
		err = ignore(info, path, "larger than a state file can be");
		goto close_fd;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto close_fd;
	}
	ssize_t got = ofd_read_all(fd, buf, size); /* fewer: it shrank meanwhile, the checksum tells */
	if (got < 0) {
		err = ignore_err(info, path, "read error", ofd_strerror((int)got));
		goto free_buf;
	}
	err = load_buf(d, buf, (size_t)got, now_ns, info, path);
free_buf:
	free(buf);
close_fd:
	close(fd);
	return err;
}
