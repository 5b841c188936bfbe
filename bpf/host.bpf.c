// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/host.bpf.c - an agent may not change the host or the clock tokens
 * are judged by, nor observe the kernel.
 *
 * perf events (kprobes and tracepoints as much as counters of other
 * processes), module loading and kexec (kernel_read_file for the
 * descriptor forms, kernel_load_data for images in memory,
 * kernel_module_request for the modules the kernel would load on its
 * behalf), the clock, keyrings (root's user keyring is the one livegrantd
 * shares), the kernel log and disk quotas. Most need a capability the
 * capable hook denies; these hooks refuse them even where none is asked
 * (keyrings, module autoloading, perf events under a lax
 * perf_event_paranoid).
 */
#include "lib/confine.h"

/* Arguments differ between kernels (the attr went in 6.x): none named. */
SEC("lsm/perf_event_open")
int BPF_PROG(lg_perf_event_open)
{
	return lg_confine(LG_HOOK_PERF, LG_SYS_PERF, 0);
}

SEC("lsm/kernel_module_request")
int BPF_PROG(lg_module_request, char *kmod_name, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_MODULE_REQUEST, LG_SYS_KERNEL_LOAD, 0);
}

SEC("lsm/kernel_read_file")
int BPF_PROG(lg_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents,
	     int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_READ_FILE, LG_SYS_KERNEL_LOAD, id);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(lg_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_LOAD_DATA, LG_SYS_KERNEL_LOAD, id);
}

SEC("lsm/settime")
int BPF_PROG(lg_settime, const struct timespec64 *ts, const struct timezone *tz, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SETTIME, LG_SYS_CLOCK, 0);
}

SEC("lsm/key_alloc")
int BPF_PROG(lg_key_alloc, struct key *key, const struct cred *cred, unsigned long flags, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_KEY_ALLOC, LG_SYS_KEYRING, 0);
}

SEC("lsm/key_permission")
int BPF_PROG(lg_key_permission, key_ref_t key_ref, const struct cred *cred,
	     enum key_need_perm need_perm, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_KEY_PERMISSION, LG_SYS_KEYRING, need_perm);
}

SEC("lsm/syslog")
int BPF_PROG(lg_syslog, int type, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SYSLOG, LG_SYS_SYSLOG, type);
}

SEC("lsm/quotactl")
int BPF_PROG(lg_quotactl, int cmds, int type, int id, const struct super_block *sb, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_QUOTACTL, LG_SYS_QUOTA, cmds);
}

char LICENSE[] SEC("license") = "GPL";
