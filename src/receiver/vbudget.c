/*
 * The UDP verification budget (see vbudget.h).
 *
 * The good-key table is set-associative (WAYS entries a set, the set chosen by a keyed hash so
 * that nobody can aim minted keys at one set). A new key replaces the entry of its set with the
 * fewest verified tracers (the oldest among equals): keys minted by the thousand, one tracer
 * each, evict one another before they evict a key that has signed many. A penalty lives in the
 * entry of its key, so only good keys are ever penalized and the table bounds both.
 *
 * The repeat table is direct-mapped: keyed 64-bit hashes of the datagram bytes, the newest
 * wins its slot. Only the reading thread touches it.
 */
#include "receiver/vbudget.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "format/promtext.h"
#include "ofd/time.h"

#define WAYS	    8
#define NETS	    4  /* source networks remembered per good key */
#define SIG_B64_MIN 88 /* base64 of the 64-byte signature alone */

/* A penalty: its value at ns (it decays from there). */
struct pen {
	double v;
	uint64_t ns;
	uint32_t pending; /* tracers it applies to, in the priority lane, not verified yet */
};

/* A network a good key's valid tracers came from (keyed hash of its /24 or /48). */
struct gnet {
	uint32_t net;	/* 0: free */
	uint32_t count; /* valid tracers from it (saturating) */
	struct pen pen; /* failures naming the key from this network */
};

struct gkey {
	uint8_t key[32];
	uint32_t count; /* verified tracers (saturating); 0: free entry */
	uint64_t last_ns;
	struct pen pen; /* failures naming the key from any other network */
	struct gnet nets[NETS];
};

struct ofd_vbudget {
	struct ofd_vbudget_cfg cfg;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	/* reading thread only */
	uint64_t *rep;
	size_t rep_mask;
	/* under mu */
	pthread_mutex_t mu;
	struct gkey *gk;
	size_t nsets;
	uint64_t ngood;
	double tokens;
	uint64_t tok_ns;
	/* counters */
	_Atomic uint64_t admitted[OFD_VB__LANES], failed[OFD_VB__LANES];
	_Atomic uint64_t dropped[OFD_VB_DROP__COUNT], demoted;
};

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

int ofd_vbudget_new(struct ofd_vbudget **out, const struct ofd_vbudget_cfg *cfg)
{
	*out = NULL;
	if (!(cfg->rate > 0) || cfg->burst < 0 || cfg->penalty_max < 0 || cfg->penalty_decay < 0)
		return OFD_ECONFIG;
	if (sodium_init() < 0)
		return -ENOMEM;
	struct ofd_vbudget *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->cfg = *cfg;
	if (b->cfg.burst == 0)
		b->cfg.burst = b->cfg.rate / 10 > 16 ? b->cfg.rate / 10 : 16;
	if (b->cfg.burst < 1)
		b->cfg.burst = 1;
	b->cfg.keys = (unsigned)pow2_at_least(b->cfg.keys ? b->cfg.keys : 4096);
	if (b->cfg.keys < WAYS)
		b->cfg.keys = WAYS;
	b->cfg.repeats = (unsigned)pow2_at_least(b->cfg.repeats ? b->cfg.repeats : 65536);
	if (b->cfg.penalty_max == 0)
		b->cfg.penalty_max = 8;
	if (b->cfg.penalty_decay == 0)
		b->cfg.penalty_decay = 0.1;
	b->nsets = b->cfg.keys / WAYS;
	b->rep_mask = b->cfg.repeats - 1;
	b->gk = calloc(b->cfg.keys, sizeof(*b->gk));
	b->rep = calloc(b->cfg.repeats, sizeof(*b->rep));
	if (!b->gk || !b->rep) {
		ofd_vbudget_free(b);
		return -ENOMEM;
	}
	randombytes_buf(b->hkey, sizeof(b->hkey));
	b->tokens = b->cfg.burst; /* full from any time on (tok_ns 0: callers may inject a clock) */
	pthread_mutex_init(&b->mu, NULL);
	*out = b;
	return 0;
}

void ofd_vbudget_free(struct ofd_vbudget *b)
{
	if (!b)
		return;
	if (b->gk)
		pthread_mutex_destroy(&b->mu);
	free(b->gk);
	free(b->rep);
	free(b);
}

/* ---- the scan ---- */

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=';
}

/*
 * After the member name `"name"` at p, then blanks, ':', blanks and the opening character
 * `open`: the position after it, or NULL.
 */
static const uint8_t *member_at(const uint8_t *p, const uint8_t *e, const char *name, uint8_t open)
{
	size_t n = strlen(name);
	if ((size_t)(e - p) < n + 2 || *p != '"' || memcmp(p + 1, name, n) != 0 || p[n + 1] != '"')
		return NULL;
	p += n + 2;
	while (p < e && is_ws(*p))
		p++;
	if (p >= e || *p++ != ':')
		return NULL;
	while (p < e && is_ws(*p))
		p++;
	return p < e && *p == open ? p + 1 : NULL;
}

/* The first member `"name": <open>` in [p, e): the position after <open>, or NULL. */
static const uint8_t *find_member(const uint8_t *p, const uint8_t *e, const char *name, uint8_t open)
{
	for (; p < e && (p = memchr(p, '"', (size_t)(e - p))) != NULL; p++) {
		const uint8_t *q = member_at(p, e, name, open);
		if (q)
			return q;
	}
	return NULL;
}

/* The string at p (after its opening quote) up to the closing quote, every byte passing ok:
   its length, or -1. */
static long string_of(const uint8_t *p, const uint8_t *e, int (*ok)(uint8_t))
{
	const uint8_t *s = p;
	while (p < e && *p != '"') {
		if (!ok(*p))
			return -1;
		p++;
	}
	return p < e ? (long)(p - s) : -1;
}

/* The signature object's members in [p, e) (up to its closing brace): the key into h. */
static void scan_sig_object(const uint8_t *p, const uint8_t *e, struct ofd_vb_hint *h)
{
	const uint8_t *end = memchr(p, '}', (size_t)(e - p));
	if (!end)
		return;
	const uint8_t *k = find_member(p, end, "key", '"');
	const uint8_t *s = find_member(p, end, "signature", '"');
	if (!k || !s || string_of(k, end, is_hex) != 64)
		return;
	long sl = string_of(s, end, is_b64);
	if (sl < SIG_B64_MIN || sl % 4 != 0)
		return;
	size_t got = 0;
	if (sodium_hex2bin(h->key, sizeof(h->key), (const char *)k, 64, NULL, &got, NULL) == 0 && got == 32)
		h->has_key = 1;
}

void ofd_vbudget_scan(const uint8_t *data, size_t len, struct ofd_vb_hint *h)
{
	memset(h, 0, sizeof(*h));
	const uint8_t *p = data, *e = data + len;
	while (p < e && is_ws(*p))
		p++;
	if (p >= e || *p != '{')
		return;
	/* the last "signature" object: the one a decoy in flowdata cannot come after */
	const uint8_t *obj = NULL, *q = p;
	while ((q = find_member(q, e, "signature", '{')) != NULL)
		obj = q;
	if (obj)
		scan_sig_object(obj, e, h);
	else if (find_member(p, e, "sealed", '"') && find_member(p, e, "to", '"'))
		h->sealed = 1;
}

/* ---- the good-key table (callers hold mu) ---- */

static struct gkey *gk_set(struct ofd_vbudget *b, const uint8_t key[32])
{
	uint8_t hv[crypto_shorthash_BYTES];
	uint64_t x;
	crypto_shorthash(hv, key, 32, b->hkey);
	memcpy(&x, hv, sizeof(x));
	return b->gk + (x & (b->nsets - 1)) * WAYS;
}

static struct gkey *gk_find(struct ofd_vbudget *b, const uint8_t key[32])
{
	struct gkey *set = gk_set(b, key);
	for (unsigned i = 0; i < WAYS; i++)
		if (set[i].count && memcmp(set[i].key, key, 32) == 0)
			return &set[i];
	return NULL;
}

/* A penalty's value now (decayed). */
static double pen_now(const struct ofd_vbudget *b, const struct pen *p, uint64_t now_ns)
{
	double dt = now_ns > p->ns ? (double)(now_ns - p->ns) / 1e9 : 0;
	double v = p->v - dt * b->cfg.penalty_decay;
	return v > 0 ? v : 0;
}

static void pen_add(const struct ofd_vbudget *b, struct pen *p, uint64_t now_ns)
{
	p->v = pen_now(b, p, now_ns) + 1;
	p->ns = now_ns > p->ns ? now_ns : p->ns;
}

/* The penalty that applies to tracers naming g from net: the network's own, or the one of
   every other network. */
static struct pen *gk_pen(struct gkey *g, uint32_t net)
{
	for (unsigned i = 0; net && i < NETS; i++)
		if (g->nets[i].net == net)
			return &g->nets[i].pen;
	return &g->pen;
}

/* Remember net for g (replacing its network with the fewest valid tracers). */
static void gk_net(struct gkey *g, uint32_t net, uint64_t now_ns)
{
	struct gnet *n = &g->nets[0];
	for (unsigned i = 0; i < NETS; i++) {
		if (g->nets[i].net == net) {
			n = &g->nets[i];
			break;
		}
		if (g->nets[i].count < n->count)
			n = &g->nets[i];
	}
	if (n->net != net)
		*n = (struct gnet){.net = net, .pen.ns = now_ns};
	if (n->count < UINT32_MAX)
		n->count++;
}

static void gk_trust(struct ofd_vbudget *b, const uint8_t key[32], uint32_t net, uint64_t now_ns)
{
	struct gkey *g = gk_find(b, key);
	if (!g) {
		struct gkey *set = gk_set(b, key);
		g = &set[0];
		for (unsigned i = 1; i < WAYS && g->count; i++)
			if (!set[i].count || set[i].count < g->count ||
			    (set[i].count == g->count && set[i].last_ns < g->last_ns))
				g = &set[i];
		if (!g->count)
			b->ngood++;
		*g = (struct gkey){.pen.ns = now_ns};
		memcpy(g->key, key, 32);
	}
	if (g->count < UINT32_MAX)
		g->count++;
	g->last_ns = now_ns;
	if (net)
		gk_net(g, net, now_ns);
}

/* ---- the bucket (callers hold mu) ---- */

static void refill(struct ofd_vbudget *b, uint64_t now_ns)
{
	if (now_ns > b->tok_ns) {
		b->tokens += (double)(now_ns - b->tok_ns) / 1e9 * b->cfg.rate;
		if (b->tokens > b->cfg.burst)
			b->tokens = b->cfg.burst;
	}
	b->tok_ns = now_ns > b->tok_ns ? now_ns : b->tok_ns;
}

/* ---- deciding ---- */

static uint64_t bytes_hash(const struct ofd_vbudget *b, const uint8_t *data, size_t len)
{
	uint8_t hv[crypto_shorthash_BYTES];
	uint64_t x;
	crypto_shorthash(hv, data, len, b->hkey);
	memcpy(&x, hv, sizeof(x));
	return x | 1; /* never 0, the free slot */
}

/* The keyed hash of src's network (IPv4 /24, IPv6 /48), never 0; 0 without src. */
static uint32_t net_hash(const struct ofd_vbudget *b, const struct ofd_ip *src)
{
	uint8_t pfx[17], hv[crypto_shorthash_BYTES];
	uint32_t x;
	if (!src)
		return 0;
	memset(pfx, 0, sizeof(pfx));
	pfx[0] = src->family;
	if (src->family == OFD_AF_INET)
		memcpy(pfx + 1, src->b + 12, 3);
	else
		memcpy(pfx + 1, src->b, 6);
	crypto_shorthash(hv, pfx, sizeof(pfx), b->hkey);
	memcpy(&x, hv, sizeof(x));
	return x | 1;
}

static int drop(struct ofd_vbudget *b, enum ofd_vb_drop why)
{
	atomic_fetch_add_explicit(&b->dropped[why], 1, memory_order_relaxed);
	return -1 - (int)why;
}

/* Reading thread: the lane of h (mu held); counts a demotion. */
/*
 * Reading thread, mu held: the lane of h; counts a demotion. The tracers a penalty applies to
 * that are still in flight count as failures already, so a burst of junk cannot overtake its
 * own verdicts: in full once the penalty is above 0, a quarter each before (a key without
 * failures may have 4 * penalty_max tracers in flight).
 */
static int lane_of(struct ofd_vbudget *b, const struct ofd_vb_hint *h, uint64_t now_ns)
{
	struct gkey *g = h->has_key ? gk_find(b, h->key) : NULL;
	if (!g)
		return OFD_VB_BUDGET;
	struct pen *p = gk_pen(g, h->net);
	double v = pen_now(b, p, now_ns);
	if ((v > 0 ? v + p->pending : p->pending / 4.0) < b->cfg.penalty_max) {
		p->pending++;
		return OFD_VB_PRIORITY;
	}
	atomic_fetch_add_explicit(&b->demoted, 1, memory_order_relaxed);
	return OFD_VB_BUDGET;
}

/* mu held: a priority-lane datagram of h is no longer in flight. */
static void pending_done(struct ofd_vbudget *b, const struct ofd_vb_hint *h)
{
	struct gkey *g = gk_find(b, h->key);
	struct pen *p = g ? gk_pen(g, h->net) : NULL;
	if (p && p->pending) /* else its entry was replaced meanwhile */
		p->pending--;
}

int ofd_vbudget_admit(struct ofd_vbudget *b, const uint8_t *data, size_t len, const struct ofd_ip *src,
		      int room, struct ofd_vb_hint *h, uint64_t now_ns)
{
	int why = -1;
	ofd_vbudget_scan(data, len, h);
	h->net = h->has_key ? net_hash(b, src) : 0;
	pthread_mutex_lock(&b->mu);
	int lane = lane_of(b, h, now_ns);
	if (lane == OFD_VB_BUDGET && !room) {
		why = OFD_VB_DROP_QUEUE;
	} else if (lane == OFD_VB_BUDGET) {
		refill(b, now_ns);
		if (b->tokens < 1)
			why = OFD_VB_DROP_BUDGET;
		else
			b->tokens -= 1;
	}
	pthread_mutex_unlock(&b->mu);
	if (why >= 0)
		return drop(b, (enum ofd_vb_drop)why);
	if (h->has_key || h->sealed) { /* hashed only when it would be verified */
		uint64_t hv = bytes_hash(b, data, len);
		uint64_t *slot = &b->rep[hv & b->rep_mask];
		if (*slot == hv) {
			pthread_mutex_lock(&b->mu);
			if (lane == OFD_VB_BUDGET)
				b->tokens += 1;
			else
				pending_done(b, h);
			pthread_mutex_unlock(&b->mu);
			return drop(b, OFD_VB_DROP_REPEAT);
		}
		*slot = hv;
	}
	h->lane = (uint8_t)lane;
	atomic_fetch_add_explicit(&b->admitted[lane], 1, memory_order_relaxed);
	return lane;
}

void ofd_vbudget_unadmit(struct ofd_vbudget *b, const uint8_t *data, size_t len, const struct ofd_vb_hint *h)
{
	if (h->has_key || h->sealed) {
		uint64_t hv = bytes_hash(b, data, len);
		if (b->rep[hv & b->rep_mask] == hv)
			b->rep[hv & b->rep_mask] = 0;
	}
	pthread_mutex_lock(&b->mu);
	if (h->lane == OFD_VB_BUDGET)
		b->tokens += 1;
	else
		pending_done(b, h);
	pthread_mutex_unlock(&b->mu);
	atomic_fetch_sub_explicit(&b->admitted[h->lane], 1, memory_order_relaxed);
	(void)drop(b, OFD_VB_DROP_QUEUE);
}

void ofd_vbudget_result(struct ofd_vbudget *b, const struct ofd_vb_hint *h, int ok, uint64_t now_ns)
{
	if (!ok)
		atomic_fetch_add_explicit(&b->failed[h->lane], 1, memory_order_relaxed);
	if (h->lane != OFD_VB_PRIORITY && (ok || !h->has_key))
		return;
	pthread_mutex_lock(&b->mu);
	if (h->lane == OFD_VB_PRIORITY)
		pending_done(b, h);
	struct gkey *g = !ok && h->has_key ? gk_find(b, h->key) : NULL;
	if (g)
		pen_add(b, gk_pen(g, h->net), now_ns);
	if (!ok && h->lane == OFD_VB_PRIORITY) { /* junk in the priority lane is paid by the budget */
		refill(b, now_ns);
		b->tokens = b->tokens - 1 > -b->cfg.burst ? b->tokens - 1 : -b->cfg.burst;
	}
	pthread_mutex_unlock(&b->mu);
}

void ofd_vbudget_trust(struct ofd_vbudget *b, const uint8_t key[32], const struct ofd_ip *src,
		       uint64_t now_ns)
{
	uint32_t net = net_hash(b, src);
	pthread_mutex_lock(&b->mu);
	gk_trust(b, key, net, now_ns);
	pthread_mutex_unlock(&b->mu);
}

void ofd_vbudget_counters(struct ofd_vbudget *b, struct ofd_vbudget_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < OFD_VB__LANES; i++) {
		c->admitted[i] = atomic_load(&b->admitted[i]);
		c->failed[i] = atomic_load(&b->failed[i]);
	}
	for (unsigned i = 0; i < OFD_VB_DROP__COUNT; i++)
		c->dropped[i] = atomic_load(&b->dropped[i]);
	c->demoted = atomic_load(&b->demoted);
	pthread_mutex_lock(&b->mu);
	c->good_keys = b->ngood;
	pthread_mutex_unlock(&b->mu);
	c->rate = b->cfg.rate;
}

void ofd_vbudget_metrics(const struct ofd_vbudget_counters *c, struct ofd_prom *w)
{
	static const char *const lanes[OFD_VB__LANES] = {"priority", "budget"};
	static const char *const drops[OFD_VB_DROP__COUNT] = {"budget", "repeat", "queue_full"};
	ofd_prom_family(w, "overflowd_udp_verify_admitted_total", OFD_PROM_COUNTER,
			"UDP tracers handed to verification, by lane (priority: keys with a good history).");
	for (unsigned i = 0; i < OFD_VB__LANES; i++)
		ofd_prom_u64(w, OFD_PROM_LABELS({"lane", lanes[i]}), c->admitted[i]);
	ofd_prom_family(w, "overflowd_udp_verify_failed_total", OFD_PROM_COUNTER,
			"UDP tracers verified and found invalid, by lane.");
	for (unsigned i = 0; i < OFD_VB__LANES; i++)
		ofd_prom_u64(w, OFD_PROM_LABELS({"lane", lanes[i]}), c->failed[i]);
	ofd_prom_family(w, "overflowd_udp_dropped_total", OFD_PROM_COUNTER,
			"UDP tracers dropped unverified, by reason.");
	for (unsigned i = 0; i < OFD_VB_DROP__COUNT; i++)
		ofd_prom_u64(w, OFD_PROM_LABELS({"reason", drops[i]}), c->dropped[i]);
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "kernel"}), c->kernel);
	ofd_prom_single(w, "overflowd_udp_demoted_total", OFD_PROM_COUNTER,
			"UDP tracers of a good key that lost priority: too many of its tracers failed.",
			c->demoted);
	ofd_prom_single(w, "overflowd_udp_good_keys", OFD_PROM_GAUGE,
			"Keys whose UDP tracers are verified first.", c->good_keys);
	ofd_prom_family(w, "overflowd_udp_verify_budget", OFD_PROM_GAUGE,
			"Verifications per second for UDP tracers of other keys.");
	ofd_prom_f64(w, OFD_PROM_NOLABELS, c->rate);
}

double ofd_vbudget_calibrate(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], seed[crypto_sign_SEEDBYTES];
	uint8_t msg[1000], sig[crypto_sign_BYTES];
	if (sodium_init() < 0)
		return 1000;
	memset(seed, 7, sizeof(seed));
	memset(msg, 'x', sizeof(msg));
	crypto_sign_seed_keypair(pk, sk, seed);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	sodium_memzero(sk, sizeof(sk));
	double best = 0;
	for (unsigned run = 0; run < 5; run++) {
		uint64_t t0 = ofd_time_mono_ns(), t;
		unsigned n = 0;
		do {
			if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) == 0)
				n++;
			t = ofd_time_mono_ns();
		} while (t - t0 < 1000000 && n < 1000);
		double r = n ? (double)n / ((double)(t - t0) / 1e9) : 0;
		best = r > best ? r : best;
	}
	return best > 0 ? best : 1000;
}
