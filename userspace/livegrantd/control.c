// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - livegrantd's control socket, <state_dir>/livegrant.sock.
 *
 * One request per connection: a JSON object on one line; one JSON object
 * back, then the connection closes. Every caller is attested when its
 * connection is accepted (attest.c), before it has sent a byte. Agents may
 * only "present" a token for themselves; "revoke", "agents" and "status"
 * need uid 0 from a process outside every agent root. A connection that has
 * not sent its request within LGD_REQUEST_TIMEOUT_S is closed, so a stalled
 * client cannot hold livegrantd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

#define LGD_MAX_REQUEST 65536
#define LGD_REQUEST_TIMEOUT_S 2
#define LGD_MAX_CONNS 256
/* Slots only admins may take, and the most one cgroup may hold. */
#define LGD_ADMIN_RESERVED 16
#define LGD_MAX_CONNS_PER_CGROUP 8

struct conn {
	struct lgd_src src; /* first: epoll hands us this pointer */
	uint64_t accepted_ns;
	struct lgd_peer peer;
	int attest_err;
	char attest_msg[256];
	size_t len;
	struct conn *next;
	char buf[LGD_MAX_REQUEST + 1];
};

static struct lgd_src listener = { .kind = LGD_SRC_LISTEN, .fd = -1 };
static struct conn *conns;
static int nconns;

int lgd_control_open(struct lgd *d, int epfd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };
	int fd;

	if (strlen(d->socket_path) >= sizeof(sun.sun_path))
		return lg_err(-ENAMETOOLONG,
			      "control socket path %s is longer than %zu bytes: shorten state_dir",
			      d->socket_path, sizeof(sun.sun_path) - 1);
	strcpy(sun.sun_path, d->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_err(-errno, "socket: %s", strerror(errno));
	unlink(d->socket_path);
	/* Agents of any uid connect here; what they may ask is checked per caller. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(d->socket_path, 0666) ||
	    listen(fd, 128)) {
		int err = -errno;

		close(fd);
		return lg_err(err, "control socket %s: %s", d->socket_path, strerror(-err));
	}
	listener.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return lg_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void conn_close(int epfd, struct conn *c)
{
	struct conn **pp;

	for (pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	close(c->src.fd);
	lgd_peer_release(&c->peer);
	free(c);
	nconns--;
}

static bool is_admin(const struct lgd *d, const struct lgd_peer *p)
{
	return p->uid == 0 && !lgd_under_root(d, p->cgroup);
}

static bool conn_allowed(const struct lgd *d, const struct conn *c)
{
	int same = 0;

	/* Admins are root on the host already: they are not capped. */
	if (is_admin(d, &c->peer))
		return true;
	for (const struct conn *o = conns; o; o = o->next)
		same += !strcmp(o->peer.cgroup, c->peer.cgroup);
	if (same >= LGD_MAX_CONNS_PER_CGROUP)
		return false;
	/* The last slots are kept for uid 0 outside the agent roots. */
	return nconns < LGD_MAX_CONNS - LGD_ADMIN_RESERVED;
}

static void accept_all(struct lgd *d, int epfd)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = accept4(listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		c = nconns < LGD_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->src.kind = LGD_SRC_CONN;
		c->src.fd = fd;
		c->accepted_ns = lg_boottime_ns();
		/* Attest now: the pid-reuse check compares against this moment. */
		c->attest_err = lgd_attest_peer(fd, c->accepted_ns, LGD_CGROUP_MOUNT, &c->peer);
		if (c->attest_err)
			snprintf(c->attest_msg, sizeof(c->attest_msg), "%s", lg_errmsg());
		/* One cgroup cannot take the socket from the others, nor from admins. */
		if (!c->attest_err && !conn_allowed(d, c)) {
			lgd_peer_release(&c->peer);
			close(fd);
			free(c);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
			lgd_peer_release(&c->peer);
			close(fd);
			free(c);
			continue;
		}
		c->next = conns;
		conns = c;
		nconns++;
	}
}

static void refuse(json_t *resp, const char *reason, const char *msg)
{
	json_object_set_new(resp, "ok", json_false());
	json_object_set_new(resp, "reason", json_string(reason));
	json_object_set_new(resp, "error", json_string(msg));
}

/* Every hook of the registry: enforced here, or why not. */
static json_t *hooks_json(struct lgd *d)
{
	json_t *list = json_array();
	uint64_t attached, missing;

	lg_enforcer_hooks(d->e, &attached, &missing);
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		const struct lg_hook_info *hi = lg_hook_info(h);
		bool on = attached & (1ULL << h);
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", hi->name, "lsm_hook", hi->lsm,
				      "program", hi->prog, "enforced", on);

		if (!on)
			json_object_set_new(o, "why",
					    json_string(missing & (1ULL << h) ?
								"this kernel has no such LSM hook" :
								"program not attached"));
		json_array_append_new(list, o);
	}
	return list;
}

static void status(struct lgd *d, json_t *resp)
{
	json_t *roots = json_array();
	size_t active = 0;

	for (size_t i = 0; i < d->nroots; i++)
		json_array_append_new(roots, json_string(d->roots[i]));
	for (size_t i = 0; i < d->nagents; i++)
		active += lgd_agent_live(&d->agents[i]);
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent_roots", roots);
	json_object_set_new(resp, "agents", json_integer(d->nagents));
	json_object_set_new(resp, "grants", json_integer(active));
	json_object_set_new(resp, "mode",
			    json_string(d->cfg->mode == LG_MODE_AUDIT ? "audit" : "enforce"));
	json_object_set_new(resp, "pinned", json_string(d->cfg->bpffs_dir));
	json_object_set_new(resp, "adopted", json_boolean(lg_enforcer_adopted(d->e)));
	json_object_set_new(resp, "version", json_string(LIVEGRANT_VERSION));
	json_object_set_new(resp, "abi_version", json_integer(LG_ABI_VERSION));
	json_object_set_new(resp, "bpf_lsm_active", json_boolean(lg_bpf_lsm_active() == 1));
	{
		int total = 0, pinned = lg_enforcer_links_pinned(d->cfg->bpffs_dir, &total);
		uint64_t c[LG_COUNTERS], lost = 0;

		json_object_set_new(resp, "programs_attached", json_integer(pinned));
		json_object_set_new(resp, "programs", json_integer(total));
		json_object_set_new(resp, "start",
				    json_string(lg_start_name(lg_enforcer_start(d->e))));
		json_object_set_new(resp, "hooks", hooks_json(d));
		if (!lg_counters_read(d->e, c))
			for (int h = 0; h < LG_HOOK_MAX; h++)
				lost += c[h * LG_CTR_MAX + LG_CTR_EVENTS_LOST];
		json_object_set_new(resp, "events_lost", json_integer(lost));
	}
}

static void dispatch(struct lgd *d, struct conn *c, json_t *req, json_t *resp)
{
	const char *op = json_string_value(json_object_get(req, "op"));

	if (!op) {
		refuse(resp, "bad_request", "request has no \"op\"");
		return;
	}
	if (!strcmp(op, "present")) {
		const char *token = json_string_value(json_object_get(req, "token"));

		if (!token)
			refuse(resp, "bad_request", "present needs a \"token\" string");
		else
			lgd_present(d, &c->peer, token, resp);
		return;
	}
	if (strcmp(op, "revoke") && strcmp(op, "agents") && strcmp(op, "status") &&
	    strcmp(op, "grants")) {
		refuse(resp, "bad_request", "unknown op");
		return;
	}
	if (!is_admin(d, &c->peer)) {
		refuse(resp, "not_admin",
		       "this request needs uid 0 from a process outside every agent root");
		return;
	}
	if (!strcmp(op, "revoke")) {
		const char *target = json_string_value(json_object_get(req, "target"));

		if (!target || !*target)
			refuse(resp, "bad_request",
			       "revoke needs a \"target\": agent sub, cgroup or jti");
		else
			lgd_revoke(d, target, resp);
	} else if (!strcmp(op, "grants")) {
		const char *agent = json_string_value(json_object_get(req, "agent"));

		if (!agent || !*agent)
			refuse(resp, "bad_request",
			       "grants needs an \"agent\": sub, cgroup or jti");
		else
			lgd_grants_json(d, agent, resp);
	} else if (!strcmp(op, "agents")) {
		json_object_set_new(resp, "ok", json_true());
		json_object_set_new(resp, "agents", lgd_agents_json(d));
	} else {
		status(d, resp);
	}
}

static void respond(struct conn *c, json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t len;

	if (!text)
		return;
	len = strlen(text);
	text[len] = '\n';
	/* Small replies fit the socket buffer; a peer that does not read loses it. */
	if (send(c->src.fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		fprintf(stderr, "livegrantd: reply to pid %d lost: %s\n", c->peer.pid,
			strerror(errno));
	free(text);
}

static void handle_request(struct lgd *d, struct conn *c)
{
	json_t *resp = json_object(), *req;
	json_error_t jerr;

	if (c->attest_err) {
		refuse(resp, "attestation_failed", c->attest_msg);
	} else {
		req = json_loadb(c->buf, c->len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(req))
			refuse(resp, "bad_request", "request is not one JSON object");
		else
			dispatch(d, c, req, resp);
		json_decref(req);
	}
	respond(c, resp);
	json_decref(resp);
}

void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src)
{
	struct conn *c = (struct conn *)src;
	char *nl;
	ssize_t n;

	if (src->kind == LGD_SRC_LISTEN) {
		accept_all(d, epfd);
		return;
	}
	n = read(c->src.fd, c->buf + c->len, LGD_MAX_REQUEST - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(epfd, c);
		return;
	}
	c->len += n;
	nl = memchr(c->buf, '\n', c->len);
	if (!nl && c->len < LGD_MAX_REQUEST)
		return;
	if (!nl) {
		json_t *resp = json_object();

		refuse(resp, "too_large", "request longer than 64 KiB");
		respond(c, resp);
		json_decref(resp);
	} else {
		c->len = nl - c->buf;
		handle_request(d, c);
	}
	conn_close(epfd, c);
}

void lgd_control_sweep(int epfd)
{
	uint64_t limit = (uint64_t)LGD_REQUEST_TIMEOUT_S * 1000000000ULL, now = lg_boottime_ns();
	struct conn *c = conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (now - c->accepted_ns > limit)
			conn_close(epfd, c);
	}
}

void lgd_control_close(int epfd)
{
	while (conns)
		conn_close(epfd, conns);
	if (listener.fd >= 0)
		close(listener.fd);
	listener.fd = -1;
}
