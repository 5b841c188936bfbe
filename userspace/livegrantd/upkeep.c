// SPDX-License-Identifier: GPL-2.0
/*
 * upkeep.c - see upkeep.h. Refresh and restore run every saved or live
 * agent through the admission pipeline (admission.c) again; what is left
 * here is which records to run, and forgetting agents whose cgroup is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "daemon.h"
#include "state_file.h"
#include "upkeep.h"
#include "views.h"

static int readmit(struct lgd *d, struct lgd_agent *a, enum lgd_admit_mode mode)
{
	struct lgd_admit_req req = { .mode = mode, .agent = a };

	/* A record without a grant has nothing to re-check but its cgroup. */
	if (!lgd_agent_live(a))
		return lgd_agent_cgroup_alive(a) ? 0 : LGD_ADMIT_GONE;
	return lgd_admit(d, &req);
}

void lgd_refresh(struct lgd *d)
{
	bool changed = false;

	for (size_t i = 0; i < d->agents.n;) {
		struct lgd_agent *a = &d->agents.v[i];
		bool live = lgd_agent_live(a);

		if (readmit(d, a, LGD_ADMIT_REFRESH) == LGD_ADMIT_GONE) {
			/* The cgroup is gone: forget the agent and its kernel entry. */
			lg_agent_remove(d->e, a->cgroup_id);
			fprintf(stderr, "livegrantd: agent cgroup %s is gone; forgotten\n",
				a->cgroup);
			lgd_agent_drop(&d->agents, a);
			changed = true;
			continue;
		}
		changed |= live && !lgd_agent_live(a);
		i++;
	}
	if (changed)
		lgd_state_save(d);
}

void lgd_bridge(struct lg_enforcer *e, void *ctx)
{
	struct lgd *d = ctx;

	for (size_t i = 0; i < d->agents.n; i++) {
		struct lgd_admit_req req = { .mode = LGD_ADMIT_BRIDGE,
					     .agent = &d->agents.v[i],
					     .prev = e };

		if (lgd_agent_live(&d->agents.v[i]))
			lgd_admit(d, &req);
	}
}

/* Agents in the kernel that we know nothing about: no state, no grant. */
static int drop_strangers(struct lgd *d)
{
	uint64_t *ids = NULL;
	size_t n = 0;
	int err = lg_agent_ids(d->e, &ids, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (lgd_agent_by_cgroup_id(&d->agents, ids[i]))
			continue;
		fprintf(stderr,
			"livegrantd: removing unknown agent cgroup id %llu from the kernel\n",
			(unsigned long long)ids[i]);
		lg_agent_remove(d->e, ids[i]);
	}
	free(ids);
	return 0;
}

int lgd_restore(struct lgd *d)
{
	/*
	 * Saved agents go back into the kernel from their saved token, checked
	 * as at refresh. Reinstalling (rather than extending what the pins
	 * hold) also repairs a crash between a grant change and the save.
	 */
	for (size_t i = 0; i < d->agents.n;) {
		struct lgd_agent *a = &d->agents.v[i];

		if (readmit(d, a, LGD_ADMIT_RESTORE) == LGD_ADMIT_GONE) {
			fprintf(stderr, "livegrantd: saved agent cgroup %s is gone; forgotten\n",
				a->cgroup);
			lgd_agent_drop(&d->agents, a);
			continue;
		}
		i++;
	}
	lgd_state_save(d);
	return drop_strangers(d);
}

static int64_t longest_ttl(const struct lgd *d)
{
	uint64_t m = 0;

	for (size_t i = 0; i < d->cfg->n_domains; i++)
		if (d->cfg->domains[i].max_ttl_s > m)
			m = d->cfg->domains[i].max_ttl_s;
	return (int64_t)(m + d->cfg->token_leeway_s);
}

int lgd_revoke(struct lgd *d, const char *target, json_t *resp)
{
	json_t *done = json_array();
	int err = 0;

	for (size_t i = 0; i < d->agents.n; i++) {
		struct lgd_agent *a = &d->agents.v[i];

		if (!lgd_agent_matches(a, target) || !lgd_agent_live(a))
			continue;
		err = lg_grant_remove(d->e, a->cgroup_id);
		if (err)
			break;
		a->state = LGD_REVOKED;
		snprintf(a->reason, sizeof(a->reason), "revoked by an administrator");
		lgd_add_revoked(&d->revoked, a->jti, a->exp);
		json_array_append_new(done, json_string(a->cgroup));
		fprintf(stderr, "livegrantd: revoked %s (jti %s) of %s\n", a->sub, a->jti,
			a->cgroup);
	}
	if (err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s (grants listed in \"revoked\" were removed)",
			 lg_errmsg());
		lgd_state_save(d);
		json_object_set_new(resp, "revoked", done);
		lgd_refuse(resp, "internal", msg);
		return err;
	}
	/* Nothing live matched: remember it as a token id until any token could have expired. */
	if (!json_array_size(done))
		lgd_add_revoked(&d->revoked, target, time(NULL) + longest_ttl(d));
	if (lgd_state_save(d)) {
		/* In force in the kernel, but a restart would not know: say so. */
		json_object_set_new(resp, "revoked", done);
		lgd_refuse(resp, "internal", lg_errmsg());
		return -EIO;
	}
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "revoked", done);
	return 0;
}
