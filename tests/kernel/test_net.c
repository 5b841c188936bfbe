// SPDX-License-Identifier: GPL-2.0
/* test_net.c - connect and datagram-send decisions, against real listeners. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

static const char *net_rules[] = {
	"127.0.0.1:8080",	    "127.0.0.2/32:8000-8100", "[::1]:8080",
	"127.0.0.1:5353",	    "[::1/128]:5353",	      "unix:" FX_DIR "/ok.sock",
	"unix:" FX_DIR "/ok.dgram", "unix:@lgt-ok",
};

static int grant_net(void)
{
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_CONNECT] = STRV(net_rules);
	return lg_grant_install(fx, fx_a1, &s, NULL);
}

KTEST(net_tcp_ipv4_ipv6_and_port_range)
{
	const struct lg_event *ev;
	struct worker w;

	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-tcp") == 0, "start worker");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.1", FX_PORT_OK), 0,
		  "v4 allowed port");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.1", FX_PORT_NO), EACCES,
		  "v4 other port");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.2", FX_PORT_RANGE_IN), 0,
		  "v4 port inside range");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.2", FX_PORT_RANGE_OUT), EACCES,
		  "v4 port outside range");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET6, "::1", FX_PORT_OK), 0, "v6 allowed port");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET6, "::1", FX_PORT_NO), EACCES, "v6 other port");
	/* A v6 socket reaching a v4 address meets the v4 rules. */
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET6, "::ffff:127.0.0.1", FX_PORT_OK), 0,
		  "v4-mapped allowed");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET6, "::ffff:127.0.0.1", FX_PORT_NO), EACCES,
		  "v4-mapped denied");
	ev = fx_wait_event(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "connect event")) {
		char t[128];

		CHECK(!strcmp(lg_event_target(ev, t, sizeof(t)), "127.0.0.1:9090"), "target %s", t);
		CHECK(ev->access == LG_NET_CONNECT, "access connect");
	}
	worker_stop(&w);
}

KTEST(net_udp_connect_and_sendto)
{
	struct worker w;

	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-udp") == 0, "start worker");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET, "127.0.0.1", FX_UDP_OK), 0,
		  "v4 sendto allowed");
	CHECK(fx_udp_pending(AF_INET, FX_UDP_OK) > 0, "datagram arrived");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET, "127.0.0.1", FX_UDP_NO), EACCES,
		  "v4 sendto denied");
	CHECK(fx_udp_pending(AF_INET, FX_UDP_NO) == 0, "no datagram arrived");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET6, "::1", FX_UDP_OK), 0, "v6 sendto allowed");
	CHECK(fx_udp_pending(AF_INET6, FX_UDP_OK) > 0, "v6 datagram arrived");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET6, "::1", FX_UDP_NO), EACCES, "v6 sendto denied");
	CHECK(fx_udp_pending(AF_INET6, FX_UDP_NO) == 0, "no v6 datagram arrived");
	CHECK_ERR(w_inet(&w, W_UDP_CONNECT, AF_INET, "127.0.0.1", FX_UDP_NO), EACCES,
		  "UDP connect denied");
	CHECK(fx_wait_event(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, 2000) != NULL,
	      "sendmsg event");
	worker_stop(&w);
}

KTEST(net_unix_sockets)
{
	const struct lg_event *ev;
	struct worker w;

	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-unix") == 0, "start worker");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, FX_DIR "/ok.sock"), 0, "unix stream allowed");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, FX_DIR "/no.sock"), EACCES, "unix stream denied");
	CHECK_ERR(w_unix(&w, W_UNIX_SENDTO, FX_DIR "/ok.dgram"), 0, "unix dgram allowed");
	CHECK_ERR(w_unix(&w, W_UNIX_SENDTO, FX_DIR "/no.dgram"), EACCES, "unix dgram denied");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, "@lgt-ok"), 0, "abstract allowed");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, "@lgt-no"), EACCES, "abstract denied");
	ev = fx_wait_event(w.pid, LG_HOOK_CONNECT, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "unix event")) {
		char t[256];

		CHECK(!strcmp(lg_event_target(ev, t, sizeof(t)), "unix:" FX_DIR "/no.sock"),
		      "target %s", t);
	}
	CHECK_ERR(w_chdir(&w, FX_DIR), 0, "chdir");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, "ok.sock"), EACCES,
		  "relative socket path denied even when it names an allowed socket");
	worker_stop(&w);
}

KTEST(net_no_grant_only_control_socket)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_A1, "lg-ctl") == 0, "start worker");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, FX_CONTROL_SOCK), 0,
		  "control socket reachable without a grant");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, FX_DIR "/ok.sock"), EACCES, "other socket denied");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.1", FX_PORT_OK), EACCES,
		  "tcp denied");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET, "127.0.0.1", FX_UDP_OK), EACCES, "udp denied");
	CHECK(fx_wait_event(w.pid, LG_HOOK_CONNECT, LG_REASON_NO_GRANT, 2000) != NULL,
	      "no_grant connect event");
	worker_stop(&w);
}

KTEST(net_non_agent_untouched)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_OTHER, "lg-other-net") == 0, "start non-agent");
	CHECK_ERR(w_inet(&w, W_TCP_CONNECT, AF_INET, "127.0.0.1", FX_PORT_NO), 0, "tcp");
	CHECK_ERR(w_inet(&w, W_UDP_SENDTO, AF_INET6, "::1", FX_UDP_NO), 0, "udp v6");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, FX_DIR "/no.sock"), 0, "unix");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event");
	worker_stop(&w);
}

KTEST(net_abstract_name_is_not_a_pathname)
{
	struct worker w;

	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	unlink(FX_DIR "/ws/out/@lgt-ok");
	REQUIRE(symlink(FX_DIR "/no.sock", FX_DIR "/ws/out/@lgt-ok") == 0, "symlink");
	REQUIRE(worker_start(&w, FX_A1, "lg-abstract") == 0, "start worker");
	CHECK_ERR(w_unix(&w, W_UNIX_CONNECT, "@lgt-ok"), 0, "the abstract name is allowed");
	CHECK_ERR(w_chdir(&w, FX_DIR "/ws/out"), 0, "chdir");
	CHECK_ERR(
		w_unix(&w, W_UNIX_CONNECT_PATHNAME, "@lgt-ok"), EACCES,
		"a relative pathname \"@lgt-ok\" (a symlink to a denied socket) is not the abstract name");
	worker_stop(&w);
}

KTEST(net_netlink_only_to_the_kernel)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_A1, "lg-netlink") == 0, "start worker");
	CHECK_ERR(w_simple(&w, W_NETLINK_SENDTO, 0, 0, 0), 0,
		  "rtnetlink request to the kernel (nl_pid 0), even without a grant");
	CHECK_ERR(w_simple(&w, W_NETLINK_SENDTO, 4242, 0, 0), EACCES,
		  "netlink to another process (nl_pid 4242)");
	CHECK(fx_wait_event(w.pid, LG_HOOK_SENDMSG, LG_REASON_NO_GRANT, 2000) != NULL,
	      "event for the netlink send");
	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	CHECK_ERR(w_simple(&w, W_NETLINK_SENDTO, 4242, 0, 0), EACCES,
		  "netlink to another process with a grant: no rule can allow it");
	CHECK(fx_wait_event(w.pid, LG_HOOK_SENDMSG, LG_REASON_NOT_ALLOWED, 2000) != NULL,
	      "not_allowed event for the netlink send");
	worker_stop(&w);
}

KTEST(net_socket_families_and_protocols)
{
	const struct lg_event *ev;
	struct worker w, other;

	REQUIRE(grant_net() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-sockets") == 0, "start worker");
	CHECK_ERR(w_socket(&w, AF_INET, SOCK_STREAM, 0), 0, "TCP");
	CHECK_ERR(w_socket(&w, AF_INET6, SOCK_DGRAM, IPPROTO_UDP), 0, "UDP over IPv6");
	CHECK_ERR(w_socket(&w, AF_UNIX, SOCK_SEQPACKET, 0), 0, "unix seqpacket");
	CHECK_ERR(w_socket(&w, AF_NETLINK, SOCK_RAW, 0), 0, "rtnetlink");
	CHECK_ERR(w_socket(&w, AF_NETLINK, SOCK_RAW, 2), EACCES, "NETLINK_USERSOCK");
	CHECK_ERR(w_socket(&w, AF_PACKET, SOCK_RAW, 0), EACCES, "packet socket");
	ev = fx_wait_event(w.pid, LG_HOOK_SOCKET, LG_REASON_FAMILY, 2000);
	if (CHECK(ev != NULL, "family_not_allowed event"))
		CHECK(ev->family == AF_PACKET && ev->target_kind == LG_TARGET_SOCKET,
		      "event names the family (%u)", ev->family);
	CHECK_ERR(w_socket(&w, AF_INET, SOCK_RAW, IPPROTO_UDP), EACCES, "raw IPv4");
	CHECK_ERR(w_socket(&w, AF_INET6, SOCK_STREAM, 132), EACCES,
		  "SCTP (connectx bypasses connect)");
	CHECK_ERR(w_socket(&w, AF_INET, SOCK_STREAM, 262), EACCES, "MPTCP");
	CHECK(fx_wait_event(w.pid, LG_HOOK_SOCKET, LG_REASON_PROTOCOL, 2000) != NULL,
	      "protocol_not_allowed event");
	CHECK_ERR(w_simple(&w, W_SETSOCKOPT, 0, IPPROTO_IPV6, 57), EACCES,
		  "IPV6_RTHDR would route past the checked address");
	CHECK(fx_wait_event(w.pid, LG_HOOK_SETSOCKOPT, LG_REASON_SOCKOPT, 2000) != NULL,
	      "sockopt_not_allowed event");
	worker_stop(&w);

	REQUIRE(worker_start(&other, FX_OTHER, "lg-other-sock") == 0, "start non-agent");
	CHECK_ERR(w_socket(&other, AF_PACKET, SOCK_RAW, 0), 0, "non-agent packet socket");
	CHECK_ERR(w_socket(&other, AF_INET, SOCK_RAW, IPPROTO_UDP), 0, "non-agent raw socket");
	worker_stop(&other);
}
