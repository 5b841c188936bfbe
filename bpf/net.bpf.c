// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/net.bpf.c - the network decision: may this agent connect to, or send
 * a datagram to, this destination?
 *
 * connect() is checked by the address it names. A send with an explicit
 * address (sendto/sendmsg/sendmmsg, also TCP fast open) is checked too, so an
 * unconnected UDP socket cannot reach what connect() would have refused.
 */
#include "lib/net_match.h"

SEC("lsm/socket_connect")
int BPF_PROG(lg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct lg_subject s;
	__u16 family = 0;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;

	if (BPF_CORE_READ(sock, sk, __sk_common.skc_family) == AF_NETLINK)
		return lg_decide(&s, LG_HOOK_CONNECT, LG_ACCESS_CONNECT, LG_REASON_NONE, NULL);
	if (addrlen < (int)sizeof(family) ||
	    bpf_probe_read_kernel(&family, sizeof(family), &address->sa_family))
		return lg_check_dest(&s, LG_HOOK_CONNECT, LG_ACCESS_CONNECT, LG_FAMILY_BAD, address,
				     addrlen);
	/* AF_UNSPEC dissolves an association; it reaches nobody. */
	if (family == AF_UNSPEC)
		return lg_decide(&s, LG_HOOK_CONNECT, LG_ACCESS_CONNECT, LG_REASON_NONE, NULL);
	return lg_check_dest(&s, LG_HOOK_CONNECT, LG_ACCESS_CONNECT, family, address, addrlen);
}

/*
 * The family a send's address is read as, the way the protocols read it:
 * an AF_INET socket reads a sockaddr_in whatever sa_family says (UDP even
 * sends to an AF_UNSPEC address), an AF_INET6 socket takes AF_INET6 and
 * AF_INET and treats AF_UNSPEC as "no address". Returns 0 when nothing is
 * to be checked.
 */
static __always_inline __u16 lg_send_family(__u16 sock_family, __u16 sa_family)
{
	switch (sock_family) {
	case AF_INET:
		return AF_INET;
	case AF_INET6:
		if (sa_family == AF_UNSPEC)
			return 0;
		return sa_family;
	case AF_UNIX:
		return AF_UNIX;
	case AF_NETLINK:
		return 0;
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
	if (namelen < (int)sizeof(sa_family) ||
	    bpf_probe_read_kernel(&sa_family, sizeof(sa_family), name))
		return lg_check_dest(&s, LG_HOOK_SENDMSG, LG_ACCESS_SEND, LG_FAMILY_BAD, name,
				     namelen);
	family = lg_send_family(BPF_CORE_READ(sock, sk, __sk_common.skc_family), sa_family);
	if (!family)
		return lg_decide(&s, LG_HOOK_SENDMSG, LG_ACCESS_SEND, LG_REASON_NONE, NULL);
	return lg_check_dest(&s, LG_HOOK_SENDMSG, LG_ACCESS_SEND, family, name, namelen);
}

char LICENSE[] SEC("license") = "GPL";
