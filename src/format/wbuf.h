/*
 * An output buffer for record formatters: appends without bounds checks per call, because the
 * caller reserves room for a whole record first (ofd_wbuf_reserve).
 */
#ifndef OFD_WBUF_H
#define OFD_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ofd/err.h"

struct ofd_wbuf {
	char *buf;
	size_t len;
	size_t cap;
	int fd;		 /* where ofd_wbuf_flush writes */
	uint64_t errors; /* failed writes (the data was lost and counted), but EPIPE */
	int reader_gone; /* a write failed with EPIPE (the pipe's reader closed it): 1, and nothing
			    more is written; a user may set 2 once it acted on it (stopped) */
};

/* The most any single formatted record may take. */
#define OFD_WBUF_RECORD_MAX 4096

int ofd_wbuf_init(struct ofd_wbuf *w, int fd, size_t cap) OFD_MUST_CHECK;
void ofd_wbuf_fini(struct ofd_wbuf *w);
/* Write out what is buffered; returns 0 or a negative errno (counted in w->errors, but -EPIPE,
   which sets reader_gone: from then on the buffer is discarded and -EPIPE returned). */
int ofd_wbuf_flush(struct ofd_wbuf *w);

static inline void ofd_wbuf_reserve(struct ofd_wbuf *w)
{
	if (w->cap - w->len < OFD_WBUF_RECORD_MAX)
		(void)ofd_wbuf_flush(w);
}

static inline void ofd_wbuf_mem(struct ofd_wbuf *w, const char *s, size_t n)
{
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

#define ofd_wbuf_lit(w, s) ofd_wbuf_mem((w), (s), sizeof(s) - 1)

static inline void ofd_wbuf_ch(struct ofd_wbuf *w, char c)
{
	w->buf[w->len++] = c;
}

/*
 * Cursor writers: each writes its text at p and returns the end, with no bounds checks (the
 * caller reserved room for the record with ofd_wbuf_reserve, then keeps a local cursor:
 * `char *p = ofd_wbuf_end(w); ... ofd_wbuf_set_end(w, p);`). Table-driven, no division loops
 * over 64 bits, no library calls. Some write a few bytes past the end they return (noted at
 * each; never more than 8): the reserved room covers it.
 */

/* "000".."999", each followed by its count of digits without leading zeros (1..3) as a byte. */
extern const char ofd_wbuf_d3[1000][4];
/* Lowercase hex pairs "00".."ff". */
extern const char ofd_wbuf_hex2[513];
/* "0." .. "255.": each IPv4 octet with its dot, and its length with the dot (2..4). */
struct ofd_wbuf_octet {
	char s[4];
	uint8_t n;
};
extern const struct ofd_wbuf_octet ofd_wbuf_octets[256];

static inline char *ofd_wbuf_end(const struct ofd_wbuf *w)
{
	return w->buf + w->len;
}

static inline void ofd_wbuf_set_end(struct ofd_wbuf *w, const char *e)
{
	w->len = (size_t)(e - w->buf);
}

/* A string literal at p (a fixed-size copy). */
#define OFD_WBUF_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/* v < 1000, the first digits of a number: no leading zeros. Writes 4 bytes (up to 3 past the
   end). */
static inline char *ofd_wbuf_put_lead3(char *p, uint32_t v)
{
	unsigned n = (unsigned char)ofd_wbuf_d3[v][3];
	memcpy(p, ofd_wbuf_d3[v] + 3 - n, 4);
	return p + n;
}

/* v < 1000 as exactly 3 digits. Writes 4 bytes (1 past the end). */
static inline char *ofd_wbuf_put_3digits(char *p, uint32_t v)
{
	memcpy(p, ofd_wbuf_d3[v], 4);
	return p + 3;
}

/* v < 10^9 as exactly 9 digits (32-bit arithmetic, three digits per step). */
static inline char *ofd_wbuf_put_9digits(char *p, uint32_t v)
{
	uint32_t a = v / 1000000, r = v - a * 1000000, b = r / 1000;
	p = ofd_wbuf_put_3digits(p, a);
	p = ofd_wbuf_put_3digits(p, b);
	return ofd_wbuf_put_3digits(p, r - b * 1000);
}

/* v in decimal, no leading zeros: by magnitude, one table copy per three digits. Writes up to
   3 bytes past the end. */
static inline char *ofd_wbuf_put_u32(char *p, uint32_t v)
{
	if (v < 1000)
		return ofd_wbuf_put_lead3(p, v);
	if (v < 1000000) {
		uint32_t hi = v / 1000;
		p = ofd_wbuf_put_lead3(p, hi);
		return ofd_wbuf_put_3digits(p, v - hi * 1000);
	}
	if (v < 1000000000) {
		uint32_t hi = v / 1000000, r = v - hi * 1000000, mid = r / 1000;
		p = ofd_wbuf_put_lead3(p, hi);
		p = ofd_wbuf_put_3digits(p, mid);
		return ofd_wbuf_put_3digits(p, r - mid * 1000);
	}
	uint32_t top = v / 1000000000;
	*p = (char)('0' + top);
	return ofd_wbuf_put_9digits(p + 1, v - top * 1000000000);
}

/* ofd_wbuf_put_u64 for v > UINT32_MAX and not of 19 digits (wbuf.c). */
char *ofd_wbuf_put_u64_wide(char *p, uint64_t v);

/* v in decimal, no leading zeros. Values of 19 digits (nanosecond times of this era) take a
   fixed path: one digit, then two 9-digit chunks in 32-bit arithmetic. Writes up to 3 bytes
   past the end. */
static inline char *ofd_wbuf_put_u64(char *p, uint64_t v)
{
	if (v <= UINT32_MAX)
		return ofd_wbuf_put_u32(p, (uint32_t)v);
	if (v < 1000000000000000000ull || v >= 10000000000000000000ull)
		return ofd_wbuf_put_u64_wide(p, v);
	uint32_t top = (uint32_t)(v / 1000000000000000000ull); /* 1..9 */
	uint64_t rest = v - top * 1000000000000000000ull;
	uint32_t hi = (uint32_t)(rest / 1000000000u), lo = (uint32_t)(rest - hi * 1000000000ull);
	*p = (char)('0' + top);
	ofd_wbuf_put_9digits(p + 1, hi);
	return ofd_wbuf_put_9digits(p + 10, lo);
}

/* An IPv4 address (b: 4 bytes, network order) as dotted quad. Writes up to 3 bytes past the end
   (four 4-byte copies). */
static inline char *ofd_wbuf_put_ip4(char *p, const uint8_t *b)
{
	const struct ofd_wbuf_octet *o0 = &ofd_wbuf_octets[b[0]], *o1 = &ofd_wbuf_octets[b[1]];
	const struct ofd_wbuf_octet *o2 = &ofd_wbuf_octets[b[2]], *o3 = &ofd_wbuf_octets[b[3]];
	memcpy(p, o0->s, 4);
	p += o0->n;
	memcpy(p, o1->s, 4);
	p += o1->n;
	memcpy(p, o2->s, 4);
	p += o2->n;
	memcpy(p, o3->s, 4);
	return p + o3->n - 1; /* the last dot is past the end */
}

/* An IPv6 address (16 bytes) exactly as glibc's inet_ntop(AF_INET6) writes it: lowercase hex
   words without leading zeros, the longest run of two or more zero words (the first of equal
   ones) as "::", and ::a.b.c.d / ::ffff:a.b.c.d for the IPv4-compatible and IPv4-mapped forms.
   At most 39 bytes (45 with a dotted quad); writes up to 3 bytes past the end. */
char *ofd_wbuf_put_ip6(char *p, const uint8_t *b);

/* A MAC address (the low 48 bits of mac, first octet highest) as aa:bb:cc:dd:ee:ff. */
static inline char *ofd_wbuf_put_mac(char *p, uint64_t mac)
{
#define OFD_WBUF_MAC_OCTET(i)                                                                                \
	memcpy(p + 3 * (i), ofd_wbuf_hex2 + 2 * ((mac >> (40 - 8 * (i))) & 0xff), 2), p[3 * (i) + 2] = ':'
	OFD_WBUF_MAC_OCTET(0);
	OFD_WBUF_MAC_OCTET(1);
	OFD_WBUF_MAC_OCTET(2);
	OFD_WBUF_MAC_OCTET(3);
	OFD_WBUF_MAC_OCTET(4);
	memcpy(p + 15, ofd_wbuf_hex2 + 2 * (mac & 0xff), 2);
#undef OFD_WBUF_MAC_OCTET
	return p + 17;
}

/* Decimal digits of v at the end of the buffer. */
static inline void ofd_wbuf_u64(struct ofd_wbuf *w, uint64_t v)
{
	ofd_wbuf_set_end(w, ofd_wbuf_put_u64(ofd_wbuf_end(w), v));
}

#endif
