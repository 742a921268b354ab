/*
 * Tracer verification. Order of checks, cheapest first: the size cap, a scan of the line's
 * envelope (envelope.c: the whole line must be a JSON object, only the signature's and the
 * sealed form's members are kept, nothing is built), the signature member's shape (key: 64 hex digits,
 * signature: standard base64 with padding of at least 64 bytes), then Ed25519 over the signed bytes, and only
 * then a parse of those bytes, which must be an object holding objects "flowdata" and "metadata", and their
 * values within bounds (bounds.c). The line's own flowdata/metadata members are never read: the message is
 * the signed bytes. A receiver's limits (ofd_tracer_verify_at) add a size cap, checked before anything is
 * parsed, and a freshness window on metadata.time, checked last.
 *
 * Sealed form {"sealed": B64, "to": HEX}: opened only when `to` is our public key; the inner
 * line must be a plain tracer (a sealed tracer inside a sealed tracer is OFD_TV_SEALED).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/envelope.h"
#include "tracer/tracer.h"

#define DEPTH_MAX ENVELOPE_DEPTH

static const char *const tv_names[OFD_TV__COUNT] = {
    [OFD_TV_OK] = "valid",
    [OFD_TV_TOO_LARGE] = "too large",
    [OFD_TV_NOT_JSON] = "not a JSON object",
    [OFD_TV_NO_SIGNATURE] = "no signature",
    [OFD_TV_BAD_KEY] = "bad key",
    [OFD_TV_BAD_BASE64] = "bad base64 in signature",
    [OFD_TV_BAD_SIGNATURE] = "bad signature",
    [OFD_TV_BODY_NOT_JSON] = "signed part is not a JSON object",
    [OFD_TV_BAD_BODY] = "signed part lacks flowdata or metadata",
    [OFD_TV_SEALED] = "sealed, not for us",
    [OFD_TV_BAD_VALUE] = "a value out of bounds",
    [OFD_TV_STALE] = "stale (its time is outside the freshness window)",
};

static const char *const tv_slugs[OFD_TV__COUNT] = {
    [OFD_TV_OK] = "valid",
    [OFD_TV_TOO_LARGE] = "too_large",
    [OFD_TV_NOT_JSON] = "not_json",
    [OFD_TV_NO_SIGNATURE] = "no_signature",
    [OFD_TV_BAD_KEY] = "bad_key",
    [OFD_TV_BAD_BASE64] = "bad_base64",
    [OFD_TV_BAD_SIGNATURE] = "bad_signature",
    [OFD_TV_BODY_NOT_JSON] = "body_not_json",
    [OFD_TV_BAD_BODY] = "bad_body",
    [OFD_TV_SEALED] = "sealed_not_for_us",
    [OFD_TV_BAD_VALUE] = "bad_value",
    [OFD_TV_STALE] = "stale",
};

const char *ofd_tv_error_slug(enum ofd_tv_error e)
{
	return (unsigned)e < OFD_TV__COUNT ? tv_slugs[e] : "unknown";
}

const char *ofd_tv_error_name(enum ofd_tv_error e)
{
	return (unsigned)e < OFD_TV__COUNT ? tv_names[e] : "unknown";
}

/* 1 if JSON text s never nests deeper than DEPTH_MAX (strings skipped), else 0. */
static int depth_ok(const char *s, size_t n)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > DEPTH_MAX)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

/* Parse s as a JSON object into *root (a new reference). */
static json_t *parse_object(const char *s, size_t n)
{
	if (!depth_ok(s, n))
		return NULL;
	json_error_t jerr;
	json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* A string member's value: its bytes as written, or with escapes resolved into a malloc'd copy
   (*copy, freed by the caller; escapes are rare: no encoder needs them in hex or base64). */
static const char *str_value(const struct env_str *v, size_t *n, char **copy)
{
	*copy = NULL;
	*n = v->n;
	if (!v->esc)
		return v->p;
	*copy = malloc(v->n ? v->n : 1);
	long l = *copy ? ofd_envelope_unescape(v, *copy, v->n) : -1;
	if (l < 0) {
		free(*copy);
		*copy = NULL;
		return NULL;
	}
	*n = (size_t)l;
	return *copy;
}

/* 64 hex digits into 32 bytes; 0 or -1. */
static int key_from_hex(const struct env_str *v, uint8_t key[OFD_KEY_PUB_LEN])
{
	size_t n, got = 0;
	char *copy;
	const char *h = str_value(v, &n, &copy);
	int rc = -1;
	if (!h || n != 2 * OFD_KEY_PUB_LEN)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			goto out;
	}
	if (sodium_hex2bin(key, OFD_KEY_PUB_LEN, h, n, NULL, &got, NULL) == 0 && got == OFD_KEY_PUB_LEN)
		rc = 0;
out:
	free(copy);
	return rc;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict standard base64 with padding (what sodium_base642bin accepts with
 * sodium_base64_VARIANT_ORIGINAL and no ignored characters): length a multiple of 4, '=' only
 * as the last one or two characters, unused bits zero, so that every byte string has exactly
 * one encoding. Not constant-time: the input is public. Length or -1.
 */
static long b64_decode_raw(const unsigned char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int a = b64_val(s[i]), b = b64_val(s[i + 1]), c = b64_val(s[i + 2]), d = b64_val(s[i + 3]);
		int last = i + 4 == n;
		if (a < 0 || b < 0)
			return -1;
		if (c < 0 || d < 0) { /* padding: "xx==" or "xxx=" at the very end only */
			if (!last || s[i + 3] != '=' || (c < 0 && s[i + 2] != '='))
				return -1;
			if (c < 0) {
				if (b & 15)
					return -1;
				out[o++] = (uint8_t)(a << 2 | b >> 4);
			} else {
				if (c & 3)
					return -1;
				out[o++] = (uint8_t)(a << 2 | b >> 4);
				out[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
			}
			break;
		}
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	return (long)o;
}

/* Base64 of a string member (escapes resolved first). */
static long b64_decode(const struct env_str *v, uint8_t *out, size_t cap)
{
	size_t n;
	char *copy;
	const char *s = str_value(v, &n, &copy);
	long rc = s ? b64_decode_raw((const unsigned char *)s, n, out, cap) : -1;
	free(copy);
	return rc;
}

static enum ofd_tv_error verify_plain(const struct envelope *env, uint8_t *scratch,
				      struct ofd_tracer_msg *out, int keep)
{
	if (!env->signature_object || env->key.kind != ENV_STRING || env->sig.kind != ENV_STRING)
		return OFD_TV_NO_SIGNATURE;
	if (key_from_hex(&env->key, out->key) != 0)
		return OFD_TV_BAD_KEY;
	long n = b64_decode(&env->sig, scratch, OFD_TRACER_MAX);
	if (n < OFD_SIG_LEN)
		return OFD_TV_BAD_BASE64;
	const uint8_t *body = scratch + OFD_SIG_LEN;
	size_t blen = (size_t)n - OFD_SIG_LEN;
	if (crypto_sign_verify_detached(scratch, body, blen, out->key) != 0)
		return OFD_TV_BAD_SIGNATURE;

	json_t *msg = parse_object((const char *)body, blen);
	if (!msg)
		return OFD_TV_BODY_NOT_JSON;
	enum ofd_tv_error e = OFD_TV_OK;
	if (!json_is_object(json_object_get(msg, "flowdata")) ||
	    !json_is_object(json_object_get(msg, "metadata")))
		e = OFD_TV_BAD_BODY;
	else
		e = ofd_tracer_check_values(msg, &out->time);
	if (e == OFD_TV_OK) {
		out->body = (const char *)body;
		out->body_len = blen;
		memcpy(out->sig, scratch, OFD_SIG_LEN);
	}
	if (e == OFD_TV_OK && keep)
		out->doc = msg;
	else
		json_decref(msg);
	return e;
}

static enum ofd_tv_error verify_sealed(const struct envelope *env, const struct ofd_key *ours, size_t max_len,
				       uint8_t *scratch, struct ofd_tracer_msg *out, int keep)
{
	uint8_t to[OFD_KEY_PUB_LEN];
	uint8_t ct[OFD_TRACER_MAX];
	uint8_t pt[OFD_TRACER_MAX];
	size_t ptlen = 0;
	if (env->sealed.kind != ENV_STRING || env->to.kind != ENV_STRING)
		return OFD_TV_SEALED;
	if (key_from_hex(&env->to, to) != 0)
		return OFD_TV_BAD_KEY;
	if (!ours || sodium_memcmp(to, ofd_key_public(ours), OFD_KEY_PUB_LEN) != 0)
		return OFD_TV_SEALED;
	long n = b64_decode(&env->sealed, ct, sizeof(ct));
	if (n < 0)
		return OFD_TV_BAD_BASE64;
	if (ofd_key_unseal(ours, ct, (size_t)n, pt, &ptlen) != 0)
		return OFD_TV_SEALED;

	enum ofd_tv_error e;
	struct envelope inner;
	if (ptlen > max_len)
		e = OFD_TV_TOO_LARGE;
	else if (ofd_envelope_scan((const char *)pt, ptlen, &inner) != 0)
		e = OFD_TV_NOT_JSON;
	else if (inner.has_sealed)
		e = OFD_TV_SEALED; /* sealed twice: not opened again */
	else
		e = verify_plain(&inner, scratch, out, keep);
	out->sealed = 1;
	sodium_memzero(pt, ptlen);
	return e;
}

static enum ofd_tv_error verify(const char *line, size_t len, const struct ofd_key *ours, size_t max_len,
				uint8_t *scratch, struct ofd_tracer_msg *out, int keep)
{
	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0)
		return OFD_TV_BAD_SIGNATURE; /* cannot verify anything */
	if (max_len == 0 || max_len > OFD_TRACER_MAX)
		max_len = OFD_TRACER_MAX;
	size_t sealed_max = ofd_tracer_sealed_len(max_len);
	if (len > OFD_TRACER_MAX || len > sealed_max)
		return OFD_TV_TOO_LARGE;
	struct envelope env;
	if (ofd_envelope_scan(line, len, &env) != 0)
		return OFD_TV_NOT_JSON;
	enum ofd_tv_error e;
	if (env.has_sealed)
		e = verify_sealed(&env, ours, max_len, scratch, out, keep);
	else if (len > max_len)
		e = OFD_TV_TOO_LARGE;
	else
		e = verify_plain(&env, scratch, out, keep);
	if (e != OFD_TV_OK) {
		out->body = NULL;
		out->body_len = 0;
	}
	return e;
}

enum ofd_tv_error ofd_tracer_verify(const char *line, size_t len, const struct ofd_key *ours,
				    uint8_t *scratch, struct ofd_tracer_msg *out)
{
	return verify(line, len, ours, 0, scratch, out, 0);
}

enum ofd_tv_error ofd_tracer_verify_doc(const char *line, size_t len, const struct ofd_key *ours,
					uint8_t *scratch, struct ofd_tracer_msg *out)
{
	return verify(line, len, ours, 0, scratch, out, 1);
}

enum ofd_tv_error ofd_tracer_verify_at(const char *line, size_t len, const struct ofd_key *ours,
				       const struct ofd_tv_limits *lim, uint64_t now_ns, uint8_t *scratch,
				       struct ofd_tracer_msg *out)
{
	enum ofd_tv_error e = verify(line, len, ours, lim ? lim->max_len : 0, scratch, out, 1);
	if (e != OFD_TV_OK || !lim || (!lim->past_s && !lim->future_s))
		return e;
	double now = (double)(now_ns / 1000000000u) + (double)(now_ns % 1000000000u) / 1e9;
	int stale = out->time <= 0 || (lim->past_s && out->time < now - lim->past_s) ||
		    (lim->future_s && out->time > now + lim->future_s);
	if (!stale)
		return OFD_TV_OK;
	ofd_tracer_msg_release(out);
	out->body = NULL;
	out->body_len = 0;
	return OFD_TV_STALE;
}

void ofd_tracer_msg_release(struct ofd_tracer_msg *m)
{
	json_decref(m->doc);
	m->doc = NULL;
}
