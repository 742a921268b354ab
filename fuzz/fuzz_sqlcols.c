/*
 * libFuzzer target: the cells of a sqlite file as the replay input reads them
 * (src/segments/common/sqlcols.c, ofd_sqlcol_read). The first byte picks one of EnrichedFlow's
 * 149 columns, the second how the value comes (text, integer from the next 8 bytes, blob, NULL),
 * the rest is the value. Whatever it is, the read either fits the column or is refused (-1);
 * lists never exceed their bounds, strings stay in the batch's arena. The value is then written
 * back with ofd_sqlcol_bind and read again: a value that was accepted must give the same member.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segments/common/sqlcols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *st;
static struct ofd_batch *b;
static struct ofd_sqlcol cols[OFD_FPCSV_NCOLS];
static struct ofd_wbuf scratch;

static void setup(void)
{
	if (db)
		return;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT ?", -1, &st, NULL) != SQLITE_OK)
		abort();
	b = malloc(sizeof(*b));
	if (!b || ofd_wbuf_init(&scratch, -1, 4 * 12288))
		abort();
	ofd_batch_init(b, NULL, NULL);
	ofd_sqlcol_all(cols);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	setup();
	const struct ofd_sqlcol *c = &cols[data[0] % OFD_FPCSV_NCOLS];
	const uint8_t *v = data + 2;
	size_t n = size - 2;
	switch (data[1] % 4) {
	case 0: sqlite3_bind_text(st, 1, (const char *)v, (int)n, SQLITE_TRANSIENT); break;
	case 1: {
		int64_t x = 0;
		memcpy(&x, v, n < 8 ? n : 8);
		sqlite3_bind_int64(st, 1, x);
		break;
	}
	case 2: sqlite3_bind_blob(st, 1, v, (int)n, SQLITE_TRANSIENT); break;
	default: sqlite3_bind_null(st, 1); break;
	}
	ofd_batch_reset(b);
	struct ofd_flow *f = ofd_batch_add(b);
	int ok = sqlite3_step(st) == SQLITE_ROW && ofd_sqlcol_read(st, 0, c, f, b) == 0;
	sqlite3_reset(st);
	if (f->as_path_len > OFD_AS_PATH_MAX || f->bgp_communities.n > OFD_COMMUNITIES_MAX ||
	    b->arena_used > OFD_BATCH_ARENA)
		__builtin_trap();
	if (ok && ofd_sqlcol_readable(c)) { /* back and forth: the same record */
		struct ofd_flow g = *f;
		scratch.len = 0;
		if (ofd_sqlcol_bind(st, 1, c, f, &scratch) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			__builtin_trap();
		struct ofd_flow *h = ofd_batch_add(b);
		if (ofd_sqlcol_read(st, 0, c, h, b) != 0)
			__builtin_trap();
		sqlite3_reset(st);
		const struct ofd_field_info *d = &ofd_fields[c->id];
		if (d->kind != OFD_FK_STR && c->how != OFD_SQLCOL_SPEED && c->how != OFD_SQLCOL_SCALED &&
		    memcmp((const char *)&g + d->off, (const char *)h + d->off, d->size) != 0)
			__builtin_trap();
	}
	sqlite3_clear_bindings(st);
	return 0;
}
