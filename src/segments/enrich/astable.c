/*
 * aslookup's route table from an MRT RIB dump (see astable.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "astable.h"

/* A prefix and the path chosen for it so far. */
struct pfx {
	struct ofd_prefix p;
	uint8_t cut; /* its path was longer than OFD_AS_PATH_MAX */
	uint32_t id; /* index into t->paths */
};

struct build {
	struct astable *t;
	struct ofd_mrt_route pend; /* the entry chosen so far for the current record's prefix */
	int have_pend;
	const char *why; /* a cap reached or out of memory */
	/* the prefixes, each once: a prefix in several records resolves as within one record */
	struct pfx *pfx;
	size_t npfx, pcap;
	uint32_t *pslots; /* prefix hash: index + 1, 0 empty */
	size_t npslots;
};

static uint64_t path_hash(const struct astable_path *p)
{
	uint64_t h = 0xcbf29ce484222325ull ^ p->origin ^ (uint64_t)p->len << 40;
	for (unsigned i = 0; i < p->len; i++)
		h = (h ^ p->as[i]) * 0x100000001b3ull;
	return h ^ h >> 31;
}

static int path_eq(const struct astable_path *a, const struct astable_path *b)
{
	return a->origin == b->origin && a->len == b->len &&
	       memcmp(a->as, b->as, a->len * sizeof(a->as[0])) == 0;
}

static int grow(struct astable *t)
{
	size_t cap = t->cap ? t->cap * 2 : 4096;
	if (cap > ASTABLE_PATHS_MAX)
		cap = ASTABLE_PATHS_MAX;
	struct astable_path *p = realloc(t->paths, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->paths = p;
	t->cap = cap;
	size_t ns = cap * 2; /* load at most 1/2 */
	uint32_t *slots = calloc(ns, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->npaths; i++) {
		size_t k = path_hash(&t->paths[i]) & (ns - 1);
		while (slots[k])
			k = (k + 1) & (ns - 1);
		slots[k] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = ns;
	return 0;
}

/* The index of p in the table, added if new; -1 with b->why on a cap or no memory. */
static int64_t intern(struct build *b, const struct astable_path *p)
{
	struct astable *t = b->t;
	if (t->nslots) {
		size_t k = path_hash(p) & (t->nslots - 1);
		while (t->slots[k]) {
			if (path_eq(&t->paths[t->slots[k] - 1], p))
				return t->slots[k] - 1;
			k = (k + 1) & (t->nslots - 1);
		}
	}
	if (t->npaths == t->cap) {
		if (t->cap >= ASTABLE_PATHS_MAX) {
			b->why = "more distinct AS paths than the cap (4Mi)";
			return -1;
		}
		if (grow(t) != 0) {
			b->why = "out of memory";
			return -1;
		}
	}
	size_t k = path_hash(p) & (t->nslots - 1);
	while (t->slots[k])
		k = (k + 1) & (t->nslots - 1);
	t->paths[t->npaths] = *p;
	t->slots[k] = (uint32_t)t->npaths + 1;
	return (int64_t)t->npaths++;
}

static uint64_t pfx_hash(const struct ofd_prefix *p)
{
	uint64_t a, b;
	memcpy(&a, p->addr.b, 8);
	memcpy(&b, p->addr.b + 8, 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + p->len) * 0xc2b2ae3d27d4eb4full;
	return h ^ h >> 29;
}

static int pfx_eq(const struct ofd_prefix *a, const struct ofd_prefix *b)
{
	return a->len == b->len && memcmp(a->addr.b, b->addr.b, 16) == 0;
}

/* Room for one more prefix (the hash at most half full). 0 or -1 with b->why. */
static int pfx_grow(struct build *b)
{
	if (b->npfx < b->pcap)
		return 0;
	size_t cap = b->pcap ? b->pcap * 2 : 4096;
	struct pfx *p = realloc(b->pfx, cap * sizeof(*p));
	uint32_t *slots = p ? calloc(cap * 2, sizeof(*slots)) : NULL;
	if (!slots) {
		if (p)
			b->pfx = p;
		b->why = "out of memory";
		return -1;
	}
	b->pfx = p;
	b->pcap = cap;
	for (size_t i = 0; i < b->npfx; i++) {
		size_t k = pfx_hash(&p[i].p) & (cap * 2 - 1);
		while (slots[k])
			k = (k + 1) & (cap * 2 - 1);
		slots[k] = (uint32_t)i + 1;
	}
	free(b->pslots);
	b->pslots = slots;
	b->npslots = cap * 2;
	return 0;
}

/* IPv6 inside ::ffff:0:0/96: it would answer for IPv4 addresses (net/lpm.h). */
static int v6_mapped(const struct ofd_prefix *p)
{
	return p->addr.family != OFD_AF_INET && p->len >= 96 && ofd_ip_is_v4mapped(&p->addr);
}

/*
 * Put the entry chosen for the prefix of the record just finished into the prefix list: a new
 * prefix is added; a prefix seen in an earlier record keeps its entry unless that one has no
 * origin and this one has (the first entry with a defined origin wins, over the whole file).
 */
static int commit(struct build *b)
{
	if (!b->have_pend)
		return 0;
	b->have_pend = 0;
	const struct ofd_mrt_route *r = &b->pend;
	struct astable *t = b->t;
	if (r->prefix.len == 0 || (r->prefix.len == 96 && r->prefix.addr.family == OFD_AF_INET)) {
		t->defaults_skipped++;
		return 0;
	}
	if (v6_mapped(&r->prefix)) {
		t->v6_mapped_skipped++;
		return 0;
	}
	struct pfx *old = NULL;
	size_t k = 0;
	if (b->npslots) {
		k = pfx_hash(&r->prefix) & (b->npslots - 1);
		while (b->pslots[k]) {
			struct pfx *e = &b->pfx[b->pslots[k] - 1];
			if (pfx_eq(&e->p, &r->prefix)) {
				old = e;
				break;
			}
			k = (k + 1) & (b->npslots - 1);
		}
	}
	if (old) {
		t->duplicates++;
		if (t->paths[old->id].origin || !r->origin_ok)
			return 0;
	} else if (t->prefixes >= ASTABLE_PREFIXES_MAX) {
		b->why = "more prefixes than the cap (8Mi)";
		return -1;
	}
	struct astable_path p;
	memset(&p, 0, sizeof(p));
	p.origin = r->origin_ok ? r->origin : 0;
	p.len = (uint8_t)(r->path_len < OFD_AS_PATH_MAX ? r->path_len : OFD_AS_PATH_MAX);
	memcpy(p.as, r->path, p.len * sizeof(p.as[0]));
	int64_t id = intern(b, &p);
	if (id < 0)
		return -1;
	uint8_t cut = r->path_len > OFD_AS_PATH_MAX || r->path_cut;
	if (old) {
		old->id = (uint32_t)id;
		old->cut = cut;
		return 0;
	}
	if (pfx_grow(b) != 0)
		return -1;
	k = pfx_hash(&r->prefix) & (b->npslots - 1);
	while (b->pslots[k])
		k = (k + 1) & (b->npslots - 1);
	struct pfx *e = &b->pfx[b->npfx];
	e->p = r->prefix;
	e->id = (uint32_t)id;
	e->cut = cut;
	b->pslots[k] = (uint32_t)++b->npfx;
	t->prefixes++;
	return 0;
}

/*
 * The prefixes into the lookup table, with IPv4's 0.0.0.0/0 answering ASTABLE_NO_ROUTE so that
 * no IPv6 route (::/8, ...) answers for an IPv4 address (net/lpm.h).
 */
static int fill(struct build *b)
{
	struct astable *t = b->t;
	struct ofd_prefix v4all;
	memset(&v4all, 0, sizeof(v4all));
	static const uint8_t zero[4];
	ofd_ip_set4(&v4all.addr, zero);
	v4all.len = 96;
	int rc = ofd_lpm_add(t->lpm, &v4all, ASTABLE_NO_ROUTE);
	for (size_t i = 0; i < b->npfx && rc == 0; i++) {
		const struct pfx *e = &b->pfx[i];
		t->paths_cut += e->cut;
		t->no_origin += !t->paths[e->id].origin;
		rc = ofd_lpm_add(t->lpm, &e->p, e->id);
	}
	if (rc)
		b->why = rc == -ENOMEM ? "out of memory" : "prefix refused by the table";
	return rc;
}

static int on_route(void *ctx, const struct ofd_mrt_route *r)
{
	struct build *b = ctx;
	if (r->entry == 0) {
		if (commit(b) != 0)
			return OFD_ELIMIT;
		b->pend = *r;
		b->have_pend = 1;
	} else if (!b->pend.origin_ok && r->origin_ok) {
		b->pend = *r; /* the first entry with a defined origin wins */
	}
	return 0;
}

void astable_free(struct astable *t)
{
	if (!t)
		return;
	ofd_lpm_free(t->lpm);
	free(t->paths);
	free(t->slots);
	free(t);
}

int astable_build(const uint8_t *buf, size_t len, struct astable **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *z = ofd_mrt_compressed(buf, len);
	if (z) {
		snprintf(err, errlen, "%s-compressed: decompress the MRT file first", z);
		return OFD_EUNSUPPORTED;
	}
	struct astable *t = calloc(1, sizeof(*t));
	struct build *b = calloc(1, sizeof(*b));
	int rc = -ENOMEM;
	if (!t || !b || ofd_lpm_new(&t->lpm) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	b->t = t;
	rc = ofd_mrt_walk(buf, len, on_route, b, &t->st);
	if (rc == 0 && commit(b) != 0)
		rc = OFD_ELIMIT;
	if (rc == 0 && t->prefixes && fill(b) != 0)
		rc = OFD_ELIMIT;
	if (rc) {
		if (t->st.error)
			snprintf(err, errlen, "%s at record %llu (byte %llu)", t->st.error,
				 (unsigned long long)t->st.err_record, (unsigned long long)t->st.err_offset);
		else
			snprintf(err, errlen, "%s", b->why ? b->why : "cannot build the table");
		goto fail;
	}
	if (t->prefixes == 0) {
		snprintf(err, errlen, "no routes (%llu MRT records, none a TABLE_DUMP_V2 unicast RIB entry)",
			 (unsigned long long)t->st.records);
		rc = OFD_EFORMAT;
		goto fail;
	}
	if ((rc = ofd_lpm_freeze(t->lpm)) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	free(t->slots); /* interning is over */
	t->slots = NULL;
	t->nslots = 0;
	free(b->pfx);
	free(b->pslots);
	free(b);
	*out = t;
	return 0;
fail:
	if (b) {
		free(b->pfx);
		free(b->pslots);
	}
	free(b);
	astable_free(t);
	return rc ? rc : OFD_EFORMAT;
}

int astable_load_mrt(const char *path, struct astable **out, char *err, size_t errlen)
{
	*out = NULL;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -errno;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return OFD_ECONFIG;
	}
	if (sb.st_size == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		close(fd);
		return OFD_EFORMAT;
	}
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
		return -errno;
	}
	(void)madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
	int rc = astable_build(m, (size_t)sb.st_size, out, why, sizeof(why));
	munmap(m, (size_t)sb.st_size);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}
