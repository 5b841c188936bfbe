// SPDX-License-Identifier: GPL-2.0
/* events.c - reading denial events and counters. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforcer.h"

struct lg_event_reader {
	struct ring_buffer *rb;
	lg_event_fn fn;
	void *ctx;
};

/* Events arrive truncated to their target: widen them to a whole struct. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct lg_event_reader *r = ctx;
	static __thread struct lg_event ev;

	if (size < LG_EVENT_HEADER_SIZE)
		return 0;
	if (size > sizeof(ev))
		size = sizeof(ev);
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size);
	if (ev.target_len >= sizeof(ev.target))
		ev.target_len = sizeof(ev.target) - 1;
	ev.target[ev.target_len] = 0;
	return r->fn(r->ctx, &ev);
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
	default:
		snprintf(buf, size, "family %u", ev->family);
	}
	return buf;
}
