/*
 * Text for a terminal: what a stranger wrote (a tracer's info, contact, addresses or class, an
 * interface description) must not drive the terminal it is shown on. Escaped are the C0
 * controls U+0000..U+001F (tab and newline too) and DEL as \xHH, the C1 controls
 * U+0080..U+009F and the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) as \uHHHH, and every byte that does not start a valid UTF-8
 * sequence (utf8.h) as \xHH; the rest is copied. A backslash stays as it is: the text is for
 * reading, not for parsing back (machine formats escape by their own rules).
 */
#ifndef OFD_UTIL_TERMTEXT_H
#define OFD_UTIL_TERMTEXT_H

#include <stddef.h>
#include <stdio.h>

/* Room for any n input bytes escaped, with the NUL (an escape is at most 4 bytes per byte). */
#define OFD_TERMTEXT_CAP(n) (4 * (n) + 1)

/* True when s[0..n) needs no escape. */
int ofd_termtext_plain(const char *s, size_t n);

/* The length of s[0..n) escaped. */
size_t ofd_termtext_len(const char *s, size_t n);

/*
 * Escape s[0..n) into out (cap >= 1 bytes, NUL-terminated). Stops before a character or escape
 * that would not fit whole (OFD_TERMTEXT_CAP(n) always fits). Returns the length written.
 */
size_t ofd_termtext_escape(char *out, size_t cap, const char *s, size_t n);

/* Write the NUL-terminated s to f escaped; 0, or EOF when a write failed. */
int ofd_termtext_fputs(FILE *f, const char *s);

#endif
