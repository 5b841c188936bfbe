// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/unix_connect.bpf.c - a unix stream connect is judged by the socket it
 * reaches, not only by the path it names.
 *
 * A connect a rule allowed must also reach a socket whose own name the
 * grant allows (lib/unix_peer.h): a symlink, a hard link or a socket
 * rebound at the allowed path reaches nothing else.
 *
 * Every agent may connect to the control socket path, with or without a
 * grant (net.bpf.c). A path is only a name: an agent that renamed the real
 * socket aside and listened at the path, or put a hard link to some other
 * socket there, would otherwise be reached through the exception. So
 * socket_connect lets such a connect through only provisionally (it marks
 * the socket's lg_sk_peer record in lg_sk_control), and here, where the kernel has found the
 * listening socket, the connection is made only if that socket is
 * livegrantd's own: its cookie (unique for the boot, never reused) is the
 * one livegrantd published in lg_state.control_cookie.
 */
#include "lib/unix_peer.h"

/* The peer's bound path, for the event (an abstract name shows as '@'). */
static __always_inline void lg_peer_path(struct lg_event *ev, struct sock *other)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	int len = addr ? BPF_CORE_READ(addr, len) - LG_SUN_PATH_OFF : 0;

	ev->target_len = 0;
	if (len <= 0)
		return;
	if (len > LG_UNIX_PATH_MAX)
		len = LG_UNIX_PATH_MAX;
	if (bpf_probe_read_kernel(ev->target, LG_UNIX_PATH_MAX, addr->name[0].sun_path))
		return;
	if (ev->target[0] == 0)
		ev->target[0] = '@';
	ev->target_len = len;
}

static __always_inline int lg_not_control(const struct lg_subject *s, struct sock *other)
{
	struct lg_scratch *sc = lg_scratch_claim();
	int ret;

	if (!sc)
		return lg_decide(s, LG_HOOK_UNIX_CONNECT, LG_NET_CONNECT, LG_REASON_INTERNAL, NULL);
	lg_event_clear_target(&sc->ev, LG_TARGET_UNIX);
	sc->ev.family = AF_UNIX;
	lg_peer_path(&sc->ev, other);
	ret = lg_decide(s, LG_HOOK_UNIX_CONNECT, LG_NET_CONNECT, LG_REASON_NOT_CONTROL_SOCKET,
			&sc->ev);
	lg_scratch_release(sc);
	return ret;
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(lg_unix_connect, struct sock *sock, struct sock *other, struct sock *newsk, int ret)
{
	struct lg_subject s;
	struct lg_state *st;
	__u32 zero = 0;
	__u64 cookie;
	struct socket *sk_socket;
	struct lg_sk_peer *mark;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	sk_socket = sock->sk_socket;
	mark = sk_socket && sk_socket->file ?
		       bpf_inode_storage_get(&lg_sk_control, sk_socket->file->f_inode, NULL, 0) :
		       NULL;
	/* Allowed by a rule of the grant (or an audited denial): the peer too? */
	if (!mark || !mark->control)
		return lg_check_unix_peer(&s, LG_HOOK_UNIX_CONNECT, LG_NET_CONNECT, other, false);
	st = bpf_map_lookup_elem(&lg_state, &zero);
	cookie = BPF_CORE_READ(other, __sk_common.skc_cookie.counter);
	/* No cookie published, or another socket: not livegrantd. */
	if (!st || !cookie || cookie != READ_ONCE(st->control_cookie))
		return lg_not_control(&s, other);
	return lg_decide(&s, LG_HOOK_UNIX_CONNECT, LG_NET_CONNECT, LG_REASON_NONE, NULL);
}

char LICENSE[] SEC("license") = "GPL";
