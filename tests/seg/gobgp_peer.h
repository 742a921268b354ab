/*
 * A live gobgpd (Debian gobgpd) for the bgp segment's tests: an eBGP speaker (AS 64501) that
 * connects to the segment's listener, does not listen itself (port -1), and takes routes from
 * the `gobgp` CLI over its gRPC API on a free 127.0.0.1 port. Run as nobody when we are root,
 * killed when the test dies. Include after <cmocka.h> and bird_peer.h (test_free_port,
 * peer_child_guard).
 */
#ifndef OFD_TEST_GOBGP_PEER_H
#define OFD_TEST_GOBGP_PEER_H

#include <grp.h>
#include <pwd.h>

#define GOBGPD_BIN "/usr/bin/gobgpd"
#define GOBGP_BIN  "/usr/bin/gobgp"

struct gobgp {
	pid_t pid;
	unsigned api;
	char dir[64], conf[128];
};

/* Run `gobgp -u 127.0.0.1 -p API ARGS`; its output into out; returns its exit status. */
static inline int gobgp_cli(const struct gobgp *g, const char *args, char *out, size_t cap)
{
	char c[1024];
	snprintf(c, sizeof(c), "%s -u 127.0.0.1 -p %u %s 2>&1", GOBGP_BIN, g->api, args);
	FILE *p = popen(c, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	return pclose(p);
}

/* A gobgpd from a config text on API port g->api (set by the caller). */
static inline void gobgp_run(struct gobgp *g, const char *text)
{
	snprintf(g->dir, sizeof(g->dir), "/tmp/ofd_gobgp_XXXXXX");
	assert_non_null(mkdtemp(g->dir));
	chmod(g->dir, 0755);
	snprintf(g->conf, sizeof(g->conf), "%s/gobgpd.toml", g->dir);
	FILE *f = fopen(g->conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(g->conf, 0644);
	char api[64];
	snprintf(api, sizeof(api), "127.0.0.1:%u", g->api);
	struct peer_user u = peer_user();
	g->pid = fork();
	assert_true(g->pid >= 0);
	if (g->pid == 0) {
		peer_child_guard(&u); /* nobody when root, then SIGKILL at the test's death */
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			dup2(dn, 1);
			dup2(dn, 2);
		}
		execl(GOBGPD_BIN, "gobgpd", "-f", g->conf, "--api-hosts", api, "--pprof-disable", "-p",
		      (char *)NULL);
		_exit(127);
	}
	char out[4096];
	int ok = 0;
	for (int i = 0; i < 500 && !ok; i++) {
		ok = gobgp_cli(g, "global", out, sizeof(out)) == 0;
		if (!ok)
			poll(NULL, 0, 20);
	}
	assert_true(ok);
}

/* The eBGP speaker described above, connecting to the collector on 127.0.0.1:coll. */
static inline void gobgp_start(struct gobgp *g, unsigned coll)
{
	char text[1024];
	snprintf(
	    text, sizeof(text),
	    "[global.config]\n  as = 64501\n  router-id = \"192.0.2.251\"\n  port = -1\n"
	    "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"127.0.0.1\"\n    peer-as = 64500\n"
	    "  [neighbors.transport.config]\n    remote-port = %u\n"
	    "  [neighbors.timers.config]\n    connect-retry = 1\n"
	    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "
	    "\"ipv4-unicast\"\n"
	    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "
	    "\"ipv6-unicast\"\n",
	    coll);
	g->api = test_free_port(SOCK_STREAM);
	gobgp_run(g, text);
}

static inline void gobgp_stop(struct gobgp *g)
{
	if (g->pid <= 0)
		return;
	kill(g->pid, SIGTERM);
	int st;
	assert_int_equal(waitpid(g->pid, &st, 0), g->pid);
	g->pid = 0;
	unlink(g->conf);
	rmdir(g->dir);
}

#endif
