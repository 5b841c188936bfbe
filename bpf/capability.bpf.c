// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/capability.bpf.c - which capabilities an agent keeps.
 *
 * include/livegrant/capabilities.h is the table: a capability is kept only
 * if its row says KEEP, every other one (an unknown number included) is
 * denied, in every user namespace: root inside a user namespace the agent
 * made is still the agent. Only audited checks are reported; a NOAUDIT
 * check is the kernel asking "may it?" in passing (ps, overcommit), which
 * is denied without an event.
 */
#include "lib/confine.h"
#include <livegrant/capabilities.h>

#define CAP_OPT_NOAUDIT (1u << 1)

_Static_assert(LG_CAP_MASK_BITS == 8 * sizeof(LG_CAP_KEEP_MASK),
	       "the keep mask has one bit per capability number it can hold");

static __always_inline bool lg_cap_kept(int cap)
{
	return cap >= 0 && cap < LG_CAP_MASK_BITS && ((LG_CAP_KEEP_MASK >> cap) & 1);
}

SEC("lsm/capable")
int BPF_PROG(lg_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	/* Kept capabilities cost a non-agent nothing more than this test. */
	if (lg_cap_kept(cap))
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (opts & CAP_OPT_NOAUDIT)
		return lg_decide_quiet(&s, LG_HOOK_CAPABLE, LG_REASON_CONFINED);
	return lg_confine_decide(&s, LG_HOOK_CAPABLE, LG_SYS_CAPABILITY, LG_REASON_CONFINED,
				 LG_TARGET_CAPABILITY, cap);
}

char LICENSE[] SEC("license") = "GPL";
