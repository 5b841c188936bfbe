/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/limits.h - every bound shared by the BPF programs and userspace.
 *
 * Each limit here is used twice: as a loop bound or buffer size in bpf/ and
 * as a validation check in userspace/ before anything is written to a map.
 * Change a value here and both sides follow. Reaching a bound in the kernel
 * is always a denial (never a silent allow); in userspace it is an error
 * that names the limit.
 */
#ifndef LIVEGRANT_LIMITS_H
#define LIVEGRANT_LIMITS_H

/*
 * LG_PATH_MAX - size of the buffer a path is resolved into, NUL included.
 * Equal to the kernel's PATH_MAX: bpf_d_path() fails with -ENAMETOOLONG for
 * longer paths and the access is denied with reason "path_too_long". A rule
 * path must be shorter than this.
 */
#define LG_PATH_MAX 4096

/*
 * LG_ROOT_LEVELS - the cgroup levels the kernel searches for agent roots:
 * 0 to LG_ROOT_LEVELS - 1. One constant for the bit width of
 * lg_state.root_levels (bit N: a root at level N) and the bound of the
 * kernel's root search (lg_find_root() in bpf/lib/agent.h), so every level
 * a bit can mark is checked. bpf/lib/agent.h and userspace/lib/agents.c
 * assert the bitmap width.
 */
#define LG_ROOT_LEVELS 64

/*
 * LG_MAX_ROOT_LEVEL - lg_root_add() registers roots only above this level
 * (1 to LG_MAX_ROOT_LEVEL - 1): a limit on configurations (systemd and
 * kubelet cgroups sit a few levels deep), kept where releases before
 * LG_ROOT_LEVELS had it. The kernel needs no such limit: it searches all
 * LG_ROOT_LEVELS levels, so raising this up to LG_ROOT_LEVELS is safe.
 */
#define LG_MAX_ROOT_LEVEL 32

/*
 * LG_UNIX_PATH_MAX - bytes of sockaddr_un.sun_path (108 on Linux). AF_UNIX
 * rules and the control socket path are at most this long.
 */
#define LG_UNIX_PATH_MAX 108

/*
 * LG_MAX_CGROUP_DEPTH - how many cgroup levels the agent walk (from the
 * task's cgroup up to its agent root) visits. An agent process
 * LG_MAX_CGROUP_DEPTH or more levels below its agent root is denied
 * ("cgroup_too_deep"). Where roots may sit is LG_ROOT_LEVELS.
 */
#define LG_MAX_CGROUP_DEPTH 32

/*
 * The path walk of hooks that bpf_d_path() may not be called from
 * (bpf/lib/path_walk.h): at most LG_PATH_MAX_COMPONENTS names and
 * LG_PATH_MAX_MOUNTS mount crossings from a dentry up to the task's root.
 * A deeper path is denied ("path_too_deep"), a longer one "path_too_long".
 * LG_NAME_BUF is one more than the longest name a filesystem may hold
 * (NAME_MAX, 255): a longer d_name is refused, never cut.
 */
#define LG_PATH_MAX_COMPONENTS 128
#define LG_PATH_MAX_MOUNTS 32
#define LG_PATH_WALK_STEPS (LG_PATH_MAX_COMPONENTS + LG_PATH_MAX_MOUNTS)
#define LG_NAME_BUF 256

/*
 * The hooks that see a dentry and no mount (utimes through inode_setattr,
 * user.* and trusted.* xattrs; lg_check_dentry() in bpf/lib/path_ops.h)
 * look for the mounts of the agent's mount namespace through which it can
 * name the file: they visit at most LG_SB_MAX_MOUNTS mounts of the file's
 * superblock (every namespace's mounts of it are on that list) and check the
 * file's path at the first LG_ATTR_MAX_PATHS that hold it. A list longer
 * than the first bound, or more such mounts than the second, and no allow
 * among those checked: denied ("path_too_deep"), never allowed.
 */
/*
 * A host's root filesystem is mounted once per container bind mount and
 * per propagated copy of one (a Kubernetes node: a few per pod), and a new
 * container's mounts come last on the list: the bound is set far above
 * what a node holds, so that whether a touch works never depends on how
 * many other pods run there. A step is a few loads, and only agents
 * changing times or xattrs pay it.
 */
#define LG_SB_MAX_MOUNTS 16384
#define LG_ATTR_MAX_PATHS 4

/* LG_MAX_PORT_RANGES - port ranges one network prefix entry can hold. */
#define LG_MAX_PORT_RANGES 16

/*
 * LG_MAX_CMSGS - control messages one send may carry for an agent. The
 * kernel walks every message of a send; a buffer with more than this many
 * could hide one the walk never reached, so such a send is denied.
 */
#define LG_MAX_CMSGS 32

/*
 * LG_STORAGE_TRIES - attempts to create a socket's record in inode local
 * storage. Creation can fail for a moment (an atomic allocation, and from
 * 6.15 a local-storage lock that gives up under contention); the record is
 * what later sends are checked against, so a connect still without one
 * after these tries is denied.
 */
#define LG_STORAGE_TRIES 3

/* LG_SCRATCH_SLOTS - per-CPU scratch buffers; see bpf/lib/scratch.h. */
#define LG_SCRATCH_SLOTS 4

/* Map sizes. A grant that does not fit is refused whole by userspace. */
/* registered agent roots: the configured ones and the agent pods of a node */
#define LG_MAX_ROOTS 1024
#define LG_MAX_AGENTS 16384 /* registered agent cgroups */
#define LG_MAX_PATH_RULES 4096 /* distinct rule paths in one grant */
/* path entries of one grant: its rules and the directories above them */
#define LG_MAX_PATH_ENTRIES (4 * LG_MAX_PATH_RULES)
#define LG_MAX_NET_RULES 1024 /* network prefixes in one grant */
#define LG_MAX_UNIX_RULES 256 /* AF_UNIX paths in one grant */
#define LG_MAX_DOMAIN_NETS 1024 /* networks of all trust domains */
/*
 * Rule maps hold every agent's rules plus, while a grant is being replaced,
 * a second generation of one agent's rules. lg_path_rules is one pool for
 * every grant (the baseline is in each), not preallocated: an entry costs
 * 32 bytes of key, 24 of value and the kernel's element header (about 128
 * bytes in all, no path since ABI 8), and the size only the bucket array,
 * 16 bytes a slot (16 MiB). 2^20 entries hold 10,000 agents of 100 path
 * entries each.
 */
#define LG_PATH_RULE_ENTRIES (1 << 20)
_Static_assert(LG_PATH_RULE_ENTRIES >= 2 * LG_MAX_PATH_ENTRIES,
	       "the path rule map must hold a largest grant and its replacement");
#define LG_NET_RULE_ENTRIES 65536
#define LG_UNIX_RULE_ENTRIES 16384

/*
 * LG_HOOK_CAPACITY - hooks the counter map has room for (include/livegrant/
 * hooks.h). Fixed, so that adding a hook does not change a map. Also the
 * width of a userspace hook set (livegrant/hook_set.h: whole 64-bit words)
 * and the programs a pin manifest can list (livegrant/manifest.h). Raised
 * from 64 to 128 in ABI 6.
 */
#define LG_HOOK_CAPACITY 128

/* LG_EVENTS_RING_BYTES - default size of the event ring buffer. */
#define LG_EVENTS_RING_BYTES (4 * 1024 * 1024)

/*
 * The event budget of one agent (bpf/lib/report.h): a burst of
 * LG_EVENT_BURST events, then LG_EVENT_RATE_PER_S a second. The programs
 * keep it, before the ring buffer, so that one agent's flood can fill
 * neither the ring nor livegrantd's loop and hide another agent's denials;
 * what is over it is counted per agent, not sent. The decision itself never
 * depends on the budget.
 */
#define LG_EVENT_BURST 200
#define LG_EVENT_RATE_PER_S 100
#define LG_EVENT_COST_NS (1000000000ULL / LG_EVENT_RATE_PER_S)
/*
 * LG_EVENT_BUDGETS - entries of lg_event_budgets: one per agent id an event
 * can name (a registered agent cgroup, or an agent root for a task below
 * none), twice over, because the entries of agents that are gone stay for
 * up to two sweeps (20 s) and churn must not push new agents into the
 * spill entry (LG_EVENT_SPILL) that agents share should the map ever be
 * full; and that entry. Not preallocated: the size costs only buckets.
 */
#define LG_EVENT_BUDGETS (2 * (LG_MAX_AGENTS + LG_MAX_ROOTS) + 1)

/*
 * Checks both compilers (clang for bpf/, gcc for userspace/) make on every
 * build, so a changed limit breaks the build instead of the enforcement.
 */
#define LG_IS_POW2(x) ((x) > 0 && ((x) & ((x)-1)) == 0)

/*
 * Limits used as verifier masks. bpf/ indexes buffers with
 * "i & (LIMIT - 1)": for a power of two that is the identity on every
 * in-bounds index and gives the verifier a constant bound on the offset;
 * for any other value it would silently fold indexes onto the wrong bytes.
 */
_Static_assert(LG_IS_POW2(LG_PATH_MAX), "LG_PATH_MAX is a verifier mask: power of two");
_Static_assert(LG_IS_POW2(LG_PATH_MAX_COMPONENTS),
	       "LG_PATH_MAX_COMPONENTS is a verifier mask: power of two");
_Static_assert(LG_IS_POW2(LG_NAME_BUF), "LG_NAME_BUF is a verifier mask: power of two");
_Static_assert(LG_IS_POW2(LG_ATTR_MAX_PATHS), "LG_ATTR_MAX_PATHS is a verifier mask: power of two");

/*
 * Limits that bound loops in bpf/ (Tetragon style: every loop bound is a
 * named constant from this file). The rule in bpf/: a loop that runs out of
 * iterations before it has seen everything it needs decides "deny", never
 * "allow"; each loop says how it obeys that.
 *
 *   LG_ROOT_LEVELS      for loop, lg_find_root(): every level of the bitmap
 *   LG_MAX_CGROUP_DEPTH for loop, lg_resolve_agent(): depth checked first
 *   LG_SCRATCH_SLOTS    for loop, lg_scratch_claim(): none free -> internal
 *   LG_MAX_PORT_RANGES  for loop, lg_inet_match(): no range -> not_allowed
 *   LG_PATH_MAX         bpf_loop, lg_path_match(): one step per byte + end
 *   LG_UNIX_PATH_MAX    bpf_loop, lg_unix_parse(): all bytes or bad_address
 *   LG_PATH_WALK_STEPS  bpf_loop, lg_walk_up(): root not reached -> too deep
 *   LG_PATH_MAX_COMPONENTS bpf_loop, lg_walk_write(): one step per name
 *   LG_SB_MAX_MOUNTS    bpf_loop, lg_mounts_of(): list left -> too deep
 *   LG_PATH_MAX_COMPONENTS bpf_loop, lg_mount_holds(): bound -> checked (the
 *                       walk of that path then says too deep)
 *   LG_ATTR_MAX_PATHS   for loop, lg_check_dentry(): more -> too deep
 *   LG_MAX_CMSGS        for loop, lg_check_cmsgs(): buffer left -> deny
 *   LG_STORAGE_TRIES    for loop, lg_unix_record(): no record -> internal
 *
 * Plain for loops are unrolled or walked by the verifier once per
 * iteration, so they stay small; bpf_loop() refuses more than 1 << 23
 * iterations (BPF_MAX_LOOPS) at run time.
 */
_Static_assert(LG_HOOK_CAPACITY % 64 == 0 && LG_HOOK_CAPACITY >= 64,
	       "LG_HOOK_CAPACITY: hook sets are whole 64-bit words, manifest v1 lists 64 programs");
_Static_assert(LG_ROOT_LEVELS == 64,
	       "lg_state.root_levels is a 64-bit bitmap with one bit per root level");
_Static_assert(LG_MAX_ROOT_LEVEL <= LG_ROOT_LEVELS,
	       "roots may only be registered at levels the kernel searches");
_Static_assert(LG_MAX_CGROUP_DEPTH > 0 && LG_MAX_CGROUP_DEPTH <= 64,
	       "LG_MAX_CGROUP_DEPTH bounds an unrolled loop: keep it small");
_Static_assert(LG_EVENT_RATE_PER_S > 0 && 1000000000ULL % LG_EVENT_RATE_PER_S == 0,
	       "LG_EVENT_COST_NS must be exact: the budget's count is");
_Static_assert(LG_EVENT_BURST > 0 &&
		       LG_EVENT_BURST * LG_EVENT_COST_NS / LG_EVENT_COST_NS == LG_EVENT_BURST,
	       "the budget's credit (LG_EVENT_BURST * LG_EVENT_COST_NS) fits 64 bits");
_Static_assert(LG_SCRATCH_SLOTS > 0 && LG_SCRATCH_SLOTS <= 16,
	       "LG_SCRATCH_SLOTS bounds an unrolled loop: keep it small");
_Static_assert(LG_MAX_PORT_RANGES > 0 && LG_MAX_PORT_RANGES <= 64,
	       "LG_MAX_PORT_RANGES bounds an unrolled loop: keep it small");
_Static_assert(LG_MAX_CMSGS > 0 && LG_MAX_CMSGS <= 64,
	       "LG_MAX_CMSGS bounds an unrolled loop: keep it small");
_Static_assert(LG_ATTR_MAX_PATHS > 0 && LG_ATTR_MAX_PATHS <= 8,
	       "LG_ATTR_MAX_PATHS bounds a loop of whole path checks: keep it small");
_Static_assert(LG_PATH_MAX <= (1 << 23) && LG_UNIX_PATH_MAX <= (1 << 23) &&
		       LG_SB_MAX_MOUNTS <= (1 << 23),
	       "bpf_loop() runs at most BPF_MAX_LOOPS (1 << 23) iterations");

#endif /* LIVEGRANT_LIMITS_H */
