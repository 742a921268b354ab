/*
 * The client behind a trusted proxy (contract in httpd.h, ofd_httpd_forwarded_client). Each
 * proxy appends the address it got the request from, so the rightmost entries are the trusted
 * chain's own and everything left of the first untrusted one is whatever the client wrote: the
 * walk goes from the right and stops there.
 *
 *   X-Forwarded-For: 203.0.113.7, 2001:db8::1, [2001:db8::2]:443, 198.51.100.1:80
 *   Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"
 */
#include <string.h>
#include <strings.h>

#include "net/httpd.h"

#define FWD_MAX	  32 /* the entries kept: the rightmost ones */
#define ENTRY_MAX 64

/* One address as a proxy writes it: bare, "[v6]", "[v6]:port" or "v4:port"; 0 or OFD_EFORMAT. */
static int parse_entry(const char *s, size_t n, struct ofd_ip *ip)
{
	char buf[ENTRY_MAX];
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	if (n == 0 || n >= sizeof(buf))
		return OFD_EFORMAT;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', n);
		if (!end || (end + 1 != s + n && end[1] != ':'))
			return OFD_EFORMAT;
		n = (size_t)(end - s - 1), s++;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) /* v4:port */
			n = (size_t)(colon - s);
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	return ofd_ip_parse(ip, buf);
}

/* The value of for= in one Forwarded element (pairs split by ';'); its span, or NULL. */
static const char *forwarded_for(const char *s, size_t n, size_t *len)
{
	while (n) {
		size_t pn = 0;
		int quoted = 0;
		while (pn < n && (quoted || s[pn] != ';'))
			quoted ^= s[pn++] == '"';
		const char *p = s;
		size_t k = pn;
		while (k && (*p == ' ' || *p == '\t'))
			p++, k--;
		if (k > 4 && strncasecmp(p, "for=", 4) == 0) {
			*len = k - 4;
			return p + 4;
		}
		s += pn, n -= pn;
		if (n)
			s++, n--;
	}
	return NULL;
}

int ofd_httpd_forwarded_client(const char *value, enum ofd_httpd_fwd kind, const struct ofd_prefix *trusted,
			       size_t n, struct ofd_ip *client)
{
	const char *start[FWD_MAX];
	size_t len[FWD_MAX], count = 0;
	/* the elements, split at commas outside quotes; the rightmost FWD_MAX kept */
	for (const char *p = value; p && *p;) {
		size_t k = 0;
		int quoted = 0;
		while (p[k] && (quoted || p[k] != ','))
			quoted ^= p[k++] == '"';
		start[count % FWD_MAX] = p, len[count % FWD_MAX] = k;
		count++;
		p += k;
		if (*p)
			p++;
	}
	int found = 0;
	for (size_t i = count; i > 0 && i + FWD_MAX > count; i--) {
		const char *s = start[(i - 1) % FWD_MAX];
		size_t sl = len[(i - 1) % FWD_MAX];
		struct ofd_ip ip;
		if (kind == OFD_HTTPD_FWD_FORWARDED && !(s = forwarded_for(s, sl, &sl)))
			break;
		if (parse_entry(s, sl, &ip) != 0)
			break; /* "unknown", an obfuscated name, garbage: the last address read stands */
		*client = ip;
		found = 1;
		if (!n || ofd_prefix_longest(trusted, n, &ip) < 0)
			break;
	}
	return found;
}
