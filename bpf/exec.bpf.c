// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/exec.bpf.c - the exec decision: may this agent run this program?
 *
 * bprm_check_security runs once per binary handler, so executing a script
 * checks the script and then its interpreter: both need an exec rule.
 */
#include "lib/path_match.h"

SEC("lsm/bprm_check_security")
int BPF_PROG(lg_exec, struct linux_binprm *bprm, int ret)
{
	struct lg_subject s;

	/* An earlier BPF LSM program on this hook refused: keep its answer. */
	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	return lg_check_path(&s, LG_HOOK_EXEC, &bprm->file->f_path, LG_FILE_EXECUTE, false);
}

char LICENSE[] SEC("license") = "GPL";
