// SPDX-License-Identifier: GPL-2.0
/* views.c - see views.h. Nothing here changes livegrantd's state. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "daemon.h"
#include "attest.h"
#include "control.h"
#include "privileges.h"
#include "views.h"

void lgd_refuse(json_t *resp, const char *reason, const char *msg)
{
	json_object_set_new(resp, "ok", json_false());
	json_object_set_new(resp, "reason", json_string(reason));
	json_object_set_new(resp, "error", json_string(msg));
}

/*
 * Agent cgroups that never presented a token (or whose record is gone): the
 * children of each agent root, and each agent pod, without a record. Their
 * processes hold no grant and are denied everything. @fn sees each one's path.
 */
_Static_assert(sizeof(ino_t) >= sizeof(uint64_t),
	       "a cgroup id (kernfs id) is a 64-bit inode number");

static void for_each_no_grant(struct lgd *d, void (*fn)(const char *path, void *ctx), void *ctx)
{
	for (size_t i = 0; i < d->kube.n; i++)
		if (!lgd_agent_by_cgroup_id(&d->agents, d->kube.pods[i].id))
			fn(d->kube.pods[i].path, ctx);
	for (size_t r = 0; r < d->nroots; r++) {
		DIR *dir = opendir(d->roots[r]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			char path[PATH_MAX];

			/*
			 * A child of a root is on the root's cgroup2 mount (checked
			 * at start), where a directory's inode number is its
			 * cgroup id: d_ino is the id, without the ~15 calls of
			 * lg_cgroup_id()'s walk for each of thousands of agents.
			 */
			if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
			    lgd_agent_by_cgroup_id(&d->agents, de->d_ino))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", d->roots[r], de->d_name) >=
			    (int)sizeof(path))
				continue;
			fn(path, ctx);
		}
		closedir(dir);
	}
}

static void add_no_grant(const char *path, void *ctx)
{
	json_array_append_new(
		ctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:b}",
			       "agent", "", "cgroup", path, "domain", "", "state", "no_grant",
			       "reason", "no token presented", "jti", "", "token_exp",
			       (json_int_t)0, "kernel_expires_in", (json_int_t)0, "generation",
			       (json_int_t)0, "task", "", "reauth_domain", "", "suspended", 0));
}

static json_t *agent_json(const struct lgd_agent *a, uint64_t now)
{
	json_t *o = json_object();
	int64_t left = 0;

	if (lgd_agent_live(a) && a->kernel_expires_ns > now)
		left = (a->kernel_expires_ns - now) / 1000000000ULL;
	json_object_set_new(o, "agent", json_string(a->sub ? a->sub : ""));
	json_object_set_new(o, "cgroup", json_string(a->cgroup));
	json_object_set_new(o, "domain", json_string(a->domain ? a->domain->name : ""));
	json_object_set_new(o, "state", json_string(lgd_state_name(a->state)));
	json_object_set_new(o, "reason", json_string(a->reason));
	json_object_set_new(o, "jti", json_string(a->jti ? a->jti : ""));
	json_object_set_new(o, "token_exp", json_integer(a->times.exp));
	json_object_set_new(o, "kernel_expires_in", json_integer(left));
	json_object_set_new(o, "generation", json_integer(a->generation));
	json_object_set_new(o, "task", json_string(a->task ? a->task : ""));
	json_object_set_new(o, "reauth_domain",
			    json_string(a->reauth_domain ? a->reauth_domain->name : ""));
	json_object_set_new(o, "suspended", json_boolean(a->suspended));
	return o;
}

json_t *lgd_agents_json(struct lgd *d)
{
	json_t *arr = json_array();
	uint64_t now = lg_boottime_ns();

	for (size_t i = 0; i < d->agents.n; i++)
		json_array_append_new(arr, agent_json(&d->agents.v[i], now));
	for_each_no_grant(d, add_no_grant, arr);
	return arr;
}

/* Each rule with the rights its kind grants, named as in events (names.c). */
static void add_rules(json_t *arr, int kind, char *const *v, size_t n, const char *source)
{
	const struct lg_rule_kind_info *k = lg_rule_kind(kind);
	char rights[512];

	lg_access_str(k->cls, k->rights, rights, sizeof(rights));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:s, s:s}", "kind", k->name, "rule",
						v[i], "source", source, "rights", rights));
}

int lgd_grants_json(struct lgd *d, const char *target, json_t *resp)
{
	const struct lg_rules_config *b = &d->cfg->baseline;
	const struct lg_domain_config *dom = NULL;
	const char *reason = "internal";
	struct lg_token *t = NULL;
	struct lgd_agent *a = lgd_agent_by_target(&d->agents, target);
	json_t *rules;

	if (!a || !lgd_agent_live(a) || lgd_verify(d, a->token, 0, &dom, &t, &reason)) {
		lgd_refuse(resp, a ? "no_grant" : "unknown_agent",
			   a ? "the agent has no live grant" :
			       "no agent matches (sub, cgroup or jti)");
		lg_token_free(t);
		return -ENOENT;
	}
	rules = json_array();
	/* The token's rules of every kind first, then the baseline's. */
	for (int k = 0; k < LG_RULE_KIND_MAX; k++)
		add_rules(rules, k, t->rules[k].v, t->rules[k].n, "token");
	for (int k = 0; k < LG_RULE_KIND_MAX; k++)
		add_rules(rules, k, (char *const *)b->rules[k].v, b->rules[k].n, "baseline");
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent", json_string(a->sub ? a->sub : ""));
	json_object_set_new(resp, "cgroup", json_string(a->cgroup));
	json_object_set_new(resp, "domain", json_string(dom->name));
	json_object_set_new(resp, "state", json_string(lgd_state_name(a->state)));
	json_object_set_new(resp, "generation", json_integer(a->generation));
	json_object_set_new(resp, "token_exp", json_integer(a->times.exp));
	json_object_set_new(resp, "rules", rules);
	lg_token_free(t);
	return 0;
}

/* The kernel's side of the status: programs attached and events lost. */
/* Every hook of the registry: enforced here, or why not. */
static json_t *hooks_json(struct lgd *d)
{
	json_t *list = json_array();
	struct lg_hook_set attached, missing;

	lg_enforcer_hooks(d->e, &attached, &missing);
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		const struct lg_hook_info *hi = lg_hook_info(h);
		bool on = lg_hook_set_has(&attached, h);
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", hi->name, "lsm_hook", hi->lsm,
				      "program", hi->prog, "enforced", on);

		if (!on)
			json_object_set_new(o, "why",
					    json_string(lg_hook_set_has(&missing, h) ?
								"this kernel has no such LSM hook" :
								"program not attached"));
		json_array_append_new(list, o);
	}
	return list;
}

static void status_kernel(struct lgd *d, json_t *resp)
{
	int total = 0, pinned = lg_enforcer_links_pinned(d->cfg->bpffs_dir, &total);
	uint64_t c[LG_COUNTERS], lost = 0, suppressed = 0;

	json_object_set_new(resp, "programs_attached", json_integer(pinned));
	json_object_set_new(resp, "programs", json_integer(total));
	json_object_set_new(resp, "start", json_string(lg_start_name(lg_enforcer_start(d->e))));
	json_object_set_new(resp, "hooks", hooks_json(d));
	if (!lg_counters_read(d->e, c))
		for (int h = 0; h < LG_HOOK_MAX; h++) {
			lost += c[h * LG_CTR_MAX + LG_CTR_EVENTS_LOST];
			suppressed += c[h * LG_CTR_MAX + LG_CTR_EVENTS_SUPPRESSED];
		}
	json_object_set_new(resp, "events_lost", json_integer(lost));
	json_object_set_new(resp, "events_suppressed", json_integer(suppressed));
}

/* The control socket's connections: held now, accepted, turned away by reason. */
static json_t *control_json(void)
{
	struct lgd_control_stats st;
	json_t *rej = json_object();

	lgd_control_stats(&st);
	for (unsigned int r = 0; r < LGD_REJECT_MAX; r++)
		json_object_set_new(rej, lgd_control_reject_name(r), json_integer(st.rejected[r]));
	return json_pack("{s:I, s:I, s:o}", "open", (json_int_t)st.open, "accepted",
			 (json_int_t)st.accepted, "rejected", rej);
}

/* The denial log: where, how big, and whether its lines reach it. */
static json_t *denial_log_json(const struct lgd_denial_log *l)
{
	json_t *o = json_pack("{s:s, s:I, s:b, s:I, s:I}", "path", l->path, "bytes",
			      (json_int_t)l->size, "writing", l->fd >= 0 && !l->write_err,
			      "unwritten_total", (json_int_t)l->unwritten_total, "sync_failures",
			      (json_int_t)l->sync_failures);

	/* A sync that has not returned for long: its lines are unconfirmed meanwhile. */
	if (l->sync_job && lg_boottime_ns() - l->sync_started_ns > LGD_LOG_SYNC_SLOW_NS)
		json_object_set_new(
			o, "sync_running_for_s",
			json_integer((lg_boottime_ns() - l->sync_started_ns) / 1000000000ULL));
	if (l->write_err) {
		json_object_set_new(o, "error", json_string(strerror(l->write_err)));
		json_object_set_new(o, "unwritten", json_integer(l->unwritten));
		json_object_set_new(
			o, "failing_for_s",
			json_integer((lg_boottime_ns() - l->failing_since_ns) / 1000000000ULL));
	}
	return o;
}

/* The state file: whether what livegrantd holds is saved, and if not why. */
static json_t *state_file_json(const struct lgd *d)
{
	const struct lgd_saver *s = &d->saver;
	json_t *o = json_pack("{s:s, s:b, s:I}", "path", d->state_path, "saved", !s->failing,
			      "failures", (json_int_t)s->failures);

	if (s->failing) {
		json_object_set_new(o, "error", json_string(s->error));
		json_object_set_new(o, "failing", json_integer(s->failing));
		json_object_set_new(
			o, "failing_for_s",
			json_integer((lg_boottime_ns() - s->failing_since_ns) / 1000000000ULL));
	}
	return o;
}

void lgd_status_json(struct lgd *d, json_t *resp)
{
	char privs[128];
	json_t *roots = json_array();
	size_t active = 0;

	for (size_t i = 0; i < d->nroots; i++)
		json_array_append_new(roots, json_string(d->roots[i]));
	for (size_t i = 0; i < d->agents.n; i++)
		active += lgd_agent_live(&d->agents.v[i]);
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent_roots", roots);
	json_object_set_new(resp, "agents", json_integer(d->agents.n));
	json_object_set_new(resp, "grants", json_integer(active));
	json_object_set_new(resp, "mode",
			    json_string(d->cfg->mode == LG_MODE_AUDIT ? "audit" : "enforce"));
	json_object_set_new(resp, "pinned", json_string(d->cfg->bpffs_dir));
	json_object_set_new(resp, "adopted", json_boolean(lg_enforcer_adopted(d->e)));
	json_object_set_new(resp, "version", json_string(LIVEGRANT_VERSION));
	json_object_set_new(resp, "abi_version", json_integer(LG_ABI_VERSION));
	json_object_set_new(resp, "bpf_lsm_active", json_boolean(lg_bpf_lsm_active() == 1));
	json_object_set_new(resp, "attestation", json_string(lgd_attest_method()));
	lgd_privileges_describe(privs, sizeof(privs));
	json_object_set_new(resp, "privileges", json_string(privs));
	json_object_set_new(resp, "kubernetes", lgd_kube_status_json(d));
	json_object_set_new(resp, "trust_bundles", lgd_bundles_status(&d->bundles));
	json_object_set_new(resp, "control", control_json());
	json_object_set_new(resp, "denial_log", denial_log_json(&d->log));
	json_object_set_new(resp, "state_file", state_file_json(d));
	status_kernel(d, resp);
}

static void count_no_grant(const char *path, void *ctx)
{
	(void)path;
	lgd_metrics_agent_add(ctx, "no_grant");
}

void lgd_agents_metrics(struct lgd *d, struct lgd_metrics *m)
{
	lgd_metrics_agents_reset(m);
	for (size_t i = 0; i < d->agents.n; i++) {
		struct lgd_agent *a = &d->agents.v[i];
		/* Suspended is a state of its own here: the agent can do nothing at all. */
		bool suspended = lgd_agent_live(a) && (a->suspended || lgd_kernel_suspended(d, a));

		lgd_metrics_agent_add(m, suspended ? "suspended" : lgd_state_name(a->state));
	}
	for_each_no_grant(d, count_no_grant, m);
}
