/*
 * A scratch directory for a test: made with mkdtemp, counted by file-name suffix, and removed
 * with what is left in it (files, and directories a test made there, empty ones).
 */
#ifndef OFD_TEST_TMPDIR_H
#define OFD_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir (64 bytes at least) becomes a new directory /tmp/ofd-NAME-XXXXXX: 0 or -1. */
static inline int tmpdir_make(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/ofd-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Entries of dir whose names end with suffix (and are longer than it). */
static inline unsigned tmpdir_count(const char *dir, const char *suffix)
{
	unsigned n = 0;
	size_t s = strlen(suffix);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > s && strcmp(de->d_name + l - s, suffix) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Remove what is left in dir, and dir. */
static inline void tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path))
			rmdir(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

#endif
