// SPDX-License-Identifier: GPL-2.0
/* prog_stats.c - run count and run time of BPF programs (prog_stats.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "livegrant.h"
#include "prog_stats.h"

int prog_set_init(struct prog_set *s, struct bpf_object *obj, const char *prefix)
{
	struct bpf_program *p;
	size_t plen = strlen(prefix);

	memset(s, 0, sizeof(*s));
	bpf_object__for_each_program(p, obj) {
		const char *name = bpf_program__name(p);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue; /* not loaded: a hook this kernel lacks */
		if (s->n == (int)(sizeof(s->fd) / sizeof(s->fd[0])))
			return -E2BIG;
		if (strncmp(name, prefix, plen) == 0)
			name += plen;
		s->fd[s->n] = fd;
		s->hook[s->n] = lg_hook_by_prog(name);
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->n++;
	}
	return prog_set_read(s);
}

int prog_set_read(struct prog_set *s)
{
	for (int i = 0; i < s->n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(s->fd[i], &info, &len))
			return -errno;
		s->run_cnt[i] = info.run_cnt;
		s->run_ns[i] = info.run_time_ns;
		s->verified_insns[i] = info.verified_insns;
	}
	return 0;
}

struct prog_delta prog_set_delta(const struct prog_set *before, const struct prog_set *after, int i)
{
	struct prog_delta d = {
		.cnt = (int64_t)(after->run_cnt[i] - before->run_cnt[i]),
		.ns = (int64_t)(after->run_ns[i] - before->run_ns[i]),
	};

	if (d.cnt <= 0 || d.ns < 0)
		d.cnt = d.ns = 0;
	return d;
}

void prog_set_skip_read(struct prog_set *b, const struct prog_set *a)
{
	for (int i = 0; i < b->n; i++) {
		b->run_cnt[i] += b->run_cnt[i] - a->run_cnt[i];
		b->run_ns[i] += b->run_ns[i] - a->run_ns[i];
	}
}

int prog_set_find(const struct prog_set *s, int hook)
{
	for (int i = 0; i < s->n; i++)
		if (s->hook[i] == hook)
			return i;
	return -1;
}

/* The statistics stay on while this descriptor is open. */
static int stats_fd = -1;

int prog_stats_enable(bool on)
{
	if (!on) {
		if (stats_fd >= 0)
			close(stats_fd);
		stats_fd = -1;
		return 0;
	}
	if (stats_fd >= 0)
		return 0;
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return stats_fd < 0 ? -errno : 0;
}
