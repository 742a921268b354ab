#include "gen_v9ipfix.h"

#include <stdlib.h>
#include <string.h>

#define NO_SET ((size_t)-1)

void gv_v9_begin(struct gv_msg *m, uint32_t uptime_ms, uint32_t unix_secs, uint32_t seq, uint32_t source_id)
{
	gen_reset(&m->g);
	m->ipfix = 0;
	m->set_off = NO_SET;
	m->count = 0;
	gen_u16(&m->g, 9);
	gen_u16(&m->g, 0);
	gen_u32(&m->g, uptime_ms);
	gen_u32(&m->g, unix_secs);
	gen_u32(&m->g, seq);
	gen_u32(&m->g, source_id);
}

void gv_ipfix_begin(struct gv_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain)
{
	gen_reset(&m->g);
	m->ipfix = 1;
	m->set_off = NO_SET;
	m->count = 0;
	gen_u16(&m->g, 10);
	gen_u16(&m->g, 0);
	gen_u32(&m->g, export_time);
	gen_u32(&m->g, seq);
	gen_u32(&m->g, domain);
}

void gv_set_end(struct gv_msg *m, size_t pad)
{
	if (m->set_off == NO_SET)
		return;
	for (size_t i = 0; i < pad; i++)
		gen_u8(&m->g, 0);
	gen_put16(&m->g, m->set_off + 2, (uint16_t)(m->g.len - m->set_off));
	m->set_off = NO_SET;
}

void gv_set_begin(struct gv_msg *m, uint16_t set_id)
{
	gv_set_end(m, 0);
	m->set_off = m->g.len;
	gen_u16(&m->g, set_id);
	gen_u16(&m->g, 0);
}

size_t gv_end(struct gv_msg *m)
{
	gv_set_end(m, 0);
	gen_put16(&m->g, 2, m->ipfix ? (uint16_t)m->g.len : m->count);
	return m->g.len;
}

void gv_free(struct gv_msg *m)
{
	gen_free(&m->g);
}

static void field_spec(struct gv_msg *m, const struct gv_field *f)
{
	gen_u16(&m->g, (uint16_t)(f->id | (f->pen ? 0x8000 : 0)));
	gen_u16(&m->g, f->len);
	if (f->pen)
		gen_u32(&m->g, f->pen);
}

void gv_template(struct gv_msg *m, uint16_t tid, const struct gv_field *f, size_t n)
{
	gen_u16(&m->g, tid);
	gen_u16(&m->g, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		field_spec(m, &f[i]);
	m->count++;
}

void gv_options_template(struct gv_msg *m, uint16_t tid, const struct gv_field *scope, size_t nscope,
			 const struct gv_field *f, size_t n)
{
	gen_u16(&m->g, tid);
	if (m->ipfix) {
		gen_u16(&m->g, (uint16_t)(nscope + n));
		gen_u16(&m->g, (uint16_t)nscope);
	} else {
		gen_u16(&m->g, (uint16_t)(nscope * 4));
		gen_u16(&m->g, (uint16_t)(n * 4));
	}
	for (size_t i = 0; i < nscope; i++)
		field_spec(m, &scope[i]);
	for (size_t i = 0; i < n; i++)
		field_spec(m, &f[i]);
	m->count++;
}

void gv_withdraw(struct gv_msg *m, uint16_t tid)
{
	gen_u16(&m->g, tid);
	gen_u16(&m->g, 0);
}

void gv_uint(struct gv_msg *m, uint64_t v, size_t len)
{
	for (size_t i = len; i-- > 0;)
		gen_u8(&m->g, (uint8_t)(i < 8 ? v >> (8 * i) : 0));
}

void gv_bytes(struct gv_msg *m, const void *p, size_t n)
{
	gen_bytes(&m->g, p, n);
}

void gv_ip4(struct gv_msg *m, uint32_t a)
{
	gen_u32(&m->g, a);
}

void gv_varlen(struct gv_msg *m, const void *p, size_t n)
{
	if (n < 255) {
		gen_u8(&m->g, (uint8_t)n);
	} else {
		gen_u8(&m->g, 255);
		gen_u16(&m->g, (uint16_t)n);
	}
	gen_bytes(&m->g, p, n);
}

void gv_record(struct gv_msg *m, const struct gv_field *f, size_t n, const uint64_t *vals)
{
	for (size_t i = 0; i < n; i++)
		gv_uint(m, vals[i], f[i].len);
	m->count++;
}

const struct gv_field gv_v4_fields[] = {
    {8, 4, 0},	/* sourceIPv4Address */
    {12, 4, 0}, /* destinationIPv4Address */
    {15, 4, 0}, /* ipNextHopIPv4Address */
    {10, 4, 0}, /* ingressInterface */
    {14, 4, 0}, /* egressInterface */
    {2, 4, 0},	/* packetDeltaCount */
    {1, 8, 0},	/* octetDeltaCount */
    {22, 4, 0}, /* flowStartSysUpTime */
    {21, 4, 0}, /* flowEndSysUpTime */
    {7, 2, 0},	/* sourceTransportPort */
    {11, 2, 0}, /* destinationTransportPort */
    {6, 1, 0},	/* tcpControlBits */
    {4, 1, 0},	/* protocolIdentifier */
    {5, 1, 0},	/* ipClassOfService */
    {16, 4, 0}, /* bgpSourceAsNumber */
    {17, 4, 0}, /* bgpDestinationAsNumber */
    {9, 1, 0},	/* sourceIPv4PrefixLength */
    {13, 1, 0}, /* destinationIPv4PrefixLength */
};
const size_t gv_v4_nfields = sizeof(gv_v4_fields) / sizeof(gv_v4_fields[0]);

void gv_v4_record(struct gv_msg *m, uint32_t i)
{
	const uint64_t v[18] = {0x0a000000u + i,
				0xc0a80000u + (i & 0xffff),
				0x0a0000fe,
				1 + i % 8,
				2 + i % 16,
				1 + i % 100,
				64 + (uint64_t)i * 7,
				1000 + i,
				2000 + i,
				1024 + i % 60000,
				443,
				0x12,
				6,
				0,
				64496,
				64511,
				24,
				16};
	gv_record(m, gv_v4_fields, gv_v4_nfields, v);
}

static void gv_collect(struct ofd_batch *b, void *ctx)
{
	struct gv_sink *s = ctx;
	for (uint32_t i = 0; s && i < b->n && s->n < GV_SINK_MAX; i++)
		if (ofd_batch_is_live(b, i))
			s->got[s->n++] = b->flows[i];
}

int gv_decode_from(struct ofd_decoder *d, const uint8_t *p, size_t len, uint32_t src4, uint16_t port,
		   uint64_t time_ns, enum ofd_origin origin, enum ofd_tmpl_budget budget, struct gv_sink *s)
{
	struct ofd_batch *b = malloc(sizeof(*b));
	if (!b)
		abort();
	ofd_batch_init(b, gv_collect, s);
	/* an exact-size copy, so that sanitizers see any read past the end */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	if (len)
		memcpy(copy, p, len);
	struct ofd_dgram dg = {.data = copy, .len = len, .src_port = port, .time_ns = time_ns};
	ofd_ip_set4u(&dg.src, src4);
	int n = ofd_decode_from(d, &dg, origin, budget, b);
	ofd_batch_flush(b);
	free(copy);
	free(b);
	return n;
}

int gv_decode(struct ofd_decoder *d, const uint8_t *p, size_t len, uint32_t src4, uint16_t port,
	      uint64_t time_ns, struct gv_sink *s)
{
	return gv_decode_from(d, p, len, src4, port, time_ns, OFD_ORIGIN_LOCAL, OFD_TMPL_BUDGET_MAIN, s);
}

struct ofd_decoder *gv_decoder_new(struct gv_sink *s)
{
	struct ofd_decoder *d;
	if (ofd_decoder_new(&d, NULL) != 0)
		abort();
	s->n = 0;
	return d;
}

int gv_decode_msg(struct ofd_decoder *d, struct gv_msg *m, uint32_t src4, uint16_t port, uint64_t time_ns,
		  struct gv_sink *s)
{
	size_t len = gv_end(m);
	int n = gv_decode(d, m->g.p, len, src4, port, time_ns, s);
	gv_free(m);
	return n;
}
