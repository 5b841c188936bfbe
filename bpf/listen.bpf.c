// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/listen.bpf.c - the listening side of the network boundary: which
 * local addresses an agent may bind and listen on, and which unix sockets
 * its datagrams reach.
 *
 * Without these an agent could squat a port or an abstract name a service
 * of the host uses (and receive its clients' data), or accept connections
 * from any peer. bind() of a specific port or abstract name asks the bind
 * right of a listen rule; listen() asks the listen right for the address
 * the socket is bound to (an unbound socket autobinds inside listen(): it
 * asks for port 0). Joining multicast groups and sharing a port
 * (SO_REUSEPORT) are refused in socket.bpf.c.
 */
#include "lib/unix_peer.h"

/* The kernel's struct sockaddr_nl (UAPI linux/netlink.h). */
struct lg_sockaddr_nl {
	__u16 nl_family;
	__u16 nl_pad;
	__u32 nl_pid;
	__u32 nl_groups;
};

/*
 * Every bind and listen of an agent without a live grant (none, expired,
 * suspended) is denied with that reason, the ones no rule is asked for
 * too: such an agent may only reach the control socket, and that needs
 * neither.
 *
 * An inet bind. Port 0 asks the kernel for an ephemeral port: that squats
 * nothing a service could have chosen, and every client socket does it
 * (connect and sendto autobind the same way), so it is allowed; listening
 * on that port still asks the listen right (lg_socket_listen). A specific
 * port asks the bind right for (address, port), read the way the protocol
 * reads it: an AF_INET socket as a sockaddr_in whatever sa_family says.
 */
/*
 * A bind or listen no rule is asked for: allowed with a live grant, else
 * denied with the grant's state, the event naming the socket.
 */
static __always_inline int lg_socket_free(const struct lg_subject *s, enum lg_hook hook,
					  __u32 access, struct socket *sock, __u16 family)
{
	return lg_socket_decide(s, hook, access, s->reason, LG_TARGET_SOCKET, family, sock->type,
				lg_sock_protocol(sock));
}

static __always_inline int lg_bind_inet(const struct lg_subject *s, struct socket *sock,
					__u16 family, struct sockaddr *address, int addrlen)
{
	__be16 port = 0;

	/* sin_port and sin6_port are both at offset 2. */
	if (addrlen >= LG_SUN_PATH_OFF + (int)sizeof(port) &&
	    !bpf_probe_read_kernel(&port, sizeof(port), (char *)address + LG_SUN_PATH_OFF) &&
	    port == 0)
		return lg_socket_free(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, sock, family);
	return lg_check_dest(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, family, address, addrlen, NULL);
}

/*
 * A unix bind. An abstract name asks the bind right for "@name". A
 * pathname bind creates the socket file: path_mknod decides it by the file
 * rules (make_sock, which write rules grant) in file_tree.bpf.c, so it is
 * not asked again here. An address of sun_family alone autobinds to a
 * random abstract name the kernel picks, which squats nothing chosen.
 */
static __always_inline int lg_bind_unix(const struct lg_subject *s, struct socket *sock,
					struct sockaddr *address, int addrlen)
{
	char first = 0;

	if (addrlen == LG_SUN_PATH_OFF)
		return lg_socket_free(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, sock, AF_UNIX);
	if (addrlen > LG_SUN_PATH_OFF &&
	    !bpf_probe_read_kernel(&first, 1, (char *)address + LG_SUN_PATH_OFF) && first != 0)
		return lg_socket_free(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, sock, AF_UNIX);
	return lg_check_dest(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, AF_UNIX, address, addrlen, NULL);
}

/*
 * A netlink bind: a port id of its own is allowed (the socket's address,
 * like an unbound socket's autobind), multicast groups are not: an
 * rtnetlink group carries the host's address, route and link events, and
 * no rule grants one.
 */
static __always_inline int lg_bind_netlink(const struct lg_subject *s, struct socket *sock,
					   struct sockaddr *address, int addrlen)
{
	struct lg_sockaddr_nl nl = {};
	__u8 reason = s->reason;

	if (reason == LG_REASON_NONE &&
	    (addrlen < (int)sizeof(nl) || bpf_probe_read_kernel(&nl, sizeof(nl), address)))
		reason = LG_REASON_BAD_ADDRESS;
	else if (reason == LG_REASON_NONE && nl.nl_groups)
		reason = LG_REASON_MULTICAST;
	return lg_socket_decide(s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, reason, LG_TARGET_SOCKET,
				AF_NETLINK, sock->type, lg_sock_protocol(sock));
}

SEC("lsm/socket_bind")
int BPF_PROG(lg_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct lg_subject s;
	__u16 family;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	family = lg_sock_family(sock);
	switch (family) {
	case AF_INET:
	case AF_INET6:
		return lg_bind_inet(&s, sock, family, address, addrlen);
	case AF_UNIX:
		return lg_bind_unix(&s, sock, address, addrlen);
	case AF_NETLINK:
		return lg_bind_netlink(&s, sock, address, addrlen);
	}
	/* A family without rules (a socket made before its task was an agent's). */
	return lg_check_dest(&s, LG_HOOK_SOCKET_BIND, LG_NET_BIND, family, address, addrlen, NULL);
}

/*
 * listen() on an inet socket asks the listen right for its bound local
 * address and port (IPv4 as IPv4-mapped; an IPv6 wildcard is [::], which
 * on a dual-stack socket takes IPv4 connections too). An unbound socket
 * has port 0 here (the kernel autobinds it inside listen()): denied unless
 * a rule allows port 0. A unix socket was judged at bind (its name is all
 * it listens on); every other family has no listen().
 */
SEC("lsm/socket_listen")
int BPF_PROG(lg_socket_listen, struct socket *sock, int backlog, int ret)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct lg_subject s;
	struct sock *sk;
	__u16 family;
	__u64 w[2] = {};

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	sk = sock->sk;
	family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	if (family == AF_UNIX)
		return lg_socket_free(&s, LG_HOOK_SOCKET_LISTEN, LG_NET_LISTEN, sock, AF_UNIX);
	if (!sk || (family != AF_INET && family != AF_INET6))
		return lg_check_dest(&s, LG_HOOK_SOCKET_LISTEN, LG_NET_LISTEN, family, NULL, 0,
				     NULL);
	if (family == AF_INET6) {
		if (bpf_core_read(w, sizeof(w), &sk->__sk_common.skc_v6_rcv_saddr))
			return lg_decide(&s, LG_HOOK_SOCKET_LISTEN, LG_NET_LISTEN,
					 LG_REASON_INTERNAL, NULL);
	} else {
		/* ::ffff:a.b.c.d, in network byte order. */
		w[1] = ((__u64)BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr) << 32) |
		       bpf_htonl(0xffff);
	}
	__builtin_memcpy(&sin6.sin6_addr, w, sizeof(w));
	/* skc_num is the local port in host order. */
	sin6.sin6_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
	return lg_check_dest(&s, LG_HOOK_SOCKET_LISTEN, LG_NET_LISTEN, AF_INET6, &sin6,
			     sizeof(sin6), NULL);
}

/*
 * Every unix datagram (and the connect of a datagram socket) passes here
 * with the socket the kernel found: its
 * name must be one the grant gives send on, so a symlink or a socket
 * rebound at an allowed path reaches nothing else. Sends to the unnamed
 * end of a socketpair() stay allowed. Seqpacket sends never pass here (the
 * kernel asks only for other types): a seqpacket socket is judged at its
 * connect (unix_connect) and by the replay of its address on each send.
 */
SEC("lsm/unix_may_send")
int BPF_PROG(lg_unix_may_send, struct socket *sock, struct socket *other, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	return lg_check_unix_peer(&s, LG_HOOK_UNIX_MAY_SEND, LG_NET_SEND, other ? other->sk : NULL,
				  true);
}

char LICENSE[] SEC("license") = "GPL";
