// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - open, configure, load, attach and pin the BPF programs, or adopt
 * what an earlier run pinned (libbpf-bootstrap order: open -> configure ->
 * load -> attach; one cleanup path).
 *
 * The programs are whatever the skeleton holds: each must have a row in the
 * hook registry (livegrant/hooks.h) and each row a program. Pins are kept
 * as sets (pins.c, livegrant/manifest.h). What is pinned decides the start:
 *
 *   nothing pinned                      FRESH     load, attach, pin set 1
 *   this very build (same build id)     ADOPTED   use the pins as they are
 *   another build, maps of our shape    UPGRADED  load against the pinned
 *                                                 maps, attach, pin set N+1
 *   maps of another shape or ABI        REPLACED  load new maps, which the
 *                                                 caller fills, then attach
 *                                                 and pin set N+1
 *
 * In every case the old set is retired only after the new one is attached
 * and pinned: some complete set enforces at every moment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforcer.h"
#include "rule_index.h"
#include "livegrant.skel.h"

_Static_assert(LG_HOOK_CAPACITY <= LG_MANIFEST_MAX_PROGS + LG_MANIFEST_EXT_PROGS,
	       "a manifest must list every hook");

/* Pin names of the maps userspace uses (enforcer.h). */
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
	[LG_MAP_EVENT_BUDGETS] = "lg_event_budgets",
	[LG_MAP_EVENTS_REPORTED] = "lg_events_reported",
};

/*
 * struct lg_agent has kept its layout since ABI 3, so a build can keep the
 * grants of a set of any ABI from this one on alive while it loads.
 */
#define LG_AGENT_LAYOUT_SINCE_ABI 3

static bool lg_verbose;
/* The program libbpf last complained about: named in a load failure. */
static char failed_prog[64];

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	const char *p;
	va_list aq;

	va_copy(aq, ap);
	vsnprintf(line, sizeof(line), fmt, aq);
	va_end(aq);
	p = strstr(line, "prog '");
	if (level == LIBBPF_WARN && p)
		sscanf(p, "prog '%63[^']'", failed_prog);
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

static struct bpf_object *obj_of(struct lg_enforcer *e)
{
	return e->skel->obj;
}

struct bpf_object *lg_enforcer_object(struct lg_enforcer *e)
{
	return e->skel ? obj_of(e) : NULL;
}

int lg_enforcer_set_attached(struct lg_enforcer *e, bool attached)
{
	int err;

	if (!e->skel)
		return lg_err(-EINVAL, "the programs were adopted from pins, not loaded here");
	if (!attached) {
		livegrant_bpf__detach(e->skel);
		return 0;
	}
	err = livegrant_bpf__attach(e->skel);
	return err ? lg_err(err, "attaching livegrant's programs again failed: %s",
			    strerror(-err)) :
		     0;
}

/* Maps a set pins and a new build may share: not .rodata, .bss and such. */
static bool shared_map(const struct bpf_map *m)
{
	return !bpf_map__is_internal(m);
}

/* "<release>-<FNV-1a of the BPF object>": equal ids, equal programs. */
static void build_id(char *buf, size_t size)
{
	size_t n;
	const unsigned char *p = livegrant_bpf__elf_bytes(&n);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	snprintf(buf, size, "%s-%016llx", LIVEGRANT_VERSION, (unsigned long long)h);
}

/*
 * Every program needs a registry row naming its LSM hook, and every row a
 * program: a hook added on one side only is a build error caught here.
 */
static int check_registry(struct lg_enforcer *e)
{
	struct lg_hook_set seen = { 0 };
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj_of(e)) {
		int h = lg_hook_by_prog(bpf_program__name(prog));
		char sec[96];

		if (h < 0)
			return lg_err(
				-EINVAL,
				"internal error: BPF program %s has no row in the hook registry (include/livegrant/hooks.h)",
				bpf_program__name(prog));
		snprintf(sec, sizeof(sec), "lsm/%s", lg_hook_info(h)->lsm);
		if (strcmp(bpf_program__section_name(prog), sec))
			return lg_err(
				-EINVAL,
				"internal error: BPF program %s is in section %s, but the hook registry says %s",
				bpf_program__name(prog), bpf_program__section_name(prog), sec);
		lg_hook_set_add(&seen, h);
	}
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++)
		if (!lg_hook_set_has(&seen, h))
			return lg_err(
				-EINVAL,
				"internal error: hook %s is in the registry but its program %s is not in the BPF object",
				lg_hook_name(h), lg_hook_info(h)->prog);
	return 0;
}

/*
 * The per-program feature probe. A required hook the kernel lacks stops
 * the load; any other is left out and reported as not enforced.
 */
static int probe_hooks(struct lg_enforcer *e)
{
	struct lg_hook_set supported;
	struct bpf_program *prog;
	int err = lg_hooks_supported(&supported);

	if (err)
		return err;
	bpf_object__for_each_program(prog, obj_of(e)) {
		int h = lg_hook_by_prog(bpf_program__name(prog));
		const struct lg_hook_info *hi = lg_hook_info(h);

		if (lg_hook_set_has(&supported, h))
			continue;
		if (hi->flags & LG_HOOK_F_REQUIRED)
			return lg_err(
				-EOPNOTSUPP,
				"this kernel has no LSM hook %s, which livegrant's %s hook needs (program %s): use a newer kernel",
				hi->lsm, hi->name, hi->prog);
		bpf_program__set_autoload(prog, false);
		lg_hook_set_add(&e->hooks_missing, h);
	}
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

/* Does the pinned map @fd have the shape this build defines for @m? */
static bool same_shape(int fd, const struct bpf_map *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	       info.value_size == bpf_map__value_size(m) &&
	       info.max_entries == bpf_map__max_entries(m) &&
	       info.map_flags == bpf_map__map_flags(m);
}

/*
 * Can this build use the maps of the set found at open? Same ABI version,
 * and every map this build shares present with the same shape. On yes,
 * the skeleton's maps are set to reuse the pinned ones.
 */
static bool prev_maps_usable(struct lg_enforcer *e)
{
	struct lg_state st;
	struct bpf_map *m;
	__u32 zero = 0;
	int fd;

	if (e->prev.m.v1.abi_version != LG_ABI_VERSION)
		return false;
	/* The maps' own word too: the programs that own them wrote it. */
	fd = lg_pins_map_get(&e->prev, "lg_state");
	if (fd < 0)
		return false;
	if (bpf_map_lookup_elem(fd, &zero, &st) || st.abi_version != LG_ABI_VERSION) {
		close(fd);
		return false;
	}
	close(fd);
	bpf_object__for_each_map(m, obj_of(e)) {
		bool ok;

		if (!shared_map(m))
			continue;
		fd = lg_pins_map_get(&e->prev, bpf_map__name(m));
		if (fd < 0)
			return false;
		ok = same_shape(fd, m);
		close(fd);
		if (!ok)
			return false;
	}
	return true;
}

static int reuse_prev_maps(struct lg_enforcer *e)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj_of(e)) {
		int fd, err;

		if (!shared_map(m))
			continue;
		fd = lg_pins_map_get(&e->prev, bpf_map__name(m));
		if (fd < 0)
			return lg_err(fd, "cannot open pinned map %s under %s: %s",
				      bpf_map__name(m), e->prev.dir, strerror(-fd));
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err)
			return lg_err(err, "reusing pinned map %s failed: %s", bpf_map__name(m),
				      strerror(-err));
	}
	return 0;
}

/* The programs this build attaches on this kernel, as a manifest would list them. */
static bool same_programs(struct lg_enforcer *e, const struct lg_manifest_v2 *m)
{
	unsigned int n = 0, listed_n = lg_manifest_nprogs(m);
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj_of(e)) {
		bool listed = false;

		if (!bpf_program__autoload(prog))
			continue;
		n++;
		for (unsigned int i = 0; i < listed_n && !listed; i++)
			listed = !strncmp(lg_manifest_prog(m, i), bpf_program__name(prog),
					  LG_MANIFEST_NAME_LEN);
		if (!listed || !lg_pins_link_exists(&e->prev, bpf_program__name(prog)))
			return false;
	}
	return n == listed_n;
}

static bool prev_is_this_build(struct lg_enforcer *e)
{
	char id[LG_MANIFEST_BUILD_LEN];

	build_id(id, sizeof(id));
	return !e->prev.legacy && !strncmp(id, e->prev.m.v1.build_id, sizeof(id)) &&
	       same_programs(e, &e->prev.m);
}

static int open_prev_map_fds(struct lg_enforcer *e)
{
	for (int i = 0; i < LG_MAP_MAX; i++) {
		e->fds[i] = lg_pins_map_get(&e->prev, map_names[i]);
		if (e->fds[i] < 0)
			return lg_err(e->fds[i], "cannot open pinned map %s under %s: %s",
				      map_names[i], e->prev.dir, strerror(-e->fds[i]));
	}
	return 0;
}

/* A map of @prev whose key and value sizes are @ks and @vs, or -1. */
static int prev_map_sized(struct lg_enforcer *e, const char *name, __u32 ks, __u32 vs)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = lg_pins_map_get(&e->prev, name);

	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != ks ||
	    info.value_size != vs) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * lg_agents and lg_suspended of the set in force, when they have our
 * layout: from ABI 3 (where it began) up to ours, never a later ABI's,
 * which may have moved fields within the same size.
 */
static void open_prev_agents(struct lg_enforcer *e)
{
	if (e->prev.m.v1.abi_version < LG_AGENT_LAYOUT_SINCE_ABI ||
	    e->prev.m.v1.abi_version > LG_ABI_VERSION)
		return;
	e->prev_agents_fd = prev_map_sized(e, "lg_agents", sizeof(__u64), sizeof(struct lg_agent));
	e->prev_suspended_fd = prev_map_sized(e, "lg_suspended", sizeof(__u64), sizeof(__u32));
}

/*
 * A fresh 128-bit path hash key (livegrant/path_hash.h). The rules' safety
 * rests on it being secret and unpredictable, so a short read is an error,
 * never a weaker key.
 */
static int new_hash_key(struct lg_state *st)
{
	__u64 key[2];

	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return lg_err(-EIO, "getrandom for the path hash key failed: %s", strerror(errno));
	st->hash_key0 = key[0];
	st->hash_key1 = key[1];
	return 0;
}

static int load_error(int err)
{
	int h = failed_prog[0] ? lg_hook_by_prog(failed_prog) : -ENOENT;
	char what[160] = "";

	if (h >= 0)
		snprintf(what, sizeof(what), " (program %s of hook %s, LSM hook %s)", failed_prog,
			 lg_hook_name(h), lg_hook_info(h)->lsm);
	if (err == -EPERM)
		return lg_err(
			err,
			"the kernel refused to load livegrant's BPF programs%s (%s): run as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN), and check that kernel lockdown or a sysctl (kernel.unprivileged_bpf_disabled) does not forbid BPF",
			what, strerror(-err));
	return lg_err(
		err,
		"loading livegrant's BPF programs failed%s (%s): the verifier rejected it or this kernel lacks a feature; run with --verbose to see the verifier log",
		what, strerror(-err));
}

/*
 * While the verifier works, and while the kernel attaches 60-odd programs
 * (seconds each, more on a busy or emulated machine: longer than a grant
 * may live), a thread keeps the grants in force alive every
 * e->bridge_interval_ms. Neither step touches what the bridge does:
 * libbpf, the new object and its links on one side; the maps' grant
 * entries and the caller's records on the other; error messages are per
 * thread.
 */
struct bridge_thread {
	struct lg_enforcer *e;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *bridge_main(void *arg)
{
	struct bridge_thread *b = arg;
	unsigned int ms = b->e->bridge_interval_ms;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&b->cv, &b->mu, &ts) != ETIMEDOUT || b->stop)
			continue;
		pthread_mutex_unlock(&b->mu);
		b->e->bridge(b->e, b->e->bridge_ctx);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* @step(e), with the grants in force bridged before, during and after it. */
static int bridged(struct lg_enforcer *e, int (*step)(struct lg_enforcer *e))
{
	struct bridge_thread b = { .e = e };
	pthread_condattr_t ca;
	pthread_t tid;
	bool threaded;
	int err;

	if (!e->have_prev || !e->bridge)
		return step(e);
	e->bridge(e, e->bridge_ctx);
	pthread_mutex_init(&b.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b.cv, &ca);
	pthread_condattr_destroy(&ca);
	/* Without a thread (none could be made) the step is bridged around only. */
	threaded = e->bridge_interval_ms && !pthread_create(&tid, NULL, bridge_main, &b);
	err = step(e);
	if (threaded) {
		pthread_mutex_lock(&b.mu);
		b.stop = true;
		pthread_cond_signal(&b.cv);
		pthread_mutex_unlock(&b.mu);
		pthread_join(tid, NULL);
	}
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mu);
	if (!err)
		e->bridge(e, e->bridge_ctx);
	return err;
}

static int load_skel(struct lg_enforcer *e)
{
	return livegrant_bpf__load(e->skel);
}

static int load(struct lg_enforcer *e)
{
	int err;

	failed_prog[0] = 0;
	err = bridged(e, load_skel);
	if (err)
		return load_error(err);

	for (int i = 0; i < LG_MAP_MAX; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj_of(e), map_names[i]);

		e->fds[i] = m ? dup(bpf_map__fd(m)) : -1;
		if (e->fds[i] < 0)
			return lg_err(-EINVAL, "internal error: map %s missing from the BPF object",
				      map_names[i]);
	}
	err = map_state(e);
	if (err || e->start == LG_START_UPGRADED)
		return err; /* the pinned state (hash key, roots) stays as it is */
	err = new_hash_key(e->state);
	if (err)
		return err;
	e->state->abi_version = LG_ABI_VERSION;
	e->state->default_mode = LG_MODE_ENFORCE;
	e->state->root_levels = 0;
	memset(e->state->root_at, 0, sizeof(e->state->root_at));
	return 0;
}

static int check_pin_dir(const char *pin_dir)
{
	struct statfs sfs;
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	if (statfs(parent, &sfs) || sfs.f_type != BPF_FS_MAGIC)
		return lg_err(-EOPNOTSUPP,
			      "pin directory %s is not on a bpffs: mount -t bpf bpf %s", pin_dir,
			      parent);
	if (strlen(pin_dir) >= PATH_MAX - 64)
		return lg_err(-ENAMETOOLONG, "pin directory %s is too long", pin_dir);
	return 0;
}

static int write_manifest(struct lg_enforcer *e, const char *dir)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct lg_manifest_v2 m = { .v1 = { .magic = LG_MANIFEST_MAGIC,
					    .version = LG_MANIFEST_VERSION } };
	struct bpf_program *prog;
	__u32 zero = 0;
	int fd, err = 0;

	opts.map_flags = BPF_F_RDONLY_PROG; /* no program reads it */
	m.v1.abi_version = LG_ABI_VERSION;
	m.v1.seq = e->seq;
	m.v1.created_s = (__u64)time(NULL);
	build_id(m.v1.build_id, sizeof(m.v1.build_id));
	bpf_object__for_each_program(prog, obj_of(e)) {
		if (!bpf_program__autoload(prog))
			continue;
		/* A manifest that left a program out would not be this build's. */
		err = lg_manifest_add(&m, bpf_program__name(prog));
		if (err)
			return lg_err(err, "program %s does not fit the pin manifest: %s",
				      bpf_program__name(prog), strerror(-err));
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lg_manifest", 4, sizeof(m), 1, &opts);
	if (fd < 0)
		return lg_err(-errno, "creating the pin manifest failed: %s", strerror(errno));
	/* Frozen: no later writer can make a set claim what it does not hold. */
	if (bpf_map_update_elem(fd, &zero, &m, BPF_ANY) || bpf_map_freeze(fd))
		err = lg_err(-errno, "writing the pin manifest failed: %s", strerror(errno));
	if (!err)
		err = lg_pins_put(fd, dir, NULL, "manifest");
	close(fd);
	return err;
}

/* Pin this build's maps and links as set e->seq; the manifest goes last. */
static int pin_set(struct lg_enforcer *e)
{
	const struct bpf_object_skeleton *s = e->skel->skeleton;
	char dir[PATH_MAX], sub[PATH_MAX];
	struct bpf_map *m;
	int err = lg_pins_set_path(e->pin_dir, e->seq, dir, sizeof(dir));

	static const char *const subdirs[] = { "maps", "links" };

	for (size_t i = 0; !err && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, subdirs[i]) >= sizeof(sub))
			return lg_err(-ENAMETOOLONG, "pin directory %s is too long", dir);
		err = lg_mkdir_p(sub);
	}
	bpf_object__for_each_map(m, obj_of(e)) {
		if (!err && shared_map(m))
			err = lg_pins_put(bpf_map__fd(m), dir, "maps", bpf_map__name(m));
	}
	for (int i = 0; !err && i < s->prog_cnt; i++) {
		struct bpf_link *l = *s->progs[i].link;

		if (l)
			err = lg_pins_put(bpf_link__fd(l), dir, "links", s->progs[i].name);
	}
	if (!err)
		err = write_manifest(e, dir);
	return err;
}

static struct lg_hook_set attached_from_manifest(const struct lg_pinset *p)
{
	struct lg_hook_set set = { 0 };

	for (unsigned int i = 0; i < lg_manifest_nprogs(&p->m); i++) {
		char name[LG_MANIFEST_NAME_LEN + 1] = "";
		int h;

		memcpy(name, lg_manifest_prog(&p->m, i), LG_MANIFEST_NAME_LEN);
		h = lg_hook_by_prog(name);
		if (h >= 0 && lg_pins_link_exists(p, name))
			lg_hook_set_add(&set, h);
	}
	return set;
}

static int attach(struct lg_enforcer *e)
{
	const struct bpf_object_skeleton *s = e->skel->skeleton;
	int err = livegrant_bpf__attach(e->skel);

	if (err)
		return lg_err(
			err,
			"attaching livegrant's LSM programs failed (%s): the kernel needs CONFIG_BPF_LSM=y and bpf in lsm=",
			strerror(-err));
	for (int i = 0; i < s->prog_cnt; i++) {
		int h = lg_hook_by_prog(s->progs[i].name);

		if (*s->progs[i].link && h >= 0)
			lg_hook_set_add(&e->hooks_attached, h);
	}
	return 0;
}

/*
 * @err of a retire, with a wait that failed said and forgiven: the pins
 * are gone, their programs not yet, and they only deny more until they
 * leave.
 */
static int retired(int err)
{
	if (!lg_pins_wait_failed(err))
		return err;
	fprintf(stderr, "livegrant: %s\n", lg_errmsg());
	return 0;
}

int lg_enforcer_tidy(struct lg_enforcer *e)
{
	int err;

	if (!e->retire_pending || !e->pin_dir[0])
		return 0;
	/*
	 * The commit waits for the old programs to leave their hooks (its
	 * grants bridged meanwhile); a retry from the refresh loop must not
	 * hold the loop, nor can it tell (no CAP_SYS_ADMIN by then).
	 */
	err = retired(lg_pins_retire(e->pin_dir, e->seq, !e->committed));
	if (err) {
		fprintf(stderr,
			"livegrant: old pins under %s not fully removed (retried later): %s\n",
			e->pin_dir, lg_errmsg());
		return err;
	}
	e->retire_pending = false;
	return 0;
}

void close_prev_maps(struct lg_enforcer *e)
{
	if (e->prev_agents_fd >= 0)
		close(e->prev_agents_fd);
	if (e->prev_suspended_fd >= 0)
		close(e->prev_suspended_fd);
	if (e->prev_events_fd >= 0)
		close(e->prev_events_fd);
	e->prev_agents_fd = e->prev_suspended_fd = e->prev_events_fd = -1;
}

/*
 * REPLACED, once this build's programs are attached: a grant the old
 * set's programs suspended after livegrantd read its maps (between the
 * restore and now; from now on both sets see every crossing) stays
 * suspended in this build's maps, under the generation installed for it.
 */
static void carry_suspensions(struct lg_enforcer *e)
{
	uint64_t key, next, *prev = NULL;

	if (e->prev_suspended_fd < 0)
		return;
	while (!bpf_map_get_next_key(e->prev_suspended_fd, prev, &next)) {
		struct lg_agent cur;
		uint32_t old_gen;
		bool suspended;

		key = next;
		prev = &key;
		if (lg_prev_agent_state(e, key, &old_gen, &suspended) || !suspended)
			continue;
		if (!lg_grant_get(e, key, &cur) && cur.generation)
			lg_agent_suspend(e, key, cur.generation);
	}
}

/*
 * This build's set pinned as the newest, then every other set retired.
 * Pinning and detaching the old programs take seconds under emulation too.
 */
static int pin_and_retire(struct lg_enforcer *e)
{
	char stale[PATH_MAX];
	int err;

	if (!e->pin_dir[0])
		return 0;
	if (e->start == LG_START_ADOPTED) {
		e->seq = e->prev.m.v1.seq;
	} else {
		e->seq = e->have_prev ? e->prev.m.v1.seq + 1 : 1;
		err = lg_pins_set_path(e->pin_dir, e->seq, stale, sizeof(stale));
		if (err)
			return err;
		if (!access(stale, F_OK)) {
			/* Complete and newer than what we found: another writer. */
			if (lg_pins_has_manifest(stale))
				return lg_err(
					-EEXIST,
					"%s appeared while this livegrantd started: is another one running on %s?",
					stale, e->pin_dir);
			/* Without a manifest: a crash's leftover, never in force. */
			err = retired(lg_pins_retire_set(stale, true));
			if (err)
				return err;
		}
		err = pin_set(e);
		/* A half-pinned set must not stay attached without its owner. */
		if (err) {
			/* Our own links: this process holds them, waiting cannot help. */
			lg_pins_retire_set(stale, false);
			return err;
		}
	}
	/* What the old programs record until they detach is still read. */
	if (e->start == LG_START_REPLACED && e->prev_events_fd < 0)
		e->prev_events_fd = lg_pins_map_get(&e->prev, "lg_events");
	/*
	 * Our set is complete: retire every other one. A failure here leaves
	 * an old set attached beside ours (both enforce, and its grants lapse:
	 * it only denies more); lg_enforcer_tidy() tries again at every refresh.
	 */
	e->retire_pending = true;
	lg_enforcer_tidy(e);
	return 0;
}

/* Attach, carry what the old set suspended meanwhile, pin, retire the old sets. */
static int attach_and_pin(struct lg_enforcer *e)
{
	int err = attach(e);

	if (err)
		return err;
	if (e->start == LG_START_REPLACED)
		carry_suspensions(e);
	return pin_and_retire(e);
}

int lg_enforcer_commit(struct lg_enforcer *e)
{
	int err;

	if (e->committed)
		return 0;
	/*
	 * Filling this build's maps took time too, and attaching, pinning and
	 * retiring take more: the grants in force are bridged before, during
	 * and after (bridged()). The old set's maps are closed only after.
	 */
	err = e->start == LG_START_ADOPTED ? pin_and_retire(e) : bridged(e, attach_and_pin);
	if (err)
		return err;
	/* A replaced set's maps stay readable until its events are drained. */
	if (e->start != LG_START_REPLACED)
		close_prev_maps(e);
	e->committed = true;
	return 0;
}

static int find_prev(struct lg_enforcer *e)
{
	int err = lg_pins_newest(e->pin_dir, &e->prev);

	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	e->have_prev = true;
	open_prev_agents(e);
	if (!prev_maps_usable(e)) {
		e->start = LG_START_REPLACED;
		return 0;
	}
	if (prev_is_this_build(e)) {
		e->start = LG_START_ADOPTED;
		e->hooks_attached = attached_from_manifest(&e->prev);
		err = open_prev_map_fds(e);
		return err ? err : map_state(e);
	}
	e->start = LG_START_UPGRADED;
	return reuse_prev_maps(e);
}

static int open_enforcer(struct lg_enforcer *e, const struct lg_enforcer_opts *o)
{
	int err = sync_maps_create(e);

	if (!err && o->pin_dir) {
		err = check_pin_dir(o->pin_dir);
		snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", o->pin_dir);
	}
	/*
	 * Without bpf in the active LSM list, load and attach succeed but the
	 * programs never run; with it, a kernel may still refuse them. The
	 * kernel check (kernel_check.c) tells both apart before anything loads.
	 */
	if (!err && !o->kernel_checked)
		err = lg_kernel_check(o->pin_dir);
	if (err)
		return err;
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
	err = check_registry(e);
	if (!err)
		err = probe_hooks(e);
	if (!err && e->pin_dir[0])
		err = find_prev(e);
	if (!err && e->start != LG_START_ADOPTED)
		err = load(e);
	if (!err)
		err = lg_event_budgets_init(e);
	if (!err && !o->staged)
		err = lg_enforcer_commit(e);
	return err;
}

int lg_enforcer_open(const struct lg_enforcer_opts *opts, struct lg_enforcer **out)
{
	static const struct lg_enforcer_opts defaults;
	const struct lg_enforcer_opts *o = opts ? opts : &defaults;
	struct lg_enforcer *e;
	int err;

	lg_verbose = o->verbose;
	libbpf_set_print(print_libbpf);
	e = calloc(1, sizeof(*e));
	if (!e)
		return lg_err(-ENOMEM, "out of memory");
	e->bridge = o->bridge;
	e->bridge_ctx = o->bridge_ctx;
	e->bridge_interval_ms = o->bridge_interval_ms;
	for (int i = 0; i < LG_MAP_MAX; i++)
		e->fds[i] = -1;
	e->sync_outer = e->sync_inner = -1;
	e->prev_agents_fd = e->prev_suspended_fd = e->prev_events_fd = -1;
	e->start = LG_START_FRESH;
	err = open_enforcer(e, o);
	if (err) {
		lg_enforcer_close(e);
		return err;
	}
	*out = e;
	return 0;
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
	close_prev_maps(e);
	lg_rule_index_free(e->rules);
	/* Destroying the skeleton detaches only links that are not pinned. */
	livegrant_bpf__destroy(e->skel);
	free(e);
}

int lg_bpf_object_check(void)
{
	struct lg_enforcer e = { .skel = livegrant_bpf__open() };
	int err;

	if (!e.skel)
		return lg_err(-errno ? -errno : -EINVAL,
			      "opening the livegrant BPF object failed: %s", strerror(errno));
	err = check_registry(&e);
	livegrant_bpf__destroy(e.skel);
	return err;
}

int lg_enforcer_unpin(const char *pin_dir)
{
	return lg_pins_retire(pin_dir, UINT64_MAX, true);
}

enum lg_start lg_enforcer_start(const struct lg_enforcer *e)
{
	return e->start;
}

const char *lg_start_name(enum lg_start s)
{
	switch (s) {
	case LG_START_FRESH:
		return "fresh";
	case LG_START_ADOPTED:
		return "adopted";
	case LG_START_UPGRADED:
		return "upgraded";
	case LG_START_REPLACED:
		return "replaced";
	}
	return "unknown";
}

bool lg_enforcer_adopted(const struct lg_enforcer *e)
{
	return e->start == LG_START_ADOPTED || e->start == LG_START_UPGRADED;
}

bool lg_enforcer_replaced(const struct lg_enforcer *e)
{
	return e->start == LG_START_REPLACED;
}

void lg_enforcer_hooks(const struct lg_enforcer *e, struct lg_hook_set *attached,
		       struct lg_hook_set *missing)
{
	if (attached)
		*attached = e->hooks_attached;
	if (missing)
		*missing = e->hooks_missing;
}

int lg_enforcer_links_pinned(const char *pin_dir, int *total)
{
	struct lg_hook_set attached;
	struct lg_pinset p;

	if (total)
		*total = LG_HOOK_MAX;
	if (lg_pins_newest(pin_dir, &p))
		return 0;
	attached = attached_from_manifest(&p);
	return (int)lg_hook_set_count(&attached);
}

int lg_set_default_mode(struct lg_enforcer *e, enum lg_mode mode)
{
	if (mode != LG_MODE_ENFORCE && mode != LG_MODE_AUDIT)
		return lg_err(-EINVAL, "mode %d is neither enforce nor audit", mode);
	__atomic_store_n(&e->state->default_mode, mode, __ATOMIC_RELEASE);
	return 0;
}
