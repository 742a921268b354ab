/*
 * Admission and queueing of tracers (send.h), from any thread, under the sender's mutex:
 * ofd_sender_admit() runs the checks for each destination (policy, dedup, per-address bucket,
 * global bucket for flow ends; the relay's bucket for relays) before the tracer is signed;
 * ofd_sender_queue() copies the signed tracer into a free slot, appends it to the queue and
 * wakes the sender thread (sendthr.c).
 */
#include <string.h>

#include "tracer/send_int.h"

/*
 * The checks for one flow end, under mu: 0 if it may be queued, else the reason it is not. Each
 * check only looks until all passed, and then all are spent: an end refused by a later check
 * keeps its address's token and is not remembered as sent (a retry is not a duplicate).
 */
static int end_check(struct ofd_sender *s, const struct ofd_flow *f, const struct ofd_ip *a, uint64_t now_ns)
{
	switch (ofd_policy_check(&s->policy, a)) {
	case OFD_PV_RESERVED: return OFD_SD_RESERVED + 1;
	case OFD_PV_DENIED: return OFD_SD_DENIED + 1;
	case OFD_PV_ALLOW: break;
	}
	if (s->dedup && ofd_dedup_peek(s->dedup, f, a, now_ns))
		return OFD_SD_DUPLICATE + 1;
	if (!ofd_limiter_peek(s->addrlim, a, now_ns))
		return OFD_SD_ADDR_RATE + 1;
	if (!ofd_bucket_peek(&s->global, now_ns))
		return OFD_SD_RATE + 1;
	if (s->dedup)
		(void)ofd_dedup_seen(s->dedup, f, a, now_ns);
	(void)ofd_limiter_take(s->addrlim, a, now_ns);
	(void)ofd_bucket_take(&s->global, now_ns);
	return 0;
}

/* Pick the destinations of one tracer, under mu; the number of deliveries to queue. */
static unsigned pick(struct ofd_sender *s, const struct ofd_flow *f, uint64_t now_ns,
		     struct ofd_send_dests *tmp)
{
	unsigned n = 0;
	tmp->ndest = 0;
	tmp->relays = 0;
	if (s->nrelays) {
		for (size_t i = 0; i < s->nrelays; i++) {
			if (ofd_bucket_take(&s->relay[i].bucket, now_ns)) {
				tmp->relays |= UINT64_C(1) << i;
				n++;
			} else {
				s->st.not_sent[OFD_SD_RATE]++;
			}
		}
		return n;
	}
	const struct ofd_ip *ends[2] = {&f->src_addr, &f->dst_addr};
	for (int i = 0; i < 2; i++) {
		if (ends[i]->family != OFD_AF_INET && ends[i]->family != OFD_AF_INET6)
			continue;
		struct ofd_ip a = *ends[i];
		if (ofd_ip_is_v4mapped(&a))
			a.family = OFD_AF_INET;
		int why = end_check(s, f, &a, now_ns);
		if (why) {
			s->st.not_sent[why - 1]++;
			continue;
		}
		tmp->dest[tmp->ndest++] = a;
		n++;
	}
	return n;
}

unsigned ofd_sender_admit(struct ofd_sender *s, const struct ofd_flow *f, uint64_t now_ns,
			  struct ofd_send_ticket *t)
{
	pthread_mutex_lock(&s->mu);
	s->st.offered++;
	unsigned n = pick(s, f, now_ns, &t->d);
	int why = s->stopped ? OFD_SD_ERROR : s->count >= s->cfg.queue_max ? OFD_SD_QUEUE_FULL : -1;
	if (n && why >= 0) {
		s->st.not_sent[why] += n;
		n = 0;
	}
	pthread_mutex_unlock(&s->mu);
	t->n = n;
	return n;
}

void ofd_sender_queue(struct ofd_sender *s, const struct ofd_send_ticket *t, const char *tracer, size_t len,
		      const char *udp, size_t udp_len)
{
	if (!t->n)
		return;
	int queued = 0;
	pthread_mutex_lock(&s->mu);
	int why = len == 0 || len > OFD_TRACER_HTTP_MAX || (udp && udp_len > OFD_TRACER_UDP_MAX)
		      ? OFD_SD_TOO_LARGE
		  : s->stopped			 ? OFD_SD_ERROR
		  : s->count >= s->cfg.queue_max ? OFD_SD_QUEUE_FULL
						 : -1;
	if (why >= 0) {
		s->st.not_sent[why] += t->n;
		goto out;
	}
	uint32_t i = s->free[--s->nfree]; /* see send_int.h: never empty while the queue has room */
	struct slot *q = &s->slots[i];
	s->ring[(s->head + s->count) % s->cfg.queue_max] = i;
	q->len = (uint32_t)len;
	q->refs = 0;
	q->sealed = 0;
	q->d = t->d;
	memcpy(q->data, tracer, len);
	q->udp_len = udp ? (uint32_t)udp_len : 0;
	if (udp)
		memcpy(q->udp, udp, udp_len);
	s->count++;
	queued = 1;
out:
	pthread_mutex_unlock(&s->mu);
	if (queued)
		curl_multi_wakeup(s->multi);
}

void ofd_sender_offer(struct ofd_sender *s, const struct ofd_flow *f, const char *tracer, size_t len,
		      uint64_t now_ns)
{
	struct ofd_send_ticket t;
	if (len == 0 || len > OFD_TRACER_HTTP_MAX) { /* every check, then too_large (before the queue's) */
		pthread_mutex_lock(&s->mu);
		s->st.offered++;
		s->st.not_sent[OFD_SD_TOO_LARGE] += pick(s, f, now_ns, &t.d);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (ofd_sender_admit(s, f, now_ns, &t))
		ofd_sender_queue(s, &t, tracer, len, NULL, 0);
}

void ofd_sender_slot_release(struct ofd_sender *s, uint32_t i)
{
	pthread_mutex_lock(&s->mu);
	s->free[s->nfree++] = i;
	pthread_mutex_unlock(&s->mu);
}
