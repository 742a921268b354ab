/*
 * Tracer verification: the four 2016 prototype tracers verify as lines in our format, and every
 * single-byte change of their signed part (signature || body) is rejected; wrong and malformed
 * keys, truncated and oversized lines, bad base64, signed bytes that are not a tracer, and the
 * sealed form (for us: opened and verified; for someone else: OFD_TV_SEALED).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

static uint8_t scratch[OFD_TRACER_MAX];

struct vec {
	char key[65];
	char *sig; /* base64 */
	char *signed_json;
};

static struct vec vecs[4];

static int load_vectors(void **state)
{
	(void)state;
	char path[1024];
	const char *dir = getenv("OFD_DATA");
	snprintf(path, sizeof(path), "%s/overflowd-2016-tracers.json", dir ? dir : "../shared/data");
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root)
		return -1;
	json_t *v = json_object_get(root, "vectors");
	if (json_array_size(v) != 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		json_t *e = json_array_get(v, i);
		snprintf(vecs[i].key, sizeof(vecs[i].key), "%s",
			 json_string_value(json_object_get(e, "key")));
		vecs[i].sig = strdup(json_string_value(json_object_get(e, "signature")));
		vecs[i].signed_json = strdup(json_string_value(json_object_get(e, "signed_json")));
	}
	json_decref(root);
	return 0;
}

static int free_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		free(vecs[i].sig);
		free(vecs[i].signed_json);
	}
	return 0;
}

/* {outer's members, "signature": {"key": key, "signature": sig}} into line; its length. */
static size_t make_line(char *line, size_t cap, const char *outer, const char *key, const char *sig)
{
	size_t olen = strlen(outer);
	assert_true(olen >= 2 && outer[olen - 1] == '}');
	int n = snprintf(line, cap, "%.*s, \"signature\": {\"key\": \"%s\", \"signature\": \"%s\"}}",
			 (int)(olen - 1), outer, key, sig);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static enum ofd_tv_error check(const char *line, size_t len, const struct ofd_key *ours,
			       struct ofd_tracer_msg *m)
{
	return ofd_tracer_verify(line, len, ours, scratch, m);
}

static void test_2016_vectors(void **state)
{
	(void)state;
	static char line[OFD_TRACER_MAX + 1];
	struct ofd_tracer_msg m;
	uint8_t key[32];
	for (size_t i = 0; i < 4; i++) {
		size_t n = make_line(line, sizeof(line), vecs[i].signed_json, vecs[i].key, vecs[i].sig);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_OK);
		assert_int_equal(m.body_len, strlen(vecs[i].signed_json));
		assert_memory_equal(m.body, vecs[i].signed_json, m.body_len);
		assert_true((const uint8_t *)m.body >= scratch &&
			    (const uint8_t *)m.body < scratch + sizeof(scratch));
		assert_int_equal(sodium_hex2bin(key, 32, vecs[i].key, 64, NULL, NULL, NULL), 0);
		assert_memory_equal(m.key, key, 32);
		assert_int_equal(m.sealed, 0);
		/* the key in upper case is the same key */
		char upper[65];
		for (int j = 0; j < 65; j++)
			upper[j] =
			    (char)(vecs[i].key[j] >= 'a' ? vecs[i].key[j] - 'a' + 'A' : vecs[i].key[j]);
		n = make_line(line, sizeof(line), vecs[i].signed_json, upper, vecs[i].sig);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_OK);
		/* the outer copy of the message is not what is verified: any outer members will do */
		n = make_line(line, sizeof(line), "{\"flowdata\": {\"lies\": 1}}", vecs[i].key, vecs[i].sig);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_OK);
		assert_memory_equal(m.body, vecs[i].signed_json, m.body_len);
	}
}

/* Every single-byte change of signature || body, with two different bit flips, is rejected. */
static void test_2016_tampering(void **state)
{
	(void)state;
	static char line[OFD_TRACER_MAX + 1];
	static uint8_t sm[OFD_TRACER_MAX];
	static char b64[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	unsigned rejected = 0;
	for (size_t i = 0; i < 4; i++) {
		size_t smlen = 0;
		assert_int_equal(sodium_base642bin(sm, sizeof(sm), vecs[i].sig, strlen(vecs[i].sig), NULL,
						   &smlen, NULL, sodium_base64_VARIANT_ORIGINAL),
				 0);
		assert_int_equal(smlen, 64 + strlen(vecs[i].signed_json));
		static const uint8_t flips[] = {0x01, 0x80};
		for (size_t f = 0; f < sizeof(flips); f++) {
			for (size_t j = 0; j < smlen; j++) {
				sm[j] ^= flips[f];
				sodium_bin2base64(b64, sizeof(b64), sm, smlen,
						  sodium_base64_VARIANT_ORIGINAL);
				sm[j] ^= flips[f];
				size_t n =
				    make_line(line, sizeof(line), vecs[i].signed_json, vecs[i].key, b64);
				enum ofd_tv_error e = check(line, n, NULL, &m);
				if (e != OFD_TV_BAD_SIGNATURE) {
					fprintf(stderr, "vector %zu byte %zu flip %02x: %s\n", i, j, flips[f],
						ofd_tv_error_name(e));
					fail();
				}
				assert_null(m.body);
				rejected++;
			}
		}
		/* the unchanged bytes still verify */
		sodium_bin2base64(b64, sizeof(b64), sm, smlen, sodium_base64_VARIANT_ORIGINAL);
		size_t n = make_line(line, sizeof(line), vecs[i].signed_json, vecs[i].key, b64);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_OK);
	}
	assert_true(rejected > 4 * 2 * 400);
}

/* Every single-character change of the base64 text is rejected, never accepted. */
static void test_2016_base64_text(void **state)
{
	(void)state;
	static char line[OFD_TRACER_MAX + 1], b64[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	const struct vec *v = &vecs[2]; /* its base64 ends in "==" */
	size_t sl = strlen(v->sig);
	assert_string_equal(v->sig + sl - 4, "fQ==");
	static const char repl[] = {'A', 'B', 'z', '0', '/', '+', '=', '!', '-', '_', ' ', '\\'};
	unsigned base64_errors = 0, signature_errors = 0;
	for (size_t j = 0; j < sl; j++) {
		for (size_t r = 0; r < sizeof(repl); r++) {
			if (v->sig[j] == repl[r])
				continue;
			memcpy(b64, v->sig, sl + 1);
			b64[j] = repl[r];
			char esc[2 * OFD_TRACER_MAX];
			size_t o = 0; /* a JSON string: escape the backslash */
			for (size_t q = 0; q < sl; q++) {
				if (b64[q] == '\\')
					esc[o++] = '\\';
				esc[o++] = b64[q];
			}
			esc[o] = 0;
			size_t n = make_line(line, sizeof(line), v->signed_json, v->key, esc);
			enum ofd_tv_error e = check(line, n, NULL, &m);
			if (e == OFD_TV_BAD_BASE64)
				base64_errors++;
			else if (e == OFD_TV_BAD_SIGNATURE)
				signature_errors++;
			else
				fail_msg("char %zu -> '%c': %s", j, repl[r], ofd_tv_error_name(e));
		}
	}
	assert_true(base64_errors > 0 && signature_errors > 0);
	/* unused bits of the last quantum must be zero: "fQ==" and "fR==" decode alike elsewhere */
	memcpy(b64, v->sig, sl + 1);
	b64[sl - 3] = 'R';
	size_t n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_BASE64);
	/* the "xxx=" form: two bytes fewer */
	static uint8_t sm[OFD_TRACER_MAX];
	size_t smlen = 0;
	assert_int_equal(
	    sodium_base642bin(sm, sizeof(sm), v->sig, sl, NULL, &smlen, NULL, sodium_base64_VARIANT_ORIGINAL),
	    0);
	sodium_bin2base64(b64, sizeof(b64), sm, smlen - 2, sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(b64[strlen(b64) - 1], '=');
	assert_int_not_equal(b64[strlen(b64) - 2], '=');
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_SIGNATURE); /* decodes, two bytes short */
	size_t bl = strlen(b64);
	b64[bl - 2] = b64[bl - 2] == 'A' ? 'B' : 'A'; /* low 2 bits of the last symbol set or not */
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	enum ofd_tv_error e = check(line, n, NULL, &m);
	assert_true(e == OFD_TV_BAD_BASE64 || e == OFD_TV_BAD_SIGNATURE);
}

static void test_keys(void **state)
{
	(void)state;
	char line[OFD_TRACER_MAX + 1];
	struct ofd_tracer_msg m;
	const struct vec *v = &vecs[0];
	/* another valid key: RFC 8032 TEST 1's */
	size_t n = make_line(line, sizeof(line), v->signed_json,
			     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", v->sig);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_SIGNATURE);
	/* every single-digit change of the key */
	char key[65];
	for (int j = 0; j < 64; j++) {
		memcpy(key, v->key, 65);
		key[j] = key[j] == '0' ? '1' : '0';
		n = make_line(line, sizeof(line), v->signed_json, key, v->sig);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_SIGNATURE);
	}
	/* malformed keys */
	static const char *const bad[] = {
	    "d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df",
	    "d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df33",
	    "g52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3",
	    "d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354d:3",
	    "",
	    "d52b9644ba6ffd2bdaa6505e649fd80c a80fad72baf2f46f5c83ab8a2a354df",
	};
	for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
		n = make_line(line, sizeof(line), v->signed_json, bad[j], v->sig);
		assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_KEY);
	}
}

static void test_shapes(void **state)
{
	(void)state;
	char line[OFD_TRACER_MAX + 2];
	struct ofd_tracer_msg m;
	const struct vec *v = &vecs[1];
	size_t n = make_line(line, sizeof(line), v->signed_json, v->key, v->sig);
	/* every truncation */
	for (size_t j = 0; j < n; j++)
		assert_int_equal(check(line, j, NULL, &m), OFD_TV_NOT_JSON);
	/* trailing whitespace is JSON; up to the size cap */
	char *big = malloc(OFD_TRACER_MAX + 2);
	assert_non_null(big);
	memcpy(big, line, n);
	memset(big + n, ' ', OFD_TRACER_MAX + 1 - n);
	assert_int_equal(check(big, OFD_TRACER_MAX, NULL, &m), OFD_TV_OK);
	assert_int_equal(check(big, OFD_TRACER_MAX + 1, NULL, &m), OFD_TV_TOO_LARGE);
	free(big);

	static const struct {
		const char *line;
		enum ofd_tv_error want;
	} cases[] = {
	    {"", OFD_TV_NOT_JSON},
	    {"[]", OFD_TV_NOT_JSON},
	    {"\"x\"", OFD_TV_NOT_JSON},
	    {"{} {}", OFD_TV_NOT_JSON},
	    {"{}", OFD_TV_NO_SIGNATURE},
	    {"{\"signature\": \"abc\"}", OFD_TV_NO_SIGNATURE},
	    {"{\"signature\": {\"key\": 1, \"signature\": \"AAAA\"}}", OFD_TV_NO_SIGNATURE},
	    {"{\"signature\": {\"signature\": \"AAAA\"}}", OFD_TV_NO_SIGNATURE},
	    {"{\"signature\": {\"key\": "
	     "\"d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3\"}}",
	     OFD_TV_NO_SIGNATURE},
	    {"{\"signature\": {\"key\": "
	     "\"d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3\", "
	     "\"signature\": \"AAAA\"}, \"signature\": {}}",
	     OFD_TV_NOT_JSON}, /* duplicate member */
	    {"{\"signature\": {\"key\": "
	     "\"d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3\", "
	     "\"signature\": \"AAAA\"}}",
	     OFD_TV_BAD_BASE64}, /* 3 bytes */
	    {"{\"signature\": {\"key\": "
	     "\"d52b9644ba6ffd2bdaa6505e649fd80ca80fad72baf2f46f5c83ab8a2a354df3\", "
	     "\"signature\": \"\"}}",
	     OFD_TV_BAD_BASE64},
	    {"{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", OFD_TV_NOT_JSON}, /* too deep */
	};
	for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
		enum ofd_tv_error e = check(cases[j].line, strlen(cases[j].line), NULL, &m);
		if (e != cases[j].want) {
			fprintf(stderr, "case %zu: %s\n", j, ofd_tv_error_name(e));
			fail();
		}
	}
	/* a NUL byte inside the line */
	n = make_line(line, sizeof(line), v->signed_json, v->key, v->sig);
	line[5] = 0;
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_NOT_JSON);

	/* base64 broken in several ways */
	char b64[OFD_TRACER_MAX];
	size_t sl = strlen(v->sig);
	memcpy(b64, v->sig, sl + 1);
	b64[10] = '!';
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_BASE64);
	memcpy(b64, v->sig, sl + 1);
	b64[10] = '-'; /* URL-safe alphabet: not ours */
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_BASE64);
	memcpy(b64, v->sig, sl + 1);
	b64[sl - 4] = 0; /* a whole quantum shorter: still base64, the signature fails */
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_SIGNATURE);
	memcpy(b64, v->sig, sl + 1);
	b64[sl - 1] = 0; /* not a multiple of 4 */
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_BASE64);
	/* only the first 60 bytes: shorter than a signature */
	snprintf(b64, sizeof(b64), "%.80s", v->sig);
	n = make_line(line, sizeof(line), v->signed_json, v->key, b64);
	assert_int_equal(check(line, n, NULL, &m), OFD_TV_BAD_BASE64);
	for (int e = 0; e <= OFD_TV__COUNT; e++)
		assert_non_null(ofd_tv_error_name((enum ofd_tv_error)e));
	assert_string_equal(ofd_tv_error_name(OFD_TV_OK), "valid");
}

static struct ofd_key *key_of(uint8_t fill)
{
	uint8_t seed[32];
	memset(seed, fill, sizeof(seed));
	struct ofd_key *k;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* A line around arbitrary signed bytes, as someone else might make it. */
static size_t sign_raw(char *line, size_t cap, const struct ofd_key *k, const char *body)
{
	uint8_t sm[OFD_TRACER_MAX];
	char b64[OFD_TRACER_MAX], hex[65];
	size_t blen = strlen(body);
	ofd_key_sign(k, (const uint8_t *)body, blen, sm);
	memcpy(sm + 64, body, blen);
	sodium_bin2base64(b64, sizeof(b64), sm, 64 + blen, sodium_base64_VARIANT_ORIGINAL);
	ofd_key_public_hex(k, hex);
	int n = snprintf(line, cap, "{\"signature\": {\"key\": \"%s\", \"signature\": \"%s\"}}", hex, b64);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static void test_signed_non_tracers(void **state)
{
	(void)state;
	struct ofd_key *k = key_of(0x11);
	char line[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	static const struct {
		const char *body;
		enum ofd_tv_error want;
	} cases[] = {
	    {"not json", OFD_TV_BODY_NOT_JSON},
	    {"", OFD_TV_BODY_NOT_JSON},
	    {"[1, 2]", OFD_TV_BODY_NOT_JSON},
	    {"{\"flowdata\": {}, \"metadata\": {}", OFD_TV_BODY_NOT_JSON},
	    {"{\"flowdata\": {}, \"flowdata\": {}, \"metadata\": {}}", OFD_TV_BODY_NOT_JSON},
	    {"{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", OFD_TV_BODY_NOT_JSON},
	    {"{\"flowdata\": {}}", OFD_TV_BAD_BODY},
	    {"{\"metadata\": {}}", OFD_TV_BAD_BODY},
	    {"{\"flowdata\": {}, \"metadata\": []}", OFD_TV_BAD_BODY},
	    {"{\"flowdata\": \"x\", \"metadata\": {}}", OFD_TV_BAD_BODY},
	    {"{\"flowdata\": {}, \"metadata\": {}}", OFD_TV_OK},
	};
	for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
		size_t n = sign_raw(line, sizeof(line), k, cases[j].body);
		enum ofd_tv_error e = check(line, n, NULL, &m);
		if (e != cases[j].want) {
			fprintf(stderr, "case %zu: %s\n", j, ofd_tv_error_name(e));
			fail();
		}
		/* the key is known even when the message is not accepted */
		assert_memory_equal(m.key, ofd_key_public(k), 32);
	}
	ofd_key_free(k);
}

static void test_sealed(void **state)
{
	(void)state;
	struct ofd_key *signer = key_of(0x22), *ours = key_of(0x33), *other = key_of(0x44);
	static char line[OFD_TRACER_MAX], sealed[OFD_TRACER_MAX], twice[OFD_TRACER_MAX];
	const struct vec *v = &vecs[2];
	struct ofd_tracer_msg m;
	/* one of ours, and a 2016 tracer */
	int n = ofd_tracer_sign(line, sizeof(line), v->signed_json, strlen(v->signed_json), signer);
	assert_true(n > 0);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			n = (int)make_line(line, sizeof(line), v->signed_json, v->key, v->sig);
		int sn = ofd_tracer_seal(sealed, sizeof(sealed), line, (size_t)n, ofd_key_public(ours));
		assert_true(sn > 0);
		assert_int_equal((size_t)sn, ofd_tracer_sealed_len((size_t)n));
		assert_int_equal(strlen(sealed), (size_t)sn);
		char hex[65], want[100];
		ofd_key_public_hex(ours, hex);
		assert_int_equal(strncmp(sealed, "{\"sealed\": \"", 12), 0);
		snprintf(want, sizeof(want), "\", \"to\": \"%s\"}", hex);
		assert_string_equal(sealed + sn - strlen(want), want);
		/* for us: opened and verified */
		assert_int_equal(check(sealed, (size_t)sn, ours, &m), OFD_TV_OK);
		assert_int_equal(m.sealed, 1);
		assert_int_equal(m.body_len, strlen(v->signed_json));
		assert_memory_equal(m.body, v->signed_json, m.body_len);
		uint8_t want_key[32];
		if (pass == 1)
			assert_int_equal(sodium_hex2bin(want_key, 32, v->key, 64, NULL, NULL, NULL), 0);
		else
			memcpy(want_key, ofd_key_public(signer), 32);
		assert_memory_equal(m.key, want_key, 32);
		/* for someone else, or without a key */
		assert_int_equal(check(sealed, (size_t)sn, other, &m), OFD_TV_SEALED);
		assert_int_equal(m.sealed, 0);
		assert_null(m.body);
		assert_int_equal(check(sealed, (size_t)sn, NULL, &m), OFD_TV_SEALED);
		/* a changed ciphertext does not open */
		sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
		assert_int_equal(check(sealed, (size_t)sn, ours, &m), OFD_TV_SEALED);
	}
	/* sealed to someone else */
	int sn = ofd_tracer_seal(sealed, sizeof(sealed), line, (size_t)n, ofd_key_public(other));
	assert_true(sn > 0);
	assert_int_equal(check(sealed, (size_t)sn, ours, &m), OFD_TV_SEALED);
	assert_int_equal(check(sealed, (size_t)sn, other, &m), OFD_TV_OK);
	/* sealed twice: the inner one is not opened again */
	sn = ofd_tracer_seal(sealed, sizeof(sealed), line, (size_t)n, ofd_key_public(ours));
	int tn = ofd_tracer_seal(twice, sizeof(twice), sealed, (size_t)sn, ofd_key_public(ours));
	assert_true(tn > 0);
	assert_int_equal(check(twice, (size_t)tn, ours, &m), OFD_TV_SEALED);
	/* sealed garbage, and a sealed tracer with a bad signature */
	sn = ofd_tracer_seal(sealed, sizeof(sealed), "hello", 5, ofd_key_public(ours));
	assert_int_equal(check(sealed, (size_t)sn, ours, &m), OFD_TV_NOT_JSON);
	line[n - 10] = line[n - 10] == 'A' ? 'B' : 'A';
	sn = ofd_tracer_seal(sealed, sizeof(sealed), line, (size_t)n, ofd_key_public(ours));
	assert_int_equal(check(sealed, (size_t)sn, ours, &m), OFD_TV_BAD_SIGNATURE);
	assert_int_equal(m.sealed, 1);
	/* envelopes that are not right */
	static const struct {
		const char *line;
		enum ofd_tv_error want;
	} cases[] = {
	    {"{\"sealed\": 1, \"to\": \"00\"}", OFD_TV_SEALED},
	    {"{\"sealed\": \"AAAA\"}", OFD_TV_SEALED},
	    {"{\"sealed\": \"AAAA\", \"to\": \"abc\"}", OFD_TV_BAD_KEY},
	};
	for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
		assert_int_equal(check(cases[j].line, strlen(cases[j].line), ours, &m), cases[j].want);
	char hex[65];
	ofd_key_public_hex(ours, hex);
	snprintf(line, sizeof(line), "{\"sealed\": \"AA!A\", \"to\": \"%s\"}", hex);
	assert_int_equal(check(line, strlen(line), ours, &m), OFD_TV_BAD_BASE64);
	snprintf(line, sizeof(line), "{\"sealed\": \"AAAA\", \"to\": \"%s\"}", hex);
	assert_int_equal(check(line, strlen(line), ours, &m), OFD_TV_SEALED);

	/* keys that do not convert to X25519, a tracer too large, a buffer too small */
	uint8_t zero[32] = {0}, ff[32];
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(ofd_tracer_seal(sealed, sizeof(sealed), "{}", 2, zero), OFD_EFORMAT);
	assert_int_equal(ofd_tracer_seal(sealed, sizeof(sealed), "{}", 2, ff), OFD_EFORMAT);
	assert_int_equal(
	    ofd_tracer_seal(sealed, sizeof(sealed), line, OFD_TRACER_MAX - 100, ofd_key_public(ours)),
	    OFD_ELIMIT);
	size_t need = ofd_tracer_sealed_len(5);
	assert_int_equal(ofd_tracer_seal(sealed, need, "hello", 5, ofd_key_public(ours)), OFD_ELIMIT);
	assert_int_equal(ofd_tracer_seal(sealed, need + 1, "hello", 5, ofd_key_public(ours)), (int)need);
	ofd_key_free(signer);
	ofd_key_free(ours);
	ofd_key_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_2016_vectors),     cmocka_unit_test(test_2016_tampering),
	    cmocka_unit_test(test_2016_base64_text), cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_shapes),	     cmocka_unit_test(test_signed_non_tracers),
	    cmocka_unit_test(test_sealed),
	};
	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
