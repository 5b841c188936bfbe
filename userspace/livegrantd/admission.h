/* SPDX-License-Identifier: GPL-2.0 */
/*
 * admission.h - the one pipeline that lets a token's grant into the kernel,
 * whether a caller presents it, a refresh re-checks it or a restart brings
 * it back: verify, revocation, the domain's policy, attestation, install.
 */
#ifndef LGD_ADMISSION_H
#define LGD_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_table.h"
#include "attest.h"
#include "config.h"
#include "token.h"

struct lgd;

/* Which steps apply (admission.c lists them in order, with the modes of each). */
enum lgd_admit_mode {
	/* A live caller (attested at accept) presents a token for its agent cgroup. */
	LGD_ADMIT_PRESENT = 1 << 0,
	/* An agent's own token again, every refresh_interval: extend its grant. */
	LGD_ADMIT_REFRESH = 1 << 1,
	/* After a restart: reinstall a saved agent's grant from its token. */
	LGD_ADMIT_RESTORE = 1 << 2,
	/*
	 * While a new build loads: extend a saved agent's grant in the pins
	 * still in force (req->prev), as a refresh would. Refusal changes
	 * nothing: that grant lapses on its own, and RESTORE decides next.
	 */
	LGD_ADMIT_BRIDGE = 1 << 3,
};

/* lgd_admit(): REFRESH, RESTORE: the agent cgroup is gone (or another now). */
#define LGD_ADMIT_GONE 1

/**
 * struct lgd_admit_req - one admission.
 * @mode:   which steps apply.
 * @peer:   PRESENT: the attested caller.
 * @token:  PRESENT: the token presented (REFRESH, RESTORE: the agent's own).
 * @agent:  REFRESH, RESTORE: the record, which holds a grant. PRESENT: set
 *          to the caller's record when admitted.
 * @prev:   BRIDGE: the enforcer being opened, whose earlier pins enforce.
 * @reason: when refused, the stable reason (docs/livegrantd.md).
 */
struct lgd_admit_req {
	enum lgd_admit_mode mode;
	struct lgd_peer *peer;
	const char *token;
	struct lgd_agent *agent;
	struct lg_enforcer *prev;
	const char *reason;
	uint32_t retry_after_ms; /* a refusal that may pass then (unknown_kid, fetched bundle) */
};

/*
 * Run the pipeline. 0: admitted (PRESENT, RESTORE: the grant installed;
 * REFRESH: extended, or reinstalled if the kernel had lost it). A negative
 * errno: refused, req->reason and lg_errmsg() set; PRESENT changed nothing,
 * REFRESH and RESTORE removed the grant and left the agent expired, revoked
 * or lapsed with its reason. LGD_ADMIT_GONE: the caller forgets the record.
 */
int lgd_admit(struct lgd *d, struct lgd_admit_req *req);

/*
 * Verify @token for whichever domain it names (*tok to lg_token_free()).
 * @checked: the generation of the bundle this same token's signature was
 * verified with before, or 0; if it is still the domain's, the signature
 * is not checked again (struct lg_token_policy.signature_known_good).
 * A domain without keys in force refuses with no_trust_bundle.
 */
int lgd_verify(struct lgd *d, const char *token, uint64_t checked,
	       const struct lg_domain_config **dom, struct lg_token **tok, const char **reason);
/* Is @a's agent cgroup still the one it enrolled from (same path, same id)? */
bool lgd_agent_cgroup_alive(const struct lgd_agent *a);
/* Is @a's current grant suspended in the kernel (whatever we heard so far)? */
bool lgd_kernel_suspended(struct lgd *d, const struct lgd_agent *a);
/* Is @cgroup at or below a configured agent root, or in a registered agent pod? */
bool lgd_under_root(const struct lgd *d, const char *cgroup);
/*
 * The agent cgroup of a process in cgroup @cg (the agent root's child that
 * holds it, or its agent pod) into @out. -EPERM with *reason when @cg is
 * no agent's (not under a root, or a root itself).
 */
int lgd_agent_cgroup_of(const struct lgd *d, const char *cg, char *out, size_t size,
			const char **reason);
/* Is cgroup path @path @root itself or below it (at a component boundary)? */
bool lgd_cgroup_at_or_below(const char *path, const char *root);

#endif /* LGD_ADMISSION_H */
