// SPDX-License-Identifier: GPL-2.0
/* notify.c - see notify.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "livegrant.h"
#include "notify.h"

int lgd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = path ? strlen(path) : 0;
	socklen_t len;
	ssize_t sent;
	int fd;

	if (!n)
		return 0;
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return lg_err(-EINVAL, "NOTIFY_SOCKET=%s is neither a path nor an abstract name",
			      path);
	memcpy(sa.sun_path, path, n);
	/* An abstract name: a leading NUL, and no terminating one. */
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	len = offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/');
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_err(-errno, "notify socket: %s", strerror(errno));
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
	if (sent < 0)
		return lg_err(-errno, "notifying %s: %s", path, strerror(errno));
	return 0;
}
