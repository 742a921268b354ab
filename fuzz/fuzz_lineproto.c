/*
 * libFuzzer target: InfluxDB line protocol of hostile strings (src/segments/common/lineproto.c,
 * the influx output's renderer). The input, split at NUL bytes, gives ProtoName and DstIfDesc
 * (tags) and SrcIfDesc (a string field) of a flow; the point is rendered and then scanned as
 * InfluxDB 1.x scans a line (a name or tag value ends at a comma, equals sign or space not
 * preceded by a backslash, and unescapes only those three; a string field runs to its unescaped
 * quote, backslash pairs taken). Whatever the strings, the point is one line, its sections are
 * where they must be (measurement, tags each with one '=', fields, timestamp), the string field
 * unescapes to the string as escaped for text (termtext), and each tag value to it too (but a
 * last backslash, written as \x5c: line protocol cannot end a value with one).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "segments/common/lineproto.h"
#include "util/termtext.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ofd_lp lp;
static int ready;

#define CAP 4096

/* s as the renderer makes it text: cut at OFD_FMT_TEXT_MAX, controls escaped */
static size_t as_text(char *out, const char *s)
{
	size_t n = ofd_utf8_cut(s, strlen(s), OFD_FMT_TEXT_MAX);
	if (ofd_termtext_plain(s, n)) {
		memcpy(out, s, n);
		return n;
	}
	return ofd_termtext_escape(out, OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX), s, n);
}

/* What InfluxDB stores of tag value s (as text): a last backslash is written as \x5c. */
static size_t as_stored(char *out, const char *s, size_t n)
{
	memcpy(out, s, n);
	if (n && s[n - 1] == '\\') {
		memcpy(out + n - 1, "\\x5c", 4);
		n += 3;
	}
	return n;
}

/* Go's bytes.Replace(in, "\\"+c, c) for c in "," " " "=" in turn (InfluxDB 1.x unescapeTag). */
static size_t unescape(char *s, size_t n)
{
	static const char codes[] = ", =";
	for (unsigned k = 0; k < 3; k++) {
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n && s[i + 1] == codes[k])
				i++;
			s[w++] = s[i];
		}
		n = w;
	}
	return n;
}

/*
 * Scan one name or tag value as InfluxDB 1.x does: it ends at a stop byte whose previous byte is
 * not a backslash (base: the line, for the previous byte). Its unescaped text into out.
 */
static const char *scan(const char *base, const char *p, const char *end, const char *stops, char *out,
			size_t *n)
{
	size_t k = 0;
	while (p < end && !(strchr(stops, *p) && (p == base || p[-1] != '\\')))
		out[k++] = *p++;
	*n = unescape(out, k);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		if (ofd_lp_init(&lp, "flowdata") || ofd_lp_add_tag(&lp, "ProtoName") ||
		    ofd_lp_add_tag(&lp, "DstIfDesc") || ofd_lp_add_field(&lp, "Bytes") ||
		    ofd_lp_add_field(&lp, "SrcIfDesc") || ofd_lp_finish(&lp))
			abort();
		ready = 1;
	}
	char s[3][1024];
	memset(s, 0, sizeof(s));
	size_t at = 0;
	for (unsigned i = 0; i < 3 && at <= size; i++) {
		size_t n = 0;
		while (at < size && data[at] && n < sizeof(s[i]) - 1)
			s[i][n++] = (char)data[at++];
		while (at < size && data[at]) /* the rest of a long one */
			at++;
		at++;
	}
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.proto_name = s[0];
	f.in_if_desc = s[1];
	f.out_if_desc = s[2];
	f.bytes = size;
	static char out[CAP];
	char *e = ofd_lp_row(&lp, &f, 1700000000000000000ull, out, out + CAP);
	if (!e)
		abort(); /* three strings of at most 255 bytes fit */
	const char *end = e;
	if (end[-1] != '\n' || memchr(out, '\n', (size_t)(end - out - 1)))
		abort(); /* one line */
	char got[CAP], want[2 * OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX)];
	size_t n;
	const char *p = scan(out, out, end, ", ", got, &n);
	if (n != 8 || memcmp(got, "flowdata", 8))
		abort();
	/* tags in key order: DstIfDesc, ProtoName, each only when not empty */
	const char *tags[2] = {s[2], s[0]};
	const char *keys[2] = {"DstIfDesc", "ProtoName"};
	for (unsigned t = 0; t < 2; t++) {
		char text[OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX)];
		size_t wn = as_stored(want, text, as_text(text, tags[t]));
		if (!wn)
			continue;
		if (*p != ',')
			abort();
		p = scan(out, p + 1, end, "=, ", got, &n);
		if (*p != '=' || n != strlen(keys[t]) || memcmp(got, keys[t], n))
			abort();
		p = scan(out, p + 1, end, "=, ", got, &n);
		if (*p == '=' || !n)
			abort();
		if (n != wn || memcmp(got, want, n))
			abort(); /* the tag value InfluxDB stores */
	}
	if (p + 1 >= end || *p != ' ')
		abort();
	p = scan(out, p + 1, end, "=, ", got, &n);
	if (*p != '=' || n != 5 || memcmp(got, "Bytes", 5))
		abort();
	while (p < end && *p != ',')
		p++;
	p = scan(out, p + 1, end, "=, ", got, &n);
	if (p + 1 >= end || *p != '=' || n != 9 || memcmp(got, "SrcIfDesc", 9) || p[1] != '"')
		abort();
	n = 0;
	for (p += 2; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
			p++;
		got[n++] = *p;
	}
	size_t wn = as_text(want, s[1]);
	if (p >= end || n != wn || memcmp(got, want, n))
		abort(); /* the string field gives the text back */
	if (p + 2 >= end || p[1] != ' ' || strncmp(p + 2, "1700000000000000000\n", (size_t)(end - p - 2)))
		abort();
	return 0;
}
