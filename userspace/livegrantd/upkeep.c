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
#include "state_saver.h"
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

bool lgd_refresh_begin(struct lgd *d)
{
	if (d->refresh.running)
		return false;
	d->refresh.running = true;
	d->refresh.seq++;
	d->refresh.start_ns = lg_monotonic_ns();
	d->refresh.cursor = 0;
	d->refresh.wrapped = false;
	d->refresh.changed = false;
	return true;
}

/*
 * Refresh the record in slot @i. Returns false when it was dropped: its
 * slot now holds the last record, not yet looked at.
 */
static bool refresh_one(struct lgd *d, size_t i)
{
	struct lgd_agent *a = &d->agents.v[i];
	bool live = lgd_agent_live(a);

	a->refresh_seq = d->refresh.seq;
	if (readmit(d, a, LGD_ADMIT_REFRESH) == LGD_ADMIT_GONE) {
		/* The cgroup is gone: forget the agent and its kernel entry. */
		lg_agent_remove(d->e, a->cgroup_id);
		fprintf(stderr, "livegrantd: agent cgroup %s is gone; forgotten\n", a->cgroup);
		lgd_agent_drop(&d->agents, a);
		d->refresh.changed = true;
		return false;
	}
	d->refresh.changed |= live && !lgd_agent_live(a);
	return true;
}

bool lgd_refresh_slice(struct lgd *d, uint64_t budget_ns)
{
	uint64_t t0 = lg_monotonic_ns();

	if (!d->refresh.running)
		return false;
	for (;;) {
		size_t i = d->refresh.cursor;

		/*
		 * At the end: once more from the start, for records that moved
		 * into slots already passed (a drop moves the last record), or
		 * that arrived meanwhile; the pass ends after that sweep.
		 */
		if (i >= d->agents.n) {
			if (d->refresh.wrapped)
				break;
			d->refresh.wrapped = true;
			d->refresh.cursor = 0;
			continue;
		}
		if (d->agents.v[i].refresh_seq == d->refresh.seq) {
			d->refresh.cursor++;
			continue;
		}
		if (budget_ns && lg_monotonic_ns() - t0 >= budget_ns)
			return true;
		if (refresh_one(d, i))
			d->refresh.cursor++;
	}
	d->refresh.running = false;
	if (d->refresh.changed)
		lgd_state_save_later(d);
	return false;
}

void lgd_refresh(struct lgd *d)
{
	/* A pass in slices may be running: finish it, then run a whole one. */
	lgd_refresh_slice(d, 0);
	lgd_refresh_begin(d);
	lgd_refresh_slice(d, 0);
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
		/* An agent pod's bootstrap grant has no record (kube_agents.h). */
		if (lgd_agent_by_cgroup_id(&d->agents, ids[i]) || lgd_kube_pod_by_id(d, ids[i]))
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
		lgd_add_revoked(&d->revoked, a->jti, a->times.exp);
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
