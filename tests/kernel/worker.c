// SPDX-License-Identifier: GPL-2.0
/* worker.c - see worker.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

static int fill_inet(int family, const char *addr, int port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s->sin_addr) != 1)
			return EINVAL;
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s->sin6_addr) != 1)
			return EINVAL;
		*len = sizeof(*s);
	}
	return 0;
}

static int do_inet(const struct worker_req *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type = r->op == W_TCP_CONNECT ? SOCK_STREAM : SOCK_DGRAM;
	int fd, err = fill_inet(r->family, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	fd = socket(r->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (r->op == W_UDP_SENDTO)
		err = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	else
		err = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	close(fd);
	return err;
}

static int do_unix(const struct worker_req *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int type = r->op == W_UNIX_SENDTO ? SOCK_DGRAM : SOCK_STREAM;
	socklen_t len;
	int fd, err;

	if (r->path[0] == '@' && r->op != W_UNIX_CONNECT_PATHNAME) {
		/* Abstract name: leading NUL, length counts the name only. */
		size_t n = strlen(r->path + 1);

		memcpy(sun.sun_path + 1, r->path + 1, n);
		len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	} else {
		size_t n = strnlen(r->path, sizeof(sun.sun_path) - 1);

		memcpy(sun.sun_path, r->path, n);
		len = sizeof(sun);
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (r->op == W_UNIX_SENDTO)
		err = sendto(fd, "x", 1, 0, (struct sockaddr *)&sun, len) < 0 ? errno : 0;
	else
		err = connect(fd, (struct sockaddr *)&sun, len) ? errno : 0;
	close(fd);
	return err;
}

static int do_netlink(const struct worker_req *r)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = r->port };
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	int err, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return errno;
	err = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0 ? errno : 0;
	close(fd);
	return err;
}

static int do_socket(const struct worker_req *r)
{
	int fd = socket(r->family, r->flags | SOCK_CLOEXEC, r->arg);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_setsockopt(const struct worker_req *r)
{
	char opt[8] = { 0 };
	int err, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	err = setsockopt(fd, r->flags, r->arg, opt, sizeof(opt)) ? errno : 0;
	close(fd);
	return err;
}

static int do_pidfd(void)
{
	int fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_exec(const struct worker_req *r)
{
	int p[2], status, child_err = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		char *argv[] = { (char *)r->path, r->addr[0] ? (char *)r->addr : NULL, NULL };
		int e;

		close(p[0]);
		execv(r->path, argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	/* A successful exec closes the pipe without writing. */
	if (read(p[0], &child_err, sizeof(child_err)) != sizeof(child_err))
		child_err = 0;
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (child_err)
		return child_err;
	return 1000 + (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int do_open(const struct worker_req *r)
{
	int fd = open(r->path, r->flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int handle(const struct worker_req *r)
{
	switch (r->op) {
	case W_OPEN:
		return do_open(r);
	case W_OPEN_LOOP: {
		/* For arg milliseconds: a duration, so the caller surely overlaps it. */
		struct timespec start, now;

		clock_gettime(CLOCK_MONOTONIC, &start);
		do {
			int err = do_open(r);

			if (err)
				return err;
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((now.tv_sec - start.tv_sec) * 1000 +
				 (now.tv_nsec - start.tv_nsec) / 1000000 <
			 r->arg);
		return 0;
	}
	case W_EXEC:
		return do_exec(r);
	case W_CHDIR:
		return chdir(r->path) ? errno : 0;
	case W_TCP_CONNECT:
	case W_UDP_CONNECT:
	case W_UDP_SENDTO:
		return do_inet(r);
	case W_UNIX_CONNECT:
	case W_UNIX_SENDTO:
	case W_UNIX_CONNECT_PATHNAME:
		return do_unix(r);
	case W_NETLINK_SENDTO:
		return do_netlink(r);
	case W_SOCKET:
		return do_socket(r);
	case W_SETSOCKOPT:
		return do_setsockopt(r);
	case W_PIDFD:
		return do_pidfd();
	case W_CALL:
		return r->fn ? r->fn(r) : EINVAL;
	}
	return EINVAL;
}

static void worker_main(int req_fd, int res_fd)
{
	struct worker_req *r = malloc(sizeof(*r));

	if (!r)
		_exit(1);
	for (;;) {
		int res;

		if (read(req_fd, r, sizeof(*r)) != sizeof(*r) || r->op == W_EXIT)
			_exit(0);
		res = handle(r);
		if (write(res_fd, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
}

/* Pipes carry a request larger than PIPE_BUF: one writer, one reader, fine. */
int worker_start(struct worker *w, const char *cgroup, const char *comm)
{
	int req[2], res[2], ready = 0;
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int err = 0;

		close(req[1]);
		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, comm);
		if (cgroup) {
			char procs[512];
			int fd;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
			fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				err = errno ? errno : EIO;
			if (fd >= 0)
				close(fd);
		}
		if (write(res[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		worker_main(req[0], res[1]);
	}
	close(req[0]);
	close(res[1]);
	w->pid = pid;
	w->req_fd = req[1];
	w->res_fd = res[0];
	if (read(w->res_fd, &ready, sizeof(ready)) != sizeof(ready))
		ready = EIO;
	if (ready) {
		worker_stop(w);
		return -ready;
	}
	return 0;
}

int worker_send(struct worker *w, const struct worker_req *req)
{
	return write(w->req_fd, req, sizeof(*req)) == sizeof(*req) ? 0 : -EIO;
}

int worker_wait(struct worker *w)
{
	int res;

	if (read(w->res_fd, &res, sizeof(res)) != sizeof(res))
		return -EIO;
	return res;
}

int worker_do(struct worker *w, const struct worker_req *req)
{
	int err = worker_send(w, req);

	return err ? err : worker_wait(w);
}

void worker_stop(struct worker *w)
{
	struct worker_req r = { .op = W_EXIT };

	if (w->pid <= 0)
		return;
	if (write(w->req_fd, &r, sizeof(r)) != sizeof(r))
		kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	close(w->req_fd);
	close(w->res_fd);
	w->pid = 0;
}

int w_open(struct worker *w, const char *path, int flags)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_OPEN;
	r.flags = flags;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_exec(struct worker *w, const char *path, const char *arg)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_EXEC;
	snprintf(r.path, sizeof(r.path), "%s", path);
	if (arg)
		snprintf(r.addr, sizeof(r.addr), "%s", arg);
	return worker_do(w, &r);
}

int w_chdir(struct worker *w, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_CHDIR;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_inet(struct worker *w, int op, int family, const char *addr, int port)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.family = family;
	r.port = port;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_unix(struct worker *w, int op, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_socket(struct worker *w, int family, int type, int protocol)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_SOCKET;
	r.family = family;
	r.flags = type;
	r.arg = protocol;
	return worker_do(w, &r);
}

int w_simple(struct worker *w, int op, int port, int flags, int arg)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.port = port;
	r.flags = flags;
	r.arg = arg;
	return worker_do(w, &r);
}

int w_call(struct worker *w, int (*fn)(const struct worker_req *r), int port, int arg,
	   const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_CALL;
	r.fn = fn;
	r.port = port;
	r.arg = arg;
	if (path)
		snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}
