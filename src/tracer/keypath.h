/* Finding (and on first use creating) the deployment's signing key. */
#ifndef OFD_TRACER_KEYPATH_H
#define OFD_TRACER_KEYPATH_H

#include <stddef.h>

#include "tracer/tracer.h"

/* The default key path: $OVERFLOWD_KEY, /var/lib/overflowd/signing.key, or under $HOME. */
int ofd_keypath_default(char *out, size_t cap) OFD_MUST_CHECK;

/*
 * Load the key at path (NULL: the default path). With create, a missing file is created (and its
 * directory, mode 0700), and the new public key is logged. Errors are described in err.
 */
int ofd_keypath_open(struct ofd_key **out, const char *path, int create, char *err,
		     size_t errlen) OFD_MUST_CHECK;

/* Parse "PREFIX=HEXKEY" (a sealing recipient) into r; 0 or OFD_EFORMAT. */
struct ofd_sender_recipient;
int ofd_recipient_parse(struct ofd_sender_recipient *r, const char *s) OFD_MUST_CHECK;

#endif
