// SPDX-License-Identifier: GPL-2.0
/*
 * tests/bpf/extra_hook.bpf.c - the "next hook" of the upgrade test: built
 * only with `make LG_TEST_EXTRA_HOOK=1`, whose hook registry has its row
 * (include/livegrant/hooks.h). It decides nothing: it counts the stat
 * calls of agents, so that the test can see it run.
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

char LICENSE[] SEC("license") = "GPL";
