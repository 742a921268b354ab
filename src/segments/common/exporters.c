#include "segments/common/exporters.h"

#include <stdio.h>
#include <string.h>

const char *const ofd_unlisted_choices[] = {"drop", "decode", NULL};

int ofd_exporters_check(const struct ofd_strlist *list, char *err, size_t errlen)
{
	for (size_t i = 0; i < list->n; i++) {
		struct ofd_prefix p;
		if (ofd_prefix_parse(&p, list->v[i])) {
			snprintf(err, errlen,
				 "key exporters[%zu]: '%s' is not an address or prefix (one per item, host "
				 "bits clear)",
				 i, list->v[i]);
			return OFD_ECONFIG;
		}
	}
	return 0;
}

int ofd_exporters_init(struct ofd_exporters *x, const struct ofd_strlist *list, int unlisted, char *err,
		       size_t errlen)
{
	memset(x, 0, sizeof(*x));
	x->unlisted = unlisted;
	int rc = ofd_exporters_check(list, err, errlen);
	if (rc || !list->n)
		return rc;
	rc = ofd_lpm_new(&x->lpm);
	for (size_t i = 0; !rc && i < list->n; i++) {
		struct ofd_prefix p;
		rc = ofd_prefix_parse(&p, list->v[i]);
		if (!rc)
			rc = ofd_lpm_add(x->lpm, &p, 1);
	}
	if (!rc)
		rc = ofd_lpm_freeze(x->lpm);
	if (rc) {
		snprintf(err, errlen, "key exporters: %s", ofd_strerror(rc));
		ofd_exporters_fini(x);
		return rc;
	}
	x->n = list->n;
	return 0;
}

void ofd_exporters_fini(struct ofd_exporters *x)
{
	ofd_lpm_free(x->lpm);
	x->lpm = NULL;
}
