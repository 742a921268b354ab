/*
 * Which flow-end addresses may receive a tracer: the table of reserved (not globally reachable)
 * ranges, and the configured `allow` / `deny` prefix lists.
 *
 * Precedence: the most specific matching prefix decides. The reserved ranges act as built-in
 * deny entries; an `allow` prefix wins over a `deny` or reserved range of equal or shorter length
 * (allow 127.0.0.0/8 opens all of 127/8; allow 0.0.0.0/0 opens no reserved range; deny
 * 127.0.0.5/32 inside allow 127.0.0.0/8 still refuses 127.0.0.5). A refusal is reported as
 * RESERVED when a reserved range beats every allow prefix, DENIED otherwise.
 *
 * IPv4 is matched as v4-mapped IPv6 (::ffff:a.b.c.d), whatever the address's family says, so a
 * mapped address in an IPv6 flow is judged by its embedded IPv4 address.
 */
#ifndef OFD_TRACER_POLICY_H
#define OFD_TRACER_POLICY_H

#include <stddef.h>

#include "ofd/flow.h"
#include "net/prefix.h"

enum ofd_policy_verdict {
	OFD_PV_ALLOW = 0,
	OFD_PV_RESERVED, /* in a reserved range that no allow prefix names */
	OFD_PV_DENIED,	 /* in a deny prefix that no equal or more specific allow prefix names */
};

struct ofd_policy { /* the caller owns the arrays */
	const struct ofd_prefix *allow;
	size_t nallow;
	const struct ofd_prefix *deny;
	size_t ndeny;
};

/*
 * The most specific reserved range containing a: its length (0-128, IPv4 as 96 + length), and
 * its name in *name if name is not NULL; -1 if a is globally reachable.
 */
int ofd_policy_reserved(const struct ofd_ip *a, const char **name);

/* The decision for one flow-end address. An address without a family is refused as RESERVED. */
enum ofd_policy_verdict ofd_policy_check(const struct ofd_policy *p, const struct ofd_ip *a);

/*
 * Relay URL syntax: udp://HOST:PORT, http://HOST[:PORT][/PATH], https://HOST[:PORT][/PATH]
 * (scheme case-insensitive). HOST is an IPv4 literal, [IPv6 literal], or a name of letters,
 * digits, '.', '-' and '_'; no user info, no spaces or control characters anywhere. The port is
 * required for udp, 80/443 by default for http/https. No resolution here.
 */
enum { OFD_DEST_UDP, OFD_DEST_HTTP, OFD_DEST_HTTPS };

struct ofd_dest_url {
	int kind;	/* OFD_DEST_* */
	char host[256]; /* without brackets */
	uint16_t port;
	const char *path; /* inside the parsed string: "" or "/..." (http, https) */
};

int ofd_dest_url_parse(struct ofd_dest_url *u, const char *url);

/* The OFD_SEND_* bit of a delivery method name ("udp", "http", "https"), or 0. */
unsigned ofd_send_method(const char *name);

#endif
