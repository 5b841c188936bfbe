/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rule_index.h - which entries of the rule maps belong to which agent.
 *
 * Replacing or removing a grant deletes the rules of its other generations.
 * Finding them by walking the rule maps costs every install a pass over
 * every agent's rules (two of them: before and after the switch), which
 * grows with the number of agents. The index keeps, per agent, the keys it
 * has in each rule map, so that an install costs its own rules only.
 *
 * It is built by one walk of the rule maps the first time it is needed and
 * kept up to date by grants.c. An entry it does not know (written by another
 * process since) is only memory not freed, never a right: the kernel uses
 * only the rules of the generation in the agent's header, and generations
 * are not handed out twice before lg_state.generation_seq wraps, after 2^32
 * installs (no other writer of rule entries exists today: another process
 * writing rules while this index lives would break that bound once the
 * counter wraps). Used from one thread at a time, as grants.c is. Key
 * arrays keep their capacity after a collect: at most the pool's size in
 * keys, 32 to 128 bytes each.
 */
#ifndef LG_RULE_INDEX_H
#define LG_RULE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enforcer.h"

/* The rule maps: their keys all hold the agent's cgroup id and a generation. */
enum lg_rule_map_idx {
	LG_RULES_PATH,
	LG_RULES_NET,
	LG_RULES_UNIX,
	LG_RULES_MAX,
};

struct lg_rule_index;

/*
 * Write @n rules of one new generation into rule map @m: @keys and @values
 * are packed arrays of the map's keys and values.
 * All are indexed first, so that a rule in the map is always one the index
 * can find and delete (an indexed key the map lacks is skipped). 0, or a
 * negative errno with *@done the rules written before the one that failed.
 */
int lg_rule_index_put(struct lg_enforcer *e, enum lg_rule_map_idx m, const void *keys,
		      const void *values, size_t n, size_t *done);

/*
 * Delete from the maps (and the index) every rule of agent @id whose
 * generation is not @keep (0: all of them). The first error is returned;
 * the keys not deleted stay indexed.
 */
int lg_rule_index_collect(struct lg_enforcer *e, uint64_t id, uint32_t keep);

/* Rules of agent @id the index holds, all maps and generations (tests). */
size_t lg_rule_index_count(struct lg_enforcer *e, uint64_t id);

void lg_rule_index_free(struct lg_rule_index *ri);

#endif /* LG_RULE_INDEX_H */
