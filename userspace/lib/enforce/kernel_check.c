// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_check.c - can this kernel run livegrant? The first of two steps
 * (the second is loading and attaching for real, in loader.c): each failure
 * says what to change.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "livegrant.h"

#define LSM_LIST "/sys/kernel/security/lsm"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

int lg_bpf_lsm_active(void)
{
	char buf[512], *tok, *save = NULL;
	FILE *f = fopen(LSM_LIST, "re");
	size_t n;

	if (!f)
		return lg_err(
			-errno,
			"cannot read %s (%s): mount securityfs with `mount -t securityfs securityfs /sys/kernel/security`",
			LSM_LIST, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
		if (!strcmp(tok, "bpf"))
			return 1;
	return 0;
}

int lg_kernel_check(const char *bpffs)
{
	struct statfs sfs;
	int r = lg_bpf_lsm_active();

	if (r < 0)
		return r;
	if (r == 0)
		return lg_err(
			-EOPNOTSUPP,
			"BPF LSM is not active: add `bpf` to the kernel's lsm= boot parameter (current list in %s), e.g. lsm=lockdown,capability,landlock,bpf",
			LSM_LIST);
	if (access(BTF_VMLINUX, R_OK))
		return lg_err(
			-EOPNOTSUPP,
			"%s is missing: livegrant needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			BTF_VMLINUX);
	if (statfs("/sys/fs/cgroup", &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return lg_err(
			-EOPNOTSUPP,
			"/sys/fs/cgroup is not cgroup v2: boot with systemd.unified_cgroup_hierarchy=1 or mount -t cgroup2 none /sys/fs/cgroup");
	if (!bpffs)
		bpffs = "/sys/fs/bpf";
	if (statfs(bpffs, &sfs) || sfs.f_type != BPF_FS_MAGIC)
		return lg_err(-EOPNOTSUPP, "%s is not a bpffs mount: mount -t bpf bpf %s", bpffs,
			      bpffs);
	return 0;
}

/*
 * A hook exists for BPF LSM when the kernel's BTF has its bpf_lsm_<hook>
 * attach point. The BTF (megabytes) is parsed for one call and freed.
 */
int lg_hooks_supported(struct lg_hook_set *supported)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();

	if (!vmlinux)
		return lg_err(
			-errno ? -errno : -ENOENT,
			"cannot read the kernel's BTF (%s): livegrant needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			BTF_VMLINUX);
	*supported = (struct lg_hook_set){ 0 };
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		char fn[128];

		snprintf(fn, sizeof(fn), "bpf_lsm_%s", lg_hook_info(h)->lsm);
		if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) > 0)
			lg_hook_set_add(supported, h);
	}
	btf__free(vmlinux);
	return 0;
}
