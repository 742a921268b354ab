#include "emit.h"

#include <string.h>

void ofd_emit_init(struct ofd_emit *e, const struct ofd_emit_cfg *cfg)
{
	memset(&e->st, 0, sizeof(e->st));
	e->cfg = *cfg;
	ofd_odds_init(&e->odds, cfg->seeded, cfg->seed);
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
	uint64_t packets = f->packets;
	if (e->cfg.normalize && !f->normalized && f->sampling_rate > 1)
		packets = packets > UINT64_MAX / f->sampling_rate ? UINT64_MAX : packets * f->sampling_rate;
	return ofd_odds_p(e->cfg.rate * mult, packets);
}

/* Build, sign, print and offer one tracer about f. */
static void emit_one(struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class cls, uint64_t now_ns)
{
	struct ofd_tracer_meta m = {cls, e->cfg.contact, (double)(now_ns / 1000) / 1e6};
	int blen = ofd_tracer_body(e->body, sizeof(e->body), f, &m, OFD_TRACER_UDP_MAX);
	int len =
	    blen < 0 ? blen : ofd_tracer_sign(e->line, sizeof(e->line), e->body, (size_t)blen, e->cfg.key);
	if (len < 0) {
		e->st.failed++;
		return;
	}
	if (e->cfg.print) {
		ofd_wbuf_reserve(e->cfg.print);
		if (e->cfg.print->cap - e->cfg.print->len > (size_t)len + 1) {
			ofd_wbuf_mem(e->cfg.print, e->line, (size_t)len);
			ofd_wbuf_ch(e->cfg.print, '\n');
		}
	}
	if (e->cfg.sender)
		ofd_sender_offer(e->cfg.sender, f, e->line, (size_t)len, now_ns);
}

uint32_t ofd_emit_batch(struct ofd_emit *e, const struct ofd_batch *b, uint64_t now_ns)
{
	uint32_t made = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		enum ofd_tracer_class cls;
		double p = ofd_emit_p(e, f, &cls);
		e->st.flows++;
		if (!ofd_odds_pick(&e->odds, p))
			continue;
		e->st.selected++;
		if (cls != e->cfg.cls)
			e->st.escalated++;
		emit_one(e, f, cls, now_ns);
		made++;
	}
	return made;
}
