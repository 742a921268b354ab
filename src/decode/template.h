/* NetFlow v9 / IPFIX template cache: keyed by exporter, domain and template id. */
#ifndef OFD_TEMPLATE_H
#define OFD_TEMPLATE_H

#include "decode.h"

int ofd_tmpl_cache_new(struct ofd_tmpl_cache **out, const struct ofd_decode_limits *lim) OFD_MUST_CHECK;
void ofd_tmpl_cache_free(struct ofd_tmpl_cache *tc);

#endif
