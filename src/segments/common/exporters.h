/*
 * A network input's exporter allow-list: the keys `exporters` (addresses and prefixes, IPv4 or
 * IPv6, net/prefix.h) and `unlisted` (drop or decode), and the per-datagram verdict that marks
 * records (include/ofd/flow.h) and chooses the template budget (decode/template.h).
 *
 * Decided from the datagram's UDP source address only, never from an address inside it:
 *   - loopback (127.0.0.0/8, ::1, v4-mapped loopback): OFD_ORIGIN_LOCAL, main budget;
 *   - with a list, an address on it: OFD_ORIGIN_LISTED, main budget;
 *   - with a list, any other: dropped (unlisted: drop, the default), or decoded as
 *     OFD_ORIGIN_UNLISTED in the small unlisted template budget (unlisted: decode);
 *   - without a list, any other: OFD_ORIGIN_UNLISTED, main budget (decoded, as ever).
 * The list is one longest-prefix-match table (net/lpm.h), frozen at init and read by every
 * worker without locks: a verdict is at most one lookup and allocates nothing.
 */
#ifndef OFD_SEG_COMMON_EXPORTERS_H
#define OFD_SEG_COMMON_EXPORTERS_H

#include <stddef.h>
#include <string.h>

#include "decode/decode.h"
#include "net/lpm.h"
#include "ofd/cfg.h"

enum ofd_unlisted { OFD_UNLISTED_DROP = 0, OFD_UNLISTED_DECODE = 1 };

/* The choices of the `unlisted` key, in enum ofd_unlisted order. */
extern const char *const ofd_unlisted_choices[];

struct ofd_exporters {
	struct ofd_lpm *lpm; /* NULL: no list */
	int unlisted;	     /* enum ofd_unlisted */
	size_t n;	     /* prefixes listed */
};

/*
 * Check the list's items (each an address or a prefix: "192.0.2.1", "198.51.100.0/24",
 * "2001:db8::/32"; no commas, as for every list key) without building anything. 0, or
 * OFD_ECONFIG with "key exporters[i]: ..." in err.
 */
int ofd_exporters_check(const struct ofd_strlist *list, char *err, size_t errlen);

/* Build x from the list (empty: no list) and the `unlisted` choice. 0, OFD_ECONFIG (err says
   why) or -ENOMEM. */
int ofd_exporters_init(struct ofd_exporters *x, const struct ofd_strlist *list, int unlisted, char *err,
		       size_t errlen) OFD_MUST_CHECK;

void ofd_exporters_fini(struct ofd_exporters *x);

/* 1 if a is a loopback address (127.0.0.0/8 v4-mapped, ::1). */
static inline int ofd_ip_is_loopback(const struct ofd_ip *a)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (memcmp(a->b, v4mapped, sizeof(v4mapped)) == 0)
		return a->b[12] == 127;
	return memcmp(a->b, one, sizeof(one)) == 0;
}

/*
 * The verdict on a datagram from src (see the top): 1 to decode it with *origin and *budget
 * set, 0 to drop it (an unlisted exporter with `unlisted: drop`).
 */
static inline int ofd_exporters_judge(const struct ofd_exporters *x, const struct ofd_ip *src,
				      enum ofd_origin *origin, enum ofd_tmpl_budget *budget)
{
	uint32_t v;
	*budget = OFD_TMPL_BUDGET_MAIN;
	if (ofd_ip_is_loopback(src)) {
		*origin = OFD_ORIGIN_LOCAL;
		return 1;
	}
	if (!x->lpm) {
		*origin = OFD_ORIGIN_UNLISTED;
		return 1;
	}
	if (ofd_lpm_lookup(x->lpm, src, &v)) {
		*origin = OFD_ORIGIN_LISTED;
		return 1;
	}
	*origin = OFD_ORIGIN_UNLISTED;
	*budget = OFD_TMPL_BUDGET_UNLISTED;
	return x->unlisted == OFD_UNLISTED_DECODE;
}

#endif
