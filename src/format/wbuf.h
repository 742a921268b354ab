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
	uint64_t errors; /* failed writes (the data was lost and counted) */
};

/* The most any single formatted record may take. */
#define OFD_WBUF_RECORD_MAX 4096

int ofd_wbuf_init(struct ofd_wbuf *w, int fd, size_t cap) OFD_MUST_CHECK;
void ofd_wbuf_fini(struct ofd_wbuf *w);
/* Write out what is buffered; returns 0 or a negative errno (also counted in w->errors). */
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

static inline void ofd_wbuf_u64(struct ofd_wbuf *w, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		w->buf[w->len++] = tmp[--n];
}

#endif
