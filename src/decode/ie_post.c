/*
 * Finishing a record after its plan was applied (see ofd_ie_post in ie.h): uptime-relative times,
 * the missing-time fallback, etype (also for templates with addresses of both families), and
 * ICMP type/code from the destination port.
 */
#include "ie.h"

#include <string.h>

#include "ofd/rd.h"

/* Rare paths out of line, so that the per-record ones keep their registers (gcc, clang). */
#define IE_COLD __attribute__((noinline, cold))

static inline int ip_zero(const struct ofd_ip *ip)
{
	static const uint8_t zero[16];
	if (ip->family == OFD_AF_INET)
		return ofd_be32(ip->b + 12) == 0;
	return memcmp(ip->b, zero, 16) == 0;
}

/* The epoch time of uptime t, `up` being the exporter's uptime at the export time (mod 2^32). */
static inline uint64_t uptime_ns(uint32_t t, uint32_t up, uint64_t export_ns)
{
	return export_ns - (uint64_t)((int64_t)(int32_t)(up - t) * 1000000);
}

/*
 * Uptime-relative times (ms, 32 bits, wrapping every 49.7 days) through the exporter's uptime at
 * the export time, modulo 2^32: v9 the header's sysUptime; IPFIX the export time minus
 * systemInitTimeMilliseconds (none known: left unset). The difference is signed (flows within
 * 24.8 days of the export), as an IPFIX export time has whole seconds and a flow may end up to
 * a second after it.
 */
static void post_uptimes(struct ofd_flow *f, const struct ofd_ie_aux *a, const struct ofd_ie_ctx *c)
{
	uint32_t up;
	if (c->v9)
		up = c->uptime_ms;
	else if (a->have & OFD_IEA_SYS_INIT)
		up = (uint32_t)(c->export_ns / 1000000u - a->sys_init_ms);
	else if (c->has_sys_init)
		up = (uint32_t)(c->export_ns / 1000000u - c->sys_init_ms);
	else
		return;
	if (a->have & OFD_IEA_UP_START) {
		f->time_flow_start_ns = uptime_ns(a->up_start, up, c->export_ns);
		f->present.w[0] |= OFD_W0(OFD_F_TIME_FLOW_START);
	}
	if (a->have & OFD_IEA_UP_END) {
		f->time_flow_end_ns = uptime_ns(a->up_end, up, c->export_ns);
		f->present.w[0] |= OFD_W0(OFD_F_TIME_FLOW_END);
	}
}

/* A record still without a start or end time: the export time for the end, the end for the start
 * (goflow2 and nfdump use the export time). */
IE_COLD static void post_time_fallback(struct ofd_flow *f, const struct ofd_ie_ctx *c)
{
	if (!(f->present.w[0] & OFD_W0(OFD_F_TIME_FLOW_END)))
		f->time_flow_end_ns = c->export_ns;
	if (!(f->present.w[0] & OFD_W0(OFD_F_TIME_FLOW_START)))
		f->time_flow_start_ns = f->time_flow_end_ns;
	f->present.w[0] |= OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END);
}

/*
 * etype of a record with addresses of both families: from a non-zero source or destination
 * address (it outranks ipVersion, which a template with both families may carry for the family
 * not in use), else from ipVersion (60), else from the family of an all-zero address.
 */
IE_COLD static void post_etype_mixed(struct ofd_flow *f)
{
	const struct ofd_ip *a = NULL;
	if (f->src_addr.family && !ip_zero(&f->src_addr))
		a = &f->src_addr;
	else if (f->dst_addr.family && !ip_zero(&f->dst_addr))
		a = &f->dst_addr;
	else if (f->present.w[0] & OFD_W0(OFD_F_ETYPE))
		return;
	else if (f->src_addr.family)
		a = &f->src_addr;
	else if (f->dst_addr.family)
		a = &f->dst_addr;
	if (!a)
		return;
	static const uint8_t zero[16];
	if (f->src_addr.family != a->family && ip_zero(&f->src_addr)) /* the family not in use */
		a->family == OFD_AF_INET ? ofd_ip_set4(&f->src_addr, zero) : ofd_ip_set6(&f->src_addr, zero);
	if (f->dst_addr.family != a->family && ip_zero(&f->dst_addr))
		a->family == OFD_AF_INET ? ofd_ip_set4(&f->dst_addr, zero) : ofd_ip_set6(&f->dst_addr, zero);
	f->etype = a->family == OFD_AF_INET ? 0x0800 : 0x86dd;
	f->present.w[0] |= OFD_W0(OFD_F_ETYPE);
}

/*
 * ICMP type/code: from the ICMP elements (32/139, 176-179) when they say something, else from the
 * destination port as v9 exporters encode them (type << 8 | code), also when a template carries
 * the elements but leaves them zero.
 */
IE_COLD static void post_icmp(struct ofd_flow *f)
{
	if ((f->present.w[0] & OFD_W0(OFD_F_ICMP_TYPE)) && !f->icmp_type && !f->icmp_code && f->dst_port)
		f->present.w[0] &= ~(OFD_W0(OFD_F_ICMP_TYPE) | OFD_W0(OFD_F_ICMP_CODE));
	ofd_flow_icmp_from_port(f);
}

void ofd_ie_post(struct ofd_flow *f, const struct ofd_ie_aux *a, const struct ofd_ie_ctx *c)
{
	uint64_t times = OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END);
	if (a->have & OFD_IEA_SECTION)
		ofd_ie_section_post(f, a);
	if (a->have & (OFD_IEA_UP_START | OFD_IEA_UP_END))
		post_uptimes(f, a, c);
	if ((f->present.w[0] & times) != times)
		post_time_fallback(f, c);
	if (a->have & OFD_IEA_MIXED) {
		post_etype_mixed(f);
	} else if (!(f->present.w[0] & OFD_W0(OFD_F_ETYPE))) {
		uint8_t fam = f->src_addr.family ? f->src_addr.family : f->dst_addr.family;
		if (fam) {
			f->etype = fam == OFD_AF_INET ? 0x0800 : 0x86dd;
			f->present.w[0] |= OFD_W0(OFD_F_ETYPE);
		}
	}
	if (f->proto == 1 || f->proto == 58)
		post_icmp(f);
}
