/*
 * Whole reads and writes on file descriptors: a write or read interrupted by a signal (EINTR)
 * is retried, a short one continues where it stopped. Blocking descriptors only (EAGAIN is an
 * error here).
 */
#ifndef OFD_UTIL_FILEIO_H
#define OFD_UTIL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "ofd/err.h"

/* Write all n bytes of p to fd: 0, or -errno (-EIO when write() wrote nothing). On an error
   some bytes may have been written. */
int ofd_write_all(int fd, const void *p, size_t n) OFD_MUST_CHECK;

/* Read from fd into buf until cap bytes are in or the end of the file: the bytes read (0..cap;
   fewer than cap only at the end), or -errno. */
ssize_t ofd_read_all(int fd, void *buf, size_t cap) OFD_MUST_CHECK;

/*
 * Read the file at path whole, when it holds at most max bytes: 0 with *out a malloc'd buffer
 * of *len bytes followed by a NUL (the caller frees it). OFD_ELIMIT when the file is larger
 * than max (nothing beyond max + 1 bytes is read); -errno when it cannot be opened or read
 * (-ENOMEM). Any readable file: a regular one is sized by fstat, a pipe is read to its end.
 */
int ofd_read_file(const char *path, size_t max, char **out, size_t *len) OFD_MUST_CHECK;

#endif
