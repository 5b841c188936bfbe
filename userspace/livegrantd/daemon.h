/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h - livegrantd's state: the configuration, the enforcer, the trust
 * bundles, the agent roots, the agent records and the revoked token ids.
 * What is done with it is declared by each concern's own header.
 */
#ifndef LGD_DAEMON_H
#define LGD_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent_table.h"
#include "config.h"
#include "denial_log.h"
#include "kube_agents.h"
#include "livegrant.h"
#include "metrics.h"
#include "revocations.h"
#include "state_saver.h"
#include "token.h"
#include "trust_bundles.h"
#include "policy.h"

/* Where the cgroup v2 hierarchy is mounted in livegrantd's view. */
#define LGD_CGROUP_MOUNT "/sys/fs/cgroup"
#define LGD_SOCKET_NAME "livegrant.sock"
/* Admins' own socket, beside it (control.c): root only, served first. */
#define LGD_ADMIN_SOCKET_NAME "livegrant-admin.sock"
#define LGD_STATE_NAME "state.json"
#define LGD_LOCK_NAME "livegrantd.lock"

struct lgd {
	struct lg_config *cfg;
	struct lg_enforcer *e;
	struct lgd_bundles bundles; /* per cfg->domains[i] (trust_bundles.h) */
	struct lgd_agents agents;
	struct lgd_revocations revoked;
	char **roots; /* realpath of each cfg->agent_cgroups entry */
	size_t nroots;
	char socket_path[PATH_MAX];
	char admin_socket_path[PATH_MAX];
	char state_path[PATH_MAX];
	struct lgd_denial_log log;
	struct lgd_saver saver; /* when the state file is written (state_saver.h) */
	struct lgd_metrics metrics; /* all zero while metrics are off */
	int lock_fd; /* holds the flock on <state_dir>/livegrantd.lock */
	struct lgd_protected protected; /* livegrant's own files: no rule may reach them */
	struct lgd_kube kube; /* agent pods (kube_agents.h), when configured */
	struct {
		bool running, wrapped, changed;
		uint64_t seq; /* the pass: lgd_agent.refresh_seq of the records it did */
		uint64_t start_ns; /* CLOCK_MONOTONIC at its start */
		size_t cursor;
	} refresh; /* the refresh pass in slices (upkeep.h) */
};

/* Everything main's epoll loop waits on starts with its kind. */
enum lgd_src_kind {
	LGD_SRC_LISTEN,
	LGD_SRC_CONN,
	LGD_SRC_ADMIN_LISTEN, /* the admin socket, and its connections: */
	LGD_SRC_ADMIN_CONN, /* never deferred by the loop's control budget */
	LGD_SRC_EVENTS,
	LGD_SRC_REFRESH,
	LGD_SRC_TICK,
	LGD_SRC_SIGNAL,
	LGD_SRC_METRICS,
	LGD_SRC_SAVED,
	LGD_SRC_KUBELET,
	LGD_SRC_BUNDLES,
};

struct lgd_src {
	enum lgd_src_kind kind;
	int fd;
};

#endif /* LGD_DAEMON_H */
