/*
 * libFuzzer target: MRT TABLE_DUMP_V2 RIB dumps (net/mrt.c), the walker aslookup's `type: mrt`
 * reads files with, and every route it hands on put into a longest-prefix-match table and
 * looked up again. The input is a whole file.
 */
#include <stdint.h>
#include <stdlib.h>

#include "net/lpm.h"
#include "net/mrt.h"

static int on_route(void *ctx, const struct ofd_mrt_route *r)
{
	struct ofd_lpm *t = ctx;
	if (r->path_len > OFD_MRT_PATH_MAX)
		abort();
	if (ofd_prefix_check(&r->prefix) != 0)
		abort(); /* the walker hands on well-formed prefixes only */
	return ofd_lpm_add(t, &r->prefix, r->origin) == 0 ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ofd_lpm *t;
	if (ofd_lpm_new(&t) != 0)
		return 0;
	struct ofd_mrt_stats st;
	int rc = ofd_mrt_walk(data, size, on_route, t, &st);
	if (rc != 0 && rc != 1 && !st.error)
		abort(); /* a defect always has its reason */
	if (st.entries > size)
		abort();
	if (ofd_lpm_freeze(t) == 0) {
		struct ofd_ip a = {.family = OFD_AF_INET6};
		uint32_t v;
		for (size_t i = 0; i + 16 <= size && i < 4096; i += 16) {
			for (int k = 0; k < 16; k++)
				a.b[k] = data[i + k];
			(void)ofd_lpm_lookup(t, &a, &v);
		}
	}
	ofd_lpm_free(t);
	(void)ofd_mrt_compressed(data, size);
	return 0;
}
