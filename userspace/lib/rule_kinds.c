// SPDX-License-Identifier: GPL-2.0
/*
 * rule_kinds.c - the rule-kind table of livegrant/rule_kinds.h as data, and
 * what follows from it alone: names, and whether a ceiling covers a rule.
 */
#include <errno.h>
#include <string.h>

#include "rules.h"

#define KIND_ROW(kid, kname, kclass, krights) \
	[LG_RULE_##kid] = { .id = LG_RULE_##kid, .name = kname, .cls = kclass, .rights = krights },
static const struct lg_rule_kind_info kinds[LG_RULE_KIND_MAX] = { LG_RULE_KINDS(KIND_ROW) };
#undef KIND_ROW

/* ", exec, read, write, connect": built by the compiler, shown from [2]. */
#define KIND_NAME(kid, kname, kclass, krights) ", " kname
static const char kind_list[] = LG_RULE_KINDS(KIND_NAME);
#undef KIND_NAME

const struct lg_rule_kind_info *lg_rule_kind(unsigned int kind)
{
	return kind < LG_RULE_KIND_MAX ? &kinds[kind] : NULL;
}

int lg_rule_kind_by_name(const char *name)
{
	for (unsigned int k = 0; name && k < LG_RULE_KIND_MAX; k++)
		if (!strcmp(kinds[k].name, name))
			return (int)k;
	return -ENOENT;
}

const char *lg_rule_kind_list(void)
{
	return kind_list + 2;
}

/* Is path rule @rule within path rule @cap? */
static bool path_within(const char *rule, const char *cap)
{
	char r[LG_PATH_MAX], c[LG_PATH_MAX];
	uint32_t rl, cl;
	bool rs, cs;

	if (lg_path_rule_parse(rule, r, &rl, &rs) || lg_path_rule_parse(cap, c, &cl, &cs))
		return false;
	if (!cs)
		return !rs && rl == cl && !memcmp(r, c, rl);
	/* A subtree rule covers itself and everything below it. */
	return rl >= cl && !memcmp(r, c, cl) && (rl == cl || r[cl] == '/');
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

/* Is connect rule @rule within connect rule @cap? */
static bool net_within(const char *rule, const char *cap)
{
	struct lg_net_rule_parsed r, c;

	if (lg_net_rule_parse(rule, &r) || lg_net_rule_parse(cap, &c) || r.is_unix != c.is_unix)
		return false;
	if (r.is_unix)
		return r.unix_len == c.unix_len && !memcmp(r.unix_path, c.unix_path, r.unix_len);
	return prefix_within(r.addr, r.plen, c.addr, c.plen) && r.port_lo >= c.port_lo &&
	       r.port_hi <= c.port_hi;
}

bool lg_rule_within(enum lg_rule_kind kind, const char *rule, enum lg_rule_kind cap_kind,
		    const char *cap)
{
	const struct lg_rule_kind_info *k = lg_rule_kind(kind), *c = lg_rule_kind(cap_kind);

	if (!k || !c || k->cls != c->cls || (k->rights & ~c->rights))
		return false;
	return k->cls == LG_CLASS_FILE ? path_within(rule, cap) : net_within(rule, cap);
}

bool lg_rule_covered(enum lg_rule_kind kind, const char *rule,
		     const struct lg_strv caps[LG_RULE_KIND_MAX])
{
	for (unsigned int c = 0; c < LG_RULE_KIND_MAX; c++)
		for (size_t i = 0; i < caps[c].n; i++)
			if (lg_rule_within(kind, rule, c, caps[c].v[i]))
				return true;
	return false;
}
