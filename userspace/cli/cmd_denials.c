// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_denials.c - `livegrant denials`: what was denied, and why, read from
 * livegrantd's denial log (<state_dir>/denials.jsonl and its rotated,
 * gzip-compressed files .1.gz (newest) ... .N.gz), oldest first.
 *
 * Reading the files, not asking livegrantd, keeps this working when
 * livegrantd is down, which is when an SRE most needs it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "client.h"
#include "denial_log_names.h"
#include "livegrant.h"

struct filter {
	const char *agent;
	const char *reason;
	int64_t since; /* epoch seconds, 0: all */
	long limit; /* last N, 0: all */
	bool json;
};

/* The last @limit matching lines, in order (a ring when limited). */
struct ring {
	char **v;
	size_t cap, n, head;
};

static void ring_push(struct ring *r, char *line)
{
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

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static bool matches(const struct filter *f, json_t *o)
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

static void print_header(const struct filter *f)
{
	if (!f->json)
		printf("%-30s %-28s %-6s %7s %-12s %-11s %-32s %-10s %-15s %s\n", "TIME", "AGENT",
		       "DOMAIN", "PID", "COMM", "HOOK", "TARGET", "ACCESS", "REASON", "ACTION");
}

/* Lines that are not JSON (torn by a crash, corrupt): counted, never skipped unsaid. */
static unsigned long unreadable;

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

static void print_line(const struct filter *f, const char *line)
{
	json_t *o;
	const char *summary;

	if (f->json) {
		puts(line);
		fflush(stdout); /* --follow into a pipe or file: line by line */
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
		printf("%-30s %-28s %-6s %7s %-12s %-11s %-32s %-10s %-15s %s\n", str(o, "time"),
		       who(o), "", "", "", "", what, "", summary, "");
	} else {
		printf("%-30s %-28s %-6s %7lld %-12s %-11s %-32s %-10s %-15s %s\n", str(o, "time"),
		       who(o), str(o, "domain"), json_integer_value(json_object_get(o, "pid")),
		       str(o, "comm"), str(o, "hook"), str(o, "target"), str(o, "access"),
		       str(o, "reason"), str(o, "action"));
	}
	fflush(stdout);
	json_decref(o);
}

/*
 * Feed every line of the (possibly gzip-compressed) file @path to the ring.
 * Returns the offset read up to, where --follow continues.
 */
static long read_file(const char *path, const struct filter *f, struct ring *r)
{
	gzFile gz = gzopen(path, "rb"); /* reads plain files as they are */
	char buf[LG_PATH_MAX + 4096];
	long end;

	if (!gz)
		return 0;
	while (gzgets(gz, buf, sizeof(buf))) {
		size_t n = strlen(buf);
		json_t *o;

		if (n && buf[n - 1] == '\n')
			buf[--n] = 0;
		o = json_loads(buf, 0, NULL);
		unreadable += !o && n;
		if (o && matches(f, o))
			ring_push(r, strdup(buf));
		json_decref(o);
	}
	end = gztell(gz);
	gzclose(gz);
	return end;
}

/* Print lines appended to @path from @pos on, following rotation. */
static int follow(const char *path, const struct filter *f, long pos)
{
	char buf[LG_PATH_MAX + 4096];
	struct stat st;
	ino_t ino = 0;
	FILE *fp = NULL;

	for (;;) {
		if (!fp) {
			fp = fopen(path, "re");
			if (fp && !fstat(fileno(fp), &st)) {
				ino = st.st_ino;
				fseek(fp, pos, SEEK_SET);
			}
		}
		while (fp && fgets(buf, sizeof(buf), fp)) {
			size_t n = strlen(buf);
			json_t *o;

			if (!n || buf[n - 1] != '\n') {
				/* A line still being written: read it whole next time. */
				fseek(fp, -(long)n, SEEK_CUR);
				break;
			}
			buf[--n] = 0;
			o = json_loads(buf, 0, NULL);
			if (!o && n)
				fprintf(stderr,
					"livegrant: a line of %s is not JSON (torn or corrupt)\n",
					path);
			if (o && matches(f, o))
				print_line(f, buf);
			json_decref(o);
		}
		if (fp)
			clearerr(fp);
		usleep(100 * 1000);
		/* Rotated (truncated) or replaced: start over at its beginning. */
		if (fp && (stat(path, &st) || st.st_ino != ino || st.st_size < ftell(fp))) {
			fclose(fp);
			fp = NULL;
			pos = 0;
		}
	}
	return LGC_OK;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: livegrant denials [--follow] [--agent AGENT] [--since DURATION] [--reason REASON]\n"
		"                        [--limit N] [--json] [--state-dir DIR]\n"
		"  --agent     token sub, agent cgroup path or name\n"
		"  --since     only the last DURATION (30s, 10m, 2h)\n"
		"  --state-dir livegrantd's state_dir (default: the socket's directory)\n");
}

int cmd_denials(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "agent", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct filter f = { 0 };
	struct ring r = { 0 };
	const char *dir = NULL, *sock = NULL;
	char path[4096], rot[4200], *sockdup;
	bool do_follow = false;
	uint64_t secs;
	struct stat st;
	unsigned int last = 0;
	int c;
	long end;

	while ((c = getopt_long(argc, argv, "fa:s:r:n:jd:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			do_follow = true;
			break;
		case 'a':
			f.agent = optarg;
			break;
		case 's':
			if (lg_parse_duration(optarg, &secs)) {
				fprintf(stderr, "livegrant: --since %s: %s\n", optarg, lg_errmsg());
				return LGC_USAGE;
			}
			f.since = time(NULL) - (int64_t)secs;
			break;
		case 'r':
			f.reason = optarg;
			break;
		case 'n':
			f.limit = strtol(optarg, NULL, 10);
			if (f.limit <= 0) {
				fprintf(stderr, "livegrant: --limit wants a positive number\n");
				return LGC_USAGE;
			}
			break;
		case 'j':
			f.json = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return LGC_OK;
		default:
			usage(stderr);
			return LGC_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return LGC_USAGE;
	}
	sockdup = strdup(lgc_socket_path(sock));
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : dirname(sockdup), LG_DENIAL_LOG_NAME);
	free(sockdup);
	if (stat(path, &st)) {
		fprintf(stderr,
			"livegrant: no denial log at %s (%s): is livegrantd's state_dir elsewhere? use --state-dir\n",
			path, strerror(errno));
		return LGC_REFUSED;
	}
	r.cap = f.limit;
	if (r.cap && !(r.v = calloc(r.cap, sizeof(char *))))
		return LGC_REFUSED;
	/* Oldest first: the highest rotated number, down to 1, then the live file. */
	while (last < LG_DENIAL_LOG_KEEP_MAX) {
		lg_denial_log_rotated(rot, sizeof(rot), path, last + 1);
		if (access(rot, F_OK))
			break;
		last++;
	}
	for (unsigned int i = last; i >= 1; i--) {
		lg_denial_log_rotated(rot, sizeof(rot), path, i);
		read_file(rot, &f, &r);
	}
	end = read_file(path, &f, &r);
	print_header(&f);
	for (size_t i = 0; i < r.n; i++) {
		char *line = r.v[(r.head + i) % (r.cap ? r.cap : r.n)];

		print_line(&f, line);
		free(line);
	}
	free(r.v);
	if (unreadable)
		fprintf(stderr,
			"livegrant: %lu lines of the denial log are not JSON (torn or corrupt) and are not shown\n",
			unreadable);
	return do_follow ? follow(path, &f, end) : LGC_OK;
}
