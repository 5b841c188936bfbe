// SPDX-License-Identifier: GPL-2.0
/*
 * state.c - what livegrantd must remember across a restart, in
 * <state_dir>/state.json (mode 0600: it holds tokens):
 *   agents:  every agent with its token in force, to restore its grant;
 *   revoked: revoked token ids until their expiry, so a revoked token cannot
 *            be presented again after a restart.
 * Written to a temporary file, synced and renamed: a crash leaves the old
 * file or the new one, never half of one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define STATE_VERSION 1

void lgd_agent_clear(struct lgd_agent *a)
{
	free(a->token);
	free(a->sub);
	free(a->jti);
	free(a->task);
	a->token = a->sub = a->jti = a->task = NULL;
}

struct lgd_agent *lgd_agent_new(struct lgd *d, const char *cgroup, uint64_t id)
{
	struct lgd_agent *a;

	if (d->nagents == d->capagents) {
		size_t cap = d->capagents ? d->capagents * 2 : 16;
		struct lgd_agent *t = realloc(d->agents, cap * sizeof(*t));

		if (!t)
			return NULL;
		d->agents = t;
		d->capagents = cap;
	}
	a = &d->agents[d->nagents++];
	memset(a, 0, sizeof(*a));
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	a->cgroup_id = id;
	return a;
}

bool lgd_is_revoked(struct lgd *d, const char *jti)
{
	for (size_t i = 0; i < d->nrevoked; i++)
		if (!strcmp(d->revoked[i].jti, jti))
			return true;
	return false;
}

int lgd_add_revoked(struct lgd *d, const char *jti, int64_t exp)
{
	if (!jti || lgd_is_revoked(d, jti))
		return 0;
	if (d->nrevoked == d->caprevoked) {
		size_t cap = d->caprevoked ? d->caprevoked * 2 : 16;
		struct lgd_revoked *t = realloc(d->revoked, cap * sizeof(*t));

		if (!t)
			return lg_err(-ENOMEM, "out of memory");
		d->revoked = t;
		d->caprevoked = cap;
	}
	d->revoked[d->nrevoked].jti = strdup(jti);
	if (!d->revoked[d->nrevoked].jti)
		return lg_err(-ENOMEM, "out of memory");
	d->revoked[d->nrevoked++].exp = exp;
	return 0;
}

/* A revoked id past its token's expiry can never be presented again anyway. */
static void prune_revoked(struct lgd *d)
{
	int64_t now = time(NULL) - (int64_t)d->cfg->token_leeway_s;

	for (size_t i = 0; i < d->nrevoked;) {
		if (d->revoked[i].exp < now) {
			free(d->revoked[i].jti);
			d->revoked[i] = d->revoked[--d->nrevoked];
			continue;
		}
		i++;
	}
}

static json_t *agent_json(const struct lgd_agent *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "cgroup", json_string(a->cgroup));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)a->cgroup_id));
	json_object_set_new(o, "token", json_string(a->token));
	if (a->reauth_domain)
		json_object_set_new(o, "reauth_domain", json_string(a->reauth_domain->name));
	json_object_set_new(o, "suspended", json_boolean(a->suspended));
	return o;
}

static json_t *to_json(struct lgd *d)
{
	json_t *root = json_object(), *agents = json_array(), *revoked = json_array();

	for (size_t i = 0; i < d->nagents; i++) {
		const struct lgd_agent *a = &d->agents[i];

		if (!lgd_agent_live(a) || !a->token)
			continue;
		json_array_append_new(agents, agent_json(a));
	}
	for (size_t i = 0; i < d->nrevoked; i++)
		json_array_append_new(revoked, json_pack("{s:s, s:I}", "jti", d->revoked[i].jti,
							 "exp", (json_int_t)d->revoked[i].exp));
	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	json_object_set_new(root, "agents", agents);
	json_object_set_new(root, "revoked", revoked);
	return root;
}

int lgd_state_save(struct lgd *d)
{
	char tmp[PATH_MAX + 8];
	json_t *root;
	char *text;
	int fd, err = 0;
	size_t len;

	prune_revoked(d);
	root = to_json(d);
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return lg_err(-ENOMEM, "out of memory");
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = -errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, d->state_path))
		err = -errno;
	free(text);
	d->save_pending = err != 0;
	if (err) {
		unlink(tmp);
		fprintf(stderr, "livegrantd: saving %s failed: %s\n", d->state_path,
			strerror(-err));
		return lg_err(err, "saving %s failed: %s", d->state_path, strerror(-err));
	}
	return 0;
}

static int load_agent(struct lgd *d, json_t *o)
{
	const char *cgroup = NULL, *token = NULL, *reauth;
	json_int_t id = 0;
	struct lgd_agent *a;

	if (json_unpack(o, "{s:s, s:I, s:s}", "cgroup", &cgroup, "cgroup_id", &id, "token", &token))
		return lg_err(-EINVAL, "%s: malformed agent entry", d->state_path);
	a = lgd_agent_new(d, cgroup, id);
	if (!a)
		return lg_err(-ENOMEM, "out of memory");
	a->token = strdup(token);
	a->state = LGD_ACTIVE;
	a->suspended = json_is_true(json_object_get(o, "suspended"));
	reauth = json_string_value(json_object_get(o, "reauth_domain"));
	if (reauth) {
		a->reauth_domain = lg_config_domain(d->cfg, reauth);
		a->state = LGD_REAUTH_REQUIRED;
	}
	return a->token ? 0 : lg_err(-ENOMEM, "out of memory");
}

int lgd_state_load(struct lgd *d)
{
	json_error_t jerr;
	json_t *root, *agents, *revoked, *v;
	size_t i;
	int err = 0;

	root = json_load_file(d->state_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(d->state_path, F_OK))
			return 0; /* first start */
		return lg_err(-EINVAL, "%s:%d: %s: remove the file to start without saved agents",
			      d->state_path, jerr.line, jerr.text);
	}
	if (json_integer_value(json_object_get(root, "version")) != STATE_VERSION) {
		json_decref(root);
		return lg_err(
			-EINVAL,
			"%s: unknown state version: remove the file to start without saved agents",
			d->state_path);
	}
	agents = json_object_get(root, "agents");
	revoked = json_object_get(root, "revoked");
	for (i = 0; i < json_array_size(agents) && (v = json_array_get(agents, i)); i++) {
		err = load_agent(d, v);
		if (err)
			break;
	}
	for (i = 0; i < json_array_size(revoked) && (v = json_array_get(revoked, i)); i++) {
		const char *jti;
		json_int_t exp;

		if (err)
			break;
		if (json_unpack(v, "{s:s, s:I}", "jti", &jti, "exp", &exp)) {
			err = lg_err(-EINVAL, "%s: malformed revoked entry", d->state_path);
			break;
		}
		err = lgd_add_revoked(d, jti, exp);
	}
	json_decref(root);
	return err;
}
