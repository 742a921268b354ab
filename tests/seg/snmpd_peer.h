/*
 * A real snmpd (Debian's) for the snmp segment's test: started on 127.0.0.1 and ::1 with an
 * ephemeral UDP port and a configuration the test writes (rocommunity, `override` lines giving
 * the interface values), ready once snmpget answers (each try waits at most 200 ms, at most
 * 100 tries: no sleeps), stopped with SIGTERM (and killed with the test if it dies first). Also
 * a "dead agent": a UDP socket on DEAD_ADDR at snmpd's port that never reads.
 * Include after segtest.h.
 */
#ifndef OFD_TEST_SNMPD_PEER_H
#define OFD_TEST_SNMPD_PEER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "../unit/freeport.h"

#define IFX	  ".1.3.6.1.2.1.31.1.1.1." /* IF-MIB ifXEntry: .1 ifName, .15 ifHighSpeed, .18 ifAlias */
#define SNMPD	  "/usr/sbin/snmpd"
#define SNMPGET	  "/usr/bin/snmpget"
#define DEAD_ADDR "127.0.0.3"

static pid_t snmpd_pid = -1;
static unsigned snmpd_port;
static int dead_fd = -1;

/* Run argv with stdout/stderr to the log; its exit status. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(st_path("tools.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Start snmpd with the conf text on a fresh port (kept across restarts when port != 0); wait
   until snmpget answers (each try waits at most 200 ms; at most 100 tries). */
static void snmpd_start(const char *conf, unsigned port)
{
	st_write(st_path("snmpd.conf"), conf);
	for (int attempt = 0; attempt < 5; attempt++) {
		snmpd_port = port ? port : test_free_port(SOCK_DGRAM);
		char listen[64], listen6[64], persist[600], confpath[600];
		snprintf(listen, sizeof(listen), "udp:127.0.0.1:%u", snmpd_port);
		snprintf(listen6, sizeof(listen6), "udp6:[::1]:%u", snmpd_port);
		snprintf(persist, sizeof(persist), "SNMP_PERSISTENT_DIR=%s", st_path("persist"));
		snprintf(confpath, sizeof(confpath), "%s", st_path("snmpd.conf"));
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int fd = open(st_path("snmpd.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no snmpd behind */
			char *env[] = {persist, "MIBS=", "MIBDIRS=/nonexistent", "PATH=/usr/sbin:/usr/bin",
				       NULL};
			char *argv[] = {SNMPD, "-f",	 "-Lo",	 "-C",	  "-I", "-smux",
					"-c",  confpath, listen, listen6, NULL};
			execve(SNMPD, argv, env);
			_exit(127);
		}
		snmpd_pid = pid;
		char peer[64];
		snprintf(peer, sizeof(peer), "127.0.0.1:%u", snmpd_port);
		for (int i = 0; i < 100; i++) {
			char *argv[] = {SNMPGET, "-v2c", "-c",	"testcomm", "-t",      "0.2",
					"-r",	 "0",	 "-On", peer,	    IFX "1.7", NULL};
			if (run(argv) == 0)
				return;
			int status;
			if (waitpid(pid, &status, WNOHANG) == pid) /* it died: the port was taken? */
				break;
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snmpd_pid = -1;
		if (port)
			break;
	}
	fail_msg("snmpd did not start (see %s)", st_path("snmpd.log"));
}

static void snmpd_stop(void)
{
	if (snmpd_pid > 0) {
		kill(snmpd_pid, SIGTERM);
		waitpid(snmpd_pid, NULL, 0);
	}
	snmpd_pid = -1;
}

/* A socket on DEAD_ADDR at snmpd's port that never reads: an agent that never answers. */
static void dead_open(void)
{
	dead_fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(dead_fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)snmpd_port)};
	assert_int_equal(inet_pton(AF_INET, DEAD_ADDR, &a.sin_addr), 1);
	assert_int_equal(bind(dead_fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

#endif
