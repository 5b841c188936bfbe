/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/common.h - what every livegrant BPF program includes.
 *
 * vmlinux.h comes from the repository (bpf/vmlinux/, see docs/architecture.md), not
 * from the build host's kernel; CO-RE relocates field accesses at load time.
 */
#ifndef LG_BPF_COMMON_H
#define LG_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include <livegrant/abi.h>
#include <livegrant/limits.h>

/* Constants that live in UAPI headers, which BPF code cannot include. */
#define ENOMEM 12
#define EACCES 13
#define ENAMETOOLONG 36

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_TYPE_MASK 0xf

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_ICMPV6 58
#define IPPROTO_UDPLITE 136
#define NETLINK_ROUTE 0

#define IP_OPTIONS 4
#define IP_RETOPTS 7
#define IPV6_2292HOPOPTS 3
#define IPV6_2292DSTOPTS 4
#define IPV6_2292RTHDR 5
#define IPV6_2292PKTOPTIONS 6
#define IPV6_NEXTHOP 9
#define IPV6_HOPOPTS 54
#define IPV6_RTHDRDSTOPTS 55
#define IPV6_RTHDR 57
#define IPV6_DSTOPTS 59

#define SOCK_SEQPACKET 5

/* Socket options of the listening side (x86 numbers, as vmlinux.h). */
#define SOL_SOCKET 1
#define SO_REUSEPORT 15
#define SO_ATTACH_REUSEPORT_CBPF 51
#define SO_ATTACH_REUSEPORT_EBPF 52
#define SO_DETACH_REUSEPORT_BPF 68
#define IP_ADD_MEMBERSHIP 35
#define IP_ADD_SOURCE_MEMBERSHIP 39
#define MCAST_JOIN_GROUP 42
#define MCAST_JOIN_SOURCE_GROUP 46
#define IPV6_ADD_MEMBERSHIP 20 /* also IPV6_JOIN_GROUP */
#define IPV6_JOIN_ANYCAST 27
#define SOL_NETLINK 270
#define NETLINK_ADD_MEMBERSHIP 1
/* sizeof(struct sockaddr_un): sun_family and LG_UNIX_PATH_MAX path bytes. */
#define LG_SUN_SA_LEN (2 + LG_UNIX_PATH_MAX)
#define MAY_WRITE 0x2
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* Pseudo filesystems whose files have no path (include/uapi/linux/magic.h). */
#define ANON_INODE_FS_MAGIC 0x09041934
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define PIDFS_MAGIC 0x50494446

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
/* execve() opens with this in f_flags; some kernels also set FMODE_EXEC. */
#define __FMODE_EXEC 0x20
#define O_TRUNC 01000

/* vfsmount.mnt_flags of a kernel-internal mount (kern_mount()). */
#define MNT_INTERNAL 0x4000

#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

/*
 * Family and protocol of a socket. Newer verifiers (6.12) type sock->sk as
 * possibly NULL, so every walk checks; a socket without one reads as 0.
 */
static __always_inline __u16 lg_sock_family(const struct socket *sock)
{
	struct sock *sk = sock->sk;

	return sk ? sk->__sk_common.skc_family : 0;
}

/* The sockfs inode of a socket (NULL for the kernel's own, fileless sockets). */
static __always_inline struct inode *lg_sock_inode(const struct socket *sock)
{
	struct file *file = sock->file;

	return file ? file->f_inode : NULL;
}

static __always_inline __u16 lg_sock_protocol(const struct socket *sock)
{
	struct sock *sk = sock->sk;

	return sk ? sk->sk_protocol : 0;
}

#endif /* LG_BPF_COMMON_H */
