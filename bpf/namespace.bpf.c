// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/namespace.bpf.c - an agent may not leave its cgroup or make new
 * namespaces.
 *
 * clone3(CLONE_INTO_CGROUP) takes a cgroup descriptor, which O_PATH opens
 * without file_open, and puts the child there: out of the agent cgroup in
 * one call. New namespaces change what paths, pids and addresses mean to
 * the hooks. Most of them need CAP_SYS_ADMIN, which the capable hook
 * denies; a user namespace needs none, and inside one the agent would be
 * root of its own namespace, so both are refused here explicitly.
 */
#include "lib/confine.h"

#define CLONE_NEWTIME 0x00000080ULL
#define CLONE_NEWNS 0x00020000ULL
#define CLONE_NEWCGROUP 0x02000000ULL
#define CLONE_NEWUTS 0x04000000ULL
#define CLONE_NEWIPC 0x08000000ULL
#define CLONE_NEWUSER 0x10000000ULL
#define CLONE_NEWPID 0x20000000ULL
#define CLONE_NEWNET 0x40000000ULL
#define CLONE_INTO_CGROUP 0x200000000ULL

#define LG_CLONE_NEW_NAMESPACES                                                        \
	(CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/*
 * clone_flags is unsigned long on some kernels, u64 on others: 64 bits on x86-64.
 * Every fork and thread of an agent pod's judged task makes a judged child
 * (bpf/lib/agent.h): the mark is made here, before the child runs. Without
 * memory for it the fork fails: an unmarked child would be exempt.
 */
SEC("lsm/task_alloc")
int BPF_PROG(lg_task_alloc, struct task_struct *task, __u64 clone_flags, int ret)
{
	__u64 bad = clone_flags & (LG_CLONE_NEW_NAMESPACES | CLONE_INTO_CGROUP);
	struct lg_subject s;
	__u32 access;

	if (ret)
		return ret;
	/* A plain fork or thread, and no agent pod to mark children in: no lookup. */
	if (!bad && !lg_pod_roots_exist())
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (s.from_exec && !lg_task_mark(task))
		return -ENOMEM;
	if (!bad)
		return 0;
	access = (bad & CLONE_INTO_CGROUP ? LG_SYS_CGROUP : 0) |
		 (bad & LG_CLONE_NEW_NAMESPACES ? LG_SYS_NAMESPACE : 0);
	/* The namespace flags all sit in the low 32 bits; the access says the rest. */
	return lg_confine_decide(&s, LG_HOOK_TASK_ALLOC, access, LG_REASON_CONFINED, LG_TARGET_OP,
				 (__u32)bad);
}

/* unshare(CLONE_NEWUSER) and clone of a user namespace (6.1 and later). */
SEC("lsm/userns_create")
int BPF_PROG(lg_userns_create, const struct cred *cred, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_USERNS_CREATE, LG_SYS_NAMESPACE, CLONE_NEWUSER);
}

char LICENSE[] SEC("license") = "GPL";
