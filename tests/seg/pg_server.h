/*
 * A real PostgreSQL server (Debian's postgresql-15) for the postgres output's test: a cluster
 * made with initdb in the scratch directory (trust authentication, superuser ofd, UTF-8, no
 * fsync), started with its socket in st_dir/pgsock only (listen_addresses='': no TCP at all),
 * ready once PQping says so (woken by inotify on the data and socket directories, at most
 * 60 s: no sleeps), stopped with SIGINT (fast shutdown) and waited for. PostgreSQL refuses to
 * run as root: when the test is root, initdb and postgres run as nobody (the directories are
 * handed to it). Include after segtest.h; needs libpq.
 */
#ifndef OFD_TEST_PG_SERVER_H
#define OFD_TEST_PG_SERVER_H

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define PG_BIN	  "/usr/lib/postgresql/15/bin"
#define PG_NOBODY 65534

static pid_t pg_pid = -1;
static char pg_sock[512], pg_data[512];

static int pg_have(void)
{
	return access(PG_BIN "/postgres", X_OK) == 0 && access(PG_BIN "/initdb", X_OK) == 0;
}

/* In a child: become nobody when root (postgres refuses root), log to st_dir/postgres.log. */
static void pg_child_setup(void)
{
	int fd = open(st_path("postgres.log"), O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(PG_NOBODY) != 0 || setuid(PG_NOBODY) != 0))
		_exit(126);
	/* a crashed test leaves no server behind (set after setuid, which clears it) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (chdir(st_dir) != 0)
		_exit(126);
}

/* The cluster: initdb into st_dir/pgdata (once). */
static void pg_initdb(void)
{
	snprintf(pg_data, sizeof(pg_data), "%s", st_path("pgdata"));
	snprintf(pg_sock, sizeof(pg_sock), "%s", st_path("pgsock"));
	assert_int_equal(chmod(st_dir, 0755), 0); /* nobody walks into it */
	assert_int_equal(mkdir(pg_data, 0700), 0);
	assert_int_equal(mkdir(pg_sock, 0755), 0);
	int log = open(st_path("postgres.log"), O_WRONLY | O_CREAT, 0666);
	assert_true(log >= 0);
	close(log);
	if (geteuid() == 0) {
		assert_int_equal(chown(pg_data, PG_NOBODY, PG_NOBODY), 0);
		assert_int_equal(chown(pg_sock, PG_NOBODY, PG_NOBODY), 0);
		assert_int_equal(chown(st_path("postgres.log"), PG_NOBODY, PG_NOBODY), 0);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pg_child_setup();
		char *argv[] = {PG_BIN "/initdb",
				"-D",
				pg_data,
				"-A",
				"trust",
				"-U",
				"ofd",
				"-E",
				"UTF8",
				"--locale=C",
				"--no-sync",
				"--no-instructions",
				NULL};
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("initdb failed (status %d, see %s)", status, st_path("postgres.log"));
}

/* conninfo of database db on the test server, in one of two rotating buffers. */
static const char *pg_conninfo(const char *db)
{
	static char buf[2][700];
	static unsigned k;
	char *p = buf[k++ & 1];
	snprintf(p, sizeof(buf[0]), "host=%s user=ofd dbname=%s", pg_sock, db);
	return p;
}

/* Start the server on the cluster; wait until it accepts connections (at most 60 s). */
static void pg_start(void)
{
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, pg_data, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) >=
		    0);
	assert_true(inotify_add_watch(in, pg_sock, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE) >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pg_child_setup();
		char *argv[] = {PG_BIN "/postgres",
				"-D",
				pg_data,
				"-k",
				pg_sock,
				"-c",
				"listen_addresses=",
				"-F",
				"-c",
				"log_min_messages=warning",
				NULL};
		execv(argv[0], argv);
		_exit(127);
	}
	pg_pid = pid;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *ci = pg_conninfo("postgres");
	for (;;) {
		if (PQping(ci) == PQPING_OK)
			break;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pg_pid = -1;
			fail_msg("postgres exited (status %d, see %s)", status, st_path("postgres.log"));
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 60)
			fail_msg("postgres not ready after 60 s (see %s)", st_path("postgres.log"));
		/* the next change in either directory (the socket, postmaster.pid's "ready"), or a
		   200 ms bound */
		struct pollfd p = {.fd = in, .events = POLLIN};
		if (poll(&p, 1, 200) > 0) {
			char ev[4096];
			while (read(in, ev, sizeof(ev)) > 0)
				;
		}
	}
	close(in);
}

/* Fast shutdown (SIGINT), waited for. */
static void pg_stop(void)
{
	if (pg_pid > 0) {
		kill(pg_pid, SIGINT);
		waitpid(pg_pid, NULL, 0);
	}
	pg_pid = -1;
}

/* Run sql on database db; fail the test on error. Returns the first value of the first row as
   text ("" for none or NULL) in one of four rotating buffers. */
static const char *pg_q(const char *db, const char *sql)
{
	static char out[4][1024];
	static unsigned k;
	char *o = out[k++ & 3];
	PGconn *c = PQconnectdb(pg_conninfo(db));
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	o[0] = 0;
	if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		snprintf(o, 1024, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return o;
}

#endif
