/*
 * Prefix files for addcid, addnetid and remoteaddress: a CSV of `prefix,id` lines compiled into
 * a longest-prefix-match table (net/lpm.h), and a source that reloads it on SIGHUP
 * (ofd_reload_generation) or when the file changes, swapping whole tables.
 *
 * The file (flowpipeline's format, read by Go's encoding/csv there): one `prefix,id` record a
 * line, IPv4 and IPv6 prefixes ("10.0.0.0/8", "2001:db8::/32", a bare address is a host
 * prefix), fields optionally in double quotes ("" for a quote), further fields ignored. Also
 * taken: blank lines, `#` comment lines, spaces and tabs around fields, CRLF line ends, and a
 * first record whose prefix field has neither '.' nor ':' (a header such as `prefix,cid`).
 * Anything else wrong on a line (a bad prefix, host bits set, a missing or bad id, a line over
 * 4096 bytes, a quote left open) fails the whole load with "FILE:LINE: reason": a file that
 * says something we cannot read is not half-used. Overlapping prefixes: the longest wins; the
 * same prefix twice: the later line wins. IPv4 and IPv6 are kept apart (an IPv6 ::/0 does not
 * match IPv4 addresses), as flowpipeline's two tries do.
 *
 * Ids: PFX_INT, a decimal 0-4294967295 (0 is "no id": a more specific prefix with id 0 carves
 * a hole); PFX_STR, any text up to 255 bytes (empty: no id), kept once per distinct text;
 * PFX_FLAG (remoteaddress's list of our networks): the id column is optional (default 1) and
 * an integer as in PFX_INT when given.
 *
 * Files: regular files only (no FIFO can hang a load), at most PFX_FILE_MAX bytes.
 */
#ifndef OFD_SEG_PREFIXFILE_H
#define OFD_SEG_PREFIXFILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/lpm.h"
#include "ofd/segment.h"

#define PFX_FILE_MAX (64u << 20)
#define PFX_LINE_MAX 4096
#define PFX_ID_MAX   255

enum pfx_mode { PFX_INT, PFX_STR, PFX_FLAG };

/* A loaded file: frozen, never changed; read by one instance's process(). */
struct pfx_table {
	struct ofd_lpm *lpm; /* value: the id (PFX_INT/FLAG), or string index + 1 (PFX_STR); 0: none */
	size_t nprefixes;
	uint32_t nstr;		/* PFX_STR: distinct ids */
	const char **str;	/* [nstr] into blob */
	uint16_t *len;		/* [nstr] */
	char *blob;		/* the ids' text */
	const char **cache;	/* [nstr] a string's copy in the current batch's arena */
	uint32_t *stamp;	/* [nstr] the batch stamp the copy belongs to */
	struct pfx_table *next; /* on the retired list */
	struct pfx_memo *memo;	/* [PFX_MEMO] recent answers of this table (its own thread's) */
};

/*
 * Answers of a table to recent addresses: direct-mapped by a hash of the 16 bytes, exact (the
 * table never changes; a new table starts with none), so a flow's addresses that came by in
 * the last few thousand lookups cost a hash and a compare instead of a walk of the trie.
 * Addresses a sender chooses can only make it miss: they cost the walk, as without it.
 */
#define PFX_MEMO 4096
struct pfx_memo {
	uint64_t hi, lo;
	uint32_t v, valid;
};

/* What identifies a file's version: device, inode, size, mtime and ctime. */
struct pfx_sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns;
};

/*
 * Load path into a new table: 0, or a negative OFD_E code or errno with "PATH:LINE: reason" (or
 * "PATH: reason") in err. sig (when not NULL) gets the version opened (also when its text is
 * refused; left as it was when the file could not be opened).
 */
int pfx_load(const char *path, enum pfx_mode mode, struct pfx_table **out, struct pfx_sig *sig, char *err,
	     size_t errlen);
/* Parse text (len bytes) as the file named path would be: the same rules, for tests and fuzzing. */
int pfx_parse(const char *path, const char *text, size_t len, enum pfx_mode mode, struct pfx_table **out,
	      char *err, size_t errlen);
void pfx_table_free(struct pfx_table *t);
struct stat;
void pfx_sig_of(struct pfx_sig *sig, const struct stat *st);

/* The id string i+1 refers to, copied once per batch into b's arena (NULL: the arena is full). */
const char *pfx_str_in_batch(struct pfx_table *t, uint32_t v, uint32_t stamp, struct ofd_batch *b);

/*
 * A reloading source. Owned by the segment's state; `cur` is read and replaced only by the
 * instance's own thread (process/tick: the engine never runs them concurrently), the loader
 * thread publishes a new table in `pending` and frees what `retired` holds.
 */
struct pfx_src {
	struct ofd_segment *seg;
	const char *path;
	enum pfx_mode mode;
	uint64_t check_ns;		/* stat the file this often (0: SIGHUP only) */
	unsigned c_reloads, c_failures; /* the segment's counters for them */
	struct pfx_table *cur;
	_Atomic(struct pfx_table *) pending;
	_Atomic(struct pfx_table *) retired;
	uint32_t stamp; /* bumped per batch: which arena copies are current */
	/* loader thread only */
	uint64_t gen;
	struct pfx_sig loaded, seen;
	uint64_t last_check_ns;
	int started;
};

/* Load the file (refusing the start with FILE:LINE when it fails) and start the loader thread. */
int pfx_src_open(struct pfx_src *s, struct ofd_segment *seg, const char *path, enum pfx_mode mode,
		 uint64_t check_ns, unsigned c_reloads, unsigned c_failures);
void pfx_src_close(struct pfx_src *s); /* fini: after the thread was joined */
void pfx_src_adopt(struct pfx_src *s);

/* The table to use for this batch (takes a newly loaded one first); bumps the batch stamp. */
static inline struct pfx_table *pfx_src_begin(struct pfx_src *s)
{
	if (atomic_load_explicit(&s->pending, memory_order_relaxed))
		pfx_src_adopt(s);
	if (++s->stamp == 0 && s->cur) { /* wrapped: forget every copy */
		for (uint32_t i = 0; i < s->cur->nstr; i++)
			s->cur->stamp[i] = 0;
		s->stamp = 1;
	}
	return s->cur;
}

/* The address of f at a (OFD_AF_NONE: NULL, looked up as a miss). */
static inline const struct ofd_ip *pfx_addr(const struct ofd_ip *a)
{
	return a->family == OFD_AF_NONE ? NULL : a;
}

/*
 * Ask for the cache lines of record f that the prefix segments touch (the present bits and the
 * addresses; the remote side and the ids of the tail), a few records ahead: a batch of 512
 * records is 400 KB, and records replayed from memory would otherwise wait on each line.
 */
#define PFX_PREFETCH_AHEAD 32
static inline void pfx_prefetch(const struct ofd_batch *b, uint32_t i)
{
	if (i < b->n) {
		const char *p = (const char *)&b->flows[i];
		__builtin_prefetch(p + offsetof(struct ofd_flow, present));
		__builtin_prefetch(p + offsetof(struct ofd_flow, dst_addr));
		__builtin_prefetch(p + offsetof(struct ofd_flow, remote_addr));
	}
}

/* Look up n addresses (NULL entries miss) into out (0 on a miss). */
void pfx_lookup(struct pfx_table *t, const struct ofd_ip **a, size_t n, uint32_t *out);

#endif
