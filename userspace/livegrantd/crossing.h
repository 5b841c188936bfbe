/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crossing.h - trust domains at run time: the domains' networks in the
 * kernel, and what a denied domain crossing does to the agent's record.
 */
#ifndef LGD_CROSSING_H
#define LGD_CROSSING_H

#include <stdbool.h>

#include "agent_table.h"
#include "config.h"
#include "livegrant.h"

struct lgd;

/* Load the domains' networks into the kernel. */
int lgd_load_domains(struct lgd *d);
/*
 * A denied crossing of @a's current grant toward @to (NULL: a domain the
 * configuration does not know), which the kernel did (@suspended) or did
 * not suspend. Returns whether anything that is saved changed: the first
 * crossing does, the same crossing again does not.
 */
bool lgd_crossing_apply(struct lgd_agent *a, const struct lg_domain_config *to, bool suspended,
			uint64_t time_ns);
/* A denial event: turn a domain crossing into agent state. */
void lgd_on_crossing(struct lgd *d, const struct lg_event *ev);

#endif /* LGD_CROSSING_H */
