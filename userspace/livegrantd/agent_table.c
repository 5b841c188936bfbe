// SPDX-License-Identifier: GPL-2.0
/* agent_table.c - see agent_table.h. */
#define _GNU_SOURCE
#include <errno.h>
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

/* Where @id's probe starts: cgroup ids are sequential, so they are mixed first. */
static size_t home(const struct lgd_agents *t, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ULL;

	return (h ^ (h >> 29)) & (t->nslots - 1);
}

/* @id's slot: the one holding it, or the free one where it would go. */
static size_t find_slot(const struct lgd_agents *t, uint64_t id)
{
	size_t mask = t->nslots - 1, i = home(t, id);

	/* Never full (at most half), so the probe ends. */
	while (t->slots[i] && t->v[t->slots[i] - 1].cgroup_id != id)
		i = (i + 1) & mask;
	return i;
}

/* Room for one more record: the array, and the index kept under half full. */
static int make_room(struct lgd_agents *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct lgd_agent *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	if (2 * (t->n + 1) > t->nslots) {
		size_t n = t->nslots ? 2 * t->nslots : 64;
		uint32_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		free(t->slots);
		t->slots = slots;
		t->nslots = n;
		for (size_t i = 0; i < t->n; i++)
			t->slots[find_slot(t, t->v[i].cgroup_id)] = i + 1;
	}
	return 0;
}

/*
 * Take @id out of the index. Linear probing cannot just clear the slot: a
 * record further along the probe that passed it on insertion would no
 * longer be found. Each such record moves back into the hole, unless its
 * own home lies cyclically after the hole, up to its current slot.
 */
static void unindex(struct lgd_agents *t, uint64_t id)
{
	size_t mask = t->nslots - 1, hole = find_slot(t, id), j = hole;

	if (!t->slots[hole])
		return;
	t->slots[hole] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!t->slots[j])
			return;
		k = home(t, t->v[t->slots[j] - 1].cgroup_id);
		/* Is k cyclically in (hole, j]? Then the record stays where it is. */
		if (hole <= j ? (hole < k && k <= j) : (hole < k || k <= j))
			continue;
		t->slots[hole] = t->slots[j];
		t->slots[j] = 0;
		hole = j;
	}
}

struct lgd_agent *lgd_agent_new(struct lgd_agents *t, const char *cgroup, uint64_t id)
{
	struct lgd_agent *a;

	if (lgd_agent_by_cgroup_id(t, id)) {
		errno = EEXIST;
		return NULL;
	}
	if (make_room(t)) {
		errno = ENOMEM;
		return NULL;
	}
	a = &t->v[t->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	a->cgroup_id = id;
	t->slots[find_slot(t, id)] = t->n;
	return a;
}

struct lgd_agent *lgd_agent_by_cgroup_id(struct lgd_agents *t, uint64_t id)
{
	size_t i;

	if (!t->nslots)
		return NULL;
	i = find_slot(t, id);
	return t->slots[i] ? &t->v[t->slots[i] - 1] : NULL;
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
	size_t at = a - t->v;

	unindex(t, a->cgroup_id);
	lgd_agent_clear(a);
	*a = t->v[--t->n];
	/* The last record now sits at @at: its slot, found by the index it held, says so. */
	if (at < t->n) {
		size_t i = home(t, a->cgroup_id);

		while (t->slots[i] != t->n + 1)
			i = (i + 1) & (t->nslots - 1);
		t->slots[i] = at + 1;
	}
}

int lgd_agent_set_token(struct lgd_agent *a, const char *token, const struct lg_token *t,
			const struct lg_domain_config *dom)
{
	char *copy = lgd_text_dup(token); /* @token may be a->token itself */

	lgd_text_put(a->token);
	free(a->sub);
	free(a->jti);
	free(a->task);
	/* Which bundle verified @token is for the caller to say (admission.c). */
	a->verified_gen = 0;
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
	/* A copy missing: the record cannot stand for the token; refresh will refuse it. */
	return a->token && a->sub && a->jti && (a->task || !t->task) ? 0 : -ENOMEM;
}

void lgd_agents_free(struct lgd_agents *t)
{
	for (size_t i = 0; i < t->n; i++)
		lgd_agent_clear(&t->v[i]);
	free(t->v);
	free(t->slots);
	*t = (struct lgd_agents){ 0 };
}
