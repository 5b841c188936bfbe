// SPDX-License-Identifier: GPL-2.0
/*
 * events_log.c - each denial (or audited would-be denial) as one JSON line
 * on standard output, for log shippers. Field names are stable
 * (docs/livegrantd.md).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "daemon.h"

/* Event times are CLOCK_BOOTTIME; shift them onto the wall clock. */
static void rfc3339(uint64_t boot_ns, char *buf, size_t size)
{
	struct timespec real, boot;
	uint64_t real_ns;
	time_t secs;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	real_ns = (uint64_t)real.tv_sec * 1000000000ULL + real.tv_nsec -
		  ((uint64_t)boot.tv_sec * 1000000000ULL + boot.tv_nsec - boot_ns);
	secs = real_ns / 1000000000ULL;
	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned long long)(real_ns % 1000000000ULL));
}

int lgd_print_event(void *ctx, const struct lg_event *ev)
{
	struct lgd *d = ctx;
	const struct lgd_agent *a = lgd_agent_by_cgroup_id(d, ev->agent_cgroup_id);
	char when[64], target[LG_PATH_MAX + 64], access[64];
	const char *domain = "";
	json_t *o;
	char *line;

	if (ev->domain && ev->domain <= d->cfg->n_domains)
		domain = d->cfg->domains[ev->domain - 1].name;
	rfc3339(ev->time_ns, when, sizeof(when));
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "time",
		      when, "agent", a && a->sub ? a->sub : "", "cgroup",
		      a ? a->cgroup : "", "cgroup_id", (json_int_t)ev->cgroup_id, "domain", domain,
		      "pid", (int)ev->tgid, "uid", (int)ev->uid, "comm", ev->comm, "hook",
		      lg_hook_name(ev->hook), "target", lg_event_target(ev, target, sizeof(target)),
		      "access", lg_access_str(ev->access, access, sizeof(access)), "reason",
		      lg_reason_name(ev->reason), "action", lg_action_name(ev->action));
	if (!o)
		return 0;
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line) {
		puts(line);
		fflush(stdout);
		free(line);
	}
	return 0;
}
