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
 * The table is fixed at init (`maxtalkers` addresses: common/talkertab.h, shared with
 * toptalkers_metrics, sets of 8, two candidate sets per address from a keyed SipHash, so that a
 * flood of chosen addresses cannot aim at one set): process() allocates nothing. A new address
 * whose two sets are full evicts the way with the fewest bytes in the window (counted as
 * `evicted`); a talker whose window emptied is forgotten at the next report.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/outfile.h"
#include "segments/common/talkertab.h"

#define TT_BUCKETS_MAX 64
#define TT_TOPN_MAX    100000
#define NS	       1000000000ull

struct toptalkers_state {
	/* config */
	uint64_t window_ns, interval_ns;
	uint64_t threshold_bps, threshold_pps, topn, max_talkers, maxmemory;
	char *filename, *logprefix;
	int follow_symlinks;
	/* the table: keys are the family, then the destination address (talkertab.h) */
	struct talkertab tab;
	uint32_t *top; /* topn slot indices, for a report */
	uint32_t nbuckets;
	uint64_t width_ns; /* a bucket's width */
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
	uint64_t window_s = s->window_ns / NS, width_s = (window_s + TT_BUCKETS_MAX - 1) / TT_BUCKETS_MAX;
	uint32_t nbuckets = width_s ? (uint32_t)((window_s + width_s - 1) / width_s) : 1;
	/* the table holds maxtalkers rounded up to whole sets */
	uint64_t slots = (s->max_talkers + TALKERTAB_WAYS - 1) / TALKERTAB_WAYS * TALKERTAB_WAYS;
	size_t need = talkertab_bytes(slots, nbuckets);
	if (need > s->maxmemory) {
		snprintf(err, errlen,
			 "maxtalkers %llu with %u buckets may take %zu bytes, over maxmemory %llu: raise "
			 "maxmemory or lower maxtalkers",
			 (unsigned long long)s->max_talkers, nbuckets, need,
			 (unsigned long long)s->maxmemory);
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
	int rc = talkertab_init_slots(&s->tab, s->max_talkers, s->nbuckets);
	s->tab.keylen = 17; /* the family and the address */
	if (!rc && s->topn > s->tab.nslots)
		s->topn = s->tab.nslots;
	s->top = rc ? NULL : calloc(s->topn, sizeof(*s->top));
	if (!s->top) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate a table of %llu talkers",
			    (unsigned long long)s->max_talkers);
		return -ENOMEM;
	}
	rc = ofd_outfile_open(&s->out, s->filename, 0, s->follow_symlinks); /* logs */
	if (rc)
		return rc;
	s->now_ns = ofd_time_now_ns();
	s->last_report_ns = s->now_ns;
	s->ready = 1;
	return 0;
}

static inline struct talkertab_slot *tt_at(const struct toptalkers_state *s, uint64_t i)
{
	return talkertab_at(&s->tab, i);
}

/*
 * In three passes over the batch, so that the memory accesses of different records overlap
 * (a table larger than the caches costs a miss per access): hash every record and prefetch
 * its two tag lines; find each record's candidate way by tag and prefetch its slot and current
 * bucket; then add (talkertab_add_h verifies the address; a miss makes a new talker).
 */
static void toptalkers_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct toptalkers_state *s = state;
	uint64_t c = s->now_ns / s->width_ns;
	uint16_t rec[OFD_BATCH_CAP];
	uint8_t key[OFD_BATCH_CAP][TALKERTAB_KEYBYTES];
	struct talkertab_hash h[OFD_BATCH_CAP];
	uint32_t n = 0;
	for (uint32_t w = 0; w < (b->n + 63) / 64; w++) {
		uint64_t live = b->live[w];
		while (live) {
			uint32_t i = w * 64 + (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			const struct ofd_flow *f = &b->flows[i];
			rec[n] = (uint16_t)i;
			memset(key[n], 0, 17);
			key[n][0] = f->dst_addr.family;
			if (f->dst_addr.family != OFD_AF_NONE)
				memcpy(key[n] + 1, f->dst_addr.b, 16);
			h[n] = talkertab_hash(&s->tab, key[n]);
			talkertab_prefetch_tags(&s->tab, &h[n]);
			n++;
		}
	}
	uint64_t cand[OFD_BATCH_CAP];
	for (uint32_t k = 0; k < n; k++)
		cand[k] = talkertab_prefetch_slot(&s->tab, &h[k], c);
	uint64_t evicted = s->tab.evicted;
	for (uint32_t k = 0; k < n; k++) {
		const struct ofd_flow *f = &b->flows[rec[k]];
		talkertab_add_at(&s->tab, &h[k], cand[k], key[k], c, f->bytes, f->packets);
	}
	if (s->tab.evicted != evicted)
		ofd_segment_count(seg, C_EVICTED, s->tab.evicted - evicted);
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
static int tt_before(const struct talkertab_slot *a, const struct talkertab_slot *b)
{
	if (a->wbytes != b->wbytes)
		return a->wbytes > b->wbytes;
	return memcmp(a->key, b->key, 17) < 0; /* the family, then the address */
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
	for (uint64_t i = 0; i < s->tab.nslots; i++) {
		struct talkertab_slot *sl = tt_at(s, i);
		if (!talkertab_used(&s->tab, i))
			continue;
		talkertab_advance(&s->tab, i, c);
		if (sl->wbytes == 0 && sl->wpackets == 0) {
			talkertab_drop(&s->tab, i); /* nothing left in the window: forgotten */
			continue;
		}
		if ((double)sl->wbytes * 8 / window_s < (double)s->threshold_bps ||
		    (double)sl->wpackets / window_s < (double)s->threshold_pps)
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
		const struct talkertab_slot *sl = tt_at(s, s->top[k]);
		char addr[OFD_IP_STRLEN], bps[96], pps[96], line[256];
		if (sl->key[0] == OFD_AF_NONE) {
			snprintf(addr, sizeof(addr), "invalid IP");
		} else {
			struct ofd_ip ip = {.family = sl->key[0]};
			memcpy(ip.b, sl->key + 1, 16);
			ofd_ip_str(&ip, addr);
		}
		tt_si(bps, sizeof(bps), (double)sl->wbytes * 8 / window_s, "bps");
		tt_si(pps, sizeof(pps), (double)sl->wpackets / window_s, "pps");
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
	talkertab_free(&s->tab);
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
    OFD_KEY("maxmemory", OFD_CFG_SIZE, struct toptalkers_state, maxmemory, .def = "1G", .min = 4096,
	    .help = "the most the talker table may take (ours): a maxtalkers that may need more is refused "
		    "at start"),
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
