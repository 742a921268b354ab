/*
 * "Did you mean": how far a mistyped name is from a known one. Levenshtein distance with letter
 * case ignored and `-` equal to `_` (flowpipeline writes both), over names of at most 64
 * characters; a candidate is close when at most 2 edits away, fewer edits than the word has
 * letters, and about a third of them at most (so "port" does not suggest "prefix").
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/config.h"

size_t ofd_cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int same =
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ||
			    ((a[i - 1] == '-' || a[i - 1] == '_') && (b[j - 1] == '-' || b[j - 1] == '_'));
			size_t best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

int ofd_cfg_is_close(const char *word, const char *cand)
{
	size_t d = ofd_cfg_edit_distance(word, cand), n = strlen(word);
	return d <= 2 && d < n && d * 3 <= n + 1;
}
