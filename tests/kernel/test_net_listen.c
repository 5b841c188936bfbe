// SPDX-License-Identifier: GPL-2.0
/*
 * test_net_listen.c - the listening side of the network boundary, each
 * attack run by a root process in an agent cgroup against services of the
 * host (this test process, not an agent): squatting ports and abstract
 * names, joining a service's SO_REUSEPORT group, listening without a
 * rule, multicast and rtnetlink groups, and symlinks at allowed unix
 * paths that lead to other sockets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define LS_ADDR "127.0.0.7"
#define LS_SQUAT 7101 /* a port no rule names */
#define LS_MINE 7102 /* the port the listen rule names */
#define LS_SHARED 7103 /* the host service's SO_REUSEPORT port */
#define LS_DIR FX_DIR "/listen"

static const char *ls_connect[] = {
	LS_ADDR,
	"unix:" LS_DIR "/allowed.sock",
	"unix:" LS_DIR "/sym.sock",
	"unix:" LS_DIR "/allowed.dgram",
	"unix:" LS_DIR "/sym.dgram",
	"unix:@lgt-victim",
};
static const char *ls_listen[] = {
	LS_ADDR ":"
		"7102",
	LS_ADDR ":"
		"7103",
	"unix:@lgt-mine",
};

static int grant(bool with_listen)
{
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_CONNECT] = STRV(ls_connect);
	if (with_listen)
		s.rules[LG_RULE_LISTEN] = STRV(ls_listen);
	return lg_grant_install(fx, fx_a1, &s, NULL);
}

static bool target_is(const struct lg_event *ev, const void *target)
{
	char t[256];

	return !target || !strcmp(lg_event_target(ev, t, sizeof(t)), target);
}

static bool event_says(uint32_t pid, int hook, int reason, const char *target)
{
	return fx_wait_event_if(pid, hook, reason, target_is, target, 2000) != NULL;
}

static struct sockaddr_in ls_sin(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, LS_ADDR, &sin.sin_addr);
	return sin;
}

/* ---- worker side (W_CALL: runs in the agent; fds kept across calls) ---- */

static int kept = -1;

/* Keep @fd as the worker's socket unless @err (an errno): then close it. */
static int keep(int fd, int err)
{
	if (err) {
		close(fd);
		return err;
	}
	if (kept >= 0)
		close(kept);
	kept = fd;
	return 0;
}

/* bind(type = arg, LS_ADDR:port); keeps the socket. */
static int a_bind(const struct worker_req *r)
{
	struct sockaddr_in sin = ls_sin(r->port);
	int fd = socket(AF_INET, r->arg | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	return keep(fd, bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0);
}

/* listen() on the kept socket. */
static int a_listen(const struct worker_req *r)
{
	(void)r;
	return listen(kept, 8) ? errno : 0;
}

/* listen() on a new, unbound TCP socket (the kernel autobinds it). */
static int a_listen_unbound(const struct worker_req *r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	(void)r;
	if (fd < 0)
		return errno;
	err = listen(fd, 8) ? errno : 0;
	close(fd);
	return err;
}

/* accept() on the kept listener, one byte read from the connection. */
static int a_accept(const struct worker_req *r)
{
	struct pollfd p = { .fd = kept, .events = POLLIN };
	char c;
	int fd, n;

	(void)r;
	if (poll(&p, 1, 2000) != 1)
		return ETIMEDOUT;
	fd = accept4(kept, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? 0 : EIO;
}

/* SO_REUSEPORT on a new TCP socket, then bind LS_ADDR:port. */
static int a_reuseport(const struct worker_req *r)
{
	struct sockaddr_in sin = ls_sin(r->port);
	int one = 1, err = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	if (r->arg == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		err = errno;
	else if (r->arg == 1 && (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8)))
		err = errno;
	close(fd);
	return err;
}

/* bind (and listen) a unix stream socket at the abstract name path ('@' first). */
static int a_abstract(const struct worker_req *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(r->path + 1);
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	memcpy(sun.sun_path + 1, r->path + 1, n);
	if (bind(fd, (struct sockaddr *)&sun, len) || listen(fd, 8))
		return keep(fd, errno);
	return keep(fd, 0);
}

/* bind a unix datagram socket to sun_family alone: the kernel picks an abstract name. */
static int a_autobind(const struct worker_req *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	(void)r;
	if (fd < 0)
		return errno;
	err = bind(fd, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path)) ? errno : 0;
	close(fd);
	return err;
}

/* NETLINK_ROUTE: arg 0 bind nl_groups = port; arg 1 NETLINK_ADD_MEMBERSHIP group port. */
static int a_netlink(const struct worker_req *r)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_groups = r->port };
	int group = r->port, err = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return errno;
	if (r->arg == 0 && bind(fd, (struct sockaddr *)&nl, sizeof(nl)))
		err = errno;
	if (r->arg == 1 &&
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)))
		err = errno;
	close(fd);
	return err;
}

/* A multicast option on a UDP socket: arg is the option (level from it). */
static int mcast_opt(int opt)
{
	struct ip_mreqn mr = { .imr_ifindex = 1 };
	struct ipv6_mreq m6 = { .ipv6mr_interface = 1 };
	int err = 0, fd, ttl = 1;
	int family = opt == IPV6_ADD_MEMBERSHIP ? AF_INET6 : AF_INET;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	inet_pton(AF_INET, "239.1.2.3", &mr.imr_multiaddr);
	inet_pton(AF_INET6, "ff15::1:2:3", &m6.ipv6mr_multiaddr);
	if (opt == IP_ADD_MEMBERSHIP)
		err = setsockopt(fd, IPPROTO_IP, opt, &mr, sizeof(mr));
	else if (opt == IPV6_ADD_MEMBERSHIP)
		err = setsockopt(fd, IPPROTO_IPV6, opt, &m6, sizeof(m6));
	else
		err = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	err = err ? errno : 0;
	close(fd);
	return err;
}

static int a_mcast(const struct worker_req *r)
{
	return mcast_opt(r->arg);
}

/* ---- host side --------------------------------------------------------- */

static int host_listener(int port, bool reuseport)
{
	struct sockaddr_in sin = ls_sin(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect to LS_ADDR:port and send a byte; the socket, or -1. */
static int host_connect(int port)
{
	struct sockaddr_in sin = ls_sin(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) || write(fd, "x", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Connections waiting on a non-blocking listener (accepted and closed). */
static int accept_all(int lfd)
{
	int n = 0, c;

	usleep(100 * 1000);
	while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

KTEST(net_listen_port_squat_and_listen)
{
	struct worker w;
	int c;

	REQUIRE(grant(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-squat") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_bind, LS_SQUAT, SOCK_STREAM, NULL), EACCES,
		  "bind TCP " LS_ADDR ":7101 without a listen rule");
	CHECK(event_says(w.pid, LG_HOOK_SOCKET_BIND, LG_REASON_NOT_ALLOWED, LS_ADDR ":7101"),
	      "socket_bind not_allowed event names the address");
	CHECK_ERR(w_call(&w, a_bind, LS_SQUAT, SOCK_DGRAM, NULL), EACCES,
		  "bind UDP " LS_ADDR ":7101 without a listen rule");
	CHECK_ERR(w_call(&w, a_bind, LS_MINE, SOCK_STREAM, NULL), EACCES,
		  "bind " LS_ADDR ":7102: a connect rule for the address grants no bind");
	CHECK_ERR(w_call(&w, a_listen_unbound, 0, 0, NULL), EACCES,
		  "listen on an unbound socket (autobind, port 0)");
	CHECK(event_says(w.pid, LG_HOOK_SOCKET_LISTEN, LG_REASON_NOT_ALLOWED, "0.0.0.0:0"),
	      "socket_listen not_allowed event for 0.0.0.0:0");
	CHECK_ERR(w_call(&w, a_bind, 0, SOCK_STREAM, NULL), 0,
		  "bind port 0 (ephemeral) squats nothing: allowed");
	CHECK_ERR(w_call(&w, a_listen, 0, 0, NULL), EACCES,
		  "listen on that ephemeral port without a rule");
	c = host_connect(LS_SQUAT);
	CHECK(c < 0, "nobody listens on the squatted port");
	if (c >= 0)
		close(c);

	REQUIRE(grant(true) == 0, "grant with listen rules: %s", lg_errmsg());
	CHECK_ERR(w_call(&w, a_bind, LS_SQUAT, SOCK_STREAM, NULL), EACCES,
		  "bind 7101 still denied: the listen rule names 7102");
	CHECK_ERR(w_call(&w, a_bind, LS_MINE, SOCK_DGRAM, NULL), 0, "bind UDP " LS_ADDR ":7102");
	CHECK_ERR(w_call(&w, a_bind, LS_MINE, SOCK_STREAM, NULL), 0, "bind TCP " LS_ADDR ":7102");
	CHECK_ERR(w_call(&w, a_listen, 0, 0, NULL), 0, "listen on " LS_ADDR ":7102");
	c = host_connect(LS_MINE);
	CHECK(c >= 0, "a host process connects to the agent's listener");
	CHECK_ERR(w_call(&w, a_accept, 0, 0, NULL), 0, "the agent accepts it and reads its byte");
	if (c >= 0)
		close(c);
	worker_stop(&w);
}

/* Without a live grant nothing is bound or listened on, not even what no rule is asked for. */
KTEST(net_listen_without_grant)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_A1, "lg-nogrant") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_bind, 0, SOCK_DGRAM, NULL), EACCES, "bind UDP port 0, no grant");
	CHECK(event_says(w.pid, LG_HOOK_SOCKET_BIND, LG_REASON_NO_GRANT, NULL),
	      "socket_bind no_grant event");
	CHECK_ERR(w_call(&w, a_autobind, 0, 0, NULL), EACCES, "unix autobind, no grant");
	CHECK_ERR(w_call(&w, a_netlink, 0, 0, NULL), EACCES,
		  "netlink bind without groups, no grant");
	REQUIRE(grant(false) == 0, "grant: %s", lg_errmsg());
	CHECK_ERR(w_call(&w, a_bind, 0, SOCK_DGRAM, NULL), 0, "bind UDP port 0 with a grant");
	CHECK_ERR(w_call(&w, a_autobind, 0, 0, NULL), 0, "unix autobind with a grant");
	CHECK_ERR(w_call(&w, a_netlink, 0, 0, NULL), 0, "netlink bind without groups with a grant");
	worker_stop(&w);
}

KTEST(net_listen_reuseport_group)
{
	const struct lg_event *ev;
	struct worker w;
	int lfd, n = 0;

	REQUIRE(grant(true) == 0, "grant: %s", lg_errmsg());
	lfd = host_listener(LS_SHARED, true);
	REQUIRE(lfd >= 0, "the host service listens on " LS_ADDR ":7103 with SO_REUSEPORT");
	REQUIRE(worker_start(&w, FX_A1, "lg-reuseport") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_reuseport, LS_SHARED, 0, NULL), EACCES, "SO_REUSEPORT");
	ev = fx_wait_event(w.pid, LG_HOOK_SETSOCKOPT, LG_REASON_PORT_SHARING, 2000);
	if (CHECK(ev != NULL, "setsockopt port_sharing_not_allowed event"))
		CHECK(ev->target_kind == LG_TARGET_SOCKOPT && ev->sock_type == SOL_SOCKET &&
			      ev->port == SO_REUSEPORT,
		      "event names SOL_SOCKET/SO_REUSEPORT (%u/%u)", ev->sock_type, ev->port);
	/* The listen rule allows the port: only the kernel's own rule stops it. */
	CHECK_ERR(w_call(&w, a_reuseport, LS_SHARED, 1, NULL), EADDRINUSE,
		  "without SO_REUSEPORT the port is the service's");
	for (int i = 0; i < 20; i++) {
		int c = host_connect(LS_SHARED);

		if (c >= 0)
			close(c);
	}
	n = accept_all(lfd);
	CHECK(n == 20, "the service got all 20 connections, got %d", n);
	worker_stop(&w);
	close(lfd);
}

KTEST(net_listen_abstract_name_squat)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct worker w;
	int v, c, n = strlen("lgt-victim");

	REQUIRE(grant(true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-abstract") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_abstract, 0, 0, "@lgt-victim"), EACCES,
		  "bind @lgt-victim, a name only connect rules give");
	CHECK(event_says(w.pid, LG_HOOK_SOCKET_BIND, LG_REASON_NOT_ALLOWED, "unix:@lgt-victim"),
	      "socket_bind event names @lgt-victim");
	/* The victim, started after the attempt, gets its name. */
	v = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	memcpy(sun.sun_path + 1, "lgt-victim", n);
	CHECK(v >= 0 &&
		      !bind(v, (struct sockaddr *)&sun,
			    offsetof(struct sockaddr_un, sun_path) + 1 + n) &&
		      !listen(v, 8),
	      "the host service binds @lgt-victim after the attempt: %s", strerror(errno));
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, "@lgt-victim"), 0,
		  "the agent reaches the service as a client (connect rule)");
	CHECK(accept_all(v) == 1, "the service accepted the agent's connection");
	close(v);
	CHECK_ERR(w_call(&w, a_abstract, 0, 0, "@lgt-mine"), 0, "bind @lgt-mine (listen rule)");
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	n = strlen("lgt-mine");
	memset(sun.sun_path, 0, sizeof(sun.sun_path));
	memcpy(sun.sun_path + 1, "lgt-mine", n);
	CHECK(c >= 0 &&
		      !connect(c, (struct sockaddr *)&sun,
			       offsetof(struct sockaddr_un, sun_path) + 1 + n) &&
		      write(c, "x", 1) == 1,
	      "a host process connects to the agent at @lgt-mine");
	CHECK_ERR(w_call(&w, a_accept, 0, 0, NULL), 0, "the agent accepts it");
	if (c >= 0)
		close(c);
	worker_stop(&w);
}

KTEST(net_listen_multicast_groups)
{
	struct worker w;
	int host;

	REQUIRE(grant(true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-mcast") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_netlink, RTMGRP_LINK | RTMGRP_IPV4_IFADDR, 0, NULL), EACCES,
		  "NETLINK_ROUTE bind with nl_groups");
	CHECK(event_says(w.pid, LG_HOOK_SOCKET_BIND, LG_REASON_MULTICAST, NULL),
	      "socket_bind multicast_not_allowed event");
	CHECK_ERR(w_call(&w, a_netlink, 0, 0, NULL), 0, "NETLINK_ROUTE bind without groups");
	CHECK_ERR(w_call(&w, a_netlink, RTNLGRP_LINK, 1, NULL), EACCES,
		  "NETLINK_ADD_MEMBERSHIP RTNLGRP_LINK");
	CHECK(event_says(w.pid, LG_HOOK_SETSOCKOPT, LG_REASON_MULTICAST, NULL),
	      "setsockopt multicast_not_allowed event");
	CHECK_ERR(w_call(&w, a_mcast, 0, IP_ADD_MEMBERSHIP, NULL), EACCES, "IP_ADD_MEMBERSHIP");
	CHECK_ERR(w_call(&w, a_mcast, 0, IPV6_ADD_MEMBERSHIP, NULL), EACCES, "IPV6_JOIN_GROUP");
	CHECK_ERR(w_call(&w, a_mcast, 0, IP_MULTICAST_TTL, NULL), 0,
		  "IP_MULTICAST_TTL (joins nothing) still allowed");
	/* The host's own processes are untouched: the same join works there. */
	host = mcast_opt(IP_ADD_MEMBERSHIP);
	CHECK(host == 0, "a host process joins the group: %s", strerror(host));
	worker_stop(&w);
}

/* A non-agent unix socket at @path (stream: listening), non-blocking. */
static int host_unix(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	unlink(path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Datagrams waiting on @fd (drained). */
static int dgrams(int fd)
{
	char b[16];
	int n = 0;

	usleep(100 * 1000);
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

KTEST(net_listen_unix_peer_is_judged)
{
	struct worker w;
	int ok_s, other_s, ok_d, other_d;

	mkdir(LS_DIR, 0755);
	ok_s = host_unix(LS_DIR "/allowed.sock", SOCK_STREAM);
	other_s = host_unix(LS_DIR "/other.sock", SOCK_STREAM);
	ok_d = host_unix(LS_DIR "/allowed.dgram", SOCK_DGRAM);
	other_d = host_unix(LS_DIR "/other.dgram", SOCK_DGRAM);
	REQUIRE(ok_s >= 0 && other_s >= 0 && ok_d >= 0 && other_d >= 0, "host sockets");
	unlink(LS_DIR "/sym.sock");
	unlink(LS_DIR "/sym.dgram");
	REQUIRE(!symlink(LS_DIR "/other.sock", LS_DIR "/sym.sock") &&
			!symlink(LS_DIR "/other.dgram", LS_DIR "/sym.dgram"),
		"symlinks at the allowed paths");
	REQUIRE(grant(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-unixpeer") == 0, "start worker");

	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, LS_DIR "/sym.sock"), EACCES,
		  "stream connect through the symlink at an allowed path");
	CHECK(event_says(w.pid, LG_HOOK_UNIX_CONNECT, LG_REASON_NOT_ALLOWED,
			 "unix:" LS_DIR "/other.sock"),
	      "unix_connect event names the socket reached");
	CHECK(accept_all(other_s) == 0, "the other listener got no connection");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, LS_DIR "/allowed.sock"), 0,
		  "stream connect to the real allowed socket");
	CHECK(accept_all(ok_s) == 1, "the allowed listener got it");

	CHECK_ERR(w_unix(&w, W_UNIX_SENDTO, LS_DIR "/sym.dgram"), EACCES,
		  "datagram sendto through the symlink at an allowed path");
	CHECK(event_says(w.pid, LG_HOOK_UNIX_MAY_SEND, LG_REASON_NOT_ALLOWED,
			 "unix:" LS_DIR "/other.dgram"),
	      "unix_may_send event names the socket reached");
	CHECK(dgrams(other_d) == 0, "the other datagram socket got nothing");
	CHECK_ERR(w_unix(&w, W_UNIX_SENDTO, LS_DIR "/allowed.dgram"), 0,
		  "datagram sendto to the real allowed socket");
	CHECK(dgrams(ok_d) == 1, "the allowed datagram socket got it");
	worker_stop(&w);
	close(ok_s);
	close(other_s);
	close(ok_d);
	close(other_d);
}
