/*
 * libFuzzer target: flows as protobuf (format/flowpb.c). The input is decoded as EnrichedFlow and
 * as FlowMessage; besides not crashing (no allocation, every length checked): a message that
 * decodes must encode to bytes that decode again and encode the same (encoder and decoder are
 * inverses on what the decoder accepts), in both schemas; a refused message leaves the record
 * zeroed and the arena as it was. The input is also walked as a delimited stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowpb.h"

static void check(const uint8_t *data, size_t size, enum ofd_pb_schema s)
{
	static uint8_t a[OFD_PB_MAX], b[OFD_PB_MAX];
	static struct ofd_batch sa, sb; /* the records' string arenas */
	static const struct ofd_fieldset none;
	struct ofd_flow f, g;
	ofd_batch_init(&sa, NULL, NULL);
	ofd_batch_init(&sb, NULL, NULL);
	unsigned dropped = 0;
	if (ofd_pb_decode(&f, data, size, s, &sa, &dropped) != 0) {
		if (sa.arena_used || dropped || memcmp(&f.present, &none, sizeof(none)) || f.bytes)
			abort();
		return;
	}
	size_t na = ofd_pb_encode(&f, s, a, sizeof(a));
	if (ofd_pb_decode(&g, a, na, s, &sb, NULL) != 0)
		abort();
	size_t nb = ofd_pb_encode(&g, s, b, sizeof(b));
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	/* a record read in one schema writes in the other, and that reads back */
	enum ofd_pb_schema o = s == OFD_PB_ENRICHED ? OFD_PB_LEGACY : OFD_PB_ENRICHED;
	na = ofd_pb_encode(&f, o, a, sizeof(a));
	ofd_batch_reset(&sb);
	if (ofd_pb_decode(&g, a, na, o, &sb, NULL) != 0)
		abort();
	/* the exact room is enough, one byte less is not */
	na = ofd_pb_encode(&f, s, a, sizeof(a));
	if (ofd_pb_encode(&f, s, b, na) != na || memcmp(a, b, na) != 0 ||
	    (na && ofd_pb_encode(&f, s, b, na - 1)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 16))
		return 0;
	check(data, size, OFD_PB_ENRICHED);
	check(data, size, OFD_PB_LEGACY);
	size_t off = 0, len;
	const uint8_t *msg;
	while (ofd_pb_next_delim(data, size, &off, &msg, &len) == 1)
		if (msg < data || msg + len > data + size || off > size)
			abort();
	return 0;
}
