// SPDX-License-Identifier: GPL-2.0
/* kube_agents.c - see kube_agents.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "admission.h"
#include "attest.h"
#include "daemon.h"
#include "kube_agents.h"

static int pods_grow(struct lgd_kube *k)
{
	size_t cap = k->cap ? k->cap * 2 : 32;
	struct lgd_pod_root *t;

	if (k->n < k->cap)
		return 0;
	t = realloc(k->pods, cap * sizeof(*t));
	if (!t)
		return lg_err(-ENOMEM, "out of memory");
	k->pods = t;
	k->cap = cap;
	return 0;
}

static struct lgd_pod_root *pod_by_uid(const struct lgd_kube *k, const char *uid)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->pods[i].uid, uid))
			return &k->pods[i];
	return NULL;
}

static struct lgd_pod_root *pod_by_id(const struct lgd_kube *k, uint64_t id)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->pods[i].id == id)
			return &k->pods[i];
	return NULL;
}

const struct lgd_pod_root *lgd_kube_pod_by_id(const struct lgd *d, uint64_t id)
{
	return pod_by_id(&d->kube, id);
}

const struct lgd_pod_root *lgd_kube_pod_of(const struct lgd *d, const char *cgroup)
{
	for (size_t i = 0; i < d->kube.n; i++)
		if (lgd_cgroup_at_or_below(cgroup, d->kube.pods[i].path))
			return &d->kube.pods[i];
	return NULL;
}

/*
 * Can the cgroup at @path be an agent pod's root? Not when it holds or is
 * held by a configured root (nested roots would make one agent of the
 * outer and the inner), nor when livegrantd itself runs in it.
 */
static int may_register(const struct lgd *d, const char *path)
{
	char own[PATH_MAX];

	for (size_t i = 0; i < d->nroots; i++)
		if (lgd_cgroup_at_or_below(path, d->roots[i]) ||
		    lgd_cgroup_at_or_below(d->roots[i], path))
			return lg_err(-EINVAL, "its cgroup %s and agent root %s are nested", path,
				      d->roots[i]);
	if (!lgd_pid_cgroup(getpid(), LGD_CGROUP_MOUNT, own, sizeof(own)) &&
	    lgd_cgroup_at_or_below(own, path))
		return lg_err(
			-EINVAL,
			"livegrantd itself runs in its cgroup %s: select livegrantd's pod out",
			path);
	return 0;
}

/* Register @path as the root (and agent) of pod @uid. */
static int pod_add(struct lgd *d, const char *uid, const char *ns, const char *name,
		   const char *path)
{
	struct lgd_kube *k = &d->kube;
	struct lgd_pod_root *p;
	uint64_t id;
	int err = may_register(d, path);

	if (!err)
		err = pods_grow(k);
	if (!err)
		err = lg_cgroup_id(path, &id, NULL);
	/* Its containers' setup is the runtime's; each is an agent from its exec on. */
	if (!err)
		err = lg_root_add_flags(d->e, path, LG_ROOT_F_FROM_EXEC);
	if (err)
		return err;
	p = &k->pods[k->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	snprintf(p->namespace_, sizeof(p->namespace_), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->id = id;
	return 0;
}

/*
 * The pod's bootstrap grant: the rules of kubernetes.bootstrap, no domain,
 * two refresh intervals long and extended by lgd_kube_sweep() while the pod
 * has presented no token. Nothing configured: no grant, the pod can do
 * nothing until a token is presented.
 */
static int bootstrap_install(struct lgd *d, struct lgd_pod_root *p)
{
	struct lg_grant_spec spec = { .domain = 0, .mode = d->cfg->mode };
	uint64_t id;
	int err;

	if (!d->cfg->kube.has_bootstrap)
		return 0;
	_Static_assert(sizeof(spec.rules) == sizeof(d->cfg->kube.bootstrap.rules),
		       "a grant spec and a rule set hold the same lists");
	memcpy(spec.rules, d->cfg->kube.bootstrap.rules, sizeof(spec.rules));
	spec.expires_ns = lg_boottime_ns() + 2 * d->cfg->refresh_interval_s * 1000000000ULL;
	err = lg_agent_add(d->e, p->path, &id);
	if (!err)
		err = lg_grant_install(d->e, id, &spec, NULL);
	if (err)
		return lg_err(err, "agent pod %s: its bootstrap grant: %s", p->uid, lg_errmsg());
	p->bootstrap = true;
	p->bootstrap_expires_ns = spec.expires_ns;
	return 0;
}

/* Keep the bootstrap grant of @p alive, or end it once the pod presented a token. */
static void bootstrap_upkeep(struct lgd *d, struct lgd_pod_root *p, uint64_t now)
{
	uint64_t interval = d->cfg->refresh_interval_s * 1000000000ULL;

	if (p->bootstrap_done)
		return;
	/* A token's grant took its place: never back to bootstrap. */
	if (lgd_agent_by_cgroup_id(&d->agents, p->id)) {
		p->bootstrap = false;
		p->bootstrap_done = true;
		return;
	}
	/* Its install failed (no memory, a full map): again, once a second. */
	if (!p->bootstrap) {
		if (d->cfg->kube.has_bootstrap && bootstrap_install(d, p))
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
		return;
	}
	if (p->bootstrap_expires_ns > now + interval)
		return;
	if (lg_grant_set_expiry(d->e, p->id, now + 2 * interval)) {
		fprintf(stderr, "livegrantd: agent pod %s: extending its bootstrap grant: %s\n",
			p->uid, lg_errmsg());
		return;
	}
	p->bootstrap_expires_ns = now + 2 * interval;
}

/* ---- finding registered pods again at start ------------------------------ */

/* The pod UID in a pod cgroup's directory name, either driver; "" if none. */
static void uid_of_dir(const char *dname, char *uid, size_t size)
{
	const char *p = dname;

	uid[0] = 0;
	/* "kubepods" has "pod" in it too: the UID follows the "pod" 36 before the end. */
	while ((p = strstr(p, "pod")) && strcspn(p + 3, ".") != 36)
		p++;
	if (!p || size <= 36)
		return;
	p += 3;
	memcpy(uid, p, 36);
	uid[36] = 0;
	/* systemd's unit names carry the UID's '-' as '_'. */
	for (char *c = uid; *c; c++)
		if (*c == '_')
			*c = '-';
}

/*
 * Look for the cgroup with id @id among the pod cgroups below @dir, down
 * to @depth levels (pods sit one level below kubepods, or two below it in
 * a QoS class). Its path into @out; true if found.
 */
static bool find_pod_dir(const char *dir, int depth, uint64_t id, char *out, size_t size)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!dh)
		return false;
	while (!found && (de = readdir(dh))) {
		char path[PATH_MAX];
		uint64_t cid;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (!lg_cgroup_id(path, &cid, NULL) && cid == id) {
			snprintf(out, size, "%s", path);
			found = true;
		} else if (depth > 1) {
			found = find_pod_dir(path, depth - 1, id, out, size);
		}
	}
	closedir(dh);
	return found;
}

/*
 * A root of the set being replaced that is neither configured nor a pod
 * cgroup here: keep it in this build's map, with no flags (every task
 * below judged), rather than let it go with the old set.
 */
static void keep_unplaced(struct lgd *d, uint64_t id, const char *base)
{
	uint32_t level;

	fprintf(stderr,
		"livegrantd: agent root %llu is not configured and not a pod cgroup under %s: left registered\n",
		(unsigned long long)id, base);
	if (lg_enforcer_start(d->e) != LG_START_REPLACED || lg_prev_root_level(d->e, id, &level))
		return;
	if (lg_root_add_id(d->e, id, level))
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
}

static bool configured_root(const struct lgd *d, uint64_t id)
{
	for (size_t i = 0; i < d->nroots; i++) {
		uint64_t rid;

		if (!lg_cgroup_id(d->roots[i], &rid, NULL) && rid == id)
			return true;
	}
	return false;
}

int lgd_kube_recover(struct lgd *d)
{
	char base[PATH_MAX], path[PATH_MAX], uid[LGD_KUBE_UID_MAX];
	uint64_t *ids = NULL;
	size_t n = 0;
	int err;

	if (!d->cfg->kube.enabled)
		return 0;
	snprintf(base, sizeof(base), "%s/%s", LGD_CGROUP_MOUNT,
		 lgd_kube_pods_dir(d->cfg->kube.driver));
	err = lg_root_ids(d->e, &ids, &n);
	for (size_t i = 0; !err && i < n; i++) {
		if (configured_root(d, ids[i]) || pod_by_id(&d->kube, ids[i]))
			continue;
		/*
		 * A root that is no configured one and no pod cgroup here
		 * stays registered as it is: what cannot be shown gone is
		 * never un-governed.
		 */
		if (!find_pod_dir(base, 2, ids[i], path, sizeof(path))) {
			keep_unplaced(d, ids[i], base);
			continue;
		}
		uid_of_dir(strrchr(path, '/') + 1, uid, sizeof(uid));
		/* One pod that cannot be added (its cgroup just went) stops no start. */
		if (pod_add(d, uid, "", "", path)) {
			fprintf(stderr, "livegrantd: agent pod %s: %s\n", uid, lg_errmsg());
			keep_unplaced(d, ids[i], base);
			continue;
		}
		fprintf(stderr, "livegrantd: agent pod %s governed again: cgroup %s\n", uid, path);
		/* No saved token: it is still starting, or never presented one. */
		if (!lgd_agent_by_cgroup_id(&d->agents, ids[i]) &&
		    bootstrap_install(d, &d->kube.pods[d->kube.n - 1]))
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
	}
	free(ids);
	return err ? lg_err(err, "finding agent pods again: %s", lg_errmsg()) : 0;
}

void lgd_kube_committed(struct lgd *d)
{
	/*
	 * A replacing start's task marks began empty, and this build's
	 * task_alloc marked nothing until it was attached just now: every
	 * task alive in a pod counts as judged from here on.
	 */
	if (lg_enforcer_start(d->e) != LG_START_REPLACED)
		return;
	for (size_t i = 0; i < d->kube.n; i++)
		if (lg_root_restamp(d->e, d->kube.pods[i].id))
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
}

int lgd_kube_check(struct lgd *d)
{
	char url[512], own[PATH_MAX], base[PATH_MAX];
	int err = lgd_kubelet_url(&d->cfg->kube, url, sizeof(url));

	if (err)
		return err;
	snprintf(base, sizeof(base), "%s/%s", LGD_CGROUP_MOUNT,
		 lgd_kube_pods_dir(d->cfg->kube.driver));
	d->kube.own_pod[0] = 0;
	/* In a pod, livegrantd runs in a container cgroup: its parent is the pod's. */
	if (!lgd_pid_cgroup(getpid(), LGD_CGROUP_MOUNT, own, sizeof(own)) &&
	    lgd_cgroup_at_or_below(own, base) && strcmp(own, base) && strrchr(own, '/')) {
		*strrchr(own, '/') = 0;
		if (strcmp(own, base))
			snprintf(d->kube.own_pod, sizeof(d->kube.own_pod), "%s", own);
	}
	return 0;
}

bool lgd_kube_may_admin(const struct lgd *d, const char *cgroup)
{
	char base[PATH_MAX];

	if (!d->cfg->kube.enabled)
		return true;
	snprintf(base, sizeof(base), "%s/%s", LGD_CGROUP_MOUNT,
		 lgd_kube_pods_dir(d->cfg->kube.driver));
	if (!lgd_cgroup_at_or_below(cgroup, base))
		return true;
	return d->kube.own_pod[0] && lgd_cgroup_at_or_below(cgroup, d->kube.own_pod);
}

/* ---- the kubelet's lists ---------------------------------------------------- */

int lgd_kube_start(struct lgd *d, int *fd)
{
	int err;

	*fd = -1;
	if (!d->cfg->kube.enabled)
		return 0;
	err = lgd_kubelet_start(&d->cfg->kube, &d->kube.client);
	if (err)
		return err;
	*fd = lgd_kubelet_fd(d->kube.client);
	return 0;
}

/* One listed pod: registered (new), already known, pending or refused. */
static void apply_pod(struct lgd *d, const struct lgd_kube_pod *lp)
{
	struct lgd_pod_root *p = pod_by_uid(&d->kube, lp->uid);
	char path[PATH_MAX];
	uint64_t id;

	if (p) {
		/* Found again after a restart: the list names it now. */
		snprintf(p->namespace_, sizeof(p->namespace_), "%s", lp->namespace_);
		snprintf(p->name, sizeof(p->name), "%s", lp->name);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", LGD_CGROUP_MOUNT, lp->cgroup);
	/* The kubelet lists a pod before it makes its cgroup: next time. */
	if (lg_cgroup_id(path, &id, NULL)) {
		d->kube.pending++;
		return;
	}
	/* Found again under a directory name that gave no UID: the same pod. */
	p = pod_by_id(&d->kube, id);
	if (p) {
		snprintf(p->uid, sizeof(p->uid), "%s", lp->uid);
		snprintf(p->namespace_, sizeof(p->namespace_), "%s", lp->namespace_);
		snprintf(p->name, sizeof(p->name), "%s", lp->name);
		return;
	}
	if (pod_add(d, lp->uid, lp->namespace_, lp->name, path)) {
		d->kube.refused++;
		fprintf(stderr, "livegrantd: agent pod %s/%s (%s) cannot be governed: %s\n",
			lp->namespace_, lp->name, lp->uid, lg_errmsg());
		return;
	}
	fprintf(stderr, "livegrantd: agent pod %s/%s (%s) governed: cgroup %s\n", lp->namespace_,
		lp->name, lp->uid, path);
	/* Without it the pod stays governed, with no grant: it cannot start. */
	if (bootstrap_install(d, &d->kube.pods[d->kube.n - 1]))
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
}

void lgd_kube_handle(struct lgd *d)
{
	struct lgd_kubelet_result *r = lgd_kubelet_take(d->kube.client);
	struct lgd_kube *k = &d->kube;
	bool was_ok = k->last == LGD_KUBELET_OK && k->last_ns;

	if (!r)
		return;
	k->results[r->kind]++;
	k->last = r->kind;
	k->last_ns = r->at_ns;
	snprintf(k->error, sizeof(k->error), "%s", r->error);
	lgd_metrics_kubelet_result(&d->metrics, r->kind);
	if (r->kind != LGD_KUBELET_OK) {
		/* Said once per outage, not once per poll; status keeps saying it. */
		if (was_ok || k->results[r->kind] == 1)
			fprintf(stderr,
				"livegrantd: kubelet: %s (%s); the %zu agent pods stay governed\n",
				r->error, lgd_kubelet_result_name(r->kind), k->n);
		lgd_kubelet_result_free(r);
		return;
	}
	k->last_ok_ns = r->at_ns;
	k->pending = k->refused = 0;
	for (size_t i = 0; i < r->n; i++)
		apply_pod(d, &r->pods[i]);
	lgd_kubelet_result_free(r);
}

/*
 * Is @p's cgroup shown gone: no such directory, or one of another id
 * (kernfs ids are never reused while the system runs)? Any other error
 * (no memory, a stat that failed) shows nothing: the pod stays governed.
 */
static bool cgroup_gone(const struct lgd_pod_root *p)
{
	struct stat st;

	if (stat(p->path, &st))
		return errno == ENOENT || errno == ENOTDIR;
	return (uint64_t)st.st_ino != p->id;
}

void lgd_kube_sweep(struct lgd *d)
{
	struct lgd_kube *k = &d->kube;
	uint64_t now = lg_boottime_ns();

	for (size_t i = 0; i < k->n;) {
		struct lgd_pod_root *p = &k->pods[i];

		/* Still there, or not shown gone: governed. */
		if (!cgroup_gone(p)) {
			bootstrap_upkeep(d, p, now);
			i++;
			continue;
		}
		/* A bootstrap grant has no record for the refresh to forget. */
		if (p->bootstrap && !lgd_agent_by_cgroup_id(&d->agents, p->id))
			lg_agent_remove(d->e, p->id);
		/*
		 * A cgroup is removed only once no process is left in it: no
		 * task can be below this root any more. Its agent record goes
		 * at the next refresh (its cgroup is gone).
		 */
		if (lg_root_remove_id(d->e, p->id))
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
		fprintf(stderr, "livegrantd: agent pod %s/%s (%s) is gone: cgroup %s removed\n",
			p->namespace_, p->name, p->uid, p->path);
		*p = k->pods[--k->n];
	}
}

void lgd_kube_kick(struct lgd *d)
{
	lgd_kubelet_kick(d->kube.client);
}

void lgd_kube_stop(struct lgd *d)
{
	lgd_kubelet_stop(d->kube.client);
	d->kube.client = NULL;
	free(d->kube.pods);
	d->kube.pods = NULL;
	d->kube.n = d->kube.cap = 0;
}

static json_t *pods_json(const struct lgd_kube *k)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < k->n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:s, s:s, s:b}", "uid", k->pods[i].uid,
						"namespace", k->pods[i].namespace_, "name",
						k->pods[i].name, "cgroup", k->pods[i].path,
						"bootstrap", k->pods[i].bootstrap));
	return arr;
}

json_t *lgd_kube_status_json(const struct lgd *d)
{
	const struct lgd_kube *k = &d->kube;
	uint64_t now = lg_boottime_ns();
	json_t *o, *results;

	if (!d->cfg->kube.enabled)
		return json_null();
	results = json_object();
	for (unsigned int i = 0; i < LGD_KUBELET_RESULT_MAX; i++)
		json_object_set_new(results, lgd_kubelet_result_name(i),
				    json_integer((json_int_t)k->results[i]));
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "kubelet",
		      d->cfg->kube.kubelet_url, "last_result",
		      k->last_ns ? lgd_kubelet_result_name(k->last) : "none", "error", k->error,
		      "pending", (json_int_t)k->pending, "refused", (json_int_t)k->refused,
		      "last_ok_age_s",
		      k->last_ok_ns ? (json_int_t)((now - k->last_ok_ns) / 1000000000ULL) :
				      (json_int_t)-1,
		      "results", results, "pods", pods_json(k));
	return o;
}
