// SPDX-License-Identifier: GPL-2.0
/*
 * denial_reader.c - see denial_reader.h. The log is livegrantd's, but its
 * lines are read as hostile: a torn tail, a corrupt file, a line an agent
 * had a hand in (its comm, its paths) must never upset the reader.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denial_reader.h"

static void ring_push(struct lgc_denial_ring *r, char *line)
{
	if (!line)
		return;
	if (!r->cap) {
		char **t = realloc(r->v, (r->n + 1) * sizeof(*t));

		if (!t) {
			free(line);
			return;
		}
		r->v = t;
		r->v[r->n++] = line;
		return;
	}
	if (r->n < r->cap) {
		r->v[(r->head + r->n++) % r->cap] = line;
		return;
	}
	free(r->v[r->head]);
	r->v[r->head] = line;
	r->head = (r->head + 1) % r->cap;
}

char *lgc_denial_ring_at(const struct lgc_denial_ring *r, size_t i)
{
	return r->v[(r->head + i) % (r->cap ? r->cap : r->n)];
}

void lgc_denial_ring_free(struct lgc_denial_ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(lgc_denial_ring_at(r, i));
	free(r->v);
	r->v = NULL;
	r->n = r->head = 0;
}

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

bool lgc_denial_matches(const struct lgc_denial_filter *f, json_t *o)
{
	const char *agent = json_string_value(json_object_get(o, "agent"));
	const char *cgroup = json_string_value(json_object_get(o, "cgroup"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	const char *summary = json_string_value(json_object_get(o, "summary"));

	if (summary && !reason)
		reason = summary; /* rate_limited, events_lost */
	if (f->agent) {
		const char *base = cgroup ? strrchr(cgroup, '/') : NULL;

		if (!((agent && !strcmp(agent, f->agent)) ||
		      (cgroup && !strcmp(cgroup, f->agent)) ||
		      (base && !strcmp(base + 1, f->agent))))
			return false;
	}
	if (f->reason && (!reason || strcmp(reason, f->reason)))
		return false;
	if (f->since && parse_time(json_string_value(json_object_get(o, "time"))) < f->since)
		return false;
	return true;
}

long lgc_denials_read(gzFile gz, const struct lgc_denial_filter *f, struct lgc_denial_ring *r,
		      unsigned long *unreadable)
{
	char buf[LGC_DENIAL_LINE_MAX];

	while (gzgets(gz, buf, sizeof(buf))) {
		size_t n = strlen(buf);
		json_t *o;

		if (n && buf[n - 1] == '\n')
			buf[--n] = 0;
		o = json_loads(buf, 0, NULL);
		*unreadable += !o && n;
		if (o && lgc_denial_matches(f, o))
			ring_push(r, strdup(buf));
		json_decref(o);
	}
	return gztell(gz);
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Who: the token's subject, or for an agent that presented none its cgroup's name. */
static const char *who(json_t *o)
{
	const char *agent = str(o, "agent"), *cgroup = str(o, "cgroup"), *base;

	if (*agent)
		return agent;
	base = strrchr(cgroup, '/');
	return base && base[1] ? base + 1 : *cgroup ? cgroup : "-";
}

void lgc_denial_print_header(const struct lgc_denial_filter *f, FILE *out)
{
	if (!f->json)
		fprintf(out, "%-30s %-28s %-6s %7s %-12s %-11s %-32s %-10s %-15s %s\n", "TIME",
			"AGENT", "DOMAIN", "PID", "COMM", "HOOK", "TARGET", "ACCESS", "REASON",
			"ACTION");
}

/* A summary line's count and what it counts. */
static json_int_t summary_count(json_t *o, const char *summary, const char **what)
{
	if (!strcmp(summary, "rate_limited")) {
		*what = "denials not logged";
		return json_integer_value(json_object_get(o, "suppressed"));
	}
	if (!strcmp(summary, "log_unwritten")) {
		*what = "lines not written";
		return json_integer_value(json_object_get(o, "unwritten"));
	}
	*what = "events lost";
	return json_integer_value(json_object_get(o, "lost"));
}

void lgc_denial_print(const struct lgc_denial_filter *f, const char *line, FILE *out)
{
	const char *summary;
	json_t *o;

	if (f->json) {
		fprintf(out, "%s\n", line);
		fflush(out); /* --follow into a pipe or file: line by line */
		return;
	}
	o = json_loads(line, 0, NULL);
	if (!o)
		return;
	summary = json_string_value(json_object_get(o, "summary"));
	if (summary) {
		const char *counts;
		char what[64];
		json_int_t n = summary_count(o, summary, &counts);

		snprintf(what, sizeof(what), "(%lld %s)", (long long)n, counts);
		fprintf(out, "%-30s %-28s %-6s %7s %-12s %-11s %-32s %-10s %-15s %s\n",
			str(o, "time"), who(o), "", "", "", "", what, "", summary, "");
	} else {
		fprintf(out, "%-30s %-28s %-6s %7lld %-12s %-11s %-32s %-10s %-15s %s\n",
			str(o, "time"), who(o), str(o, "domain"),
			(long long)json_integer_value(json_object_get(o, "pid")), str(o, "comm"),
			str(o, "hook"), str(o, "target"), str(o, "access"), str(o, "reason"),
			str(o, "action"));
	}
	fflush(out);
	json_decref(o);
}
