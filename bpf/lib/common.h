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
#define EACCES 13
#define ENAMETOOLONG 36

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
/* execve() opens with this in f_flags; some kernels also set FMODE_EXEC. */
#define __FMODE_EXEC 0x20
#define O_TRUNC 01000

#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

#endif /* LG_BPF_COMMON_H */
