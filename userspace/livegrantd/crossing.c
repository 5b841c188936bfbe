// SPDX-License-Identifier: GPL-2.0
/*
 * crossing.c - see crossing.h. A crossing arrives on the ring-buffer
 * callback, as often as an agent cares to try: nothing here may cost
 * livegrantd more than a table update per event. The state file is
 * written only when the crossing changed what it holds, and then after the
 * event loop's pass, not from the callback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "crossing.h"
#include "daemon.h"
#include "state_saver.h"

int lgd_load_domains(struct lgd *d)
{
	struct lg_domain_net_spec *nets;
	size_t n = 0, k = 0;
	int err;

	for (size_t i = 0; i < d->cfg->n_domains; i++)
		n += d->cfg->domains[i].networks.n;
	nets = calloc(n ? n : 1, sizeof(*nets));
	if (!nets)
		return lg_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < d->cfg->n_domains; i++) {
		const struct lg_domain_config *dom = &d->cfg->domains[i];

		for (size_t j = 0; j < dom->networks.n; j++) {
			nets[k].cidr = dom->networks.v[j];
			nets[k].domain = dom->id;
			nets[k++].flags = dom->on_crossing == LG_ON_CROSSING_SUSPEND ?
						  LG_DOMAIN_F_SUSPEND :
						  0;
		}
	}
	err = lg_domain_nets_sync(d->e, nets, n);
	free(nets);
	return err;
}

bool lgd_crossing_apply(struct lgd_agent *a, const struct lg_domain_config *to, bool suspended,
			uint64_t time_ns)
{
	/* What state.json holds of a crossing: the target and the suspension. */
	bool changed = a->state != LGD_REAUTH_REQUIRED || a->reauth_domain != to ||
		       a->suspended != suspended;

	a->state = LGD_REAUTH_REQUIRED;
	a->reauth_domain = to;
	a->crossing_ns = time_ns;
	a->suspended = suspended;
	snprintf(a->reason, sizeof(a->reason), "tried to reach domain %s: present a token for it",
		 to ? to->name : "?");
	return changed;
}

void lgd_on_crossing(struct lgd *d, const struct lg_event *ev)
{
	struct lgd_agent *a = lgd_agent_by_cgroup_id(&d->agents, ev->agent_cgroup_id);
	const struct lg_domain_config *to = NULL;
	uint32_t gen = 0;
	bool suspended;

	/* An audited crossing only reports; one from an older grant is stale. */
	if (!a || !lgd_agent_live(a) || ev->action != LG_ACTION_DENIED ||
	    ev->generation != a->generation)
		return;
	if (ev->target_domain && ev->target_domain <= d->cfg->n_domains)
		to = &d->cfg->domains[ev->target_domain - 1];
	/* The kernel suspended the grant itself if the target domain says so. */
	suspended = !lg_agent_suspended(d->e, a->cgroup_id, &gen) && gen == a->generation;
	if (lgd_crossing_apply(a, to, suspended, ev->time_ns))
		lgd_state_save_later(d);
	fprintf(stderr,
		"livegrantd: %s (%s) tried to cross from domain %s into %s: reauth_required%s, %.3f ms after the denial\n",
		a->sub ? a->sub : "?", a->cgroup, a->domain ? a->domain->name : "?",
		to ? to->name : "?", a->suspended ? ", grant suspended" : "",
		(lg_boottime_ns() - ev->time_ns) / 1e6);
}
