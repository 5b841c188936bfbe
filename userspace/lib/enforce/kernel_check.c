// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_check.c - can this kernel run livegrant? Two steps, as systemd's
 * BPF support checks do: what the kernel says (securityfs, the active LSM
 * list, BTF, cgroup v2, bpffs), then what it does: a trial BPF LSM program
 * is loaded and attached, and must refuse an open. A kernel can list bpf
 * among its LSMs and still refuse every BPF LSM program (a lockdown, a
 * seccomp filter, a container without the capabilities): only the trial
 * tells. Each failure names what to change. `livegrant check-kernel`, the
 * DaemonSet's probes and livegrantd's start (loader.c) use these checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "livegrant.h"
#include "lsm_probe.skel.h"

#define SECURITYFS "/sys/kernel/security"
#define LSM_LIST SECURITYFS "/lsm"
#define LOCKDOWN SECURITYFS "/lockdown"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define CGROUP2_DIR "/sys/fs/cgroup"

static void say(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#define SEEN(c, ...) say((c)->detail, sizeof((c)->detail), __VA_ARGS__)
#define FIX(c, ...) say((c)->fix, sizeof((c)->fix), __VA_ARGS__)

/* What every check may read: the caller's flags and the bpffs to look at. */
struct kcheck_ctx {
	unsigned int flags;
	char bpffs[PATH_MAX]; /* the parent of the pin directory */
};

/* Fail @c with errno-like @err: what was seen is already in its detail. */
static int failed(struct lg_kcheck *c, int err)
{
	c->state = LG_KCHECK_FAIL;
	return err;
}

static int check_securityfs(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	struct statfs sfs;

	if (!statfs(SECURITYFS, &sfs) && sfs.f_type == SECURITYFS_MAGIC) {
		SEEN(c, "mounted at %s", SECURITYFS);
		return 0;
	}
	/* livegrantd mounts it; a check only looks. */
	if ((x->flags & LG_KCHECK_MOUNT) &&
	    !mount("securityfs", SECURITYFS, "securityfs", 0, NULL)) {
		SEEN(c, "mounted at %s (by livegrant, it was not)", SECURITYFS);
		return 0;
	}
	SEEN(c, "not mounted at %s", SECURITYFS);
	FIX(c, "mount it: mount -t securityfs securityfs %s", SECURITYFS);
	return failed(c, -EOPNOTSUPP);
}

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

static int check_lsm_list(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	char list[512] = "";
	FILE *f = fopen(LSM_LIST, "re");
	int active;

	(void)x;
	if (f) {
		size_t n = fread(list, 1, sizeof(list) - 1, f);

		list[n] = 0;
		list[strcspn(list, "\n")] = 0;
		fclose(f);
	}
	active = lg_bpf_lsm_active();
	if (active < 0) {
		SEEN(c, "%s cannot be read", LSM_LIST);
		FIX(c, "mount securityfs: mount -t securityfs securityfs %s", SECURITYFS);
		return failed(c, active);
	}
	if (!active) {
		SEEN(c, "bpf is not among the active LSMs (%s)", list);
		/* Wording the no-bpf-lsm suite looks for. */
		FIX(c,
		    "BPF LSM is not active: add `bpf` to the kernel's lsm= boot parameter, e.g. lsm=%s%sbpf",
		    list, list[0] ? "," : "");
		return failed(c, -EOPNOTSUPP);
	}
	SEEN(c, "bpf is active (%s)", list);
	return 0;
}

static int check_btf(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	(void)x;
	if (access(BTF_VMLINUX, R_OK)) {
		SEEN(c, "%s is missing", BTF_VMLINUX);
		FIX(c, "livegrant needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return failed(c, -EOPNOTSUPP);
	}
	SEEN(c, "%s", BTF_VMLINUX);
	return 0;
}

static int check_cgroup2(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	struct statfs sfs;

	(void)x;
	if (statfs(CGROUP2_DIR, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		SEEN(c, "%s is not cgroup v2", CGROUP2_DIR);
		FIX(c, "boot with systemd.unified_cgroup_hierarchy=1, or mount -t cgroup2 none %s",
		    CGROUP2_DIR);
		return failed(c, -EOPNOTSUPP);
	}
	SEEN(c, "cgroup v2 at %s", CGROUP2_DIR);
	return 0;
}

/* Where the pins go is a directory made on a bpffs: that bpffs is the one checked. */
static void set_bpffs(struct kcheck_ctx *x, const char *pin_dir)
{
	char *slash;

	snprintf(x->bpffs, sizeof(x->bpffs), "%s", pin_dir ? pin_dir : "/sys/fs/bpf/livegrant");
	slash = strrchr(x->bpffs, '/');
	if (slash && slash != x->bpffs)
		*slash = 0;
}

static int check_bpffs(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	struct statfs sfs;

	if (statfs(x->bpffs, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		SEEN(c, "%s is not a bpffs mount", x->bpffs);
		FIX(c, "mount it: mount -t bpf bpf %s", x->bpffs);
		return failed(c, -EOPNOTSUPP);
	}
	SEEN(c, "bpffs at %s", x->bpffs);
	return 0;
}

/* Capabilities a BPF LSM load needs that this process lacks, comma-separated, into @buf. */
static void missing_caps(char *buf, size_t size)
{
	static const struct {
		cap_value_t cap;
		const char *name;
	} need[] = { { CAP_BPF, "CAP_BPF" },
		     { CAP_PERFMON, "CAP_PERFMON" },
		     { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
		     { CAP_MAC_ADMIN, "CAP_MAC_ADMIN" } };
	cap_t caps = cap_get_proc();
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; caps && i < sizeof(need) / sizeof(need[0]); i++) {
		cap_flag_value_t v = CAP_CLEAR;

		if (cap_get_flag(caps, need[i].cap, CAP_EFFECTIVE, &v) || v != CAP_SET)
			off += snprintf(buf + off, off < size ? size - off : 0, "%s%s",
					off ? ", " : "", need[i].name);
	}
	if (caps)
		cap_free(caps);
}

/* The lockdown mode in brackets in LOCKDOWN, or "" when there is none to read. */
static void lockdown_mode(char *buf, size_t size)
{
	char text[128] = "", *open, *close;
	FILE *f = fopen(LOCKDOWN, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(text, sizeof(text), f) && (open = strchr(text, '[')) &&
	    (close = strchr(open, ']'))) {
		*close = 0;
		snprintf(buf, size, "%s", open + 1);
	}
	fclose(f);
}

/* Why a load was refused with EPERM, as far as this process can tell, and the fix. */
static void explain_eperm(struct lg_kcheck *c)
{
	char caps[128], mode[32];

	missing_caps(caps, sizeof(caps));
	lockdown_mode(mode, sizeof(mode));
	if (caps[0]) {
		FIX(c,
		    "this process lacks %s: run livegrant as root with all capabilities (a container needs privileged: true)",
		    caps);
		return;
	}
	/* Confidentiality forbids reading kernel memory from BPF; integrity does not. */
	if (!strcmp(mode, "confidentiality")) {
		FIX(c,
		    "kernel lockdown is \"confidentiality\": BPF LSM programs need lockdown=none or integrity (boot parameter lockdown=, or the Secure Boot policy)");
		return;
	}
	FIX(c,
	    "this process has the capabilities and lockdown (%s) allows BPF, so something else forbids loading BPF LSM programs: a seccomp filter or container runtime (run privileged, seccomp unconfined), another LSM's policy on bpf (SELinux, AppArmor), or a kernel or hypervisor that refuses them; livegrant cannot enforce here",
	    mode[0] ? mode : "unknown");
}

/* libbpf's own messages would only repeat, less clearly, what the check reports. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/*
 * Load the trial program with its target set to @mfd's inode, attach it,
 * and open @mfd again through /proc: the open must come back EPERM, from
 * the program. The program is destroyed (detached) before returning.
 */
static int trial(struct lg_kcheck *c, int mfd)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct lg_probe_bpf *skel = lg_probe_bpf__open();
	char path[64];
	struct stat st;
	int err = 0, fd;

	if (fstat(mfd, &st)) {
		err = -errno;
		SEEN(c, "the trial's memfd could not be examined: %s", strerror(-err));
		FIX(c, "fstat(2) on a memfd failed: a seccomp filter or a broken /proc?");
		goto out;
	}
	if (!skel) {
		err = -errno ? -errno : -ENOMEM;
		SEEN(c, "the trial program could not be opened: %s", strerror(-err));
		FIX(c, "out of memory, or a broken build of livegrant");
		goto out;
	}
	skel->rodata->target_ino = st.st_ino;
	/* The kernel's dev_t: 12 bits of major above 20 of minor. */
	skel->rodata->target_dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	err = lg_probe_bpf__load(skel);
	if (err) {
		SEEN(c, "the kernel refused to load a BPF LSM program: %s", strerror(-err));
		if (err == -EPERM)
			explain_eperm(c);
		else
			FIX(c,
			    "this kernel cannot verify a minimal BPF LSM program; livegrant needs Linux 6.1 or later with CONFIG_BPF_LSM=y");
		goto out;
	}
	err = lg_probe_bpf__attach(skel);
	if (err) {
		SEEN(c, "a BPF LSM program loaded but could not be attached to lsm/file_open: %s",
		     strerror(-err));
		FIX(c,
		    "livegrant needs BPF trampolines (CONFIG_BPF_JIT=y, an x86-64 or arm64 kernel)");
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		SEEN(c,
		     "a BPF LSM program was attached but did not decide: the open it refuses succeeded");
		FIX(c,
		    "BPF LSM programs do not run on this kernel: make sure `bpf` is in the lsm= boot parameter and no other module overrides its verdicts");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (!skel->bss->refused || errno != EPERM) {
		err = -errno;
		SEEN(c, "the trial's open failed (%s) before the trial program decided it",
		     strerror(-err));
		FIX(c,
		    "something refused the open first: another LSM's policy, a seccomp filter, or %s missing; the trial cannot tell whether BPF LSM programs decide",
		    path);
		goto out;
	}
	SEEN(c, "a trial program loaded, attached to lsm/file_open and refused an open");
out:
	lg_probe_bpf__destroy(skel);
	libbpf_set_print(old);
	return err ? failed(c, err) : 0;
}

static int check_trial(struct lg_kcheck *c, const struct kcheck_ctx *x)
{
	int mfd, err;

	(void)x;
	/* The trial's target: an inode no other process can reach, so it refuses nobody else. */
	mfd = memfd_create("livegrant-check", MFD_CLOEXEC);
	if (mfd < 0) {
		SEEN(c, "memfd_create failed: %s", strerror(errno));
		FIX(c,
		    "livegrant needs memfd_create(2) (Linux 3.17 or later, not blocked by seccomp)");
		return failed(c, -errno);
	}
	err = trial(c, mfd);
	close(mfd);
	return err;
}

/*
 * The checks in order, each telling what it saw; names are the ones
 * check-kernel prints and its --json keys. @needs_all: run only if every
 * earlier check passed (a trial means nothing where bpf is not active).
 */
static const struct {
	const char *name;
	int (*run)(struct lg_kcheck *c, const struct kcheck_ctx *x);
	bool needs_all;
} checks[LG_KCHECK_MAX] = {
	{ "securityfs", check_securityfs },
	{ "lsm_list", check_lsm_list },
	{ "btf", check_btf },
	{ "cgroup2", check_cgroup2 },
	{ "bpffs", check_bpffs },
	{ "lsm_trial", check_trial, true },
};

int lg_kernel_probe(const char *pin_dir, unsigned int flags, struct lg_kernel_report *r)
{
	struct kcheck_ctx x = { .flags = flags };
	const struct lg_kcheck *failure = NULL;
	int first = 0;

	set_bpffs(&x, pin_dir);
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < LG_KCHECK_MAX; i++) {
		struct lg_kcheck *c = &r->checks[r->n++];
		int err;

		c->name = checks[i].name;
		if (first && checks[i].needs_all) {
			c->state = LG_KCHECK_SKIPPED;
			SEEN(c, "not run: an earlier check failed");
			continue;
		}
		err = checks[i].run(c, &x);
		if (err && !first) {
			first = err;
			failure = c;
		}
	}
	/* The first failure is the error callers report (checks may set lg_err() on their way). */
	if (failure)
		lg_err(first, "%s: %s: %s", failure->name, failure->detail, failure->fix);
	return first;
}

int lg_kernel_check(const char *pin_dir)
{
	struct lg_kernel_report r;

	return lg_kernel_probe(pin_dir, 0, &r);
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
