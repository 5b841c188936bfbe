// SPDX-License-Identifier: GPL-2.0
/*
 * policy.c - a trust domain's own requirements on a verified token, checked
 * after the signature: claims it must carry (require_claims) and the most
 * it may grant (ceiling). A token that fails either is refused whole, with a
 * reason naming the claim or the rule.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <jansson.h>

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
