/*
 * bench_cputime: run a command and report the CPU time of its whole process tree.
 *
 *   bench_cputime [-o FILE] [-p PIDFILE] COMMAND [ARG...]
 *
 * Runs COMMAND (stdin/stdout/stderr inherited) and waits for it. The figures come from wait4(),
 * so they cover the command and every descendant it waited for (pmacct's plugin processes,
 * nfcapd's threads), with microsecond resolution. Writes one line to FILE (default stderr):
 *
 *   CPUTIME user_s=U sys_s=S cpu_s=U+S wall_s=W maxrss_kb=M status=X
 *
 * maxrss_kb is the peak resident set of the largest single process. status is the exit code,
 * or 128+signal. With -p, the child's pid is written to PIDFILE once it runs. The exit code of
 * bench_cputime is the command's status. SIGINT and SIGTERM are passed on to the command.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_pidfile(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)pid);
	return fclose(f);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *pidfile = NULL;
	int c;
	while ((c = getopt(argc, argv, "+o:p:")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': pidfile = optarg; break;
		default: optind = argc + 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench_cputime [-o FILE] [-p PIDFILE] COMMAND [ARG...]\n");
		return 2;
	}
	double t0 = mono_s();
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_cputime: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "bench_cputime: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	struct sigaction sa = {.sa_handler = forward};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pidfile && write_pidfile(pidfile, pid))
		perror("bench_cputime: pid file");
	int status;
	struct rusage ru;
	pid_t r;
	while ((r = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		perror("bench_cputime: wait4");
		return 1;
	}
	double wall = mono_s() - t0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = stderr;
	if (out && !(f = fopen(out, "w"))) {
		perror(out);
		f = stderr;
	}
	double u = tv_s(ru.ru_utime), s = tv_s(ru.ru_stime);
	fprintf(f, "CPUTIME user_s=%.6f sys_s=%.6f cpu_s=%.6f wall_s=%.3f maxrss_kb=%ld status=%d\n", u, s,
		u + s, wall, ru.ru_maxrss, code);
	if (f != stderr)
		fclose(f);
	return code;
}
