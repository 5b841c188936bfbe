/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent_table.h - livegrantd's records of agent cgroups that presented a
 * token: what each holds and in which state it is. Only the records: what
 * to decide about them lives in admission.c and upkeep.c.
 */
#ifndef LGD_AGENT_TABLE_H
#define LGD_AGENT_TABLE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "token.h"

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
 *             after a restart): a shared text (lgd_text_dup()), so that a
 *             state save in flight can hold it while the record moves on.
 * @sub, @jti, @task: from the token.
 * @domain:    the domain the token was verified for.
 * @times:     the token's exp (seconds since the epoch), nbf and iat.
 * @generation: the grant generation in the kernel.
 * @reason:    why the agent is not active.
 */
struct lgd_agent {
	char cgroup[PATH_MAX];
	uint64_t cgroup_id;
	char *token;
	char *sub, *jti, *task;
	const struct lg_domain_config *domain;
	struct lg_token_times times;
	uint32_t generation;
	enum lgd_agent_state state;
	char reason[128];
	uint64_t kernel_expires_ns;
	const struct lg_domain_config *reauth_domain; /* REAUTH_REQUIRED: the target */
	bool suspended; /* the crossing suspended the grant in the kernel */
	uint64_t crossing_ns; /* CLOCK_BOOTTIME of the crossing */
	uint64_t refresh_seq; /* the refresh pass that last refreshed it (upkeep.c) */
	/*
	 * The generation of the bundle @token was verified with in full
	 * (every check of lg_token_verify()) since it came, or 0: a refresh
	 * under that same generation only checks @times again (admission.c).
	 */
	uint64_t verified_gen;
	/*
	 * @times.exp on CLOCK_BOOTTIME, converted once when this livegrantd
	 * admitted @token: the kernel expiry never passes it, whatever the
	 * wall clock does since (admission.c). 0: not yet.
	 */
	uint64_t exp_boot_ns;
};

/*
 * The records, in no particular order: dropping one moves the last into its
 * slot. Cgroup ids are unique among them, and @slots finds a record by its
 * id without a scan: every kernel event and every presentation looks one
 * up, and at 10,000 agents a scan of the records costs as much as the rest
 * of a lookup's work together.
 */
struct lgd_agents {
	struct lgd_agent *v;
	size_t n, cap;
	uint32_t *slots; /* open addressing on cgroup_id: index + 1, 0 when free */
	size_t nslots; /* a power of two, at least twice @n; 0 before the first record */
};

const char *lgd_state_name(enum lgd_agent_state s);
/* Does the agent hold a grant in the kernel (active or awaiting re-auth)? */
bool lgd_agent_live(const struct lgd_agent *a);
/* Is @target the agent's token sub or jti, its cgroup path or the cgroup's name? */
bool lgd_agent_matches(const struct lgd_agent *a, const char *target);

/*
 * A new, zeroed record for agent cgroup @cgroup (@id); NULL without memory,
 * or if a record of @id exists (errno EEXIST).
 */
struct lgd_agent *lgd_agent_new(struct lgd_agents *t, const char *cgroup, uint64_t id);
struct lgd_agent *lgd_agent_by_cgroup_id(struct lgd_agents *t, uint64_t id);
struct lgd_agent *lgd_agent_by_cgroup(struct lgd_agents *t, const char *cgroup);
/* The first record lgd_agent_matches() @target, or NULL. */
struct lgd_agent *lgd_agent_by_target(struct lgd_agents *t, const char *target);
/* Forget @a (a record of @t); pointers to the last record are invalid after. */
void lgd_agent_drop(struct lgd_agents *t, struct lgd_agent *a);
/* Free what @a owns (the token and its claims), not the record itself. */
void lgd_agent_clear(struct lgd_agent *a);
/*
 * @a now holds @token (@t as verified for @dom): active, not suspended, no
 * re-authentication pending. @token may be a->token itself. -ENOMEM if a
 * copy failed: the record then lacks the token or a claim, and must not be
 * marked verified (the next refresh refuses it, failing closed).
 */
int lgd_agent_set_token(struct lgd_agent *a, const char *token, const struct lg_token *t,
			const struct lg_domain_config *dom);
void lgd_agents_free(struct lgd_agents *t);

/*
 * Shared, immutable texts: a copy of @s that lgd_text_get() shares and
 * lgd_text_put() releases, freed by its last holder, whichever thread that
 * is. NULL without memory; lgd_text_put(NULL) does nothing.
 */
char *lgd_text_dup(const char *s);
char *lgd_text_get(char *text);
void lgd_text_put(char *text);

#endif /* LGD_AGENT_TABLE_H */
