/*
 * The flow cache (meter.h). Entries live in one array allocated at the start; a free list, two
 * doubly linked lists by index and an open-addressing table of (hash, index) slots order and
 * find them:
 *
 *   recent  live flows by last packet, least recent first: inactive expiry and eviction
 *   ended   TCP flows after both FINs or a RST, by last packet: expiry after end_ns, evicted first
 *   age     every flow by first packet: active expiry
 *
 * Packet times drive everything: the clock is the newest time seen; each packet that moves it
 * first expires what is due (three list heads to look at when nothing is). A packet older than
 * the clock is metered at its own time but expires nothing (capture files are not always in
 * order across interfaces).
 */
#include "meter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct mkey {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t mpls;
	uint32_t in_if;
	uint16_t vlan;
	uint8_t proto, ipv;
};
_Static_assert(sizeof(struct mkey) == 48, "the key is six 8-byte words");

struct mentry {
	struct mkey k;
	uint64_t first, last, packets, bytes;
	uint64_t smac, dmac;
	uint32_t prev, next;   /* recent or ended list; next: free list */
	uint32_t aprev, anext; /* age list */
	uint32_t hash;
	uint32_t gen; /* bumped when the entry is freed: fragment references check it */
	uint32_t flow_label;
	uint16_t tcp_flags;
	uint8_t ttl_min, ttl_max, tos;
	uint8_t ended; /* on the ended list */
	uint8_t l2;    /* MACs seen */
};

struct mlist {
	uint32_t head, tail;
};

struct mslot {
	uint32_t hash;
	uint32_t idx1; /* entry index + 1; 0: empty */
};

/* A first fragment seen: later fragments with its identity join entry `idx` while gen matches. */
struct mfrag {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t idx, gen;
	uint8_t proto, used;
};

struct ofd_meter {
	struct ofd_meter_cfg cfg;
	struct ofd_meter_stats st;
	uint64_t now;
	uint64_t rng;	     /* xorshift64* state, random sampling */
	uint32_t sample_ctr; /* deterministic sampling */
	uint32_t mask;	     /* slots - 1 */
	uint32_t frag_mask;
	uint32_t free;
	struct mlist recent, ended, age;
	struct mentry *e;
	struct mslot *slots;
	struct mfrag *frags;
};

void ofd_meter_cfg_default(struct ofd_meter_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->active_ns = 30ull * 60 * 1000000000ull;
	c->inactive_ns = 15ull * 1000000000ull;
	c->end_ns = 5ull * 1000000000ull;
	c->maxflows = 65536;
	c->sample = 1;
}

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 1;
	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

int ofd_meter_new(struct ofd_meter **out, const struct ofd_meter_cfg *cfg)
{
	if (!cfg->maxflows || cfg->maxflows > (1u << 28))
		return -EINVAL;
	struct ofd_meter *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	uint32_t nslots = pow2_at_least((uint64_t)cfg->maxflows * 2);
	uint32_t nfrag = pow2_at_least(cfg->frag_slots ? cfg->frag_slots : 4096);
	m->mask = nslots - 1;
	m->frag_mask = nfrag - 1;
	m->e = calloc(cfg->maxflows, sizeof(*m->e));
	m->slots = calloc(nslots, sizeof(*m->slots));
	m->frags = calloc(nfrag, sizeof(*m->frags));
	if (!m->e || !m->slots || !m->frags) {
		ofd_meter_free(m);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->maxflows; i++)
		m->e[i].next = i + 1 < cfg->maxflows ? i + 1 : NIL;
	m->free = 0;
	m->recent.head = m->recent.tail = NIL;
	m->ended.head = m->ended.tail = NIL;
	m->age.head = m->age.tail = NIL;
	m->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
	*out = m;
	return 0;
}

void ofd_meter_free(struct ofd_meter *m)
{
	if (!m)
		return;
	free(m->e);
	free(m->slots);
	free(m->frags);
	free(m);
}

const struct ofd_meter_stats *ofd_meter_stats(const struct ofd_meter *m)
{
	return &m->st;
}

/* ---- hashing ---- */

static inline uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hash_side(const uint8_t a[16], uint16_t port)
{
	uint64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	return fmix64(x ^ (y + port) * 0x9e3779b97f4a7c15ull);
}

/* Symmetric in (src, sport) <-> (dst, dport): a packet and its reply hash alike. */
static inline uint32_t key_hash(const struct mkey *k)
{
	uint64_t s = hash_side(k->src, k->sport) + hash_side(k->dst, k->dport);
	uint64_t rest = (uint64_t)k->proto << 56 | (uint64_t)k->ipv << 48 | (uint64_t)k->vlan << 32 | k->mpls;
	return (uint32_t)fmix64(s ^ rest ^ (uint64_t)k->in_if * 0xc2b2ae3d27d4eb4full);
}

static inline int key_eq(const struct mkey *a, const struct mkey *b)
{
	uint64_t x[6], y[6];
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) |
		(x[5] ^ y[5])) == 0;
}

/* ---- lists ---- */

static void list_push(struct ofd_meter *m, struct mlist *l, uint32_t i)
{
	struct mentry *e = &m->e[i];
	e->next = NIL;
	e->prev = l->tail;
	if (l->tail != NIL)
		m->e[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void list_del(struct ofd_meter *m, struct mlist *l, uint32_t i)
{
	struct mentry *e = &m->e[i];
	if (e->prev != NIL)
		m->e[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		m->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
}

static void age_push(struct ofd_meter *m, uint32_t i)
{
	struct mentry *e = &m->e[i];
	e->anext = NIL;
	e->aprev = m->age.tail;
	if (m->age.tail != NIL)
		m->e[m->age.tail].anext = i;
	else
		m->age.head = i;
	m->age.tail = i;
}

static void age_del(struct ofd_meter *m, uint32_t i)
{
	struct mentry *e = &m->e[i];
	if (e->aprev != NIL)
		m->e[e->aprev].anext = e->anext;
	else
		m->age.head = e->anext;
	if (e->anext != NIL)
		m->e[e->anext].aprev = e->aprev;
	else
		m->age.tail = e->aprev;
}

/* ---- the table ---- */

/* The slot holding key k, or the empty slot where it would go (*hit 0). */
static inline uint32_t slot_find(const struct ofd_meter *m, const struct mkey *k, uint32_t h, int *hit)
{
	uint32_t i = h & m->mask;
	for (;;) {
		const struct mslot *s = &m->slots[i];
		if (!s->idx1) {
			*hit = 0;
			return i;
		}
		if (s->hash == h && key_eq(&m->e[s->idx1 - 1].k, k)) {
			*hit = 1;
			return i;
		}
		i = (i + 1) & m->mask;
	}
}

/* Remove entry idx's slot, shifting the probe run after it back (no tombstones). */
static void slot_remove(struct ofd_meter *m, uint32_t idx)
{
	uint32_t i = m->e[idx].hash & m->mask;
	while (m->slots[i].idx1 != idx + 1)
		i = (i + 1) & m->mask;
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->slots[j].idx1)
			break;
		uint32_t home = m->slots[j].hash & m->mask;
		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].idx1 = 0;
}

/* ---- emitting ---- */

#define METER_PRESENT                                                                                        \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SAMPLING_RATE) |                    \
	 OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END) | OFD_W0(OFD_F_BYTES) |                 \
	 OFD_W0(OFD_F_PACKETS) | OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_DST_ADDR) | OFD_W0(OFD_F_ETYPE) |     \
	 OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_SRC_PORT) | OFD_W0(OFD_F_DST_PORT) | OFD_W0(OFD_F_IN_IF) |       \
	 OFD_W0(OFD_F_IP_TOS) | OFD_W0(OFD_F_IP_TTL) | OFD_W0(OFD_F_TCP_FLAGS))

static void emit(struct ofd_meter *m, const struct mentry *e, struct ofd_batch *out)
{
	struct ofd_flow *f = ofd_batch_add(out);
	f->present.w[0] = METER_PRESENT;
	f->type = OFD_FT_UNKNOWN;
	f->time_received_ns = m->now > e->last ? m->now : e->last;
	f->time_flow_start_ns = e->first;
	f->time_flow_end_ns = e->last;
	f->bytes = e->bytes;
	f->packets = e->packets;
	f->sampling_rate = m->cfg.sample > 1 ? m->cfg.sample : 0;
	f->proto = e->k.proto;
	f->tcp_flags = e->tcp_flags;
	f->origin = OFD_ORIGIN_LOCAL;
	if (e->k.ipv == OFD_AF_INET6) {
		ofd_ip_set6(&f->src_addr, e->k.src);
		ofd_ip_set6(&f->dst_addr, e->k.dst);
		f->etype = 0x86dd;
		f->ipv6_flow_label = e->flow_label;
		f->present.w[0] |= OFD_W0(OFD_F_IPV6_FLOW_LABEL);
	} else {
		ofd_ip_set4(&f->src_addr, e->k.src + 12);
		ofd_ip_set4(&f->dst_addr, e->k.dst + 12);
		f->etype = 0x0800;
	}
	f->src_port = e->k.sport;
	f->dst_port = e->k.dport;
	f->in_if = e->k.in_if;
	f->ip_tos = e->tos;
	f->ip_ttl = e->ttl_min;
	if (e->k.proto == 1 || e->k.proto == 58) {
		f->icmp_type = (uint8_t)(e->k.dport >> 8);
		f->icmp_code = (uint8_t)e->k.dport;
		f->present.w[0] |= OFD_W0(OFD_F_ICMP_TYPE) | OFD_W0(OFD_F_ICMP_CODE);
	}
	if (e->l2) {
		f->src_mac = e->smac;
		f->dst_mac = e->dmac;
		f->present.w[0] |= OFD_W0(OFD_F_SRC_MAC) | OFD_W0(OFD_F_DST_MAC);
	}
	if (e->k.vlan) {
		f->vlan_id = e->k.vlan;
		f->src_vlan = e->k.vlan;
		f->present.w[0] |= OFD_W0(OFD_F_VLAN_ID) | OFD_W0(OFD_F_SRC_VLAN);
	}
	if (e->k.mpls) {
		f->mpls_label = e->k.mpls;
		f->present.w[0] |= OFD_W0(OFD_F_MPLS_LABEL);
	}
	m->st.exported++;
}

/* Emit entry i and free it. */
static void expire(struct ofd_meter *m, uint32_t i, struct ofd_batch *out)
{
	struct mentry *e = &m->e[i];
	emit(m, e, out);
	slot_remove(m, i);
	list_del(m, e->ended ? &m->ended : &m->recent, i);
	age_del(m, i);
	e->gen++;
	e->next = m->free;
	m->free = i;
	m->st.entries--;
}

/* Emit what is due at m->now. */
static void expire_due(struct ofd_meter *m, struct ofd_batch *out)
{
	const uint64_t now = m->now;
	if (m->cfg.inactive_ns)
		while (m->recent.head != NIL && now - m->e[m->recent.head].last > m->cfg.inactive_ns) {
			m->st.expired_inactive++;
			expire(m, m->recent.head, out);
		}
	while (m->ended.head != NIL && now - m->e[m->ended.head].last > m->cfg.end_ns) {
		m->st.expired_end++;
		expire(m, m->ended.head, out);
	}
	if (m->cfg.active_ns)
		while (m->age.head != NIL && now - m->e[m->age.head].first > m->cfg.active_ns) {
			m->st.expired_active++;
			expire(m, m->age.head, out);
		}
}

void ofd_meter_advance(struct ofd_meter *m, uint64_t now_ns, struct ofd_batch *out)
{
	if (now_ns > m->now) {
		m->now = now_ns;
		expire_due(m, out);
	}
}

void ofd_meter_flush(struct ofd_meter *m, struct ofd_batch *out)
{
	while (m->age.head != NIL) {
		m->st.expired_flush++;
		expire(m, m->age.head, out);
	}
}

/* A free entry, evicting an ended flow, else the least recently seen one, when there is none. */
static uint32_t entry_alloc(struct ofd_meter *m, struct ofd_batch *out)
{
	if (m->free == NIL) {
		uint32_t victim = m->ended.head != NIL ? m->ended.head : m->recent.head;
		m->st.emergency_expired++;
		expire(m, victim, out);
	}
	uint32_t i = m->free;
	m->free = m->e[i].next;
	return i;
}

/* ---- metering ---- */

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

static void tcp_end(struct ofd_meter *m, uint32_t i)
{
	struct mentry *e = &m->e[i];
	if (e->ended)
		return;
	list_del(m, &m->recent, i);
	e->ended = 1;
	list_push(m, &m->ended, i);
}

/* The entry of the reverse direction of e, or NIL. */
static uint32_t reverse_of(const struct ofd_meter *m, const struct mentry *e)
{
	struct mkey r = e->k;
	memcpy(r.src, e->k.dst, 16);
	memcpy(r.dst, e->k.src, 16);
	r.sport = e->k.dport;
	r.dport = e->k.sport;
	int hit;
	uint32_t s = slot_find(m, &r, e->hash, &hit); /* symmetric: the same hash */
	return hit ? m->slots[s].idx1 - 1 : NIL;
}

static uint32_t frag_slot(const struct ofd_meter *m, const struct ofd_pkt *p)
{
	uint64_t h = hash_side(p->src.b, p->proto) ^ fmix64(hash_side(p->dst.b, 0) + p->frag_id);
	return (uint32_t)h & m->frag_mask;
}

static int frag_eq(const struct mfrag *f, const struct ofd_pkt *p)
{
	return f->used && f->id == p->frag_id && f->proto == p->proto && !memcmp(f->src, p->src.b, 16) &&
	       !memcmp(f->dst, p->dst.b, 16);
}

static void meter_ip(struct ofd_meter *m, const struct ofd_pkt *p, uint64_t ts, uint32_t wire_len,
		     uint32_t in_if, struct ofd_batch *out)
{
	if (ts > m->now) {
		m->now = ts;
		expire_due(m, out);
	}
	m->st.metered++;
	uint32_t idx = NIL;
	unsigned layers = p->layers;
	struct mkey k;
	memcpy(k.src, p->src.b, 16);
	memcpy(k.dst, p->dst.b, 16);
	k.sport = 0;
	k.dport = 0;
	k.mpls = (layers & OFD_PKT_MPLS) ? p->mpls_label : 0;
	k.in_if = in_if;
	k.vlan = (layers & OFD_PKT_VLAN) ? p->vlan : 0;
	k.proto = p->proto;
	k.ipv = p->src.family;
	if (layers & OFD_PKT_L4) {
		if (p->proto == 1 || p->proto == 58)
			k.dport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
		else {
			k.sport = p->src_port;
			k.dport = p->dst_port;
		}
	}
	if ((layers & OFD_PKT_FRAG) && p->frag_offset) {
		/* a later fragment: its first's flow, if that is known and alive */
		const struct mfrag *fr = &m->frags[frag_slot(m, p)];
		if (frag_eq(fr, p) && m->e[fr->idx].gen == fr->gen) {
			idx = fr->idx;
			m->st.frag_matched++;
		} else {
			m->st.frag_unmatched++;
		}
	}
	uint16_t flags = p->proto == 6 ? p->tcp_flags : 0;
	uint32_t h = idx == NIL ? key_hash(&k) : 0;
	if (idx == NIL) {
		int hit;
		uint32_t s = slot_find(m, &k, h, &hit);
		if (hit) {
			idx = m->slots[s].idx1 - 1;
			/* a new connection on an ended flow's ports starts a new flow */
			if (m->e[idx].ended && (flags & (TH_SYN | TH_ACK)) == TH_SYN) {
				m->st.expired_end++;
				expire(m, idx, out);
				hit = 0;
				s = slot_find(m, &k, h, &hit);
			}
		}
		if (!hit) {
			if (m->free == NIL) {
				idx = entry_alloc(m, out); /* eviction moves slots: find the hole again */
				s = slot_find(m, &k, h, &hit);
			} else {
				idx = m->free;
				m->free = m->e[idx].next;
			}
			struct mentry *e = &m->e[idx];
			e->k = k;
			e->hash = h;
			e->first = e->last = ts;
			e->packets = e->bytes = 0;
			e->tcp_flags = 0;
			e->ttl_min = e->ttl_max = p->ttl;
			e->tos = p->tos;
			e->flow_label = p->flow_label;
			e->ended = 0;
			e->l2 = (layers & OFD_PKT_L2) != 0;
			e->smac = p->src_mac;
			e->dmac = p->dst_mac;
			m->slots[s].hash = h;
			m->slots[s].idx1 = idx + 1;
			list_push(m, &m->recent, idx);
			age_push(m, idx);
			m->st.flows++;
			if (++m->st.entries > m->st.entries_max)
				m->st.entries_max = m->st.entries;
		} else if (!m->e[idx].ended) {
			list_del(m, &m->recent, idx);
			list_push(m, &m->recent, idx);
		} else {
			list_del(m, &m->ended, idx);
			list_push(m, &m->ended, idx);
		}
		if ((layers & OFD_PKT_FRAG) && !p->frag_offset) {
			/* a first fragment: remember it for the rest */
			struct mfrag *fr = &m->frags[frag_slot(m, p)];
			memcpy(fr->src, p->src.b, 16);
			memcpy(fr->dst, p->dst.b, 16);
			fr->id = p->frag_id;
			fr->proto = p->proto;
			fr->idx = idx;
			fr->gen = m->e[idx].gen;
			fr->used = 1;
		}
	} else {
		struct mentry *e = &m->e[idx];
		list_del(m, e->ended ? &m->ended : &m->recent, idx);
		list_push(m, e->ended ? &m->ended : &m->recent, idx);
	}
	struct mentry *e = &m->e[idx];
	e->packets++;
	e->bytes += p->ip_len ? p->ip_len : wire_len;
	if (ts > e->last)
		e->last = ts;
	if (ts < e->first)
		e->first = ts;
	if (p->ttl < e->ttl_min)
		e->ttl_min = p->ttl;
	if (p->ttl > e->ttl_max)
		e->ttl_max = p->ttl;
	e->tcp_flags |= flags;
	if ((flags & (TH_FIN | TH_RST)) && !e->ended) {
		uint32_t r = reverse_of(m, e);
		if (flags & TH_RST) {
			tcp_end(m, idx);
			if (r != NIL)
				tcp_end(m, r);
		} else if (r != NIL && (m->e[r].tcp_flags & TH_FIN)) {
			tcp_end(m, idx);
			tcp_end(m, r);
		}
	}
}

/* 1 when this packet is sampled (always without sampling). */
static inline int sampled(struct ofd_meter *m)
{
	uint32_t n = m->cfg.sample;
	if (n <= 1)
		return 1;
	if (m->cfg.sampling == OFD_METER_SAMPLE_RANDOM) {
		uint64_t x = m->rng; /* xorshift64* */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		m->rng = x;
		return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32) % n == 0;
	}
	if (++m->sample_ctr < n)
		return 0;
	m->sample_ctr = 0;
	return 1;
}

void ofd_meter_packet(struct ofd_meter *m, const struct ofd_pkt *p, uint64_t ts_ns, uint32_t wire_len,
		      uint32_t in_if, struct ofd_batch *out)
{
	m->st.packets++;
	if (!sampled(m)) {
		m->st.sampled_out++;
		return;
	}
	if (!(p->layers & OFD_PKT_IP)) {
		m->st.not_ip++;
		return;
	}
	meter_ip(m, p, ts_ns, wire_len, in_if, out);
}

void ofd_meter_frame(struct ofd_meter *m, int link, const uint8_t *data, uint32_t caplen, uint32_t wire_len,
		     uint64_t ts_ns, uint32_t in_if, struct ofd_batch *out)
{
	struct ofd_pkt p;
	m->st.packets++;
	if (!sampled(m)) {
		m->st.sampled_out++;
		return;
	}
	(void)ofd_pkt_parse(&p, link, data, caplen);
	if (!(p.layers & OFD_PKT_IP)) {
		m->st.not_ip++;
		return;
	}
	meter_ip(m, &p, ts_ns, wire_len, in_if, out);
}

uint32_t ofd_meter_hash(const struct ofd_pkt *p, uint32_t in_if)
{
	struct mkey k;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, p->src.b, 16);
	memcpy(k.dst, p->dst.b, 16);
	if ((p->layers & OFD_PKT_L4) && p->proto != 1 && p->proto != 58) {
		k.sport = p->src_port;
		k.dport = p->dst_port;
	}
	k.mpls = (p->layers & OFD_PKT_MPLS) ? p->mpls_label : 0;
	k.in_if = in_if;
	k.vlan = (p->layers & OFD_PKT_VLAN) ? p->vlan : 0;
	k.proto = p->proto;
	k.ipv = p->src.family;
	return key_hash(&k);
}
