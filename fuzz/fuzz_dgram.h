/*
 * Shared body of the decoder fuzz targets: datagrams into one long-lived decoder, so that
 * templates, options state and expiry carry over between inputs, as in an input thread.
 *
 * Input layout: the first byte picks the exporter (bits 0-1: address, bit 2: port) and advances
 * the datagram clock by bits 3-7 seconds; the rest is the datagram, handed to `decode` whatever
 * its version field says. Small limits make the template bounds reachable.
 */
#ifndef OFD_FUZZ_DGRAM_H
#define OFD_FUZZ_DGRAM_H

#include <stdint.h>

#include "decode/decode.h"

typedef int (*fuzz_decode_fn)(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline int fuzz_dgram(fuzz_decode_fn decode, const uint8_t *data, size_t size)
{
	static struct ofd_decoder *dec;
	static struct ofd_batch batch;
	static uint64_t clock_ns = 1700000000000000000ull;
	if (!dec) {
		const struct ofd_decode_limits lim = {.max_exporters = 4,
						      .max_templates_per_exporter = 16,
						      .max_templates_total = 32,
						      .max_fields = 64,
						      .template_timeout_s = 60};
		if (ofd_decoder_new(&dec, &lim))
			return 0;
		ofd_batch_init(&batch, NULL, NULL);
		ofd_log_set_level(OFD_LOG_ERR);
	}
	if (size < 1)
		return 0;
	clock_ns += (uint64_t)(data[0] >> 3) * 1000000000ull;
	struct ofd_dgram dg = {.data = data + 1,
			       .len = size - 1,
			       .src_port = (uint16_t)(2055 + (data[0] >> 2 & 1)),
			       .time_ns = clock_ns};
	ofd_ip_set4u(&dg.src, 0x0a000001u + (data[0] & 3u));
	(void)decode(dec, &dg, &batch);
	ofd_batch_reset(&batch);
	return 0;
}

#endif
