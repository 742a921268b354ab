/* Whole reads and writes (contracts in fileio.h). */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int ofd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t ofd_read_all(int fd, void *buf, size_t cap)
{
	char *c = buf;
	size_t got = 0;
	while (got < cap) {
		ssize_t r = read(fd, c + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The first buffer size: the file's size when fstat knows it, else 64 KiB; + 1 to see that
   the file goes on; at most max + 1. */
static size_t first_size(int fd, size_t max)
{
	struct stat st;
	uint64_t n = 64u << 10;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = (uint64_t)st.st_size;
	return n < max ? (size_t)n + 1 : max + 1;
}

int ofd_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2; /* cap + 1 below cannot overflow */
	size_t cap = first_size(fd, max), got = 0;
	char *buf = NULL;
	int err = 0;
	for (;;) {
		char *nb = realloc(buf, cap + 1); /* + 1 for the NUL */
		if (!nb) {
			err = -ENOMEM;
			break;
		}
		buf = nb;
		ssize_t r = ofd_read_all(fd, buf + got, cap - got);
		if (r < 0) {
			err = (int)r;
			break;
		}
		got += (size_t)r;
		if (got > max) {
			err = OFD_ELIMIT;
			break;
		}
		if (got < cap)
			break; /* the end of the file */
		cap = cap > max / 2 ? max + 1 : cap * 2;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}
