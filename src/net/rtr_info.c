/* The RTR client's accessors: output buffer, sets made, session, counters (see rtr.h). */
#include <string.h>

#include "net/rtr_int.h"

const uint8_t *ofd_rtr_output(const struct ofd_rtr *r, size_t *len)
{
	*len = r->out_len;
	return r->out;
}

void ofd_rtr_sent(struct ofd_rtr *r, size_t n)
{
	if (n >= r->out_len) {
		r->out_len = 0;
		return;
	}
	memmove(r->out, r->out + n, r->out_len - n);
	r->out_len -= n;
}

struct ofd_vrpset *ofd_rtr_take_set(struct ofd_rtr *r)
{
	struct ofd_vrpset *s = r->ready;
	r->ready = NULL;
	return s;
}

const char *ofd_rtr_last_error(const struct ofd_rtr *r)
{
	return r->err;
}

int ofd_rtr_session(const struct ofd_rtr *r, uint16_t *session_id, uint32_t *serial)
{
	if (!r->have_session)
		return 0;
	*session_id = r->session;
	*serial = r->serial;
	return 1;
}

unsigned ofd_rtr_version(const struct ofd_rtr *r)
{
	return r->version;
}

void ofd_rtr_intervals(const struct ofd_rtr *r, unsigned *refresh, unsigned *retry, unsigned *expire)
{
	*refresh = r->refresh;
	*retry = r->retry;
	*expire = r->expire;
}

size_t ofd_rtr_count(const struct ofd_rtr *r)
{
	return r->cur.n;
}

int ofd_rtr_foreach(const struct ofd_rtr *r, int (*fn)(void *ctx, const struct ofd_vrp *v), void *ctx)
{
	for (size_t i = 0; r->cur.slot && i <= r->cur.mask; i++) {
		if (!r->cur.slot[i].used)
			continue;
		struct ofd_vrp v;
		ofd_vrp_key_to_vrp(&r->cur.slot[i], &v);
		int rc = fn(ctx, &v);
		if (rc)
			return rc;
	}
	return 0;
}

const struct ofd_rtr_stats *ofd_rtr_stats(const struct ofd_rtr *r)
{
	return &r->stats;
}
