/*
 * The BGP codec against a live BIRD 2 (Debian bird2): the test listens on 127.0.0.1 with an
 * ephemeral port, starts BIRD with ../shared/data/bird-test.conf (ports rewritten to free
 * ones), answers BIRD's OPEN with ours (ofd_bgp_open_build), splits the stream with
 * ofd_bgp_frame and checks the 10 routes and both End-of-RIBs, then ends with a NOTIFICATION
 * Cease carrying a shutdown text. Run twice: plain, and with `add paths tx` in BIRD's channels
 * so that ADD-PATH (our receive capability) is negotiated and the NLRI carry path ids.
 * No sleeps: every wait is a poll() with a bounded timeout. Skipped when bird is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/bgp_msg.h"
#include "bird_routes.h"

#define BIRD "/usr/sbin/bird"

static struct ofd_bgp_update U;

static unsigned port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static int listen_lo(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* bird-test.conf with the collector port, BIRD's own port and optionally ADD-PATH tx. */
static void write_conf(const char *path, unsigned coll, unsigned own, int addpath)
{
	const char *dir = getenv("OFD_DATA");
	char src[512];
	snprintf(src, sizeof(src), "%s/bird-test.conf", dir ? dir : "../shared/data");
	FILE *in = fopen(src, "r");
	assert_non_null(in);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	char line[512];
	while (fgets(line, sizeof(line), in)) {
		char *p;
		if ((p = strstr(line, "port 1179")) != NULL)
			fprintf(out, "%.*sport %u%s", (int)(p - line), line, coll, p + 9);
		else if ((p = strstr(line, "port 1790")) != NULL)
			fprintf(out, "%.*sport %u%s", (int)(p - line), line, own, p + 9);
		else if (addpath && (strstr(line, "\tipv4 {") || strstr(line, "\tipv6 {")))
			fprintf(out, "%s\t\tadd paths tx;\n", line);
		else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
}

struct conn {
	int fd;
	uint8_t buf[65536];
	size_t n;
};

/* The next whole message (pointer into c->buf, valid until the next call), waiting up to 20 s. */
static const uint8_t *next_msg(struct conn *c, size_t *len, size_t *consumed)
{
	if (*consumed) {
		memmove(c->buf, c->buf + *consumed, c->n - *consumed);
		c->n -= *consumed;
		*consumed = 0;
	}
	for (;;) {
		struct ofd_bgp_err e;
		int rc = ofd_bgp_frame(c->buf, c->n, OFD_BGP_EXT_MAX_LEN, len, &e);
		assert_true(rc >= 0);
		if (rc == 1) {
			*consumed = *len;
			return c->buf;
		}
		struct pollfd pf = {c->fd, POLLIN, 0};
		int pr = poll(&pf, 1, 20000);
		assert_int_equal(pr, 1);
		ssize_t r = read(c->fd, c->buf + c->n, sizeof(c->buf) - c->n);
		assert_true(r > 0);
		c->n += (size_t)r;
	}
}

static void run_session(int addpath)
{
	if (access(BIRD, X_OK) != 0) {
		skip();
		return;
	}
	char dir[] = "/tmp/ofd_bgpbird_XXXXXX";
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0777);
	int lfd = listen_lo();
	unsigned coll = port_of(lfd);
	int tmp = listen_lo(); /* a free port for BIRD's own listening socket */
	unsigned own = port_of(tmp);
	close(tmp);
	char conf[600], sock[600], pidf[600];
	snprintf(conf, sizeof(conf), "%s/bird.conf", dir);
	snprintf(sock, sizeof(sock), "%s/bird.ctl", dir);
	snprintf(pidf, sizeof(pidf), "%s/bird.pid", dir);
	write_conf(conf, coll, own, addpath);
	/* BIRD runs as nobody when we are root: the child changes its uid itself, then asks for
	   SIGKILL at the test's death (BIRD's own `-u nobody` would clear that signal, prctl(2),
	   and a failed test would leave BIRD running) */
	struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") : NULL;
	uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (uid != (uid_t)-1 && (setgroups(0, NULL) || setgid(gid) || setuid(uid)))
			_exit(126);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(125);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(BIRD, "bird", "-f", "-c", conf, "-s", sock, "-P", pidf, (char *)NULL);
		_exit(127);
	}
	struct pollfd pf = {lfd, POLLIN, 0};
	assert_int_equal(poll(&pf, 1, 20000), 1);
	static struct conn c;
	c.n = 0;
	c.fd = accept(lfd, NULL, NULL);
	assert_true(c.fd >= 0);
	close(lfd);

	size_t len, used = 0;
	struct ofd_bgp_err e;
	struct ofd_bgp_open theirs, ours;
	const uint8_t *m = next_msg(&c, &len, &used);
	assert_int_equal(m[18], OFD_BGP_OPEN);
	assert_int_equal(ofd_bgp_open_parse(m, len, &theirs, &e), 0);
	assert_int_equal(theirs.asn, 64500);
	assert_int_equal(theirs.bgp_id, 0xc00002fe);
	assert_int_equal(theirs.has_addpath, addpath);
	uint8_t ob[128];
	struct ofd_bgp_open_cfg cfg = {
	    .asn = 64500, .hold_time = 30, .bgp_id = 0xc00002fd, .ipv4 = 1, .ipv6 = 1};
	int on = ofd_bgp_open_build(ob, sizeof(ob), &cfg);
	assert_true(on > 0);
	assert_int_equal(ofd_bgp_open_parse(ob, (size_t)on, &ours, &e), 0);
	uint8_t ka[19];
	assert_int_equal(ofd_bgp_keepalive_build(ka, sizeof(ka)), 19);
	assert_int_equal(write(c.fd, ob, (size_t)on), on);
	assert_int_equal(write(c.fd, ka, 19), 19);
	struct ofd_bgp_sess s;
	ofd_bgp_negotiate(&ours, &theirs, &s);
	assert_int_equal(s.addpath_v4, addpath);
	assert_int_equal(s.addpath_v6, addpath);
	assert_int_equal(s.as4, 1);
	assert_int_equal(s.ibgp, 1);

	int seen[10] = {0}, eor4 = 0, eor6 = 0, keepalives = 0;
	uint32_t ids = 0;
	while (!(eor4 && eor6)) {
		m = next_msg(&c, &len, &used);
		if (m[18] == OFD_BGP_KEEPALIVE) {
			keepalives++;
			continue;
		}
		if (m[18] == OFD_BGP_NOTIFICATION) {
			struct ofd_bgp_notification nt;
			assert_int_equal(ofd_bgp_notification_parse(m, len, &nt), 0);
			print_error("BIRD sent NOTIFICATION %u/%u\n", nt.code, nt.subcode);
			fail();
		}
		assert_int_equal(m[18], OFD_BGP_UPDATE);
		enum ofd_bgp_outcome o = ofd_bgp_update_parse(m, len, &s, &U);
		if (o != OFD_BGP_OK)
			print_error("%s: %s\n", ofd_bgp_outcome_name(o), U.err.reason);
		assert_int_equal(o, OFD_BGP_OK);
		if (U.eor) {
			*(U.eor_afi == 1 ? &eor4 : &eor6) += 1;
			continue;
		}
		const struct ofd_bgp_nlri *blocks[2] = {&U.nlri, &U.mp_reach};
		for (int b = 0; b < 2; b++) {
			struct ofd_bgp_nlri_it it;
			struct ofd_prefix p;
			uint32_t path_id;
			ofd_bgp_nlri_begin(&it, blocks[b]);
			while (ofd_bgp_nlri_next(&it, &p, &path_id) == 1) {
				check_route(&U, &p, seen);
				ids |= path_id;
			}
		}
	}
	assert_true(keepalives >= 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1);
	if (addpath)
		assert_int_not_equal(ids, 0); /* BIRD numbers its paths from 1 */
	else
		assert_int_equal(ids, 0);
	assert_int_equal(eor4, 1);
	assert_int_equal(eor6, 1);

	/* we end the session: Cease / administrative shutdown with a text */
	const uint8_t text[] = {9, 't', 'e', 's', 't', ' ', 'd', 'o', 'n', 'e'};
	uint8_t nb[64];
	int nn = ofd_bgp_notification_build(nb, sizeof(nb), 6, 2, text, sizeof(text));
	assert_int_equal(write(c.fd, nb, (size_t)nn), nn);
	close(c.fd);
	kill(pid, SIGTERM);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	unlink(conf);
	unlink(sock);
	unlink(pidf);
	rmdir(dir);
}

static void test_bird_live(void **state)
{
	(void)state;
	run_session(0);
}

static void test_bird_live_addpath(void **state)
{
	(void)state;
	run_session(1);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bird_live),
	    cmocka_unit_test(test_bird_live_addpath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
