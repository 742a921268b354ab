/*
 * The deployment's Ed25519 signing key.
 *
 * Key file: the 32-byte Ed25519 seed as 64 hex digits (either case) on one line, with optional
 * lines starting with '#' before or after it; the last line may or may not end in a newline.
 * Anything else (empty lines, spaces, CR, a second key, a short or long key) is refused as
 * malformed. The file must be a regular file (symbolic links are not followed) owned by the
 * effective user, with no permission bits for group or others. Its directory must belong to the
 * effective user or root and be writable by its owner only, and no directory above it may be
 * writable by group or others unless it is sticky (as /tmp is): whoever can rename or replace
 * the key file could sign as us, or read what we write. The file is opened relative to the
 * directory checked (openat), so the checks and the open see the same directory.
 *
 * Secret material lives only in sodium_malloc'd memory (guard pages, mlock'd, read-only once
 * set up, zeroed on free); stack copies of the seed are wiped with sodium_memzero.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"
#include "util/fileio.h"

#define KEYFILE_MAX 4096 /* a key file is a few lines; anything larger is not one */

struct ofd_key {
	uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key, libsodium's layout */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t xsk[crypto_box_SECRETKEYBYTES]; /* the X25519 form, for opening sealed tracers */
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
};

int ofd_key_from_seed(struct ofd_key **out, const uint8_t seed[32])
{
	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	struct ofd_key *k = sodium_malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(k->xsk, k->sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(k->xpk, k->pk) != 0) {
		sodium_free(k);
		return OFD_EFORMAT;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return 0;
}

void ofd_key_free(struct ofd_key *k)
{
	if (k)
		sodium_free(k); /* makes it writable again, zeroes and unlocks it */
}

const uint8_t *ofd_key_public(const struct ofd_key *k)
{
	return k->pk;
}

void ofd_key_public_hex(const struct ofd_key *k, char hex[2 * OFD_KEY_PUB_LEN + 1])
{
	sodium_bin2hex(hex, 2 * OFD_KEY_PUB_LEN + 1, k->pk, OFD_KEY_PUB_LEN);
}

void ofd_key_sign(const struct ofd_key *k, const uint8_t *m, size_t n, uint8_t sig[OFD_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, m, n, k->sk);
}

int ofd_key_unseal(const struct ofd_key *k, const uint8_t *c, size_t clen, uint8_t *m, size_t *mlen)
{
	if (clen < crypto_box_SEALBYTES || crypto_box_seal_open(m, c, clen, k->xpk, k->xsk) != 0)
		return OFD_EFORMAT;
	*mlen = clen - crypto_box_SEALBYTES;
	return 0;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Parse key file text into seed; on failure describe it in why and return OFD_EFORMAT. */
static int keyfile_parse(const char *t, size_t n, uint8_t seed[32], char *why, size_t whylen)
{
	unsigned line = 0, key_line = 0;
	size_t pos = 0;
	if (n == 0) {
		snprintf(why, whylen, "the file is empty");
		return OFD_EFORMAT;
	}
	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (t + pos)) : n - pos;
		const char *l = t + pos;
		pos += len + (nl != NULL);
		line++;
		if (len > 0 && l[0] == '#')
			continue;
		if (len == 0) {
			snprintf(why, whylen, "line %u is empty", line);
			return OFD_EFORMAT;
		}
		for (size_t i = 0; i < len; i++) {
			if (!is_hex((unsigned char)l[i])) {
				snprintf(why, whylen, "line %u: column %zu is not a hex digit", line, i + 1);
				return OFD_EFORMAT;
			}
		}
		if (len != 64) {
			snprintf(why, whylen, "line %u: %zu hex digits, expected 64", line, len);
			return OFD_EFORMAT;
		}
		if (key_line) {
			snprintf(why, whylen, "more than one key (lines %u and %u)", key_line, line);
			return OFD_EFORMAT;
		}
		size_t got = 0;
		if (sodium_hex2bin(seed, 32, l, 64, NULL, &got, NULL) != 0 || got != 32) {
			snprintf(why, whylen, "line %u: not 64 hex digits", line);
			return OFD_EFORMAT;
		}
		key_line = line;
	}
	if (!key_line) {
		snprintf(why, whylen, "no key line (64 hex digits)");
		return OFD_EFORMAT;
	}
	return 0;
}

/* The directory part of path into dir (".", "/" or the text before the last slash), its last
   component into *base; 0 or OFD_ELIMIT. */
static int split_path(const char *path, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(path, '/');
	int n;
	if (!slash)
		n = snprintf(dir, cap, ".");
	else if (slash == path)
		n = snprintf(dir, cap, "/");
	else
		n = snprintf(dir, cap, "%.*s", (int)(slash - path), path);
	*base = slash ? slash + 1 : path;
	return n < 0 || (size_t)n >= cap || !**base ? OFD_ELIMIT : 0;
}

/* The directories above dir (its resolved path) writable by group or others without the
   sticky bit: the first one found is refused. */
static int check_ancestors(const char *dir, char *err, size_t errlen)
{
	char *real = realpath(dir, NULL);
	if (!real) {
		snprintf(err, errlen, "key directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	int rc = 0;
	for (char *p = strrchr(real, '/'); p && rc == 0; p = strrchr(real, '/')) {
		*p = 0; /* real is now the parent of what it was ("" for the root) */
		const char *name = p == real ? "/" : real;
		struct stat st;
		if (stat(name, &st) != 0) {
			rc = -errno;
			snprintf(err, errlen, "directory %s above key directory %s: %s", name, dir,
				 strerror(errno));
		} else if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
			rc = -EACCES;
			snprintf(err, errlen,
				 "directory %s above key directory %s is writable by group or others "
				 "(mode %04o) and not sticky; refused",
				 name, dir, (unsigned)(st.st_mode & 07777));
		}
		if (p == real)
			break;
	}
	free(real);
	return rc;
}

/*
 * Open the directory that is to hold the key file, and check it: a directory owned by the
 * effective user or root, writable by its owner only, below no directory that others may
 * write to (but sticky ones). The directory's fd, or a negative error described in err.
 */
static int open_key_dir(const char *dir, char *err, size_t errlen)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int rc;
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "key directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	uid_t me = geteuid();
	if (st.st_uid != me && st.st_uid != 0) {
		rc = -EACCES;
		snprintf(err, errlen,
			 "key directory %s is owned by uid %u, neither uid %u (who runs overflowd) nor "
			 "root; refused",
			 dir, (unsigned)st.st_uid, (unsigned)me);
		goto fail;
	}
	if (st.st_mode & 022) {
		rc = -EACCES;
		snprintf(err, errlen,
			 "key directory %s is writable by group or others (mode %04o); refused "
			 "(fix it with: chmod go-w %s)",
			 dir, (unsigned)(st.st_mode & 07777), dir);
		goto fail;
	}
	rc = check_ancestors(dir, err, errlen);
	if (rc)
		goto fail;
	return dfd;
fail:
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file", path);
		return OFD_EFORMAT;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "key file %s is owned by uid %u, not by uid %u (who runs overflowd); refused "
			 "(fix it with: chown %u %s)",
			 path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		return -EACCES;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "key file %s is accessible by group or others (mode %04o); "
			 "fix it with: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -EACCES;
	}
	if (st.st_size > KEYFILE_MAX) {
		snprintf(err, errlen, "malformed key file %s: larger than %d bytes", path, KEYFILE_MAX);
		return OFD_EFORMAT;
	}
	return 0;
}

int ofd_key_load(struct ofd_key **out, const char *path, char *err, size_t errlen)
{
	uint8_t seed[32];
	char why[128];
	char *text = NULL;
	int rc;
	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	char dir[PATH_MAX];
	const char *base;
	if (split_path(path, dir, sizeof(dir), &base)) {
		snprintf(err, errlen, "key file %s: not a file name", path);
		return OFD_ELIMIT;
	}
	int dfd = open_key_dir(dir, err, errlen);
	if (dfd < 0)
		return dfd;
	int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		rc = -errno;
		if (errno == ELOOP)
			snprintf(err, errlen, "key file %s is a symbolic link; refused", path);
		else
			snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
		return rc;
	}
	rc = check_file(fd, path, err, errlen);
	if (rc)
		goto close_fd;
	text = sodium_malloc(KEYFILE_MAX + 1);
	if (!text) {
		rc = -ENOMEM;
		snprintf(err, errlen, "key file %s: out of memory", path);
		goto close_fd;
	}
	ssize_t n = ofd_read_all(fd, text, KEYFILE_MAX + 1);
	if (n < 0) {
		rc = (int)n;
		snprintf(err, errlen, "cannot read key file %s: %s", path, strerror((int)-n));
		goto free_text;
	}
	if (n > KEYFILE_MAX) {
		rc = OFD_EFORMAT;
		snprintf(err, errlen, "malformed key file %s: larger than %d bytes", path, KEYFILE_MAX);
		goto free_text;
	}
	rc = keyfile_parse(text, (size_t)n, seed, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "malformed key file %s: %s", path, why);
		goto wipe_seed;
	}
	rc = ofd_key_from_seed(out, seed);
	if (rc)
		snprintf(err, errlen, "key file %s: cannot set up the key", path);
wipe_seed:
	sodium_memzero(seed, sizeof(seed));
free_text:
	sodium_free(text);
close_fd:
	close(fd);
	return rc;
}

/* The key file's text: a comment naming the public key, then the seed. Length of text. */
static size_t keyfile_text(const struct ofd_key *k, char *text, size_t cap)
{
	char pub[2 * OFD_KEY_PUB_LEN + 1];
	ofd_key_public_hex(k, pub);
	int n = snprintf(text, cap, "# overflowd Ed25519 signing key; public key %s\n", pub);
	if (n < 0 || (size_t)n + 66 > cap)
		return 0;
	sodium_bin2hex(text + n, 65, k->sk, 32); /* the seed: the first half of libsodium's sk */
	text[n + 64] = '\n';
	return (size_t)n + 65;
}

int ofd_key_create(struct ofd_key **out, const char *path, char *err, size_t errlen)
{
	uint8_t seed[32];
	struct ofd_key *k = NULL;
	char *text = NULL;
	int rc;
	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	char dir[PATH_MAX];
	const char *base;
	if (split_path(path, dir, sizeof(dir), &base)) {
		snprintf(err, errlen, "key file %s: not a file name", path);
		return OFD_ELIMIT;
	}
	int dfd = open_key_dir(dir, err, errlen);
	if (dfd < 0) {
		if (dfd == -ENOENT)
			snprintf(err, errlen, "cannot create key file %s: its directory does not exist",
				 path);
		return dfd;
	}
	int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		close(dfd);
		if (errno == EEXIST)
			snprintf(err, errlen, "key file %s already exists; not overwritten", path);
		else if (errno == ENOENT)
			snprintf(err, errlen, "cannot create key file %s: its directory does not exist",
				 path);
		else
			snprintf(err, errlen, "cannot create key file %s: %s", path, strerror(errno));
		return rc;
	}
	if (fchmod(fd, 0600) != 0) { /* whatever the umask did */
		rc = -errno;
		snprintf(err, errlen, "key file %s: chmod: %s", path, strerror(errno));
		goto remove_file;
	}
	randombytes_buf(seed, sizeof(seed));
	rc = ofd_key_from_seed(&k, seed);
	sodium_memzero(seed, sizeof(seed));
	if (rc) {
		snprintf(err, errlen, "key file %s: cannot make a key", path);
		goto remove_file;
	}
	text = sodium_malloc(256);
	size_t n = text ? keyfile_text(k, text, 256) : 0;
	if (n == 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "key file %s: out of memory", path);
		goto free_key;
	}
	rc = ofd_write_all(fd, text, n);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(-rc));
		goto free_key;
	}
	sodium_free(text);
	close(fd);
	close(dfd);
	*out = k;
	return 0;
free_key:
	sodium_free(text);
	ofd_key_free(k);
remove_file:
	close(fd);
	unlinkat(dfd, base, 0);
	close(dfd);
	return rc;
}
