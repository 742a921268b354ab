/* STUB: to be replaced by the real decoder. */
#include "decode.h"

int ofd_nf9_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	(void)b;
	return ofd_decode_drop(d, dg, OFD_DROP_BAD_VERSION, OFD_EUNSUPPORTED, "decoder not built yet");
}
