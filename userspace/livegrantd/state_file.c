// SPDX-License-Identifier: GPL-2.0
/*
 * state_file.c - <state_dir>/state.json (mode 0600: it holds tokens):
 *   agents:  every agent with its token in force, to restore its grant;
 *   revoked: revoked token ids until their expiry, so a revoked token cannot
 *            be presented again after a restart.
 * The format is version 1 since the first release; a running install is
 * upgraded in place, so a new build must read what an older one wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "fs_sync.h"
#include "state_file.h"

#define STATE_VERSION 1

/*
 * What one save writes, taken from the records on the event loop and
 * written from any thread: the tokens are shared (lgd_text_get()), not
 * copied, so taking it costs the fleet's record count, not its tokens'
 * bytes; nothing in it points into the records, which may move or go.
 */
struct saved_agent {
	char *cgroup;
	uint64_t cgroup_id;
	char *token; /* shared text */
	const char *reauth_domain; /* a configured domain's name: lives as long as livegrantd */
	bool suspended;
};

struct lgd_state_snapshot {
	struct saved_agent *agents;
	size_t n_agents;
	struct lgd_revoked *revoked; /* jti copied */
	size_t n_revoked;
};

void lgd_state_snapshot_free(struct lgd_state_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_agents; i++) {
		free(s->agents[i].cgroup);
		lgd_text_put(s->agents[i].token);
	}
	for (size_t i = 0; i < s->n_revoked; i++)
		free(s->revoked[i].jti);
	free(s->agents);
	free(s->revoked);
	free(s);
}

static int take_agent(struct saved_agent *out, const struct lgd_agent *a)
{
	out->cgroup = strdup(a->cgroup);
	if (!out->cgroup)
		return -ENOMEM;
	out->cgroup_id = a->cgroup_id;
	out->token = lgd_text_get(a->token);
	out->reauth_domain = a->reauth_domain ? a->reauth_domain->name : NULL;
	out->suspended = a->suspended;
	return 0;
}

struct lgd_state_snapshot *lgd_state_snapshot(const struct lgd_agents *t,
					      const struct lgd_revocations *r)
{
	struct lgd_state_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->agents = calloc(t->n + 1, sizeof(*s->agents));
	s->revoked = calloc(r->n + 1, sizeof(*s->revoked));
	if (!s->agents || !s->revoked)
		goto oom;
	for (size_t i = 0; i < t->n; i++) {
		const struct lgd_agent *a = &t->v[i];

		if (!lgd_agent_live(a) || !a->token)
			continue;
		if (take_agent(&s->agents[s->n_agents], a))
			goto oom;
		s->n_agents++;
	}
	for (size_t i = 0; i < r->n; i++) {
		s->revoked[i].jti = strdup(r->v[i].jti);
		if (!s->revoked[i].jti)
			goto oom;
		s->revoked[i].exp = r->v[i].exp;
		s->n_revoked++;
	}
	return s;
oom:
	lgd_state_snapshot_free(s);
	return NULL;
}

static json_t *agent_json(const struct saved_agent *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "cgroup", json_string(a->cgroup));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)a->cgroup_id));
	json_object_set_new(o, "token", json_string(a->token));
	if (a->reauth_domain)
		json_object_set_new(o, "reauth_domain", json_string(a->reauth_domain));
	json_object_set_new(o, "suspended", json_boolean(a->suspended));
	return o;
}

static json_t *to_json(const struct lgd_state_snapshot *s)
{
	json_t *root = json_object(), *agents = json_array(), *revoked = json_array();

	for (size_t i = 0; i < s->n_agents; i++)
		json_array_append_new(agents, agent_json(&s->agents[i]));
	for (size_t i = 0; i < s->n_revoked; i++)
		json_array_append_new(revoked, json_pack("{s:s, s:I}", "jti", s->revoked[i].jti,
							 "exp", (json_int_t)s->revoked[i].exp));
	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	json_object_set_new(root, "agents", agents);
	json_object_set_new(root, "revoked", revoked);
	return root;
}

static int sync_dir_of(const char *path)
{
	int err = lgd_fsync_dir_of(path);

	return err ? lg_err(err, "saving %s: syncing its directory failed: %s", path,
			    strerror(-err)) :
		     0;
}

/* @root into @path: a temporary file, synced, renamed, the directory synced. */
static int write_json_file(const char *path, json_t *root)
{
	char tmp[PATH_MAX + 8];
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	int fd, err = 0;
	size_t len;

	if (!text)
		return lg_err(-ENOMEM, "out of memory");
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = -errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	free(text);
	if (err) {
		unlink(tmp);
		return lg_err(err, "saving %s failed: %s", path, strerror(-err));
	}
	/* The rename itself is durable only once the directory is. */
	return sync_dir_of(path);
}

void lgd_state_revoked_path(char *out, size_t size, const char *state_path)
{
	const char *slash = strrchr(state_path, '/');
	int dir = slash ? (int)(slash - state_path) : 0;

	snprintf(out, size, "%.*s%s%s", dir, state_path, slash ? "/" : "", LGD_REVOKED_NAME);
}

/*
 * The revocations go into a file of their own too, first: a state file
 * found corrupt at start can then be set aside without forgetting which
 * tokens are revoked (lgd_state_read()).
 */
int lgd_state_snapshot_write(const char *path, const struct lgd_state_snapshot *s)
{
	char rpath[PATH_MAX];
	json_t *root = to_json(s), *rev;
	int err;

	lgd_state_revoked_path(rpath, sizeof(rpath), path);
	rev = json_pack("{s:i, s:O}", "version", STATE_VERSION, "revoked",
			json_object_get(root, "revoked"));
	err = rev ? write_json_file(rpath, rev) : lg_err(-ENOMEM, "out of memory");
	if (!err)
		err = write_json_file(path, root);
	json_decref(rev);
	json_decref(root);
	return err;
}

int lgd_state_write(const char *path, const struct lgd_agents *agents,
		    const struct lgd_revocations *revoked)
{
	struct lgd_state_snapshot *s = lgd_state_snapshot(agents, revoked);
	int err;

	if (!s)
		return lg_err(-ENOMEM, "out of memory");
	err = lgd_state_snapshot_write(path, s);
	lgd_state_snapshot_free(s);
	return err;
}

static int read_agent(const char *path, const struct lg_config *cfg, struct lgd_agents *t,
		      json_t *o)
{
	const char *cgroup = NULL, *token = NULL, *reauth;
	json_int_t id = 0;
	struct lgd_agent *a;

	if (json_unpack(o, "{s:s, s:I, s:s}", "cgroup", &cgroup, "cgroup_id", &id, "token", &token))
		return lg_err(-EINVAL, "%s: malformed agent entry", path);
	a = lgd_agent_new(t, cgroup, id);
	if (!a && errno == EEXIST)
		return lg_err(-EINVAL, "%s: two agent entries of cgroup id %lld", path,
			      (long long)id);
	if (!a)
		return lg_err(-ENOMEM, "out of memory");
	a->token = lgd_text_dup(token);
	a->state = LGD_ACTIVE;
	a->suspended = json_is_true(json_object_get(o, "suspended"));
	reauth = json_string_value(json_object_get(o, "reauth_domain"));
	if (reauth) {
		a->reauth_domain = lg_config_domain(cfg, reauth);
		a->state = LGD_REAUTH_REQUIRED;
	}
	return a->token ? 0 : lg_err(-ENOMEM, "out of memory");
}

static int read_agents(const char *path, const struct lg_config *cfg, struct lgd_agents *t,
		       json_t *agents)
{
	json_t *v;
	size_t i;
	int err;

	json_array_foreach(agents, i, v) {
		err = read_agent(path, cfg, t, v);
		if (err)
			return err;
	}
	return 0;
}

static int read_revoked(const char *path, struct lgd_revocations *r, json_t *revoked)
{
	json_t *v;
	size_t i;
	int err;

	json_array_foreach(revoked, i, v) {
		const char *jti;
		json_int_t exp;

		if (json_unpack(v, "{s:s, s:I}", "jti", &jti, "exp", &exp))
			return lg_err(-EINVAL, "%s: malformed revoked entry", path);
		err = lgd_add_revoked(r, jti, exp);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The whole of @path into a new buffer of *@len bytes (NUL-terminated):
 * 0, -ENOENT when there is none, or -EIO with lg_errmsg() when it cannot be
 * read. Read here rather than by json_load_file(), which takes a failed
 * read (an I/O error, a directory in the file's place) for the end of the
 * text: the file would then look corrupt, and be set aside for a fault of
 * the disk.
 */
static int read_whole(const char *path, char **out, size_t *len)
{
	/* O_NONBLOCK: a FIFO in the file's place must not hang the start (not regular: refused). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err = 0;
	size_t n = 0, cap = 0;
	struct stat st;
	char *buf = NULL;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		return lg_err(-EIO, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st))
		err = lg_err(-EIO, "cannot read %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err = lg_err(-EIO, "cannot read %s: not a regular file", path);
	/* Room beyond the size, so that the read that sees the end needs no growing. */
	cap = err ? 0 : (size_t)st.st_size + 4096;
	buf = cap ? malloc(cap) : NULL;
	if (!err && !buf)
		err = lg_err(-EIO, "cannot read %s: out of memory", path);
	while (!err) {
		ssize_t r = read(fd, buf + n, cap - n - 1);
		char *more;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = lg_err(-EIO, "cannot read %s: %s", path, strerror(errno));
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n + 1 < cap)
			continue;
		/* Grown since the stat (nothing else writes it): read on. */
		more = realloc(buf, cap * 2);
		if (!more) {
			err = lg_err(-EIO, "cannot read %s: out of memory", path);
			break;
		}
		buf = more;
		cap *= 2;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/*
 * Read a file livegrantd wrote into @root: 0, -ENOENT when there is none,
 * -EIO when it cannot be read (lg_errmsg() says why), or -EINVAL with
 * *@why when it is not one we wrote.
 */
static int load_file(const char *path, json_t **root, char *why, size_t size)
{
	json_error_t jerr;
	size_t len = 0;
	char *text = NULL;
	int err = read_whole(path, &text, &len);

	*root = NULL;
	if (err)
		return err;
	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!*root) {
		/* Unreadable is not corrupt: the start fails, nothing is set aside. */
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return lg_err(-EIO, "cannot read %s: %s", path, jerr.text);
		snprintf(why, size, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	if (json_integer_value(json_object_get(*root, "version")) != STATE_VERSION) {
		snprintf(why, size, "not a state file of version %d", STATE_VERSION);
		json_decref(*root);
		*root = NULL;
		return -EINVAL;
	}
	return 0;
}

/*
 * Was @rpath last written well before @path? Each save writes it first, so
 * the two are seconds apart at most; more means a build without the copy
 * (a downgrade) saved the state file since, and the copy lacks what that
 * build revoked.
 */
static bool copy_is_stale(const char *path, const char *rpath)
{
	struct stat a, b;

	return !stat(path, &a) && !stat(rpath, &b) && a.st_mtime > b.st_mtime + 60;
}

/* @path renamed to PATH.corrupt-SECONDS[-N] (never over another); its new name into @out. */
static int set_aside(const char *path, char *out, size_t size)
{
	long long now = (long long)time(NULL);

	snprintf(out, size, "%s.corrupt-%lld", path, now);
	for (int n = 1; !access(out, F_OK) && n < 100; n++)
		snprintf(out, size, "%s.corrupt-%lld-%d", path, now, n);
	if (rename(path, out))
		return lg_err(-errno, "setting %s aside as %s failed: %s", path, out,
			      strerror(errno));
	return 0;
}

/* The saved agents and revocations of @root; -EINVAL with lg_errmsg() if malformed. */
static int read_state(const char *path, const struct lg_config *cfg, json_t *root,
		      struct lgd_agents *agents, struct lgd_revocations *revoked)
{
	int err = read_agents(path, cfg, agents, json_object_get(root, "agents"));

	return err ? err : read_revoked(path, revoked, json_object_get(root, "revoked"));
}

int lgd_state_read(const char *path, const struct lg_config *cfg, struct lgd_agents *agents,
		   struct lgd_revocations *revoked)
{
	char rpath[PATH_MAX], aside[PATH_MAX + 32], why[256] = "", rwhy[256] = "";
	json_t *root = NULL, *rroot = NULL;
	struct lgd_agents tmp_agents = { 0 };
	struct lgd_revocations tmp_rev = { 0 };
	int err, rerr;

	lgd_state_revoked_path(rpath, sizeof(rpath), path);
	err = load_file(path, &root, why, sizeof(why));
	rerr = load_file(rpath, &rroot, rwhy, sizeof(rwhy));
	/* Entries are read into scratch tables: a file that fails half-way gives nothing. */
	if (!err && read_state(path, cfg, root, &tmp_agents, &tmp_rev)) {
		snprintf(why, sizeof(why), "%s", lg_errmsg());
		lgd_agents_free(&tmp_agents);
		lgd_revocations_free(&tmp_rev);
		tmp_agents = (struct lgd_agents){ 0 };
		tmp_rev = (struct lgd_revocations){ 0 };
		err = -EINVAL;
	}
	if (!rerr && read_revoked(rpath, &tmp_rev, json_object_get(rroot, "revoked"))) {
		snprintf(rwhy, sizeof(rwhy), "%s", lg_errmsg());
		rerr = -EINVAL;
	}
	json_decref(root);
	json_decref(rroot);
	/* Unreadable (not corrupt): say so, change nothing. */
	if ((err && err != -ENOENT && err != -EINVAL) ||
	    (rerr && rerr != -ENOENT && rerr != -EINVAL)) {
		lgd_agents_free(&tmp_agents);
		lgd_revocations_free(&tmp_rev);
		return err && err != -ENOENT && err != -EINVAL ? err : rerr;
	}
	if (err == -EINVAL && !rerr && copy_is_stale(path, rpath)) {
		snprintf(
			rwhy, sizeof(rwhy),
			"older than the state file by over a minute: a build without it saved since");
		rerr = -ESTALE;
	}
	if (err && rerr) {
		/*
		 * Which tokens were revoked is known from neither (a corrupt
		 * state file, or none, and a copy that is corrupt, stale or
		 * missing): no start on a guess.
		 */
		lgd_revocations_free(&tmp_rev);
		if (err == -ENOENT && rerr == -ENOENT)
			return 0; /* a first start */
		if (err == -ENOENT)
			return lg_err(
				-EINVAL,
				"%s, the copy of livegrantd's revocations, is corrupt (%s) and there is no state file %s to read them from: livegrantd does not start without knowing which tokens are revoked. "
				"Repair %s if you can; or move it aside, start, and revoke again the tokens you had revoked (until then they can be presented again, each until its exp)",
				rpath, rwhy, path, rpath);
		return lg_err(
			-EINVAL,
			"state file %s is corrupt (%s), and %s, the second copy of its revocations, %s%s%s: livegrantd does not start without knowing which tokens are revoked. "
			"Repair %s if you can; or move both files aside, start, and revoke again the tokens you had revoked (until then they can be presented again, each until its exp)",
			path, why, rpath, rerr == -ENOENT ? "is missing" : "cannot be used (",
			rerr == -ENOENT ? "" : rwhy, rerr == -ENOENT ? "" : ")", path);
	}
	if (err == -EINVAL) {
		/* Never trusted, never lost: set aside; its agents present again. */
		int e = set_aside(path, aside, sizeof(aside));

		if (e) {
			lgd_revocations_free(&tmp_rev);
			return e;
		}
		fprintf(stderr,
			"livegrantd: state file %s is corrupt (%s): set aside as %s, not trusted; its agents must present their tokens again; the revocations are kept (from %s)\n",
			path, why, aside, rpath);
	}
	if (rerr == -EINVAL && !set_aside(rpath, aside, sizeof(aside)))
		fprintf(stderr,
			"livegrantd: %s is corrupt (%s): set aside as %s; the revocations are read from %s and written to both again at the next save\n",
			rpath, rwhy, aside, path);
	/* Both copies read: a revocation in either stands. */
	for (size_t i = 0; i < tmp_rev.n; i++)
		if (!lgd_is_revoked(revoked, tmp_rev.v[i].jti) &&
		    lgd_add_revoked(revoked, tmp_rev.v[i].jti, tmp_rev.v[i].exp)) {
			lgd_revocations_free(&tmp_rev);
			lgd_agents_free(&tmp_agents);
			return lg_err(-ENOMEM, "out of memory");
		}
	lgd_revocations_free(&tmp_rev);
	lgd_agents_free(agents);
	*agents = tmp_agents;
	return 0;
}

int lgd_state_load(struct lgd *d)
{
	return lgd_state_read(d->state_path, d->cfg, &d->agents, &d->revoked);
}
