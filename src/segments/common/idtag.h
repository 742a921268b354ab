/*
 * What addcid and addnetid share: tag the local side of a flow (or both sides, `matchboth`)
 * with the id of the longest prefix containing its address, from a reloading prefix file
 * (prefixfile.h). The two differ in the fields they set (struct idtag_fields) and in
 * `useintids`' default.
 */
#ifndef OFD_SEG_IDTAG_H
#define OFD_SEG_IDTAG_H

#include "segments/common/prefixfile.h"

/* Field ids (enum ofd_field) an idtag segment sets; OFD_F__COUNT where it has none. */
struct idtag_fields {
	unsigned id, id_str;   /* the local side's (or, matchboth, the one side that matched) */
	unsigned src, src_str; /* matchboth: each side's */
	unsigned dst, dst_str;
};

struct idtag_state {
	/* config */
	char *filename;
	int dropunmatched, matchboth, useintids;
	uint64_t check_ns;
	/* the table */
	struct pfx_src src;
	const struct idtag_fields *fields;
};

/* The segment's counters, in this order. */
enum { IDT_C_UNMATCHED, IDT_C_NOREMOTE, IDT_C_ARENA_FULL, IDT_C_RELOADS, IDT_C_RELOAD_FAILED };
extern const char *const idtag_counters[];

/* The config keys both take; useintids' default differs (addcid: true, addnetid: false). */
#define IDTAG_KEYS(useintids_def)                                                                            \
	OFD_KEY("filename", OFD_CFG_STRING, struct idtag_state, filename, .required = 1,                     \
		.help =                                                                                      \
		    "CSV of prefix,id lines (IPv4 and IPv6; the longest prefix wins); reloaded on SIGHUP "   \
		    "and when the file changes"),                                                            \
	    OFD_KEY("dropunmatched", OFD_CFG_BOOL, struct idtag_state, dropunmatched, .def = "false",        \
		    .help = "drop flows that get no id (no remote address marked, or no prefix matched)"),   \
	    OFD_KEY("matchboth", OFD_CFG_BOOL, struct idtag_state, matchboth, .def = "false",                \
		    .help = "look up source and destination each, instead of the local side by RemoteAddr"), \
	    OFD_KEY("useintids", OFD_CFG_BOOL, struct idtag_state, useintids, .def = useintids_def,          \
		    .help = "ids are integers 0-4294967295 (else any text up to 255 bytes, written to the "  \
			    "...String fields)"),                                                            \
	    OFD_KEY("checkinterval", OFD_CFG_DURATION, struct idtag_state, check_ns, .def = "1s",            \
		    .help =                                                                                  \
			"how often the file is checked for changes (0: only on SIGHUP); overflowd's own")

int idtag_init(struct ofd_segment *seg, struct idtag_state *s, const struct idtag_fields *fields);
void idtag_process(struct ofd_segment *seg, struct idtag_state *s, struct ofd_batch *b);
void idtag_tick(struct idtag_state *s);
void idtag_fini(struct idtag_state *s);

#endif
