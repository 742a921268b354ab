/*
 * Prefixes: parsing, text form, matching (see prefix.h).
 */
#include <stdio.h>
#include <string.h>

#include "net/prefix.h"

/* A decimal prefix length of 1-3 digits, no sign or leading zero, up to max. */
static int parse_len(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return OFD_EFORMAT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return OFD_EFORMAT;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return OFD_EFORMAT;
	*out = v;
	return 0;
}

/* 1 if a bit at or after position len (0 = the most significant of b[0]) is set. */
static int host_bits(const struct ofd_ip *a, unsigned len)
{
	if (len >= 128)
		return 0;
	if (len % 8 && (a->b[len / 8] & (0xffu >> (len % 8))))
		return 1;
	for (unsigned i = (len + 7) / 8; i < 16; i++)
		if (a->b[i])
			return 1;
	return 0;
}

int ofd_prefix_parse(struct ofd_prefix *p, const char *s)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return OFD_EFORMAT;
	memcpy(buf, s, n + 1);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	struct ofd_ip ip;
	if (ofd_ip_parse(&ip, buf) != 0)
		return OFD_EFORMAT;
	unsigned base = ip.family == OFD_AF_INET ? 96 : 0, max = 128 - base, len = max;
	if (slash && parse_len(slash + 1, max, &len) != 0)
		return OFD_EFORMAT;
	len += base;
	if (host_bits(&ip, len))
		return OFD_EFORMAT;
	p->addr = ip;
	p->len = (uint8_t)len;
	return 0;
}

int ofd_prefix_str(const struct ofd_prefix *p, char *buf)
{
	struct ofd_ip a = p->addr;
	unsigned len = p->len;
	if (a.family == OFD_AF_INET && len >= 96)
		len -= 96;
	else
		a.family = OFD_AF_INET6;
	int n = ofd_ip_str(&a, buf);
	return n + snprintf(buf + n, OFD_PREFIX_STRLEN - (size_t)n, "/%u", len);
}

int ofd_prefix_check(const struct ofd_prefix *p)
{
	if (p->len > 128 || host_bits(&p->addr, p->len))
		return OFD_EFORMAT;
	if (p->addr.family == OFD_AF_INET && (p->len < 96 || !ofd_ip_is_v4mapped(&p->addr)))
		return OFD_EFORMAT;
	if (p->addr.family != OFD_AF_INET && p->addr.family != OFD_AF_INET6)
		return OFD_EFORMAT;
	return 0;
}

int ofd_prefix_match(const struct ofd_prefix *p, const struct ofd_ip *a)
{
	if (p->len > 128)
		return 0;
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr.b, a->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (p->addr.b[full] & mask) == (a->b[full] & mask);
}

int ofd_prefix_longest(const struct ofd_prefix *list, size_t n, const struct ofd_ip *a)
{
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if ((int)list[i].len > best && ofd_prefix_match(&list[i], a))
			best = list[i].len;
	return best;
}

int ofd_ip_is_v4mapped(const struct ofd_ip *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->b, mapped, sizeof(mapped)) == 0;
}
