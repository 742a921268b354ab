/*
 * Tracer keys: RFC 8032 section 7.1 vectors through a key file (seed -> public key, signature
 * of the message), create/load round trip, permission and file-type refusals, malformed files,
 * no overwriting, sealing and opening; a key file planted by another user, key directories
 * that others may write to or that belong to another user (refused for loading and creating),
 * and the default path's creation (a new directory 0700, a loose existing one refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/keypath.h"
#include "tracer/tracer.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ofd_tkeys_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* Write text to tmpdir/name with the given mode (exactly, whatever the umask). */
static void write_file(const char *name, const char *text, mode_t mode, char *path, size_t pathlen)
{
	path_of(path, pathlen, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
	size_t got = 0;
	assert_int_equal(sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

struct rfc_vector {
	const char *seed, *pub, *msg, *sig;
};

/* RFC 8032 section 7.1, TEST 1, 2, 3 and 1024 (a 1023-byte message). */
static const char msg1023[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0";

static const struct rfc_vector rfc[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
     "05"
     "95bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2ea"
     "eb"
     "4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e"
     "97"
     "16ed28dc027beceea1ec40a"},
    {"f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", msg1023,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4"
     "f6"
     "81e30a6ac00a9704a188a03"},
};

static void test_rfc8032(void **state)
{
	(void)state;
	assert_int_equal(strlen(msg1023), 2 * 1023);
	for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		char path[512], text[256], hex[65];
		/* the seed in a key file, upper-case for one of them, with a comment line */
		snprintf(text, sizeof(text), "# RFC 8032 vector %zu\n%s\n", i, rfc[i].seed);
		if (i == 2)
			for (char *p = strchr(text, '\n') + 1; *p; p++)
				if (*p >= 'a' && *p <= 'f')
					*p = (char)(*p - 'a' + 'A');
		write_file("rfc.key", text, 0600, path, sizeof(path));
		struct ofd_key *k;
		char err[256] = "";
		assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
		ofd_key_public_hex(k, hex);
		assert_string_equal(hex, rfc[i].pub);

		size_t mlen = strlen(rfc[i].msg) / 2;
		uint8_t *m = malloc(mlen + 1), sig[OFD_SIG_LEN], want[OFD_SIG_LEN];
		assert_non_null(m);
		if (mlen)
			unhex(rfc[i].msg, m, mlen);
		unhex(rfc[i].sig, want, sizeof(want));
		ofd_key_sign(k, m, mlen, sig);
		assert_memory_equal(sig, want, OFD_SIG_LEN);
		assert_int_equal(crypto_sign_verify_detached(sig, m, mlen, ofd_key_public(k)), 0);
		free(m);
		ofd_key_free(k);

		/* the same key from its seed directly */
		uint8_t seed[32];
		unhex(rfc[i].seed, seed, 32);
		assert_int_equal(ofd_key_from_seed(&k, seed), 0);
		ofd_key_public_hex(k, hex);
		assert_string_equal(hex, rfc[i].pub);
		ofd_key_free(k);
	}
}

static void read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void test_create_load(void **state)
{
	(void)state;
	char path[512], err[256] = "", text[512], hex[65], hex2[65];
	path_of(path, sizeof(path), "new.key");
	mode_t old = umask(0); /* the file is 0600 whatever the umask */
	struct ofd_key *k, *k2;
	int rc = ofd_key_create(&k, path, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	ofd_key_public_hex(k, hex);
	read_text(path, text, sizeof(text));
	/* a comment naming the public key, then the 64-digit seed and a newline */
	char want_comment[200];
	snprintf(want_comment, sizeof(want_comment), "# overflowd Ed25519 signing key; public key %s\n", hex);
	assert_int_equal(strncmp(text, want_comment, strlen(want_comment)), 0);
	const char *seed = text + strlen(want_comment);
	assert_int_equal(strlen(seed), 65);
	assert_int_equal(strspn(seed, "0123456789abcdef"), 64);
	assert_int_equal(seed[64], '\n');

	assert_int_equal(ofd_key_load(&k2, path, err, sizeof(err)), 0);
	ofd_key_public_hex(k2, hex2);
	assert_string_equal(hex, hex2);
	/* the same secret: same (deterministic) signatures */
	uint8_t s1[OFD_SIG_LEN], s2[OFD_SIG_LEN];
	ofd_key_sign(k, (const uint8_t *)"abc", 3, s1);
	ofd_key_sign(k2, (const uint8_t *)"abc", 3, s2);
	assert_memory_equal(s1, s2, OFD_SIG_LEN);
	assert_int_equal(crypto_sign_verify_detached(s1, (const uint8_t *)"abc", 3, ofd_key_public(k)), 0);
	ofd_key_free(k2);

	/* an existing file is never overwritten */
	assert_int_not_equal(ofd_key_create(&k2, path, err, sizeof(err)), 0);
	assert_null(k2);
	assert_non_null(strstr(err, "exists"));
	char after[512];
	read_text(path, after, sizeof(after));
	assert_string_equal(text, after);
	ofd_key_free(k);

	/* a missing directory is reported, not created */
	path_of(path, sizeof(path), "nodir/new.key");
	assert_int_not_equal(ofd_key_create(&k, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "directory does not exist"));
	path_of(path, sizeof(path), "nodir");
	assert_int_not_equal(access(path, F_OK), 0);
	ofd_key_free(NULL);
}

static const char good[] = "# a comment\n"
			   "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"
			   "# another\n";

static void test_permissions(void **state)
{
	(void)state;
	static const mode_t bad[] = {0640, 0604, 0666, 0620, 0602, 0610, 0601, 0644};
	char path[512], err[256];
	struct ofd_key *k;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("perm.key", good, bad[i], path, sizeof(path));
		err[0] = 0;
		assert_int_not_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
		assert_null(k);
		assert_non_null(strstr(err, "group or others"));
		assert_non_null(strstr(err, "chmod 600"));
	}
	char want[64];
	write_file("perm.key", good, 0640, path, sizeof(path));
	assert_int_not_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "(mode 0640)");
	assert_non_null(strstr(err, want));
	/* 0600 and 0400 are fine */
	static const mode_t ok[] = {0600, 0400};
	for (size_t i = 0; i < 2; i++) {
		write_file("perm.key", good, ok[i], path, sizeof(path));
		assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
		char hex[65];
		ofd_key_public_hex(k, hex);
		assert_string_equal(hex, rfc[0].pub);
		ofd_key_free(k);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text, *why;
	} cases[] = {
	    {"", "empty"},
	    {"# only a comment\n", "no key line"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n", "63 hex digits"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f600\n", "65 hex digits"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6g\n", "column 64"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"
	     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb\n",
	     "more than one key (lines 1 and 2)"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n\n", "line 2 is empty"},
	    {" 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n", "column 1"},
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\r\n", "column 65"},
	    {"0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f\n", "column 2"},
	    {"\n", "line 1 is empty"},
	};
	char path[512], err[256];
	struct ofd_key *k;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("bad.key", cases[i].text, 0600, path, sizeof(path));
		err[0] = 0;
		assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), OFD_EFORMAT);
		assert_null(k);
		if (!strstr(err, "malformed key file") || !strstr(err, cases[i].why)) {
			fprintf(stderr, "case %zu: %s\n", i, err);
			fail();
		}
	}
	/* no trailing newline is fine */
	write_file("ok.key", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 0600, path,
		   sizeof(path));
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	ofd_key_free(k);
	/* a file larger than any key file */
	char big[5000];
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	write_file("big.key", big, 0600, path, sizeof(path));
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), OFD_EFORMAT);
	assert_non_null(strstr(err, "larger than"));
}

static void test_file_types(void **state)
{
	(void)state;
	char path[512], link[512], err[256];
	struct ofd_key *k;
	write_file("target.key", good, 0600, path, sizeof(path));
	path_of(link, sizeof(link), "link.key");
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(ofd_key_load(&k, link, err, sizeof(err)), 0);
	assert_null(k);
	assert_non_null(strstr(err, "symbolic link"));
	/* creating through a symbolic link is refused too (even a dangling one) */
	path_of(path, sizeof(path), "dangling.key");
	path_of(link, sizeof(link), "dlink.key");
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(ofd_key_create(&k, link, err, sizeof(err)), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	/* a directory, a FIFO */
	path_of(path, sizeof(path), "dir.key");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));
	path_of(path, sizeof(path), "fifo.key");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_not_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));
	/* missing */
	path_of(path, sizeof(path), "missing.key");
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open key file"));
}

/* A key file owned by another user, planted at the key path (we are root: chown to nobody). */
static void test_foreign_owner(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char path[512], err[256] = "";
	struct ofd_key *k;
	write_file("planted.key", good, 0600, path, sizeof(path));
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), -EACCES);
	assert_null(k);
	assert_non_null(strstr(err, "is owned by uid 65534, not by uid 0"));
	assert_non_null(strstr(err, "chown 0 "));
	/* the tracer segment's path (create on first use) loads it the same way: refused too */
	assert_int_equal(ofd_keypath_open(&k, path, 1, err, sizeof(err)), -EACCES);
	assert_null(k);
	/* the same file, ours again, loads */
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	ofd_key_free(k);
}

/* Make tmpdir/name a directory of the given mode (exactly) and return its path in dir. */
static void make_dir(const char *name, mode_t mode, char *dir, size_t cap)
{
	path_of(dir, cap, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, mode), 0);
}

static void key_in(const char *dir, const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
}

static void test_key_dirs(void **state)
{
	(void)state;
	char dir[512], sub[600], path[700], err[512] = "";
	struct ofd_key *k;
	/* group- or world-writable: refused for loading and for creating (nothing is created) */
	static const mode_t loose[] = {0770, 0730, 0707, 0777, 01777};
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "loose%zu", i);
		make_dir(name, 0700, dir, sizeof(dir));
		key_in(dir, "a.key", path, sizeof(path));
		assert_int_equal(chmod(dir, loose[i]), 0);
		assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), -EACCES);
		assert_null(k);
		assert_non_null(strstr(err, "is writable by group or others"));
		assert_non_null(strstr(err, "chmod go-w"));
		snprintf(path, sizeof(path), "%s/new.key", dir);
		assert_int_equal(ofd_key_create(&k, path, err, sizeof(err)), -EACCES);
		assert_int_not_equal(access(path, F_OK), 0);
	}
	/* 0755 and 0700 are fine */
	make_dir("d755", 0755, dir, sizeof(dir));
	key_in(dir, "a.key", path, sizeof(path));
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	ofd_key_free(k);
	/* a directory above the key's that others may write to, not sticky: refused; sticky: fine */
	make_dir("open", 0700, dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/inner", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	key_in(sub, "a.key", path, sizeof(path));
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "above key directory"));
	assert_non_null(strstr(err, "(mode 0777) and not sticky"));
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), 0);
	ofd_key_free(k);
	if (geteuid() != 0)
		return; /* the rest needs chown */
	/* owned by another user (mode 0700; root may still enter it): refused */
	make_dir("theirs", 0700, dir, sizeof(dir));
	key_in(dir, "a.key", path, sizeof(path));
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(ofd_key_load(&k, path, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "is owned by uid 65534, neither uid 0"));
	snprintf(path, sizeof(path), "%s/new.key", dir);
	assert_int_equal(ofd_key_create(&k, path, err, sizeof(err)), -EACCES);
	assert_int_not_equal(access(path, F_OK), 0);
}

/* First use: the missing key and its directories are created (0700 directories, 0600 file);
   an existing directory that others may write to is not used. */
static void test_keypath_create(void **state)
{
	(void)state;
	char path[512], dir[512], err[512] = "";
	struct ofd_key *k;
	struct stat st;
	mode_t old = umask(0);
	path_of(path, sizeof(path), "state/overflowd/signing.key");
	int rc = ofd_keypath_open(&k, path, 1, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	ofd_key_free(k);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	path_of(dir, sizeof(dir), "state/overflowd");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	path_of(dir, sizeof(dir), "state");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* loaded again, not created again */
	assert_int_equal(ofd_keypath_open(&k, path, 1, err, sizeof(err)), 0);
	ofd_key_free(k);
	/* an existing directory writable by others: refused, nothing created */
	make_dir("shared", 0777, dir, sizeof(dir));
	path_of(path, sizeof(path), "shared/signing.key");
	assert_int_equal(ofd_keypath_open(&k, path, 1, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "is writable by group or others"));
	assert_int_not_equal(access(path, F_OK), 0);
}

static void test_unseal(void **state)
{
	(void)state;
	uint8_t seed[32], c[64 + crypto_box_SEALBYTES], m[64], xpk[32];
	size_t mlen = 0;
	unhex(rfc[1].seed, seed, 32);
	struct ofd_key *k, *other;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	unhex(rfc[2].seed, seed, 32);
	assert_int_equal(ofd_key_from_seed(&other, seed), 0);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, ofd_key_public(k)), 0);
	assert_int_equal(crypto_box_seal(c, (const uint8_t *)"hello, tracer", 13, xpk), 0);
	assert_int_equal(ofd_key_unseal(k, c, 13 + crypto_box_SEALBYTES, m, &mlen), 0);
	assert_int_equal(mlen, 13);
	assert_memory_equal(m, "hello, tracer", 13);
	/* not ours, tampered, too short */
	assert_int_equal(ofd_key_unseal(other, c, 13 + crypto_box_SEALBYTES, m, &mlen), OFD_EFORMAT);
	c[50] ^= 1;
	assert_int_equal(ofd_key_unseal(k, c, 13 + crypto_box_SEALBYTES, m, &mlen), OFD_EFORMAT);
	assert_int_equal(ofd_key_unseal(k, c, crypto_box_SEALBYTES - 1, m, &mlen), OFD_EFORMAT);
	ofd_key_free(k);
	ofd_key_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8032),	cmocka_unit_test(test_create_load),
	    cmocka_unit_test(test_permissions), cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_file_types),	cmocka_unit_test(test_foreign_owner),
	    cmocka_unit_test(test_key_dirs),	cmocka_unit_test(test_keypath_create),
	    cmocka_unit_test(test_unseal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
