/* libFuzzer target: any export datagram, through the version dispatch (input layout in fuzz_dgram.h). */
#include "fuzz_dgram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_dgram(ofd_decode, data, size);
}
