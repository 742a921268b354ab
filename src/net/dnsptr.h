/*
 * Reverse DNS on the wire, without a resolver: the PTR question name of an address and a
 * bounded reader of the answer a resolver sent back (the reversedns segment asks with c-ares
 * and reads the answer here, so that the TTL is known and every name is checked).
 *
 * Answers are hostile input: every read is bounds-checked, compression pointers must point
 * strictly backwards (so a loop cannot be built) and at most OFD_DNS_JUMPS_MAX of them are
 * followed per name, a name is at most 255 bytes on the wire, at most OFD_DNS_RR_MAX answer
 * records and OFD_DNS_CNAME_MAX CNAME steps are looked at, and a PTR target is taken only when
 * it is a host name: labels of 1-63 bytes of letters, digits, '-' and '_', at most 253
 * characters without the final dot.
 */
#ifndef OFD_NET_DNSPTR_H
#define OFD_NET_DNSPTR_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/flow.h"

/* Room for a question name: 32 nibbles "x." and "ip6.arpa" and the NUL. */
#define OFD_DNS_QNAME_MAX 80
/* Room for a host name as written: 253 characters, the final dot and the NUL. */
#define OFD_DNS_NAME_MAX 256

#define OFD_DNS_JUMPS_MAX 32
#define OFD_DNS_RR_MAX	  64
#define OFD_DNS_CNAME_MAX 8

/*
 * The PTR question name of a's 16 bytes into out (OFD_DNS_QNAME_MAX bytes), without the final
 * dot: "4.3.2.1.in-addr.arpa" for a v4-mapped address (whatever a->family says), the 32
 * reversed nibbles and "ip6.arpa" otherwise. Returns its length.
 */
size_t ofd_dns_ptr_qname(const struct ofd_ip *a, char *out);

enum ofd_dns_ptr_result {
	OFD_DNS_PTR_FOUND,     /* name and ttl set */
	OFD_DNS_PTR_NODATA,    /* a well-formed answer without a PTR record for the question */
	OFD_DNS_PTR_BADNAME,   /* PTR records for the question, but none is a host name */
	OFD_DNS_PTR_MALFORMED, /* not a well-formed DNS response */
};

/*
 * Read a response msg[0..len) to the PTR question qname (as ofd_dns_ptr_qname writes it): the
 * first PTR record of class IN whose owner is qname, or the end of a CNAME chain from qname
 * (RFC 2317 delegations), and whose target is a host name. On OFD_DNS_PTR_FOUND the target is
 * written to name (OFD_DNS_NAME_MAX bytes) as received, with its final dot ("host.example.",
 * as Go's resolver returns it), and *ttl is the smallest TTL of the PTR and the CNAMEs it was
 * reached by. A response code other than 0 gives OFD_DNS_PTR_NODATA.
 */
enum ofd_dns_ptr_result ofd_dns_ptr_answer(const uint8_t *msg, size_t len, const char *qname, char *name,
					   uint32_t *ttl);

/* Whether s[0..n) is a host name as above (with or without the final dot). */
int ofd_dns_hostname_ok(const char *s, size_t n);

#endif
