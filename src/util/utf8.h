/*
 * UTF-8 as RFC 3629 defines it: one to four bytes, no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. Callers decide what to do with invalid bytes
 * (replace them with '?' or U+FFFD, refuse the text).
 */
#ifndef OFD_UTIL_UTF8_H
#define OFD_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length (1..4) of the valid UTF-8 sequence that starts s[0..n), with its code point in
 * *cp (cp may be NULL); 0 when s does not start one: n == 0, a stray continuation byte, a lead
 * byte that no valid sequence has (0xC0, 0xC1, 0xF5..0xFF), a sequence cut short by n or by a
 * byte that is not a continuation (a NUL never is, so a NUL-terminated string is never read
 * past its end), an overlong form, a surrogate, a code point above U+10FFFF. A NUL byte itself
 * is a valid sequence of length 1.
 */
size_t ofd_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* The length of s[0..n) cut to at most max bytes, not inside a UTF-8 sequence (s[n] readable
   when n > max: the byte after the cut is looked at). */
static inline size_t ofd_utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

#endif
