/*
 * The template cache's data side (see template.h): data sets decoded with a template's copy
 * plan, options data (sampling rates, the system init time), and the options state's merge.
 * Data sets allocate nothing.
 */
#include "template_int.h"

void ofd_tmpl_opts_merge(struct ofd_tmpl_opts *into, const struct ofd_tmpl_opts *o)
{
	struct ofd_tmpl_opts older = *o;
	if (o->opts_ns > into->opts_ns) {
		older = *into;
		*into = *o;
	}
	if (into->nsamplers > OFD_TMPL_SAMPLERS)
		into->nsamplers = OFD_TMPL_SAMPLERS;
	if (!into->rate)
		into->rate = older.rate;
	if (!into->has_sys_init && older.has_sys_init) {
		into->has_sys_init = 1;
		into->sys_init_ms = older.sys_init_ms;
	}
	for (unsigned i = 0;
	     i < older.nsamplers && i < OFD_TMPL_SAMPLERS && into->nsamplers < OFD_TMPL_SAMPLERS; i++) {
		unsigned j = 0;
		while (j < into->nsamplers && into->samplers[j].id != older.samplers[i].id)
			j++;
		if (j == into->nsamplers) {
			into->samplers[j].id = older.samplers[i].id;
			into->samplers[j].rate = older.samplers[i].rate;
			into->nsamplers++;
		}
	}
}

/* Options data: learn sampling rates and the system init time. */
static int options_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_tmpl *t,
			const uint8_t *p, size_t len)
{
	struct ofd_tmpl_opts *e = &m->ex->o;
	struct ofd_flow scratch = {0};
	for (;;) {
		size_t rl = t->plan.varlen ? ofd_ie_var_len(&t->plan, t->steps, p, len) : t->plan.min_len;
		if (rl == 0 || rl > len)
			break;
		struct ofd_ie_aux a = {0};
		ofd_ie_apply(&t->plan, t->steps, p, &scratch, &a, &m->ctx);
		d->st.options_records++;
		uint32_t rate = ofd_ie_rate(&a);
		if (rate || (a.have & OFD_IEA_SYS_INIT))
			e->opts_ns = m->dg->time_ns;
		if (rate) {
			e->rate = rate;
			if (a.have & OFD_IEA_SAMPLER_ID) {
				unsigned i = 0;
				while (i < e->nsamplers && e->samplers[i].id != a.sampler_id)
					i++;
				if (i == e->nsamplers) {
					if (e->nsamplers < OFD_TMPL_SAMPLERS)
						e->nsamplers++;
					else
						i = m->ex->next_sampler++ % OFD_TMPL_SAMPLERS;
				}
				e->samplers[i].id = a.sampler_id;
				e->samplers[i].rate = rate;
			}
		}
		if (a.have & OFD_IEA_SYS_INIT) {
			e->has_sys_init = m->ctx.has_sys_init = 1;
			e->sys_init_ms = m->ctx.sys_init_ms = a.sys_init_ms;
		}
		p += rl;
		len -= rl;
		if (!m->ex->had_data)
			ofd_tmpl_had_data(d->tc, m->ex);
	}
	return 0;
}

/* Sampling rate of a data record with its own sampling elements. */
static uint32_t record_rate(const struct ofd_tmpl_opts *e, const struct ofd_ie_aux *a)
{
	uint32_t r = ofd_ie_rate(a);
	if (r)
		return r;
	if (a->have & OFD_IEA_SAMPLER_ID)
		for (unsigned i = 0; i < e->nsamplers; i++)
			if (e->samplers[i].id == a->sampler_id)
				return e->samplers[i].rate;
	return e->rate;
}

#define MSG_PRESENT                                                                                          \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID))

int ofd_tmpl_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p, size_t len,
		  struct ofd_batch *b)
{
	struct ofd_tmpl *t = ofd_tmpl_live(d, m, tid);
	if (!t) {
		ofd_decode_drop(d, m->dg, OFD_DROP_UNKNOWN_TEMPLATE, OFD_ENOTFOUND,
				"data set without template");
		return 0;
	}
	if (t->options)
		return options_data(d, m, t, p, len);
	const struct ofd_ie_plan *plan = &t->plan;
	const struct ofd_dgram *dg = m->dg;
	uint32_t rate = m->ex->o.rate;
	struct ofd_fieldset present = plan->present; /* every record of the set has these */
	present.w[0] |= MSG_PRESENT | (rate ? OFD_W0(OFD_F_SAMPLING_RATE) : 0);
	int n = 0;
	for (;;) {
		size_t rl = plan->varlen ? ofd_ie_var_len(plan, t->steps, p, len) : plan->min_len;
		if (rl == 0 || rl > len)
			break; /* the rest is padding */
		struct ofd_flow *f = ofd_decode_add(d, b);
		f->present = present;
		f->type = m->type;
		f->time_received_ns = dg->time_ns;
		f->sequence_num = m->seq;
		f->sampling_rate = rate;
		f->sampler_address = dg->src;
		f->observation_domain_id = m->domain;
		struct ofd_ie_aux a;
		a.have = 0;
		ofd_ie_apply(plan, t->steps, p, f, &a, &m->ctx);
		if (plan->sampling) {
			f->sampling_rate = record_rate(&m->ex->o, &a);
			if (f->sampling_rate)
				f->present.w[0] |= OFD_W0(OFD_F_SAMPLING_RATE);
		}
		ofd_ie_post(f, &a, &m->ctx);
		p += rl;
		len -= rl;
		n++;
	}
	if (n && !m->ex->had_data)
		ofd_tmpl_had_data(d->tc, m->ex);
	return n;
}

int ofd_tmpl_padding(const struct ofd_rd *r)
{
	for (const uint8_t *p = r->p; p < r->end; p++)
		if (*p)
			return 0;
	return 1;
}

int ofd_tmpl_bad(struct ofd_decoder *d, const struct ofd_tmpl_msg *m, const char *what)
{
	return ofd_decode_drop(d, m->dg, OFD_DROP_BAD_TEMPLATE, OFD_EFORMAT, what);
}
