/* STUB: to be replaced by the real UDP listener. */
#include "udp.h"

int ofd_udp_open(struct ofd_udp **out, const char *listen, int rcvbuf)
{
	(void)out, (void)listen, (void)rcvbuf;
	return OFD_EUNSUPPORTED;
}
uint16_t ofd_udp_port(const struct ofd_udp *u, unsigned i)
{
	(void)u, (void)i;
	return 0;
}
int ofd_udp_poll(struct ofd_udp *u, int timeout_ms, ofd_udp_fn fn, void *ctx)
{
	(void)u, (void)timeout_ms, (void)fn, (void)ctx;
	return OFD_EUNSUPPORTED;
}
const struct ofd_udp_stats *ofd_udp_stats(const struct ofd_udp *u)
{
	(void)u;
	return NULL;
}
void ofd_udp_close(struct ofd_udp *u)
{
	(void)u;
}
