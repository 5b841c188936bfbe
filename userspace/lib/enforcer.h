/* SPDX-License-Identifier: GPL-2.0 */
/* enforcer.h - the library's private view of a loaded or adopted enforcer. */
#ifndef LG_ENFORCER_H
#define LG_ENFORCER_H

#include "livegrant.h"

/* Maps userspace uses, in pin order. The scratch map stays private. */
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
	LG_MAP_MAX,
};

struct livegrant_bpf;

struct lg_enforcer {
	struct livegrant_bpf *skel; /* NULL when adopted from pins */
	int fds[LG_MAP_MAX];
	struct lg_state *state; /* mmap of lg_state[0] */
	bool adopted;
	bool replaced; /* pins of another version were replaced */
	int sync_outer, sync_inner; /* see lg_wait_for_readers() */
};

/*
 * Wait until no BPF program still runs with what it read before this call
 * (an RCU grace period), so that rule entries a program may have found can
 * be deleted.
 */
int lg_wait_for_readers(struct lg_enforcer *e);

#endif /* LG_ENFORCER_H */
