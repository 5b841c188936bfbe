// SPDX-License-Identifier: GPL-2.0
/* test_net.c - connect and datagram-send decisions, against real listeners. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

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

	s.connect = STRV(net_rules);
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
		CHECK(ev->access == LG_ACCESS_CONNECT, "access connect");
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
