#include "emit.h"

#include <math.h>
#include <string.h>

void ofd_emit_init(struct ofd_emit *e, const struct ofd_emit_cfg *cfg)
{
	memset(&e->st, 0, sizeof(e->st));
	e->cfg = *cfg;
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

/*
 * Build, admit, sign, print and queue one tracer about f. The body is built first (cheap; a
 * field too large even when truncated fails here, before anything is counted by the sender);
 * the sender then admits its destinations (policy, dedup, buckets, queue room: see
 * ofd_sender_admit); only a tracer that is printed or admitted somewhere is signed.
 */
static void emit_one(struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class cls, uint64_t now_ns)
{
	struct ofd_tracer_meta m = {cls, e->cfg.contact, (double)(now_ns / 1000) / 1e6};
	int blen = ofd_tracer_body(e->body, sizeof(e->body), f, &m, OFD_TRACER_UDP_MAX);
	if (blen < 0) {
		e->st.failed++;
		return;
	}
	struct ofd_send_ticket t = {0};
	if (e->cfg.sender)
		(void)ofd_sender_admit(e->cfg.sender, f, now_ns, &t);
	if (!t.n && !e->cfg.print)
		return; /* nobody takes it: no signature spent */
	int len = ofd_tracer_sign(e->line, sizeof(e->line), e->body, (size_t)blen, e->cfg.key);
	if (len < 0) {
		e->st.failed++;
		if (e->cfg.sender)
			ofd_sender_queue(e->cfg.sender, &t, NULL, 0, NULL, 0); /* counted too_large */
		return;
	}
	e->st.signatures++;
	if (e->cfg.print) {
		ofd_wbuf_reserve(e->cfg.print);
		if (e->cfg.print->cap - e->cfg.print->len > (size_t)len + 1) {
			ofd_wbuf_mem(e->cfg.print, e->line, (size_t)len);
			ofd_wbuf_ch(e->cfg.print, '\n');
		}
	}
	if (e->cfg.sender)
		ofd_sender_queue(e->cfg.sender, &t, e->line, (size_t)len, NULL, 0);
}

/*
 * Thinning: one pass finds q, an upper bound of every live flow's odds (rate × the largest
 * escalation multiplier × packets); flows then become candidates with probability q each,
 * found by geometric skips (one random number per candidate, not per flow), and a candidate is
 * picked with probability p/q. Each flow is still picked with exactly its own odds p, but at the
 * default rate almost no flow costs more than a multiply and a compare, and escalation filters
 * run on candidates only.
 */
uint32_t ofd_emit_batch(struct ofd_emit *e, const struct ofd_batch *b, uint64_t now_ns)
{
	double mmax = 1;
	for (size_t i = 0; i < e->cfg.nesc; i++)
		if (e->cfg.esc[i].mult > mmax)
			mmax = e->cfg.esc[i].mult;
	uint64_t pmax = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		uint64_t pk = emit_packets(e, &b->flows[i]);
		if (pk > pmax)
			pmax = pk;
	}
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
