/*
 * libFuzzer target: the RTR client state machine (net/rtr.c) fed arbitrary cache bytes.
 * data[0] picks the options (bit 0: start in version 0; bit 1: a 64-byte PDU cap; bit 2: at
 * most 4 VRPs); the rest is the byte stream, fed in chunks of 1 to 13 bytes, with a new
 * connection after each close and the timers ticked between chunks. Every set made is
 * validated against prefixes from the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtr.h"

static void use_set(struct ofd_vrpset *s, const uint8_t *data, size_t size)
{
	struct ofd_prefix p = {.addr = {.family = OFD_AF_INET6}};
	for (size_t i = 0; i + 17 <= size && i < 1024; i += 17) {
		memcpy(p.addr.b, data + i, 16);
		p.len = data[i + 16] % 129;
		enum ofd_rpki r = ofd_vrpset_validate(s, &p, data[i]);
		if (r != OFD_RPKI_VALID && r != OFD_RPKI_INVALID && r != OFD_RPKI_NOTFOUND)
			abort();
	}
	ofd_vrpset_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ofd_rtr_opts o = {.version0 = data[0] & 1,
				 .max_pdu = (data[0] & 2) ? 64 : 0,
				 .max_vrps = (data[0] & 4) ? 4 : 0,
				 .refresh_s = 1,
				 .retry_s = 1,
				 .expire_s = 2};
	struct ofd_rtr *r;
	if (ofd_rtr_new(&r, &o) != 0)
		return 0;
	int64_t now = 0;
	(void)ofd_rtr_connected(r, now);
	size_t i = 1, k = 0;
	while (i < size) {
		size_t chunk = 1 + (k++ * 7) % 13;
		if (chunk > size - i)
			chunk = size - i;
		int ev = ofd_rtr_feed(r, data + i, chunk, now);
		i += chunk;
		now += 100;
		ev |= ofd_rtr_tick(r, now);
		size_t len;
		(void)ofd_rtr_output(r, &len);
		if (len > 512)
			abort();
		ofd_rtr_sent(r, len);
		if (ev & OFD_RTR_EV_SET) {
			struct ofd_vrpset *s = ofd_rtr_take_set(r);
			if (!s)
				abort();
			use_set(s, data, size);
		}
		if ((data[0] & 4) && ofd_rtr_count(r) > 4)
			abort();
		if (ev & OFD_RTR_EV_CLOSE)
			(void)ofd_rtr_connected(r, now);
		if (ofd_rtr_next_ms(r, now) < 0)
			abort();
	}
	ofd_rtr_free(r);
	return 0;
}
