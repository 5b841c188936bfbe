/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h - livegrantd's state: the configuration, the enforcer, the trust
 * bundles, and one record per agent cgroup that presented a token.
 */
#ifndef LGD_DAEMON_H
#define LGD_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "attest.h"
#include "denial_log.h"
#include "config.h"
#include "livegrant.h"
#include "metrics.h"
#include "token.h"

/* Where the cgroup v2 hierarchy is mounted in livegrantd's view. */
#define LGD_CGROUP_MOUNT "/sys/fs/cgroup"
#define LGD_SOCKET_NAME "livegrant.sock"
#define LGD_STATE_NAME "state.json"

/* Agent states, as the CLI shows them. */
enum lgd_agent_state {
	LGD_ACTIVE, /* live grant in the kernel */
	LGD_EXPIRED, /* token expired: grant removed */
	LGD_REVOKED, /* revoked by an admin: grant removed */
	LGD_LAPSED, /* re-attestation failed: grant removed (see reason) */
	LGD_REAUTH_REQUIRED, /* tried to cross into another domain: needs a token for it */
};

/**
 * struct lgd_agent - an agent cgroup that presented a token.
 * @cgroup:    the agent cgroup (a direct child of an agent root).
 * @token:     the compact token in force (kept to re-verify at refresh and
 *             after a restart).
 * @sub, @jti, @task: from the token.
 * @domain:    the domain the token was verified for.
 * @exp:       the token's expiry, seconds since the epoch.
 * @generation: the grant generation in the kernel.
 * @reason:    why the agent is not active.
 */
struct lgd_agent {
	char cgroup[PATH_MAX];
	uint64_t cgroup_id;
	char *token;
	char *sub, *jti, *task;
	const struct lg_domain_config *domain;
	int64_t exp;
	uint32_t generation;
	enum lgd_agent_state state;
	char reason[128];
	uint64_t kernel_expires_ns;
	const struct lg_domain_config *reauth_domain; /* REAUTH_REQUIRED: the target */
	bool suspended; /* the crossing suspended the grant in the kernel */
	uint64_t crossing_ns; /* CLOCK_BOOTTIME of the crossing */
};

struct lgd_revoked {
	char *jti;
	int64_t exp;
};

struct lgd {
	struct lg_config *cfg;
	struct lg_enforcer *e;
	struct lg_trust_bundle **bundles; /* per cfg->domains[i] */
	struct lgd_agent *agents;
	size_t nagents, capagents;
	struct lgd_revoked *revoked;
	size_t nrevoked, caprevoked;
	char **roots; /* realpath of each cfg->agent_cgroups entry */
	size_t nroots;
	char socket_path[PATH_MAX];
	char state_path[PATH_MAX];
	struct lgd_denial_log log;
	bool save_pending; /* a save is due (or the last failed): done after each loop pass */
	struct lgd_metrics metrics; /* all zero while metrics are off */
};

const char *lgd_state_name(enum lgd_agent_state s);
struct lgd_agent *lgd_agent_by_cgroup_id(struct lgd *d, uint64_t id);
/* Does the agent hold a grant in the kernel (active or awaiting re-auth)? */
bool lgd_agent_live(const struct lgd_agent *a);

/* agents.c: the decisions. Each fills @resp ({"ok":...}) for the caller. */
int lgd_present(struct lgd *d, struct lgd_peer *peer, const char *token, json_t *resp);
int lgd_revoke(struct lgd *d, const char *target, json_t *resp);
json_t *lgd_agents_json(struct lgd *d);
/* livegrant_agents by state: the records, and agent cgroups without one (no_grant). */
void lgd_agents_metrics(struct lgd *d, struct lgd_metrics *m);
/* The live rules of one agent and where each came from (token or baseline). */
int lgd_grants_json(struct lgd *d, const char *target, json_t *resp);
/* Re-attest every agent and extend or remove its grant. */
void lgd_refresh(struct lgd *d);
/* After start: bring saved agents back into the kernel, drop strangers. */
int lgd_restore(struct lgd *d);
/* Is @cgroup at or below a configured agent root? */
bool lgd_under_root(const struct lgd *d, const char *cgroup);

/* policy.c: a domain's require_claims and ceiling on a verified token. */
int lgd_domain_policy(const struct lg_domain_config *dom, const struct lg_token *t,
		      const char **reason);
/* A denial event: turn a domain crossing into agent state. */
void lgd_on_crossing(struct lgd *d, const struct lg_event *ev);
/* Load the domains' networks into the kernel. */
int lgd_load_domains(struct lgd *d);

/* state.c: persistence in <state_dir>/state.json. */
int lgd_state_save(struct lgd *d);
int lgd_state_load(struct lgd *d);
bool lgd_is_revoked(struct lgd *d, const char *jti);
int lgd_add_revoked(struct lgd *d, const char *jti, int64_t exp);
void lgd_agent_clear(struct lgd_agent *a);
/* A new, zeroed record for agent cgroup @cgroup (@id); NULL without memory. */
struct lgd_agent *lgd_agent_new(struct lgd *d, const char *cgroup, uint64_t id);

/* Everything main's epoll loop waits on starts with its kind. */
enum lgd_src_kind {
	LGD_SRC_LISTEN,
	LGD_SRC_CONN,
	LGD_SRC_EVENTS,
	LGD_SRC_REFRESH,
	LGD_SRC_TICK,
	LGD_SRC_SIGNAL,
	LGD_SRC_METRICS,
};

struct lgd_src {
	enum lgd_src_kind kind;
	int fd;
};

/* control.c: the control socket (docs/livegrantd.md has the protocol). */
int lgd_control_open(struct lgd *d, int epfd);
/* Handle readiness of the listener or of a connection (@src). */
void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src);
/* Close connections that did not finish their request in time. */
void lgd_control_sweep(int epfd);
void lgd_control_close(int epfd);

/* events_log.c: denial events as JSON lines on stdout. */
int lgd_print_event(void *ctx, const struct lg_event *ev);

#endif /* LGD_DAEMON_H */
