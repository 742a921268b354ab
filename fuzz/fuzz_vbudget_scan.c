/*
 * libFuzzer target: the UDP verification budget's envelope scan (receiver/vbudget.c), which
 * reads every datagram of a flood before anything else does, and the reading thread's path
 * behind it (admit, result, unadmit) on one long-lived budget.
 *
 * Checked for every input:
 *   - the scan is a pure function: twice the same hint; it sets has_key or sealed (0 or 1,
 *     never both) and nothing else (net and lane stay 0);
 *   - has_key: the input holds the key's 64 hex digits (in any case) and room for a signature;
 *   - admit returns a lane or a drop reason, the priority lane only with a key; the same bytes
 *     admitted again at once are a repeat when they would be verified (a key or the sealed
 *     form); after an unadmit of the first (its queue was full) they are admitted again, in
 *     the same lane.
 * The first byte of the input picks the source address (its /24) and whether the verdict is
 * valid (bit 0: then the key is trusted, as the listener does), so keys become good and junk
 * naming them is penalized; the whole input is the datagram.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/vbudget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lower(int c)
{
	return c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c;
}

/* Whether data holds hex (64 lowercase digits) in any case. */
static int has_hex(const uint8_t *data, size_t size, const char *hex)
{
	for (size_t i = 0; i + 64 <= size; i++) {
		size_t j = 0;
		while (j < 64 && lower(data[i + j]) == hex[j])
			j++;
		if (j == 64)
			return 1;
	}
	return 0;
}

static void check_scan(const uint8_t *data, size_t size, struct ofd_vb_hint *h)
{
	struct ofd_vb_hint again;
	ofd_vbudget_scan(data, size, h);
	ofd_vbudget_scan(data, size, &again);
	if (memcmp(h, &again, sizeof(again)) != 0)
		abort();
	if (h->has_key > 1 || h->sealed > 1 || (h->has_key && h->sealed) || h->net || h->lane)
		abort();
	if (!h->has_key) {
		static const uint8_t zero[32];
		if (memcmp(h->key, zero, sizeof(zero)) != 0)
			abort();
		return;
	}
	char hex[65];
	sodium_bin2hex(hex, sizeof(hex), h->key, sizeof(h->key));
	if (size < 64 + 88 || !has_hex(data, size, hex))
		abort();
}

static void check_admit(struct ofd_vbudget *b, const uint8_t *data, size_t size, uint64_t now_ns)
{
	struct ofd_ip src = {.family = OFD_AF_INET};
	struct ofd_vb_hint h, h2;
	uint8_t pick = size ? data[0] : 0;
	src.b[10] = src.b[11] = 0xff;
	src.b[12] = 198, src.b[13] = 51, src.b[14] = (uint8_t)(pick >> 1), src.b[15] = 7;
	int lane = ofd_vbudget_admit(b, data, size, &src, 1, &h, now_ns);
	if (lane < -OFD_VB_DROP__COUNT || lane >= OFD_VB__LANES || (lane == OFD_VB_PRIORITY && !h.has_key))
		abort();
	if (lane < 0)
		return;
	if (h.has_key || h.sealed) {
		/* the same bytes at once: a repeat, unverified */
		if (ofd_vbudget_admit(b, data, size, &src, 1, &h2, now_ns) != -1 - OFD_VB_DROP_REPEAT)
			abort();
		/* the first could not be queued after all: forgotten, its token or place given back,
		   so admitted again in the same lane */
		ofd_vbudget_unadmit(b, data, size, &h);
		if (ofd_vbudget_admit(b, data, size, &src, 1, &h, now_ns) != lane)
			abort();
	}
	/* the verdict; a valid one makes its key good, as the listener does */
	int ok = (pick & 1) && h.has_key;
	ofd_vbudget_result(b, &h, ok, now_ns);
	if (ok)
		ofd_vbudget_trust(b, h.key, &src, now_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ofd_vbudget *b;
	static uint64_t now_ns = UINT64_C(1000000000);
	if (!b) {
		const struct ofd_vbudget_cfg cfg = {.rate = 1000, .keys = 64, .repeats = 256};
		if (sodium_init() < 0 || ofd_vbudget_new(&b, &cfg) != 0)
			abort();
	}
	struct ofd_vb_hint h;
	check_scan(data, size, &h);
	now_ns += 1000000; /* 1 ms an input: tokens come back, penalties decay */
	check_admit(b, data, size, now_ns);
	return 0;
}
