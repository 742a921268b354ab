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

/* Digit pairs "00".."99". */
extern const char ofd_wbuf_pairs[201];

/* v < 10^8 in decimal at p, no leading zeros; returns the end. */
static inline char *ofd_wbuf_u32_8(char *p, uint32_t v)
{
	char tmp[16]; /* the digits end at tmp[8]; the fixed 8-byte copy reads on into the rest */
	int n = 8;
	while (v >= 100) {
		unsigned r = (v % 100) * 2;
		v /= 100;
		n -= 2;
		memcpy(tmp + n, ofd_wbuf_pairs + r, 2);
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, ofd_wbuf_pairs + v * 2, 2);
	} else {
		tmp[--n] = (char)('0' + v);
	}
	memcpy(p, tmp + n, 8);
	return p + (8 - n);
}

/* v < 10^8 as exactly 8 digits at p (32-bit arithmetic, two pairs at a time). */
static inline char *ofd_wbuf_8digits(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;
	memcpy(p, ofd_wbuf_pairs + hi / 100 * 2, 2);
	memcpy(p + 2, ofd_wbuf_pairs + hi % 100 * 2, 2);
	memcpy(p + 4, ofd_wbuf_pairs + lo / 100 * 2, 2);
	memcpy(p + 6, ofd_wbuf_pairs + lo % 100 * 2, 2);
	return p + 8;
}

/* ofd_wbuf_u64 for v >= 10 (wbuf.c). */
void ofd_wbuf_u64_long(struct ofd_wbuf *w, uint64_t v);

/* Decimal digits: one byte for 0-9 (most fields) in line, 8-digit chunks in 32-bit arithmetic
   for the rest (the time fields have 19 digits). Writes up to 8 bytes past the number (room is
   reserved per record). */
static inline void ofd_wbuf_u64(struct ofd_wbuf *w, uint64_t v)
{
	if (v < 10)
		w->buf[w->len++] = (char)('0' + v);
	else
		ofd_wbuf_u64_long(w, v);
}

#endif
