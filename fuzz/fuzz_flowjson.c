/*
 * libFuzzer target: the stdin input's JSON line parser (format/flowjson_parse.c). Besides not
 * crashing, a line that parses must render to text that parses again and renders the same
 * (the json output and the stdin input are inverses on everything the parser accepts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "format/flowjson_parse.h"

static size_t render(const struct ofd_flow *f, char *out, size_t cap)
{
	struct ofd_wbuf w;
	if (ofd_wbuf_init(&w, -1, 1 << 16))
		abort();
	ofd_fmt_json_enriched(&w, f);
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
	static char a[1 << 16], b[1 << 16];
	static struct ofd_batch sa, sb; /* the two records' string arenas */
	struct ofd_flow f, g;
	if (size > (1 << 16))
		return 0;
	ofd_batch_init(&sa, NULL, NULL);
	ofd_batch_init(&sb, NULL, NULL);
	if (ofd_flowjson_parse(&f, (const char *)data, size, &sa, NULL) == 0) {
		size_t na = render(&f, a, sizeof(a));
		if (ofd_flowjson_parse(&g, a, na, &sb, NULL) != 0)
			abort();
		size_t nb = render(&g, b, sizeof(b));
		if (na != nb || memcmp(a, b, na) != 0)
			abort();
	}
	return 0;
}
