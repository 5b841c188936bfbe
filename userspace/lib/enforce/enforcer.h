/* SPDX-License-Identifier: GPL-2.0 */
/* enforcer.h - the library's private view of a loaded or adopted enforcer. */
#ifndef LG_ENFORCER_H
#define LG_ENFORCER_H

#include <limits.h>

#include "livegrant.h"
#include "pins.h"

/* Maps userspace uses. The scratch map stays private to the programs. */
enum lg_map_idx {
	LG_MAP_STATE,
	LG_MAP_ROOTS,
	LG_MAP_AGENTS,
	LG_MAP_PATH_RULES,
	LG_MAP_NET_RULES,
	LG_MAP_UNIX_RULES,
	LG_MAP_EVENTS,
	LG_MAP_COUNTERS,
	LG_MAP_DOMAIN_NETS,
	LG_MAP_SUSPENDED,
	LG_MAP_EVENT_BUDGETS,
	LG_MAP_EVENTS_REPORTED,
	LG_MAP_MAX,
};

struct livegrant_bpf;

/**
 * struct lg_enforcer - one build's programs and the maps they use.
 * @skel:     the BPF object; loaded unless the pins were adopted as they are.
 * @start:    how this enforcer came to be (enum lg_start).
 * @pin_dir:  where sets are pinned; empty: nothing is pinned (tests).
 * @prev:     the newest complete set found at open (@have_prev).
 * @prev_agents_fd, @prev_suspended_fd: lg_agents and lg_suspended of
 *            @prev (when their layout is ours): its grants are kept alive
 *            while this build loads and attaches (lg_bridge_grant_extend()), and what it
 *            suspended or recorded is carried over (lg_prev_agent_state(),
 *            lg_prev_events_drain()).
 * @prev_events_fd: after a replacing commit, the old set's event ring, so
 *            that what it recorded during the switch is still read.
 * @seq:      the sequence number of this build's set, once committed.
 * @hooks_missing:  hooks this kernel lacks: not enforced.
 * @hooks_attached: hooks whose program is attached.
 */
struct lg_rule_index;

struct lg_enforcer {
	struct livegrant_bpf *skel;
	int fds[LG_MAP_MAX];
	struct lg_state *state; /* mmap of lg_state[0] */
	enum lg_start start;
	bool committed;
	bool retire_pending; /* other sets still to be removed (lg_enforcer_tidy()) */
	char pin_dir[PATH_MAX];
	bool have_prev;
	struct lg_pinset prev;
	int prev_agents_fd;
	int prev_suspended_fd; /* lg_suspended of @prev, same layout */
	int prev_events_fd; /* lg_events of a replaced set, until drained */
	uint64_t seq;
	struct lg_hook_set hooks_missing, hooks_attached;
	void (*bridge)(struct lg_enforcer *e, void *ctx); /* opts->bridge: load and attach */
	void *bridge_ctx;
	unsigned int bridge_interval_ms;
	int sync_outer, sync_inner; /* see lg_wait_for_readers() */
	struct lg_rule_index *rules; /* rule_index.h; built at first use */
};

/*
 * Wait until no BPF program still runs with what it read before this call
 * (an RCU grace period), so that rule entries a program may have found can
 * be deleted.
 */
int lg_wait_for_readers(struct lg_enforcer *e);

/*
 * loader.c, for the benchmark (tests/bench/): the loaded BPF object (NULL
 * when the pins were adopted as they are), and detaching every program of
 * this build or attaching them again, so that "nothing attached" can be
 * timed between rounds. Never used by livegrantd: a detached enforcer
 * enforces nothing.
 */
struct bpf_object *lg_enforcer_object(struct lg_enforcer *e);
int lg_enforcer_set_attached(struct lg_enforcer *e, bool attached);

/* loader.c: close what is still open of the set found at open. */
void close_prev_maps(struct lg_enforcer *e);

/* event_budgets.c: make the spill entry every agent can fall back on. */
int lg_event_budgets_init(struct lg_enforcer *e);

/* grants.c: write the expiry of @id's live grant in the agents map @fd. */
int lg_grant_extend_fd(int fd, uint64_t id, uint64_t expires_ns);

#endif /* LG_ENFORCER_H */
