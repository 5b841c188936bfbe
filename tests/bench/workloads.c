// SPDX-License-Identifier: GPL-2.0
/* workloads.c - the operations the benchmark times (workloads.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workloads.h"

static int listeners[2]; /* TCP WL_TCP_OK, WL_TCP_NO */
static int receivers[2]; /* UDP WL_UDP_OK, WL_UDP_NO */

/* A refusal by an LSM: what a denied variant must see. */
static int refused(int err)
{
	return err == EACCES || err == EPERM;
}

/* 0 when @ok (the call's success) is what @t expects, else -1. */
static int expect(const struct wl_target *t, bool ok)
{
	if (t->denied)
		return !ok && refused(errno) ? 0 : -1;
	return ok ? 0 : -1;
}

static int op_open(const struct wl_target *t, int *fd)
{
	int f = open(t->path, O_RDONLY | O_CLOEXEC);

	(void)fd;
	if (f >= 0)
		close(f);
	return expect(t, f >= 0);
}

static int op_stat(const struct wl_target *t, int *fd)
{
	struct stat st;

	(void)fd;
	return expect(t, stat(t->path, &st) == 0);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int op_connect(const struct wl_target *t, int *fd)
{
	struct sockaddr_in sa = loopback(t->port);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	(void)fd;
	if (s < 0)
		return -1;
	ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(s);
	return expect(t, ok);
}

static int open_udp(const struct wl_target *t, int *fd)
{
	(void)t;
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return *fd < 0 ? -1 : 0;
}

static int op_udp(const struct wl_target *t, int *fd)
{
	struct sockaddr_in sa = loopback(t->port);

	return expect(t, sendto(*fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) == 1);
}

/* Exit status of a child whose execve() failed: 64 + errno. */
#define WL_EXEC_FAILED 64

static int op_exec(const struct wl_target *t, int *fd)
{
	char *const argv[] = { (char *)t->path, NULL };
	char *const envp[] = { NULL };
	int status;
	pid_t pid;

	(void)fd;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(t->path, argv, envp);
		_exit(WL_EXEC_FAILED + (errno & 63));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	if (t->denied) {
		int err = WEXITSTATUS(status) - WL_EXEC_FAILED;

		return err == EACCES || err == EPERM ? 0 : -1;
	}
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int op_rename(const struct wl_target *t, int *fd)
{
	int ok;

	(void)fd;
	ok = rename(t->path, t->path2) == 0;
	if (ok)
		ok = rename(t->path2, t->path) == 0;
	return expect(t, ok);
}

const struct workload workloads[WL_MAX] = {
	[WL_OPEN] = { "open", "open(O_RDONLY)+close of a small file", 8000, true, op_open, NULL },
	[WL_STAT] = { "stat", "stat() of the same file", 8000, false, op_stat, NULL },
	[WL_CONNECT] = { "connect", "TCP connect to a loopback listener, close", 1000, true,
			 op_connect, NULL },
	[WL_UDP] = { "udp_send", "sendto() of one byte to a loopback UDP port", 8000, true, op_udp,
		     open_udp },
	[WL_EXEC] = { "fork_exec", "fork, execve of a static no-op program, wait", 100, true,
		      op_exec, NULL },
	[WL_RENAME] = { "rename", "rename(a, b) and back, one folder", 3000, true, op_rename,
			NULL },
};

struct wl_target wl_target(enum wl_id id, bool denied, const char *noop)
{
	struct wl_target t = { .denied = denied };

	switch (id) {
	case WL_OPEN:
	case WL_STAT:
		t.path = denied ? WL_SECRET_FILE : WL_OPEN_FILE;
		break;
	case WL_CONNECT:
		t.port = denied ? WL_TCP_NO : WL_TCP_OK;
		break;
	case WL_UDP:
		t.port = denied ? WL_UDP_NO : WL_UDP_OK;
		break;
	case WL_EXEC:
		t.path = denied ? WL_SECRET_EXEC : noop;
		break;
	case WL_RENAME:
		t.path = denied ? WL_RENAME_RO_DIR "/a" : WL_RENAME_DIR "/a";
		t.path2 = denied ? WL_RENAME_RO_DIR "/b" : WL_RENAME_DIR "/b";
		break;
	case WL_MAX:
		break;
	}
	return t;
}

static int write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, content, strlen(content));
	close(fd);
	return n == (ssize_t)strlen(content) ? 0 : -1;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;
	int err = 0;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			err = -1;
	if (n < 0)
		err = -1;
	close(in);
	close(out);
	return err;
}

static int make_socket(int type, int port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1, big = 1 << 20;
	int s = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(s, 4096))) {
		close(s);
		return -1;
	}
	return s;
}

int wl_setup(const char *noop)
{
	char path[256];

	if ((mkdir(WL_DIR, 0755) && errno != EEXIST) ||
	    (mkdir(WL_SECRET_DIR, 0755) && errno != EEXIST))
		goto fail;
	for (int i = 0; i < WL_READ_DIRS + WL_WRITE_DIRS + 2; i++) {
		snprintf(path, sizeof(path), WL_DIR "/d%d", i);
		if (mkdir(path, 0755) && errno != EEXIST)
			goto fail;
	}
	if (write_file(WL_OPEN_FILE, "livegrant bench\n") ||
	    write_file(WL_SECRET_FILE, "secret\n") || write_file(WL_RENAME_DIR "/a", "a\n") ||
	    write_file(WL_RENAME_RO_DIR "/a", "a\n") || copy_file(noop, WL_SECRET_EXEC))
		goto fail;
	listeners[0] = make_socket(SOCK_STREAM, WL_TCP_OK);
	listeners[1] = make_socket(SOCK_STREAM, WL_TCP_NO);
	receivers[0] = make_socket(SOCK_DGRAM, WL_UDP_OK);
	receivers[1] = make_socket(SOCK_DGRAM, WL_UDP_NO);
	for (int i = 0; i < 2; i++)
		if (listeners[i] < 0 || receivers[i] < 0)
			goto fail;
	return 0;
fail:
	fprintf(stderr, "lg-bench: setting up the workloads: %s\n", strerror(errno));
	return -1;
}

void wl_drain(void)
{
	char buf[64];

	for (int i = 0; i < 2; i++) {
		int c;

		while ((c = accept(listeners[i], NULL, NULL)) >= 0)
			close(c);
		while (recv(receivers[i], buf, sizeof(buf), 0) > 0)
			;
	}
}
