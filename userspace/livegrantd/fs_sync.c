// SPDX-License-Identifier: GPL-2.0
/* fs_sync.c - see fs_sync.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs_sync.h"

int lgd_fsync_path(const char *path)
{
	/* O_RDONLY opens a folder too, and fsync() needs no write access. */
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int lgd_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return lgd_fsync_path(".");
	*slash = 0;
	return lgd_fsync_path(*dir ? dir : "/");
}
