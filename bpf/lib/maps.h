/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/maps.h - the maps every hook shares. Each hook's object includes
 * this file; the definitions are __weak so that `bpftool gen object` links
 * them into one map each. Userspace pins them all (userspace/lib/loader.c).
 */
#ifndef LG_BPF_MAPS_H
#define LG_BPF_MAPS_H

#include "common.h"
#include "scratch_types.h"

/* Global settings; mmap-able so userspace updates fields with plain stores. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_state);
} lg_state SEC(".maps") __weak;

/* Agent cgroup roots: every process at or below one is an agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_ROOTS);
	__type(key, __u64);
	__type(value, struct lg_root);
} lg_roots SEC(".maps") __weak;

/*
 * Tasks below an agent pod's root that are agents whatever their start
 * time (LG_TASK_JUDGED): marked at their first exec there and at their
 * birth to such a task (bpf/lib/agent.h). Task storage goes with the task.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} lg_task_marks SEC(".maps") __weak;

/* Registered agent cgroups and their live grant header. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_AGENTS);
	__type(key, __u64);
	__type(value, struct lg_agent);
} lg_agents SEC(".maps") __weak;

/* Path rules of every grant: memory as grants use it, so no preallocation. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LG_PATH_RULE_ENTRIES);
	__type(key, struct lg_path_key);
	__type(value, struct lg_path_rule);
} lg_path_rules SEC(".maps") __weak;

/* Network prefixes of every grant (LPM tries require BPF_F_NO_PREALLOC). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LG_NET_RULE_ENTRIES);
	__type(key, struct lg_net_key);
	__type(value, struct lg_net_rule);
} lg_net_rules SEC(".maps") __weak;

/* AF_UNIX socket paths of every grant, and the global control socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_UNIX_RULE_ENTRIES);
	__type(key, struct lg_unix_key);
	__type(value, __u8);
} lg_unix_rules SEC(".maps") __weak;

/* Networks of the trust domains: which domain a destination belongs to. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LG_MAX_DOMAIN_NETS);
	__type(key, struct lg_domain_net_key);
	__type(value, struct lg_domain_net);
} lg_domain_nets SEC(".maps") __weak;

/*
 * Grants suspended by a crossing: agent cgroup -> suspended generation.
 * Written by the programs themselves, so suspension takes effect with the
 * denied crossing; a new grant (a new generation) is not suspended.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_AGENTS);
	__type(key, __u64);
	__type(value, __u32);
} lg_suspended SEC(".maps") __weak;

/**
 * struct lg_sk_peer - what an agent's unix socket last connect()ed to, kept
 * with the socket (lg_sk_control: local storage of the socket's sockfs
 * inode, which every hook can reach as a typed pointer, file_permission
 * included, where the socket itself is only an untyped private_data).
 * @control: only the control socket exception let it through:
 *           lg_unix_connect() then lets the connection be made only to
 *           livegrantd's own listening socket (lg_state.control_cookie),
 *           whatever is bound at the path, and sends are not re-checked.
 * @salen:   bytes of @sa the connect named.
 * @sa:      the sockaddr_un the connect named: every later send without an
 *           address is checked as a connect to it, against the grant of
 *           that moment (net.bpf.c).
 */
struct lg_sk_peer {
	__u8 control;
	__u8 pad;
	__u16 salen;
	char sa[LG_SUN_SA_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lg_sk_peer);
} lg_sk_control SEC(".maps") __weak;

/**
 * struct lg_verdict_key - what a cached verdict must match (verdict_cache.h).
 * @agent, @generation: whose grant, which grant.
 * @dentry, @mnt, @root_dentry, @root_mnt: the path opened, and the root it
 *            was resolved against (the opener's fs root).
 * @name_epoch: lg_state.name_epoch then: any link(), unlink() or rename()
 *            since bumps it.
 * @rename_seq, @mount_seq: the kernel's rename_lock and mount_lock
 *            sequences then: any rename or mount change anywhere since
 *            bumps them.
 */
struct lg_verdict_key {
	__u64 agent;
	__u64 dentry;
	__u64 mnt;
	__u64 root_dentry;
	__u64 root_mnt;
	__u64 name_epoch;
	__u32 generation;
	__u32 rename_seq;
	__u32 mount_seq;
	__u32 pad; /* zero: the key is copied whole */
};

/**
 * struct lg_verdict - what verdict_cache.h remembers of a file: the last
 * allowed open by an agent, and everything its path was built from. Read
 * and written under @lock, so no reader sees half of one verdict.
 * @granted: the rights that open asked for, all granted.
 * @key:     what a later open must match for @granted to hold.
 */
struct lg_verdict {
	struct bpf_spin_lock lock;
	__u32 granted;
	struct lg_verdict_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lg_verdict);
} lg_verdicts SEC(".maps") __weak;

/* Denials and audited would-be denials, to userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LG_EVENTS_RING_BYTES);
} lg_events SEC(".maps") __weak;

/*
 * Each agent's event budget and the fate of its events (report.h). Not
 * preallocated: entries are made at an agent's first event, and hold a
 * spin lock (kept out of the way of element reuse by @agent, abi.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LG_EVENT_BUDGETS);
	__type(key, __u64);
	__type(value, struct lg_event_budget);
} lg_event_budgets SEC(".maps") __weak;

/*
 * What livegrantd has reported of each budget's counts. No program uses
 * it; it is pinned with the set so that a restarted livegrantd knows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LG_EVENT_BUDGETS);
	__type(key, __u64);
	__type(value, struct lg_events_reported);
} lg_events_reported SEC(".maps") __weak;

/* enum lg_counter per hook, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} lg_counters SEC(".maps") __weak;

/* Per-CPU scratch slots (see scratch.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct lg_scratch);
} lg_scratch SEC(".maps") __weak;

#endif /* LG_BPF_MAPS_H */
