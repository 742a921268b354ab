/*
 * VRP files: the JSON exports of the RPKI validators and rpki-client's CSV, into a VRP set
 * (net/vrp.h). The format is detected from the bytes:
 *
 *   - "roas" JSON, as Routinator's `json` output and the RIPE NCC RPKI Validator's export
 *     write it: {"roas":[{"asn":"AS64496","prefix":"192.0.2.0/24","maxLength":24,"ta":"..."}]};
 *   - rpki-client's -j JSON: the same "roas" with "asn" a bare integer and an "expires" (Unix
 *     seconds) per ROA, plus "metadata", "bgpsec_keys", "provider_authorizations"... (every
 *     other top-level key is skipped). The format is reported as rpki-client when the file
 *     has rpki-client's "metadata" (with "buildtime" or "buildmachine"; Routinator's newer
 *     exports have a "metadata" with "generated") or an integer "asn";
 *   - rpki-client's -c CSV: a header `ASN,IP Prefix,Max Length,Trust Anchor,Expires` then rows
 *     `AS64496,192.0.2.0/24,24,test,1893456000` (the Expires column optional).
 *
 * Hostile files: the size is bounded by the caller (ofd_vrp_load_file's max_bytes); the JSON is
 * read one ROA at a time with jansson (bounded memory whatever the file size: the "roas" array
 * is never held whole), other keys are parsed and dropped. A bad entry (not an object, "asn"
 * not "AS<n>"/<n> within 32 bits, a malformed prefix or one with host bits set, "maxLength"
 * missing, below the prefix length or over 32/128, "expires" not an integer) is skipped and
 * counted; the first one is reported with its index (0-based in "roas", or its CSV line) and
 * reason. A ROA whose "expires" is not after `now` is dropped and counted as expired. The whole
 * file is refused (OFD_EFORMAT, st->error and st->line) when it is not JSON (jansson's reason
 * and line), not an object, has no "roas" array (or two), or is neither JSON nor the CSV.
 */
#ifndef OFD_NET_VRP_LOAD_H
#define OFD_NET_VRP_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "net/vrp.h"

enum ofd_vrp_format {
	OFD_VRP_FMT_NONE = 0,
	OFD_VRP_FMT_ROAS_JSON,
	OFD_VRP_FMT_RPKI_CLIENT_JSON,
	OFD_VRP_FMT_CSV
};

/* Default bound on a file's size: 512 MiB (a full RPKI JSON export is about 60 MB). */
#define OFD_VRP_FILE_MAX ((size_t)512 << 20)

struct ofd_vrp_load_stats {
	enum ofd_vrp_format format;
	size_t entries;		/* ROAs (JSON array elements, CSV rows) seen */
	size_t loaded;		/* added to the set (duplicates included: merged at freeze) */
	size_t bad;		/* refused entries */
	size_t expired;		/* dropped: "expires" not after now */
	size_t first_bad_index; /* JSON: index in "roas"; CSV: line number (1-based) */
	char first_bad[96];	/* the first bad entry's reason, "" if none */
	char error[160];	/* the whole file refused: why */
	int line;		/* ... and where (1-based), 0 if unknown */
};

/* Name of a format: "roas-json", "rpki-client-json", "rpki-client-csv" or "none". */
const char *ofd_vrp_format_name(enum ofd_vrp_format f);

/*
 * Add the VRPs of buf[0..len) to the unfrozen set s. now: Unix seconds for "expires" (0: keep
 * every ROA). Returns 0 (st filled; bad entries are not errors), OFD_EFORMAT (the file refused:
 * st->error; s may hold part of the file: drop it), -ENOMEM or -EBUSY (s frozen).
 */
int ofd_vrp_load_buf(struct ofd_vrpset *s, const char *buf, size_t len, int64_t now,
		     struct ofd_vrp_load_stats *st) OFD_MUST_CHECK;

/*
 * Read the file at path (at most max_bytes, OFD_ELIMIT over that), load it into a new set and
 * freeze it into *out. 0, OFD_ELIMIT, OFD_EFORMAT (st->error), -errno of open/read, -ENOMEM.
 */
int ofd_vrp_load_file(const char *path, size_t max_bytes, int64_t now, struct ofd_vrpset **out,
		      struct ofd_vrp_load_stats *st) OFD_MUST_CHECK;

#endif
