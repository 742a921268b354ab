/*
 * Template state files: the NetFlow v9 / IPFIX templates, options templates and options state
 * (sampling rates, systemInitTimeMilliseconds) that decoders learned, saved so that a restarted
 * collector decodes data at once instead of dropping it until the exporters refresh their
 * templates (which may take many minutes).
 *
 * A file holds the templates as received (fields: element id, length, enterprise number; scope
 * count; options flag) keyed by exporter (address, port, version, source id / observation
 * domain), each with its last refresh time, never compiled plans: loading defines every template
 * again through the decoders' own path (ofd_tmpl_restore), so every limit and check applies to a
 * loaded template exactly as to a received one. The file is input like any other: a missing
 * file loads nothing; a truncated, corrupt (checksum), malformed or other-version file is
 * ignored as a whole with one warning; templates not refreshed within the decoder's
 * template_timeout_s before now are skipped as stale.
 *
 * Layout, all integers big-endian (OFD_TMPL_STATE_VERSION 1):
 *   header    "OFDTMPLS", u32 version, u32 reserved 0, u64 save time (ns since the epoch),
 *             u32 exporter count, u32 template count                              (32 bytes)
 *   exporter  u8 family (4, 6), u8 version (9, 10), u16 port, 16 bytes address (IPv4 as
 *             ::ffff:a.b.c.d), u32 domain, u32 sampling rate, u8 flags (1: has init time),
 *             u8 sampler count (<= 8), u16 reserved 0, u64 systemInitTimeMilliseconds,
 *             then per sampler u64 id, u32 rate                         (40 + 12 a sampler)
 *   template  u32 exporter index, u16 id (>= 256), u8 options (0, 1), u8 reserved 0,
 *             u64 last refresh (ns, datagram time), u16 field count (>= 1), u16 scope count,
 *             then per field u16 element id, u16 length, u32 enterprise number (20 + 8 a field)
 *   trailer   BLAKE2b-256 (crypto_generichash, no key) of everything before it   (32 bytes)
 * Templates are stored least recently refreshed first, as the cache keeps them.
 */
#ifndef OFD_TMPL_STATE_H
#define OFD_TMPL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define OFD_TMPL_STATE_VERSION 1
#define OFD_TMPL_STATE_MAX     (256u << 20) /* larger files are refused (write) and ignored (load) */

/* What one load did. */
/* A file holds at most this many decoders' worth of exporters and templates (the decoder's own
   limits times this); a larger one is ignored. */
#define OFD_TMPL_STATE_MERGE_MAX 64

struct ofd_tmpl_state_info {
	uint8_t missing;	    /* no such file: nothing loaded (not an error) */
	uint8_t ignored;	    /* the file was unusable and ignored whole; nothing loaded */
	const char *why;	    /* ignored: why (static text) */
	uint64_t saved_ns;	    /* the file's save time (when not ignored) */
	uint32_t templates;	    /* data templates loaded */
	uint32_t options_templates; /* options templates loaded */
	uint32_t exporters;	    /* exporters with a loaded template (their options state restored) */
	uint32_t stale;		    /* skipped: not refreshed within template_timeout_s before now */
	uint32_t refused;	    /* skipped by the decoder's limits or checks (counted as drops too) */
	uint32_t kept;		    /* skipped: the decoder holds that template already (it is newer) */
};

/*
 * Save the templates of decoders decs[0..n) to path atomically (path.tmp written, fsync'd and
 * renamed over path, then the directory fsync'd). Several decoders (one per input thread) are
 * merged: an exporter's options state is combined, and of one exporter's template id the most
 * recently refreshed definition is kept (the earlier decoder's on a tie). The decoders must not
 * be in use meanwhile; to save while threads decode, each thread takes a snapshot of its own
 * decoder (ofd_tmpl_snap_take) and one of them writes them (ofd_tmpl_state_write). Returns 0,
 * or a negative error (logged as a warning; path is left as it was). Only a regular file (or
 * nothing) at path is replaced: a symbolic link, device, FIFO or directory there is refused
 * (-EEXIST), and so is anything but a regular file at path.tmp (a stale regular one is removed).
 */
int ofd_tmpl_state_save(const struct ofd_decoder *const *decs, size_t n, const char *path);

/*
 * Load path into decoder d (call once per decoder, before it decodes; templates it holds
 * already are kept). Only a regular file is read: a symbolic link (not followed), device, FIFO
 * or directory is ignored with a warning. The checksum is unkeyed: it finds truncation and
 * corruption, not forgery, so the file is as trusted as the configuration naming it. now_ns (ns since the
 * epoch) decides what is stale. info (may be NULL) says what happened. Returns 0, also for a missing or an
 * ignored file, or -ENOMEM.
 */
int ofd_tmpl_state_load(struct ofd_decoder *d, const char *path, uint64_t now_ns,
			struct ofd_tmpl_state_info *info);

/* The load's core: a file's bytes p[0..len) into d, as ofd_tmpl_state_load(). */
int ofd_tmpl_state_load_mem(struct ofd_decoder *d, const uint8_t *p, size_t len, uint64_t now_ns,
			    struct ofd_tmpl_state_info *info);

/* A copy of the templates and options state of a decoder, independent of it afterwards. */
struct ofd_tmpl_snap;

/* Take a snapshot of d (in the thread that owns d). Returns 0 or -ENOMEM. */
int ofd_tmpl_snap_take(struct ofd_tmpl_snap **out, const struct ofd_decoder *d) OFD_MUST_CHECK;
void ofd_tmpl_snap_free(struct ofd_tmpl_snap *s);

/* Merge snaps[0..n) (as ofd_tmpl_state_save merges decoders) and write them to path atomically. */
int ofd_tmpl_state_write(const struct ofd_tmpl_snap *const *snaps, size_t n, const char *path);

/*
 * The file's bytes for snaps[0..n) saved at save_ns, in a malloc'd buffer (*out, *len; free()
 * it). Returns 0, -ENOMEM or OFD_ELIMIT (beyond OFD_TMPL_STATE_MAX).
 */
int ofd_tmpl_state_encode(const struct ofd_tmpl_snap *const *snaps, size_t n, uint64_t save_ns, uint8_t **out,
			  size_t *len) OFD_MUST_CHECK;

#endif
