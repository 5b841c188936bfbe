// SPDX-License-Identifier: GPL-2.0
/*
 * agents.c - livegrantd's decisions: enroll an agent on a verified token,
 * revoke, keep grants alive while their attestation holds, and restore them
 * after a restart.
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
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon.h"
#include "rules.h"

const char *lgd_state_name(enum lgd_agent_state s)
{
	switch (s) {
	case LGD_ACTIVE:
		return "active";
	case LGD_EXPIRED:
		return "expired";
	case LGD_REVOKED:
		return "revoked";
	case LGD_LAPSED:
		return "lapsed";
	case LGD_REAUTH_REQUIRED:
		return "reauth_required";
	}
	return "unknown";
}

static void refuse(json_t *resp, const char *reason, const char *msg)
{
	json_object_set_new(resp, "ok", json_false());
	json_object_set_new(resp, "reason", json_string(reason));
	json_object_set_new(resp, "error", json_string(msg));
}

bool lgd_under_root(const struct lgd *d, const char *cgroup)
{
	for (size_t i = 0; i < d->nroots; i++) {
		size_t n = strlen(d->roots[i]);

		if (!strncmp(cgroup, d->roots[i], n) && (cgroup[n] == 0 || cgroup[n] == '/'))
			return true;
	}
	return false;
}

/*
 * The agent cgroup of a caller in @cg: the child of the agent root that
 * holds it. A process in a sub-cgroup belongs to the same agent: it cannot
 * get a grant of its own by creating cgroups.
 */
static int agent_cgroup_of(const struct lgd *d, const char *cg, char *out, size_t size,
			   const char **reason)
{
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
	return lg_err(-EPERM, "caller in cgroup %s is not under an agent root (%s%s)", cg,
		      d->nroots ? d->roots[0] : "none", d->nroots > 1 ? ", ..." : "");
}

bool lgd_agent_live(const struct lgd_agent *a)
{
	return a->state == LGD_ACTIVE || a->state == LGD_REAUTH_REQUIRED;
}

struct lgd_agent *lgd_agent_by_cgroup_id(struct lgd *d, uint64_t id)
{
	for (size_t i = 0; i < d->nagents; i++)
		if (d->agents[i].cgroup_id == id)
			return &d->agents[i];
	return NULL;
}

static struct lgd_agent *agent_slot(struct lgd *d, const char *cgroup, uint64_t id)
{
	struct lgd_agent *a = lgd_agent_by_cgroup_id(d, id);

	return a ? a : lgd_agent_new(d, cgroup, id);
}

static void agent_drop(struct lgd *d, struct lgd_agent *a)
{
	lgd_agent_clear(a);
	*a = d->agents[--d->nagents];
}

/* Verify @token for whichever domain it names. */
static int verify(struct lgd *d, const char *token, const struct lg_domain_config **dom,
		  struct lg_token **tok, const char **reason)
{
	char name[64];
	struct lg_token_policy pol;
	int err = lg_token_peek_domain(token, strlen(token), name, sizeof(name), reason);

	if (err)
		return err;
	*dom = lg_config_domain(d->cfg, name);
	if (!*dom) {
		*reason = "unknown_domain";
		return lg_err(-EPERM, "token is for domain \"%s\", which this host does not trust",
			      name);
	}
	pol = (struct lg_token_policy){
		.audience = d->cfg->audience,
		.domain = (*dom)->name,
		.max_ttl_s = (*dom)->max_ttl_s,
		.leeway_s = d->cfg->token_leeway_s,
		.now = time(NULL),
		.max_bytes = d->cfg->max_token_bytes,
	};
	return lg_token_verify(token, strlen(token), d->bundles[(*dom)->id - 1], &pol, tok, reason);
}

/*
 * The kernel deadline for a token expiring at @exp: never later than the
 * token, and never more than two refresh intervals ahead, so that grants
 * lapse on their own when livegrantd stops. 0 when already past.
 */
static uint64_t kernel_deadline(const struct lgd *d, int64_t exp)
{
	int64_t now = time(NULL), until = now + 2 * (int64_t)d->cfg->refresh_interval_s;

	if (exp < until)
		until = exp;
	if (until <= now)
		return 0;
	return lg_boottime_ns() + (uint64_t)(until - now) * 1000000000ULL;
}

/* Token rules plus the baseline, as one grant spec (pointers borrowed). */
struct spec_mem {
	const char **v[4];
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
	const struct lg_token_strv *tl[4] = { &t->exec, &t->read, &t->write, &t->connect };
	const struct lg_strv *bl[4] = { &b->exec, &b->read, &b->write, &b->connect };
	struct lg_strv *out[4] = { &s->exec, &s->read, &s->write, &s->connect };

	memset(s, 0, sizeof(*s));
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 4; i++) {
		m->v[i] = calloc(tl[i]->n + bl[i]->n + 1, sizeof(char *));
		if (!m->v[i])
			return lg_err(-ENOMEM, "out of memory");
		join(out[i], m->v[i], tl[i], bl[i]);
	}
	s->expires_ns = expires_ns;
	s->domain = domain_id;
	s->mode = d->cfg->mode;
	return 0;
}

static void spec_mem_free(struct spec_mem *m)
{
	for (int i = 0; i < 4; i++)
		free(m->v[i]);
}

/* Install @t for agent @a; returns 0 or a negative errno, *reason set. */
static int install(struct lgd *d, struct lgd_agent *a, const struct lg_token *t,
		   const struct lg_domain_config *dom, const char **reason)
{
	uint64_t deadline = kernel_deadline(d, t->exp);
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

static void agent_set_token(struct lgd_agent *a, const char *token, const struct lg_token *t,
			    const struct lg_domain_config *dom)
{
	char *copy = strdup(token); /* @token may be a->token itself */

	free(a->token);
	free(a->sub);
	free(a->jti);
	free(a->task);
	a->token = copy;
	a->sub = strdup(t->sub);
	a->jti = strdup(t->jti);
	a->task = t->task ? strdup(t->task) : NULL;
	a->domain = dom;
	a->exp = t->exp;
	a->state = LGD_ACTIVE;
	a->reason[0] = 0;
	/* A new grant (new generation) is not suspended and needs nothing more. */
	a->reauth_domain = NULL;
	a->suspended = false;
}

static int check_workload(struct lgd_peer *peer, const struct lg_token *t, const char **reason)
{
	int err;

	if (t->workload.has_uid && t->workload.uid != peer->uid) {
		*reason = "workload_mismatch";
		return lg_err(-EPERM, "token requires uid %u, the caller runs as uid %u",
			      t->workload.uid, peer->uid);
	}
	if (!t->workload.has_exe_sha256)
		return 0;
	err = lgd_attest_exe(peer);
	if (err) {
		*reason = "attestation_failed";
		return err;
	}
	if (strcmp(peer->exe_sha256, t->workload.exe_sha256)) {
		*reason = "workload_mismatch";
		return lg_err(
			-EPERM,
			"token requires executable sha256 %.16s..., the caller runs %.16s... (/proc/%d/exe)",
			t->workload.exe_sha256, peer->exe_sha256, peer->pid);
	}
	return 0;
}

/*
 * A token enrolls one agent: the same token presented from another agent
 * cgroup (a copied or stolen token) is refused while the first holds it.
 */
static int check_single_use(struct lgd *d, const struct lg_token *t, const char *agent_cg,
			    const char **reason)
{
	for (size_t i = 0; i < d->nagents; i++) {
		const struct lgd_agent *a = &d->agents[i];

		if (!lgd_agent_live(a) || !a->jti || strcmp(a->jti, t->jti) ||
		    !strcmp(a->cgroup, agent_cg))
			continue;
		*reason = "token_in_use";
		return lg_err(-EBUSY, "token %s already holds the grant of %s", t->jti, a->cgroup);
	}
	return 0;
}

/* Is @a's current grant suspended in the kernel (whatever we heard so far)? */
static bool kernel_suspended(struct lgd *d, const struct lgd_agent *a)
{
	uint32_t gen = 0;

	return a->generation && !lg_agent_suspended(d->e, a->cgroup_id, &gen) &&
	       gen == a->generation;
}

/*
 * A suspended agent needs a new trust decision for another domain: a token
 * of the domain it crossed out of must not lift the suspension (not even
 * before livegrantd has seen the crossing event: the kernel is asked).
 */
static int check_reauth(struct lgd *d, const char *agent_cg, const struct lg_domain_config *dom,
			const char **reason)
{
	struct lgd_agent *a = NULL;

	for (size_t i = 0; i < d->nagents; i++)
		if (!strcmp(d->agents[i].cgroup, agent_cg))
			a = &d->agents[i];
	if (!a || !lgd_agent_live(a) || a->domain != dom)
		return 0;
	if (!a->suspended && !kernel_suspended(d, a))
		return 0;
	*reason = "reauth_required";
	return lg_err(
		-EPERM,
		"agent %s is suspended after trying to reach domain %s: present a token for that domain, not for %s",
		agent_cg, a->reauth_domain ? a->reauth_domain->name : "another domain", dom->name);
}

int lgd_present(struct lgd *d, struct lgd_peer *peer, const char *token, json_t *resp)
{
	const struct lg_domain_config *dom = NULL;
	const char *reason = "internal";
	char agent_cg[PATH_MAX];
	struct lg_token *t = NULL;
	struct lgd_agent *a;
	uint64_t id;
	int err;

	err = agent_cgroup_of(d, peer->cgroup, agent_cg, sizeof(agent_cg), &reason);
	if (!err)
		err = verify(d, token, &dom, &t, &reason);
	if (!err && lgd_is_revoked(d, t->jti)) {
		reason = "revoked";
		err = lg_err(-EPERM, "token %s was revoked", t->jti);
	}
	if (!err)
		err = check_single_use(d, t, agent_cg, &reason);
	if (!err)
		err = lgd_domain_policy(dom, t, &reason);
	if (!err)
		err = check_reauth(d, agent_cg, dom, &reason);
	if (!err)
		err = check_workload(peer, t, &reason);
	if (!err) {
		err = lg_agent_add(d->e, agent_cg, &id);
		reason = "internal";
	}
	/* The caller must still be the attested process, where it was. */
	if (!err) {
		err = lgd_attest_recheck(peer, LGD_CGROUP_MOUNT);
		reason = "attestation_failed";
	}
	if (err)
		goto refused;
	a = agent_slot(d, agent_cg, id);
	if (!a) {
		err = lg_err(-ENOMEM, "out of memory");
		goto refused;
	}
	/* A new token replaces the agent's grant whole, never adds to it. */
	err = install(d, a, t, dom, &reason);
	if (err) {
		if (!a->token)
			agent_drop(d, a);
		goto refused;
	}
	if (a->domain && a->domain != dom)
		fprintf(stderr, "livegrantd: %s moves from domain %s to %s: the %s grant is gone\n",
			agent_cg, a->domain->name, dom->name, a->domain->name);
	{
		/* Deny mode: a fresh token of the same domain keeps the marker. */
		const struct lg_domain_config *reauth = a->domain == dom ? a->reauth_domain : NULL;

		agent_set_token(a, token, t, dom);
		if (reauth) {
			a->state = LGD_REAUTH_REQUIRED;
			a->reauth_domain = reauth;
		}
	}
	lgd_state_save(d);
	fprintf(stderr, "livegrantd: granted %s (jti %s, domain %s) to %s, generation %u\n", t->sub,
		t->jti, dom->name, agent_cg, a->generation);
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent", json_string(t->sub));
	json_object_set_new(resp, "cgroup", json_string(agent_cg));
	json_object_set_new(resp, "domain", json_string(dom->name));
	json_object_set_new(resp, "jti", json_string(t->jti));
	json_object_set_new(resp, "generation", json_integer(a->generation));
	json_object_set_new(resp, "token_exp", json_integer(t->exp));
	lgd_metrics_token_result(&d->metrics, "accepted");
	lg_token_free(t);
	return 0;
refused:
	fprintf(stderr, "livegrantd: refused token from pid %d (cgroup %s): %s: %s\n", peer->pid,
		peer->cgroup, reason, lg_errmsg());
	refuse(resp, reason, lg_errmsg());
	lgd_metrics_token_result(&d->metrics, reason);
	lg_token_free(t);
	return err;
}

static int64_t longest_ttl(const struct lgd *d)
{
	uint64_t m = 0;

	for (size_t i = 0; i < d->cfg->n_domains; i++)
		if (d->cfg->domains[i].max_ttl_s > m)
			m = d->cfg->domains[i].max_ttl_s;
	return (int64_t)(m + d->cfg->token_leeway_s);
}

static bool matches(const struct lgd_agent *a, const char *target)
{
	const char *base = strrchr(a->cgroup, '/');

	return (a->sub && !strcmp(a->sub, target)) || (a->jti && !strcmp(a->jti, target)) ||
	       !strcmp(a->cgroup, target) || (base && !strcmp(base + 1, target));
}

int lgd_revoke(struct lgd *d, const char *target, json_t *resp)
{
	json_t *done = json_array();
	int err = 0;

	for (size_t i = 0; i < d->nagents; i++) {
		struct lgd_agent *a = &d->agents[i];

		if (!matches(a, target) || !lgd_agent_live(a))
			continue;
		err = lg_grant_remove(d->e, a->cgroup_id);
		if (err)
			break;
		a->state = LGD_REVOKED;
		snprintf(a->reason, sizeof(a->reason), "revoked by an administrator");
		lgd_add_revoked(d, a->jti, a->exp);
		json_array_append_new(done, json_string(a->cgroup));
		fprintf(stderr, "livegrantd: revoked %s (jti %s) of %s\n", a->sub, a->jti,
			a->cgroup);
	}
	if (err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s (grants listed in \"revoked\" were removed)",
			 lg_errmsg());
		lgd_state_save(d);
		json_object_set_new(resp, "revoked", done);
		refuse(resp, "internal", msg);
		return err;
	}
	/* Nothing live matched: remember it as a token id until any token could have expired. */
	if (!json_array_size(done))
		lgd_add_revoked(d, target, time(NULL) + longest_ttl(d));
	if (lgd_state_save(d)) {
		/* In force in the kernel, but a restart would not know: say so. */
		json_object_set_new(resp, "revoked", done);
		refuse(resp, "internal", lg_errmsg());
		return -EIO;
	}
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "revoked", done);
	return 0;
}

/*
 * Agent cgroups that never presented a token (or whose record is gone): the
 * children of each agent root without a record. Their processes hold no
 * grant and are denied everything. @fn sees each one's path.
 */
static void for_each_no_grant(struct lgd *d, void (*fn)(const char *path, void *ctx), void *ctx)
{
	for (size_t r = 0; r < d->nroots; r++) {
		DIR *dir = opendir(d->roots[r]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			char path[PATH_MAX];
			uint64_t id;

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", d->roots[r], de->d_name) >=
				    (int)sizeof(path) ||
			    lg_cgroup_id(path, &id, NULL) || lgd_agent_by_cgroup_id(d, id))
				continue;
			fn(path, ctx);
		}
		closedir(dir);
	}
}

static void add_no_grant(const char *path, void *ctx)
{
	json_array_append_new(
		ctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:b}",
			       "agent", "", "cgroup", path, "domain", "", "state", "no_grant",
			       "reason", "no token presented", "jti", "", "token_exp",
			       (json_int_t)0, "kernel_expires_in", (json_int_t)0, "generation",
			       (json_int_t)0, "task", "", "reauth_domain", "", "suspended", 0));
}

static void count_no_grant(const char *path, void *ctx)
{
	(void)path;
	lgd_metrics_agent_add(ctx, "no_grant");
}

void lgd_agents_metrics(struct lgd *d, struct lgd_metrics *m)
{
	lgd_metrics_agents_reset(m);
	for (size_t i = 0; i < d->nagents; i++) {
		struct lgd_agent *a = &d->agents[i];
		/* Suspended is a state of its own here: the agent can do nothing at all. */
		bool suspended = lgd_agent_live(a) && (a->suspended || kernel_suspended(d, a));

		lgd_metrics_agent_add(m, suspended ? "suspended" : lgd_state_name(a->state));
	}
	for_each_no_grant(d, count_no_grant, m);
}

json_t *lgd_agents_json(struct lgd *d)
{
	json_t *arr = json_array();
	uint64_t now = lg_boottime_ns();

	for (size_t i = 0; i < d->nagents; i++) {
		struct lgd_agent *a = &d->agents[i];
		json_t *o = json_object();
		int64_t left = 0;

		if (lgd_agent_live(a) && a->kernel_expires_ns > now)
			left = (a->kernel_expires_ns - now) / 1000000000ULL;
		json_object_set_new(o, "agent", json_string(a->sub ? a->sub : ""));
		json_object_set_new(o, "cgroup", json_string(a->cgroup));
		json_object_set_new(o, "domain", json_string(a->domain ? a->domain->name : ""));
		json_object_set_new(o, "state", json_string(lgd_state_name(a->state)));
		json_object_set_new(o, "reason", json_string(a->reason));
		json_object_set_new(o, "jti", json_string(a->jti ? a->jti : ""));
		json_object_set_new(o, "token_exp", json_integer(a->exp));
		json_object_set_new(o, "kernel_expires_in", json_integer(left));
		json_object_set_new(o, "generation", json_integer(a->generation));
		json_object_set_new(o, "task", json_string(a->task ? a->task : ""));
		json_object_set_new(o, "reauth_domain",
				    json_string(a->reauth_domain ? a->reauth_domain->name : ""));
		json_object_set_new(o, "suspended", json_boolean(a->suspended));
		json_array_append_new(arr, o);
	}
	for_each_no_grant(d, add_no_grant, arr);
	return arr;
}

static void add_rules(json_t *arr, const char *kind, char *const *v, size_t n, const char *source)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "kind", kind, "rule", v[i],
						     "source", source));
}

int lgd_grants_json(struct lgd *d, const char *target, json_t *resp)
{
	const struct lg_rules_config *b = &d->cfg->baseline;
	const struct lg_domain_config *dom = NULL;
	const char *reason = "internal";
	struct lg_token *t = NULL;
	struct lgd_agent *a = NULL;
	json_t *rules;

	for (size_t i = 0; i < d->nagents && !a; i++)
		if (matches(&d->agents[i], target))
			a = &d->agents[i];
	if (!a || !lgd_agent_live(a) || verify(d, a->token, &dom, &t, &reason)) {
		refuse(resp, a ? "no_grant" : "unknown_agent",
		       a ? "the agent has no live grant" : "no agent matches (sub, cgroup or jti)");
		lg_token_free(t);
		return -ENOENT;
	}
	rules = json_array();
	add_rules(rules, "exec", t->exec.v, t->exec.n, "token");
	add_rules(rules, "read", t->read.v, t->read.n, "token");
	add_rules(rules, "write", t->write.v, t->write.n, "token");
	add_rules(rules, "connect", t->connect.v, t->connect.n, "token");
	add_rules(rules, "exec", (char *const *)b->exec.v, b->exec.n, "baseline");
	add_rules(rules, "read", (char *const *)b->read.v, b->read.n, "baseline");
	add_rules(rules, "write", (char *const *)b->write.v, b->write.n, "baseline");
	add_rules(rules, "connect", (char *const *)b->connect.v, b->connect.n, "baseline");
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent", json_string(a->sub ? a->sub : ""));
	json_object_set_new(resp, "cgroup", json_string(a->cgroup));
	json_object_set_new(resp, "domain", json_string(dom->name));
	json_object_set_new(resp, "state", json_string(lgd_state_name(a->state)));
	json_object_set_new(resp, "generation", json_integer(a->generation));
	json_object_set_new(resp, "token_exp", json_integer(a->exp));
	json_object_set_new(resp, "rules", rules);
	lg_token_free(t);
	return 0;
}

/* Same cgroup as when the agent enrolled? */
static bool cgroup_alive(const struct lgd_agent *a)
{
	uint64_t id;

	return !lg_cgroup_id(a->cgroup, &id, NULL) && id == a->cgroup_id;
}

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

/* Re-attest @a; extend, reinstall or remove its grant. */
static void refresh_one(struct lgd *d, struct lgd_agent *a)
{
	const struct lg_domain_config *dom = NULL;
	const char *reason = "internal";
	struct lg_token *t = NULL;
	uint64_t deadline;
	char why[128];
	int err;

	err = verify(d, a->token, &dom, &t, &reason);
	if (!err && lgd_is_revoked(d, t->jti)) {
		err = -EPERM;
		reason = "revoked";
	}
	if (err) {
		snprintf(why, sizeof(why), "token no longer valid: %s", reason);
		lapse(d, a,
		      !strcmp(reason, "expired") ? LGD_EXPIRED :
		      !strcmp(reason, "revoked") ? LGD_REVOKED :
						   LGD_LAPSED,
		      why);
		lg_token_free(t);
		return;
	}
	deadline = kernel_deadline(d, t->exp);
	if (!deadline) {
		lapse(d, a, LGD_EXPIRED, "token expired");
		lg_token_free(t);
		return;
	}
	/* A suspension the event did not tell us about (ring full) still counts. */
	a->suspended |= kernel_suspended(d, a);
	err = lg_grant_set_expiry(d->e, a->cgroup_id, deadline);
	if (!err) {
		a->kernel_expires_ns = deadline;
	} else if (err == -ENOENT) {
		/* The kernel has no live grant (restart, lost state): put it back. */
		err = lgd_domain_policy(dom, t, &reason);
		if (!err)
			err = install(d, a, t, dom, &reason);
		if (err)
			lapse(d, a, LGD_LAPSED, reason);
		else if (a->suspended)
			lg_agent_suspend(d->e, a->cgroup_id, a->generation);
	} else {
		/* The old deadline stands in the kernel: the grant lapses early, not late. */
		fprintf(stderr, "livegrantd: extending the grant of %s failed: %s\n", a->cgroup,
			lg_errmsg());
	}
	lg_token_free(t);
}

void lgd_refresh(struct lgd *d)
{
	bool changed = false;

	for (size_t i = 0; i < d->nagents;) {
		struct lgd_agent *a = &d->agents[i];

		if (!cgroup_alive(a)) {
			/* The cgroup is gone: forget the agent and its kernel entry. */
			lg_agent_remove(d->e, a->cgroup_id);
			fprintf(stderr, "livegrantd: agent cgroup %s is gone; forgotten\n",
				a->cgroup);
			agent_drop(d, a);
			changed = true;
			continue;
		}
		if (lgd_agent_live(a)) {
			refresh_one(d, a);
			changed |= !lgd_agent_live(a);
		}
		i++;
	}
	if (changed)
		lgd_state_save(d);
}

int lgd_restore(struct lgd *d)
{
	uint64_t *ids = NULL;
	size_t n = 0;
	int err;

	/*
	 * Saved agents go back into the kernel from their saved token, checked
	 * as at refresh. Reinstalling (rather than extending what the pins
	 * hold) also repairs a crash between a grant change and the save.
	 */
	for (size_t i = 0; i < d->nagents;) {
		struct lgd_agent *a = &d->agents[i];
		const struct lg_domain_config *dom = NULL;
		const char *reason = "internal";
		struct lg_token *t = NULL;
		uint64_t id;

		if (!cgroup_alive(a)) {
			fprintf(stderr, "livegrantd: saved agent cgroup %s is gone; forgotten\n",
				a->cgroup);
			agent_drop(d, a);
			continue;
		}
		i++;
		if (!lgd_agent_live(a))
			continue;
		err = verify(d, a->token, &dom, &t, &reason);
		if (!err && lgd_is_revoked(d, t->jti)) {
			err = -EPERM;
			reason = "revoked";
		}
		/* The domain's rules as configured now, not as when it enrolled. */
		if (!err)
			err = lgd_domain_policy(dom, t, &reason);
		if (!err)
			err = lg_agent_add(d->e, a->cgroup, &id);
		/* Pinned maps may hold a suspension the saved state missed. */
		if (!err) {
			struct lg_agent cur;

			if (!lg_grant_get(d->e, id, &cur)) {
				a->generation = cur.generation;
				a->suspended |= kernel_suspended(d, a);
			}
		}
		if (!err)
			err = install(d, a, t, dom, &reason);
		if (err) {
			lapse(d, a, !strcmp(reason, "expired") ? LGD_EXPIRED : LGD_LAPSED, reason);
		} else {
			const struct lg_domain_config *reauth = a->reauth_domain;
			bool suspended = a->suspended;

			agent_set_token(a, a->token, t, dom);
			/* A crossing before the restart still stands. */
			if (reauth || suspended) {
				a->state = LGD_REAUTH_REQUIRED;
				a->reauth_domain = reauth;
				a->suspended = suspended;
				if (suspended)
					lg_agent_suspend(d->e, a->cgroup_id, a->generation);
			}
		}
		lg_token_free(t);
	}
	lgd_state_save(d);

	/* Agents in the kernel that we know nothing about: no state, no grant. */
	err = lg_agent_ids(d->e, &ids, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (lgd_agent_by_cgroup_id(d, ids[i]))
			continue;
		fprintf(stderr,
			"livegrantd: removing unknown agent cgroup id %llu from the kernel\n",
			(unsigned long long)ids[i]);
		lg_agent_remove(d->e, ids[i]);
	}
	free(ids);
	return 0;
}

void lgd_on_crossing(struct lgd *d, const struct lg_event *ev)
{
	struct lgd_agent *a = lgd_agent_by_cgroup_id(d, ev->agent_cgroup_id);
	const struct lg_domain_config *to = NULL;
	bool suspended, changed;
	uint32_t gen = 0;

	/* An audited crossing only reports; one from an older grant is stale. */
	if (!a || !lgd_agent_live(a) || ev->action != LG_ACTION_DENIED ||
	    ev->generation != a->generation)
		return;
	if (ev->target_domain && ev->target_domain <= d->cfg->n_domains)
		to = &d->cfg->domains[ev->target_domain - 1];
	/* The kernel suspended the grant itself if the target domain says so. */
	suspended = !lg_agent_suspended(d->e, a->cgroup_id, &gen) && gen == a->generation;
	/*
	 * What state.json holds of a crossing: the target and the suspension.
	 * Only a change is saved, after the loop's pass, not from this ring
	 * buffer callback: an agent repeating a crossing must not make
	 * livegrantd write and fsync a file per attempt.
	 */
	changed = a->state != LGD_REAUTH_REQUIRED || a->reauth_domain != to ||
		  a->suspended != suspended;
	a->state = LGD_REAUTH_REQUIRED;
	a->reauth_domain = to;
	a->crossing_ns = ev->time_ns;
	a->suspended = suspended;
	snprintf(a->reason, sizeof(a->reason), "tried to reach domain %s: present a token for it",
		 to ? to->name : "?");
	fprintf(stderr,
		"livegrantd: %s (%s) tried to cross from domain %s into %s: reauth_required%s, %.3f ms after the denial\n",
		a->sub ? a->sub : "?", a->cgroup, a->domain ? a->domain->name : "?",
		to ? to->name : "?", a->suspended ? ", grant suspended" : "",
		(lg_boottime_ns() - ev->time_ns) / 1e6);
	if (changed)
		d->save_pending = true;
}

int lgd_load_domains(struct lgd *d)
{
	struct lg_domain_net_spec *nets;
	size_t n = 0, k = 0;
	int err;

	for (size_t i = 0; i < d->cfg->n_domains; i++)
		n += d->cfg->domains[i].networks.n;
	nets = calloc(n ? n : 1, sizeof(*nets));
	if (!nets)
		return lg_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < d->cfg->n_domains; i++) {
		const struct lg_domain_config *dom = &d->cfg->domains[i];

		for (size_t j = 0; j < dom->networks.n; j++) {
			nets[k].cidr = dom->networks.v[j];
			nets[k].domain = dom->id;
			nets[k++].flags = dom->on_crossing == LG_ON_CROSSING_SUSPEND ?
						  LG_DOMAIN_F_SUSPEND :
						  0;
		}
	}
	err = lg_domain_nets_sync(d->e, nets, n);
	free(nets);
	return err;
}
