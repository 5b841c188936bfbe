// SPDX-License-Identifier: GPL-2.0
/*
 * tests/bpf/extra_hook.bpf.c - the hooks of the upgrade test's other build,
 * built only with `make LG_TEST_EXTRA_HOOK=1`, whose hook registry has their
 * rows (include/livegrant/hooks.h):
 * - lg_test_extra, the "next hook": it decides nothing, it counts the stat
 *   calls of agents, so that the test can see it run;
 * - lg_test_missing, on an LSM hook no kernel has: the feature probe must
 *   leave it out, and status and check-kernel must say it is not enforced.
 */
#include "lib/report.h"

SEC("lsm/inode_getattr")
int BPF_PROG(lg_test_extra, const struct path *path)
{
	struct lg_subject s;

	if (lg_subject_get(&s))
		lg_count(LG_HOOK_TEST_EXTRA, LG_CTR_ALLOWED);
	return 0;
}

SEC("lsm/livegrant_test_no_such_hook")
int BPF_PROG(lg_test_missing)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
