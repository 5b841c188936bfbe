// SPDX-License-Identifier: GPL-2.0
/*
 * preload.c - a library for the LD_PRELOAD test (tests/kernel/
 * test_exec_map.c). Its constructor creates the file $LG_PRELOAD_MARKER:
 * the marker exists if and only if the library's code ran.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void lg_preload_ran(void)
{
	const char *marker = getenv("LG_PRELOAD_MARKER");
	int fd;

	if (!marker)
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}
