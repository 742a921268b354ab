/*
 * libFuzzer target: tracer verification (tracer/verify.c), with a fixed key of ours (seed 32 x
 * 0x42) so that sealed tracers addressed to it are opened. The first byte picks a mode:
 *
 *   0x01 BODY  sign BODY with our key (so that mutations get past the signature) and verify:
 *              the result is OK, BODY_NOT_JSON or BAD_BODY, and an accepted body is BODY;
 *   0x02 LINE  verify LINE, then seal it to our key and verify that: a plain tracer that
 *              verifies also verifies sealed, with the same body;
 *   other      verify the input as a line.
 *
 * Always: the result is a known reason, the body is set exactly when the result is OK, and it
 * lies inside the scratch buffer.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

static struct ofd_key *ours;
static uint8_t scratch[OFD_TRACER_MAX];

static enum ofd_tv_error verify(const char *line, size_t len, struct ofd_tracer_msg *m)
{
	enum ofd_tv_error e = ofd_tracer_verify(line, len, ours, scratch, m);
	if ((unsigned)e >= OFD_TV__COUNT)
		abort();
	if ((e == OFD_TV_OK) != (m->body != NULL))
		abort();
	if (m->body && ((const uint8_t *)m->body < scratch ||
			(const uint8_t *)m->body + m->body_len > scratch + sizeof(scratch)))
		abort();
	return e;
}

static void signed_body(const uint8_t *body, size_t blen)
{
	static uint8_t sm[OFD_SIG_LEN + OFD_TRACER_MAX];
	static char line[2 * OFD_TRACER_MAX];
	char hex[2 * OFD_KEY_PUB_LEN + 1];
	if (blen > 4096)
		return;
	ofd_key_sign(ours, body, blen, sm);
	memcpy(sm + OFD_SIG_LEN, body, blen);
	ofd_key_public_hex(ours, hex);
	size_t n = 0;
	static const char head[] = "{\"signature\": {\"key\": \"";
	memcpy(line, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memcpy(line + n, hex, 64);
	n += 64;
	memcpy(line + n, "\", \"signature\": \"", 17);
	n += 17;
	sodium_bin2base64(line + n, sizeof(line) - n, sm, OFD_SIG_LEN + blen, sodium_base64_VARIANT_ORIGINAL);
	n += strlen(line + n);
	memcpy(line + n, "\"}}", 3);
	n += 3;
	struct ofd_tracer_msg m;
	enum ofd_tv_error e = verify(line, n, &m);
	if (e != OFD_TV_OK && e != OFD_TV_BODY_NOT_JSON && e != OFD_TV_BAD_BODY && e != OFD_TV_TOO_LARGE &&
	    e != OFD_TV_BAD_VALUE && e != OFD_TV_STALE) /* a signed body may still hold wrong values */
		abort();
	if (e == OFD_TV_OK && (m.body_len != blen || memcmp(m.body, body, blen) != 0))
		abort();
}

static void sealed_line(const char *line, size_t len)
{
	static char sealed[OFD_TRACER_MAX];
	static char body[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	enum ofd_tv_error e = verify(line, len, &m);
	int sn = ofd_tracer_seal(sealed, sizeof(sealed), line, len, ofd_key_public(ours));
	if (sn < 0)
		return;
	if (e != OFD_TV_OK || m.sealed) {
		(void)verify(sealed, (size_t)sn, &m);
		return;
	}
	size_t blen = m.body_len;
	memcpy(body, m.body, blen);
	if (verify(sealed, (size_t)sn, &m) != OFD_TV_OK || !m.sealed || m.body_len != blen ||
	    memcmp(m.body, body, blen) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ours) {
		uint8_t seed[32];
		memset(seed, 0x42, sizeof(seed));
		if (ofd_key_from_seed(&ours, seed) != 0)
			abort();
	}
	struct ofd_tracer_msg m;
	if (size > 0 && data[0] == 0x01)
		signed_body(data + 1, size - 1);
	else if (size > 0 && data[0] == 0x02)
		sealed_line((const char *)data + 1, size - 1);
	else
		(void)verify((const char *)data, size, &m);
	return 0;
}
