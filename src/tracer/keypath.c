/*
 * Where the signing key lives: -k / the `key` config key, else $OVERFLOWD_KEY, else
 * /var/lib/overflowd/signing.key (when /var/lib is writable, i.e. as root), else
 * $HOME/.local/state/overflowd/signing.key. A missing key file is created on first use (the
 * directory too, mode 0700) and the path and public key are logged.
 */
#include "keypath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ofd/log.h"
#include "tracer/send.h"

#define SYSTEM_DIR "/var/lib/overflowd"

int ofd_keypath_default(char *out, size_t cap)
{
	const char *env = getenv("OVERFLOWD_KEY");
	int n;
	if (env && *env)
		n = snprintf(out, cap, "%s", env);
	else if (access("/var/lib", W_OK) == 0)
		n = snprintf(out, cap, "%s/signing.key", SYSTEM_DIR);
	else if (getenv("HOME"))
		n = snprintf(out, cap, "%s/.local/state/overflowd/signing.key", getenv("HOME"));
	else
		return OFD_ENOTFOUND;
	return n < 0 || (size_t)n >= cap ? OFD_ELIMIT : 0;
}

/* mkdir -p for the directory part of path, new directories mode 0700. */
static int make_parent(const char *path)
{
	char dir[4096];
	int n = snprintf(dir, sizeof(dir), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return OFD_ELIMIT;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ofd_keypath_open(struct ofd_key **out, const char *path, int create, char *err, size_t errlen)
{
	char def[4096];
	if (!path) {
		int rc = ofd_keypath_default(def, sizeof(def));
		if (rc) {
			snprintf(err, errlen, "no key file given (-k) and no default location");
			return rc;
		}
		path = def;
	}
	struct stat st;
	if (stat(path, &st) == 0 || errno != ENOENT || !create)
		return ofd_key_load(out, path, err, errlen);
	int rc = make_parent(path);
	if (rc) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, ofd_strerror(rc));
		return rc;
	}
	rc = ofd_key_create(out, path, err, errlen);
	if (rc == 0) {
		char hex[2 * OFD_KEY_PUB_LEN + 1];
		ofd_key_public_hex(*out, hex);
		ofd_info("created a new signing key in %s (public key %s)", path, hex);
	}
	return rc;
}

int ofd_recipient_parse(struct ofd_sender_recipient *r, const char *s)
{
	const char *eq = strchr(s, '=');
	char pfx[128];
	if (!eq || (size_t)(eq - s) >= sizeof(pfx) || strlen(eq + 1) != 2 * OFD_KEY_PUB_LEN)
		return OFD_EFORMAT;
	memcpy(pfx, s, (size_t)(eq - s));
	pfx[eq - s] = 0;
	if (ofd_prefix_parse(&r->prefix, pfx))
		return OFD_EFORMAT;
	for (int i = 0; i < OFD_KEY_PUB_LEN; i++) {
		unsigned v;
		if (sscanf(eq + 1 + 2 * i, "%2x", &v) != 1)
			return OFD_EFORMAT;
		r->key[i] = (uint8_t)v;
	}
	return 0;
}
