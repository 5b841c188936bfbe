// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - livegrantd's control sockets: <state_dir>/livegrant.sock,
 * which agents reach, and <state_dir>/livegrant-admin.sock, which only
 * admins do.
 *
 * One request per connection: a JSON object on one line; one JSON object
 * back, then the connection closes. Every caller is attested when its
 * connection is accepted (attest.c), before it has sent a byte. Agents may
 * only "present" a token for themselves; "revoke", "agents" and "status"
 * need uid 0 from a process outside every agent root. What each request
 * does: control_ops.c.
 *
 * The admin socket answers the same requests, for admins only. It exists
 * so that an SRE is answered while a thousand agents present: the agent
 * socket's queue is first come, first served, and holds up to 128 agents
 * ahead of anyone; the admin socket has its own, and its own share of each
 * turn of the loop (main.c). It is root's, mode 0600, and agents, root
 * ones included, cannot connect to it in enforce mode: the kernel lets them
 * reach only the agent socket (lg_set_control_listener()). A caller there
 * that is plainly no admin (uid, cgroup) is turned away before it is
 * attested, so that even an agent that reaches it (audit mode) costs little.
 *
 * No client can hold livegrantd or take the socket from others:
 *  - at most LGD_ACCEPT_BUDGET connections are accepted per loop turn, so a
 *    client that reconnects without pause cannot keep the loop accepting;
 *  - one agent (every process of one agent cgroup, its sub-cgroups
 *    included) holds at most LGD_MAX_CONNS_PER_AGENT connections, and the
 *    last LGD_ADMIN_RESERVED slots are kept for admins;
 *  - a caller that cannot be attested (one that exited before the accept,
 *    say) is answered at once and holds no slot;
 *  - a connection that has not sent its request within
 *    LGD_REQUEST_TIMEOUT_S is closed, and replies never block (respond():
 *    what the socket cannot take at once is sent as the client reads, for
 *    LGD_REPLY_TIMEOUT_S at most).
 * Every connection turned away gets a reply that says why, and is counted.
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

#include "admission.h"
#include "control.h"
#include "control_ops.h"
#include "control_request.h"
#include "daemon.h"
#include "views.h"

#define LGD_REQUEST_TIMEOUT_S 5
/* How long a client has to read a reply the socket could not take at once. */
#define LGD_REPLY_TIMEOUT_S 10
#define LGD_MAX_CONNS 256
/* Slots only admins may take, and the most one agent may hold. */
#define LGD_ADMIN_RESERVED 16
#define LGD_MAX_CONNS_PER_AGENT 8
#define LGD_ACCEPT_BUDGET 32
/*
 * Connections waiting for accept. Kept short on purpose: the queue is FIFO
 * and shared, so a long one lets a flooding agent put thousands of
 * connections ahead of an honest agent's. With a short one, connectors
 * beyond it wait in connect() (or are refused at once, nonblocking) and the
 * kernel lets each in as room frees, whoever they are.
 */
#define LGD_LISTEN_BACKLOG 128
/* What a turned-away presentation is told to wait before it tries again. */
#define LGD_BUSY_RETRY_MS 200

_Static_assert(LGD_MAX_CONNS_PER_AGENT < LGD_MAX_CONNS - LGD_ADMIN_RESERVED,
	       "one agent must never be able to take every agent slot");

struct conn {
	struct lgd_src src; /* first: epoll hands us this pointer */
	uint64_t accepted_ns;
	/* A reply the socket could not take at once: sent as the client reads. */
	char *out;
	size_t out_len, out_off;
	uint64_t out_ns; /* CLOCK_BOOTTIME when it began */
	struct lgd_peer peer;
	/* Whose slots this one counts against: the agent cgroup, else the cgroup. */
	char owner[PATH_MAX];
	size_t len;
	struct conn *next;
	char buf[LGD_MAX_REQUEST + 1];
};

static struct lgd_control_stats stats;

static struct lgd_src listener = { .kind = LGD_SRC_LISTEN, .fd = -1 };
static struct lgd_src admin_listener = { .kind = LGD_SRC_ADMIN_LISTEN, .fd = -1 };

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

/* Bind and listen on @path with @mode; the listening fd, or a negative errno. */
static int open_listener(const char *path, mode_t mode, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return lg_err(-ENAMETOOLONG,
			      "control socket path %s is longer than %zu bytes: shorten state_dir",
			      path, sizeof(sun.sun_path) - 1);
	strcpy(sun.sun_path, path);
	err = lgd_control_check_dir(path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_err(-errno, "socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, mode) ||
	    listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return lg_err(err, "control socket %s: %s", path, strerror(-err));
	}
	return fd;
}

static int watch(int epfd, struct lgd_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev))
		return lg_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

int lgd_control_open(struct lgd *d, int epfd)
{
	/* Agents of any uid connect here; what they may ask is checked per caller. */
	int fd = open_listener(d->socket_path, 0666, LGD_LISTEN_BACKLOG), err;

	if (fd < 0)
		return fd;
	/* From now on only this socket is reached through the exception. */
	err = lg_set_control_listener(d->e, fd);
	if (err) {
		close(fd);
		return err;
	}
	listener.fd = fd;
	err = watch(epfd, &listener);
	if (err)
		return err;
	/* Root's alone: the exception above does not reach it, so no agent can. */
	fd = open_listener(d->admin_socket_path, 0600, LGD_ADMIN_RESERVED);
	if (fd < 0)
		return fd;
	admin_listener.fd = fd;
	return watch(epfd, &admin_listener);
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
	free(c->out);
	free(c);
	nconns--;
	stats.open = nconns;
}

/* Why @c may not have a slot, or LGD_REJECT_MAX when it may. */
static enum lgd_control_reject conn_slot(const struct lgd *d, const struct conn *c)
{
	int same = 0;

	/* Admins are root on the host already: only the last slot stops them. */
	if (lgd_caller_is_admin(d, &c->peer))
		return nconns < LGD_MAX_CONNS ? LGD_REJECT_MAX : LGD_REJECT_FULL;
	for (const struct conn *o = conns; o; o = o->next)
		same += !strcmp(o->owner, c->owner);
	if (same >= LGD_MAX_CONNS_PER_AGENT)
		return LGD_REJECT_AGENT_CAP;
	/* The last slots are kept for uid 0 outside the agent roots. */
	return nconns < LGD_MAX_CONNS - LGD_ADMIN_RESERVED ? LGD_REJECT_MAX : LGD_REJECT_FULL;
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

/* @resp as one line, newline-terminated, into a new string (its length in *len). */
static char *reply_line(json_t *resp, size_t *len)
{
	char *text = json_dumps(resp, JSON_COMPACT);

	if (!text)
		return NULL;
	*len = strlen(text) + 1;
	text[*len - 1] = '\n';
	return text;
}

/*
 * @resp as one line on @fd, never blocking the loop: a reply larger than
 * the socket's send buffer first asks for a buffer that holds it (which
 * needs CAP_NET_ADMIN past net.core.wmem_max). Returns what send() did (-1
 * with errno also without memory); the line's length in *len. For
 * refusals at accept, which are short; respond() keeps what a connection's
 * socket could not take.
 */
static ssize_t send_reply(int fd, json_t *resp, size_t *len)
{
	char *text = reply_line(resp, len);
	ssize_t n;

	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	ensure_sndbuf(fd, *len);
	n = send(fd, text, *len, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(text);
	return n;
}

/*
 * Answer @fd at once with a refusal and close it: the client reads it
 * after its request (its send may fail on the closed socket; the reply
 * stays readable). Never blocks: a client that does not read loses it.
 */
static void turn_away(int fd, enum lgd_control_reject why, const char *msg)
{
	json_t *resp = json_object();
	char full[96];
	size_t len;

	stats.rejected[why]++;
	if (!msg) {
		snprintf(full, sizeof(full),
			 "livegrantd holds its most connections (%d): try again", LGD_MAX_CONNS);
		msg = full;
	}
	lgd_refuse(resp,
		   why == LGD_REJECT_UNATTESTED ? "attestation_failed" :
		   why == LGD_REJECT_NOT_ADMIN	? "not_admin" :
						  "busy",
		   msg);
	if (why == LGD_REJECT_AGENT_CAP || why == LGD_REJECT_FULL)
		json_object_set_new(resp, "retry_after_ms", json_integer(LGD_BUSY_RETRY_MS));
	/* Nobody to tell if it is lost: counted above. */
	send_reply(fd, resp, &len);
	json_decref(resp);
	close(fd);
}

/*
 * The slots @c counts against: its agent's; a caller that is no agent, its
 * uid's (a user can make cgroups of its own at will, not uids).
 */
static void set_owner(const struct lgd *d, struct conn *c)
{
	const char *reason;

	if (lgd_agent_cgroup_of(d, c->peer.cgroup, c->owner, sizeof(c->owner), &reason))
		snprintf(c->owner, sizeof(c->owner), "uid %u", (unsigned)c->peer.uid);
}

/*
 * Before the whole attestation: is @fd's peer one whose agent holds its
 * connections already? A cheap look (its pid's cgroup, as the kernel says
 * now), so that a flood is turned away at a fraction of the cost of
 * attesting it; the peer a connection is granted to is attested in full.
 */
static bool peek_peer(const struct lgd *d, int fd, struct conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.pid <= 0 ||
	    lgd_pid_cgroup(cred.pid, LGD_CGROUP_MOUNT, c->peer.cgroup, sizeof(c->peer.cgroup)))
		return false; /* the attestation says why */
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	set_owner(d, c);
	return true;
}

static bool over_cap_early(const struct lgd *d, int fd, struct conn *c)
{
	return peek_peer(d, fd, c) && conn_slot(d, c) == LGD_REJECT_AGENT_CAP;
}

/*
 * The same cheap look on the admin socket: a caller that is plainly no
 * admin is turned away before the cost of an attestation. No agent should
 * get here (the kernel lets agents reach only the agent socket), but one
 * in audit mode could (a connect rule that names this socket is refused:
 * policy.c).
 */
static bool no_admin_early(const struct lgd *d, int fd, struct conn *c)
{
	return peek_peer(d, fd, c) && !lgd_caller_is_admin(d, &c->peer);
}

/* One connection from the listener; false when there is none left. */
static bool accept_one(struct lgd *d, int epfd, const struct lgd_src *from)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = accept4(from->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), err;
	bool admin_socket = from->kind == LGD_SRC_ADMIN_LISTEN;
	enum lgd_control_reject why;
	char msg[PATH_MAX + 128];
	struct conn *c;

	if (fd < 0)
		return false;
	stats.accepted++;
	if (nconns >= LGD_MAX_CONNS) {
		turn_away(fd, LGD_REJECT_FULL, NULL);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		turn_away(fd, LGD_REJECT_FULL, "livegrantd is out of memory: try again");
		return true;
	}
	c->src.kind = admin_socket ? LGD_SRC_ADMIN_CONN : LGD_SRC_CONN;
	c->src.fd = fd;
	c->peer.pidfd = -1;
	c->accepted_ns = lg_boottime_ns();
	if (admin_socket && no_admin_early(d, fd, c)) {
		why = LGD_REJECT_NOT_ADMIN;
		goto refuse;
	}
	if (!admin_socket && over_cap_early(d, fd, c)) {
		why = LGD_REJECT_AGENT_CAP;
		goto refuse;
	}
	/* Attest now: the pid-reuse check compares against this moment. */
	err = lgd_attest_peer(fd, c->accepted_ns, LGD_CGROUP_MOUNT, &c->peer);
	if (err) {
		/* Said now, whatever it asks: a caller we cannot place holds no slot. */
		snprintf(msg, sizeof(msg), "%s", lg_errmsg());
		lgd_peer_release(&c->peer);
		free(c);
		turn_away(fd, LGD_REJECT_UNATTESTED, msg);
		return true;
	}
	set_owner(d, c);
	why = conn_slot(d, c);
	if (admin_socket && !lgd_caller_is_admin(d, &c->peer))
		why = LGD_REJECT_NOT_ADMIN;
	ev.data.ptr = c;
	if (why == LGD_REJECT_MAX && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
		c->next = conns;
		conns = c;
		stats.open = ++nconns;
		return true;
	}
refuse:
	if (why == LGD_REJECT_NOT_ADMIN)
		snprintf(msg, sizeof(msg),
			 "the admin socket serves uid 0 outside every agent root only "
			 "(pid %d is uid %u in %.1024s): use %.1024s",
			 c->peer.pid, (unsigned)c->peer.uid, c->peer.cgroup, d->socket_path);
	if (why == LGD_REJECT_AGENT_CAP)
		snprintf(msg, sizeof(msg),
			 "%s holds %d connections to livegrantd already: try again when one ends",
			 c->owner, LGD_MAX_CONNS_PER_AGENT);
	lgd_peer_release(&c->peer);
	free(c);
	turn_away(fd, why == LGD_REJECT_MAX ? LGD_REJECT_FULL : why,
		  why == LGD_REJECT_AGENT_CAP || why == LGD_REJECT_NOT_ADMIN ? msg : NULL);
	return true;
}

/*
 * What waits, up to LGD_ACCEPT_BUDGET or @deadline_ns: the listener is
 * level-triggered, so the rest is taken on the loop's next turn, after its
 * other work. At least one, so that the listener always moves.
 */
static void accept_some(struct lgd *d, int epfd, const struct lgd_src *from, uint64_t deadline_ns)
{
	for (int i = 0; i < LGD_ACCEPT_BUDGET && accept_one(d, epfd, from); i++)
		if (lg_monotonic_ns() >= deadline_ns)
			break;
}

static void reply_lost(const struct conn *c, const char *why)
{
	stats.rejected[LGD_REJECT_REPLY_LOST]++;
	fprintf(stderr, "livegrantd: reply to pid %d lost (%zu of %zu bytes sent): %s\n",
		c->peer.pid, c->out_off, c->out_len, why);
}

/*
 * Send what is left of @c's reply, as much as the socket takes now. True
 * once it is all sent, or lost (the client went away); false while some
 * is left for when the socket is writable again.
 */
static bool flush_reply(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			reply_lost(c, n < 0 ? strerror(errno) : "nothing sent");
			return true;
		}
		c->out_off += n;
	}
	return true;
}

/*
 * Send @resp on @c, never blocking the loop. A reply larger than the
 * socket's buffer (the agents list of a large fleet is megabytes, and
 * livegrantd keeps no CAP_NET_ADMIN to raise the buffer past wmem_max) is
 * kept, and the rest sent as the client reads (EPOLLOUT): false then, and
 * the connection stays open until it is all sent, or for at most
 * LGD_REPLY_TIMEOUT_S (lgd_control_sweep()). A client that does not read
 * loses its reply then; it never gets a truncated one taken for whole.
 */
static bool respond(int epfd, struct conn *c, json_t *resp)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

	c->out = reply_line(resp, &c->out_len);
	c->out_off = 0;
	if (!c->out) {
		reply_lost(c, "out of memory");
		return true;
	}
	ensure_sndbuf(c->src.fd, c->out_len);
	if (flush_reply(c))
		return true;
	c->out_ns = lg_boottime_ns();
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->src.fd, &ev)) {
		reply_lost(c, strerror(errno));
		return true;
	}
	return false;
}

/* Answer @c's request; false while its reply is still being sent (respond()). */
static bool handle_request(struct lgd *d, int epfd, struct conn *c, size_t len)
{
	json_t *resp = json_object();
	struct lgd_request req;
	const char *msg;
	bool done;

	if (lgd_request_decode(c->buf, len, &req, &msg))
		lgd_refuse(resp, "bad_request", msg);
	else
		lgd_control_dispatch(d, &c->peer, &req, resp);
	lgd_request_release(&req);
	done = respond(epfd, c, resp);
	json_decref(resp);
	return done;
}

void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src, uint64_t deadline_ns)
{
	struct conn *c = (struct conn *)src;
	bool done = true;
	size_t line_len;
	ssize_t n;

	if (src->kind == LGD_SRC_LISTEN || src->kind == LGD_SRC_ADMIN_LISTEN) {
		accept_some(d, epfd, src, deadline_ns);
		return;
	}
	/* Writable again: more of the reply the socket could not take at once. */
	if (c->out) {
		if (flush_reply(c))
			conn_close(epfd, c);
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
	switch (lgd_request_frame(c->buf, c->len, &line_len)) {
	case LGD_FRAME_MORE:
		return;
	case LGD_FRAME_TOO_LARGE: {
		json_t *resp = json_object();

		stats.rejected[LGD_REJECT_TOO_LARGE]++;
		lgd_refuse(resp, "too_large", "request longer than 64 KiB");
		done = respond(epfd, c, resp);
		json_decref(resp);
		break;
	}
	case LGD_FRAME_LINE:
		done = handle_request(d, epfd, c, line_len);
		break;
	}
	if (done)
		conn_close(epfd, c);
}

/*
 * Has @c's whole request arrived, read or not? Under load the loop defers
 * ready connections to later turns (main.c), so a request can wait in the
 * socket past LGD_REQUEST_TIMEOUT_S through no fault of its client.
 */
static bool request_arrived(struct conn *c)
{
	size_t line_len;
	ssize_t n;

	if (lgd_request_frame(c->buf, c->len, &line_len) != LGD_FRAME_MORE)
		return true;
	n = recv(c->src.fd, c->buf + c->len, LGD_MAX_REQUEST - c->len, MSG_PEEK | MSG_DONTWAIT);
	return n > 0 && memchr(c->buf + c->len, '\n', n);
}

void lgd_control_sweep(int epfd)
{
	uint64_t limit = (uint64_t)LGD_REQUEST_TIMEOUT_S * 1000000000ULL, now = lg_boottime_ns();
	uint64_t reply_limit = (uint64_t)LGD_REPLY_TIMEOUT_S * 1000000000ULL;
	struct conn *c = conns, *next;

	for (; c; c = next) {
		next = c->next;
		/* A reply being sent: the client has LGD_REPLY_TIMEOUT_S to read it all. */
		if (c->out) {
			if (now - c->out_ns > reply_limit) {
				reply_lost(c, "the client did not read it in time");
				conn_close(epfd, c);
			}
			continue;
		}
		if (now - c->accepted_ns <= limit || request_arrived(c))
			continue;
		stats.rejected[LGD_REJECT_TIMEOUT]++;
		conn_close(epfd, c);
	}
}

void lgd_control_stats(struct lgd_control_stats *out)
{
	*out = stats;
}

void lgd_control_close(int epfd)
{
	while (conns)
		conn_close(epfd, conns);
	if (listener.fd >= 0)
		close(listener.fd);
	listener.fd = -1;
	if (admin_listener.fd >= 0)
		close(admin_listener.fd);
	admin_listener.fd = -1;
}
