/*
 * IP prefixes: one type for every prefix list (tracer allow/deny lists, sealing recipients,
 * `--mine`, BGP, prefix tags) and the longest-prefix-match table (net/lpm.h).
 *
 * A prefix is a 128-bit address and a length 0-128 over the 16 bytes of struct ofd_ip. IPv4 is
 * stored v4-mapped (::ffff:a.b.c.d) with length 96 + the IPv4 length, so "0.0.0.0/0" is
 * ::ffff:0:0/96: an IPv4 prefix matches only v4-mapped addresses, and an IPv6 prefix of length
 * 96 or less that contains ::ffff:0:0/96 (::/0, ::/3) matches every IPv4 address too.
 *
 * Matching reads the 16 bytes only, never the family fields: a v4-mapped address in an IPv6
 * flow is matched by IPv4 prefixes.
 */
#ifndef OFD_NET_PREFIX_H
#define OFD_NET_PREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_prefix {
	struct ofd_ip addr; /* v4-mapped for IPv4; no bit set after len */
	uint8_t len;	    /* 0-128 (IPv4: 96 + v4 length) */
};

/*
 * Parse "a.b.c.d/len" (len 0-32), "v6/len" (len 0-128) or a bare address (a host prefix: /32
 * or /128) into p; addr.family is OFD_AF_INET or OFD_AF_INET6 as written. The length is 1-3
 * decimal digits without sign or leading zero; no spaces anywhere.
 *
 * Host bits set after the length ("10.1.2.3/8", "2001:db8::1/32") are refused rather than
 * masked: a typo in an allow list must not silently open a wider range than the one written.
 * Returns 0 or OFD_EFORMAT (p is then unchanged).
 */
int ofd_prefix_parse(struct ofd_prefix *p, const char *s);

#define OFD_PREFIX_STRLEN (OFD_IP_STRLEN + 4)

/*
 * Write p as text into buf (OFD_PREFIX_STRLEN bytes): "192.0.2.0/24" for an IPv4 family,
 * "2001:db8::/32" otherwise. Returns the length.
 */
int ofd_prefix_str(const struct ofd_prefix *p, char *buf);

/* 0 if p is well formed (len <= 128, no host bit set, an IPv4 family only v4-mapped with len
 * >= 96), else OFD_EFORMAT. */
int ofd_prefix_check(const struct ofd_prefix *p);

/* 1 if a is inside p, else 0 (and 0 for a length over 128). */
int ofd_prefix_match(const struct ofd_prefix *p, const struct ofd_ip *a);

/*
 * The length of the longest prefix in list[0..n) containing a, or -1 (list may be NULL when n
 * is 0). A linear scan for short lists; use net/lpm.h for long ones.
 */
int ofd_prefix_longest(const struct ofd_prefix *list, size_t n, const struct ofd_ip *a);

/* 1 if a is v4-mapped (::ffff:0:0/96), whatever its family field says. */
int ofd_ip_is_v4mapped(const struct ofd_ip *a);

#endif
