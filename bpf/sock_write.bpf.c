// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/sock_write.bpf.c - writes to a socket file that never pass
 * socket_sendmsg.
 *
 * write(), writev() and io_uring writes reach sock_sendmsg and so the send
 * check (net.bpf.c). sendfile() and splice() to a socket do not on every
 * kernel: before 6.5 they hand pages to the protocol's sendpage, which has
 * no LSM hook. All of them first pass rw_verify_area(), that is
 * security_file_permission() with MAY_WRITE on the socket's file, so a
 * connected socket's peer (for a unix socket: the address its connect
 * named) is checked here, exactly like a send.
 *
 * file_permission runs for every read and write on the host: a non-agent
 * pays two direct loads (the mask and the inode's mode) and, for socket
 * writes only, the subject check.
 */
#include "lib/net_match.h"

/*
 * A unix socket an agent connected: checked as a connect to the address
 * that connect named (the record net.bpf.c keeps with the socket's inode).
 */
static __always_inline int lg_unix_write(const struct lg_subject *s, struct inode *inode)
{
	struct lg_sk_peer *p = bpf_inode_storage_get(&lg_sk_control, inode, NULL, 0);

	if (!p || p->control)
		return lg_decide(s, LG_HOOK_SOCK_WRITE, LG_NET_SEND, LG_REASON_NONE, NULL);
	return lg_check_dest(s, LG_HOOK_SOCK_WRITE, LG_NET_SEND, AF_UNIX, p->sa, p->salen, NULL);
}

SEC("lsm/file_permission")
int BPF_PROG(lg_sock_write, struct file *file, int mask, int ret)
{
	struct lg_subject s;
	struct inode *inode;
	struct socket *sock;
	struct sock *sk;

	if (ret)
		return ret;
	if (!(mask & MAY_WRITE))
		return 0;
	inode = file->f_inode;
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	/* A socket inode outside sockfs (a bound path) cannot be written. */
	if (BPF_CORE_READ(inode, i_sb, s_magic) != SOCKFS_MAGIC)
		return lg_decide(&s, LG_HOOK_SOCK_WRITE, LG_NET_SEND, LG_REASON_NONE, NULL);
	sock = BPF_CORE_READ(file, private_data);
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk)
		return lg_decide(&s, LG_HOOK_SOCK_WRITE, LG_NET_SEND, LG_REASON_NONE, NULL);
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_UNIX)
		return lg_unix_write(&s, inode);
	return lg_check_peer(&s, LG_HOOK_SOCK_WRITE, sk);
}

char LICENSE[] SEC("license") = "GPL";
