// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/exec.bpf.c - the exec decision: may this agent run this program?
 *
 * bprm_check_security runs once per binary handler, so executing a script
 * checks the script and then its interpreter: both need an exec rule.
 * In an agent pod it is also where a task the container runtime brought in
 * becomes an agent (lg_subject_resolve(), LG_SUBJ_MARK).
 */
#include "lib/path_match.h"

SEC("lsm/bprm_check_security")
int BPF_PROG(lg_exec, struct linux_binprm *bprm, int ret)
{
	struct lg_subject s;
	int agent;

	/* An earlier BPF LSM program on this hook refused: keep its answer. */
	if (ret)
		return ret;
	/*
	 * In an agent pod, the container runtime's task becomes the agent
	 * here, at the exec of the container's program: that exec is the
	 * agent's first action, judged by its grant (bpf/lib/agent.h).
	 */
	agent = lg_subject_resolve(&s, LG_SUBJ_MARK);
	if (agent < 0)
		return agent;
	if (!agent)
		return 0;
	return lg_check_path(&s, LG_HOOK_EXEC, &bprm->file->f_path, LG_FILE_EXECUTE, false);
}

char LICENSE[] SEC("license") = "GPL";
