/*
 * PTR question names and a bounded reader of PTR answers (dnsptr.h).
 */
#include "net/dnsptr.h"

#include <string.h>
#include <strings.h>

#include "ofd/rd.h"

#define T_CNAME 5
#define T_PTR	12
#define C_IN	1

size_t ofd_dns_ptr_qname(const struct ofd_ip *a, char *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	if (memcmp(a->b, mapped, 12) == 0) {
		for (int i = 15; i >= 12; i--) {
			unsigned v = a->b[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = '.';
		}
		memcpy(p, "in-addr.arpa", 13);
		return (size_t)(p - out) + 12;
	}
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[a->b[i] & 15];
		*p++ = '.';
		*p++ = hex[a->b[i] >> 4];
		*p++ = '.';
	}
	memcpy(p, "ip6.arpa", 9);
	return (size_t)(p - out) + 8;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

int ofd_dns_hostname_ok(const char *s, size_t n)
{
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (host_char(c)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/*
 * The name at msg[off] as text with a final dot into out (OFD_DNS_NAME_MAX bytes; the root is
 * "."), bytes as they are but NUL and '.' (as 0x01, never
 * in a host name; the caller checks the rest); *next is the offset after the name where it
 * was found (not where a pointer led). Returns 0, or -1 when malformed: past the end, a label
 * type other than 0, a pointer that does not point backwards, too many pointers, over 255
 * bytes on the wire.
 */
static int read_name(const uint8_t *msg, size_t len, size_t off, size_t *next, char *out)
{
	size_t o = 0, wire = 0, pos = off;
	int jumps = 0;
	*next = 0;
	for (;;) {
		if (pos >= len)
			return -1;
		unsigned c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			size_t to = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (!*next)
				*next = pos + 2;
			if (to >= pos || ++jumps > OFD_DNS_JUMPS_MAX)
				return -1;
			pos = to;
			continue;
		}
		if (c & 0xc0)
			return -1;
		wire += c + 1;
		if (wire > 255)
			return -1;
		if (c == 0) {
			if (!*next)
				*next = pos + 1;
			if (o == 0)
				out[o++] = '.';
			out[o] = '\0';
			return 0;
		}
		if (pos + 1 + c > len)
			return -1;
		/* wire <= 255 keeps o + c + 1 below OFD_DNS_NAME_MAX */
		for (unsigned k = 0; k < c; k++) {
			uint8_t ch = msg[pos + 1 + k];
			/* a NUL would cut the text, a dot inside a label would read as two labels */
			out[o++] = ch && ch != '.' ? (char)ch : '\x01';
		}
		out[o++] = '.';
		pos += 1 + c;
	}
}

/* One resource record of the answer section, its names read. */
struct rr {
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
	char owner[OFD_DNS_NAME_MAX];
};

/* The record at *off; advances *off. 0 or -1 (malformed). */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *rr)
{
	size_t next;
	if (read_name(msg, len, *off, &next, rr->owner))
		return -1;
	struct ofd_rd r = ofd_rd_make(msg + next, len - next);
	rr->type = ofd_rd_u16(&r);
	rr->class = ofd_rd_u16(&r);
	rr->ttl = ofd_rd_u32(&r);
	rr->rdlen = ofd_rd_u16(&r);
	if (r.err || ofd_rd_left(&r) < rr->rdlen)
		return -1;
	rr->rdata = next + 10;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

/* A name that must fill the rdata exactly (CNAME, PTR). */
static int rdata_name(const uint8_t *msg, size_t len, const struct rr *rr, char *out)
{
	size_t next;
	if (read_name(msg, len, rr->rdata, &next, out))
		return -1;
	return next == rr->rdata + rr->rdlen ? 0 : -1;
}

/* Bounds of TTLs: RFC 2181 treats a TTL with the top bit set as 0. */
static uint32_t ttl_of(uint32_t t)
{
	return t & 0x80000000u ? 0 : t;
}

enum ofd_dns_ptr_result ofd_dns_ptr_answer(const uint8_t *msg, size_t len, const char *qname, char *name,
					   uint32_t *ttl)
{
	struct ofd_rd r = ofd_rd_make(msg, len);
	(void)ofd_rd_u16(&r); /* id: c-ares matched it */
	uint16_t flags = ofd_rd_u16(&r);
	uint16_t qd = ofd_rd_u16(&r), an = ofd_rd_u16(&r);
	if (r.err || len < 12 || !(flags & 0x8000) || qd > 4)
		return OFD_DNS_PTR_MALFORMED;
	if (flags & 0x000f)
		return OFD_DNS_PTR_NODATA;
	size_t off = 12, next;
	char tmp[OFD_DNS_NAME_MAX];
	for (unsigned i = 0; i < qd; i++) {
		if (read_name(msg, len, off, &next, tmp) || next + 4 > len)
			return OFD_DNS_PTR_MALFORMED;
		off = next + 4;
	}
	size_t answers = off;
	unsigned nrr = an < OFD_DNS_RR_MAX ? an : OFD_DNS_RR_MAX;
	/* the name the chain has reached, with its final dot; the smallest TTL on the way */
	char target[OFD_DNS_NAME_MAX];
	size_t ql = strlen(qname);
	if (ql + 2 > sizeof(target))
		return OFD_DNS_PTR_MALFORMED;
	memcpy(target, qname, ql);
	target[ql] = '.';
	target[ql + 1] = '\0';
	uint32_t min_ttl = UINT32_MAX;
	struct rr rr;
	/* every record must be well-formed; follow CNAMEs from the question, one step per pass */
	for (int step = 0; step <= OFD_DNS_CNAME_MAX; step++) {
		int moved = 0;
		off = answers;
		for (unsigned i = 0; i < nrr; i++) {
			if (read_rr(msg, len, &off, &rr))
				return OFD_DNS_PTR_MALFORMED;
			if (moved || rr.type != T_CNAME || rr.class != C_IN ||
			    strcasecmp(rr.owner, target) != 0)
				continue;
			if (rdata_name(msg, len, &rr, tmp))
				return OFD_DNS_PTR_MALFORMED;
			memcpy(target, tmp, sizeof(target));
			if (ttl_of(rr.ttl) < min_ttl)
				min_ttl = ttl_of(rr.ttl);
			moved = 1;
		}
		if (!moved)
			break;
	}
	int bad = 0;
	off = answers;
	for (unsigned i = 0; i < nrr; i++) {
		if (read_rr(msg, len, &off, &rr))
			return OFD_DNS_PTR_MALFORMED;
		if (rr.type != T_PTR || rr.class != C_IN || strcasecmp(rr.owner, target) != 0)
			continue;
		if (rdata_name(msg, len, &rr, tmp))
			return OFD_DNS_PTR_MALFORMED;
		size_t n = strlen(tmp);
		if (!ofd_dns_hostname_ok(tmp, n)) {
			bad = 1;
			continue;
		}
		memcpy(name, tmp, n + 1);
		*ttl = ttl_of(rr.ttl) < min_ttl ? ttl_of(rr.ttl) : min_ttl;
		return OFD_DNS_PTR_FOUND;
	}
	return bad ? OFD_DNS_PTR_BADNAME : OFD_DNS_PTR_NODATA;
}
