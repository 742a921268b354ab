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

/* Decimal digits, two at a time: the time fields have 19 digits. */
static inline void ofd_wbuf_u64(struct ofd_wbuf *w, uint64_t v)
{
	static const char pairs[201] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536"
	    "37383940414243444546474849505152535455565758596061626364656667686970"
	    "71727374757677787980818283848586878889909192939495969798990";
	char tmp[20];
	int n = 20;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100) * 2;
		v /= 100;
		tmp[--n] = pairs[r + 1];
		tmp[--n] = pairs[r];
	}
	if (v >= 10) {
		tmp[--n] = pairs[v * 2 + 1];
		tmp[--n] = pairs[v * 2];
	} else {
		tmp[--n] = (char)('0' + v);
	}
	memcpy(w->buf + w->len, tmp + n, (size_t)(20 - n));
	w->len += (size_t)(20 - n);
}

#endif
