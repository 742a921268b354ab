/*
 * What the snmp segment makes of an agent's octets: bounded, valid UTF-8 without controls, and
 * flowpipeline's `regex` rule on descriptions (Go's regexp there, PCRE2 here: the syntax
 * flowpipeline's users write, leftmost-first as Go matches, `$` only at the very end).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "segments/enrich/snmp_int.h"
#include "util/utf8.h"

size_t snmp_text_clean(char *out, const unsigned char *in, size_t n)
{
	while (n && in[n - 1] == 0) /* agents pad with NULs */
		n--;
	size_t o = 0, i = 0;
	while (i < n) {
		uint32_t cp = 0;
		size_t l = ofd_utf8_decode(in + i, n - i, &cp);
		if (l == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			if (o + 1 > SNMP_TEXT_MAX)
				break;
			out[o++] = '?';
			i += l ? l : 1;
			continue;
		}
		if (o + l > SNMP_TEXT_MAX)
			break;
		memcpy(out + o, in + i, l);
		o += l;
		i += l;
	}
	out[o] = 0;
	return o;
}

void *snmp_regex_compile(const char *re, char *err, size_t errlen)
{
	int code = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			  PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[160];
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err, errlen, "does not compile at offset %zu: %s", (size_t)off, (const char *)msg);
		return NULL;
	}
	return c;
}

void snmp_regex_free(void *re)
{
	pcre2_code_free(re);
}

long snmp_regex_apply(void *re, const char *d, size_t n, size_t *start)
{
	pcre2_code *c = re;
	*start = 0;
	uint32_t groups = 0;
	if (pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &groups) != 0)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(c, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	long out = -1;
	if (!md || !mc)
		goto done;
	/* d is valid UTF-8 (snmp_text_clean) and at most SNMP_TEXT_MAX bytes: the limits only
	   stop a pattern that backtracks without end */
	pcre2_set_match_limit(mc, 200000);
	pcre2_set_depth_limit(mc, 10000);
	int rc = pcre2_match(c, (PCRE2_SPTR)d, n, 0, PCRE2_NO_UTF_CHECK, md, mc);
	if (rc == PCRE2_ERROR_NOMATCH || (rc >= 0 && groups == 0)) {
		out = (long)n; /* no match, or nothing to extract: the description stays */
	} else if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[2] == PCRE2_UNSET || ov[3] < ov[2]) {
			out = 0;
		} else {
			*start = ov[2];
			out = (long)(ov[3] - ov[2]);
		}
	}
done:
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return out;
}
