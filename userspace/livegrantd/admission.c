// SPDX-License-Identifier: GPL-2.0
/*
 * admission.c - one pipeline for every way a grant gets into the kernel:
 * a caller presenting a token (PRESENT), the refresh re-checking an agent's
 * token (REFRESH) and a restart bringing saved agents back (RESTORE).
 * steps[] lists the steps in order with the modes each applies to, so that
 * a check added once applies wherever it should, and nowhere it should not.
 *
 * What refresh re-checks for each active agent (docs/livegrantd.md):
 *   1. its agent cgroup still exists with the same cgroup id (a deleted and
 *      re-created cgroup of the same name is a different agent);
 *   2. its token still verifies now against its domain's trust bundle and
 *      policy: signature, audience, domain, expiry (no leeway at expiry);
 *   3. its token id is not revoked.
 * The process that presented the token is not re-checked: it may have
 * exited or executed another program; the grant belongs to the cgroup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "daemon.h"
#include "policy.h"
#include "rules.h"
#include "state_saver.h"

/* How a refused REFRESH shows on the agent, per step. */
enum lapse_kind {
	LAPSE_REASON, /* lapsed, with the bare reason */
	LAPSE_TOKEN, /* the token no longer verifies: expired, revoked or lapsed */
	LAPSE_EXPIRED, /* no time left before the token's expiry */
};

/* One admission as it goes through the steps. */
struct admission {
	struct lgd_admit_req *req;
	struct lgd_agent *a; /* NULL in PRESENT until the install step */
	char agent_cg[PATH_MAX];
	uint64_t cgroup_id;
	const struct lg_domain_config *dom;
	struct lg_token *t;
	uint64_t deadline; /* REFRESH: the new kernel expiry */
	uint64_t exp_boot; /* the token's exp on the boot clock (token_exp_boot()) */
	bool reinstall; /* REFRESH: the kernel lost the grant: install it again */
	bool keep; /* RESTORE: the kernel's (suspended) grant stays, extended */
};

bool lgd_cgroup_at_or_below(const char *path, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == 0);
}

bool lgd_under_root(const struct lgd *d, const char *cgroup)
{
	for (size_t i = 0; i < d->nroots; i++)
		if (lgd_cgroup_at_or_below(cgroup, d->roots[i]))
			return true;
	return lgd_kube_pod_of(d, cgroup) != NULL;
}

/*
 * The agent cgroup of a caller in @cg: the child of the agent root that
 * holds it. A process in a sub-cgroup belongs to the same agent: it cannot
 * get a grant of its own by creating cgroups.
 */
int lgd_agent_cgroup_of(const struct lgd *d, const char *cg, char *out, size_t size,
			const char **reason)
{
	const struct lgd_pod_root *pod = lgd_kube_pod_of(d, cg);

	/* An agent pod is one agent: the pod cgroup, whichever container asks. */
	if (pod) {
		if ((size_t)snprintf(out, size, "%s", pod->path) >= size)
			return lg_err(-ENAMETOOLONG, "cgroup path too long");
		return 0;
	}
	for (size_t i = 0; i < d->nroots; i++) {
		const char *r = d->roots[i];
		size_t n = strlen(r);
		const char *end;

		if (!strcmp(cg, r)) {
			*reason = "in_agent_root";
			return lg_err(
				-EPERM,
				"caller is directly in agent root %s: run the agent in a child cgroup (livegrant exec --cgroup NAME)",
				r);
		}
		if (strncmp(cg, r, n) || cg[n] != '/')
			continue;
		end = strchr(cg + n + 1, '/');
		if (!end)
			end = cg + strlen(cg);
		if ((size_t)(end - cg) >= size)
			return lg_err(-ENAMETOOLONG, "cgroup path too long");
		memcpy(out, cg, end - cg);
		out[end - cg] = 0;
		return 0;
	}
	*reason = "not_an_agent";
	return lg_err(-EPERM, "caller in cgroup %s is not under an agent root (%s%s)%s", cg,
		      d->nroots ? d->roots[0] : "none", d->nroots > 1 ? ", ..." : "",
		      d->cfg->kube.enabled ? " nor in a governed agent pod" : "");
}

/* The checks a token of domain @dom must pass now. */
static struct lg_token_policy token_policy(const struct lgd *d, const struct lg_domain_config *dom)
{
	return (struct lg_token_policy){
		.audience = d->cfg->audience,
		.domain = dom->name,
		.max_ttl_s = dom->max_ttl_s,
		.leeway_s = d->cfg->token_leeway_s,
		.now = time(NULL),
		.max_bytes = d->cfg->max_token_bytes,
	};
}

/* The generation of the keys that verify tokens of @dom now. */
static uint64_t bundle_gen(const struct lgd *d, const struct lg_domain_config *dom)
{
	uint64_t gen = 0;

	lgd_bundle_of(&d->bundles, dom, &gen);
	return gen;
}

/* Verify @token for whichever domain it names. */
int lgd_verify(struct lgd *d, const char *token, uint64_t checked,
	       const struct lg_domain_config **dom, struct lg_token **tok, const char **reason)
{
	const struct lg_trust_bundle *bundle;
	char name[64];
	struct lg_token_policy pol;
	uint64_t gen = 0;
	int err = lg_token_peek_domain(token, strlen(token), name, sizeof(name), reason);

	if (err)
		return err;
	*dom = lg_config_domain(d->cfg, name);
	if (!*dom) {
		*reason = "unknown_domain";
		return lg_err(-EPERM, "token is for domain \"%s\", which this host does not trust",
			      name);
	}
	bundle = lgd_bundle_of(&d->bundles, *dom, &gen);
	/* A fetched bundle never fetched, or past max_age: no key verifies anything. */
	if (!bundle) {
		*reason = "no_trust_bundle";
		return lg_err(
			-ENOKEY,
			"domain %s has no issuer keys in force (%s): its tokens are refused until a fetch of %s succeeds",
			name, lgd_bundles_why_none(&d->bundles, *dom), (*dom)->trust_bundle);
	}
	pol = token_policy(d, *dom);
	pol.signature_known_good = checked && checked == gen;
	return lg_token_verify(token, strlen(token), bundle, &pol, tok, reason);
}

/*
 * The kernel deadline for a token expiring at @exp_boot (CLOCK_BOOTTIME):
 * never later than the token, and never more than two refresh intervals
 * ahead, so that grants lapse on their own when livegrantd stops. 0 when
 * already past. On the boot clock throughout: a wall clock set back never
 * extends a grant (token_exp_boot()).
 */
static uint64_t kernel_deadline(const struct lgd *d, uint64_t exp_boot)
{
	uint64_t now = lg_boottime_ns();
	uint64_t until = now + 2 * d->cfg->refresh_interval_s * 1000000000ULL;

	if (exp_boot < until)
		until = exp_boot;
	return until > now ? until : 0;
}

/* @exp (seconds since the epoch) on the boot clock, as the wall clock says now; 0: past. */
static uint64_t boot_of_exp(int64_t exp)
{
	int64_t now = time(NULL);

	return exp > now ? lg_boottime_ns() + (uint64_t)(exp - now) * 1000000000ULL : 0;
}

/* Token rules plus the baseline, as one grant spec (pointers borrowed). */
struct spec_mem {
	const char **v[LG_RULE_KIND_MAX];
};

static void join(struct lg_strv *out, const char **mem, const struct lg_token_strv *a,
		 const struct lg_strv *b)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		mem[n++] = a->v[i];
	for (size_t i = 0; i < b->n; i++)
		mem[n++] = b->v[i];
	out->v = mem;
	out->n = n;
}

static int build_spec(const struct lgd *d, const struct lg_token *t, uint64_t expires_ns,
		      uint32_t domain_id, struct lg_grant_spec *s, struct spec_mem *m)
{
	const struct lg_rules_config *b = &d->cfg->baseline;

	memset(s, 0, sizeof(*s));
	memset(m, 0, sizeof(*m));
	for (int k = 0; k < LG_RULE_KIND_MAX; k++) {
		m->v[k] = calloc(t->rules[k].n + b->rules[k].n + 1, sizeof(char *));
		if (!m->v[k])
			return lg_err(-ENOMEM, "out of memory");
		join(&s->rules[k], m->v[k], &t->rules[k], &b->rules[k]);
	}
	s->expires_ns = expires_ns;
	s->domain = domain_id;
	s->mode = d->cfg->mode;
	return 0;
}

static void spec_mem_free(struct spec_mem *m)
{
	for (int k = 0; k < LG_RULE_KIND_MAX; k++)
		free(m->v[k]);
}

/* Install @t, expiring at @exp_boot, for agent @a; 0 or a negative errno, *reason set. */
static int install(struct lgd *d, struct lgd_agent *a, const struct lg_token *t, uint64_t exp_boot,
		   const struct lg_domain_config *dom, const char **reason)
{
	uint64_t deadline = kernel_deadline(d, exp_boot);
	struct lg_grant_spec spec;
	struct spec_mem mem;
	int err;

	if (!deadline) {
		*reason = "expired";
		return lg_err(-ETIME, "token expired");
	}
	err = build_spec(d, t, deadline, dom->id, &spec, &mem);
	if (!err)
		err = lg_grant_install(d->e, a->cgroup_id, &spec, &a->generation);
	spec_mem_free(&mem);
	if (err) {
		*reason = err == -ENOMEM || err == -EIO ? "internal" : "bad_rules";
		return err;
	}
	a->kernel_expires_ns = deadline;
	return 0;
}

bool lgd_agent_cgroup_alive(const struct lgd_agent *a)
{
	return lg_cgroup_is(a->cgroup, a->cgroup_id);
}

bool lgd_kernel_suspended(struct lgd *d, const struct lgd_agent *a)
{
	uint32_t gen = 0;

	return a->generation && !lg_agent_suspended(d->e, a->cgroup_id, &gen) &&
	       gen == a->generation;
}

/* ---- the steps ---------------------------------------------------------- */

/* PRESENT: the caller's agent cgroup (it can only ever present for itself). */
static int step_agent_cgroup(struct lgd *d, struct admission *ad)
{
	return lgd_agent_cgroup_of(d, ad->req->peer->cgroup, ad->agent_cg, sizeof(ad->agent_cg),
				   &ad->req->reason);
}

/* REFRESH, RESTORE: the attestation that still holds is the agent cgroup's. */
static int step_cgroup_alive(struct lgd *d, struct admission *ad)
{
	(void)d;
	return lgd_agent_cgroup_alive(ad->a) ? 0 : LGD_ADMIT_GONE;
}

/*
 * Was @ad's token verified in full before, under the bundle its domain has
 * now? Only a refresh of the agent's own token can say yes: the token, the
 * bundle and the configuration are unchanged since (none is reloaded while
 * livegrantd runs), so of every check only the clock's can answer
 * differently.
 */
static bool verified_before(const struct lgd *d, const struct admission *ad)
{
	const struct lgd_agent *a = ad->a;

	return ad->req->mode == LGD_ADMIT_REFRESH && ad->req->token == a->token && a->token &&
	       a->jti && a->domain && a->verified_gen &&
	       a->verified_gen == bundle_gen(d, a->domain);
}

/*
 * A kid the domain's bundle lacks may be the issuer's new key: a fetched
 * bundle is fetched again (rate-limited), and the presenter told when to
 * try again (retry_after_ms).
 */
static int verify_in_full(struct lgd *d, struct admission *ad)
{
	char msg[1024];
	uint32_t ms;
	int err = lgd_verify(d, ad->req->token, 0, &ad->dom, &ad->t, &ad->req->reason);

	/* Not from the bridge's thread: the bundles are the event loop's. */
	if (!err || !ad->dom || strcmp(ad->req->reason, "unknown_kid") ||
	    ad->req->mode == LGD_ADMIT_BRIDGE)
		return err;
	ms = lgd_bundles_kid_miss(&d->bundles, ad->dom);
	if (!ms)
		return err;
	ad->req->retry_after_ms = ms;
	snprintf(msg, sizeof(msg), "%s", lg_errmsg());
	return lg_err(err,
		      "%s; livegrantd is fetching domain %s's JWKS again: present again in %u ms",
		      msg, ad->dom->name, ms);
}

/*
 * A refresh of a token verified before checks its times again, and parses
 * nothing: a pass over thousands of agents would otherwise spend most of
 * its time decoding and parsing tokens it has read already. Anything else
 * (a presentation, a restore, a token no bundle of this run verified) is
 * verified in full, signature included.
 */
static int step_verify(struct lgd *d, struct admission *ad)
{
	struct lg_token_policy pol;

	/* A record whose token copy failed (out of memory) holds no token to verify. */
	if (!ad->req->token) {
		ad->req->reason = "internal";
		return lg_err(-ENOMEM, "the agent's token was lost (out of memory)");
	}
	if (!verified_before(d, ad))
		return verify_in_full(d, ad);
	ad->dom = ad->a->domain;
	pol = token_policy(d, ad->dom);
	return lg_token_check_times(&ad->a->times, &pol, &ad->req->reason);
}

/*
 * The parsed token, for the steps that read its rules (a REFRESH that must
 * reinstall): parsed now if step_verify() did not, its signature not
 * checked again under the bundle that verified it.
 */
static int need_token(struct lgd *d, struct admission *ad)
{
	if (ad->t)
		return 0;
	return lgd_verify(d, ad->req->token, ad->a->verified_gen, &ad->dom, &ad->t,
			  &ad->req->reason);
}

/* The token's id and expiry, from the token or, not parsed, from the record. */
static const char *token_jti(const struct admission *ad)
{
	return ad->t ? ad->t->jti : ad->a->jti;
}

static int64_t token_exp(const struct admission *ad)
{
	return ad->t ? ad->t->times.exp : ad->a->times.exp;
}

/*
 * The token's exp on the boot clock: converted once, when this livegrantd
 * first admitted the token (the record's, for the same jti), so that the
 * wall clock moving since, either way, never moves it; else now. Kept in
 * @ad for the record (mark_verified()).
 */
static uint64_t token_exp_boot(struct admission *ad)
{
	const struct lgd_agent *a = ad->a;

	if (a && a->exp_boot_ns && a->jti && !strcmp(a->jti, token_jti(ad)))
		ad->exp_boot = a->exp_boot_ns;
	else
		ad->exp_boot = boot_of_exp(token_exp(ad));
	return ad->exp_boot;
}

static int step_revocation(struct lgd *d, struct admission *ad)
{
	if (!lgd_is_revoked(&d->revoked, token_jti(ad)))
		return 0;
	ad->req->reason = "revoked";
	return lg_err(-EPERM, "token %s was revoked", token_jti(ad));
}

/*
 * REFRESH, BRIDGE (and RESTORE of a kept suspended grant): the new kernel
 * expiry, none when the token has no time left.
 */
static int step_deadline(struct lgd *d, struct admission *ad)
{
	ad->deadline = kernel_deadline(d, token_exp_boot(ad));
	if (ad->deadline)
		return 0;
	ad->req->reason = "expired";
	return lg_err(-ETIME, "token expired");
}

/*
 * REFRESH: push the kernel expiry on. If the kernel has no live grant
 * (restart, lost state), the policy and install steps put it back.
 */
static int step_extend(struct lgd *d, struct admission *ad)
{
	struct lgd_agent *a = ad->a;
	int err;

	/* A suspension the event did not tell us about (ring full) still counts. */
	a->suspended |= lgd_kernel_suspended(d, a);
	err = lg_grant_set_expiry(d->e, a->cgroup_id, ad->deadline);
	if (!err) {
		a->kernel_expires_ns = ad->deadline;
	} else if (err == -ENOENT) {
		ad->reinstall = true;
		return need_token(d, ad);
	} else {
		/* The old deadline stands in the kernel: the grant lapses early, not late. */
		fprintf(stderr, "livegrantd: extending the grant of %s failed: %s\n", a->cgroup,
			lg_errmsg());
	}
	return 0;
}

/* BRIDGE: the same extension, in the set of pins that enforces meanwhile. */
static int step_bridge(struct lgd *d, struct admission *ad)
{
	int err = lg_bridge_grant_extend(ad->req->prev, ad->a->cgroup_id, ad->deadline);

	(void)d;
	if (!err)
		ad->a->kernel_expires_ns = ad->deadline;
	return err;
}

/*
 * A token enrolls one agent: the same token presented from another agent
 * cgroup (a copied or stolen token) is refused while the first holds it.
 */
static int step_single_use(struct lgd *d, struct admission *ad)
{
	const struct lg_token *t = ad->t;

	for (size_t i = 0; i < d->agents.n; i++) {
		const struct lgd_agent *a = &d->agents.v[i];

		if (!lgd_agent_live(a) || !a->jti || strcmp(a->jti, t->jti) ||
		    !strcmp(a->cgroup, ad->agent_cg))
			continue;
		ad->req->reason = "token_in_use";
		return lg_err(-EBUSY, "token %s already holds the grant of %s", t->jti, a->cgroup);
	}
	return 0;
}

/* The domain's rules as configured now, not as when the agent enrolled. */
static int step_policy(struct lgd *d, struct admission *ad)
{
	(void)d;
	return lgd_domain_policy(ad->dom, ad->t, &ad->req->reason);
}

/*
 * No token may reach livegrant's own files (policy.c): checked wherever a
 * token's rules go into the kernel, so a grant from before a config change
 * that made them protected lapses at the next refresh.
 */
static int step_protected(struct lgd *d, struct admission *ad)
{
	return lgd_protected_check_token(&d->protected, ad->t, &ad->req->reason);
}

/*
 * A suspended agent needs a new trust decision for another domain: a token
 * of the domain it crossed out of must not lift the suspension (not even
 * before livegrantd has seen the crossing event: the kernel is asked).
 */
static int step_reauth(struct lgd *d, struct admission *ad)
{
	const struct lg_domain_config *dom = ad->dom;
	struct lgd_agent *a = lgd_agent_by_cgroup(&d->agents, ad->agent_cg);

	if (!a || !lgd_agent_live(a) || a->domain != dom)
		return 0;
	if (!a->suspended && !lgd_kernel_suspended(d, a))
		return 0;
	ad->req->reason = "reauth_required";
	return lg_err(
		-EPERM,
		"agent %s is suspended after trying to reach domain %s: present a token for that domain, not for %s",
		ad->agent_cg, a->reauth_domain ? a->reauth_domain->name : "?", dom->name);
}

/* The token's workload selectors against the attested caller. */
static int step_workload(struct lgd *d, struct admission *ad)
{
	struct lgd_peer *peer = ad->req->peer;
	const struct lg_token *t = ad->t;
	int err;

	(void)d;
	if (t->workload.has_uid && t->workload.uid != peer->uid) {
		ad->req->reason = "workload_mismatch";
		return lg_err(-EPERM, "token requires uid %u, the caller runs as uid %u",
			      t->workload.uid, peer->uid);
	}
	if (!t->workload.has_exe_sha256)
		return 0;
	err = lgd_attest_exe(peer);
	if (err) {
		ad->req->reason = "attestation_failed";
		return err;
	}
	if (strcmp(peer->exe_sha256, t->workload.exe_sha256)) {
		ad->req->reason = "workload_mismatch";
		return lg_err(
			-EPERM,
			"token requires executable sha256 %.16s..., the caller runs %.16s... (/proc/%d/exe)",
			t->workload.exe_sha256, peer->exe_sha256, peer->pid);
	}
	return 0;
}

/* The agent cgroup in the kernel's agent table (a no-op when it is there). */
static int step_register(struct lgd *d, struct admission *ad)
{
	const char *cg = ad->a ? ad->a->cgroup : ad->agent_cg;
	int err = lg_agent_add(d->e, cg, &ad->cgroup_id);

	if (err)
		ad->req->reason = "internal";
	return err;
}

/*
 * RESTORE: pinned maps may hold a suspension the saved state missed (the
 * programs suspend on their own, and livegrantd may have stopped before it
 * read the event): in the maps this build kept, or in those of the set it
 * replaces, which are gone once it commits.
 */
static int step_kernel_state(struct lgd *d, struct admission *ad)
{
	struct lg_agent cur = { .generation = 0 };
	uint32_t prev_gen;
	bool prev_suspended;

	if (!lg_grant_get(d->e, ad->cgroup_id, &cur)) {
		ad->a->generation = cur.generation;
		ad->a->suspended |= lgd_kernel_suspended(d, ad->a);
	}
	if (lg_enforcer_replaced(d->e) &&
	    !lg_prev_agent_state(d->e, ad->cgroup_id, &prev_gen, &prev_suspended) && prev_suspended)
		ad->a->suspended = true;
	/*
	 * A grant these (kept) maps hold suspended stays as it is, its expiry
	 * pushed on: reinstalling would switch to a new generation before
	 * its suspension could be written, and for that moment the kernel
	 * would take the agent for unsuspended. Suspended, it allows nothing.
	 */
	if (cur.generation && lgd_kernel_suspended(d, ad->a)) {
		int err = step_deadline(d, ad);

		if (err)
			return err;
		if (!lg_grant_set_expiry(d->e, ad->cgroup_id, ad->deadline)) {
			ad->a->kernel_expires_ns = ad->deadline;
			ad->keep = true;
		}
	}
	return 0;
}

/* PRESENT: the caller must still be the attested process, where it was. */
static int step_peer_recheck(struct lgd *d, struct admission *ad)
{
	int err = lgd_attest_recheck(ad->req->peer, LGD_CGROUP_MOUNT);

	(void)d;
	if (err)
		ad->req->reason = "attestation_failed";
	return err;
}

/* A new token replaces the agent's grant whole, never adds to it. */
static int step_install(struct lgd *d, struct admission *ad)
{
	bool created = false;
	int err;

	if (ad->keep)
		return 0;
	if (!ad->a) {
		ad->a = lgd_agent_by_cgroup_id(&d->agents, ad->cgroup_id);
		if (!ad->a) {
			ad->a = lgd_agent_new(&d->agents, ad->agent_cg, ad->cgroup_id);
			created = true;
		}
		if (!ad->a) {
			ad->req->reason = "internal";
			return lg_err(-ENOMEM, "out of memory");
		}
	}
	err = install(d, ad->a, ad->t, token_exp_boot(ad), ad->dom, &ad->req->reason);
	if (err && created) {
		lgd_agent_drop(&d->agents, ad->a);
		ad->a = NULL;
	}
	return err;
}

#define ALL_MODES (LGD_ADMIT_PRESENT | LGD_ADMIT_REFRESH | LGD_ADMIT_RESTORE)

/**
 * struct step - one check (or action) of the pipeline.
 * @modes:      the modes it applies to.
 * @reinstall:  in REFRESH, only when the kernel lost the grant.
 * @lapse:      how a refusal in REFRESH shows on the agent.
 */
static const struct step {
	unsigned int modes;
	bool reinstall;
	enum lapse_kind lapse;
	int (*run)(struct lgd *d, struct admission *ad);
} steps[] = {
	{ LGD_ADMIT_PRESENT, false, LAPSE_REASON, step_agent_cgroup },
	{ LGD_ADMIT_REFRESH | LGD_ADMIT_RESTORE | LGD_ADMIT_BRIDGE, false, LAPSE_REASON,
	  step_cgroup_alive },
	{ ALL_MODES | LGD_ADMIT_BRIDGE, false, LAPSE_TOKEN, step_verify },
	{ ALL_MODES | LGD_ADMIT_BRIDGE, false, LAPSE_TOKEN, step_revocation },
	{ LGD_ADMIT_REFRESH | LGD_ADMIT_BRIDGE, false, LAPSE_EXPIRED, step_deadline },
	{ LGD_ADMIT_REFRESH, false, LAPSE_REASON, step_extend },
	{ LGD_ADMIT_PRESENT, false, LAPSE_REASON, step_single_use },
	{ ALL_MODES | LGD_ADMIT_BRIDGE, true, LAPSE_REASON, step_policy },
	{ ALL_MODES | LGD_ADMIT_BRIDGE, true, LAPSE_REASON, step_protected },
	{ LGD_ADMIT_BRIDGE, false, LAPSE_REASON, step_bridge },
	{ LGD_ADMIT_PRESENT, false, LAPSE_REASON, step_reauth },
	{ LGD_ADMIT_PRESENT, false, LAPSE_REASON, step_workload },
	{ LGD_ADMIT_PRESENT | LGD_ADMIT_RESTORE, false, LAPSE_REASON, step_register },
	{ LGD_ADMIT_RESTORE, false, LAPSE_REASON, step_kernel_state },
	{ LGD_ADMIT_PRESENT, false, LAPSE_REASON, step_peer_recheck },
	{ ALL_MODES, true, LAPSE_REASON, step_install },
};

static bool applies(const struct step *s, const struct admission *ad)
{
	if (!(s->modes & ad->req->mode))
		return false;
	return !(s->reinstall && ad->req->mode == LGD_ADMIT_REFRESH) || ad->reinstall;
}

/* ---- outcomes ----------------------------------------------------------- */

static void lapse(struct lgd *d, struct lgd_agent *a, enum lgd_agent_state s, const char *why)
{
	if (lg_grant_remove(d->e, a->cgroup_id))
		fprintf(stderr, "livegrantd: removing the grant of %s failed: %s\n", a->cgroup,
			lg_errmsg());
	a->state = s;
	snprintf(a->reason, sizeof(a->reason), "%s", why);
	fprintf(stderr, "livegrantd: grant of %s (%s) removed: %s\n", a->cgroup,
		a->sub ? a->sub : "?", why);
}

static void refresh_refused(struct lgd *d, struct admission *ad, const struct step *s)
{
	const char *reason = ad->req->reason;
	char why[128];

	switch (s->lapse) {
	case LAPSE_TOKEN:
		snprintf(why, sizeof(why), "token no longer valid: %s", reason);
		lapse(d, ad->a,
		      !strcmp(reason, "expired") ? LGD_EXPIRED :
		      !strcmp(reason, "revoked") ? LGD_REVOKED :
						   LGD_LAPSED,
		      why);
		break;
	case LAPSE_EXPIRED:
		lapse(d, ad->a, LGD_EXPIRED, "token expired");
		break;
	case LAPSE_REASON:
		lapse(d, ad->a, LGD_LAPSED, reason);
		break;
	}
}

/* @ad's token was verified in full (step_verify(), need_token()): say with what. */
static void mark_verified(struct lgd *d, struct admission *ad)
{
	if (!ad->t)
		return;
	ad->a->verified_gen = bundle_gen(d, ad->dom);
	ad->a->times = ad->t->times;
	if (ad->exp_boot)
		ad->a->exp_boot_ns = ad->exp_boot;
}

static void refreshed(struct lgd *d, struct admission *ad)
{
	mark_verified(d, ad);
	/* A grant put back after a suspension stays suspended. */
	if (ad->reinstall && ad->a->suspended)
		lg_agent_suspend(d->e, ad->a->cgroup_id, ad->a->generation);
}

static void restored(struct lgd *d, struct admission *ad)
{
	struct lgd_agent *a = ad->a;
	const struct lg_domain_config *reauth = a->reauth_domain;
	bool suspended = a->suspended;

	if (!lgd_agent_set_token(a, a->token, ad->t, ad->dom))
		mark_verified(d, ad);
	/* A crossing before the restart still stands. */
	if (reauth || suspended) {
		a->state = LGD_REAUTH_REQUIRED;
		a->reauth_domain = reauth;
		a->suspended = suspended;
		if (suspended)
			lg_agent_suspend(d->e, a->cgroup_id, a->generation);
	}
}

static void presented(struct lgd *d, struct admission *ad)
{
	struct lgd_agent *a = ad->a;
	const struct lg_domain_config *dom = ad->dom;
	/* Deny mode: a fresh token of the same domain keeps the marker. */
	const struct lg_domain_config *reauth = a->domain == dom ? a->reauth_domain : NULL;

	if (a->domain && a->domain != dom)
		fprintf(stderr, "livegrantd: %s moves from domain %s to %s: the %s grant is gone\n",
			a->cgroup, a->domain->name, dom->name, a->domain->name);
	if (!lgd_agent_set_token(a, ad->req->token, ad->t, dom))
		mark_verified(d, ad);
	/* Just verified and installed: a pass under way need not refresh it again. */
	a->refresh_seq = d->refresh.seq;
	if (reauth) {
		a->state = LGD_REAUTH_REQUIRED;
		a->reauth_domain = reauth;
	}
	lgd_state_save_soon(d);
	fprintf(stderr,
		"livegrantd: granted %s (jti %s, domain %s) to %s, generation %u (pid %d attested via %s)\n",
		ad->t->sub, ad->t->jti, dom->name, a->cgroup, a->generation, ad->req->peer->pid,
		ad->req->peer->via_peerpidfd ? "SO_PEERPIDFD" : "SO_PEERCRED");
	lgd_metrics_token_result(&d->metrics, "accepted");
	ad->req->agent = a;
}

static void present_refused(struct lgd *d, struct admission *ad)
{
	struct lgd_peer *peer = ad->req->peer;

	fprintf(stderr, "livegrantd: refused token from pid %d (cgroup %s): %s: %s\n", peer->pid,
		peer->cgroup, ad->req->reason, lg_errmsg());
	lgd_metrics_token_result(&d->metrics, ad->req->reason);
}

static void admitted(struct lgd *d, struct admission *ad)
{
	if (ad->req->mode == LGD_ADMIT_BRIDGE)
		return;
	if (ad->req->mode == LGD_ADMIT_PRESENT)
		presented(d, ad);
	else if (ad->req->mode == LGD_ADMIT_RESTORE)
		restored(d, ad);
	else
		refreshed(d, ad);
}

static void refused(struct lgd *d, struct admission *ad, const struct step *s)
{
	if (ad->req->mode == LGD_ADMIT_BRIDGE)
		return;
	if (ad->req->mode == LGD_ADMIT_PRESENT)
		present_refused(d, ad);
	else if (ad->req->mode == LGD_ADMIT_RESTORE)
		lapse(d, ad->a, !strcmp(ad->req->reason, "expired") ? LGD_EXPIRED : LGD_LAPSED,
		      ad->req->reason);
	else
		refresh_refused(d, ad, s);
}

int lgd_admit(struct lgd *d, struct lgd_admit_req *req)
{
	struct admission ad = { .req = req };
	size_t i;
	int err = 0;

	req->reason = "internal";
	if (req->mode != LGD_ADMIT_PRESENT) {
		ad.a = req->agent;
		req->token = ad.a->token;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && !err; i++)
		if (applies(&steps[i], &ad))
			err = steps[i].run(d, &ad);
	if (!err)
		admitted(d, &ad);
	else if (err != LGD_ADMIT_GONE)
		refused(d, &ad, &steps[i - 1]);
	lg_token_free(ad.t);
	return err;
}
