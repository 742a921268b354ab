/*
 * Keys a config map does not take: an unknown one is refused with "did you mean" when a known
 * key is close, one flowpipeline takes and we ignore (OFD_CFG_IGNORED) is warned about.
 *
 * "Did you mean": how far a mistyped name is from a known one. Levenshtein distance with letter
 * case ignored and `-` equal to `_` (flowpipeline writes both), over names of at most 64
 * characters; a candidate is close when at most 2 edits away, fewer edits than the word has
 * letters, and about a third of them at most (so "port" does not suggest "prefix").
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/config_int.h"
#include "ofd/log.h"

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

/* "unknown key (did you mean K? known: a, b)" for key i of config. */
int ofd_cfg_unknown_key(const struct ofd_cfg_key *keys, const struct ofd_cfg_node *config, size_t i,
			const char *file, const char *seg, char *err, size_t errlen)
{
	char list[256] = "";
	size_t o = 0, best_d = SIZE_MAX;
	const char *best = NULL;
	for (const struct ofd_cfg_key *k = keys; k && k->key; k++) {
		size_t d = ofd_cfg_edit_distance(config->keys[i], k->key);
		if (ofd_cfg_is_close(config->keys[i], k->key) && d < best_d) {
			best_d = d;
			best = k->key;
		}
		if (o < sizeof(list)) {
			int n = snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", k->key);
			o += n > 0 ? (size_t)n : 0;
		}
	}
	if (!o)
		return ofd_cfg_errorf(err, errlen, file, config->key_lines[i], seg, config->keys[i],
				      "unknown key (this segment takes no config)");
	if (best)
		return ofd_cfg_errorf(err, errlen, file, config->key_lines[i], seg, config->keys[i],
				      "unknown key (did you mean %s? known: %s)", best, list);
	return ofd_cfg_errorf(err, errlen, file, config->key_lines[i], seg, config->keys[i],
			      "unknown key (known: %s)", list);
}

static _Thread_local int cfg_quiet; /* ofd_cfg_set_quiet() */

void ofd_cfg_set_quiet(int on)
{
	cfg_quiet = on;
}

/* A key flowpipeline takes and this segment ignores: the warning, with the key's reason. */
void ofd_cfg_ignored_key(const struct ofd_cfg_key *k, const char *key, unsigned line, const char *file,
			 const char *seg)
{
	char msg[512];
	if (cfg_quiet)
		return;
	(void)ofd_cfg_errorf(msg, sizeof(msg), file, line, seg, key,
			     "accepted for flowpipeline's configs and ignored%s%s%s", k->help ? " (" : "",
			     k->help ? k->help : "", k->help ? ")" : "");
	ofd_warn("%s", msg);
}
