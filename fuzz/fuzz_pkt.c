/* libFuzzer target: the packet header parser. The first byte chooses the link type (and the
 * protocol of an IP payload section, parsed from the same bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contract: a UDP payload inside the input, at most OFD_PKT_MPLS_MAX labels kept. */
static void check(const struct ofd_pkt *p, const uint8_t *copy, size_t len)
{
	if (p->mpls_n > OFD_PKT_MPLS_MAX)
		abort();
	if (p->udp_payload && (p->udp_payload < copy || p->udp_payload + p->udp_payload_len > copy + len))
		abort();
	if (p->udp_payload_len) {
		volatile uint8_t sink = p->udp_payload[p->udp_payload_len - 1];
		(void)sink;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {OFD_LINK_ETHERNET, OFD_LINK_NULL,	     OFD_LINK_RAW,  OFD_LINK_LOOP,
				    OFD_LINK_SLL,      OFD_LINK_SLL2,	     OFD_LINK_IPV4, OFD_LINK_IPV6,
				    OFD_LINK_MPLS,     OFD_LINK_MPLS_PAYLOAD};
	if (size < 1)
		return 0;
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	size_t len = size - 1;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	struct ofd_pkt p;
	int rc = ofd_pkt_parse(&p, link, copy, len);
	/* a defined result */
	if (rc != 0 && rc != OFD_ETRUNC && rc != OFD_EFORMAT && rc != OFD_EUNSUPPORTED)
		abort();
	check(&p, copy, len);
	/* the same bytes as an IP payload section of protocol data[0] */
	rc = ofd_pkt_parse_l4(&p, data[0], copy, len);
	if (rc != 0 && rc != OFD_ETRUNC)
		abort();
	check(&p, copy, len);
	free(copy);
	return 0;
}
