/*
 * A real RTR cache for the tests: Debian's stayrtr started on 127.0.0.1 serving a scratch copy
 * of ../shared/data/vrps-sample.json, polling that file every second (a change becomes a Serial
 * Notify and a delta). Used by tests/unit/test_rtr_conn.c (the RTR client) and
 * tests/seg/enrich_bgp_rtr.c (the bgp segment with `rtr:`). Include after <cmocka.h>; the
 * caller skips when STAYRTR is missing.
 *
 *   stayrtr_scratch(dir, json, .., text, ..)  mkdtemp dir, dir/vrps.json = the sample, text its bytes
 *   stayrtr_write(path, text)                 replace a file atomically (write, rename)
 *   stayrtr_start(dir, json, proto, port, ..) start it (port "" -> a free one, written there)
 *   stayrtr_kill(pid)                         SIGTERM and reap (the scratch files stay)
 *   stayrtr_clean(dir)                        remove the scratch files and dir
 *   stayrtr_stop(pid, dir)                    stayrtr_kill, then stayrtr_clean
 */
#ifndef OFD_TEST_STAYRTR_H
#define OFD_TEST_STAYRTR_H

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "freeport.h"

#define STAYRTR "/usr/bin/stayrtr"

static inline void stayrtr_write(const char *path, const char *text)
{
	char tmp[700];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* A scratch directory (dir: a mkdtemp template) with vrps.json = the sample; text gets the
   sample's bytes. */
static inline void stayrtr_scratch(char *dir, char *json, size_t jl, char *text, size_t tl)
{
	assert_non_null(mkdtemp(dir));
	snprintf(json, jl, "%s/vrps.json", dir);
	const char *data = getenv("OFD_DATA");
	char src[600];
	snprintf(src, sizeof(src), "%s/vrps-sample.json", data ? data : "../../shared/data");
	FILE *f = fopen(src, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, tl - 1, f);
	fclose(f);
	text[n] = 0;
	stayrtr_write(json, text);
}

/* Start stayrtr on 127.0.0.1 serving json (RTR protocol version `protocol`), on port if it is
   set, else on a free port written there: no metrics listener, no staleness check of the JSON,
   the file polled every second; its output into dir/stayrtr.log. */
static inline pid_t stayrtr_start(const char *dir, const char *json, unsigned protocol, char *port, size_t pl)
{
	char logpath[600], bind_[64], proto[8];
	snprintf(logpath, sizeof(logpath), "%s/stayrtr.log", dir);
	unsigned p = port[0] ? (unsigned)strtoul(port, NULL, 10)
			     : test_free_port(SOCK_STREAM); /* a restart: the same port */
	snprintf(bind_, sizeof(bind_), "127.0.0.1:%u", p);
	snprintf(port, pl, "%u", p);
	snprintf(proto, sizeof(proto), "%u", protocol);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char *argv[] = {STAYRTR,
				"-bind",
				bind_,
				"-cache",
				(char *)json,
				"-metrics.addr",
				"",
				"-checktime=false",
				"-refresh",
				"1",
				"-protocol",
				proto,
				"-rtr.refresh",
				"3600",
				"-rtr.retry",
				"600",
				"-rtr.expire",
				"7200",
				NULL};
		execv(STAYRTR, argv);
		_exit(127);
	}
	return pid;
}

static inline void stayrtr_kill(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static inline void stayrtr_clean(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/stayrtr.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vrps.json", dir);
	unlink(path);
	rmdir(dir);
}

static inline void stayrtr_stop(pid_t pid, const char *dir)
{
	stayrtr_kill(pid);
	stayrtr_clean(dir);
}

#endif
