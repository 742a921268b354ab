/*
 * libFuzzer target: a BMP v3 station's input (net/bmp.h): the bytes as a stream, split with
 * ofd_bmp_frame, each message parsed with its Route Monitoring UPDATE; a stream whose header
 * is bad has its rest parsed as one message. Invariants: an error has its reason and is
 * counted; texts are terminated within their bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/bmp.h"

static struct ofd_bmp_msg M;
static struct ofd_bgp_update U;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofd_bmp_counts c;
	memset(&c, 0, sizeof(c));
	uint64_t errs = 0;
	while (size > 0) {
		size_t ml;
		int rc = ofd_bmp_frame(data, size, &ml);
		size_t n = rc == 1 ? ml : size;
		if (ofd_bmp_parse(data, n, &M, &U, &c) != 0) {
			if (!M.error || c.errors != ++errs)
				abort();
		} else if (strlen(M.text) > OFD_BMP_TEXT_MAX || strlen(M.sys_name) > OFD_BMP_TEXT_MAX ||
			   strlen(M.sys_descr) > OFD_BMP_TEXT_MAX) {
			abort();
		}
		if (rc != 1)
			break;
		data += ml, size -= ml;
	}
	return 0;
}
