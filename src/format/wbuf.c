#include "wbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/fileio.h"

int ofd_wbuf_init(struct ofd_wbuf *w, int fd, size_t cap)
{
	if (cap < 2 * OFD_WBUF_RECORD_MAX)
		cap = 2 * OFD_WBUF_RECORD_MAX;
	w->buf = malloc(cap);
	if (!w->buf)
		return -ENOMEM;
	w->len = 0;
	w->cap = cap;
	w->fd = fd;
	w->errors = 0;
	w->reader_gone = 0;
	return 0;
}

void ofd_wbuf_fini(struct ofd_wbuf *w)
{
	if (!w->buf)
		return;
	(void)ofd_wbuf_flush(w);
	free(w->buf);
	w->buf = NULL;
}

int ofd_wbuf_flush(struct ofd_wbuf *w)
{
	int err = w->reader_gone ? -EPIPE : ofd_write_all(w->fd, w->buf, w->len);
	if (err == -EPIPE && !w->reader_gone)
		w->reader_gone = 1;
	else if (err && err != -EPIPE)
		w->errors++;
	w->len = 0;
	return err;
}

const char ofd_wbuf_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536"
				 "37383940414243444546474849505152535455565758596061626364656667686970"
				 "71727374757677787980818283848586878889909192939495969798990";

void ofd_wbuf_u64_long(struct ofd_wbuf *w, uint64_t v)
{
	char *p = w->buf + w->len, *e;
	if (v < 100000000u) {
		e = ofd_wbuf_u32_8(p, (uint32_t)v);
	} else if (v < 10000000000000000ull) {
		e = ofd_wbuf_u32_8(p, (uint32_t)(v / 100000000u));
		e = ofd_wbuf_8digits(e, (uint32_t)(v % 100000000u));
	} else {
		uint64_t top = v / 10000000000000000ull, rest = v % 10000000000000000ull;
		e = ofd_wbuf_u32_8(p, (uint32_t)top);
		e = ofd_wbuf_8digits(e, (uint32_t)(rest / 100000000u));
		e = ofd_wbuf_8digits(e, (uint32_t)(rest % 100000000u));
	}
	w->len += (size_t)(e - p);
}
