/*
 * libFuzzer target: prefix files (src/segments/common/prefixfile.c: addcid, addnetid and
 * remoteaddress read them). The first byte picks the id mode (integers, text, optional
 * integers), the rest is the file's text; a table that loads is looked up with a few
 * addresses (one batch, so the memo and the trie both answer) and freed. LeakSanitizer checks
 * that a refused file frees what it built.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "segments/common/prefixfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum pfx_mode mode = (enum pfx_mode)(data[0] % 3);
	struct pfx_table *t = NULL;
	char err[512];
	if (pfx_parse("fuzz.csv", (const char *)data + 1, size - 1, mode, &t, err, sizeof(err)) != 0)
		return 0;
	struct ofd_ip ips[4];
	const struct ofd_ip *a[8];
	uint32_t v[8];
	(void)ofd_ip_parse(&ips[0], "10.1.2.3");
	(void)ofd_ip_parse(&ips[1], "2001:db8::1");
	(void)ofd_ip_parse(&ips[2], "0.0.0.0");
	(void)ofd_ip_parse(&ips[3], "::");
	for (int i = 0; i < 8; i++)
		a[i] = i == 5 ? NULL : &ips[i % 4];
	pfx_lookup(t, a, 8, v);
	for (int i = 0; i < 8; i++)
		if (mode == PFX_STR && v[i] > t->nstr)
			__builtin_trap(); /* a string id the table does not hold */
	pfx_table_free(t);
	return 0;
}
