/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/abi.h - the contract between the BPF programs and userspace.
 *
 * Everything a map holds or the ring buffer carries is defined here with
 * fixed-width types and explicit padding, so that both compilers lay it out
 * the same way. Bump LG_ABI_VERSION on any change: a daemon refuses to adopt
 * pinned maps of another version.
 */
#ifndef LIVEGRANT_ABI_H
#define LIVEGRANT_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_spin_lock */
#endif

#include "limits.h"
#include "hooks.h" /* enum lg_hook, from the hook registry */

#define LG_ABI_VERSION 10

/*
 * Access rights: what an action asks for, and what a rule grants. There are
 * two classes with a bit space each, because no action ever asks for a file
 * right and a network right at once: a hook's class says which space its
 * lg_event.access is in (lg_hook_class() in userspace).
 *
 * X(ID, bit, name): LG_FILE_<ID> = 1 << bit. The file rights are Landlock's
 * (LANDLOCK_ACCESS_FS_*, same bit positions), so that a future hook or a
 * Landlock translation needs no new vocabulary; today's hooks check only
 * EXECUTE (bprm_check_security), READ_FILE and WRITE_FILE (file_open; an
 * O_TRUNC open asks WRITE_FILE, as before TRUNCATE existed). CHANGE_ATTR
 * (bit 16, above Landlock's 0..15, so Landlock's positions stay free) is
 * livegrant's own: chmod, chown, utimes and extended attributes.
 * @name is how
 * the right is printed in events and logs: the rights today's hooks check
 * keep the names they had before the split ("exec", "read", "write"), the
 * others use Landlock's. Never rename one: logs and tests rely on them.
 * Rows are in print order, which keeps an O_RDWR denial "read,write".
 */
#define LG_FILE_RIGHTS(X)                \
	X(READ_FILE, 2, "read")          \
	X(WRITE_FILE, 1, "write")        \
	X(EXECUTE, 0, "exec")            \
	X(READ_DIR, 3, "read_dir")       \
	X(REMOVE_DIR, 4, "remove_dir")   \
	X(REMOVE_FILE, 5, "remove_file") \
	X(MAKE_CHAR, 6, "make_char")     \
	X(MAKE_DIR, 7, "make_dir")       \
	X(MAKE_REG, 8, "make_reg")       \
	X(MAKE_SOCK, 9, "make_sock")     \
	X(MAKE_FIFO, 10, "make_fifo")    \
	X(MAKE_BLOCK, 11, "make_block")  \
	X(MAKE_SYM, 12, "make_sym")      \
	X(REFER, 13, "refer")            \
	X(TRUNCATE, 14, "truncate")      \
	X(CHANGE_ATTR, 16, "change_attr")

/*
 * Network rights: socket_connect, socket_sendmsg, socket_create,
 * socket_setsockopt; BIND is what socket_bind asks for a local address
 * (and port), LISTEN what socket_listen asks for the address a socket
 * listens on.
 */
#define LG_NET_RIGHTS(X)               \
	X(CONNECT, 0, "connect")       \
	X(SEND, 1, "send")             \
	X(CREATE, 2, "create")         \
	X(SETSOCKOPT, 3, "setsockopt") \
	X(BIND, 4, "bind")             \
	X(LISTEN, 5, "listen")

/*
 * What an agent asked for on a hook of the SYS class: actions on the host,
 * on other processes and on livegrant itself. No rule grants these: the
 * confinement hooks decide them alone (docs/threat-model.md), and the right
 * only says in events what kind of action was refused.
 */
#define LG_SYS_RIGHTS(X)                 \
	X(BPF, 0, "bpf")                 \
	X(CAPABILITY, 1, "capability")   \
	X(SIGNAL, 2, "signal")           \
	X(PTRACE, 3, "ptrace")           \
	X(SCHEDULE, 4, "schedule")       \
	X(NAMESPACE, 5, "namespace")     \
	X(CGROUP, 6, "cgroup")           \
	X(MOUNT, 7, "mount")             \
	X(PERF, 8, "perf")               \
	X(KERNEL_LOAD, 9, "kernel_load") \
	X(CLOCK, 10, "clock")            \
	X(KEYRING, 11, "keyring")        \
	X(SYSLOG, 12, "syslog")          \
	X(QUOTA, 13, "quota")            \
	X(IPC, 14, "ipc")                \
	X(TTY, 15, "tty")

#define LG_RIGHT_ENUM_FILE(id, bit, name) LG_FILE_##id = 1u << (bit),
#define LG_RIGHT_ENUM_NET(id, bit, name) LG_NET_##id = 1u << (bit),
#define LG_RIGHT_ENUM_SYS(id, bit, name) LG_SYS_##id = 1u << (bit),
enum lg_file_access { LG_FILE_RIGHTS(LG_RIGHT_ENUM_FILE) };
enum lg_net_access { LG_NET_RIGHTS(LG_RIGHT_ENUM_NET) };
enum lg_sys_access { LG_SYS_RIGHTS(LG_RIGHT_ENUM_SYS) };
#undef LG_RIGHT_ENUM_FILE
#undef LG_RIGHT_ENUM_NET
#undef LG_RIGHT_ENUM_SYS

/* The space an access mask is in. */
enum lg_access_class {
	LG_CLASS_FILE = 0, /* enum lg_file_access bits */
	LG_CLASS_NET = 1, /* enum lg_net_access bits */
	LG_CLASS_SYS = 2, /* enum lg_sys_access bits: never granted by a rule */
	LG_CLASS_MAX,
};

/* What a read rule grants. */
#define LG_FILE_READ_RIGHTS (LG_FILE_READ_FILE | LG_FILE_READ_DIR)
/*
 * What a write rule grants: every right that changes a file or a directory's
 * entries, and reading (what an agent may write, it may read). Not the
 * device nodes (MAKE_CHAR, MAKE_BLOCK): a device node is a door to a driver,
 * not a file of the workspace, so no rule kind grants them yet.
 */
#define LG_FILE_WRITE_RIGHTS                                                                \
	(LG_FILE_READ_RIGHTS | LG_FILE_WRITE_FILE | LG_FILE_TRUNCATE | LG_FILE_REMOVE_DIR | \
	 LG_FILE_REMOVE_FILE | LG_FILE_MAKE_DIR | LG_FILE_MAKE_REG | LG_FILE_MAKE_SOCK |    \
	 LG_FILE_MAKE_FIFO | LG_FILE_MAKE_SYM | LG_FILE_REFER | LG_FILE_CHANGE_ATTR)
/*
 * What a readwrite rule grants: the content of the files it covers, read
 * and written (TRUNCATE with WRITE_FILE: open(O_TRUNC) already asks only
 * WRITE_FILE). Not the file's attributes or owner, not the entries of a
 * folder: for /dev/null and the like, which write would let an agent
 * chmod, chown, chattr or replace.
 */
#define LG_FILE_READWRITE_RIGHTS (LG_FILE_READ_RIGHTS | LG_FILE_WRITE_FILE | LG_FILE_TRUNCATE)
/* What a device rule grants: making device nodes, which write never does. */
#define LG_FILE_DEVICE_RIGHTS (LG_FILE_MAKE_CHAR | LG_FILE_MAKE_BLOCK)
/*
 * Not a right: set by userspace in lg_path_rule.exact of every proper
 * prefix of every rule path ("rules lie below this path"), so that the
 * kernel can refuse to move a directory to where rules below its new name
 * would cover what it holds (bpf/file_tree.bpf.c). No hook asks for it.
 */
#define LG_PATH_RULE_BELOW (1u << 31)
/*
 * What a connect rule grants: reaching the destination, and sending to it.
 * What a listen rule grants: binding the local address (or abstract unix
 * name) and listening on it. Each port range of lg_net_rules and each
 * lg_unix_rules entry carries the rights granted on it (a subset of
 * LG_NET_RULE_RIGHTS, which fits the __u8 of lg_unix_rules).
 */
#define LG_NET_CONNECT_RIGHTS (LG_NET_CONNECT | LG_NET_SEND)
#define LG_NET_LISTEN_RIGHTS (LG_NET_BIND | LG_NET_LISTEN)
#define LG_NET_RULE_RIGHTS (LG_NET_CONNECT_RIGHTS | LG_NET_LISTEN_RIGHTS)

/* Why an action was denied (or, in audit mode, would have been). */
enum lg_reason {
	LG_REASON_NONE = 0,
	LG_REASON_NO_GRANT = 1, /* agent has no live grant */
	LG_REASON_EXPIRED = 2, /* grant expiry passed (kernel clock) */
	LG_REASON_NOT_ALLOWED = 3, /* no rule of the grant covers it */
	LG_REASON_PATH_TOO_LONG = 4, /* path does not fit LG_PATH_MAX */
	LG_REASON_PATH_UNRESOLVED = 5, /* path not absolute or not resolvable */
	LG_REASON_BAD_ADDRESS = 6, /* socket address too short or malformed */
	LG_REASON_FAMILY = 7, /* address family agents may not use */
	LG_REASON_CGROUP_TOO_DEEP = 8, /* beyond LG_MAX_CGROUP_DEPTH */
	LG_REASON_INTERNAL = 9, /* scratch or map failure: fail closed */
	LG_REASON_PROTOCOL = 10, /* socket type or protocol without rules */
	LG_REASON_SOCKOPT = 11, /* socket option that reroutes packets */
	LG_REASON_SUSPENDED = 12, /* grant suspended after a domain crossing */
	LG_REASON_DOMAIN_CROSSING = 13, /* destination in another trust domain */
	LG_REASON_PATH_TOO_DEEP = 14, /* more than LG_PATH_MAX_COMPONENTS or mounts */
	LG_REASON_REFER_WIDENS = 15, /* link/rename would give a file new rights */
	LG_REASON_CONFINED = 16, /* an action no grant allows an agent */
	LG_REASON_OUT_OF_SCOPE = 17, /* target process outside the agent's cgroup */
	LG_REASON_NOT_CONTROL_SOCKET = 18, /* control path, but not livegrantd's socket */
	LG_REASON_MULTICAST = 19, /* joining a multicast group: no rule grants one */
	LG_REASON_PORT_SHARING = 20, /* SO_REUSEPORT: joining another socket's port */
	LG_REASON_MAX,
};

enum lg_mode {
	LG_MODE_ENFORCE = 0, /* deny with -EACCES and report */
	LG_MODE_AUDIT = 1, /* allow, but report what would be denied */
};

/* lg_event.walk_check */
enum lg_walk_check {
	LG_WALK_CHECK_NONE = 0, /* not compared */
	LG_WALK_CHECK_EQUAL = 1, /* the walk gave bpf_d_path()'s path */
	LG_WALK_CHECK_DIFFER = 2, /* it gave another path */
	LG_WALK_CHECK_FAILED = 3, /* it gave no path (and bpf_d_path() did) */
};

/* lg_event level and optname of a control buffer that cannot be walked. */
#define LG_CMSG_UNWALKABLE 0xffff

/* What the kernel did with a reported action. */
enum lg_action {
	LG_ACTION_DENIED = 0,
	LG_ACTION_AUDITED = 1,
};

/* Kind of lg_event.target. */
enum lg_target_kind {
	LG_TARGET_NONE = 0,
	LG_TARGET_PATH = 1, /* target: file path */
	LG_TARGET_INET = 2, /* addr + port; IPv4 as IPv4-mapped IPv6 */
	LG_TARGET_UNIX = 3, /* target: socket path, '@' first if abstract */
	LG_TARGET_SOCKET = 4, /* family, sock_type, protocol (in port) */
	LG_TARGET_SOCKOPT = 5, /* family, level (in sock_type), optname (in port) */
	LG_TARGET_CAPABILITY = 6, /* capability number (in port) */
	LG_TARGET_TASK = 7, /* target pid (in target_domain), target: its comm */
	LG_TARGET_OP = 8, /* the hook's operation (in target_domain), see hooks.h */
	/*
	 * A control message of a send is reported as LG_TARGET_SOCKOPT with
	 * its cmsg_level and cmsg_type; a control buffer that cannot be walked
	 * (malformed, or more than LG_MAX_CMSGS messages) as level and optname
	 * LG_CMSG_UNWALKABLE.
	 */
};

/*
 * Counter indexes, per hook: lg_counters[hook * LG_CTR_MAX + ctr]. The map
 * has room for LG_HOOK_CAPACITY hooks (hooks.h says why).
 */
enum lg_counter {
	LG_CTR_ALLOWED = 0, /* agent actions allowed */
	LG_CTR_DENIED = 1, /* agent actions denied */
	LG_CTR_AUDITED = 2, /* would-be denials allowed in audit mode */
	LG_CTR_EVENTS_LOST = 3, /* events the ring buffer had no room for */
	LG_CTR_CACHED = 4, /* of the allowed: decided by the verdict cache (ABI 7) */
	LG_CTR_EVENTS_SUPPRESSED = 5, /* events over the agent's budget (ABI 10) */
	LG_CTR_MAX,
};
#define LG_COUNTERS (LG_HOOK_CAPACITY * LG_CTR_MAX)

/**
 * struct lg_state - global settings, one element of the mmap-able lg_state
 * array. Userspace writes each field with a single aligned store, so the
 * programs never see a torn value.
 * @root_levels: bit N set when some agent root sits at cgroup level N. Zero
 *               means no roots: every process is a non-agent.
 * @hash_key0:   first half of the path hash's 128-bit key (path_hash.h);
 *               chosen at the first load and never changed while rules
 *               exist. Before ABI 8, the seed of a 64-bit FNV-1a.
 * @abi_version: LG_ABI_VERSION of the programs that own these maps.
 * @default_mode: enum lg_mode applied to agents without a live grant.
 * @control_cookie: socket cookie (SO_COOKIE) of livegrantd's listening
 *               control socket. The "every agent may connect" exception
 *               holds only for a connection whose peer is this socket; 0
 *               (none published) lets no connection through it.
 * @root_at:     per cgroup level, the cgroup id of the one root there; 0
 *               when the level holds several roots, or none: lg_roots
 *               decides then. Only sync_root_index() writes it, after every
 *               change of lg_roots: a root added to lg_roots alone, at a
 *               level whose entry names another root, would not be found. It spares every non-agent a hash lookup per hook
 *               (bpf/lib/agent.h): with one root per level the root search
 *               is one compare. Written before the level's bit in
 *               @root_levels is set, and recomputed from lg_roots on every
 *               change (userspace/lib/enforce/agents.c).
 * @name_epoch:  bumped by the programs on every link(), unlink() and rename() of any
 *               process: a file's names changed, so verdicts cached for it
 *               no longer hold (bpf/lib/verdict_cache.h).
 * @generation_seq: the last grant generation userspace handed out, to any
 *               agent: a generation comes back only after 2^32 installs
 *               (userspace/lib/enforce/grants.c).
 * @hash_key1:   second half of the path hash's key. Appended, as every
 *               field since ABI 5: a build reading another ABI's lg_state
 *               finds the old fields where they always were (pins.c).
 * @exec_root_levels: bit N set when a root at level N has
 *               LG_ROOT_F_FROM_EXEC (an agent pod): only then do the
 *               programs read the root's entry to tell a judged task from
 *               the container runtime's setup (bpf/lib/agent.h). Written
 *               with @root_levels by sync_root_index().
 */
struct lg_state {
	__u64 root_levels;
	__u64 hash_key0;
	__u32 abi_version;
	__u32 default_mode;
	__u64 control_cookie;
	__u64 root_at[LG_ROOT_LEVELS]; /* ABI 7 */
	__u64 name_epoch; /* ABI 7 */
	__u64 generation_seq; /* ABI 7 */
	__u64 hash_key1; /* ABI 8 */
	__u64 exec_root_levels; /* ABI 9 */
};

/*
 * lg_root.flags. LG_ROOT_F_FROM_EXEC (agent pods): a task below the root
 * is an agent from its first exec there on, or from its birth to a task
 * that is one, or from before the root was registered; a task that came
 * in from outside since and has not exec'd there (the container runtime's
 * setup) is not yet one. bpf/lib/agent.h, lg_task_judged(), says why.
 */
#define LG_ROOT_F_FROM_EXEC (1U << 0)

/*
 * Values of lg_task_marks (task storage): LG_TASK_JUDGED, the task is an
 * agent below its LG_ROOT_F_FROM_EXEC root whatever its start time.
 */
#define LG_TASK_JUDGED (1U << 0)

/**
 * struct lg_root - value of lg_roots, keyed by the cgroup id of an agent root.
 * @level:    the root's cgroup level (its depth below the cgroup2 mount).
 * @flags:    LG_ROOT_F_* (ABI 9; pad before).
 * @since_ns: CLOCK_BOOTTIME when the root was registered (ABI 9): a task
 *            that started before it is judged under LG_ROOT_F_FROM_EXEC.
 */
struct lg_root {
	__u32 level;
	__u32 flags;
	__u64 since_ns;
};

/**
 * struct lg_agent - value of lg_agents, keyed by the cgroup id of a
 * registered agent cgroup: its live grant header. Read and written only
 * under @lock (userspace uses BPF_F_LOCK), so a reader sees one grant whole.
 * @cgroup_id:  the key again: a reader that finds another id was handed an
 *              element being reused and must treat the agent as unknown.
 * @generation: rules of this grant carry this generation; 0 = no grant.
 * @expires_ns: CLOCK_BOOTTIME deadline; at or after it the grant denies.
 * @domain:     trust-domain id the grant was issued for.
 * @mode:       enum lg_mode.
 */
struct lg_agent {
	struct bpf_spin_lock lock;
	__u32 generation;
	__u64 cgroup_id;
	__u64 expires_ns;
	__u32 domain;
	__u8 mode;
	__u8 pad[3];
};

/*
 * LG_EVENT_SPILL - the lg_event_budgets key no agent has (cgroup ids start
 * at 1): the budget that agents share whose own entry could not be made
 * (the map full). Userspace creates it with the maps and never removes it.
 */
#define LG_EVENT_SPILL 0ULL
/*
 * LG_EVENT_RETIRED - lg_event_budget.agent of an entry whose agent is gone:
 * userspace marks it so (under the lock), reports it, and removes it one
 * sweep later, when no program can still hold it. A program that finds it
 * counts in the spill entry. No cgroup has this id.
 */
#define LG_EVENT_RETIRED (~0ULL)

/**
 * struct lg_event_budget - value of lg_event_budgets, keyed by the agent id
 * events name (lg_event.agent_cgroup_id): that agent's event budget and
 * what became of its events, since the entry was made. Made by the programs
 * at the agent's first event; retired, then removed, by userspace once the
 * id is neither a registered agent nor a root. Written under @lock only.
 * @agent:      the key again, or LG_EVENT_RETIRED: a program that finds
 *              another id holds a retired entry (or an element removed
 *              and reused), and counts in the spill entry instead.
 * @credit_ns:  budget left, as time: each event costs LG_EVENT_COST_NS, and
 *              the credit grows with CLOCK_BOOTTIME up to LG_EVENT_BURST
 *              events' worth.
 * @last_ns:    CLOCK_BOOTTIME of the last update of @credit_ns.
 * @sent:       events put on the ring buffer.
 * @suppressed: events over the budget: counted here, not sent.
 * @lost:       events within the budget the ring had no room for, or for
 *              which no scratch slot was free.
 * Every denial or audited would-be denial of the agent adds one to exactly
 * one of @sent, @suppressed and @lost.
 */
struct lg_event_budget {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 agent;
	__u64 credit_ns;
	__u64 last_ns;
	__u64 sent;
	__u64 suppressed;
	__u64 lost;
};

/**
 * struct lg_events_reported - value of lg_events_reported, same key as
 * lg_event_budgets: how much of the entry's @suppressed and @lost
 * livegrantd has already written as summaries. Written by userspace only,
 * and kept with the pins, so that a livegrantd that was killed and adopts
 * the maps neither repeats a summary nor leaves one out.
 */
struct lg_events_reported {
	__u64 suppressed;
	__u64 lost;
};

/**
 * struct lg_path_key - key of lg_path_rules.
 * @cgroup_id:  agent cgroup the rule belongs to.
 * @hash:       keyed 128-bit hash of the rule path (path_hash.h): lo, hi.
 * @generation: grant generation.
 * @len:        length of the rule path (no trailing '/', no NUL).
 *
 * The path itself is not stored: path_hash.h says why the keyed hash is
 * enough to name it (since ABI 8; before, the value held LG_PATH_MAX bytes
 * that were compared on every hit).
 */
struct lg_path_key {
	__u64 cgroup_id;
	__u64 hash[2];
	__u32 generation;
	__u32 len;
};

/**
 * struct lg_path_rule - value of lg_path_rules: what one path grants.
 * @cgroup_id, @generation: the key's owner again. A hash map may hand a
 *           reader an element that is being freed and reused; a reader that
 *           finds another owner here ignores the element.
 * @exact:   enum lg_file_access rights granted on exactly this path.
 * @subtree: enum lg_file_access rights granted on this path and below it.
 * @pad:     zero.
 */
struct lg_path_rule {
	__u64 cgroup_id;
	__u32 generation;
	__u32 exact;
	__u32 subtree;
	__u32 pad;
};

/**
 * struct lg_net_key - key of the lg_net_rules LPM trie.
 * @prefixlen:  LPM prefix length in bits over the fields that follow:
 *              96 (generation and cgroup_id always match in full) plus the
 *              prefix length of @addr (IPv4 as ::ffff:a.b.c.d, so IPv4 /n
 *              is 96 + n bits of @addr).
 */
struct lg_net_key {
	__u32 prefixlen;
	__u32 generation;
	__u64 cgroup_id;
	__u8 addr[16];
};
#define LG_NET_KEY_FIXED_BITS 96

/**
 * struct lg_port_range - inclusive port range, host byte order, and the
 * enum lg_net_access rights granted on it (connect rules and listen rules
 * of one prefix are separate ranges).
 */
struct lg_port_range {
	__u16 lo;
	__u16 hi;
	__u32 rights;
};

/**
 * struct lg_net_rule - value of lg_net_rules: ports allowed for the prefix,
 * each range with its rights. Userspace folds the ranges of every less
 * specific prefix of the same grant into each entry (merging only ranges
 * of equal rights), so the longest match alone decides, for every right.
 */
struct lg_net_rule {
	__u32 nranges;
	__u32 pad;
	struct lg_port_range ranges[LG_MAX_PORT_RANGES];
};

/**
 * struct lg_unix_key - key of lg_unix_rules, whose __u8 value is the
 * enum lg_net_access rights granted on the socket name. cgroup_id 0 and
 * generation 0 hold the global entries (the livegrant control socket) that
 * every agent may reach, with or without a grant.
 * @path: socket path, NUL padded. An abstract name keeps its leading NUL
 *        (so no pathname, which must start with '/', can ever equal it);
 *        events and rules write it with '@' instead.
 */
struct lg_unix_key {
	__u64 cgroup_id;
	__u32 generation;
	__u32 len;
	char path[LG_UNIX_PATH_MAX];
	__u8 pad[(8 - LG_UNIX_PATH_MAX % 8) % 8]; /* zero: part of the hash key */
};

/**
 * struct lg_domain_net_key - key of the lg_domain_nets LPM trie: a network
 * of a trust domain (IPv4 as ::ffff:a.b.c.d, prefixlen + 96).
 */
struct lg_domain_net_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* lg_domain_net.flags */
#define LG_DOMAIN_F_SUSPEND 1 /* a crossing into this domain suspends the grant */

/**
 * struct lg_domain_net - value of lg_domain_nets.
 * @domain: the trust-domain id the network belongs to.
 * @flags:  LG_DOMAIN_F_* of that domain.
 */
struct lg_domain_net {
	__u32 domain;
	__u32 flags;
};

/**
 * struct lg_event - one denial, or a would-be denial in audit mode, on the
 * lg_events ring buffer. Only the first LG_EVENT_HEADER_SIZE + target_len
 * bytes are sent.
 * @time_ns:        CLOCK_BOOTTIME of the decision.
 * @cgroup_id:      cgroup of the process.
 * @agent_cgroup_id: the agent cgroup (nearest registered one, or the root).
 * @pid, @tgid:     thread id and process id (kernel view, init pid ns).
 * @uid, @gid:      real ids of the process.
 * @domain:         trust domain of the grant, 0 without one.
 * @generation:     grant generation, 0 without one.
 * @access:         rights asked for, in the class of @hook
 *                  (enum lg_file_access or enum lg_net_access bits).
 * @hook, @reason, @action: enum lg_hook, enum lg_reason, enum lg_action.
 * @target_kind:    enum lg_target_kind.
 * @family:         address family for socket hooks.
 * @port:           destination port (host byte order) for LG_TARGET_INET;
 *                  protocol for LG_TARGET_SOCKET; optname for
 *                  LG_TARGET_SOCKOPT.
 * @sock_type:      socket type for LG_TARGET_SOCKET; option level for
 *                  LG_TARGET_SOCKOPT.
 * @walk_check:     enum lg_walk_check: on a file_open denial, whether
 *                  livegrant's own path walk (bpf/lib/path_walk.h) gave the
 *                  same path as bpf_d_path() (a self-test of the walk).
 * @addr:           destination address for LG_TARGET_INET.
 * @target_len:     bytes of @target used, without NUL.
 * @comm:           task comm.
 * @target_domain:  for LG_REASON_DOMAIN_CROSSING, the destination's domain;
 *                  for LG_TARGET_TASK the target's pid; for LG_TARGET_OP
 *                  the operation (enum lg_target_kind).
 * @target:         path for LG_TARGET_PATH and LG_TARGET_UNIX.
 */
struct lg_event {
	__u64 time_ns;
	__u64 cgroup_id;
	__u64 agent_cgroup_id;
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 gid;
	__u32 domain;
	__u32 generation;
	__u32 access;
	__u8 hook;
	__u8 reason;
	__u8 action;
	__u8 target_kind;
	__u16 family;
	__u16 port;
	__u16 sock_type;
	__u16 walk_check;
	__u32 target_len;
	__u32 target_domain;
	__u8 addr[16];
	char comm[16];
	char target[LG_PATH_MAX]; /* at offset 104: LG_EVENT_HEADER_SIZE */
};
#define LG_EVENT_HEADER_SIZE (sizeof(struct lg_event) - LG_PATH_MAX)

/*
 * Layout checks: both compilers see these, so a field moved by accident or
 * padding the compiler adds fails the build. Each size is the sum of the
 * struct's fields: a struct whose size differs has implicit padding, which
 * in a hash or LPM key would be hashed uninitialised.
 */
_Static_assert(sizeof(struct lg_state) == 8 + 8 + 4 + 4 + 8 + 8 * LG_ROOT_LEVELS + 8 + 8 + 8 + 8,
	       "lg_state has implicit padding");
_Static_assert(sizeof(struct lg_root) == 4 + 4 + 8, "lg_root has implicit padding");
_Static_assert(sizeof(struct lg_agent) == 4 + 4 + 8 + 8 + 4 + 1 + 3,
	       "lg_agent has implicit padding");
_Static_assert(__builtin_offsetof(struct lg_agent, expires_ns) == 16,
	       "lg_agent layout is relied on by builds of other ABI versions (loader.c)");
_Static_assert(sizeof(struct lg_event_budget) == 4 + 4 + 6 * 8,
	       "lg_event_budget has implicit padding");
_Static_assert(sizeof(struct lg_events_reported) == 2 * 8,
	       "lg_events_reported has implicit padding");
_Static_assert(sizeof(struct lg_path_key) == 8 + 16 + 4 + 4, "lg_path_key has implicit padding");
_Static_assert(sizeof(struct lg_net_key) == 4 + 4 + 8 + 16, "lg_net_key has implicit padding");
_Static_assert(LG_NET_KEY_FIXED_BITS == 8 * (4 + 8),
	       "the LPM prefix covers generation and cgroup_id in full");
_Static_assert(sizeof(struct lg_port_range) == 2 + 2 + 4, "lg_port_range has implicit padding");
_Static_assert(sizeof(struct lg_net_rule) == 4 + 4 + 8 * LG_MAX_PORT_RANGES,
	       "lg_net_rule has implicit padding");
_Static_assert(sizeof(struct lg_unix_key) % 8 == 0 &&
		       sizeof(struct lg_unix_key) ==
			       8 + 4 + 4 + LG_UNIX_PATH_MAX + (8 - LG_UNIX_PATH_MAX % 8) % 8,
	       "lg_unix_key has implicit padding");
_Static_assert(LG_NET_RULE_RIGHTS <= 0xff, "lg_unix_rules values are __u8 rights");
_Static_assert(sizeof(struct lg_domain_net_key) == 4 + 16,
	       "lg_domain_net_key has implicit padding");
_Static_assert(sizeof(struct lg_domain_net) == 4 + 4, "lg_domain_net has implicit padding");
_Static_assert(sizeof(struct lg_path_rule) == 8 + 4 + 4 + 4 + 4,
	       "lg_path_rule has implicit padding");
_Static_assert(LG_EVENT_HEADER_SIZE == 104,
	       "lg_event header size changed: update this check and bump LG_ABI_VERSION");
_Static_assert(__builtin_offsetof(struct lg_event, target) == LG_EVENT_HEADER_SIZE,
	       "lg_event.target must follow the header");

#endif /* LIVEGRANT_ABI_H */
