/*
 * Longest-prefix match (see lpm.h for the contract).
 *
 * Keys are 128-bit integers, most significant bit first; a v4-mapped address is looked up in
 * the IPv4 trie with its 32 bits at the top of the key, anything else in the IPv6 trie. Each
 * trie is leaf-pushed: every slot of the root and of every node says what the longest prefix
 * ending at or above it is (a leaf), unless longer prefixes lie below (a child).
 *
 * Root: 2^rbits uint64 entries, LPM_CHILD | node index, or a leaf value.
 * Node (6 bits of the key at offset off; 64 bytes, one cache line): bit s of vec says slot s
 * has a child, at nodes[base1 + rank of s in vec - 1]; a slot without one takes leaf number
 * rank - 1, where the rank counts the bits of leafvec up to s (leafvec marks where a run of
 * equal leaves starts, child slots skipped). Up to LPM_INLINE leaves are kept in the node
 * itself, more in leaves[base0...] (LPM_EXT). A bucket (LPM_BUCKET) holds up to
 * LPM_BUCKET_MAX prefixes, longest first, and the inherited leaf: up to LPM_INLINE_ENTS of
 * length 64 or less (key bits [0, 64)) in the node itself, otherwise in ents[ext...].
 * A subtree becomes a bucket only where a node would need children. A lookup reads one line
 * per level; a /24 among a million IPv4 routes reads two (root entry, node).
 *
 * Leaf values are the prefix values themselves, and a miss is a value no prefix has (t->miss),
 * so that a lookup ends on the leaf without a further indirection.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "net/lpm.h"

__extension__ typedef unsigned __int128 u128;

#define LPM_STRIDE	6
#define LPM_CHILD	(1ull << 32)
#define LPM_BUCKET	0x80000000u /* in base1: the node is a bucket */
#define LPM_EXT		0x40000000u /* in base1: leaves or entries outside the node */
#define LPM_IDX		0x3fffffffu /* the index part of base1; also the bound on array lengths */
#define LPM_BUCKET_MAX	4
#define LPM_INLINE	10 /* leaves inside a node */
#define LPM_INLINE_ENTS 3  /* bucket entries inside a node */
#define LPM_FAILED	2  /* t->frozen after a failed freeze: lookups miss */
#define LPM_GROUP	32 /* lookups interleaved by ofd_lpm_lookup_batch */

struct item { /* a prefix being compiled */
	u128 key;
	uint32_t value;
	uint32_t seq; /* order of addition: the last duplicate wins */
	uint32_t len;
};

struct ent { /* a bucket entry outside the node */
	uint64_t hi, lo;
	uint32_t value, len;
};

struct ent64 { /* a bucket entry inside the node: key bits [0, 64), length 1-64 */
	uint64_t hi;
	uint32_t value, len;
};

union node {
	struct {
		uint32_t base1, base0;
		uint64_t vec, leafvec;
		uint32_t leaf[LPM_INLINE];
	} t;
	struct {
		uint32_t base1; /* LPM_BUCKET [| LPM_EXT] | count */
		uint32_t def, ext, pad;
		struct ent64 e[LPM_INLINE_ENTS];
	} b;
};

_Static_assert(sizeof(union node) == 64, "a node is one cache line");

struct trie {
	uint64_t *root;
	unsigned rbits;
	union node *nodes;
	size_t nnodes, capnodes;
	uint32_t *leaves;
	size_t nleaves, capleaves;
	struct ent *ents;
	size_t nents, capents;
	void *arena; /* when not NULL: root, nodes, leaves and ents live in this mapping */
	size_t arena_len;
};

struct ofd_lpm {
	struct trie t4, t6;
	uint32_t miss;
	int frozen;
	size_t count;
	struct item *items;
	size_t nitems, capitems;
};

/* Bits [off, off + w) of k (zeros past bit 127); off < 128, 1 <= w <= 32. */
static inline unsigned kbits(u128 k, unsigned off, unsigned w)
{
	return (unsigned)((k << off) >> (128 - w));
}

static inline u128 load_key(const struct ofd_ip *a)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (u128)be64toh(hi) << 64 | be64toh(lo);
}

/* The rank of slot s in bm: set bits at positions 0..s. */
static inline unsigned rank(uint64_t bm, unsigned s)
{
	return (unsigned)__builtin_popcountll(bm & ((2ull << s) - 1));
}

static inline int ent_match(const struct ent *e, u128 k)
{
	u128 ek = (u128)e->hi << 64 | e->lo;
	return ((k ^ ek) >> (128 - e->len)) == 0;
}

static inline uint32_t bucket_scan(const struct trie *t, const union node *n, u128 k)
{
	unsigned c = n->b.base1 & LPM_IDX;
	if (n->b.base1 & LPM_EXT) {
		const struct ent *e = &t->ents[n->b.ext];
		for (unsigned i = 0; i < c; i++)
			if (ent_match(&e[i], k))
				return e[i].value;
		return n->b.def;
	}
	/* without branches: unused entries have length 64 and are masked out by the count */
	uint64_t hi = (uint64_t)(k >> 64);
	const struct ent64 *e = n->b.e;
	int m0 = ((hi ^ e[0].hi) >> (64 - e[0].len)) == 0;
	int m1 = c > 1 && ((hi ^ e[1].hi) >> (64 - e[1].len)) == 0;
	int m2 = c > 2 && ((hi ^ e[2].hi) >> (64 - e[2].len)) == 0;
	_Static_assert(LPM_INLINE_ENTS == 3, "bucket_scan reads three entries");
	uint32_t v = m2 ? e[2].value : n->b.def;
	v = m1 ? e[1].value : v;
	return m0 ? e[0].value : v;
}

/* Leaf number i of node n. */
static inline uint32_t node_leaf(const struct trie *t, const union node *n, unsigned i)
{
	return n->t.base1 & LPM_EXT ? t->leaves[n->t.base0 + i] : n->t.leaf[i];
}

/* The stride's bits at off: most nodes sit in the key's first 64 bits. */
static inline unsigned stride_bits(u128 k, unsigned off)
{
	if (off <= 64 - LPM_STRIDE)
		return (unsigned)((uint64_t)(k >> 64) << off >> (64 - LPM_STRIDE));
	return kbits(k, off, LPM_STRIDE);
}

/* Node n of a walk at offset off: 1 with the result in *v, or 0 with the child in *n. */
static inline int node_step(const struct trie *t, const union node **n, u128 k, unsigned off, uint32_t *v)
{
	const union node *nd = *n;
	if (nd->t.base1 & LPM_BUCKET) {
		*v = bucket_scan(t, nd, k);
		return 1;
	}
	unsigned s = stride_bits(k, off);
	if (!(nd->t.vec >> s & 1)) {
		*v = node_leaf(t, nd, rank(nd->t.leafvec, s) - 1);
		return 1;
	}
	*n = &t->nodes[(nd->t.base1 & LPM_IDX) + rank(nd->t.vec, s) - 1];
	return 0;
}

static inline uint32_t trie_lookup(const struct trie *t, u128 k)
{
	uint64_t e = t->root[(uint64_t)(k >> 64) >> (64 - t->rbits)];
	if (!(e & LPM_CHILD))
		return (uint32_t)e;
	const union node *n = &t->nodes[(uint32_t)e];
	uint32_t v;
	for (unsigned off = t->rbits; !node_step(t, &n, k, off, &v); off += LPM_STRIDE)
		;
	return v;
}

/* ---- building ---- */

/* Grow *arr (elements of size sz) to hold at least need; 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / sz || c > LPM_IDX)
		return -ENOMEM;
	void *p = realloc(*arr, c * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* Resize the node array to cap nodes, aligned on a cache line. */
static int nodes_resize(struct trie *t, size_t cap)
{
	union node *p = aligned_alloc(64, (cap ? cap : 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (t->nnodes)
		memcpy(p, t->nodes, t->nnodes * sizeof(*p));
	free(t->nodes);
	t->nodes = p;
	t->capnodes = cap;
	return 0;
}

/* Reserve n consecutive nodes; their first index in *at. */
static int nodes_alloc(struct trie *t, size_t n, uint32_t *at)
{
	if (t->nnodes + n > LPM_IDX)
		return -ENOMEM;
	if (t->nnodes + n > t->capnodes) {
		size_t c = t->capnodes ? t->capnodes : 64;
		while (c < t->nnodes + n)
			c *= 2;
		if (nodes_resize(t, c))
			return -ENOMEM;
	}
	*at = (uint32_t)t->nnodes;
	memset(&t->nodes[*at], 0, n * sizeof(*t->nodes));
	t->nnodes += n;
	return 0;
}

static int make_bucket(struct trie *t, uint32_t at, const struct item *it, size_t n, uint32_t def)
{
	struct ent e[LPM_BUCKET_MAX];
	int inl = n <= LPM_INLINE_ENTS;
	for (size_t i = 0; i < n; i++) { /* insertion by length, longest first */
		size_t j = i;
		for (; j > 0 && e[j - 1].len < it[i].len; j--)
			e[j] = e[j - 1];
		e[j] = (struct ent){(uint64_t)(it[i].key >> 64), (uint64_t)it[i].key, it[i].value, it[i].len};
		inl &= it[i].len <= 64;
	}
	union node *b = &t->nodes[at];
	b->b.base1 = LPM_BUCKET | (uint32_t)n;
	b->b.def = def;
	if (inl) {
		for (size_t i = 0; i < LPM_INLINE_ENTS; i++)
			b->b.e[i] =
			    i < n ? (struct ent64){e[i].hi, e[i].value, e[i].len} : (struct ent64){0, 0, 64};
		return 0;
	}
	if (grow((void **)&t->ents, &t->capents, t->nents + n, sizeof(*t->ents)))
		return -ENOMEM;
	b = &t->nodes[at];
	b->b.base1 |= LPM_EXT;
	b->b.ext = (uint32_t)t->nents;
	memcpy(&t->ents[t->nents], e, n * sizeof(*e));
	t->nents += n;
	return 0;
}

/*
 * The end of the run of prefixes from it[i] longer than off + w that share key bits
 * [off, off + w) with it[i]. In key order, the prefixes below one slot are consecutive, and
 * none of the shorter ones (that cover the whole slot) comes between them.
 */
static size_t slot_end(const struct item *it, size_t n, size_t i, unsigned off, unsigned w)
{
	unsigned s = kbits(it[i].key, off, w);
	size_t j = i + 1;
	while (j < n && it[j].len > off + w && kbits(it[j].key, off, w) == s)
		j++;
	return j;
}

/*
 * Fill node `at` with it[0..n): prefixes longer than off sharing key bits [0, off), in key
 * order; def is the value of the longest prefix above them (or the miss value).
 */
static int fill(struct trie *t, uint32_t at, const struct item *it, size_t n, unsigned off, uint32_t def)
{
	int deep = 0; /* a bucket only saves levels when a prefix would need another node */
	for (size_t i = 0; i < n && !deep; i++)
		deep = it[i].len > off + LPM_STRIDE;
	if (n <= LPM_BUCKET_MAX && deep)
		return make_bucket(t, at, it, n, def);
	uint32_t sv[1u << LPM_STRIDE];
	uint64_t vec = 0, leafvec = 0;
	for (unsigned s = 0; s < (1u << LPM_STRIDE); s++)
		sv[s] = def;
	/* in key order a prefix comes after those containing it: paint the slots in that order */
	for (size_t i = 0; i < n; i++) {
		unsigned s = kbits(it[i].key, off, LPM_STRIDE);
		if (it[i].len > off + LPM_STRIDE) {
			vec |= 1ull << s;
			continue;
		}
		for (unsigned c = 1u << (off + LPM_STRIDE - it[i].len); c > 0; c--)
			sv[s++] = it[i].value;
	}
	size_t nl = 0;
	uint32_t runs[1u << LPM_STRIDE];
	for (unsigned s = 0; s < (1u << LPM_STRIDE); s++) {
		if (vec >> s & 1)
			continue;
		if (nl == 0 || runs[nl - 1] != sv[s]) {
			runs[nl++] = sv[s];
			leafvec |= 1ull << s;
		}
	}
	uint32_t base0 = 0, base1, ext = 0;
	if (nl > LPM_INLINE) {
		if (grow((void **)&t->leaves, &t->capleaves, t->nleaves + nl, sizeof(*t->leaves)))
			return -ENOMEM;
		base0 = (uint32_t)t->nleaves;
		memcpy(t->leaves + base0, runs, nl * sizeof(*runs));
		t->nleaves += nl;
		ext = LPM_EXT;
	}
	if (nodes_alloc(t, (size_t)__builtin_popcountll(vec), &base1))
		return -ENOMEM;
	union node *nd = &t->nodes[at];
	nd->t.base1 = base1 | ext;
	nd->t.base0 = base0;
	nd->t.vec = vec;
	nd->t.leafvec = leafvec;
	if (!ext)
		memcpy(nd->t.leaf, runs, nl * sizeof(*runs));
	for (size_t i = 0; i < n;) {
		if (it[i].len <= off + LPM_STRIDE) {
			i++;
			continue;
		}
		size_t j = slot_end(it, n, i, off, LPM_STRIDE);
		int rc =
		    fill(t, base1++, it + i, j - i, off + LPM_STRIDE, sv[kbits(it[i].key, off, LPM_STRIDE)]);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

static unsigned root_bits(size_t n)
{
	return n >= (1u << 16) ? 18 : n >= 4096 ? 16 : n >= 256 ? 12 : 8;
}

/* Build trie t from it[0..n) (sorted, no duplicates); def for addresses no prefix contains. */
static int build(struct trie *t, const struct item *it, size_t n, uint32_t def)
{
	unsigned rb = root_bits(n);
	size_t rn = (size_t)1 << rb;
	t->rbits = rb;
	t->root = malloc(rn * sizeof(*t->root));
	if (!t->root)
		return -ENOMEM;
	for (size_t s = 0; s < rn; s++)
		t->root[s] = def;
	for (size_t i = 0; i < n; i++) {
		if (it[i].len > rb)
			continue;
		size_t s = kbits(it[i].key, 0, rb);
		for (size_t c = (size_t)1 << (rb - it[i].len); c > 0; c--)
			t->root[s++] = it[i].value;
	}
	for (size_t i = 0; i < n;) {
		if (it[i].len <= rb) {
			i++;
			continue;
		}
		size_t j = slot_end(it, n, i, 0, rb);
		unsigned s = kbits(it[i].key, 0, rb);
		uint32_t at;
		if (nodes_alloc(t, 1, &at) || fill(t, at, it + i, j - i, rb, (uint32_t)t->root[s]))
			return -ENOMEM;
		t->root[s] = LPM_CHILD | at;
		i = j;
	}
	return 0;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

/* A value no prefix has: UINT32_MAX if free, else the smallest unused one. */
static int pick_miss(const struct item *it, size_t n, uint32_t *miss)
{
	size_t i;
	for (i = 0; i < n && it[i].value != UINT32_MAX; i++)
		;
	*miss = UINT32_MAX;
	if (i == n)
		return 0;
	uint32_t *v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = it[i].value;
	qsort(v, n, sizeof(*v), u32_cmp);
	uint32_t want = 0;
	for (i = 0; i < n && v[i] <= want; i++)
		if (v[i] == want)
			want++;
	*miss = want; /* n < 2^32 values: a gap exists before UINT32_MAX */
	free(v);
	return 0;
}

static const u128 MAPPED = (u128)0xffff << 32; /* ::ffff:0:0 */

/* Sort, drop duplicates (the last added wins) and split into v4-mapped and other prefixes. */
static size_t split(struct item *it, size_t n, struct item *v4, size_t *n4)
{
	if (n > 1)
		qsort(it, n, sizeof(*it), item_cmp);
	size_t m = 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && it[i + 1].key == it[i].key && it[i + 1].len == it[i].len)
			continue;
		if (it[i].len >= 96 && (it[i].key >> 32) == (MAPPED >> 32)) {
			v4[k] = it[i];
			v4[k].key <<= 96;
			v4[k++].len -= 96;
		} else {
			it[m++] = it[i];
		}
	}
	*n4 = k;
	return m;
}

static void shrink(void **arr, size_t n, size_t sz)
{
	void *p = n ? realloc(*arr, n * sz) : NULL;
	if (p || n == 0) {
		if (!p)
			free(*arr);
		*arr = p;
	}
}

static void trie_free(struct trie *t)
{
	if (t->arena) {
		munmap(t->arena, t->arena_len);
	} else {
		free(t->root);
		free(t->nodes);
		free(t->leaves);
		free(t->ents);
	}
	memset(t, 0, sizeof(*t));
}

#define LPM_HUGE     (2u << 20) /* a huge page */
#define LPM_ALIGN(x) (((x) + 63) & ~(size_t)63)

/*
 * Move a large trie's arrays into one mapping backed by huge pages where the system allows
 * (transparent huge pages, madvise): random lookups then miss the TLB far less. Small tries,
 * and any failure here, keep their (trimmed) heap arrays.
 */
static void pack(struct trie *t)
{
	size_t lr = sizeof(*t->root) << t->rbits, ln = t->nnodes * sizeof(union node);
	size_t ll = t->nleaves * sizeof(uint32_t), le = t->nents * sizeof(struct ent);
	size_t len = LPM_ALIGN(lr) + LPM_ALIGN(ln) + LPM_ALIGN(ll) + LPM_ALIGN(le);
	if (len < LPM_HUGE / 2) {
		(void)nodes_resize(t, t->nnodes); /* on failure, keep the larger array */
		shrink((void **)&t->leaves, t->nleaves, sizeof(uint32_t));
		shrink((void **)&t->ents, t->nents, sizeof(struct ent));
		return;
	}
	len = (len + LPM_HUGE - 1) & ~(size_t)(LPM_HUGE - 1);
	uint8_t *m = mmap(NULL, len + LPM_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	uint8_t *a = (uint8_t *)(((uintptr_t)m + LPM_HUGE - 1) & ~(uintptr_t)(LPM_HUGE - 1));
	if (a > m) /* keep the aligned part only */
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + LPM_HUGE)
		munmap(a + len, (size_t)(m + len + LPM_HUGE - (a + len)));
	(void)madvise(a, len, MADV_HUGEPAGE);
	void *src[4] = {t->root, t->nodes, t->leaves, t->ents}, **dst[4];
	size_t sz[4] = {lr, ln, ll, le}, off = 0;
	dst[0] = (void **)&t->root, dst[1] = (void **)&t->nodes, dst[2] = (void **)&t->leaves;
	dst[3] = (void **)&t->ents;
	for (int i = 0; i < 4; i++) {
		if (sz[i])
			memcpy(a + off, src[i], sz[i]);
		free(src[i]);
		*dst[i] = a + off;
		off += LPM_ALIGN(sz[i]);
	}
	t->arena = a;
	t->arena_len = len;
}

int ofd_lpm_freeze(struct ofd_lpm *t)
{
	if (t->frozen)
		return -EBUSY;
	struct item *v4 = malloc((t->nitems ? t->nitems : 1) * sizeof(*v4));
	if (!v4 || pick_miss(t->items, t->nitems, &t->miss)) {
		free(v4);
		return -ENOMEM;
	}
	size_t n4, n6 = split(t->items, t->nitems, v4, &n4);
	/* IPv4 addresses no IPv4 prefix covers: the longest shorter prefix over ::ffff:0:0/96 */
	uint32_t def4 = t->miss, best = 0;
	for (size_t i = 0; i < n6; i++)
		if (t->items[i].len <= 96 && t->items[i].len >= best &&
		    (t->items[i].len == 0 || ((MAPPED ^ t->items[i].key) >> (128 - t->items[i].len)) == 0))
			def4 = t->items[i].value, best = t->items[i].len;
	int rc = build(&t->t4, v4, n4, def4);
	if (rc == 0)
		rc = build(&t->t6, t->items, n6, t->miss);
	free(v4);
	if (rc) {
		trie_free(&t->t4);
		trie_free(&t->t6);
		t->frozen = LPM_FAILED; /* the list is sorted and split now: unusable */
		return rc;
	}
	pack(&t->t4);
	pack(&t->t6);
	t->count = n4 + n6;
	free(t->items);
	t->items = NULL;
	t->nitems = t->capitems = 0;
	t->frozen = 1;
	return 0;
}

/* ---- the API ---- */

int ofd_lpm_new(struct ofd_lpm **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int ofd_lpm_add(struct ofd_lpm *t, const struct ofd_prefix *p, uint32_t v)
{
	if (t->frozen)
		return -EBUSY;
	if (ofd_prefix_check(p))
		return OFD_EFORMAT;
	if (t->nitems >= UINT32_MAX ||
	    grow((void **)&t->items, &t->capitems, t->nitems + 1, sizeof(*t->items)))
		return -ENOMEM;
	t->items[t->nitems] = (struct item){load_key(&p->addr), v, (uint32_t)t->nitems, p->len};
	t->nitems++;
	return 0;
}

int ofd_lpm_lookup(const struct ofd_lpm *t, const struct ofd_ip *a, uint32_t *v)
{
	if (t->frozen != 1)
		return 0;
	u128 k = load_key(a);
	uint32_t r = (k >> 32) == (MAPPED >> 32) ? trie_lookup(&t->t4, k << 96) : trie_lookup(&t->t6, k);
	if (r == t->miss)
		return 0;
	*v = r;
	return 1;
}

/*
 * Lookups a[0..g) into out[0..g), g <= LPM_GROUP, one level at a time: every lookup still
 * walking takes its next step, prefetching the node the step after will read, so that the
 * group's memory accesses overlap.
 */
static void lookup_group(const struct ofd_lpm *t, const struct ofd_ip *const *a, size_t g, uint32_t *out)
{
	u128 k[LPM_GROUP];
	const struct trie *tr[LPM_GROUP];
	const union node *nd[LPM_GROUP];
	uint8_t off[LPM_GROUP], act[LPM_GROUP];
	size_t na = 0;
	for (size_t i = 0; i < g; i++) {
		u128 x = load_key(a[i]);
		int v4 = (x >> 32) == (MAPPED >> 32);
		tr[i] = v4 ? &t->t4 : &t->t6;
		k[i] = v4 ? x << 96 : x;
		__builtin_prefetch(&tr[i]->root[(uint64_t)(k[i] >> 64) >> (64 - tr[i]->rbits)]);
	}
	for (size_t i = 0; i < g; i++) {
		uint64_t e = tr[i]->root[(uint64_t)(k[i] >> 64) >> (64 - tr[i]->rbits)];
		if (!(e & LPM_CHILD)) {
			out[i] = (uint32_t)e;
			continue;
		}
		nd[i] = &tr[i]->nodes[(uint32_t)e];
		off[i] = (uint8_t)tr[i]->rbits;
		__builtin_prefetch(nd[i]);
		act[na++] = (uint8_t)i;
	}
	while (na > 0) {
		size_t nn = 0;
		for (size_t j = 0; j < na; j++) {
			size_t i = act[j];
			if (node_step(tr[i], &nd[i], k[i], off[i], &out[i]))
				continue;
			off[i] = (uint8_t)(off[i] + LPM_STRIDE);
			__builtin_prefetch(nd[i]);
			act[nn++] = (uint8_t)i;
		}
		na = nn;
	}
}

size_t ofd_lpm_lookup_batch(const struct ofd_lpm *t, const struct ofd_ip *const *a, size_t n, uint32_t *out,
			    uint32_t miss)
{
	size_t hits = 0;
	if (t->frozen != 1) {
		for (size_t i = 0; i < n; i++)
			out[i] = miss;
		return 0;
	}
	for (size_t i = 0; i < n; i += LPM_GROUP)
		lookup_group(t, a + i, n - i < LPM_GROUP ? n - i : LPM_GROUP, out + i);
	for (size_t i = 0; i < n; i++) {
		int hit = out[i] != t->miss;
		hits += (size_t)hit;
		out[i] = hit ? out[i] : miss;
	}
	return hits;
}

size_t ofd_lpm_count(const struct ofd_lpm *t)
{
	return t->frozen == 1 ? t->count : 0;
}

static size_t trie_memory(const struct trie *t)
{
	return (t->root ? (sizeof(*t->root) << t->rbits) : 0) + t->nnodes * sizeof(union node) +
	       t->nleaves * sizeof(uint32_t) + t->nents * sizeof(struct ent);
}

size_t ofd_lpm_memory(const struct ofd_lpm *t)
{
	if (t->frozen != 1)
		return sizeof(*t) + t->capitems * sizeof(struct item);
	return sizeof(*t) + trie_memory(&t->t4) + trie_memory(&t->t6);
}

void ofd_lpm_free(struct ofd_lpm *t)
{
	if (!t)
		return;
	trie_free(&t->t4);
	trie_free(&t->t6);
	free(t->items);
	free(t);
}
