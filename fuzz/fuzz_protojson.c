/*
 * libFuzzer target: flowpipeline's flow JSON (format/protojson_parse.c, protojson.c). Besides not
 * crashing: a line that parses must write text that parses again and writes the same (writer and
 * reader are inverses on what the reader accepts), compact and pretty alike; the stdin parser's
 * detection (flowjson_parse.c) runs on the same input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowjson_parse.h"
#include "format/protojson.h"

static size_t render(const struct ofd_flow *f, int pretty, char *out, size_t cap)
{
	struct ofd_wbuf w;
	if (ofd_wbuf_init(&w, -1, 1 << 17))
		abort();
	ofd_protojson_write(&w, f, pretty);
	if (w.len > cap)
		abort();
	size_t n = w.len;
	memcpy(out, w.buf, n);
	w.len = 0;
	ofd_wbuf_fini(&w);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[1 << 17], b[1 << 17], p[1 << 17];
	static struct ofd_batch sa, sb, sc; /* the records' string arenas */
	struct ofd_flow f, g, h;
	if (size > (1 << 16))
		return 0;
	ofd_batch_init(&sa, NULL, NULL);
	ofd_batch_init(&sb, NULL, NULL);
	ofd_batch_init(&sc, NULL, NULL);
	unsigned dropped = 0;
	if (ofd_flowjson_parse(&h, (const char *)data, size, &sc, &dropped) != 0 && h.bytes != 0)
		abort(); /* a refused line leaves the record zeroed */
	ofd_batch_reset(&sc);
	if (ofd_protojson_parse(&f, (const char *)data, size, &sa, &dropped) != 0)
		return 0;
	size_t na = render(&f, 0, a, sizeof(a));
	if (ofd_protojson_parse(&g, a, na, &sb, NULL) != 0)
		abort();
	size_t nb = render(&g, 0, b, sizeof(b));
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	size_t np = render(&f, 1, p, sizeof(p));
	if (ofd_protojson_parse(&h, p, np, &sc, NULL) != 0)
		abort();
	nb = render(&h, 0, b, sizeof(b));
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	return 0;
}
