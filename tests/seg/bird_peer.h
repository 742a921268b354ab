/*
 * A live BIRD 2 (Debian bird2) for the bgp segment's tests: ../shared/data/bird-test.conf with
 * its ports rewritten (the collector's, BIRD's own) and optional lines added to the BGP
 * template, run in the foreground as nobody; birdc for the oracle and for changes. Include
 * after <cmocka.h>. Skipped by the caller when /usr/sbin/bird is missing.
 *
 * A peer never outlives its test, even one ended by a failed assertion before bird_stop():
 * the child becomes nobody itself (when root) and only then asks for SIGKILL at the test's
 * death (peer_child_guard; gobgp_peer.h and bgp_bmp_cases.h use it too). BIRD's own `-u nobody`
 * would change its uid after exec, which clears the parent-death signal (prctl(2)).
 */
#ifndef OFD_TEST_BIRD_PEER_H
#define OFD_TEST_BIRD_PEER_H

#include <arpa/inet.h>
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
#include "../unit/freeport.h"

#define BIRD_BIN  "/usr/sbin/bird"
#define BIRDC_BIN "/usr/sbin/birdc"

struct bird {
	pid_t pid;
	char dir[64], conf[128], sock[128], pidf[128];
};

/* Who a peer runs as, looked up before fork (getpwnam is not async-signal-safe): nobody when
   the test is root, else the test's own user (uid -1: no change). */
struct peer_user {
	pid_t parent;
	uid_t uid;
	gid_t gid;
};

static inline struct peer_user peer_user(void)
{
	struct peer_user u = {getpid(), (uid_t)-1, (gid_t)-1};
	struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") : NULL;
	if (pw) {
		u.uid = pw->pw_uid;
		u.gid = pw->pw_gid;
	}
	return u;
}

/* In the peer's child, before exec: become u (when root), then SIGKILL at the test's death. In
   this order: a change of uid clears the parent-death signal. A test already gone: exit. */
static inline void peer_child_guard(const struct peer_user *u)
{
	if (u->uid != (uid_t)-1 && (setgroups(0, NULL) || setgid(u->gid) || setuid(u->uid)))
		_exit(126);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != u->parent)
		_exit(125);
}

/* Write the config (collector port coll, BIRD's own port own; extra lines into the BGP
 * template, into both BGP channels, and into `protocol static routes4`; NULL: none) and start
 * BIRD; wait (bounded) for its control socket. */
static inline void bird_start_x(struct bird *b, unsigned coll, const char *template_extra,
				const char *channel_extra, const char *routes4_extra)
{
	snprintf(b->dir, sizeof(b->dir), "/tmp/ofd_birdseg_XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	chmod(b->dir, 0777);
	snprintf(b->conf, sizeof(b->conf), "%s/bird.conf", b->dir);
	snprintf(b->sock, sizeof(b->sock), "%s/bird.ctl", b->dir);
	snprintf(b->pidf, sizeof(b->pidf), "%s/bird.pid", b->dir);
	const char *dd = getenv("OFD_DATA");
	char src[512];
	snprintf(src, sizeof(src), "%s/bird-test.conf", dd ? dd : "../shared/data");
	FILE *in = fopen(src, "r"), *out = fopen(b->conf, "w");
	assert_non_null(in);
	assert_non_null(out);
	unsigned own = test_free_port(SOCK_STREAM);
	char line[512];
	while (fgets(line, sizeof(line), in)) {
		char *p;
		if ((p = strstr(line, "port 1179")) != NULL)
			fprintf(out, "%.*sport %u%s", (int)(p - line), line, coll, p + 9);
		else if ((p = strstr(line, "port 1790")) != NULL)
			fprintf(out, "%.*sport %u%s", (int)(p - line), line, own, p + 9);
		else if (strstr(line, "hold time 30;") && template_extra)
			fprintf(out, "%s\t%s\n", line, template_extra);
		else if ((strstr(line, "\tipv4 {") || strstr(line, "\tipv6 {")) && channel_extra)
			fprintf(out, "%s\t\t%s\n", line, channel_extra);
		else if (strstr(line, "protocol static routes4 {") && routes4_extra)
			fprintf(out, "%s\t%s\n", line, routes4_extra);
		else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	struct peer_user u = peer_user();
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		peer_child_guard(&u); /* nobody already: no `-u nobody -g nogroup` for BIRD */
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			dup2(dn, 1);
			dup2(dn, 2);
		}
		execl(BIRD_BIN, "bird", "-f", "-c", b->conf, "-s", b->sock, "-P", b->pidf, (char *)NULL);
		_exit(127);
	}
	struct stat st;
	for (int i = 0; i < 2000 && stat(b->sock, &st) != 0; i++)
		poll(NULL, 0, 5);
	assert_int_equal(stat(b->sock, &st), 0);
}

static inline void bird_start(struct bird *b, unsigned coll, const char *template_extra)
{
	bird_start_x(b, coll, template_extra, NULL, NULL);
}

/* Run birdc with a command; its output into out (cap bytes, NUL-terminated). */
static inline void birdc(const struct bird *b, const char *cmd, char *out, size_t cap)
{
	char c[512];
	snprintf(c, sizeof(c), "%s -s %s %s 2>&1", BIRDC_BIN, b->sock, cmd);
	FILE *p = popen(c, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	pclose(p);
}

/* End BIRD with sig and reap it; remove its files. */
static inline void bird_stop(struct bird *b, int sig)
{
	if (b->pid <= 0)
		return;
	kill(b->pid, sig);
	int st;
	assert_int_equal(waitpid(b->pid, &st, 0), b->pid);
	b->pid = 0;
	unlink(b->conf);
	unlink(b->sock);
	unlink(b->pidf);
	rmdir(b->dir);
}

#endif
