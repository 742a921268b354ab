/*
 * libFuzzer target: any export datagram through the version dispatch, from one of four
 * exporters chosen by the last byte, so that template state across exporters is exercised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static void discard(struct ofd_batch *b, void *ctx)
{
	(void)b;
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ofd_decoder *dec;
	static struct ofd_batch batch;
	if (!dec) {
		ofd_log_set_level(OFD_LOG_ERR);
		static const struct ofd_decode_limits lim = {64, 16, 256, 64, 1800};
		if (ofd_decoder_new(&dec, &lim))
			abort();
		ofd_batch_init(&batch, discard, NULL);
	}
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct ofd_dgram dg = {.data = copy, .len = size, .src_port = 2055, .time_ns = 1000000000ull * size};
	ofd_ip_set4u(&dg.src, 0x7f000001 + (size ? data[size - 1] % 4u : 0));
	(void)ofd_decode(dec, &dg, &batch);
	ofd_batch_flush(&batch);
	free(copy);
	return 0;
}
