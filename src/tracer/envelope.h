/*
 * The envelope of a tracer line, scanned without building it: the whole line is checked to be
 * one JSON object (RFC 8259: strings with valid escapes and UTF-8, no NUL, numbers, literals,
 * at most ENVELOPE_DEPTH deep), and only the members a verifier reads are kept, as spans into
 * the line: signature.key and signature.signature, sealed and to. A duplicate of one of those
 * members makes the line not JSON (as a parser that rejects duplicates says); other members are
 * skipped. Private to verify.c; in its own file to keep verify.c short.
 */
#ifndef OFD_TRACER_ENVELOPE_H
#define OFD_TRACER_ENVELOPE_H

#include <stddef.h>

#define ENVELOPE_DEPTH 16 /* a tracer nests 3 deep; anything beyond this is not one */

enum env_kind { ENV_ABSENT, ENV_STRING, ENV_OTHER };

struct env_str {
	enum env_kind kind;
	const char *p; /* a string's content, between the quotes, escapes as written */
	size_t n;
	int esc; /* it holds a backslash escape: read it with ofd_envelope_unescape */
};

struct envelope {
	enum env_kind signature; /* the member "signature": an object (ENV_OTHER), or not */
	int signature_object;
	struct env_str key, sig; /* signature.key, signature.signature */
	struct env_str sealed, to;
	int has_sealed;
};

/* Scan s[0..n) into *e; 0, or -1 when it is not one JSON object (or too deep). */
int ofd_envelope_scan(const char *s, size_t n, struct envelope *e);

/* A string member's value with its escapes resolved into buf (cap bytes); its length, or -1
   when it does not fit or holds a code point beyond ASCII (never in a key or base64). */
long ofd_envelope_unescape(const struct env_str *v, char *buf, size_t cap);

#endif
