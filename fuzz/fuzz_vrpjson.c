/*
 * libFuzzer target: VRP files (net/vrp_load.c: "roas" JSON, rpki-client JSON and CSV) loaded
 * into a set, frozen, and validated against prefixes taken from the input. The input is a
 * whole file. Invariants: every entry is loaded, bad or expired; a refusal has its reason; the
 * frozen set holds at most what was loaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/vrp_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofd_vrpset *s;
	if (ofd_vrpset_new(&s) != 0)
		return 0;
	struct ofd_vrp_load_stats st;
	int rc = ofd_vrp_load_buf(s, (const char *)data, size, 1700000000, &st);
	if (st.loaded + st.bad + st.expired != st.entries)
		abort();
	if (rc == OFD_EFORMAT && st.error[0] == 0)
		abort();
	if (rc == 0 && st.bad && st.first_bad[0] == 0)
		abort();
	if (ofd_vrpset_freeze(s) == 0) {
		if (rc == 0 && ofd_vrpset_count(s) > st.loaded)
			abort();
		struct ofd_prefix p = {.addr = {.family = OFD_AF_INET6}};
		for (size_t i = 0; i + 17 <= size && i < 4096; i += 17) {
			memcpy(p.addr.b, data + i, 16);
			p.len = data[i + 16] % 129;
			enum ofd_rpki r = ofd_vrpset_validate(s, &p, (uint32_t)data[i] * 257u);
			if (r != OFD_RPKI_VALID && r != OFD_RPKI_INVALID && r != OFD_RPKI_NOTFOUND)
				abort();
		}
	}
	ofd_vrpset_free(s);
	return 0;
}
