// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/socket.bpf.c - which sockets an agent may create, and which socket
 * options it may set.
 *
 * connect() and sendmsg() see only the address a caller names. Protocols
 * that reach peers some other way are refused when the socket is created:
 * SCTP (connectx and extra peer addresses bypass socket_connect), MPTCP
 * (extra subflows), raw and packet sockets (they build their own headers),
 * and every family without rules. Options that make the kernel route a
 * packet somewhere other than the checked address (IPv6 routing and option
 * headers, IPv4 source routes: lg_reroute_opt()) are refused too; the same
 * ones passed as control messages of a send are refused in net.bpf.c.
 */
#include "lib/net_match.h"

/* Returns LG_REASON_NONE for sockets whose traffic the rules can govern. */
static __always_inline __u8 lg_socket_reason(int family, int type, int protocol)
{
	type &= SOCK_TYPE_MASK;
	switch (family) {
	case AF_UNIX:
		return LG_REASON_NONE;
	case AF_INET:
	case AF_INET6:
		if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
			return LG_REASON_NONE;
		/* UDP, UDP-Lite, and ICMP echo ("ping") sockets. */
		if (type == SOCK_DGRAM &&
		    (protocol == 0 || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
		     protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
			return LG_REASON_NONE;
		return LG_REASON_PROTOCOL;
	case AF_NETLINK:
		/* rtnetlink: what the C library needs (getaddrinfo, if_nameindex). */
		return protocol == NETLINK_ROUTE ? LG_REASON_NONE : LG_REASON_PROTOCOL;
	default:
		return LG_REASON_FAMILY;
	}
}

SEC("lsm/socket_create")
int BPF_PROG(lg_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct lg_subject s;
	__u8 reason;

	if (ret)
		return ret;
	/* Sockets the kernel creates for itself are not the agent's. */
	if (kern)
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	/*
	 * Which sockets exist is not a grant matter: even an agent without a
	 * grant needs a unix socket to reach the control socket. A socket
	 * that is allowed here still has each destination checked.
	 */
	reason = lg_socket_reason(family, type, protocol);
	return lg_socket_decide(&s, LG_HOOK_SOCKET, LG_NET_CREATE, reason, LG_TARGET_SOCKET, family,
				type & SOCK_TYPE_MASK, protocol);
}

/*
 * Options that receive what no rule named: joining a multicast (or IPv6
 * anycast) group brings the group's traffic, NETLINK_ADD_MEMBERSHIP an
 * rtnetlink group's events about the host's addresses, routes and links.
 */
static __always_inline bool lg_join_opt(int level, int name)
{
	switch (level) {
	case IPPROTO_IP:
		return name == IP_ADD_MEMBERSHIP || name == IP_ADD_SOURCE_MEMBERSHIP ||
		       name == MCAST_JOIN_GROUP || name == MCAST_JOIN_SOURCE_GROUP;
	case IPPROTO_IPV6:
		return name == IPV6_ADD_MEMBERSHIP || name == IPV6_JOIN_ANYCAST ||
		       name == MCAST_JOIN_GROUP || name == MCAST_JOIN_SOURCE_GROUP;
	case SOL_NETLINK:
		return name == NETLINK_ADD_MEMBERSHIP;
	}
	return false;
}

/*
 * Options that share a port with other sockets: SO_REUSEPORT joins the
 * port group of whoever bound the port first with it (a service of the
 * host, whose connections the kernel would then spread to the agent). The
 * reuseport BPF programs steer a group's connections; an agent's socket
 * can be in no group without SO_REUSEPORT, but one handed to it by a
 * service could, so attaching and detaching them is refused as well.
 */
static __always_inline bool lg_share_opt(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_REUSEPORT || name == SO_ATTACH_REUSEPORT_CBPF ||
		name == SO_ATTACH_REUSEPORT_EBPF || name == SO_DETACH_REUSEPORT_BPF);
}

/* Why an option is refused to agents; LG_REASON_NONE for most options. */
static __always_inline __u8 lg_sockopt_reason(int level, int name)
{
	if (lg_reroute_opt(level, name))
		return LG_REASON_SOCKOPT;
	if (lg_join_opt(level, name))
		return LG_REASON_MULTICAST;
	if (lg_share_opt(level, name))
		return LG_REASON_PORT_SHARING;
	return LG_REASON_NONE;
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(lg_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct lg_subject s;
	__u8 reason;

	if (ret)
		return ret;
	/* Most options are harmless: decide before looking at the task. */
	reason = lg_sockopt_reason(level, optname);
	if (reason == LG_REASON_NONE)
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	return lg_socket_decide(&s, LG_HOOK_SETSOCKOPT, LG_NET_SETSOCKOPT, reason,
				LG_TARGET_SOCKOPT, lg_sock_family(sock), level, optname);
}

char LICENSE[] SEC("license") = "GPL";
