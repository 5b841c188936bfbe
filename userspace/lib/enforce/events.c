// SPDX-License-Identifier: GPL-2.0
/* events.c - reading denial events and counters. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforcer.h"

struct lg_event_reader {
	struct ring_buffer *rb;
	lg_event_fn fn;
	void *ctx;
	uint64_t until_ns; /* CLOCK_BOOTTIME: lg_events_consume() stops after it */
	int n; /* events handed to fn by this call */
};

/*
 * Events arrive truncated to their target: widen one to a whole struct,
 * its target NUL-terminated. False for a record too short to be one.
 */
static bool event_widen(const void *data, size_t size, struct lg_event *ev)
{
	if (size < LG_EVENT_HEADER_SIZE)
		return false;
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	memset(ev, 0, sizeof(*ev));
	memcpy(ev, data, size);
	if (ev->target_len >= sizeof(ev->target))
		ev->target_len = sizeof(ev->target) - 1;
	ev->target[ev->target_len] = 0;
	return true;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct lg_event_reader *r = ctx;
	static __thread struct lg_event ev;
	int err = 0;

	if (event_widen(data, size, &ev)) {
		r->n++;
		err = r->fn(r->ctx, &ev);
	}
	if (err)
		return err;
	/* Negative: libbpf keeps this record consumed and stops. */
	return r->until_ns && lg_boottime_ns() >= r->until_ns ? -EAGAIN : 0;
}

/*
 * struct lg_event of ABI 3 (9a58c45), the last release before the access
 * rights were split: kept to read what its programs recorded while a newer
 * build replaced them. Frozen: never change.
 */
struct lg_event_v3 {
	__u64 time_ns, cgroup_id, agent_cgroup_id;
	__u32 pid, tgid, uid, gid, domain, generation;
	__u8 hook, access, reason, action, target_kind, pad;
	__u16 family, port, sock_type;
	__u32 target_len;
	__u8 addr[16];
	char comm[16];
	__u32 target_domain, pad3;
	char target[LG_PATH_MAX];
};
#define LG_EVENT_V3_HEADER (sizeof(struct lg_event_v3) - LG_PATH_MAX)

/* ABI 3 access bits (one space) in today's classes. */
static __u32 access_from_v3(__u8 a, enum lg_access_class cls)
{
	static const struct {
		__u8 v3;
		__u32 now;
		enum lg_access_class cls;
	} map[] = {
		{ 1 << 0, LG_FILE_READ_FILE, LG_CLASS_FILE },
		{ 1 << 1, LG_FILE_WRITE_FILE, LG_CLASS_FILE },
		{ 1 << 2, LG_FILE_EXECUTE, LG_CLASS_FILE },
		{ 1 << 3, LG_NET_CONNECT, LG_CLASS_NET },
		{ 1 << 4, LG_NET_SEND, LG_CLASS_NET },
		{ 1 << 5, LG_NET_CREATE, LG_CLASS_NET },
		{ 1 << 6, LG_NET_SETSOCKOPT, LG_CLASS_NET },
	};
	__u32 out = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((a & map[i].v3) && map[i].cls == cls)
			out |= map[i].now;
	return out;
}

static void event_from_v3(const struct lg_event_v3 *o, size_t size, struct lg_event *ev)
{
	size_t tlen = size > LG_EVENT_V3_HEADER ? size - LG_EVENT_V3_HEADER : 0;

	ev->time_ns = o->time_ns;
	ev->cgroup_id = o->cgroup_id;
	ev->agent_cgroup_id = o->agent_cgroup_id;
	ev->pid = o->pid;
	ev->tgid = o->tgid;
	ev->uid = o->uid;
	ev->gid = o->gid;
	ev->domain = o->domain;
	ev->generation = o->generation;
	ev->hook = o->hook; /* hook ids 0-5 are the same in both */
	ev->access = access_from_v3(o->access, lg_hook_class(o->hook));
	ev->reason = o->reason;
	ev->action = o->action;
	ev->target_kind = o->target_kind;
	ev->family = o->family;
	ev->port = o->port;
	ev->sock_type = o->sock_type;
	ev->target_domain = o->target_domain;
	memcpy(ev->addr, o->addr, sizeof(ev->addr));
	memcpy(ev->comm, o->comm, sizeof(ev->comm));
	if (tlen > o->target_len)
		tlen = o->target_len;
	if (tlen >= sizeof(ev->target))
		tlen = sizeof(ev->target) - 1;
	memcpy(ev->target, o->target, tlen);
	ev->target_len = tlen;
}

struct prev_drain {
	struct lg_enforcer *e;
	lg_event_fn fn;
	void *ctx;
	__u32 abi;
	int n, skipped;
	uint64_t until_ns; /* CLOCK_BOOTTIME: stop after this, the rest next call */
};

/*
 * The old set's grant of an agent was reinstalled here under a generation
 * of this build's: an event of that grant names the new one, so that it is
 * not taken for a stale grant's.
 */
static void translate_generation(struct lg_enforcer *e, struct lg_event *ev)
{
	struct lg_agent cur;
	uint32_t old_gen;
	bool susp;

	if (!ev->generation || lg_prev_agent_state(e, ev->agent_cgroup_id, &old_gen, &susp) ||
	    old_gen != ev->generation)
		return;
	if (!bpf_map_lookup_elem_flags(e->fds[LG_MAP_AGENTS], &ev->agent_cgroup_id, &cur,
				       BPF_F_LOCK) &&
	    cur.generation)
		ev->generation = cur.generation;
}

static int on_prev_sample(void *ctx, void *data, size_t size)
{
	static __thread struct lg_event ev;
	static __thread struct lg_event_v3 v3;
	struct prev_drain *p = ctx;

	memset(&ev, 0, sizeof(ev));
	if (p->abi == 3 && size >= LG_EVENT_V3_HEADER) {
		memset(&v3, 0, sizeof(v3));
		memcpy(&v3, data, size < sizeof(v3) ? size : sizeof(v3));
		event_from_v3(&v3, size, &ev);
	} else if (p->abi != LG_ABI_VERSION || !event_widen(data, size, &ev)) {
		p->skipped++;
		return 0;
	}
	translate_generation(p->e, &ev);
	p->n++;
	p->fn(p->ctx, &ev);
	/* Negative: libbpf keeps this record consumed and stops. */
	return lg_boottime_ns() >= p->until_ns ? -EAGAIN : 0;
}

int lg_prev_events_drain(struct lg_enforcer *e, lg_event_fn fn, void *ctx, unsigned int budget_ms,
			 bool *more)
{
	struct prev_drain p = { .e = e, .fn = fn, .ctx = ctx, .abi = e->prev.m.v1.abi_version };
	struct ring_buffer *rb;
	int err;

	*more = false;
	if (e->prev_events_fd < 0)
		return 0;
	p.until_ns = lg_boottime_ns() + (uint64_t)budget_ms * 1000000ULL;
	rb = ring_buffer__new(e->prev_events_fd, on_prev_sample, &p, NULL);
	if (!rb)
		return lg_err(-errno, "opening the replaced pins' event ring failed: %s",
			      strerror(errno));
	err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	if (err == -EAGAIN)
		*more = true;
	else if (err < 0)
		return lg_err(err, "reading the replaced pins' events failed: %s", strerror(-err));
	if (p.skipped)
		return lg_err(-EPROTO,
			      "%d events recorded by the replaced pins (ABI %u) could not be read",
			      p.skipped, p.abi);
	return p.n;
}

bool lg_prev_events_pending(const struct lg_enforcer *e)
{
	return e->prev_events_fd >= 0;
}

void lg_prev_release(struct lg_enforcer *e)
{
	close_prev_maps(e);
}

int lg_events_open(struct lg_enforcer *e, lg_event_fn fn, void *ctx, struct lg_event_reader **out)
{
	struct lg_event_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return lg_err(-ENOMEM, "out of memory");
	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(e->fds[LG_MAP_EVENTS], on_sample, r, NULL);
	if (!r->rb) {
		int err = -errno;

		free(r);
		return lg_err(err, "opening the event ring buffer failed: %s", strerror(-err));
	}
	*out = r;
	return 0;
}

int lg_events_poll(struct lg_event_reader *r, int timeout_ms)
{
	int n = ring_buffer__poll(r->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return lg_err(n, "reading events failed: %s", strerror(-n));
	return n < 0 ? 0 : n;
}

int lg_events_consume(struct lg_event_reader *r, unsigned int budget_ms, bool *more)
{
	int err;

	r->n = 0;
	r->until_ns = lg_boottime_ns() + (uint64_t)budget_ms * 1000000ULL;
	err = ring_buffer__consume(r->rb);
	r->until_ns = 0;
	*more = err == -EAGAIN;
	if (err < 0 && err != -EAGAIN && err != -EINTR)
		return lg_err(err, "reading events failed: %s", strerror(-err));
	return r->n;
}

int lg_events_fd(struct lg_event_reader *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

void lg_events_close(struct lg_event_reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}

int lg_counters_read(struct lg_enforcer *e, uint64_t out[LG_COUNTERS])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return lg_err(ncpu ? ncpu : -EINVAL, "cannot count possible CPUs");
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return lg_err(-ENOMEM, "out of memory");
	for (uint32_t k = 0; k < LG_COUNTERS; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(e->fds[LG_MAP_COUNTERS], &k, vals)) {
			int err = -errno;

			free(vals);
			return lg_err(err, "reading counters failed: %s", strerror(-err));
		}
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

const char *lg_event_target(const struct lg_event *ev, char *buf, size_t size)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	char a[INET6_ADDRSTRLEN];

	switch (ev->target_kind) {
	case LG_TARGET_PATH:
		snprintf(buf, size, "%s", ev->target_len ? ev->target : "(unresolved path)");
		break;
	case LG_TARGET_UNIX:
		snprintf(buf, size, "unix:%.*s", (int)ev->target_len, ev->target);
		break;
	case LG_TARGET_INET:
		if (!memcmp(ev->addr, mapped, sizeof(mapped))) {
			inet_ntop(AF_INET, ev->addr + 12, a, sizeof(a));
			snprintf(buf, size, "%s:%u", a, ev->port);
		} else {
			inet_ntop(AF_INET6, ev->addr, a, sizeof(a));
			snprintf(buf, size, "[%s]:%u", a, ev->port);
		}
		break;
	case LG_TARGET_SOCKET:
		snprintf(buf, size, "socket(family %u, type %u, protocol %u)", ev->family,
			 ev->sock_type, ev->port);
		break;
	case LG_TARGET_SOCKOPT:
		snprintf(buf, size, "setsockopt(family %u, level %u, option %u)", ev->family,
			 ev->sock_type, ev->port);
		break;
	case LG_TARGET_CAPABILITY:
		if (lg_capability_name(ev->port))
			snprintf(buf, size, "capability %s", lg_capability_name(ev->port));
		else
			snprintf(buf, size, "capability %u", ev->port);
		break;
	case LG_TARGET_TASK:
		snprintf(buf, size, "task %u (%.*s)", ev->target_domain, (int)ev->target_len,
			 ev->target);
		break;
	case LG_TARGET_OP:
		snprintf(buf, size, "%s op %u", lg_hook_name(ev->hook), ev->target_domain);
		break;
	default:
		snprintf(buf, size, "family %u", ev->family);
	}
	return buf;
}
