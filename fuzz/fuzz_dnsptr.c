/* libFuzzer target: the PTR answer reader (net/dnsptr.h). The first byte picks the question
 * name (an IPv4 or an IPv6 one, or one the answer's CNAMEs may lead to); the rest is the
 * response as a resolver would hand it over. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dnsptr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const q[] = {
	    "4.3.2.1.in-addr.arpa",
	    "10.2.0.192.in-addr.arpa",
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	    "a",
	};
	if (size < 1)
		return 0;
	const char *qname = q[data[0] % 4];
	size_t len = size - 1;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	char name[OFD_DNS_NAME_MAX];
	uint32_t ttl = 0;
	enum ofd_dns_ptr_result r = ofd_dns_ptr_answer(copy, len, qname, name, &ttl);
	/* the contract: a found name is a host name with its final dot, TTLs below 2^31 */
	if (r == OFD_DNS_PTR_FOUND) {
		size_t n = strlen(name);
		if (n < 2 || n > 254 || name[n - 1] != '.' || !ofd_dns_hostname_ok(name, n) ||
		    ttl > 0x7fffffffu)
			abort();
	} else if (r != OFD_DNS_PTR_NODATA && r != OFD_DNS_PTR_BADNAME && r != OFD_DNS_PTR_MALFORMED) {
		abort();
	}
	free(copy);
	return 0;
}
