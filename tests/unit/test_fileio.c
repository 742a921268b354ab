/*
 * util/fileio on real pipes and files: 4 MiB through a 64 KiB pipe while a signal without
 * SA_RESTART interrupts the writer and the reader (partial writes and EINTR), errors as
 * -errno (EPIPE, EBADF), reads to the end of a file, and the bounded whole-file read (exact
 * content across buffer growth, an empty file, exactly max bytes, one byte over, an endless
 * /dev/zero, a missing file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fileio.h"

#define BIG   (4u << 20)
#define CHUNK 1000

static atomic_int signals;
static char dir[] = "/tmp/ofd-fileio-XXXXXX";

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 11));
}

/* BIG bytes of pattern(), malloc'd. */
static unsigned char *patterned(void)
{
	unsigned char *p = malloc(BIG);
	assert_non_null(p);
	for (size_t i = 0; i < BIG; i++)
		p[i] = pattern(i);
	return p;
}

struct peer {
	int fd;
	pthread_t target; /* the thread to interrupt */
	unsigned char *buf;
	size_t n;
	int rc;
};

/* Read the pipe in small pieces, signalling the writer before each. */
static void *slow_reader(void *arg)
{
	struct peer *p = arg;
	size_t got = 0;
	while (got < p->n) {
		pthread_kill(p->target, SIGUSR1);
		ssize_t r = read(p->fd, p->buf + got, p->n - got < CHUNK ? p->n - got : CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	p->n = got;
	return NULL;
}

/* Write in small pieces, signalling the reader before each, then close. */
static void *slow_writer(void *arg)
{
	struct peer *p = arg;
	for (size_t off = 0; off < p->n && p->rc == 0; off += CHUNK) {
		pthread_kill(p->target, SIGUSR1);
		p->rc = ofd_write_all(p->fd, p->buf + off, p->n - off < CHUNK ? p->n - off : CHUNK);
	}
	close(p->fd);
	return NULL;
}

/* Run fn(p) in a thread, with the signal count at 0. */
static pthread_t start(void *(*fn)(void *), struct peer *p)
{
	pthread_t t;
	assert_non_null(p->buf);
	atomic_store(&signals, 0);
	assert_int_equal(pthread_create(&t, NULL, fn, p), 0);
	return t;
}

static int setup(void **state)
{
	(void)state;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocked reads and writes are interrupted */
	sigemptyset(&sa.sa_mask);
	signal(SIGPIPE, SIG_IGN);
	return sigaction(SIGUSR1, &sa, NULL) || !mkdtemp(dir);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) != 0;
}

static void test_write_all_pipe(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_true(fcntl(fds[1], F_GETPIPE_SZ) <= 1 << 20); /* the pipe is far smaller than BIG */
	unsigned char *src = patterned(), *dst = calloc(1, BIG);
	struct peer p = {.fd = fds[0], .target = pthread_self(), .buf = dst, .n = BIG};
	pthread_t t = start(slow_reader, &p);
	assert_int_equal(ofd_write_all(fds[1], src, BIG), 0);
	pthread_join(t, NULL);
	assert_int_equal(p.n, BIG);
	assert_memory_equal(src, dst, BIG);
	assert_true(atomic_load(&signals) > 0); /* the writer was interrupted (pending signals merge) */
	close(fds[0]);
	/* errors: nobody reads any more, a closed descriptor */
	assert_int_equal(ofd_write_all(fds[1], src, 10), -EPIPE);
	close(fds[1]);
	assert_int_equal(ofd_write_all(fds[1], src, 10), -EBADF);
	assert_int_equal(ofd_write_all(fds[1], src, 0), 0); /* nothing to write: not even a call */
	free(src);
	free(dst);
}

static void test_read_all_pipe(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	unsigned char *src = patterned(), *dst = calloc(1, BIG + 100);
	assert_non_null(dst);
	struct peer p = {.fd = fds[1], .target = pthread_self(), .buf = src, .n = BIG};
	pthread_t t = start(slow_writer, &p);
	/* a cap of 100 less than the whole: full; the rest: fewer than asked, at the end */
	assert_int_equal(ofd_read_all(fds[0], dst, BIG - 100), BIG - 100);
	assert_int_equal(ofd_read_all(fds[0], dst + BIG - 100, 200), 100);
	assert_int_equal(ofd_read_all(fds[0], dst, 10), 0);
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 0);
	assert_memory_equal(src, dst, BIG);
	assert_true(atomic_load(&signals) > 0);
	close(fds[0]);
	assert_int_equal(ofd_read_all(fds[0], dst, 10), -EBADF);
	free(src);
	free(dst);
}

static void write_file(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = pattern(i);
		assert_int_equal(write(fd, &c, 1), 1);
	}
	close(fd);
}

static void test_read_file(void **state)
{
	(void)state;
	char path[64];
	char *buf;
	size_t len = 12345;
	/* 200 000 bytes: sized by fstat, read at once */
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, 200000);
	assert_int_equal(ofd_read_file(path, 200000, &buf, &len), 0);
	assert_int_equal(len, 200000);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] != pattern(i))
			fail_msg("byte %zu", i);
	assert_int_equal(buf[len], 0);
	free(buf);
	assert_int_equal(ofd_read_file(path, 1 << 20, &buf, &len), 0);
	assert_int_equal(len, 200000);
	free(buf);
	/* one byte over the bound: refused, *out untouched */
	buf = (char *)path;
	assert_int_equal(ofd_read_file(path, 199999, &buf, &len), OFD_ELIMIT);
	assert_ptr_equal(buf, path);
	assert_int_equal(ofd_read_file(path, 0, &buf, &len), OFD_ELIMIT);
	/* empty */
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, 0);
	assert_int_equal(ofd_read_file(path, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* not a regular file: read to the bound, then refused */
	assert_int_equal(ofd_read_file("/dev/zero", 300000, &buf, &len), OFD_ELIMIT);
	/* a pipe that ends, longer than the first 64 KiB buffer: read whole */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int w = open(path, O_WRONLY);
		for (int i = 0; i < 100000; i++)
			if (write(w, "x", 1) != 1)
				_exit(1);
		_exit(0);
	}
	assert_int_equal(ofd_read_file(path, 100000, &buf, &len), 0);
	assert_int_equal(len, 100000);
	assert_int_equal(strspn(buf, "x"), 100000);
	free(buf);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* missing */
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(ofd_read_file(path, 10, &buf, &len), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_all_pipe),
	    cmocka_unit_test(test_read_all_pipe),
	    cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
