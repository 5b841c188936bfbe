// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - livegrantd's control socket, <state_dir>/livegrant.sock.
 *
 * One request per connection: a JSON object on one line; one JSON object
 * back, then the connection closes. Every caller is attested when its
 * connection is accepted (attest.c), before it has sent a byte. Agents may
 * only "present" a token for themselves; "revoke", "agents" and "status"
 * need uid 0 from a process outside every agent root. A connection that has
 * not sent its request within LGD_REQUEST_TIMEOUT_S is closed, so a stalled
 * client cannot hold livegrantd. What each request does: control_ops.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "control_ops.h"
#include "daemon.h"
#include "views.h"

#define LGD_MAX_REQUEST 65536
#define LGD_REQUEST_TIMEOUT_S 2
#define LGD_MAX_CONNS 256
/* Slots only admins may take, and the most one cgroup may hold. */
#define LGD_ADMIN_RESERVED 16
#define LGD_MAX_CONNS_PER_CGROUP 8

struct conn {
	struct lgd_src src; /* first: epoll hands us this pointer */
	uint64_t accepted_ns;
	struct lgd_peer peer;
	int attest_err;
	char attest_msg[256];
	size_t len;
	struct conn *next;
	char buf[LGD_MAX_REQUEST + 1];
};

static struct lgd_src listener = { .kind = LGD_SRC_LISTEN, .fd = -1 };

/*
 * Agents find livegrantd by the socket's path. The kernel lets the control
 * socket exception reach only this very socket (lg_set_control_listener()),
 * but an agent that could replace it at the path would still be the one
 * agents talk to. So the directory that holds it must be root's and
 * writable by nobody else, and so must every directory above it (a
 * sticky one, like /tmp, lets nobody rename or remove root's entries).
 * Root agents pass permission checks: for them the file hooks deny
 * renames, unlinks and binds in this directory (docs/architecture.md).
 */
int lgd_control_check_dir(const char *socket_path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool first = true;
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", socket_path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			return lg_err(-EINVAL, "control socket path %s is not absolute",
				      socket_path);
		slash[slash == dir ? 1 : 0] = 0;
		if (lstat(dir, &st))
			return lg_err(-errno, "control socket directory %s: %s", dir,
				      strerror(errno));
		if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) && (first || !(st.st_mode & S_ISVTX))))
			return lg_err(
				-EPERM,
				"control socket directory %s must be a directory of root's that "
				"only root can write (it is %s, uid %u, mode %04o)",
				dir, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
				(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		if (!strcmp(dir, "/"))
			return 0;
		first = false;
	}
}

static struct conn *conns;
static int nconns;

int lgd_control_open(struct lgd *d, int epfd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };
	int fd, err;

	if (strlen(d->socket_path) >= sizeof(sun.sun_path))
		return lg_err(-ENAMETOOLONG,
			      "control socket path %s is longer than %zu bytes: shorten state_dir",
			      d->socket_path, sizeof(sun.sun_path) - 1);
	strcpy(sun.sun_path, d->socket_path);
	err = lgd_control_check_dir(d->socket_path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_err(-errno, "socket: %s", strerror(errno));
	unlink(d->socket_path);
	/* Agents of any uid connect here; what they may ask is checked per caller. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(d->socket_path, 0666) ||
	    listen(fd, 128)) {
		err = -errno;
		close(fd);
		return lg_err(err, "control socket %s: %s", d->socket_path, strerror(-err));
	}
	/* From now on only this socket is reached through the exception. */
	err = lg_set_control_listener(d->e, fd);
	if (err) {
		close(fd);
		return err;
	}
	listener.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return lg_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void conn_close(int epfd, struct conn *c)
{
	struct conn **pp;

	for (pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	close(c->src.fd);
	lgd_peer_release(&c->peer);
	free(c);
	nconns--;
}

static bool conn_allowed(const struct lgd *d, const struct conn *c)
{
	int same = 0;

	/* Admins are root on the host already: they are not capped. */
	if (lgd_caller_is_admin(d, &c->peer))
		return true;
	for (const struct conn *o = conns; o; o = o->next)
		same += !strcmp(o->peer.cgroup, c->peer.cgroup);
	if (same >= LGD_MAX_CONNS_PER_CGROUP)
		return false;
	/* The last slots are kept for uid 0 outside the agent roots. */
	return nconns < LGD_MAX_CONNS - LGD_ADMIN_RESERVED;
}

static void accept_all(struct lgd *d, int epfd)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = accept4(listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		c = nconns < LGD_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->src.kind = LGD_SRC_CONN;
		c->src.fd = fd;
		c->accepted_ns = lg_boottime_ns();
		/* Attest now: the pid-reuse check compares against this moment. */
		c->attest_err = lgd_attest_peer(fd, c->accepted_ns, LGD_CGROUP_MOUNT, &c->peer);
		if (c->attest_err)
			snprintf(c->attest_msg, sizeof(c->attest_msg), "%s", lg_errmsg());
		/* One cgroup cannot take the socket from the others, nor from admins. */
		if (!c->attest_err && !conn_allowed(d, c)) {
			lgd_peer_release(&c->peer);
			close(fd);
			free(c);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
			lgd_peer_release(&c->peer);
			close(fd);
			free(c);
			continue;
		}
		c->next = conns;
		conns = c;
		nconns++;
	}
}

/*
 * Make @fd's send buffer hold @need bytes. SO_SNDBUFFORCE (livegrantd has
 * CAP_NET_ADMIN) passes net.core.wmem_max; the kernel doubles what it is
 * given for its own bookkeeping.
 */
static void ensure_sndbuf(int fd, size_t need)
{
	int cur = 0, want;
	socklen_t l = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &l) == 0 && (size_t)cur / 2 > need)
		return;
	want = need > (size_t)INT_MAX / 2 ? INT_MAX / 2 : (int)need + 65536;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

static void respond(struct conn *c, json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t len;
	ssize_t n;

	if (!text)
		return;
	len = strlen(text);
	text[len] = '\n';
	/*
	 * The reply is sent whole, never blocking the loop: a reply larger than
	 * the socket's send buffer (the agents list of a large fleet is
	 * megabytes) first gets a buffer that holds it, so that one send queues
	 * all of it. A peer that does not read, or a short send, loses the
	 * reply, said here: the client then reports no valid reply, never a
	 * truncated one taken for whole.
	 */
	ensure_sndbuf(c->src.fd, len + 1);
	n = send(c->src.fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 || (size_t)n != len + 1)
		fprintf(stderr, "livegrantd: reply to pid %d lost (%zd of %zu bytes sent): %s\n",
			c->peer.pid, n, len + 1, n < 0 ? strerror(errno) : "socket buffer full");
	free(text);
}

static void handle_request(struct lgd *d, struct conn *c)
{
	json_t *resp = json_object(), *req;
	json_error_t jerr;

	if (c->attest_err) {
		lgd_refuse(resp, "attestation_failed", c->attest_msg);
	} else {
		req = json_loadb(c->buf, c->len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(req))
			lgd_refuse(resp, "bad_request", "request is not one JSON object");
		else
			lgd_control_dispatch(d, &c->peer, req, resp);
		json_decref(req);
	}
	respond(c, resp);
	json_decref(resp);
}

void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src)
{
	struct conn *c = (struct conn *)src;
	char *nl;
	ssize_t n;

	if (src->kind == LGD_SRC_LISTEN) {
		accept_all(d, epfd);
		return;
	}
	n = read(c->src.fd, c->buf + c->len, LGD_MAX_REQUEST - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(epfd, c);
		return;
	}
	c->len += n;
	nl = memchr(c->buf, '\n', c->len);
	if (!nl && c->len < LGD_MAX_REQUEST)
		return;
	if (!nl) {
		json_t *resp = json_object();

		lgd_refuse(resp, "too_large", "request longer than 64 KiB");
		respond(c, resp);
		json_decref(resp);
	} else {
		c->len = nl - c->buf;
		handle_request(d, c);
	}
	conn_close(epfd, c);
}

void lgd_control_sweep(int epfd)
{
	uint64_t limit = (uint64_t)LGD_REQUEST_TIMEOUT_S * 1000000000ULL, now = lg_boottime_ns();
	struct conn *c = conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (now - c->accepted_ns > limit)
			conn_close(epfd, c);
	}
}

void lgd_control_close(int epfd)
{
	while (conns)
		conn_close(epfd, conns);
	if (listener.fd >= 0)
		close(listener.fd);
	listener.fd = -1;
}
