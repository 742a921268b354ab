/* Hourly quotas in a count-min sketch (see quota.h). */
#include "receiver/quota.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define QUOTA_ROWS 2
#define QUOTA_COLS 32768 /* a power of two */

struct ofd_quota {
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	uint64_t hour; /* the hour counted */
	uint32_t c[QUOTA_ROWS][QUOTA_COLS];
};

int ofd_quota_new(struct ofd_quota **out)
{
	*out = NULL;
	if (sodium_init() < 0)
		return OFD_EFORMAT;
	struct ofd_quota *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	randombytes_buf(q->hkey, sizeof(q->hkey));
	*out = q;
	return 0;
}

void ofd_quota_free(struct ofd_quota *q)
{
	free(q);
}

/* The two columns of name: the halves of one SipHash, and a new hour forgets the counts. */
static void cols(struct ofd_quota *q, const void *name, size_t n, uint64_t hour, uint32_t col[QUOTA_ROWS])
{
	uint8_t h[crypto_shorthash_BYTES];
	if (hour != q->hour) {
		memset(q->c, 0, sizeof(q->c));
		q->hour = hour;
	}
	crypto_shorthash(h, name, n, q->hkey);
	for (int r = 0; r < QUOTA_ROWS; r++)
		col[r] = ((uint32_t)h[4 * r] | (uint32_t)h[4 * r + 1] << 8 | (uint32_t)h[4 * r + 2] << 16 |
			  (uint32_t)h[4 * r + 3] << 24) &
			 (QUOTA_COLS - 1);
}

uint32_t ofd_quota_count(struct ofd_quota *q, const void *name, size_t n, uint64_t hour)
{
	uint32_t col[QUOTA_ROWS], min = UINT32_MAX;
	cols(q, name, n, hour, col);
	for (int r = 0; r < QUOTA_ROWS; r++)
		if (q->c[r][col[r]] < min)
			min = q->c[r][col[r]];
	return min;
}

void ofd_quota_charge(struct ofd_quota *q, const void *name, size_t n, uint64_t hour)
{
	uint32_t col[QUOTA_ROWS];
	cols(q, name, n, hour, col);
	for (int r = 0; r < QUOTA_ROWS; r++)
		if (q->c[r][col[r]] < UINT32_MAX)
			q->c[r][col[r]]++;
}
