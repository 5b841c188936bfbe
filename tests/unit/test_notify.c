// SPDX-License-Identifier: GPL-2.0
/*
 * test_notify.c - the sd_notify(3) datagram livegrantd sends systemd
 * (notify.c), read from a socket of the test's own, by path and by
 * abstract name; nothing sent, and no error, without $NOTIFY_SOCKET.
 */
#include "../../userspace/livegrantd/notify.c"

#include <stdio.h>
#include <sys/time.h>

#include "check.h"

/* A datagram socket bound at @name (a path, or '@' for an abstract name). */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/')))
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void test_notify_reaches_systemd(void)
{
	char path[64], abstract[64], buf[128];
	const char *names[2];
	ssize_t n;

	snprintf(path, sizeof(path), "/tmp/lgd-test-notify-%d", getpid());
	snprintf(abstract, sizeof(abstract), "@lgd-test-notify-%d", getpid());
	names[0] = path;
	names[1] = abstract;
	for (int i = 0; i < 2; i++) {
		int fd = listener(names[i]);

		CHECK(fd >= 0, "listening at %s", names[i]);
		if (fd < 0)
			continue;
		setenv("NOTIFY_SOCKET", names[i], 1);
		CHECK(lgd_notify("READY=1\nSTATUS=enforcing") == 0, "sent to %s: %s", names[i],
		      lg_errmsg());
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		CHECK(n > 0 && !strcmp(buf, "READY=1\nSTATUS=enforcing"), "%s received \"%s\"",
		      names[i], buf);
		close(fd);
	}
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
	CHECK(lgd_notify("READY=1") == 0, "no NOTIFY_SOCKET: nothing to do, no error");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(lgd_notify("READY=1") == -EINVAL, "a NOTIFY_SOCKET that is neither refused: %s",
	      lg_errmsg());
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	RUN(test_notify_reaches_systemd);
	return check_summary("notify");
}
