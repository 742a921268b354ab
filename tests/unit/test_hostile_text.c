/*
 * A stranger's signed tracer whose info, contact, class, addresses and exporter hold terminal
 * escape sequences (OSC title, clear screen, 8-bit CSI, a bidi override): `overflowd verify`
 * and `overflowd tracers` / `overflowd keys` (table and CSV) print them escaped, the JSON
 * format escapes them by its own rules; no output holds an ESC, BEL or any other C0 control
 * (but newlines), DEL, a C1 control or a bidi override. The tracer is signed with a test key,
 * stored in a real database and read back through the commands themselves (stdout captured).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/tracers_cli.h"
#include "store_help.h"

#define HOSTILE "\\u001b]0;pwned\\u0007\\u001b[2J" /* as JSON text */
#define SHOWN	"\\x1b]0;pwned\\x07\\x1b[2J"	   /* as a terminal must show it */
#define JSONED	"\\u001B]0;pwned\\u0007\\u001B[2J" /* as the JSON formats write it (jansson) */

struct signed_line {
	char body[2048];
	char line[OFD_TRACER_MAX + 1];
	size_t len;
};

/* Sign {flowdata, metadata} with hostile strings (info and contact always; addresses, class
   and exporter when all is set) with k. */
static void make_hostile(struct signed_line *t, const struct ofd_key *k, int all)
{
	int n = snprintf(
	    t->body, sizeof(t->body),
	    "{\"flowdata\": {\"sourcetype\": {\"type\": \"Netflow\", \"version\": 5}, \"data\": "
	    "{\"saddr\": \"%s\", \"daddr\": \"%s\", \"sport\": 1, \"dport\": 2, \"protocol\": 6, "
	    "\"pcount\": 3, \"bcount\": 4, \"stime\": 5, \"etime\": 6, \"exporter\": \"%s\"}}, "
	    "\"metadata\": {\"info\": \"" HOSTILE "\", \"class\": \"%s\", \"time\": %lld, "
	    "\"contact\": \"" HOSTILE "\"}}",
	    all ? "192.0.2.1\\u001b[2J" : "192.0.2.1", all ? "198.51.100.7\\u009b31m" : "198.51.100.7",
	    all ? "10.0.0.1\xe2\x80\xae" : "10.0.0.1", all ? "INFO\\u001b[5m" : "INFORMATIONAL",
	    (long long)time(NULL));
	assert_true(n > 0 && (size_t)n < sizeof(t->body));
	int len = ofd_tracer_sign(t->line, sizeof(t->line), t->body, (size_t)n, k);
	assert_true(len > 0);
	t->len = (size_t)len;
}

/* No byte a terminal would act on: C0 but newline, DEL, C1 (U+0080..U+009F as UTF-8), and no
   bidi override. */
static void assert_terminal_safe(const char *what, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int bad = (c < 0x20 && c != '\n') || c == 0x7f ||
			  (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) ||
			  (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   (unsigned char)s[i + 2] == 0xae);
		if (bad)
			fail_msg("%s: byte 0x%02x at %zu of:\n%s", what, c, i, s);
	}
}

/* Run a command with its stdout in a file; its output (caller frees) and status. */
static char *run(int (*cmd)(int, char **), char **argv, int *status)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	char path[] = "/tmp/ofd_hostile_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	*status = cmd(argc, argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
	buf[size] = 0;
	close(fd);
	unlink(path);
	return buf;
}

static void test_verify(void **state)
{
	(void)state;
	struct ofd_key *k = th_key(41);
	static struct signed_line t[2];
	make_hostile(&t[0], k, 0);
	make_hostile(&t[1], k, 1);
	char path[] = "/tmp/ofd_hostile_in_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(write(fd, t[i].line, t[i].len), (ssize_t)t[i].len);
		assert_int_equal(write(fd, "\n", 1), 1);
	}
	close(fd);
	int status;
	char *argv[] = {"verify", path, NULL};
	char *out = run(ofd_cmd_verify, argv, &status);
	unlink(path);
	assert_terminal_safe("verify", out, strlen(out));
	/* the plain one is valid and shown as it is */
	char hex[65];
	ofd_key_public_hex(k, hex);
	char want[512];
	snprintf(want, sizeof(want),
		 "valid %s 192.0.2.1:1 -> 198.51.100.7:2 proto 6 packets 3 bytes 4 class INFORMATIONAL\n",
		 hex);
	assert_int_equal(strncmp(out, want, strlen(want)), 0);
	/* the hostile one: escaped when it verifies (a verifier may refuse such fields instead) */
	const char *second = out + strlen(want);
	if (strncmp(second, "valid ", 6) == 0) {
		assert_non_null(strstr(second, " 192.0.2.1\\x1b[2J:1 -> 198.51.100.7\\u009b31m:2 "));
		assert_non_null(strstr(second, " class INFO\\x1b[5m\n"));
		assert_int_equal(status, OFD_EXIT_OK);
	} else {
		assert_int_equal(strncmp(second, "invalid ", 8), 0);
	}
	free(out);
	ofd_key_free(k);
}

static void test_tracers_and_keys(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(42);
	static struct tr t[2];
	int stored[2];
	for (int i = 0; i < 2; i++) {
		struct signed_line l;
		make_hostile(&l, k, i);
		memcpy(t[i].line, l.line, l.len + 1);
		t[i].len = l.len;
		enum ofd_tv_error e = ofd_tracer_verify(t[i].line, t[i].len, NULL, t[i].scratch, &t[i].m);
		if (i == 1 && e == OFD_TV_BAD_VALUE) { /* addresses that are none: refused (bounds.c) */
			stored[i] = 0;
			continue;
		}
		assert_int_equal(e, OFD_TV_OK);
		stored[i] = th_add(s, &t[i], "203.0.113.5", (uint64_t)time(NULL) * UINT64_C(1000000000));
	}
	ofd_store_close(s);
	assert_int_equal(stored[0], 1); /* info and contact are free text: stored as they came */
	static const char *const fmts[] = {"table", "csv", "json"};
	for (int f = 0; f < 3; f++) {
		int status;
		char *targv[] = {"tracers", "--db", d.db, "--format", (char *)fmts[f], NULL};
		char *out = run(ofd_cmd_tracers, targv, &status);
		assert_int_equal(status, OFD_EXIT_OK);
		assert_terminal_safe(fmts[f], out, strlen(out));
		const char *want = f < 2 ? SHOWN : JSONED;
		/* info and contact of the first tracer, at least */
		const char *p = strstr(out, want);
		assert_non_null(p);
		assert_non_null(strstr(p + 1, want));
		if (stored[1] == 1 && f < 2) { /* the second, when the store took it */
			assert_non_null(strstr(out, "192.0.2.1\\x1b[2J"));
			assert_non_null(strstr(out, "198.51.100.7\\u009b31m"));
			assert_non_null(strstr(out, "INFO\\x1b[5m"));
			assert_non_null(strstr(out, "10.0.0.1\\u202e"));
		}
		free(out);
		char *kargv[] = {"keys", "--db", d.db, "--format", (char *)fmts[f], NULL};
		out = run(ofd_cmd_keys, kargv, &status);
		assert_int_equal(status, OFD_EXIT_OK);
		assert_terminal_safe(fmts[f], out, strlen(out));
		assert_non_null(strstr(out, want)); /* the last contact */
		free(out);
	}
	/* the spoofing report names the contact too */
	int status;
	char *sargv[] = {"tracers", "--db", d.db, "--mine", "192.0.2.0/24", "--spoofed", NULL};
	char *out = run(ofd_cmd_tracers, sargv, &status);
	assert_int_equal(status, OFD_EXIT_OK);
	assert_terminal_safe("spoofed", out, strlen(out));
	assert_non_null(strstr(out, SHOWN));
	free(out);
	ofd_key_free(k);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_tracers_and_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
