/* libFuzzer target: NetFlow v5 datagrams (the version field is forced to 5). */
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
	if (size >= 2) {
		copy[0] = 0;
		copy[1] = 5;
	}
	struct ofd_dgram dg = {.data = copy, .len = size, .src_port = 2055, .time_ns = 1};
	ofd_ip_set4u(&dg.src, 0x7f000001);
	(void)ofd_decode(dec, &dg, &batch);
	ofd_batch_flush(&batch);
	free(copy);
	return 0;
}
