/* libFuzzer target: sFlow v5 datagrams (the version word is forced to 5) fed to one long-lived
 * decoder, as an input thread would. */
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
		if (ofd_decoder_new(&dec, NULL))
			abort();
		ofd_batch_init(&batch, discard, NULL);
	}
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size >= 4) {
		static const uint8_t v5[4] = {0, 0, 0, 5};
		memcpy(copy, v5, 4);
	}
	struct ofd_dgram dg = {.data = copy, .len = size, .src_port = 6343, .time_ns = 1};
	ofd_ip_set4u(&dg.src, 0x7f000001);
	(void)ofd_decode(dec, &dg, &batch);
	ofd_batch_flush(&batch);
	free(copy);
	return 0;
}
