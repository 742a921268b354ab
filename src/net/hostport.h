/*
 * Listen addresses with a port, as the HTTP servers take them (--metrics, `metrics:`,
 * receive --http):
 *
 *   "ADDR:PORT"   a numeric IPv4 address ("127.0.0.1:9100");
 *   "[IPV6]:PORT" a numeric IPv6 address in brackets ("[::1]:9100"); "[::]:PORT" means every
 *                 address, IPv6 and IPv4 (dual stack where IPv6 exists);
 *   ":PORT"       every address, as "[::]:PORT".
 *
 * PORT is 1 to 5 decimal digits, 0..65535 (0: any free port). Refused: names ("localhost"),
 * an IPv6 address without brackets (its port would be ambiguous), brackets around IPv4,
 * signs, spaces, anything after the port.
 */
#ifndef OFD_NET_HOSTPORT_H
#define OFD_NET_HOSTPORT_H

#include <stddef.h>
#include <sys/socket.h>

#include "ofd/err.h"

/* The accepted forms, for messages: "expected " OFD_HOSTPORT_FORMS. */
#define OFD_HOSTPORT_FORMS "ADDR:PORT, [IPV6]:PORT or :PORT"

/* Room for ofd_hostport_str(): "[" IPv6 "]:" port and the NUL. */
#define OFD_HOSTPORT_STRLEN 56

/*
 * Parse s: 0 with *ss filled (AF_INET or AF_INET6, the port set, everything else zero) and
 * *dual set to 1 when every address of both families is meant ("[::]:PORT", ":PORT"), else
 * 0; OFD_ECONFIG when s is NULL or none of the forms. ss and dual may be NULL to only check.
 */
int ofd_hostport_parse(const char *s, struct sockaddr_storage *ss, int *dual) OFD_MUST_CHECK;

/* ss (AF_INET or AF_INET6) as "ADDR:PORT" or "[IPV6]:PORT" into buf (OFD_HOSTPORT_STRLEN
   bytes suffice); the length, or OFD_EFORMAT for another family (buf gets ""). */
int ofd_hostport_str(const struct sockaddr_storage *ss, char *buf, size_t cap);

#endif
