// SPDX-License-Identifier: GPL-2.0
/*
 * policy.c - a trust domain's own requirements on a verified token, checked
 * after the signature: claims it must carry (require_claims) and the most
 * it may grant (ceiling). A token that fails either is refused whole, with a
 * reason naming the claim or the rule.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon.h" /* LGD_CGROUP_MOUNT */
#include "kube_pods.h"
#include "livegrant.h"
#include "policy.h"
#include "rules.h"

/* A claim counts when present and non-empty. */
static bool claim_present(json_t *v)
{
	if (!v || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return true;
}

static int check_required(const struct lg_domain_config *dom, const struct lg_token *t,
			  const char **reason)
{
	for (size_t i = 0; i < dom->require_claims.n; i++) {
		const char *name = dom->require_claims.v[i];

		if (claim_present(json_object_get(t->claims, name)))
			continue;
		*reason = "missing_claim";
		return lg_err(-EPERM,
			      "domain %s requires the claim \"%s\" (non-empty); the token lacks it",
			      dom->name, name);
	}
	return 0;
}

static int beyond(const struct lg_domain_config *dom, const char *kind, const char *rule,
		  const char **reason)
{
	*reason = "beyond_ceiling";
	return lg_err(-EPERM, "domain %s's ceiling does not allow %s rule \"%s\"", dom->name, kind,
		      rule);
}

/*
 * Every token rule must lie within one ceiling rule that grants at least
 * its rights (lg_rule_covered): what the ceiling lets a token write, it
 * lets it read.
 */
static int check_ceiling(const struct lg_domain_config *dom, const struct lg_token *t,
			 const char **reason)
{
	if (!dom->has_ceiling)
		return 0;
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const struct lg_token_strv *v = &t->rules[k];

		for (size_t i = 0; i < v->n; i++)
			if (!lg_rule_covered(k, v->v[i], dom->ceiling.rules))
				return beyond(dom, lg_rule_kind(k)->name, v->v[i], reason);
	}
	return 0;
}

int lgd_domain_policy(const struct lg_domain_config *dom, const struct lg_token *t,
		      const char **reason)
{
	int err = check_required(dom, t, reason);

	return err ? err : check_ceiling(dom, t, reason);
}

/* ---- livegrant's own files ---------------------------------------------- */

/* Rights that change a file or a folder's entries: all but reading and running. */
#define CHANGING_RIGHTS(rights) ((rights) & ~(uint32_t)(LG_FILE_READ_RIGHTS | LG_FILE_EXECUTE))

static int protect_one(struct lgd_protected *p, const char *path, const char *what, bool listing)
{
	char norm[LG_PATH_MAX];
	struct lgd_protected_path *v;
	uint32_t len;
	bool subtree;

	/* Normalized like a rule, so that both compare byte for byte. */
	if (lg_path_rule_parse(path, norm, &len, &subtree))
		return lg_err(-EINVAL, "%s %s: not an absolute path", what, path);
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, norm)) {
			p->v[i].listing |= listing;
			return 0;
		}
	v = realloc(p->v, (p->n + 1) * sizeof(*v));
	if (!v)
		return lg_err(-ENOMEM, "out of memory");
	p->v = v;
	v[p->n].path = strdup(norm);
	if (!v[p->n].path)
		return lg_err(-ENOMEM, "out of memory");
	v[p->n].what = what;
	v[p->n].listing = listing;
	p->n++;
	return 0;
}

/* @path as written, and as the kernel will name it once it exists. */
static int protect(struct lgd_protected *p, const char *path, const char *what, bool listing)
{
	char real[PATH_MAX];
	int err;

	if (!path || !*path)
		return 0;
	if (path[0] == '/') {
		err = protect_one(p, path, what, listing);
		if (err)
			return err;
	}
	if (realpath(path, real))
		return protect_one(p, real, what, listing);
	return 0;
}

int lgd_protected_init(struct lgd_protected *p, const struct lg_config *cfg, const char *exe)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = protect(p, cfg->state_dir, "state_dir (state, denial log, control socket)", true);
	if (!err)
		err = protect(p, cfg->bpffs_dir, "bpffs_dir (livegrant's pins)", true);
	if (!err)
		err = protect(p, cfg->path, "the configuration file", false);
	for (size_t i = 0; !err && i < cfg->n_domains; i++) {
		const struct lg_domain_config *dom = &cfg->domains[i];

		/* A fetched bundle: its cache is in state_dir; whoever writes its CA file chooses it. */
		if (!dom->trust_bundle_url)
			err = protect(p, dom->trust_bundle, "a trust bundle", false);
		else if (dom->fetch.ca_file)
			err = protect(p, dom->fetch.ca_file, "a trust bundle's CA file", false);
	}
	/*
	 * An agent root's cgroup files move processes (cgroup.procs, out of
	 * the agent cgroup), kill (cgroup.kill) and set limits: no grant may
	 * write there, or make or remove cgroups below.
	 */
	for (size_t i = 0; !err && i < cfg->agent_cgroups.n; i++)
		err = protect(p, cfg->agent_cgroups.v[i], "an agent root (cgroup)", false);
	/* The same for every pod of the node, agent pods' roots among them. */
	if (!err && cfg->kube.enabled) {
		char pods[PATH_MAX];

		snprintf(pods, sizeof(pods), "%s/%s", LGD_CGROUP_MOUNT,
			 lgd_kube_pods_dir(cfg->kube.driver));
		err = protect(p, pods, "the pods' cgroups (kubepods)", false);
	}
	if (!err)
		err = protect(p, exe, "livegrantd's binary", false);
	if (err)
		lgd_protected_free(p);
	return err;
}

void lgd_protected_free(struct lgd_protected *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* Is @a (length @alen) @b itself or a path below it? "" is the root "/". */
static bool within(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen < blen || strncmp(a, b, blen))
		return false;
	return alen == blen || a[blen] == '/';
}

/*
 * Does the unix connect rule @rule name a socket inside @pp (plen bytes)?
 * The agent socket (state_dir's LGD_SOCKET_NAME) is every agent's already
 * (the kernel's control socket exception): naming it grants nothing. Any
 * other socket there is livegrant's own: the admin socket, which in enforce
 * mode no agent may reach (docs/livegrantd.md).
 */
static bool unix_reaches(const struct lgd_protected_path *pp, size_t plen, const char *rule)
{
	struct lg_net_rule_parsed r;

	if (lg_net_rule_parse(rule, &r) || !r.is_unix || !r.unix_path[0])
		return false; /* an address, an abstract name, or refused as it is parsed */
	if (!within(r.unix_path, r.unix_len, pp->path, plen))
		return false;
	return !(r.unix_len == plen + 1 + strlen(LGD_SOCKET_NAME) && r.unix_path[plen] == '/' &&
		 !memcmp(r.unix_path + plen + 1, LGD_SOCKET_NAME, strlen(LGD_SOCKET_NAME)));
}

/* Does the rule @rule of kind @k reach @pp? */
static bool reaches(const struct lgd_protected_path *pp, unsigned int k, const char *rule)
{
	const struct lg_rule_kind_info *ki = lg_rule_kind(k);
	char norm[LG_PATH_MAX];
	size_t plen = strlen(pp->path);
	uint32_t len;
	bool subtree;

	if (ki->cls == LG_CLASS_NET)
		return unix_reaches(pp, plen, rule);
	if (ki->cls != LG_CLASS_FILE || lg_path_rule_parse(rule, norm, &len, &subtree))
		return false;
	/* The target is a protected path or lies inside one: whatever it grants. */
	if (within(norm, len, pp->path, plen))
		return true;
	/* Above one: it could move, replace or remove it. */
	if (!within(pp->path, plen, norm, len))
		return false;
	if (CHANGING_RIGHTS(ki->rights))
		return true;
	return subtree && pp->listing && (ki->rights & LG_FILE_READ_RIGHTS);
}

static int check_rules(const struct lgd_protected *p, unsigned int k, const char *const *v,
		       size_t n, const char *where, const char **reason)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p->n; j++) {
			if (!reaches(&p->v[j], k, v[i]))
				continue;
			*reason = "protected_path";
			return lg_err(
				-EPERM,
				"%s %s rule \"%s\" reaches %s, which is %s: livegrant's own files are out of every grant's reach",
				where, lg_rule_kind(k)->name, v[i], p->v[j].path, p->v[j].what);
		}
	return 0;
}

int lgd_protected_check_config(const struct lgd_protected *p, const struct lg_rules_config *r,
			       const char *where, const char **reason)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		int err = check_rules(p, k, r->rules[k].v, r->rules[k].n, where, reason);

		if (err)
			return err;
	}
	return 0;
}

int lgd_protected_check_token(const struct lgd_protected *p, const struct lg_token *t,
			      const char **reason)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const struct lg_token_strv *v = &t->rules[k];
		int err = check_rules(p, k, (const char *const *)v->v, v->n, "token", reason);

		if (err)
			return err;
	}
	return 0;
}
