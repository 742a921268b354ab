/*
 * The postgres output's state and its COPY renderer (postgres_copy.c), shared with its test.
 *
 * Columns: flowpipeline's names (EnrichedFlow's Go names, as the sqlite output's, sqlcols.h),
 * written unquoted so that PostgreSQL folds them to lower case (SrcAddr, srcaddr and SRCADDR all
 * name the column srcaddr), with types chosen for PostgreSQL's operators:
 *
 *   addresses             inet        NULL when the record has none
 *   MACs                  macaddr     NULL when the record has none
 *   u8/u16 numbers, Proto, Etype, SrcNet/DstNet   integer
 *   u32/u64 numbers, times, speeds   bigint (a u64 above 2^63-1 is clamped to it and counted)
 *   AsPath, BgpCommunities           bigint[]   ({} for none)
 *   strings, countries    text        NULL when unset
 *   enums                 text        by name, as flowpipeline writes them (NETFLOW_V9, Valid)
 *   the rest (MplsLabel, storage-less lists)  text as flowpipeline's CSV renders them
 *
 * Rows are rendered in COPY's text format (tab-separated, \N for NULL, backslash, tab, newline
 * and carriage return escaped, invalid UTF-8 bytes replaced by U+FFFD) straight into a chunk of
 * the writer pool.
 */
#ifndef OFD_SEG_OUTPUT_POSTGRES_H
#define OFD_SEG_OUTPUT_POSTGRES_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/segment.h"
#include "segments/common/fieldlist.h"
#include "segments/common/sqlcols.h"
#include "segments/common/wpool.h"

enum ofd_pgtype {
	OFD_PG_INTEGER,
	OFD_PG_BIGINT,
	OFD_PG_INET,
	OFD_PG_MACADDR,
	OFD_PG_BIGINT_ARRAY,
	OFD_PG_TEXT,
};

struct ofd_pgcol {
	struct ofd_sqlcol s; /* name, field, how (sqlcols.h) */
	uint8_t type;	     /* enum ofd_pgtype */
	char lname[48];	     /* the name as PostgreSQL folds it */
};

/* The column of a sqlite column: its PostgreSQL type and folded name. */
void ofd_pgcol_init(struct ofd_pgcol *c, const struct ofd_sqlcol *s);

/* "integer", "bigint", "inet", "macaddr", "bigint[]", "text" */
const char *ofd_pgcol_type(const struct ofd_pgcol *c);

/* Room a row needs at most (bytes), for the chunk size. */
size_t ofd_pgcol_row_max(const struct ofd_pgcol *cols, unsigned n);

/*
 * Append the row of f over cols at out + *len in COPY text format (its newline included); the
 * caller made sure ofd_pgcol_row_max(cols, n) bytes are free there. *clamped counts the u64
 * values clamped to bigint's maximum.
 */
void ofd_pgcopy_row(char *out, size_t *len, const struct ofd_flow *f, const struct ofd_pgcol *cols,
		    unsigned n, uint64_t *clamped);

enum { OFD_PGIX_LIVE, OFD_PGIX_ATCLOSE, OFD_PGIX_NONE };

/* The segment's state. wp first: the test drains the pool through it. */
struct postgres_state {
	struct ofd_wpool *wp;
	char *conninfo;
	char *table;
	struct ofd_strlist fields;
	int create;
	int indexes;   /* OFD_PGIX_* */
	int timeindex; /* brin, btree */
	uint64_t batchsize;
	uint64_t flush_ns;
	uint64_t workers;
	uint64_t retries;
	uint64_t backoff_ns;
	struct ofd_pgcol cols[OFD_FIELDLIST_MAX];
	unsigned ncols;
	size_t row_max;
	char *copy_sql; /* COPY table (cols) FROM STDIN */
};

#endif
