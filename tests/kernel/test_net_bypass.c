// SPDX-License-Identifier: GPL-2.0
/*
 * test_net_bypass.c - ways around the network decisions, each tried by a
 * real process in an agent cgroup: rerouting control messages, sockets
 * connected while a grant allowed them (every send path, io_uring
 * included), ICMP echo, and a listener put where agents look for
 * livegrantd.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

/* A TCP listener and a UDP receiver of this file's own. */
#define BY_ADDR "127.0.0.3"
#define BY_TCP 7001
#define BY_UDP 7002

static const char *by_rules[] = {
	"127.0.0.1:5353",
	"[::1]:5353",
	BY_ADDR ":7001",
	BY_ADDR ":7002",
	"127.0.0.4",
	"unix:" FX_DIR "/ok.sock",
	"unix:" FX_DIR "/ok.dgram",
};
/* The same grant without BY_ADDR and the unix sockets: what replaces it. */
static const char *by_rules_less[] = { "127.0.0.1:5353", "[::1]:5353" };

static int grant(const char **rules, size_t n, int ttl_ms, uint32_t *gen)
{
	struct lg_grant_spec s = fx_spec(ttl_ms);

	s.rules[LG_RULE_CONNECT] = (struct lg_strv){ rules, n };
	return lg_grant_install(fx, fx_a1, &s, gen);
}
#define GRANT(r, ttl, gen) grant((r), sizeof(r) / sizeof((r)[0]), (ttl), (gen))

static int bind_inet(int type, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, BY_ADDR, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bytes that arrived on @fd so far (drained), 0 if none. */
static int drain(int fd)
{
	char buf[256];
	int n, total = 0;

	usleep(100 * 1000);
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	return total;
}

static bool target_is(const struct lg_event *ev, const void *target)
{
	char t[256];

	return !target || !strcmp(lg_event_target(ev, t, sizeof(t)), target);
}

/* An event of @pid, @hook and @reason naming @target (NULL: any) arrived. */
static bool event_says(uint32_t pid, int hook, int reason, const char *target)
{
	return fx_wait_event_if(pid, hook, reason, target_is, target, 2000) != NULL;
}

static bool level_is(const struct lg_event *ev, const void *level)
{
	return ev->sock_type == *(const int *)level;
}

static bool audited(const struct lg_event *ev, const void *unused)
{
	(void)unused;
	return ev->action == LG_ACTION_AUDITED;
}

KTEST(net_cmsg_reroute_denied)
{
	const struct lg_event *ev;
	struct worker w, other;

	REQUIRE(GRANT(by_rules, 60000, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-cmsg") == 0, "start worker");
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_TOS, 0), 0,
		  "IP_TOS control message to an allowed destination");
	CHECK(fx_udp_pending(AF_INET, FX_UDP_OK) > 0, "that datagram arrived");
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_RETOPTS, 0),
		  EACCES, "IP_RETOPTS (a loose source route) on an unconnected send");
	ev = fx_wait_event(w.pid, LG_HOOK_SENDMSG, LG_REASON_SOCKOPT, 2000);
	if (CHECK(ev != NULL, "sockopt_not_allowed event for the control message"))
		CHECK(ev->target_kind == LG_TARGET_SOCKOPT && ev->sock_type == IPPROTO_IP &&
			      ev->port == IP_RETOPTS,
		      "event names level %u and type %u", ev->sock_type, ev->port);
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_RETOPTS, 1),
		  EACCES, "IP_RETOPTS on a connected send");
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_OPTIONS, 0),
		  EACCES, "IP_OPTIONS control message");
	CHECK(fx_udp_pending(AF_INET, FX_UDP_OK) == 0, "no source-routed datagram arrived");

	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_TCLASS, 0), 0,
		  "IPV6_TCLASS control message");
	CHECK(fx_udp_pending(AF_INET6, FX_UDP_OK) > 0, "that v6 datagram arrived");
	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_RTHDR, 0), EACCES,
		  "IPV6_RTHDR control message");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_SOCKOPT, NULL), "event for IPV6_RTHDR");
	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_2292RTHDR, 1),
		  EACCES, "IPV6_2292RTHDR on a connected send");
	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_HOPOPTS, 0),
		  EACCES, "IPV6_HOPOPTS control message");
	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_DSTOPTS, 1),
		  EACCES, "IPV6_DSTOPTS on a connected send");
	CHECK_ERR(w_cmsg_send(&w, AF_INET6, "::1", FX_UDP_OK, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, 0),
		  EACCES, "IPV6_RTHDRDSTOPTS control message");
	CHECK(fx_udp_pending(AF_INET6, FX_UDP_OK) == 0, "no v6 datagram with those headers");

	/* The walk: a malformed buffer, and more messages than it visits. */
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_TOS, 0x40), 0,
		  "LG_MAX_CMSGS harmless control messages");
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_TOS, 0x20),
		  EACCES, "LG_MAX_CMSGS + 1 control messages: one would go unseen");
	{
		int unwalkable = LG_CMSG_UNWALKABLE;

		ev = fx_wait_event_if(w.pid, LG_HOOK_SENDMSG, LG_REASON_SOCKOPT, level_is,
				      &unwalkable, 2000);
		CHECK(ev && ev->port == LG_CMSG_UNWALKABLE,
		      "event for the unwalkable buffer says unwalkable");
	}
	CHECK_ERR(w_cmsg_send(&w, AF_INET, "127.0.0.1", FX_UDP_OK, IPPROTO_IP, IP_TOS, 0x10),
		  EACCES, "a malformed control buffer");

	/* The same options as socket options. */
	CHECK_ERR(w_simple(&w, W_SETSOCKOPT, 0, IPPROTO_IPV6, IPV6_HOPOPTS), EACCES,
		  "setsockopt IPV6_HOPOPTS");
	CHECK_ERR(w_simple(&w, W_SETSOCKOPT, 0, IPPROTO_IPV6, IPV6_2292PKTOPTIONS), EACCES,
		  "setsockopt IPV6_2292PKTOPTIONS (a control buffer of options)");
	CHECK_ERR(w_simple(&w, W_SETSOCKOPT, 0, IPPROTO_IPV6, IPV6_TCLASS), 0,
		  "setsockopt IPV6_TCLASS");
	worker_stop(&w);

	REQUIRE(worker_start(&other, FX_OTHER, "lg-other-cmsg") == 0, "start non-agent");
	CHECK_ERR(w_cmsg_send(&other, AF_INET6, "::1", FX_UDP_NO, IPPROTO_IPV6, IPV6_HOPOPTS, 0), 0,
		  "non-agent IPV6_HOPOPTS");
	CHECK_ERR(w_cmsg_send(&other, AF_INET, "127.0.0.1", FX_UDP_NO, IPPROTO_IP, IP_RETOPTS, 0),
		  0, "non-agent IP_RETOPTS");
	CHECK(fx_count_events(other.pid, 300) == 0, "no event for the non-agent");
	worker_stop(&other);
}

/* One byte by every send path on slot 0; each must give @want. */
static void send_all_ways(struct worker *w, int want, const char *when)
{
	static const struct {
		int how;
		const char *name;
	} ways[] = {
		{ W_SEND_SEND, "send()" },
		{ W_SEND_WRITE, "write()" },
		{ W_SEND_SENDFILE, "sendfile()" },
		{ W_SEND_SPLICE, "splice()" },
		{ W_SEND_URING_SEND, "IORING_OP_SEND" },
		{ W_SEND_URING_SENDMSG, "IORING_OP_SENDMSG (io-wq)" },
		{ W_SEND_URING_SEND_ZC, "IORING_OP_SEND_ZC" },
		{ W_SEND_URING_WRITE, "IORING_OP_WRITE (io-wq)" },
	};
	char what[128];

	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		snprintf(what, sizeof(what), "%s on the TCP socket %s", ways[i].name, when);
		CHECK_ERR(w_kept_send(w, 0, ways[i].how), want, what);
	}
	snprintf(what, sizeof(what), "sendto() naming an allowed address on the TCP socket %s",
		 when);
	CHECK_ERR(w_kept_send(w, 0, W_SEND_SENDTO_ALLOWED), want, what);
	snprintf(what, sizeof(what), "send() on the connected UDP socket %s", when);
	CHECK_ERR(w_kept_send(w, 1, W_SEND_SEND), want, what);
}

KTEST(net_connected_sockets_rechecked_on_send)
{
	int lfd = bind_inet(SOCK_STREAM, BY_TCP), ufd = bind_inet(SOCK_DGRAM, BY_UDP), cfd = -1;
	struct worker w, other;
	uint32_t gen = 0;

	REQUIRE(lfd >= 0 && ufd >= 0, "listeners on " BY_ADDR);
	REQUIRE(GRANT(by_rules, 60000, &gen) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-connected") == 0, "start worker");
	CHECK_ERR(w_keep(&w, 0, SOCK_STREAM, 0, AF_INET, BY_ADDR, BY_TCP), 0, "TCP connect");
	CHECK_ERR(w_keep(&w, 1, SOCK_DGRAM, 0, AF_INET, BY_ADDR, BY_UDP), 0, "UDP connect");
	usleep(100 * 1000);
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	REQUIRE(cfd >= 0, "accept the agent's connection");

	send_all_ways(&w, 0, "while the grant allows it");
	CHECK(drain(cfd) == 9, "the listener got all 9 bytes");
	CHECK(drain(ufd) == 1, "the UDP receiver got its datagram");

	/* The grant is replaced by one without this destination. */
	CHECK(GRANT(by_rules_less, 60000, NULL) == 0, "replace the grant: %s", lg_errmsg());
	send_all_ways(&w, EACCES, "after the grant was replaced");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, BY_ADDR ":7001"),
	      "sendmsg event names the peer");
	CHECK(event_says(w.pid, LG_HOOK_SOCK_WRITE, LG_REASON_NOT_ALLOWED, BY_ADDR ":7001"),
	      "sock_write event (write, sendfile, splice) names the peer");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, BY_ADDR ":7002"),
	      "UDP event names the peer");
	CHECK(drain(cfd) == 0, "the listener received nothing more");
	CHECK(drain(ufd) == 0, "the UDP receiver received nothing more");

	/* The grant back: the same sockets send again. */
	CHECK(GRANT(by_rules, 60000, &gen) == 0, "grant again: %s", lg_errmsg());
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SEND), 0, "TCP send with the grant back");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), 0, "UDP send with the grant back");
	CHECK(drain(cfd) == 1 && drain(ufd) == 1, "both arrived");

	/* Suspended. */
	CHECK(lg_agent_suspend(fx, fx_a1, gen) == 0, "suspend: %s", lg_errmsg());
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SEND), EACCES, "TCP send while suspended");
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SENDFILE), EACCES, "sendfile while suspended");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), EACCES, "UDP send while suspended");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_SUSPENDED, NULL), "suspended event");

	/* Expired: a grant that lapses on its own. */
	CHECK(GRANT(by_rules, 1500, NULL) == 0, "short grant: %s", lg_errmsg());
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SEND), 0, "TCP send before expiry");
	usleep(1700 * 1000);
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SEND), EACCES, "TCP send after expiry");
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SENDFILE), EACCES, "sendfile after expiry");
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_URING_SEND), EACCES, "IORING_OP_SEND after expiry");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), EACCES, "UDP send after expiry");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_EXPIRED, NULL), "expired event");
	CHECK(drain(cfd) == 1, "only the byte before expiry arrived");
	CHECK(drain(ufd) == 0, "no datagram after expiry");
	worker_stop(&w);
	if (cfd >= 0)
		close(cfd);

	/* A non-agent's connected socket is never looked at. */
	REQUIRE(worker_start(&other, FX_OTHER, "lg-other-conn") == 0, "start non-agent");
	CHECK_ERR(w_keep(&other, 0, SOCK_STREAM, 0, AF_INET, BY_ADDR, BY_TCP), 0,
		  "non-agent TCP connect");
	CHECK_ERR(w_keep(&other, 1, SOCK_DGRAM, 0, AF_INET, BY_ADDR, BY_UDP), 0,
		  "non-agent UDP connect");
	usleep(100 * 1000);
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	send_all_ways(&other, 0, "of a non-agent");
	CHECK(cfd >= 0 && drain(cfd) == 9, "the listener got the non-agent's 9 bytes");
	CHECK(fx_count_events(other.pid, 300) == 0, "no event for the non-agent");
	worker_stop(&other);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	close(ufd);
}

/* Connect from @src to the agent's listener at 127.0.0.3:7003; the fd, or -1. */
static int connect_from(const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, src, &a.sin_addr);
	inet_pton(AF_INET, BY_ADDR, &to.sin_addr);
	to.sin_port = htons(7003);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

KTEST(net_accepted_connections_send_by_peer)
{
	static const char *listen_on[] = { BY_ADDR ":7003" };
	struct lg_grant_spec s = fx_spec(60000);
	struct worker w;
	int in_grant, outside, err;

	s.rules[LG_RULE_CONNECT] = STRV(by_rules);
	/* Listening asks a listen rule (test_net_listen.c); accepting asks nothing. */
	s.rules[LG_RULE_LISTEN] = STRV(listen_on);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-server") == 0, "start worker");
	err = w_tcp_listen(&w, 0, BY_ADDR, 7003);
	REQUIRE(err == 0, "the agent listens on " BY_ADDR ":7003: %s", ktest_errname(err));
	in_grant = connect_from("127.0.0.4");
	CHECK_ERR(w_accept(&w, 0, 1), 0, "accept a peer the grant allows (127.0.0.4)");
	outside = connect_from("127.0.0.6");
	CHECK_ERR(w_accept(&w, 0, 2), 0, "accept a peer outside the grant (127.0.0.6)");
	REQUIRE(in_grant >= 0 && outside >= 0, "both connected");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), 0, "send to the allowed peer");
	CHECK_ERR(w_kept_send(&w, 2, W_SEND_SEND), EACCES, "send to the peer outside the grant");
	CHECK_ERR(w_kept_send(&w, 2, W_SEND_WRITE), EACCES, "write to the peer outside the grant");
	CHECK(drain(in_grant) == 1, "the allowed peer got its byte");
	CHECK(drain(outside) == 0, "the other peer got nothing");
	worker_stop(&w);
	close(in_grant);
	close(outside);
}

KTEST(net_connected_unix_sockets_rechecked_on_send)
{
	static const int ways[] = { W_SEND_SEND,       W_SEND_WRITE,	  W_SEND_SENDFILE,
				    W_SEND_SPLICE,     W_SEND_URING_SEND, W_SEND_URING_SENDMSG,
				    W_SEND_URING_WRITE };
	struct worker w;

	REQUIRE(GRANT(by_rules, 60000, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-unix-conn") == 0, "start worker");
	CHECK_ERR(w_keep(&w, 0, SOCK_STREAM, 0, AF_UNIX, FX_DIR "/ok.sock", 0), 0,
		  "unix stream connect (allowed)");
	CHECK_ERR(w_keep(&w, 1, SOCK_DGRAM, 0, AF_UNIX, FX_DIR "/ok.dgram", 0), 0,
		  "unix datagram connect (allowed)");
	CHECK_ERR(w_keep(&w, 2, SOCK_STREAM, 0, AF_UNIX, FX_CONTROL_SOCK, 0), 0,
		  "the control socket");
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++)
		CHECK_ERR(w_kept_send(&w, 0, ways[i]), 0, "unix stream send while allowed");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), 0, "unix datagram send while allowed");

	CHECK(GRANT(by_rules_less, 60000, NULL) == 0, "replace the grant: %s", lg_errmsg());
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++)
		CHECK_ERR(w_kept_send(&w, 0, ways[i]), EACCES,
			  "unix stream send after the grant was replaced");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, "unix:" FX_DIR "/ok.sock"),
	      "the event names the path the socket connected to");
	CHECK(event_says(w.pid, LG_HOOK_SOCK_WRITE, LG_REASON_NOT_ALLOWED,
			 "unix:" FX_DIR "/ok.sock"),
	      "so does the sock_write event (write, sendfile, splice)");
	CHECK_ERR(w_kept_send(&w, 2, W_SEND_SENDFILE), 0,
		  "sendfile to the control socket connection without the rule");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), EACCES,
		  "unix datagram send after the grant was replaced");
	CHECK_ERR(w_kept_send(&w, 2, W_SEND_SEND), 0,
		  "the control socket connection keeps working without the rule");
	CHECK(lg_grant_remove(fx, fx_a1) == 0, "remove the grant");
	CHECK_ERR(w_kept_send(&w, 2, W_SEND_WRITE), 0, "and without any grant");
	CHECK_ERR(w_kept_send(&w, 1, W_SEND_SEND), EACCES, "the datagram socket without a grant");
	CHECK(GRANT(by_rules, 60000, NULL) == 0, "grant again: %s", lg_errmsg());
	CHECK_ERR(w_kept_send(&w, 0, W_SEND_SEND), 0, "unix stream send with the grant back");
	worker_stop(&w);
}

KTEST(net_io_uring_connect)
{
	struct worker w;

	REQUIRE(GRANT(by_rules, 60000, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-uring") == 0, "start worker");
	CHECK_ERR(w_inet(&w, W_URING_CONNECT, AF_INET, BY_ADDR, FX_PORT_NO), EACCES,
		  "IORING_OP_CONNECT outside the grant (inline)");
	CHECK(event_says(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, BY_ADDR ":9090"),
	      "connect event from the io_uring submitter");
	{
		struct worker_req r = { .op = W_URING_CONNECT, .family = AF_INET, .mode = 1 };

		snprintf(r.addr, sizeof(r.addr), "%s", "127.0.0.1");
		r.port = FX_PORT_NO;
		CHECK_ERR(worker_do(&w, &r), EACCES,
			  "IORING_OP_CONNECT outside the grant (io-wq worker, IOSQE_ASYNC)");
		CHECK(event_says(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, "127.0.0.1:9090"),
		      "the io-wq worker is in the submitter's agent cgroup");
		r.mode = 2;
		snprintf(r.addr, sizeof(r.addr), "%s", "127.0.0.2");
		r.port = FX_PORT_RANGE_OUT;
		CHECK_ERR(worker_do(&w, &r), EACCES,
			  "IORING_OP_CONNECT outside the grant (SQPOLL submission thread)");
		CHECK(event_says(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, "127.0.0.2:8101"),
		      "the SQPOLL thread is in the submitter's agent cgroup");
	}
	worker_stop(&w);

	/* Allowed inside the grant: a listener of this test. */
	{
		int lfd = bind_inet(SOCK_STREAM, BY_TCP);
		struct worker_req r = { .op = W_URING_CONNECT, .family = AF_INET, .mode = 1 };

		REQUIRE(lfd >= 0, "listener");
		REQUIRE(worker_start(&w, FX_A1, "lg-uring-ok") == 0, "start worker");
		CHECK_ERR(w_inet(&w, W_URING_CONNECT, AF_INET, BY_ADDR, BY_TCP), 0,
			  "IORING_OP_CONNECT inside the grant (inline)");
		snprintf(r.addr, sizeof(r.addr), "%s", BY_ADDR);
		r.port = BY_TCP;
		CHECK_ERR(worker_do(&w, &r), 0, "IORING_OP_CONNECT inside the grant (io-wq)");
		r.mode = 2;
		CHECK_ERR(worker_do(&w, &r), 0, "IORING_OP_CONNECT inside the grant (SQPOLL)");
		worker_stop(&w);
		close(lfd);
	}
}

KTEST(net_icmp_echo)
{
	struct worker w, other;
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);

	REQUIRE(fd >= 0 && write(fd, "0 2147483647", 12) == 12, "open ping sockets to root");
	close(fd);
	REQUIRE(GRANT(by_rules, 60000, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-ping") == 0, "start worker");
	CHECK_ERR(w_ping(&w, "127.0.0.4", 0, 0), 0, "echo to 127.0.0.4 (in the grant), a reply");
	CHECK_ERR(w_ping(&w, "127.0.0.4", 0, 1), 0, "connected echo to 127.0.0.4, a reply");
	CHECK_ERR(w_ping(&w, "127.0.0.5", 0, 0), EACCES, "echo to 127.0.0.5 (outside)");
	CHECK_ERR(w_ping(&w, "127.0.0.5", 0, 1), EACCES, "connected echo to 127.0.0.5");
	CHECK(event_says(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, "127.0.0.5:0"),
	      "sendmsg event for the echo");
	CHECK(event_says(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, "127.0.0.5:0"),
	      "connect event for the echo");
	worker_stop(&w);

	REQUIRE(worker_start(&other, FX_OTHER, "lg-other-ping") == 0, "start non-agent");
	CHECK_ERR(w_ping(&other, "127.0.0.5", 0, 0), 0, "non-agent echo to 127.0.0.5");
	worker_stop(&other);
}

/* Put the real control socket back, whatever the test left at its path. */
static void control_restore(void)
{
	unlink(FX_CONTROL_SOCK);
	rename(FX_DIR "/control.aside", FX_CONTROL_SOCK);
}

KTEST(net_control_socket_identity)
{
	const struct lg_event *ev;
	struct worker a1, a2, other;
	int err;

	REQUIRE(worker_start(&a1, FX_A1, "lg-impostor") == 0, "start agent 1");
	REQUIRE(worker_start(&a2, FX_A2, "lg-victim") == 0, "start agent 2");
	REQUIRE(worker_start(&other, FX_OTHER, "lg-other-ctl") == 0, "start non-agent");
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0, "the real control socket");

	/* The real socket renamed aside, and the agent listening at its path. */
	REQUIRE(rename(FX_CONTROL_SOCK, FX_DIR "/control.aside") == 0, "rename aside");
	err = w_unix_listen(&a1, 0, FX_CONTROL_SOCK);
	if (err) {
		/* File mediation may refuse the bind itself: make the impostor here. */
		struct worker_req r = { .op = W_UNIX_LISTEN };

		CHECK(err == EACCES, "an agent's bind at the control path: %d", err);
		snprintf(r.path, sizeof(r.path), "%s", FX_CONTROL_SOCK);
		CHECK_ERR(worker_do(&other, &r), 0, "impostor listener (made by a non-agent)");
	}
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_CONTROL_SOCK), EACCES,
		  "another agent does not reach a listener at the control path");
	ev = fx_wait_event(a2.pid, LG_HOOK_UNIX_CONNECT, LG_REASON_NOT_CONTROL_SOCKET, 2000);
	if (CHECK(ev != NULL, "not_control_socket event")) {
		char t[256];

		CHECK(!strcmp(lg_event_target(ev, t, sizeof(t)), "unix:" FX_CONTROL_SOCK),
		      "event names the peer's bound path: %s", t);
	}
	CHECK_ERR(w_unix(&a1, W_UNIX_CONNECT, FX_CONTROL_SOCK), EACCES,
		  "nor does the agent itself");
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_DIR "/control.aside"), EACCES,
		  "the renamed real socket is not the control path");
	CHECK_ERR(w_unix(&other, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0,
		  "a non-agent reaches whatever listens there");

	/* Audit mode reports and lets it through. */
	CHECK(lg_set_default_mode(fx, LG_MODE_AUDIT) == 0, "audit mode");
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0, "audit mode: allowed");
	ev = fx_wait_event_if(a2.pid, LG_HOOK_UNIX_CONNECT, LG_REASON_NOT_CONTROL_SOCKET, audited,
			      NULL, 2000);
	CHECK(ev != NULL, "audited event");
	CHECK(lg_set_default_mode(fx, LG_MODE_ENFORCE) == 0, "enforce mode");
	w_kept_close(&a1, 0);
	w_kept_close(&other, 0);

	/* A hard link to another socket, named like the control socket. */
	unlink(FX_CONTROL_SOCK);
	CHECK(link(FX_DIR "/no.sock", FX_CONTROL_SOCK) == 0, "hard link at the control path");
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_CONTROL_SOCK), EACCES,
		  "a hard link to another socket at the control path");
	CHECK(event_says(a2.pid, LG_HOOK_UNIX_CONNECT, LG_REASON_NOT_CONTROL_SOCKET,
			 "unix:" FX_DIR "/no.sock"),
	      "event names the socket really reached");
	CHECK_ERR(w_unix(&other, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0, "non-agent through the link");

	/* Back in place: the real socket is reached again, by identity. */
	control_restore();
	CHECK_ERR(w_unix(&a2, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0,
		  "the real control socket, back at its path");
	CHECK_ERR(w_unix(&a1, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0, "from agent 1 too");
	/* A datagram socket gets no exception: the control socket is a stream. */
	CHECK_ERR(w_unix(&a1, W_UNIX_SENDTO, FX_CONTROL_SOCK), EACCES,
		  "a datagram to the control path");
	worker_stop(&a1);
	worker_stop(&a2);
	worker_stop(&other);
}
