/*
 * Encryption mode: a signed tracer sealed (crypto_box_seal, an anonymous sender) to the
 * recipient's Ed25519 key converted to X25519, sent as {"sealed": "BASE64", "to": "HEX"}.
 * The recipient opens it with ofd_key_unseal() (ofd_tracer_verify() does so for its own key).
 * The sealed line obeys the same OFD_TRACER_MAX as any tracer line, so the tracer inside is at
 * most about three quarters of it.
 */
#include <sodium.h>
#include <string.h>

#include "tracer/tracer.h"

#define SEAL_HEAD_LIT "{\"sealed\": \""
#define SEAL_TO_LIT   "\", \"to\": \""
#define SEAL_TAIL_LIT "\"}"

size_t ofd_tracer_sealed_len(size_t len)
{
	size_t b64 =
	    sodium_base64_encoded_len(crypto_box_SEALBYTES + len, sodium_base64_VARIANT_ORIGINAL) - 1;
	return (sizeof(SEAL_HEAD_LIT) - 1) + b64 + (sizeof(SEAL_TO_LIT) - 1) + 2 * OFD_KEY_PUB_LEN +
	       (sizeof(SEAL_TAIL_LIT) - 1);
}

int ofd_tracer_seal(char *out, size_t cap, const char *tracer, size_t len, const uint8_t pub[OFD_KEY_PUB_LEN])
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t ct[crypto_box_SEALBYTES + OFD_TRACER_MAX];
	if (sodium_init() < 0)
		return -ENOMEM;
	if (len > OFD_TRACER_MAX)
		return OFD_ELIMIT;
	size_t need = ofd_tracer_sealed_len(len);
	if (need > OFD_TRACER_MAX || need >= cap)
		return OFD_ELIMIT;
	/* refuses keys that are not points of the main subgroup (small order, not on the curve) */
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, pub) != 0)
		return OFD_EFORMAT;
	if (crypto_box_seal(ct, (const uint8_t *)tracer, len, xpk) != 0)
		return OFD_EFORMAT;

	size_t pos = 0, clen = crypto_box_SEALBYTES + len;
	size_t b64 = sodium_base64_encoded_len(clen, sodium_base64_VARIANT_ORIGINAL);
	memcpy(out, SEAL_HEAD_LIT, sizeof(SEAL_HEAD_LIT) - 1);
	pos += sizeof(SEAL_HEAD_LIT) - 1;
	sodium_bin2base64(out + pos, b64, ct, clen, sodium_base64_VARIANT_ORIGINAL);
	pos += b64 - 1;
	memcpy(out + pos, SEAL_TO_LIT, sizeof(SEAL_TO_LIT) - 1);
	pos += sizeof(SEAL_TO_LIT) - 1;
	sodium_bin2hex(out + pos, 2 * OFD_KEY_PUB_LEN + 1, pub, OFD_KEY_PUB_LEN);
	pos += 2 * OFD_KEY_PUB_LEN;
	memcpy(out + pos, SEAL_TAIL_LIT, sizeof(SEAL_TAIL_LIT)); /* with its terminator */
	pos += sizeof(SEAL_TAIL_LIT) - 1;
	return (int)pos;
}
