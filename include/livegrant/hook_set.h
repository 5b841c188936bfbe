/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/hook_set.h - a set of hooks (ids of livegrant/hooks.h), for
 * userspace: which hooks this kernel has, which are attached, which are
 * missing. One bit per id up to LG_HOOK_CAPACITY, so a set holds every id
 * a counter map has room for, whatever LG_HOOK_MAX a build has.
 *
 * The BPF programs never use it: a program knows its own hook id.
 */
#ifndef LIVEGRANT_HOOK_SET_H
#define LIVEGRANT_HOOK_SET_H

#ifdef __bpf__
#error "livegrant/hook_set.h is for userspace"
#endif

#include <stdbool.h>
#include <stdint.h>

#include "hooks.h"

#define LG_HOOK_SET_WORDS (LG_HOOK_CAPACITY / 64)

_Static_assert(LG_HOOK_CAPACITY % 64 == 0, "a hook set is whole 64-bit words");
_Static_assert(LG_HOOK_MAX <= LG_HOOK_SET_WORDS * 64, "a hook set holds every hook");

/* The empty set is { 0 } (struct lg_hook_set s = { 0 }). */
struct lg_hook_set {
	uint64_t w[LG_HOOK_SET_WORDS];
};

/* Add hook @h; an id past LG_HOOK_CAPACITY is no hook and is ignored. */
static inline void lg_hook_set_add(struct lg_hook_set *s, unsigned int h)
{
	if (h < LG_HOOK_CAPACITY)
		s->w[h / 64] |= 1ULL << (h % 64);
}

static inline bool lg_hook_set_has(const struct lg_hook_set *s, unsigned int h)
{
	return h < LG_HOOK_CAPACITY && (s->w[h / 64] >> (h % 64)) & 1;
}

static inline unsigned int lg_hook_set_count(const struct lg_hook_set *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < LG_HOOK_SET_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(s->w[i]);
	return n;
}

/* The first hook of @s at or after @h, or LG_HOOK_CAPACITY when none is. */
static inline unsigned int lg_hook_set_next(const struct lg_hook_set *s, unsigned int h)
{
	while (h < LG_HOOK_CAPACITY && !lg_hook_set_has(s, h))
		h++;
	return h;
}

/* for each hook @h (unsigned int) in @s, in id order. */
#define lg_hook_set_for_each(h, s)                                   \
	for ((h) = lg_hook_set_next((s), 0); (h) < LG_HOOK_CAPACITY; \
	     (h) = lg_hook_set_next((s), (h) + 1))

#endif /* LIVEGRANT_HOOK_SET_H */
