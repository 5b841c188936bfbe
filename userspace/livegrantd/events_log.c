// SPDX-License-Identifier: GPL-2.0
/*
 * events_log.c - each denial (or audited would-be denial) as one JSON line,
 * to standard output (for log shippers) and the denial log (denial_log.c).
 * Field names are stable (docs/livegrantd.md).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "crossing.h"
#include "daemon.h"
#include "events_log.h"

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

/*
 * Paths and comms are bytes, JSON strings are UTF-8: a value that is not
 * valid UTF-8 is kept with each byte outside ASCII shown as '?', never
 * dropped from the line.
 */
static json_t *safe_string(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	char *copy;

	if (v)
		return v;
	copy = strndup(s, n);
	if (!copy)
		return json_string("?");
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

/* Who agent id @id is: its token's subject ("" if none) and its cgroup ("" if unknown). */
static void agent_names(struct lgd *d, uint64_t id, const char **sub, const char **cgroup)
{
	const struct lgd_agent *a = lgd_agent_by_cgroup_id(&d->agents, id);
	/* An agent pod that presented nothing yet has no record: its cgroup is the pod's. */
	const struct lgd_pod_root *pod = a ? NULL : lgd_kube_pod_by_id(d, id);

	*sub = a && a->sub ? a->sub : "";
	*cgroup = a ? a->cgroup : pod ? pod->path : "";
}

int lgd_print_event(void *ctx, const struct lg_event *ev)
{
	struct lgd *d = ctx;
	const char *sub, *cgroup;
	char when[64], target[LG_PATH_MAX + 64], access[256];
	const char *domain = "", *target_domain = "";
	json_t *o;
	char *line;

	agent_names(d, ev->agent_cgroup_id, &sub, &cgroup);
	if (ev->domain && ev->domain <= d->cfg->n_domains)
		domain = d->cfg->domains[ev->domain - 1].name;
	/* Other events use target_domain for a pid or an operation (abi.h). */
	if (ev->reason == LG_REASON_DOMAIN_CROSSING && ev->target_domain &&
	    ev->target_domain <= d->cfg->n_domains)
		target_domain = d->cfg->domains[ev->target_domain - 1].name;
	lgd_metrics_event(&d->metrics, ev);
	if (ev->reason == LG_REASON_DOMAIN_CROSSING)
		lgd_on_crossing(d, ev);
	rfc3339(ev->time_ns, when, sizeof(when));
	o = json_object();
	if (!o)
		return 0;
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "agent", json_string(sub));
	json_object_set_new(o, "cgroup", json_string(cgroup));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)ev->cgroup_id));
	json_object_set_new(o, "domain", json_string(domain));
	json_object_set_new(o, "pid", json_integer(ev->tgid));
	json_object_set_new(o, "uid", json_integer(ev->uid));
	json_object_set_new(o, "comm", safe_string(ev->comm, strnlen(ev->comm, sizeof(ev->comm))));
	json_object_set_new(o, "hook", json_string(lg_hook_name(ev->hook)));
	lg_event_target(ev, target, sizeof(target));
	json_object_set_new(o, "target", safe_string(target, strlen(target)));
	json_object_set_new(o, "access",
			    json_string(lg_access_str(lg_hook_class(ev->hook), ev->access, access,
						      sizeof(access))));
	json_object_set_new(o, "reason", json_string(lg_reason_name(ev->reason)));
	json_object_set_new(o, "action", json_string(lg_action_name(ev->action)));
	if (*target_domain)
		json_object_set_new(o, "target_domain", json_string(target_domain));
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line) {
		lgd_denial_log_write(&d->log, line);
		free(line);
	}
	return 0;
}

/*
 * One summary of agent @t->agent: @what ("rate_limited", "events_lost"),
 * @n of them since the last, @total since its budget was made.
 */
static void tally_summary(struct lgd *d, const struct lg_event_tally *t, const char *what,
			  const char *field, uint64_t n, uint64_t total)
{
	char total_field[32];
	const char *sub, *cgroup;
	json_t *o = json_object();

	if (!o)
		return;
	agent_names(d, t->agent, &sub, &cgroup);
	snprintf(total_field, sizeof(total_field), "%s_total", field);
	json_object_set_new(o, "summary", json_string(what));
	json_object_set_new(o, "agent", json_string(sub));
	json_object_set_new(o, "cgroup", json_string(cgroup));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)t->agent));
	/* The spill entry: agents whose own budget could not be made share it. */
	if (t->agent == LG_EVENT_SPILL)
		json_object_set_new(o, "shared", json_true());
	json_object_set_new(o, field, json_integer((json_int_t)n));
	json_object_set_new(o, total_field, json_integer((json_int_t)total));
	json_object_set_new(o, "sent_total", json_integer((json_int_t)t->sent));
	lgd_denial_log_summary(&d->log, o);
}

static void on_tally(void *ctx, const struct lg_event_tally *t)
{
	struct lgd *d = ctx;

	if (t->gone)
		fprintf(stderr,
			"livegrantd: event budget of agent cgroup id %llu removed (gone): %llu sent, %llu suppressed, %llu lost\n",
			(unsigned long long)t->agent, (unsigned long long)t->sent,
			(unsigned long long)t->suppressed, (unsigned long long)t->lost);

	if (t->new_suppressed)
		tally_summary(d, t, "rate_limited", "suppressed", t->new_suppressed, t->suppressed);
	if (t->new_lost)
		tally_summary(d, t, "events_lost", "lost", t->new_lost, t->lost);
}

void lgd_events_tally(struct lgd *d, bool sweep)
{
	if (lg_event_tallies(d->e, sweep, on_tally, d) < 0)
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
}
