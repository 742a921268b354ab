/* Copying records between batches with their strings (include/ofd/batch.h). */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ofd/batch.h"

/* Offsets of the string fields, from the field table (once). */
static uint16_t str_off[OFD_F__COUNT];
static unsigned nstr;
static pthread_once_t str_once = PTHREAD_ONCE_INIT;

static void str_fields(void)
{
	for (unsigned i = 0; i < OFD_F__STORED; i++)
		if (ofd_fields[i].kind == OFD_FK_STR)
			str_off[nstr++] = ofd_fields[i].off;
}

/* Point f's strings that lie in from[0..len) at the same bytes in to (to NULL: unset them). */
static void rebase(struct ofd_flow *f, const char *from, uint32_t len, char *to)
{
	for (unsigned k = 0; k < nstr; k++) {
		const char *p;
		memcpy(&p, (const char *)f + str_off[k], sizeof(p));
		if (!p || (uintptr_t)p < (uintptr_t)from || (uintptr_t)p >= (uintptr_t)from + len)
			continue;
		p = to ? to + (p - from) : NULL;
		memcpy((char *)f + str_off[k], &p, sizeof(p));
	}
}

void ofd_batch_copy_live(struct ofd_batch *dst, const struct ofd_batch *src)
{
	uint32_t used = src->arena_used, base = dst->arena_used;
	char *to = NULL; /* no room (callers pass an empty dst, so it has): the strings are unset */
	if (used) {
		pthread_once(&str_once, str_fields);
		if (used <= ofd_batch_arena_free(dst)) {
			to = dst->arena + base;
			memcpy(to, src->arena, used);
			dst->arena_used += used;
		}
	}
	for (unsigned w = 0; w < OFD_BATCH_CAP / 64; w++) {
		for (uint64_t m = src->live[w]; m && dst->n < OFD_BATCH_CAP; m &= m - 1) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(m);
			struct ofd_flow *f = &dst->flows[dst->n];
			*f = src->flows[i];
			if (used)
				rebase(f, src->arena, used, to);
			dst->live[dst->n >> 6] |= UINT64_C(1) << (dst->n & 63);
			dst->n++;
		}
	}
}
