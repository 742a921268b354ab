/*
 * The flow-end address policy (see policy.h for the precedence rules).
 *
 * The reserved table is the IANA IPv4 and IPv6 Special-Purpose Address Registries' entries whose
 * "Globally Reachable" column is False (RFC 6890 and its updates), plus:
 *   - IPv4 multicast 224.0.0.0/4 (IANA IPv4 Multicast Address Space Registry) and
 *     192.88.99.0/24 (the deprecated 6to4 relay anycast prefix, RFC 7526);
 *   - IPv6 64:ff9b::/96 and 2002::/16 (NAT64 and 6to4: they embed an IPv4 address that may be
 *     private, and a tracer has no business going through a translator), and the whole of
 *     2001::/23 (IETF protocol assignments, including the few globally reachable sub-entries:
 *     none of them is a place for tracers);
 *   - every IPv6 address outside 2000::/3, the only block allocated for global unicast (IANA
 *     IPv6 Address Space Registry): ::/3, 4000::/2, 8000::/1. The named entries inside them
 *     (::1, fc00::/7, fe80::/10, ff00::/8, ...) are listed too, so that an allow prefix must
 *     name them as specifically as the registry does.
 * IPv4-mapped addresses (::ffff:0:0/96) are judged by their embedded IPv4 address.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tracer/policy.h"
#include "tracer/send.h"

struct reserved {
	const char *text; /* prefix, parsed once */
	const char *name;
};

static const struct reserved reserved_v4[] = {
    {"0.0.0.0/8", "this network"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "IETF protocol assignments"},
    {"192.0.2.0/24", "documentation (TEST-NET-1)"},
    {"192.88.99.0/24", "6to4 relay anycast"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation (TEST-NET-2)"},
    {"203.0.113.0/24", "documentation (TEST-NET-3)"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved"},
    {"255.255.255.255/32", "limited broadcast"},
};

static const struct reserved reserved_v6[] = {
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"::/3", "not global unicast"},
    {"64:ff9b::/96", "IPv4/IPv6 translation"},
    {"64:ff9b:1::/48", "local-use IPv4/IPv6 translation"},
    {"100::/64", "discard-only"},
    {"2001::/23", "IETF protocol assignments"},
    {"2001:db8::/32", "documentation"},
    {"2002::/16", "6to4"},
    {"3fff::/20", "documentation"},
    {"4000::/2", "not global unicast"},
    {"5f00::/16", "segment routing SIDs"},
    {"8000::/1", "not global unicast"},
    {"fc00::/7", "unique local"},
    {"fe80::/10", "link-local"},
    {"ff00::/8", "multicast"},
};

#define NV4 (sizeof(reserved_v4) / sizeof(reserved_v4[0]))
#define NV6 (sizeof(reserved_v6) / sizeof(reserved_v6[0]))

static struct ofd_prefix table_v4[NV4], table_v6[NV6];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	for (size_t i = 0; i < NV4; i++)
		if (ofd_prefix_parse(&table_v4[i], reserved_v4[i].text) != 0)
			abort(); /* a typo in the table above */
	for (size_t i = 0; i < NV6; i++)
		if (ofd_prefix_parse(&table_v6[i], reserved_v6[i].text) != 0)
			abort();
}

int ofd_policy_reserved(const struct ofd_ip *a, const char **name)
{
	pthread_once(&table_once, table_init);
	int v4 = ofd_ip_is_v4mapped(a);
	const struct ofd_prefix *t = v4 ? table_v4 : table_v6;
	const struct reserved *r = v4 ? reserved_v4 : reserved_v6;
	size_t n = v4 ? NV4 : NV6;
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if ((int)t[i].len > best && ofd_prefix_match(&t[i], a)) {
			best = t[i].len;
			if (name)
				*name = r[i].name;
		}
	}
	return best;
}

enum ofd_policy_verdict ofd_policy_check(const struct ofd_policy *p, const struct ofd_ip *a)
{
	if (a->family != OFD_AF_INET && a->family != OFD_AF_INET6)
		return OFD_PV_RESERVED;
	int allow = ofd_prefix_longest(p->allow, p->nallow, a);
	int reserved = ofd_policy_reserved(a, NULL);
	int deny = ofd_prefix_longest(p->deny, p->ndeny, a);
	if (reserved > allow)
		return OFD_PV_RESERVED;
	if (deny > allow)
		return OFD_PV_DENIED;
	return OFD_PV_ALLOW;
}

/* ---- relay URLs ---- */

static int parse_port(const char **pp, uint16_t *port)
{
	const char *p = *pp;
	unsigned v = 0, n = 0;
	while (*p >= '0' && *p <= '9' && n < 6) {
		v = v * 10 + (unsigned)(*p++ - '0');
		n++;
	}
	if (n == 0 || n > 5 || v == 0 || v > 65535)
		return OFD_EFORMAT;
	*port = (uint16_t)v;
	*pp = p;
	return 0;
}

static int host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-' || c == '_';
}

int ofd_dest_url_parse(struct ofd_dest_url *u, const char *url)
{
	const char *p, *h;
	size_t hl;
	if (strncasecmp(url, "udp://", 6) == 0)
		u->kind = OFD_DEST_UDP, p = url + 6, u->port = 0;
	else if (strncasecmp(url, "http://", 7) == 0)
		u->kind = OFD_DEST_HTTP, p = url + 7, u->port = 80;
	else if (strncasecmp(url, "https://", 8) == 0)
		u->kind = OFD_DEST_HTTPS, p = url + 8, u->port = 443;
	else
		return OFD_EFORMAT;
	int bracket = *p == '[';
	if (bracket) {
		const char *q = strchr(p, ']');
		if (!q)
			return OFD_EFORMAT;
		h = p + 1;
		hl = (size_t)(q - h);
		p = q + 1;
	} else {
		h = p;
		hl = strcspn(p, ":/");
		p += hl;
	}
	if (hl == 0 || hl >= sizeof(u->host))
		return OFD_EFORMAT;
	memcpy(u->host, h, hl);
	u->host[hl] = 0;
	struct ofd_ip ip;
	if (bracket && (ofd_ip_parse(&ip, u->host) != 0 || ip.family != OFD_AF_INET6))
		return OFD_EFORMAT;
	for (size_t i = 0; i < hl && !bracket; i++)
		if (!host_char_ok(u->host[i]))
			return OFD_EFORMAT;
	if (*p == ':') {
		p++;
		if (parse_port(&p, &u->port) != 0)
			return OFD_EFORMAT;
	}
	if (u->kind == OFD_DEST_UDP ? (*p != 0 || u->port == 0) : (*p != 0 && *p != '/'))
		return OFD_EFORMAT;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return OFD_EFORMAT;
	u->path = p;
	return 0;
}

unsigned ofd_send_method(const char *name)
{
	if (strcmp(name, "udp") == 0)
		return OFD_SEND_UDP;
	if (strcmp(name, "http") == 0)
		return OFD_SEND_HTTP;
	if (strcmp(name, "https") == 0)
		return OFD_SEND_HTTPS;
	return 0;
}
