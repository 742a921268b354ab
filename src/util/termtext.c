#include "util/termtext.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

static int is_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The character at s[0..n), n >= 1: its input length in *len, and its escape in esc (8 bytes)
 * with the escape's length returned; 0 when it is copied as it is.
 */
static size_t unit(const unsigned char *s, size_t n, size_t *len, char esc[8])
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp = 0;
	size_t l = ofd_utf8_decode(s, n, &cp);
	if (l == 0 || cp < 0x20 || cp == 0x7f) { /* a byte of invalid UTF-8, C0, DEL */
		*len = 1;
		esc[0] = '\\', esc[1] = 'x', esc[2] = hex[s[0] >> 4], esc[3] = hex[s[0] & 15];
		return 4;
	}
	*len = l;
	if ((cp >= 0x80 && cp <= 0x9f) || is_bidi(cp)) {
		esc[0] = '\\', esc[1] = 'u';
		for (int i = 0; i < 4; i++)
			esc[2 + i] = hex[(cp >> (12 - 4 * i)) & 15];
		return 6;
	}
	return 0;
}

int ofd_termtext_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	char esc[8];
	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) { /* printable ASCII: the common case */
			i++;
			continue;
		}
		if (unit(p + i, n - i, &len, esc))
			return 0;
		i += len;
	}
	return 1;
}

size_t ofd_termtext_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0, len;
	char esc[8];
	while (i < n) {
		size_t e = unit(p + i, n - i, &len, esc);
		out += e ? e : len;
		i += len;
	}
	return out;
}

size_t ofd_termtext_escape(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, len;
	char esc[8];
	while (i < n) {
		size_t e = unit(p + i, n - i, &len, esc);
		const char *src = e ? esc : s + i;
		size_t k = e ? e : len;
		if (o + k >= cap)
			break;
		memcpy(out + o, src, k);
		o += k;
		i += len;
	}
	out[o] = 0;
	return o;
}

int ofd_termtext_fputs(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, run = 0, len;
	char esc[8];
	while (i < n) {
		size_t e = unit(p + i, n - i, &len, esc);
		if (!e) {
			i += len;
			continue;
		}
		if ((i > run && fwrite(s + run, 1, i - run, f) != i - run) || fwrite(esc, 1, e, f) != e)
			return EOF;
		i += len;
		run = i;
	}
	if (n > run && fwrite(s + run, 1, n - run, f) != n - run)
		return EOF;
	return 0;
}
