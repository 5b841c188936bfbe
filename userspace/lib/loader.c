// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - open, configure, load, attach and pin the BPF programs, or adopt
 * what an earlier run pinned (libbpf-bootstrap order: open -> configure ->
 * load -> attach; one cleanup path).
 *
 * Pin layout under pin_dir:  maps/<map name>   links/<program name>
 * Maps are pinned before links, so complete link pins imply complete maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforcer.h"
#include "livegrant.skel.h"

static const char *const map_names[LG_MAP_MAX] = {
	[LG_MAP_STATE] = "lg_state",
	[LG_MAP_ROOTS] = "lg_roots",
	[LG_MAP_AGENTS] = "lg_agents",
	[LG_MAP_PATH_RULES] = "lg_path_rules",
	[LG_MAP_NET_RULES] = "lg_net_rules",
	[LG_MAP_UNIX_RULES] = "lg_unix_rules",
	[LG_MAP_EVENTS] = "lg_events",
	[LG_MAP_COUNTERS] = "lg_counters",
	[LG_MAP_DOMAIN_NETS] = "lg_domain_nets",
	[LG_MAP_SUSPENDED] = "lg_suspended",
};

static const char *const prog_names[] = {
	"lg_exec", "lg_file_open", "lg_connect", "lg_sendmsg", "lg_socket_create", "lg_setsockopt",
};
#define LG_PROGS (sizeof(prog_names) / sizeof(prog_names[0]))

static bool lg_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !lg_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * Updating a map-in-map from userspace ends in synchronize_rcu() in the
 * kernel (maybe_wait_bpf_programs(): "wait for any running BPF programs to
 * complete so that userspace, when we return to it, knows that all programs
 * that could be running use the new map value"). Non-sleepable BPF programs
 * run inside an RCU read-side section, so when the update returns every
 * program that started before it has finished. Unlike
 * membarrier(MEMBARRIER_CMD_GLOBAL) this also waits on a single online CPU
 * with a preemptible kernel, and works under nohz_full.
 */
static int sync_maps_create(struct lg_enforcer *e)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	e->sync_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lg_sync_inner", 4, 4, 1, NULL);
	if (e->sync_inner < 0)
		return lg_err(-errno, "creating the reader-sync map failed: %s", strerror(errno));
	opts.inner_map_fd = e->sync_inner;
	e->sync_outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "lg_sync", 4, 4, 1, &opts);
	if (e->sync_outer < 0)
		return lg_err(-errno, "creating the reader-sync map failed: %s", strerror(errno));
	return 0;
}

int lg_wait_for_readers(struct lg_enforcer *e)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(e->sync_outer, &zero, &e->sync_inner, BPF_ANY))
		return lg_err(-errno, "waiting for BPF readers failed: %s", strerror(errno));
	return 0;
}

static int pin_path(char *buf, size_t size, const char *dir, const char *kind, const char *name)
{
	int n = snprintf(buf, size, "%s/%s/%s", dir, kind, name);

	if (n < 0 || (size_t)n >= size)
		return lg_err(-ENAMETOOLONG, "pin directory %s is too long", dir);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(tmp))
		return lg_err(-ENAMETOOLONG, "directory %s is too long", dir);
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return lg_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return lg_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
	return 0;
}

static int map_state(struct lg_enforcer *e)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		       e->fds[LG_MAP_STATE], 0);

	if (p == MAP_FAILED)
		return lg_err(-errno, "mmap of the lg_state map failed: %s", strerror(errno));
	e->state = p;
	return 0;
}

/* True when every link pin exists: an earlier run left enforcement on. */
static bool pins_complete(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < LG_PROGS; i++) {
		if (pin_path(path, sizeof(path), dir, "links", prog_names[i]) || access(path, F_OK))
			return false;
	}
	return true;
}

static bool pins_any(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/maps", dir);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "%s/links", dir);
	return !access(path, F_OK);
}

static int adopt(struct lg_enforcer *e, const char *dir)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < LG_MAP_MAX; i++) {
		err = pin_path(path, sizeof(path), dir, "maps", map_names[i]);
		if (err)
			return err;
		e->fds[i] = bpf_obj_get(path);
		if (e->fds[i] < 0)
			return lg_err(-errno, "cannot open pinned map %s: %s", path,
				      strerror(errno));
	}
	err = map_state(e);
	if (err)
		return err;
	if (e->state->abi_version != LG_ABI_VERSION)
		return lg_err(
			-EPROTO,
			"pinned livegrant maps under %s use ABI version %u, this build uses %u",
			dir, e->state->abi_version, LG_ABI_VERSION);
	e->adopted = true;
	return 0;
}

static int load_error(int err)
{
	if (err == -EPERM)
		return lg_err(
			err,
			"the kernel refused to load livegrant's BPF programs (%s): run as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN), and check that kernel lockdown or a sysctl (kernel.unprivileged_bpf_disabled) does not forbid BPF",
			strerror(-err));
	return lg_err(
		err,
		"loading livegrant's BPF programs failed (%s): the verifier rejected them or this kernel lacks a feature; run with --verbose to see the verifier log",
		strerror(-err));
}

static int pin_all(struct lg_enforcer *e, const char *dir)
{
	struct bpf_link *links[LG_PROGS] = {
		e->skel->links.lg_exec,		 e->skel->links.lg_file_open,
		e->skel->links.lg_connect,	 e->skel->links.lg_sendmsg,
		e->skel->links.lg_socket_create, e->skel->links.lg_setsockopt,
	};
	char path[PATH_MAX];
	int err;

	for (const char *sub = "maps";; sub = "links") {
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
		err = mkdir_p(path);
		if (err)
			return err;
		if (!strcmp(sub, "links"))
			break;
	}
	for (int i = 0; i < LG_MAP_MAX; i++) {
		err = pin_path(path, sizeof(path), dir, "maps", map_names[i]);
		if (!err && bpf_obj_pin(e->fds[i], path))
			err = lg_err(-errno, "pinning map at %s failed: %s", path, strerror(errno));
		if (err)
			return err;
	}
	for (size_t i = 0; i < LG_PROGS; i++) {
		err = pin_path(path, sizeof(path), dir, "links", prog_names[i]);
		if (!err && bpf_link__pin(links[i], path))
			err = lg_err(-errno, "pinning link at %s failed: %s", path,
				     strerror(errno));
		if (err)
			return err;
	}
	return 0;
}

static int load_fresh(struct lg_enforcer *e, const struct lg_enforcer_opts *o)
{
	struct bpf_map *maps[LG_MAP_MAX];
	int err, active = lg_bpf_lsm_active();

	if (active < 0)
		return active;
	/*
	 * Without bpf in the active list, load and attach succeed but the
	 * programs never run: refuse rather than pretend to enforce.
	 */
	if (!active)
		return lg_err(
			-EOPNOTSUPP,
			"BPF LSM is not active: add `bpf` to the kernel's lsm= boot parameter (see /sys/kernel/security/lsm), e.g. lsm=lockdown,capability,landlock,bpf");

	e->skel = livegrant_bpf__open();
	if (!e->skel)
		return lg_err(-errno ? -errno : -EINVAL,
			      "opening the livegrant BPF object failed: %s", strerror(errno));
	if (o->ring_bytes) {
		err = bpf_map__set_max_entries(e->skel->maps.lg_events, o->ring_bytes);
		if (err)
			return lg_err(
				err,
				"event ring size %u rejected: use a power of two multiple of the page size",
				o->ring_bytes);
	}
	err = livegrant_bpf__load(e->skel);
	if (err)
		return load_error(err);

	maps[LG_MAP_STATE] = e->skel->maps.lg_state;
	maps[LG_MAP_ROOTS] = e->skel->maps.lg_roots;
	maps[LG_MAP_AGENTS] = e->skel->maps.lg_agents;
	maps[LG_MAP_PATH_RULES] = e->skel->maps.lg_path_rules;
	maps[LG_MAP_NET_RULES] = e->skel->maps.lg_net_rules;
	maps[LG_MAP_UNIX_RULES] = e->skel->maps.lg_unix_rules;
	maps[LG_MAP_EVENTS] = e->skel->maps.lg_events;
	maps[LG_MAP_COUNTERS] = e->skel->maps.lg_counters;
	maps[LG_MAP_DOMAIN_NETS] = e->skel->maps.lg_domain_nets;
	maps[LG_MAP_SUSPENDED] = e->skel->maps.lg_suspended;
	for (int i = 0; i < LG_MAP_MAX; i++) {
		e->fds[i] = dup(bpf_map__fd(maps[i]));
		if (e->fds[i] < 0)
			return lg_err(-errno, "dup of map fd: %s", strerror(errno));
	}

	err = map_state(e);
	if (err)
		return err;
	if (getrandom(&e->state->hash_seed, sizeof(e->state->hash_seed), 0) !=
	    sizeof(e->state->hash_seed))
		return lg_err(-EIO, "getrandom for the path hash seed failed");
	e->state->abi_version = LG_ABI_VERSION;
	e->state->default_mode = LG_MODE_ENFORCE;
	e->state->root_levels = 0;

	err = livegrant_bpf__attach(e->skel);
	if (err)
		return lg_err(
			err,
			"attaching livegrant's LSM programs failed (%s): the kernel needs CONFIG_BPF_LSM=y and bpf in lsm=",
			strerror(-err));
	if (o->pin_dir)
		return pin_all(e, o->pin_dir);
	return 0;
}

/* Forget a failed adoption: close what it opened. */
static void drop_adopted(struct lg_enforcer *e)
{
	if (e->state)
		munmap(e->state, sysconf(_SC_PAGESIZE));
	e->state = NULL;
	for (int i = 0; i < LG_MAP_MAX; i++) {
		if (e->fds[i] >= 0)
			close(e->fds[i]);
		e->fds[i] = -1;
	}
	e->adopted = false;
}

/*
 * Pins we cannot adopt (another ABI version, a map gone): load and attach
 * this version first, then remove the old pins and pin the new programs.
 * In between both versions enforce; the new one holds no grants yet, so
 * agents are denied until the caller reinstalls them (fail closed), and
 * there is no moment without enforcement.
 */
static int replace_pins(struct lg_enforcer *e, const struct lg_enforcer_opts *o)
{
	struct lg_enforcer_opts fresh = *o;
	int err;

	drop_adopted(e);
	fresh.pin_dir = NULL;
	err = load_fresh(e, &fresh);
	if (!err)
		err = lg_enforcer_unpin(o->pin_dir);
	if (!err)
		err = pin_all(e, o->pin_dir);
	if (!err)
		e->replaced = true;
	return err;
}

int lg_enforcer_links_pinned(const char *pin_dir, int *total)
{
	char path[PATH_MAX];
	int n = 0;

	for (size_t i = 0; i < LG_PROGS; i++)
		if (!pin_path(path, sizeof(path), pin_dir, "links", prog_names[i]) &&
		    !access(path, F_OK))
			n++;
	if (total)
		*total = LG_PROGS;
	return n;
}

bool lg_enforcer_replaced(const struct lg_enforcer *e)
{
	return e->replaced;
}

int lg_enforcer_open(const struct lg_enforcer_opts *opts, struct lg_enforcer **out)
{
	static const struct lg_enforcer_opts defaults;
	const struct lg_enforcer_opts *o = opts ? opts : &defaults;
	struct lg_enforcer *e;
	int err;

	lg_verbose = o->verbose;
	libbpf_set_print(print_libbpf);
	/* A map added to enum lg_map_idx without a pin name would pin as "(null)". */
	for (int i = 0; i < LG_MAP_MAX; i++)
		if (!map_names[i])
			return lg_err(-EINVAL,
				      "internal error: map %d has no pin name (loader.c map_names)",
				      i);

	e = calloc(1, sizeof(*e));
	if (!e)
		return lg_err(-ENOMEM, "out of memory");
	for (int i = 0; i < LG_MAP_MAX; i++)
		e->fds[i] = -1;
	e->sync_outer = e->sync_inner = -1;
	err = sync_maps_create(e);
	if (err)
		goto fail;

	if (o->pin_dir) {
		struct statfs sfs;
		char parent[PATH_MAX];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", o->pin_dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = 0;
		if (statfs(parent, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
			err = lg_err(-EOPNOTSUPP,
				     "pin directory %s is not on a bpffs: mount -t bpf bpf %s",
				     o->pin_dir, parent);
			goto fail;
		}
		if (pins_complete(o->pin_dir)) {
			err = adopt(e, o->pin_dir);
			if (!err)
				goto done;
			err = replace_pins(e, o);
			goto done;
		}
		/* Half-written pins from a crash: clear them and start over. */
		if (pins_any(o->pin_dir)) {
			err = lg_enforcer_unpin(o->pin_dir);
			if (err)
				goto fail;
		}
	}
	err = load_fresh(e, o);
done:
	if (err)
		goto fail;
	*out = e;
	return 0;
fail:
	lg_enforcer_close(e);
	return err;
}

bool lg_enforcer_adopted(const struct lg_enforcer *e)
{
	return e->adopted;
}

void lg_enforcer_close(struct lg_enforcer *e)
{
	if (!e)
		return;
	if (e->state)
		munmap(e->state, sysconf(_SC_PAGESIZE));
	for (int i = 0; i < LG_MAP_MAX; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	if (e->sync_outer >= 0)
		close(e->sync_outer);
	if (e->sync_inner >= 0)
		close(e->sync_inner);
	/* Destroying the skeleton detaches only links that are not pinned. */
	livegrant_bpf__destroy(e->skel);
	free(e);
}

int lg_enforcer_unpin(const char *pin_dir)
{
	char path[PATH_MAX];
	int err = 0;

	/* Links first: enforcement ends before the maps go. */
	for (size_t i = 0; i < LG_PROGS; i++) {
		pin_path(path, sizeof(path), pin_dir, "links", prog_names[i]);
		if (unlink(path) && errno != ENOENT && !err)
			err = lg_err(-errno, "unlink %s: %s", path, strerror(errno));
	}
	for (int i = 0; i < LG_MAP_MAX; i++) {
		pin_path(path, sizeof(path), pin_dir, "maps", map_names[i]);
		if (unlink(path) && errno != ENOENT && !err)
			err = lg_err(-errno, "unlink %s: %s", path, strerror(errno));
	}
	for (const char *sub = "links";; sub = "maps") {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, sub);
		if (rmdir(path) && errno != ENOENT && !err)
			err = lg_err(-errno, "rmdir %s: %s", path, strerror(errno));
		if (!strcmp(sub, "maps"))
			break;
	}
	if (rmdir(pin_dir) && errno != ENOENT && !err)
		err = lg_err(-errno, "rmdir %s: %s", pin_dir, strerror(errno));
	return err;
}

int lg_set_default_mode(struct lg_enforcer *e, enum lg_mode mode)
{
	if (mode != LG_MODE_ENFORCE && mode != LG_MODE_AUDIT)
		return lg_err(-EINVAL, "mode %d is neither enforce nor audit", mode);
	__atomic_store_n(&e->state->default_mode, mode, __ATOMIC_RELEASE);
	return 0;
}
