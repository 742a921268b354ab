#include "emit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/utf8.h"

int ofd_redact_parse(const char *name)
{
	static const char *const names[] = {"exporter", "interfaces", "as", "nexthop"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1 << i;
	if (strcasecmp(name, "all") == 0)
		return OFD_REDACT_ALL;
	return strcasecmp(name, "none") == 0 ? 0 : -1;
}

size_t ofd_emit_contact_fit(const char *contact, enum ofd_tracer_class cls, size_t full_max)
{
	char *buf = malloc(OFD_TRACER_MAX), *c = strdup(contact);
	size_t n = strlen(contact), lo = 0, hi = n + 1; /* the longest fit is in [lo, hi) */
	struct ofd_flow f = {.type = OFD_FT_NETFLOW_V5};
	ofd_ip_set4u(&f.src_addr, 0);
	ofd_ip_set4u(&f.dst_addr, 0);
	struct ofd_tracer_meta m = {cls, c, 1e9};
	while (buf && c && hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2, k = ofd_utf8_cut(contact, n, mid);
		c[k] = 0;
		if (ofd_tracer_body(buf, OFD_TRACER_MAX, &f, &m, full_max) >= 0)
			lo = mid;
		else
			hi = mid;
		memcpy(c, contact, n + 1);
	}
	free(c);
	free(buf);
	return ofd_utf8_cut(contact, n, lo);
}

/* A length on the wire: sealed, when some destination may get it sealed. */
static uint64_t wire_len(const struct ofd_emit *e, size_t len)
{
	return e->cfg.sealing ? ofd_tracer_sealed_len(len) : len;
}

uint64_t ofd_emit_cost(const struct ofd_emit *e, size_t len, size_t udp_len)
{
	size_t u = udp_len ? udp_len : len < OFD_TRACER_UDP_MAX ? len : 0;
	uint64_t cu = u ? wire_len(e, u) + OFD_EMIT_UDP_OVERHEAD : 0;
	uint64_t ch = wire_len(e, len) + OFD_EMIT_HTTP_OVERHEAD;
	uint64_t cs = wire_len(e, len) + OFD_EMIT_HTTPS_OVERHEAD;
	if (e->cfg.relay_kinds) { /* one relay per delivery, of one kind: the dearest */
		unsigned k = e->cfg.relay_kinds;
		return k & OFD_SEND_HTTPS ? cs : k & OFD_SEND_HTTP ? ch : cu;
	}
	unsigned m = e->cfg.methods;
	return (m & OFD_SEND_UDP ? cu : 0) + (m & OFD_SEND_HTTP ? ch : 0) + (m & OFD_SEND_HTTPS ? cs : 0);
}

void ofd_emit_init(struct ofd_emit *e, const struct ofd_emit_cfg *cfg)
{
	memset(&e->st, 0, sizeof(e->st));
	e->cfg = *cfg;
	if (!e->cfg.amplification)
		e->cfg.amplification = OFD_EMIT_AMPLIFICATION;
	if (!e->cfg.full_max || e->cfg.full_max > OFD_TRACER_HTTP_MAX)
		e->cfg.full_max = OFD_TRACER_HTTP_MAX;
	if (!e->cfg.methods && !e->cfg.relay_kinds)
		e->cfg.methods = OFD_SEND_UDP | OFD_SEND_HTTP | OFD_SEND_HTTPS;
	unsigned k = e->cfg.relay_kinds ? e->cfg.relay_kinds : e->cfg.methods;
	e->udp = cfg->sender && (k & OFD_SEND_UDP);
	e->full = cfg->print || !cfg->sender || (k & (OFD_SEND_HTTP | OFD_SEND_HTTPS));
	uint64_t dearest = ofd_emit_cost(e, e->cfg.full_max, OFD_TRACER_UDP_MAX) *
			   (e->cfg.relay_kinds ? (e->cfg.nrelays ? e->cfg.nrelays : 1) : 2);
	ofd_budget_init(&e->budget, e->cfg.amplification,
			4 * dearest > OFD_EMIT_BURST_MIN ? 4 * dearest : OFD_EMIT_BURST_MIN);
	ofd_odds_init(&e->odds, cfg->seeded, cfg->seed);
}

/* packets as the odds see them: scaled by the sampling rate when normalizing */
static inline uint64_t emit_packets(const struct ofd_emit *e, const struct ofd_flow *f)
{
	uint64_t packets = f->packets;
	if (e->cfg.normalize && !f->normalized && f->sampling_rate > 1)
		packets = packets > UINT64_MAX / f->sampling_rate ? UINT64_MAX : packets * f->sampling_rate;
	return packets;
}

double ofd_emit_p(const struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class *cls)
{
	double mult = 1;
	*cls = e->cfg.cls;
	for (size_t i = 0; i < e->cfg.nesc; i++) {
		const struct ofd_escalate *r = &e->cfg.esc[i];
		if (ofd_filter_match(r->filter, f)) {
			mult = r->mult;
			*cls = r->cls;
			break;
		}
	}
	return ofd_odds_p(e->cfg.rate * mult, emit_packets(e, f));
}

/* f, or a copy of it in *copy without the fields cfg.redact names (the body reads only values). */
static const struct ofd_flow *redact(const struct ofd_emit *e, const struct ofd_flow *f,
				     struct ofd_flow *copy)
{
	unsigned r = e->cfg.redact;
	if (!r)
		return f;
	*copy = *f;
	if (r & OFD_REDACT_EXPORTER)
		memset(&copy->sampler_address, 0, sizeof(copy->sampler_address));
	if (r & OFD_REDACT_INTERFACES)
		copy->in_if = copy->out_if = 0;
	if (r & OFD_REDACT_AS)
		copy->src_as = copy->dst_as = copy->next_hop_as = 0, copy->as_path_len = 0;
	if (r & OFD_REDACT_NEXTHOP) {
		memset(&copy->next_hop, 0, sizeof(copy->next_hop));
		memset(&copy->bgp_next_hop, 0, sizeof(copy->bgp_next_hop));
	}
	return copy;
}

/* The forms of one tracer: the full one (body, blen) and the UDP one (ubody, ulen; 0: none). */
struct forms {
	const char *body;
	int blen, ulen;
};

static int fail(struct ofd_emit *e, const char *why)
{
	e->st.failed++;
	e->st.why = why;
	return -1;
}

/* Make the bodies the deliveries need; 0, or -1 when none can be made (counted failed). */
static int make_forms(struct ofd_emit *e, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		      struct forms *fm)
{
	fm->body = e->body;
	fm->blen = ofd_tracer_body(e->body, sizeof(e->body), f, m, e->cfg.full_max);
	fm->ulen = 0;
	if (fm->blen >= 0 && ofd_tracer_signed_len((size_t)fm->blen) < OFD_TRACER_UDP_MAX)
		return 0; /* one form for every delivery */
	int ulen = e->udp ? ofd_tracer_body_cut(e->ubody, sizeof(e->ubody), f, m, OFD_TRACER_UDP_MAX) : -1;
	if (fm->blen < 0) {
		if (ulen < 0)
			return fail(e, fm->blen == OFD_EFORMAT ? "a class outside the enum"
							       : "too long even without the optional fields: "
								 "the contact leaves no room");
		fm->body = e->ubody; /* the shortened form for every delivery */
		fm->blen = ulen;
		e->st.fitted++;
		return 0;
	}
	if (ulen >= 0) {
		fm->ulen = ulen;
		e->st.fitted++;
	} else if (e->udp) {
		if (!e->full)
			return fail(
			    e, "too long for one UDP datagram even shortened, and UDP is the only delivery");
		e->st.http_only++; /* the sender counts the UDP attempts too_large */
	}
	return 0;
}

/* The most the deliveries of a tracer about f could cost (fm: the bodies' lengths). */
static uint64_t worst_cost(const struct ofd_emit *e, const struct ofd_flow *f, const struct forms *fm)
{
	unsigned n = e->cfg.nrelays;
	if (!e->cfg.relay_kinds) {
		n = 0;
		for (const struct ofd_ip *a = &f->src_addr; a <= &f->dst_addr; a++)
			n += a->family == OFD_AF_INET || a->family == OFD_AF_INET6;
	}
	size_t len = ofd_tracer_signed_len((size_t)fm->blen);
	size_t ulen = fm->ulen ? ofd_tracer_signed_len((size_t)fm->ulen) : 0;
	return n * ofd_emit_cost(e, len, ulen);
}

/* Sign body into out (cap bytes); the length, or 0 when it could not be signed (counted). */
static size_t sign(struct ofd_emit *e, char *out, size_t cap, const char *body, int blen)
{
	int len = ofd_tracer_sign(out, cap, body, (size_t)blen, e->cfg.key);
	if (len < 0) {
		fail(e, "the signed line would be too long");
		return 0;
	}
	e->st.signatures++;
	return (size_t)len;
}

/*
 * Build, admit, sign, print and queue one tracer about f. The bodies are built first (cheap; a
 * tracer that cannot be made for any delivery fails here, before anything is counted by the
 * sender); a non-local record's exporter must have the credit for every delivery the tracer
 * could get; the sender then admits its destinations (policy, dedup, buckets, queue room: see
 * ofd_sender_admit); only a tracer that is printed or admitted somewhere is signed, and the
 * budget pays for the deliveries admitted.
 */
static void emit_one(struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class cls, uint64_t now_ns)
{
	int budgeted = f->origin != OFD_ORIGIN_LOCAL;
	struct forms fm = {.blen = OFD_EMIT_BODY_MIN};
	if (budgeted && e->cfg.sender && !e->cfg.print &&
	    !ofd_budget_covers(&e->budget, &f->sampler_address, worst_cost(e, f, &fm))) {
		e->st.budget++; /* not even the smallest tracer: no body made (floods end here) */
		return;
	}
	struct ofd_flow copy;
	const struct ofd_flow *bf = redact(e, f, &copy);
	struct ofd_tracer_meta m = {cls, e->cfg.contact, (double)(now_ns / 1000) / 1e6};
	if (make_forms(e, bf, &m, &fm))
		return;
	struct ofd_send_ticket t = {0};
	if (e->cfg.sender) {
		if (budgeted && !ofd_budget_covers(&e->budget, &f->sampler_address, worst_cost(e, f, &fm)))
			e->st.budget++;
		else
			(void)ofd_sender_admit(e->cfg.sender, f, now_ns, &t);
	}
	if (!t.n && !e->cfg.print)
		return; /* nobody takes it: no signature spent */
	size_t len = sign(e, e->line, sizeof(e->line), fm.body, fm.blen), ulen = 0;
	if (len && fm.ulen && t.n && !(ulen = sign(e, e->uline, sizeof(e->uline), e->ubody, fm.ulen)))
		len = 0;
	if (len && e->cfg.print) {
		ofd_wbuf_reserve(e->cfg.print);
		if (e->cfg.print->cap - e->cfg.print->len > len + 1) {
			ofd_wbuf_mem(e->cfg.print, e->line, len);
			ofd_wbuf_ch(e->cfg.print, '\n');
		}
	}
	if (!t.n)
		return;
	if (budgeted && len) {
		uint64_t cost = t.n * ofd_emit_cost(e, len, ulen);
		ofd_budget_spend(&e->budget, &f->sampler_address, cost);
		e->st.charged += cost;
	}
	/* len 0: counted too_large by the sender */
	ofd_sender_queue(e->cfg.sender, &t, e->line, len, ulen ? e->uline : NULL, ulen);
}

/*
 * One pass over the live records: records of unlisted exporters are counted (and, unless
 * from_any, left out of what follows), those of exporters with a budget earn their credit, and
 * the largest packet count of the others is the bound of the thinning below. Returns that count.
 */
static uint64_t admit_pass(struct ofd_emit *e, const struct ofd_batch *b)
{
	uint64_t pmax = 0;
	int budget = e->cfg.sender != NULL;
	const struct ofd_ip *cur = NULL; /* the exporter of the records being summed up */
	uint64_t sum = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (f->origin != OFD_ORIGIN_LOCAL) {
			if (f->origin > OFD_ORIGIN_LISTED) { /* unlisted (or unknown) */
				e->st.unlisted++;
				if (!e->cfg.from_any)
					continue;
			}
			if (budget && (!cur || memcmp(cur, &f->sampler_address, sizeof(*cur)) != 0)) {
				if (sum)
					ofd_budget_earn(&e->budget, cur, sum);
				cur = &f->sampler_address, sum = 0;
			}
			sum += f->export_bytes;
		}
		uint64_t pk = emit_packets(e, f);
		if (pk > pmax)
			pmax = pk;
	}
	if (sum)
		ofd_budget_earn(&e->budget, cur, sum);
	return pmax;
}

/*
 * Thinning: one pass finds q, an upper bound of every admissible live flow's odds (rate × the
 * largest escalation multiplier × packets); flows then become candidates with probability q
 * each, found by geometric skips (one random number per candidate, not per flow), and a
 * candidate is picked with probability p/q. Each flow is still picked with exactly its own odds
 * p, but at the default rate almost no flow costs more than a multiply and a compare, and
 * escalation filters run on candidates only. Records of unlisted exporters are never candidates
 * (unless from_any).
 */
uint32_t ofd_emit_batch(struct ofd_emit *e, const struct ofd_batch *b, uint64_t now_ns)
{
	double mmax = 1;
	for (size_t i = 0; i < e->cfg.nesc; i++)
		if (e->cfg.esc[i].mult > mmax)
			mmax = e->cfg.esc[i].mult;
	uint64_t pmax = admit_pass(e, b);
	e->st.flows += ofd_batch_live_count(b);
	double q = ofd_odds_p(e->cfg.rate * mmax, pmax);
	if (q <= 0)
		return 0;
	double lq = q < 1 ? log1p(-q) : 0;
	uint32_t made = 0;
	for (uint64_t i = 0;; i++) {
		if (q < 1) { /* skip the flows that are not candidates */
			double u = ofd_odds_uniform(&e->odds);
			double skip = floor(log1p(-u) / lq);
			if (skip >= (double)(b->n - i))
				break;
			i += (uint64_t)skip;
		}
		if (i >= b->n)
			break;
		if (!ofd_batch_is_live(b, (uint32_t)i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (f->origin > OFD_ORIGIN_LISTED && !e->cfg.from_any)
			continue; /* unlisted */
		enum ofd_tracer_class cls;
		double p = ofd_emit_p(e, f, &cls);
		if (!ofd_odds_pick(&e->odds, p / q))
			continue;
		e->st.selected++;
		if (cls != e->cfg.cls)
			e->st.escalated++;
		emit_one(e, f, cls, now_ns);
		made++;
	}
	return made;
}
