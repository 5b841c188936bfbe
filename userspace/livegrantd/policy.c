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

/* Is path rule @rule within ceiling rule @cap? */
static bool path_within(const char *rule, const char *cap)
{
	char r[LG_PATH_MAX], c[LG_PATH_MAX];
	uint32_t rl, cl;
	bool rs, cs;

	if (lg_path_rule_parse(rule, r, &rl, &rs) || lg_path_rule_parse(cap, c, &cl, &cs))
		return false;
	if (!cs)
		return !rs && rl == cl && !memcmp(r, c, rl);
	/* A subtree ceiling covers itself and everything below it. */
	return rl >= cl && !memcmp(r, c, cl) && (rl == cl || r[cl] == '/');
}

static bool path_covered(const char *rule, const struct lg_strv *a, const struct lg_strv *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (path_within(rule, a->v[i]))
			return true;
	for (size_t i = 0; b && i < b->n; i++)
		if (path_within(rule, b->v[i]))
			return true;
	return false;
}

static bool prefix_within(const uint8_t *addr, uint32_t plen, const uint8_t *cap, uint32_t cplen)
{
	if (plen < cplen)
		return false;
	for (uint32_t bit = 0; bit < cplen; bit++) {
		uint8_t m = 0x80 >> (bit % 8);

		if ((addr[bit / 8] & m) != (cap[bit / 8] & m))
			return false;
	}
	return true;
}

static bool connect_within(const char *rule, const char *cap)
{
	struct lg_net_rule_parsed r, c;

	if (lg_net_rule_parse(rule, &r) || lg_net_rule_parse(cap, &c) || r.is_unix != c.is_unix)
		return false;
	if (r.is_unix)
		return r.unix_len == c.unix_len && !memcmp(r.unix_path, c.unix_path, r.unix_len);
	return prefix_within(r.addr, r.plen, c.addr, c.plen) && r.port_lo >= c.port_lo &&
	       r.port_hi <= c.port_hi;
}

static int beyond(const struct lg_domain_config *dom, const char *kind, const char *rule,
		  const char **reason)
{
	*reason = "beyond_ceiling";
	return lg_err(-EPERM, "domain %s's ceiling does not allow %s rule \"%s\"", dom->name, kind,
		      rule);
}

static int check_ceiling(const struct lg_domain_config *dom, const struct lg_token *t,
			 const char **reason)
{
	const struct lg_rules_config *c = &dom->ceiling;

	if (!dom->has_ceiling)
		return 0;
	for (size_t i = 0; i < t->exec.n; i++)
		if (!path_covered(t->exec.v[i], &c->exec, NULL))
			return beyond(dom, "exec", t->exec.v[i], reason);
	/* What the ceiling lets a token write, it lets it read. */
	for (size_t i = 0; i < t->read.n; i++)
		if (!path_covered(t->read.v[i], &c->read, &c->write))
			return beyond(dom, "read", t->read.v[i], reason);
	for (size_t i = 0; i < t->write.n; i++)
		if (!path_covered(t->write.v[i], &c->write, NULL))
			return beyond(dom, "write", t->write.v[i], reason);
	for (size_t i = 0; i < t->connect.n; i++) {
		size_t j;

		for (j = 0; j < c->connect.n; j++)
			if (connect_within(t->connect.v[i], c->connect.v[j]))
				break;
		if (j == c->connect.n)
			return beyond(dom, "connect", t->connect.v[i], reason);
	}
	return 0;
}

int lgd_domain_policy(const struct lg_domain_config *dom, const struct lg_token *t,
		      const char **reason)
{
	int err = check_required(dom, t, reason);

	return err ? err : check_ceiling(dom, t, reason);
}
