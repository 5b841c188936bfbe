/* SPDX-License-Identifier: GPL-2.0 */
/*
 * views.h - what livegrantd shows of its state: the agents list, one
 * agent's grant, the status, and agents by state for the metrics. The JSON
 * field names are stable (docs/livegrantd.md, docs/cli.md).
 */
#ifndef LGD_VIEWS_H
#define LGD_VIEWS_H

#include <jansson.h>

#include "metrics.h"

struct lgd;

/* Every agent record, then every agent cgroup without one (no_grant). */
json_t *lgd_agents_json(struct lgd *d);
/* The live rules of one agent and where each came from (token or baseline). */
int lgd_grants_json(struct lgd *d, const char *target, json_t *resp);
/* The status reply's fields into @resp. */
void lgd_status_json(struct lgd *d, json_t *resp);
/* livegrant_agents by state, counted as lgd_agents_json() lists them. */
void lgd_agents_metrics(struct lgd *d, struct lgd_metrics *m);
/* A refusal reply: {"ok":false,"reason":@reason,"error":@msg}. */
void lgd_refuse(json_t *resp, const char *reason, const char *msg);

#endif /* LGD_VIEWS_H */
