// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/net.bpf.c - the network decision: may this agent connect to, or send
 * a datagram to, this destination?
 *
 * connect() is checked by the address it names. A send with an explicit
 * address (sendto/sendmsg/sendmmsg, also TCP fast open) is checked too, so an
 * unconnected UDP socket cannot reach what connect() would have refused.
 * Which sockets an agent may create at all is decided in socket.bpf.c.
 */
#include "lib/net_match.h"

/*
 * Netlink reaches the kernel (nl_pid 0) or other processes (any other
 * nl_pid, or multicast groups): only the kernel is allowed to agents.
 */
static __always_inline int lg_check_netlink(const struct lg_subject *s, enum lg_hook hook,
					    __u32 access, void *sa, int salen)
{
	struct sockaddr_nl nl = {};

	if (salen < (int)sizeof(nl) || bpf_probe_read_kernel(&nl, sizeof(nl), sa))
		return lg_check_dest(s, hook, access, LG_FAMILY_BAD, sa, salen);
	if (nl.nl_pid == 0 && nl.nl_groups == 0)
		return lg_decide(s, hook, access, LG_REASON_NONE, NULL);
	return lg_check_dest(s, hook, access, AF_NETLINK, sa, salen);
}

SEC("lsm/socket_connect")
int BPF_PROG(lg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct lg_subject s;
	__u16 family = 0;

	/* An earlier BPF LSM program on this hook refused: keep its answer. */
	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;

	if (lg_sock_family(sock) == AF_NETLINK)
		return lg_check_netlink(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, address, addrlen);
	if (addrlen < (int)sizeof(family) ||
	    bpf_probe_read_kernel(&family, sizeof(family), &address->sa_family))
		return lg_check_dest(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, LG_FAMILY_BAD, address,
				     addrlen);
	/* AF_UNSPEC dissolves an association; it reaches nobody. */
	if (family == AF_UNSPEC)
		return lg_decide(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, LG_REASON_NONE, NULL);
	return lg_check_dest(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, family, address, addrlen);
}

/*
 * The family a send's address is read as, the way the protocols read it:
 * an AF_INET socket reads a sockaddr_in whatever sa_family says (UDP even
 * sends to an AF_UNSPEC address). On an AF_INET6 socket only UDP treats
 * AF_UNSPEC as "no address" (udpv6_sendmsg); raw and L2TP read it as
 * AF_INET6 (rawv6_sendmsg, l2tp_ip6_sendmsg). Returns 0 when the send
 * names no destination.
 */
static __always_inline __u16 lg_send_family(__u16 sock_family, __u16 protocol, __u16 sa_family)
{
	switch (sock_family) {
	case AF_INET:
		return AF_INET;
	case AF_INET6:
		if (sa_family == AF_UNSPEC)
			return protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ? 0 :
											AF_INET6;
		return sa_family;
	default:
		return sock_family;
	}
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(lg_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct lg_subject s;
	void *name;
	int namelen;
	__u16 sa_family = 0, family;

	if (ret)
		return ret;
	/*
	 * Every send on the host passes here: a direct (BTF) load, not a
	 * probe-read helper call, before the early return.
	 */
	name = msg->msg_name;
	/* No address: the socket is connected and was checked at connect(). */
	if (!name)
		return 0;
	if (!lg_subject_get(&s))
		return 0;

	namelen = msg->msg_namelen;
	if (lg_sock_family(sock) == AF_NETLINK)
		return lg_check_netlink(&s, LG_HOOK_SENDMSG, LG_NET_SEND, name, namelen);
	if (namelen < (int)sizeof(sa_family) ||
	    bpf_probe_read_kernel(&sa_family, sizeof(sa_family), name))
		return lg_check_dest(&s, LG_HOOK_SENDMSG, LG_NET_SEND, LG_FAMILY_BAD, name,
				     namelen);
	family = lg_send_family(lg_sock_family(sock), lg_sock_protocol(sock), sa_family);
	if (!family)
		return lg_decide(&s, LG_HOOK_SENDMSG, LG_NET_SEND, LG_REASON_NONE, NULL);
	return lg_check_dest(&s, LG_HOOK_SENDMSG, LG_NET_SEND, family, name, namelen);
}

char LICENSE[] SEC("license") = "GPL";
