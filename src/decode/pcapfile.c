/* STUB: to be replaced by the real capture reader. */
#include "pcapfile.h"

int ofd_pcapfile_open(struct ofd_pcapfile **out, const char *path)
{
	(void)out;
	(void)path;
	return OFD_EUNSUPPORTED;
}
int ofd_pcapfile_next(struct ofd_pcapfile *pf, struct ofd_dgram *dg, uint16_t *dst_port)
{
	(void)pf, (void)dg, (void)dst_port;
	return 0;
}
const struct ofd_pcap_stats *ofd_pcapfile_stats(const struct ofd_pcapfile *pf)
{
	(void)pf;
	return NULL;
}
void ofd_pcapfile_close(struct ofd_pcapfile *pf)
{
	(void)pf;
}
