/*
 * toptalkers: flowpipeline's print segment of that name. Sums the bytes and packets of the
 * flows by destination address over a sliding window of `window` seconds (wall clock, as the
 * flows pass) and every `reportinterval` prints the `topn` addresses receiving the most bytes,
 * in flowpipeline's form:
 *
 *   ===================================================================
 *   193.192.168.5: 524.24576 Mbps, 350.88 kpps
 *
 * (bits/s = window bytes * 8 / window, packets/s = window packets / window, written as Go's
 * go-humanize SI() writes them), each line after `logprefix`, to standard output or `filename`.
 * A talker under `thresholdbps` or `thresholdpps` is left out. A last report is printed at the
 * end of the input when flows came after the last one. Every flow is passed on unchanged.
 *
 * Deliberate differences to flowpipeline (documented in the README): packets/s are packets per
 * second (flowpipeline multiplies them by 8 too); a talker under a threshold is skipped rather
 * than ending the report; ties are ranked by address; windows above 64 s are kept in 64 buckets
 * of ceil(window/64) seconds instead of one-second buckets.
 *
 * The table is fixed at init (`maxtalkers` addresses in sets of 8, two candidate sets per
 * address from a keyed SipHash, so that a flood of chosen addresses cannot aim at one set):
 * process() allocates nothing. A new address whose two sets are full evicts the way with the
 * fewest bytes in the window (counted as `evicted`); a talker whose window emptied is forgotten
 * at the next report.
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/outfile.h"

#define TT_WAYS	       8
#define TT_BUCKETS_MAX 64
#define TT_TOPN_MAX    100000
#define NS	       1000000000ull

struct tt_bucket {
	uint64_t bytes, packets;
};

/* A talker and its ring of buckets, side by side (one page, few cache lines per flow). */
struct tt_slot {
	uint8_t addr[16];
	uint8_t family;		 /* OFD_AF_*; OFD_AF_NONE for flows without a destination */
	uint64_t cur;		 /* the bucket number (time / bucket width) last written */
	uint64_t bytes, packets; /* sums over the window's buckets */
	struct tt_bucket b[];	 /* nbuckets */
};

struct toptalkers_state {
	/* config */
	uint64_t window_ns, interval_ns;
	uint64_t threshold_bps, threshold_pps, topn, max_talkers;
	char *filename, *logprefix;
	int follow_symlinks;
	/* the table */
	unsigned char *mem; /* nsets * TT_WAYS slots of stride bytes (mmap) */
	size_t stride, mem_len;
	uint32_t *tags; /* per slot: 0 free, else hash bits of its address (a set in 32 bytes) */
	uint32_t *top;	/* topn slot indices, for a report */
	uint64_t nsets;
	uint32_t nbuckets;
	uint64_t width_ns; /* a bucket's width */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	/* time and reports */
	uint64_t now_ns, last_report_ns;
	uint64_t since_report; /* flows counted since the last report */
	struct ofd_outfile out;
	int ready;
};

enum { C_WRITE_ERRORS, C_EVICTED };
static const char *const toptalkers_counters[] = {"write_errors", "evicted", NULL};

static int toptalkers_check(const void *state, char *err, size_t errlen)
{
	const struct toptalkers_state *s = state;
	if (s->window_ns % NS || s->interval_ns % NS) {
		snprintf(err, errlen, "window and reportinterval are whole seconds");
		return OFD_ECONFIG;
	}
	return 0;
}

static int toptalkers_init(struct ofd_segment *seg, void *state)
{
	struct toptalkers_state *s = state;
	uint64_t window_s = s->window_ns / NS;
	uint64_t width_s = (window_s + TT_BUCKETS_MAX - 1) / TT_BUCKETS_MAX;
	s->nbuckets = (uint32_t)((window_s + width_s - 1) / width_s);
	s->width_ns = width_s * NS;
	s->nsets = 1;
	while (s->nsets * TT_WAYS < s->max_talkers)
		s->nsets <<= 1;
	if (s->topn > s->nsets * TT_WAYS)
		s->topn = s->nsets * TT_WAYS;
	s->stride = (sizeof(struct tt_slot) + s->nbuckets * sizeof(struct tt_bucket) + 63) & ~(size_t)63;
	s->mem_len = s->nsets * TT_WAYS * s->stride;
	/* zeroed pages, touched only as talkers arrive (no huge pages: a few scattered talkers
	   would commit 2 MiB each) */
	void *m = mmap(NULL, s->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->mem = m == MAP_FAILED ? NULL : m;
	size_t tags_len = (s->nsets * TT_WAYS * sizeof(*s->tags) + 63) & ~(size_t)63; /* a multiple of 64 */
	s->tags = aligned_alloc(64, tags_len);
	if (s->tags)
		memset(s->tags, 0, tags_len);
	s->top = calloc(s->topn, sizeof(*s->top));
	if (!s->mem || !s->tags || !s->top) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate a table of %llu talkers",
			    (unsigned long long)(s->nsets * TT_WAYS));
		return -ENOMEM;
	}
	randombytes_buf(s->hkey, sizeof(s->hkey));
	int rc = ofd_outfile_open(&s->out, s->filename, 0, s->follow_symlinks); /* logs */
	if (rc)
		return rc;
	s->now_ns = ofd_time_now_ns();
	s->last_report_ns = s->now_ns;
	s->ready = 1;
	return 0;
}

static inline struct tt_slot *tt_at(const struct toptalkers_state *s, uint64_t i)
{
	return (struct tt_slot *)(s->mem + i * s->stride);
}

/* Move slot i's window forward to bucket number c: buckets that fell out are emptied. */
static void tt_advance(struct toptalkers_state *s, uint64_t i, uint64_t c)
{
	struct tt_slot *sl = tt_at(s, i);
	if (c <= sl->cur)
		return;
	struct tt_bucket *bk = sl->b;
	uint64_t steps = c - sl->cur;
	if (steps >= s->nbuckets) {
		memset(bk, 0, s->nbuckets * sizeof(*bk));
		sl->bytes = sl->packets = 0;
	} else {
		for (uint64_t k = sl->cur + 1; k <= c; k++) {
			struct tt_bucket *b = &bk[k % s->nbuckets];
			sl->bytes -= b->bytes;
			sl->packets -= b->packets;
			b->bytes = b->packets = 0;
		}
	}
	sl->cur = c;
}

/* The keyed hash of an address: two set indices (at most 21 bits of each half) and a tag made
   of the bits above them (never 0, which marks a free way). */
struct tt_key {
	uint64_t base[2];
	uint32_t tag;
};

static struct tt_key tt_key(const struct toptalkers_state *s, const uint8_t *a)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, a, 16, s->hkey);
	uint64_t hv;
	memcpy(&hv, h, sizeof(hv));
	struct tt_key k = {{(hv & (s->nsets - 1)) * TT_WAYS, ((hv >> 32) & (s->nsets - 1)) * TT_WAYS},
			   (uint32_t)((hv >> 21) & 0x7ff) | (uint32_t)(hv >> 53) << 11 | 0x80000000u};
	return k;
}

/* The first way of either set whose tag is k's (the address not compared), or UINT64_MAX. */
static uint64_t tt_candidate(const struct toptalkers_state *s, const struct tt_key *k)
{
	for (unsigned j = 0; j < 2; j++)
		for (uint64_t w = k->base[j]; w < k->base[j] + TT_WAYS; w++)
			if (s->tags[w] == k->tag)
				return w;
	return UINT64_MAX;
}

static int tt_is(const struct toptalkers_state *s, uint64_t w, uint32_t tag, uint8_t family, const uint8_t *a)
{
	const struct tt_slot *sl = tt_at(s, w);
	return s->tags[w] == tag && sl->family == family && memcmp(sl->addr, a, 16) == 0;
}

/*
 * The slot of address (family, a), made if need be. Two sets are candidates (two halves of the
 * hash): a new address goes to the emptier one, and when both are full it evicts the way with
 * the fewest bytes in the window of either (counted). Two choices keep sets from overflowing
 * long before the table is full.
 */
static uint64_t tt_slot_of(struct ofd_segment *seg, struct toptalkers_state *s, const struct tt_key *k,
			   uint8_t family, const uint8_t *a, uint64_t c)
{
	uint64_t free_way[2] = {UINT64_MAX, UINT64_MAX};
	unsigned used[2] = {0, 0};
	for (unsigned j = 0; j < 2; j++) {
		for (uint64_t w = k->base[j]; w < k->base[j] + TT_WAYS; w++) {
			if (!s->tags[w]) {
				if (free_way[j] == UINT64_MAX)
					free_way[j] = w;
				continue;
			}
			used[j]++;
			if (tt_is(s, w, k->tag, family, a))
				return w;
		}
	}
	uint64_t way = used[1] < used[0] ? free_way[1] : free_way[0];
	if (way == UINT64_MAX) { /* both full: the way with the fewest bytes in the window goes */
		uint64_t least = UINT64_MAX;
		for (unsigned j = 0; j < 2; j++)
			for (uint64_t w = k->base[j]; w < k->base[j] + TT_WAYS; w++) {
				tt_advance(s, w, c);
				if (tt_at(s, w)->bytes < least)
					least = tt_at(s, w)->bytes, way = w;
			}
		ofd_segment_count(seg, C_EVICTED, 1);
	}
	struct tt_slot *sl = tt_at(s, way);
	memcpy(sl->addr, a, 16);
	sl->family = family;
	s->tags[way] = k->tag;
	sl->cur = c;
	sl->bytes = sl->packets = 0;
	memset(sl->b, 0, s->nbuckets * sizeof(struct tt_bucket));
	return way;
}

/*
 * In three passes over the batch, so that the memory accesses of different records overlap
 * (a table larger than the caches costs a miss per access): hash every record and prefetch
 * its two tag lines; find each record's candidate way by tag and prefetch its slot and current
 * bucket; then add, verifying the address (a miss, a tag collision or a way evicted meanwhile
 * takes the full lookup, which also makes new talkers).
 */
static void toptalkers_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct toptalkers_state *s = state;
	uint64_t c = s->now_ns / s->width_ns;
	static const uint8_t none[16];
	uint16_t rec[OFD_BATCH_CAP];
	struct tt_key key[OFD_BATCH_CAP];
	uint64_t cand[OFD_BATCH_CAP];
	uint32_t n = 0;
	for (uint32_t w = 0; w < (b->n + 63) / 64; w++) {
		uint64_t live = b->live[w];
		while (live) {
			uint32_t i = w * 64 + (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			const struct ofd_flow *f = &b->flows[i];
			rec[n] = (uint16_t)i;
			key[n] = tt_key(s, f->dst_addr.family == OFD_AF_NONE ? none : f->dst_addr.b);
			__builtin_prefetch(&s->tags[key[n].base[0]]);
			__builtin_prefetch(&s->tags[key[n].base[1]]);
			n++;
		}
	}
	for (uint32_t k = 0; k < n; k++) {
		cand[k] = tt_candidate(s, &key[k]);
		if (cand[k] != UINT64_MAX) {
			struct tt_slot *sl = tt_at(s, cand[k]);
			__builtin_prefetch(sl, 1);
			__builtin_prefetch(&sl->b[c % s->nbuckets], 1);
		}
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct ofd_flow *f = &b->flows[rec[k]];
		uint8_t fam = f->dst_addr.family;
		const uint8_t *a = fam == OFD_AF_NONE ? none : f->dst_addr.b;
		uint64_t i = cand[k];
		if (i == UINT64_MAX || !tt_is(s, i, key[k].tag, fam, a))
			i = tt_slot_of(seg, s, &key[k], fam, a, c);
		struct tt_slot *sl = tt_at(s, i);
		uint64_t ci = c > sl->cur ? c : sl->cur; /* a clock that went back */
		tt_advance(s, i, ci);
		struct tt_bucket *bk = &sl->b[ci % s->nbuckets];
		bk->bytes += f->bytes;
		bk->packets += f->packets;
		sl->bytes += f->bytes;
		sl->packets += f->packets;
	}
	s->since_report += n;
}

/*
 * v as go-humanize's SI(v, unit) writes it: scaled to [1, 1000) by a power of 1000 named by its
 * SI prefix, with six decimals and the trailing zeros (and a bare point) cut, as its Ftoa does:
 * "524.24576 Mbps", "333.333333 bps", "0 bps".
 */
static int tt_si(char *out, size_t len, double v, const char *unit)
{
	static const char *const prefixes[] = {"q", "r", "y", "z", "a", "f", "p", "n", "\xc2\xb5", "m", "",
					       "k", "M", "G", "T", "P", "E", "Z", "Y", "R",	   "Q"};
	if (v == 0)
		return snprintf(out, len, "0 %s", unit);
	double mag = fabs(v);
	double e = floor(floor(log(mag) / log(10)) / 3) * 3;
	double val = mag / pow(10, e);
	if (val == 1000.0) {
		e += 3;
		val = mag / pow(10, e);
	}
	val = copysign(val, v);
	const char *pre = "";
	if (e >= -30 && e <= 30)
		pre = prefixes[(int)(e / 3) + 10];
	char num[64];
	int n = snprintf(num, sizeof(num), "%.6f", val);
	while (n > 1 && num[n - 1] == '0')
		num[--n] = 0;
	if (n > 1 && num[n - 1] == '.')
		num[--n] = 0;
	return snprintf(out, len, "%s %s%s", num, pre, unit);
}

/* Does slot a rank before slot b: more bytes, then the lower address. */
static int tt_before(const struct tt_slot *a, const struct tt_slot *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->family != b->family)
		return a->family < b->family;
	return memcmp(a->addr, b->addr, 16) < 0;
}

static void tt_line(struct toptalkers_state *s, const char *text, size_t n)
{
	ofd_outfile_room(&s->out);
	const char *p = s->logprefix ? s->logprefix : "";
	size_t pn = strlen(p);
	if (pn > 1024)
		pn = 1024;
	ofd_wbuf_mem(&s->out.w, p, pn);
	ofd_wbuf_mem(&s->out.w, text, n);
}

static void tt_report(struct ofd_segment *seg, struct toptalkers_state *s)
{
	uint64_t c = s->now_ns / s->width_ns, ntop = 0;
	double window_s = (double)(s->window_ns / NS);
	for (uint64_t i = 0; i < s->nsets * TT_WAYS; i++) {
		struct tt_slot *sl = tt_at(s, i);
		if (!s->tags[i])
			continue;
		tt_advance(s, i, c);
		if (sl->bytes == 0 && sl->packets == 0) {
			s->tags[i] = 0; /* nothing left in the window: forgotten */
			continue;
		}
		if ((double)sl->bytes * 8 / window_s < (double)s->threshold_bps ||
		    (double)sl->packets / window_s < (double)s->threshold_pps)
			continue;
		/* insert into the sorted top list (topn is small) */
		uint64_t k = ntop < s->topn ? ntop++ : s->topn;
		if (k == s->topn && !tt_before(sl, tt_at(s, s->top[k - 1])))
			continue;
		if (k == s->topn)
			k--;
		while (k > 0 && tt_before(sl, tt_at(s, s->top[k - 1]))) {
			s->top[k] = s->top[k - 1];
			k--;
		}
		s->top[k] = (uint32_t)i;
	}
	static const char rule[] = "===================================================================\n";
	tt_line(s, rule, sizeof(rule) - 1);
	for (uint64_t k = 0; k < ntop; k++) {
		const struct tt_slot *sl = tt_at(s, s->top[k]);
		char addr[OFD_IP_STRLEN], bps[96], pps[96], line[256];
		if (sl->family == OFD_AF_NONE) {
			snprintf(addr, sizeof(addr), "invalid IP");
		} else {
			struct ofd_ip ip = {.family = sl->family};
			memcpy(ip.b, sl->addr, 16);
			ofd_ip_str(&ip, addr);
		}
		tt_si(bps, sizeof(bps), (double)sl->bytes * 8 / window_s, "bps");
		tt_si(pps, sizeof(pps), (double)sl->packets / window_s, "pps");
		int n = snprintf(line, sizeof(line), "%s: %s, %s\n", addr, bps, pps);
		if (n > 0)
			tt_line(s, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	ofd_outfile_flush(&s->out);
	ofd_outfile_report(&s->out, seg);
	s->since_report = 0;
}

static void toptalkers_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct toptalkers_state *s = state;
	s->now_ns = now_ns;
	if (now_ns < s->last_report_ns) /* the clock went back: the interval starts again */
		s->last_report_ns = now_ns;
	if (now_ns - s->last_report_ns < s->interval_ns)
		return;
	s->last_report_ns = s->now_ns;
	tt_report(seg, s);
}

static void toptalkers_fini(struct ofd_segment *seg, void *state)
{
	struct toptalkers_state *s = state;
	if (s->ready && s->since_report)
		tt_report(seg, s);
	ofd_outfile_close(&s->out);
	if (s->mem)
		munmap(s->mem, s->mem_len);
	free(s->tags);
	free(s->top);
}

static const struct ofd_cfg_key toptalkers_keys[] = {
    OFD_KEY("window", OFD_CFG_DURATION, struct toptalkers_state, window_ns, .def = "60", .min = 1e9,
	    .max = 864e11,
	    .help =
		"the sliding window the rates are averaged over (whole seconds; a bare number is seconds)"),
    OFD_KEY("reportinterval", OFD_CFG_DURATION, struct toptalkers_state, interval_ns, .def = "10", .min = 1e9,
	    .max = 864e11, .help = "seconds between two reports"),
    OFD_KEY("filename", OFD_CFG_STRING, struct toptalkers_state, filename,
	    .help = "file to write the reports to (truncated at start); standard output when not given"),
    OFD_KEY("logprefix", OFD_CFG_STRING, struct toptalkers_state, logprefix, .def = "",
	    .help = "text written before every line of a report, to tell several segments apart in one file"),
    OFD_KEY("thresholdbps", OFD_CFG_UINT, struct toptalkers_state, threshold_bps, .def = "0",
	    .help = "leave out talkers receiving fewer bits per second than this"),
    OFD_KEY("thresholdpps", OFD_CFG_UINT, struct toptalkers_state, threshold_pps, .def = "0",
	    .help = "leave out talkers receiving fewer packets per second than this"),
    OFD_KEY("topn", OFD_CFG_UINT, struct toptalkers_state, topn, .def = "10", .min = 1, .max = TT_TOPN_MAX,
	    .help = "the most talkers a report lists"),
    OFD_KEY("maxtalkers", OFD_CFG_UINT, struct toptalkers_state, max_talkers, .def = "16384", .min = 8,
	    .max = 1 << 24,
	    .help =
		"addresses tracked at once (fixed at start; a new one in a full set evicts the smallest)"),
    OFD_KEY("follow_symlinks", OFD_CFG_BOOL, struct toptalkers_state, follow_symlinks, .def = "false",
	    .help = "write through a symbolic link at filename (refused by default)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_toptalkers = {
    OFD_SEGMENT_VERSION,
    .name = "toptalkers",
    .kind = OFD_SEG_OUTPUT,
    .summary =
	"print the destination addresses receiving the most bits/s and packets/s over a sliding window",
    .state_size = sizeof(struct toptalkers_state),
    .config = toptalkers_keys,
    .counters = toptalkers_counters,
    .check = toptalkers_check,
    .init = toptalkers_init,
    .process = toptalkers_process,
    .tick = toptalkers_tick,
    .fini = toptalkers_fini,
};
