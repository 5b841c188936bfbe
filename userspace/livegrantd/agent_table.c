// SPDX-License-Identifier: GPL-2.0
/* agent_table.c - see agent_table.h. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_table.h"

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

bool lgd_agent_live(const struct lgd_agent *a)
{
	return a->state == LGD_ACTIVE || a->state == LGD_REAUTH_REQUIRED;
}

bool lgd_agent_matches(const struct lgd_agent *a, const char *target)
{
	const char *base = strrchr(a->cgroup, '/');

	return (a->sub && !strcmp(a->sub, target)) || (a->jti && !strcmp(a->jti, target)) ||
	       !strcmp(a->cgroup, target) || (base && !strcmp(base + 1, target));
}

struct lgd_agent *lgd_agent_new(struct lgd_agents *t, const char *cgroup, uint64_t id)
{
	struct lgd_agent *a;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct lgd_agent *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	a = &t->v[t->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	a->cgroup_id = id;
	return a;
}

struct lgd_agent *lgd_agent_by_cgroup_id(struct lgd_agents *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].cgroup_id == id)
			return &t->v[i];
	return NULL;
}

/* The last record of that path: a record of a re-created cgroup comes after the old one. */
struct lgd_agent *lgd_agent_by_cgroup(struct lgd_agents *t, const char *cgroup)
{
	struct lgd_agent *a = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].cgroup, cgroup))
			a = &t->v[i];
	return a;
}

struct lgd_agent *lgd_agent_by_target(struct lgd_agents *t, const char *target)
{
	for (size_t i = 0; i < t->n; i++)
		if (lgd_agent_matches(&t->v[i], target))
			return &t->v[i];
	return NULL;
}

/* The count lives just before the text, so a text is used as a plain string. */
struct shared_text {
	unsigned long refs;
	char s[];
};

static struct shared_text *shared_of(char *text)
{
	return (struct shared_text *)(text - offsetof(struct shared_text, s));
}

char *lgd_text_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	struct shared_text *t = malloc(sizeof(*t) + n);

	if (!t)
		return NULL;
	t->refs = 1;
	memcpy(t->s, s, n);
	/* Not a leak: lgd_text_put() finds @t again from the text. */
	/* cppcheck-suppress memleak */
	return t->s;
}

char *lgd_text_get(char *text)
{
	__atomic_add_fetch(&shared_of(text)->refs, 1, __ATOMIC_RELAXED);
	return text;
}

void lgd_text_put(char *text)
{
	/* Acquire-release: the last holder frees after every other is done reading. */
	if (text && !__atomic_sub_fetch(&shared_of(text)->refs, 1, __ATOMIC_ACQ_REL))
		free(shared_of(text));
}

void lgd_agent_clear(struct lgd_agent *a)
{
	lgd_text_put(a->token);
	free(a->sub);
	free(a->jti);
	free(a->task);
	a->token = a->sub = a->jti = a->task = NULL;
}

void lgd_agent_drop(struct lgd_agents *t, struct lgd_agent *a)
{
	lgd_agent_clear(a);
	*a = t->v[--t->n];
}

void lgd_agent_set_token(struct lgd_agent *a, const char *token, const struct lg_token *t,
			 const struct lg_domain_config *dom)
{
	char *copy = lgd_text_dup(token); /* @token may be a->token itself */

	lgd_text_put(a->token);
	free(a->sub);
	free(a->jti);
	free(a->task);
	/* Which bundle verified @token is for the caller to say (admission.c). */
	a->verified_with = NULL;
	a->token = copy;
	a->sub = strdup(t->sub);
	a->jti = strdup(t->jti);
	a->task = t->task ? strdup(t->task) : NULL;
	a->domain = dom;
	a->times = t->times;
	a->state = LGD_ACTIVE;
	a->reason[0] = 0;
	/* A new grant (new generation) is not suspended and needs nothing more. */
	a->reauth_domain = NULL;
	a->suspended = false;
}

void lgd_agents_free(struct lgd_agents *t)
{
	for (size_t i = 0; i < t->n; i++)
		lgd_agent_clear(&t->v[i]);
	free(t->v);
	*t = (struct lgd_agents){ 0 };
}
