// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/net.bpf.c - the network decision: may this agent connect to, or send
 * a datagram to, this destination?
 *
 * connect() is checked by the address it names. A send with an explicit
 * address (sendto/sendmsg/sendmmsg, also TCP fast open) is checked too, so an
 * unconnected UDP socket cannot reach what connect() would have refused. A
 * send on a connected inet socket is checked against its peer, so a grant
 * that ended or changed stops it (write() and sendfile() to a socket:
 * sock_write.bpf.c). Control messages that reroute are refused on every
 * send. Which sockets an agent may create at all is decided in
 * socket.bpf.c; who a unix stream connect reaches, in unix_connect.bpf.c;
 * which unix socket a datagram reaches, and what may be bound and
 * listened on, in listen.bpf.c.
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
		return lg_check_dest(s, hook, access, LG_FAMILY_BAD, sa, salen, NULL);
	if (nl.nl_pid == 0 && nl.nl_groups == 0)
		return lg_decide(s, hook, access, LG_REASON_NONE, NULL);
	return lg_check_dest(s, hook, access, AF_NETLINK, sa, salen, NULL);
}

/*
 * Record on an agent's unix socket what its connect() named, and whether
 * only the control socket exception let it through, for lg_unix_connect()
 * and for the re-check of every later send. Returns the hook's return
 * value: @ret, or a denial when the record cannot be kept (the socket
 * would otherwise send unchecked, or reach whatever is bound at the
 * control path).
 */
static __always_inline int lg_unix_record(const struct lg_subject *s, struct socket *sock,
					  struct sockaddr *address, int addrlen, __u8 via_control,
					  int ret)
{
	struct lg_sk_peer *p = NULL;
	struct inode *inode;

	/* A refused connect changes no association: the old record stands. */
	if (ret)
		return ret;
	inode = lg_sock_inode(sock);
	for (int i = 0; inode && !p && i < LG_STORAGE_TRIES; i++)
		p = bpf_inode_storage_get(&lg_sk_control, inode, NULL,
					  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return lg_decide(s, LG_HOOK_CONNECT, LG_NET_CONNECT, LG_REASON_INTERNAL, NULL);
	/* The address is a kernel sockaddr_storage: all LG_SUN_SA_LEN bytes exist. */
	if (bpf_probe_read_kernel(p->sa, sizeof(p->sa), address))
		return lg_decide(s, LG_HOOK_CONNECT, LG_NET_CONNECT, LG_REASON_INTERNAL, NULL);
	p->control = via_control;
	p->salen = addrlen < 0 ? 0 : addrlen > LG_SUN_SA_LEN ? LG_SUN_SA_LEN : addrlen;
	return ret;
}

SEC("lsm/socket_connect")
int BPF_PROG(lg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct lg_subject s;
	__u16 family = 0, sfamily;
	__u8 via_control = 0;
	bool stream, unix;

	/* An earlier BPF LSM program on this hook refused: keep its answer. */
	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;

	sfamily = lg_sock_family(sock);
	if (sfamily == AF_NETLINK)
		return lg_check_netlink(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, address, addrlen);
	if (addrlen < (int)sizeof(family) ||
	    bpf_probe_read_kernel(&family, sizeof(family), &address->sa_family))
		family = LG_FAMILY_BAD;
	/* AF_UNSPEC dissolves an association; it reaches nobody. */
	if (family == AF_UNSPEC)
		return lg_decide(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, LG_REASON_NONE, NULL);
	unix = sfamily == AF_UNIX && family == AF_UNIX;
	/* Only a unix stream (or seqpacket) connect may use the exception. */
	stream = unix && (sock->type == SOCK_STREAM || sock->type == SOCK_SEQPACKET);
	ret = lg_check_dest(&s, LG_HOOK_CONNECT, LG_NET_CONNECT, family, address, addrlen,
			    stream ? &via_control : NULL);
	return unix ? lg_unix_record(&s, sock, address, addrlen, via_control, ret) : ret;
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

/*
 * Where a send with an address goes: 0 when nowhere checkable by name (the
 * socket's peer is used), else the family the address is read as.
 */
static __always_inline __u16 lg_send_name_family(struct socket *sock, void *name, int namelen)
{
	__u16 sa_family = 0;

	if (namelen < (int)sizeof(sa_family) ||
	    bpf_probe_read_kernel(&sa_family, sizeof(sa_family), name))
		return LG_FAMILY_BAD;
	return lg_send_family(lg_sock_family(sock), lg_sock_protocol(sock), sa_family);
}

/*
 * A unix send without an address goes to what the socket connect()ed to:
 * replay that connect's address (AF_UNIX), so the grant of this moment
 * decides. Returns 0 when there is nothing to check: a socket no agent
 * connected (socketpair, accepted, or connected before it was an agent's)
 * or one connected through the control socket exception, whose peer was
 * checked to be livegrantd itself.
 */
static __always_inline __u16 lg_unix_replay(struct socket *sock, void **name, int *namelen)
{
	struct inode *inode = lg_sock_inode(sock);
	struct lg_sk_peer *p = inode ? bpf_inode_storage_get(&lg_sk_control, inode, NULL, 0) : NULL;

	if (!p || p->control)
		return 0;
	*name = p->sa;
	*namelen = p->salen;
	return AF_UNIX;
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(lg_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct lg_subject s;
	__u16 family = 0, sfamily, level, type;
	struct sock *sk = sock->sk;
	__u64 controllen;
	void *name;
	int namelen;
	bool peer;

	if (ret)
		return ret;
	/*
	 * Every send is checked for an agent (a connected socket against its
	 * peer), so the non-agent path is the subject check alone.
	 */
	if (!lg_subject_get(&s))
		return 0;

	controllen = msg->msg_controllen;
	if (controllen && lg_cmsg_reason(msg, controllen, &level, &type) != LG_REASON_NONE)
		return lg_socket_decide(&s, LG_HOOK_SENDMSG, LG_NET_SEND, LG_REASON_SOCKOPT,
					LG_TARGET_SOCKOPT, lg_sock_family(sock), level, type);

	name = msg->msg_name;
	namelen = msg->msg_namelen;
	sfamily = lg_sock_family(sock);
	if (name && sfamily == AF_NETLINK)
		return lg_check_netlink(&s, LG_HOOK_SENDMSG, LG_NET_SEND, name, namelen);
	if (name)
		family = lg_send_name_family(sock, name, namelen);
	else if (sfamily == AF_UNIX)
		family = lg_unix_replay(sock, &name, &namelen);
	/*
	 * An inet socket's peer is where the send goes without an address
	 * (also UDPv6's AF_UNSPEC one), and where TCP sends whatever address
	 * is named (only a fast open connect uses it): checked as well.
	 */
	peer = (sfamily == AF_INET || sfamily == AF_INET6) &&
	       (!family || sock->type == SOCK_STREAM);
	if (peer && sk) {
		ret = lg_check_peer(&s, LG_HOOK_SENDMSG, sk);
		if (ret || !family)
			return ret;
	} else if (!family) {
		return lg_decide(&s, LG_HOOK_SENDMSG, LG_NET_SEND, LG_REASON_NONE, NULL);
	}
	return lg_check_dest(&s, LG_HOOK_SENDMSG, LG_NET_SEND, family, name, namelen, NULL);
}

char LICENSE[] SEC("license") = "GPL";
