/*
 * IPFIX / NetFlow v9 export messages (see flowexport.h): the element table, the templates built
 * from it, and the per-record copy loop into the message buffer.
 */
#include "flowexport.h"

#include <string.h>

/* How a member is written. */
enum fx_kind {
	K_U8,	 /* uint8_t -> 1 byte */
	K_U16,	 /* uint16_t -> 2 */
	K_U16_1, /* uint16_t -> 1 (v9 TCP_FLAGS: the 8 classic bits) */
	K_U32,	 /* uint32_t -> 4 */
	K_U32_1, /* uint32_t -> 1 (forwardingStatus: its low byte, as decoders store it) */
	K_U64,	 /* uint64_t -> 8 */
	K_A4,	 /* struct ofd_ip -> 4 (an IPv6 address: 0.0.0.0) */
	K_A6,	 /* struct ofd_ip -> 16 (an IPv4 address: ::) */
	K_MAC,	 /* uint64_t, 48 bits -> 6 */
	K_MS,	 /* ns -> epoch ms, 8 */
	K_UP,	 /* ns -> ms since boot_ms, 4 (0 ns: the export time) */
	K_ICMP,	 /* icmp_type, icmp_code -> type << 8 | code, 2 */
	K_VLAN,	 /* src_vlan (vlan_id when 0) -> 2 */
};

/* One element: which template family it goes in (0 both, 4, 6, 'm' MAC templates only), the
   field that `fields` must hold for it, its ids and kinds in IPFIX and v9. */
struct fx_el {
	uint16_t ipfix, v9;
	uint8_t kind_ipfix, kind_v9;
	uint8_t fam;
	uint8_t field;
	uint16_t off;
};

#define OFF(m) ((uint16_t)offsetof(struct ofd_flow, m))

/* clang-format off */
static const struct fx_el fx_elements[] = {
	{8,   8,   K_A4,   K_A4,    4,   OFD_F_SRC_ADDR,          OFF(src_addr)},
	{12,  12,  K_A4,   K_A4,    4,   OFD_F_DST_ADDR,          OFF(dst_addr)},
	{27,  27,  K_A6,   K_A6,    6,   OFD_F_SRC_ADDR,          OFF(src_addr)},
	{28,  28,  K_A6,   K_A6,    6,   OFD_F_DST_ADDR,          OFF(dst_addr)},
	{15,  15,  K_A4,   K_A4,    4,   OFD_F_NEXT_HOP,          OFF(next_hop)},
	{62,  62,  K_A6,   K_A6,    6,   OFD_F_NEXT_HOP,          OFF(next_hop)},
	{18,  18,  K_A4,   K_A4,    4,   OFD_F_BGP_NEXT_HOP,      OFF(bgp_next_hop)},
	{63,  63,  K_A6,   K_A6,    6,   OFD_F_BGP_NEXT_HOP,      OFF(bgp_next_hop)},
	{1,   1,   K_U64,  K_U64,   0,   OFD_F_BYTES,             OFF(bytes)},
	{2,   2,   K_U64,  K_U64,   0,   OFD_F_PACKETS,           OFF(packets)},
	{152, 22,  K_MS,   K_UP,    0,   OFD_F_TIME_FLOW_START,   OFF(time_flow_start_ns)},
	{153, 21,  K_MS,   K_UP,    0,   OFD_F_TIME_FLOW_END,     OFF(time_flow_end_ns)},
	{10,  10,  K_U32,  K_U32,   0,   OFD_F_IN_IF,             OFF(in_if)},
	{14,  14,  K_U32,  K_U32,   0,   OFD_F_OUT_IF,            OFF(out_if)},
	{16,  16,  K_U32,  K_U32,   0,   OFD_F_SRC_AS,            OFF(src_as)},
	{17,  17,  K_U32,  K_U32,   0,   OFD_F_DST_AS,            OFF(dst_as)},
	{34,  34,  K_U32,  K_U32,   0,   OFD_F_SAMPLING_RATE,     OFF(sampling_rate)},
	{7,   7,   K_U16,  K_U16,   0,   OFD_F_SRC_PORT,          OFF(src_port)},
	{11,  11,  K_U16,  K_U16,   0,   OFD_F_DST_PORT,          OFF(dst_port)},
	{6,   6,   K_U16,  K_U16_1, 0,   OFD_F_TCP_FLAGS,         OFF(tcp_flags)},
	{32,  32,  K_ICMP, K_ICMP,  4,   OFD_F_ICMP_TYPE,         OFF(icmp_type)},
	{139, 32,  K_ICMP, K_ICMP,  6,   OFD_F_ICMP_TYPE,         OFF(icmp_type)},
	{58,  58,  K_VLAN, K_VLAN,  0,   OFD_F_SRC_VLAN,          OFF(src_vlan)},
	{59,  59,  K_U16,  K_U16,   0,   OFD_F_DST_VLAN,          OFF(dst_vlan)},
	{4,   4,   K_U8,   K_U8,    0,   OFD_F_PROTO,             OFF(proto)},
	{5,   5,   K_U8,   K_U8,    0,   OFD_F_IP_TOS,            OFF(ip_tos)},
	{9,   9,   K_U8,   K_U8,    4,   OFD_F_SRC_NET,           OFF(src_net)},
	{13,  13,  K_U8,   K_U8,    4,   OFD_F_DST_NET,           OFF(dst_net)},
	{29,  29,  K_U8,   K_U8,    6,   OFD_F_SRC_NET,           OFF(src_net)},
	{30,  30,  K_U8,   K_U8,    6,   OFD_F_DST_NET,           OFF(dst_net)},
	{89,  89,  K_U32_1, K_U32_1, 0,  OFD_F_FORWARDING_STATUS, OFF(forwarding_status)},
	{61,  61,  K_U8,   K_U8,    0,   OFD_F_FLOW_DIRECTION,    OFF(flow_direction)},
	{56,  56,  K_MAC,  K_MAC,   'm', OFD_F_SRC_MAC,           OFF(src_mac)},
	{80,  80,  K_MAC,  K_MAC,   'm', OFD_F_DST_MAC,           OFF(dst_mac)},
};
/* clang-format on */

_Static_assert(OFD_F_FLOW_DIRECTION < 256 && OFD_F_FORWARDING_STATUS < 256, "field ids fit a byte");
_Static_assert(sizeof(fx_elements) / sizeof(fx_elements[0]) <= OFD_FX_STEPS_MAX, "steps fit a template");

static const uint8_t kind_len[] = {
    [K_U8] = 1,	 [K_U16] = 2, [K_U16_1] = 1, [K_U32] = 4, [K_U32_1] = 1, [K_U64] = 8,  [K_A4] = 4,
    [K_A6] = 16, [K_MAC] = 6, [K_MS] = 8,    [K_UP] = 4,  [K_ICMP] = 2,	 [K_VLAN] = 2,
};

static inline void put16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

/* Data template ti: IPv4 (0) or IPv6 (1), with MACs (2, 3). */
static void build_tmpl(struct ofd_fx_tmpl *t, int version, unsigned ti, const struct ofd_fieldset *fields)
{
	int v6 = ti & 1, mac = ti >> 1;
	memset(t, 0, sizeof(*t));
	t->id = (uint16_t)(OFD_FX_TMPL_V4 + ti);
	for (size_t i = 0; i < sizeof(fx_elements) / sizeof(fx_elements[0]); i++) {
		const struct fx_el *e = &fx_elements[i];
		if (e->fam == 'm' ? !mac : e->fam && e->fam != (v6 ? 6 : 4))
			continue;
		if (fields && !ofd_fieldset_has(fields, e->field))
			continue;
		uint8_t k = version == OFD_FX_V9 ? e->kind_v9 : e->kind_ipfix;
		t->wire_ids[t->nsteps] = version == OFD_FX_V9 ? e->v9 : e->ipfix;
		t->steps[t->nsteps++] = (struct ofd_fx_step){e->off, k, kind_len[k]};
		t->rec_len = (uint16_t)(t->rec_len + kind_len[k]);
	}
}

/* v9 flowsets end on a 4-byte boundary (RFC 3954 SHOULD); IPFIX sets are not padded. */
static size_t pad_of(int version, size_t len)
{
	return version == OFD_FX_V9 ? (4 - len % 4) % 4 : 0;
}

/* The template set(s), the options template and the options record, into x->tsets. */
static void build_tsets(struct ofd_fx *x)
{
	uint8_t *p = x->tsets, *set = p;
	int v9 = x->version == OFD_FX_V9;
	uint16_t count = 0;
	put16(p, v9 ? 0 : 2); /* template set */
	p += 4;
	for (unsigned i = 0; i < OFD_FX_NTMPL; i++) {
		const struct ofd_fx_tmpl *t = &x->t[i];
		if (!t->nsteps || (!x->mac && i >= 2))
			continue;
		put16(p, t->id);
		put16(p + 2, t->nsteps);
		p += 4;
		for (unsigned k = 0; k < t->nsteps; k++, p += 4) {
			put16(p, t->wire_ids[k]);
			put16(p + 2, t->steps[k].len);
		}
		count++;
	}
	put16(set + 2, (uint16_t)(p - set));
	/* the options template */
	set = p;
	put16(p, v9 ? 1 : 3);
	p += 4;
	put16(p, OFD_FX_TMPL_OPTIONS);
	if (v9) {
		static const uint16_t f[] = {1, 4, 34, 4, 35, 1}; /* scope System; interval, algorithm */
		put16(p + 2, 4);				  /* scope bytes */
		put16(p + 4, 8);				  /* option bytes */
		p += 6;
		for (unsigned i = 0; i < 6; i++, p += 2)
			put16(p, f[i]);
	} else {
		static const uint16_t f[] = {149, 4, 34, 4, 35, 1, 160, 8}; /* scope domain; rate, init */
		put16(p + 2, 4);					    /* fields */
		put16(p + 4, 1);					    /* scope fields */
		p += 6;
		for (unsigned i = 0; i < 8; i++, p += 2)
			put16(p, f[i]);
	}
	for (size_t k = pad_of(x->version, (size_t)(p - set)); k; k--)
		*p++ = 0;
	put16(set + 2, (uint16_t)(p - set));
	count++;
	/* the options record */
	set = p;
	put16(p, OFD_FX_TMPL_OPTIONS);
	p += 4;
	put32(p, x->domain);
	put32(p + 4, x->sampling_rate);
	p[8] = x->sampling_rate > 1; /* samplingAlgorithm: 1 deterministic (0: not sampled) */
	p += 9;
	if (!v9) {
		put64(p, x->init_ms);
		p += 8;
	}
	for (size_t k = pad_of(x->version, (size_t)(p - set)); k; k--)
		*p++ = 0;
	put16(set + 2, (uint16_t)(p - set));
	count++;
	x->tsets_len = (uint16_t)(p - x->tsets);
	x->tsets_count = count;
}

int ofd_fx_init(struct ofd_fx *x, int version, const struct ofd_fieldset *fields, uint32_t domain,
		uint32_t mtu, uint32_t sampling_rate, uint64_t init_ms)
{
	memset(x, 0, sizeof(*x));
	if ((version != OFD_FX_IPFIX && version != OFD_FX_V9) || mtu < OFD_FX_MTU_MIN || mtu > OFD_FX_MTU_MAX)
		return OFD_ECONFIG;
	x->version = version;
	x->domain = domain;
	x->mtu = mtu;
	x->sampling_rate = sampling_rate;
	x->init_ms = init_ms;
	x->boot_ms = init_ms;
	x->full = !fields;
	x->mac =
	    !fields || ofd_fieldset_has(fields, OFD_F_SRC_MAC) || ofd_fieldset_has(fields, OFD_F_DST_MAC);
	for (unsigned i = 0; i < OFD_FX_NTMPL; i++)
		build_tmpl(&x->t[i], version, i, fields);
	if (!x->t[0].nsteps || !x->t[1].nsteps)
		return OFD_ECONFIG;
	build_tsets(x);
	/* a message with the templates must hold a record too, the longest one */
	unsigned longest = 0;
	for (unsigned i = 0; i < (x->mac ? 4u : 2u); i++)
		longest = x->t[i].rec_len > longest ? x->t[i].rec_len : longest;
	x->mtu_need = (version == OFD_FX_V9 ? 20u : 16u) + x->tsets_len + 4u + longest + 3u;
	return mtu < x->mtu_need ? OFD_ELIMIT : 0;
}

/* The export time of a message: export_ms rounded up to a whole second (the header has seconds;
   up, so that flows that ended within the last second are not after it). */
static inline uint64_t whole_s(uint64_t export_ms)
{
	return (export_ms + 999) / 1000 * 1000;
}

static uint8_t *hdr_end(struct ofd_fx *x)
{
	return x->buf + (x->version == OFD_FX_V9 ? 20 : 16);
}

void ofd_fx_begin(struct ofd_fx *x, uint8_t *buf, uint64_t export_ms, int templates)
{
	x->buf = buf;
	x->export_ms = whole_s(export_ms);
	x->p = hdr_end(x);
	x->set = NULL;
	x->records = 0;
	x->count = 0;
	if (templates) {
		memcpy(x->p, x->tsets, x->tsets_len);
		x->p += x->tsets_len;
		x->count = x->tsets_count;
	}
}

static void close_set(struct ofd_fx *x)
{
	if (!x->set)
		return;
	for (size_t k = pad_of(x->version, (size_t)(x->p - x->set)); k; k--)
		*x->p++ = 0;
	put16(x->set + 2, (uint16_t)(x->p - x->set));
	x->set = NULL;
}

/* Record f by template t at p; returns the end. */
static inline uint8_t *put_record(const struct ofd_fx *x, const struct ofd_fx_tmpl *t,
				  const struct ofd_flow *f, uint8_t *p)
{
	static const uint8_t zero[16];
	const char *m = (const char *)f;
	for (const struct ofd_fx_step *s = t->steps, *end = s + t->nsteps; s < end; s++) {
		const char *v = m + s->off;
		switch ((enum fx_kind)s->kind) {
		case K_U8: *p = (uint8_t)*v; break;
		case K_U16_1: *p = (uint8_t) * (const uint16_t *)(const void *)v; break;
		case K_U32_1: *p = (uint8_t) * (const uint32_t *)(const void *)v; break;
		case K_U16: put16(p, *(const uint16_t *)(const void *)v); break;
		case K_U32: put32(p, *(const uint32_t *)(const void *)v); break;
		case K_U64: put64(p, *(const uint64_t *)(const void *)v); break;
		case K_A4: {
			const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)v;
			memcpy(p, ip->family == OFD_AF_INET6 ? zero : ip->b + 12, 4);
			break;
		}
		case K_A6: {
			const struct ofd_ip *ip = (const struct ofd_ip *)(const void *)v;
			memcpy(p, ip->family == OFD_AF_INET ? zero : ip->b, 16);
			break;
		}
		case K_MAC: {
			uint64_t mac = *(const uint64_t *)(const void *)v << 16;
			mac = __builtin_bswap64(mac);
			memcpy(p, &mac, 6);
			break;
		}
		case K_MS: put64(p, *(const uint64_t *)(const void *)v / 1000000u); break;
		case K_UP: {
			uint64_t ns = *(const uint64_t *)(const void *)v;
			uint64_t ms = ns ? ns / 1000000u : x->export_ms;
			put32(p, (uint32_t)(ms - x->boot_ms));
			break;
		}
		case K_ICMP: p[0] = f->icmp_type, p[1] = f->icmp_code; break;
		case K_VLAN: put16(p, f->src_vlan ? f->src_vlan : f->vlan_id); break;
		}
		p += s->len;
	}
	return p;
}

static inline void put_a4(uint8_t *p, const struct ofd_ip *ip)
{
	static const uint8_t zero[4];
	memcpy(p, ip->family == OFD_AF_INET6 ? zero : ip->b + 12, 4);
}

static inline void put_a6(uint8_t *p, const struct ofd_ip *ip)
{
	static const uint8_t zero[16];
	memcpy(p, ip->family == OFD_AF_INET ? zero : ip->b, 16);
}

static inline void put_mac(uint8_t *p, uint64_t mac)
{
	mac = __builtin_bswap64(mac << 16);
	memcpy(p, &mac, 6);
}

static inline uint32_t uptime(const struct ofd_fx *x, uint64_t ns)
{
	return (uint32_t)((ns ? ns / 1000000u : x->export_ms) - x->boot_ms);
}

/*
 * The templates of every field (no `fields` key) written straight, with the template's shape as
 * constants: the same bytes as put_record() with build_tmpl()'s steps (fx_elements' order), about
 * twice as fast as the step loop (test_flowexport compares the two).
 */
static inline __attribute__((always_inline)) uint8_t *
put_full(const struct ofd_fx *x, const struct ofd_flow *f, uint8_t *p, int v9, int v6, int mac)
{
	if (v6) {
		put_a6(p, &f->src_addr), put_a6(p + 16, &f->dst_addr);
		put_a6(p + 32, &f->next_hop), put_a6(p + 48, &f->bgp_next_hop);
		p += 64;
	} else {
		put_a4(p, &f->src_addr), put_a4(p + 4, &f->dst_addr);
		put_a4(p + 8, &f->next_hop), put_a4(p + 12, &f->bgp_next_hop);
		p += 16;
	}
	put64(p, f->bytes), put64(p + 8, f->packets);
	p += 16;
	if (v9) {
		put32(p, uptime(x, f->time_flow_start_ns)), put32(p + 4, uptime(x, f->time_flow_end_ns));
		p += 8;
	} else {
		put64(p, f->time_flow_start_ns / 1000000u), put64(p + 8, f->time_flow_end_ns / 1000000u);
		p += 16;
	}
	put32(p, f->in_if), put32(p + 4, f->out_if), put32(p + 8, f->src_as), put32(p + 12, f->dst_as);
	put32(p + 16, f->sampling_rate);
	put16(p + 20, f->src_port), put16(p + 22, f->dst_port);
	p += 24;
	if (v9)
		*p++ = (uint8_t)f->tcp_flags;
	else
		put16(p, f->tcp_flags), p += 2;
	p[0] = f->icmp_type, p[1] = f->icmp_code;
	put16(p + 2, f->src_vlan ? f->src_vlan : f->vlan_id), put16(p + 4, f->dst_vlan);
	p[6] = f->proto, p[7] = f->ip_tos, p[8] = f->src_net, p[9] = f->dst_net;
	p[10] = (uint8_t)f->forwarding_status, p[11] = f->flow_direction;
	p += 12;
	if (mac) {
		put_mac(p, f->src_mac), put_mac(p + 6, f->dst_mac);
		p += 12;
	}
	return p;
}

static uint8_t *put_any(const struct ofd_fx *x, unsigned ti, const struct ofd_flow *f, uint8_t *p)
{
	if (!x->full)
		return put_record(x, &x->t[ti], f, p);
	int v9 = x->version == OFD_FX_V9;
	switch (ti | (unsigned)v9 << 2) {
	case 0: return put_full(x, f, p, 0, 0, 0);
	case 1: return put_full(x, f, p, 0, 1, 0);
	case 2: return put_full(x, f, p, 0, 0, 1);
	case 3: return put_full(x, f, p, 0, 1, 1);
	case 4: return put_full(x, f, p, 1, 0, 0);
	case 5: return put_full(x, f, p, 1, 1, 0);
	case 6: return put_full(x, f, p, 1, 0, 1);
	default: return put_full(x, f, p, 1, 1, 1);
	}
}

int ofd_fx_add(struct ofd_fx *x, const struct ofd_flow *f)
{
	unsigned ti = ofd_fx_tmpl_of(x, f);
	const struct ofd_fx_tmpl *t = &x->t[ti];
	int same = x->set && x->set_tmpl == (int)ti;
	/* room for the record, a new set's header and the padding that may close it */
	size_t need = (size_t)t->rec_len + (same ? 0 : 4) + (x->version == OFD_FX_V9 ? 3 : 0);
	if ((size_t)(x->p - x->buf) + need > x->mtu)
		return 0;
	if (!same) {
		close_set(x);
		x->set = x->p;
		x->set_tmpl = (int)ti;
		put16(x->p, t->id);
		x->p += 4;
	}
	x->p = put_any(x, ti, f, x->p);
	x->records++;
	x->count++;
	return 1;
}

static inline uint64_t ms_or(uint64_t ns, uint64_t dflt)
{
	return ns ? ns / 1000000u : dflt;
}

/* The least and the greatest of f's times (0: the export time) and the export time, in ms. */
static void time_span(const struct ofd_flow *f, uint64_t export_ms, uint64_t *lo, uint64_t *hi)
{
	uint64_t s = ms_or(f->time_flow_start_ns, export_ms), e = ms_or(f->time_flow_end_ns, export_ms);
	*lo = s < e ? s : e;
	*hi = s < e ? e : s;
	*lo = *lo < export_ms ? *lo : export_ms;
	*hi = *hi > export_ms ? *hi : export_ms;
}

int ofd_fx_clock_ok(const struct ofd_fx *x, const struct ofd_flow *f, uint64_t export_ms)
{
	if (x->version != OFD_FX_V9)
		return 1;
	uint64_t lo, hi;
	time_span(f, whole_s(export_ms), &lo, &hi);
	if (lo >= x->boot_ms && hi - x->boot_ms <= UINT32_MAX)
		return 1;
	return hi - lo + OFD_FX_UPTIME_PAD > UINT32_MAX; /* no origin would do: written modulo 2^32 */
}

void ofd_fx_rebase(struct ofd_fx *x, const struct ofd_flow *f, uint64_t export_ms)
{
	uint64_t lo, hi;
	time_span(f, whole_s(export_ms), &lo, &hi);
	x->boot_ms = lo > OFD_FX_UPTIME_PAD ? lo - OFD_FX_UPTIME_PAD : 0;
}

static void put_header(struct ofd_fx *x, size_t len)
{
	uint8_t *h = x->buf;
	uint32_t secs = (uint32_t)(x->export_ms / 1000);
	if (x->version == OFD_FX_V9) {
		put16(h, 9);
		put16(h + 2, (uint16_t)x->count);
		put32(h + 4, (uint32_t)(x->export_ms - x->boot_ms));
		put32(h + 8, secs);
		put32(h + 12, x->seq_messages++);
		put32(h + 16, x->domain);
	} else {
		put16(h, 10);
		put16(h + 2, (uint16_t)len);
		put32(h + 4, secs);
		put32(h + 8, x->seq_records);
		put32(h + 12, x->domain);
		x->seq_records += x->records;
	}
}

size_t ofd_fx_end(struct ofd_fx *x)
{
	if (!x->buf)
		return 0;
	close_set(x);
	size_t len = (size_t)(x->p - x->buf);
	if (x->p == hdr_end(x))
		len = 0;
	else
		put_header(x, len);
	x->buf = x->p = NULL;
	return len;
}

size_t ofd_fx_template_msg(struct ofd_fx *x, uint8_t *buf, uint64_t export_ms)
{
	struct ofd_fx open = *x; /* a message being written stays as it is */
	ofd_fx_begin(x, buf, export_ms, 1);
	size_t len = ofd_fx_end(x);
	uint32_t rec = x->seq_records, msg = x->seq_messages;
	x->buf = open.buf, x->p = open.p, x->set = open.set, x->set_tmpl = open.set_tmpl;
	x->records = open.records, x->count = open.count, x->export_ms = open.export_ms;
	x->seq_records = rec, x->seq_messages = msg;
	return len;
}
