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

#define LG_ABI_VERSION 4

/* Access bits: what an action asks for, and what a rule grants. */
enum lg_access {
	LG_ACCESS_READ = 1 << 0,
	LG_ACCESS_WRITE = 1 << 1,
	LG_ACCESS_EXEC = 1 << 2,
	LG_ACCESS_CONNECT = 1 << 3, /* connect() */
	LG_ACCESS_SEND = 1 << 4, /* datagram send to an explicit address */
	LG_ACCESS_CREATE = 1 << 5, /* socket creation */
	LG_ACCESS_SETOPT = 1 << 6, /* socket option */
};

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
	LG_REASON_MAX,
};

enum lg_mode {
	LG_MODE_ENFORCE = 0, /* deny with -EACCES and report */
	LG_MODE_AUDIT = 1, /* allow, but report what would be denied */
};

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
	LG_CTR_MAX,
};
#define LG_COUNTERS (LG_HOOK_CAPACITY * LG_CTR_MAX)

/**
 * struct lg_state - global settings, one element of the mmap-able lg_state
 * array. Userspace writes each field with a single aligned store, so the
 * programs never see a torn value.
 * @root_levels: bit N set when some agent root sits at cgroup level N. Zero
 *               means no roots: every process is a non-agent.
 * @hash_seed:   seed of the path hash (see path_hash.h); chosen at the first
 *               load and never changed while rules exist.
 * @abi_version: LG_ABI_VERSION of the programs that own these maps.
 * @default_mode: enum lg_mode applied to agents without a live grant.
 */
struct lg_state {
	__u64 root_levels;
	__u64 hash_seed;
	__u32 abi_version;
	__u32 default_mode;
};

/**
 * struct lg_root - value of lg_roots, keyed by the cgroup id of an agent root.
 * @level: the root's cgroup level (its depth below the cgroup2 mount).
 */
struct lg_root {
	__u32 level;
	__u32 pad;
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

/**
 * struct lg_path_key - key of lg_path_rules.
 * @cgroup_id:  agent cgroup the rule belongs to.
 * @hash:       path hash of the rule path (path_hash.h).
 * @generation: grant generation.
 * @len:        length of the rule path (no trailing '/', no NUL).
 *
 * The hash only finds the candidate: the kernel compares @path of the value
 * byte for byte before it grants anything, so a collision cannot allow.
 */
struct lg_path_key {
	__u64 cgroup_id;
	__u64 hash;
	__u32 generation;
	__u32 len;
};

/**
 * struct lg_path_rule - value of lg_path_rules: what one path grants.
 * @cgroup_id, @generation: the key's owner again. A hash map may hand a
 *           reader an element that is being freed and reused; a reader that
 *           finds another owner here ignores the element.
 * @exact:   access granted on exactly this path.
 * @subtree: access granted on this path and everything below it.
 * @len:     length of @path.
 * @path:    the rule path, NUL padded to a multiple of 8 bytes.
 */
struct lg_path_rule {
	__u64 cgroup_id;
	__u32 generation;
	__u32 len;
	__u8 exact;
	__u8 subtree;
	__u16 pad;
	__u32 pad2; /* keeps @path 8-byte aligned for the word compare */
	char path[LG_PATH_MAX];
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

/** struct lg_port_range - inclusive port range, host byte order. */
struct lg_port_range {
	__u16 lo;
	__u16 hi;
};

/**
 * struct lg_net_rule - value of lg_net_rules: ports allowed for the prefix.
 * Userspace folds the ranges of every less specific prefix of the same
 * grant into each entry, so the longest match alone decides.
 */
struct lg_net_rule {
	__u32 nranges;
	__u32 pad;
	struct lg_port_range ranges[LG_MAX_PORT_RANGES];
};

/**
 * struct lg_unix_key - key of lg_unix_rules. cgroup_id 0 and generation 0
 * hold the global entries (the livegrant control socket) that every agent
 * may reach, with or without a grant.
 * @path: socket path, NUL padded. An abstract name keeps its leading NUL
 *        (so no pathname, which must start with '/', can ever equal it);
 *        events and rules write it with '@' instead.
 */
struct lg_unix_key {
	__u64 cgroup_id;
	__u32 generation;
	__u32 len;
	char path[LG_UNIX_PATH_MAX];
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
 * @hook, @access, @reason, @action: enum lg_hook, lg_access bits,
 *                  enum lg_reason, enum lg_action.
 * @target_kind:    enum lg_target_kind.
 * @family:         address family for socket hooks.
 * @port:           destination port (host byte order) for LG_TARGET_INET;
 *                  protocol for LG_TARGET_SOCKET; optname for
 *                  LG_TARGET_SOCKOPT.
 * @sock_type:      socket type for LG_TARGET_SOCKET; option level for
 *                  LG_TARGET_SOCKOPT.
 * @addr:           destination address for LG_TARGET_INET.
 * @target_len:     bytes of @target used, without NUL.
 * @comm:           task comm.
 * @target_domain:  for LG_REASON_DOMAIN_CROSSING, the destination's domain.
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
	__u8 hook;
	__u8 access;
	__u8 reason;
	__u8 action;
	__u8 target_kind;
	__u8 pad;
	__u16 family;
	__u16 port;
	__u16 sock_type;
	__u32 target_len;
	__u8 addr[16];
	char comm[16];
	__u32 target_domain;
	__u32 pad3;
	char target[LG_PATH_MAX];
};
#define LG_EVENT_HEADER_SIZE (sizeof(struct lg_event) - LG_PATH_MAX)

#endif /* LIVEGRANT_ABI_H */
