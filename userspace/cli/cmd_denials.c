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
#include "denial_reader.h"
#include "denial_log_names.h"
#include "livegrant.h"

/* Lines that are not JSON (torn by a crash, corrupt): counted, never skipped unsaid. */
static unsigned long unreadable;

/*
 * Keep the matching lines of the (possibly gzip-compressed) file @path in
 * @r. Returns the offset read up to, where --follow continues.
 */
static long read_file(const char *path, const struct lgc_denial_filter *f,
		      struct lgc_denial_ring *r)
{
	gzFile gz = gzopen(path, "rb"); /* reads plain files as they are */
	char why[128];
	int zerr = Z_OK;
	long end;

	if (!gz) {
		fprintf(stderr, "livegrant: %s cannot be read (%s): its lines are not shown\n",
			path, errno ? strerror(errno) : "out of memory");
		return 0;
	}
	end = lgc_denials_read(gz, f, r, &unreadable);
	/* Copied: gzclose() frees the message. */
	snprintf(why, sizeof(why), "%s", gzerror(gz, &zerr));
	if (zerr == Z_ERRNO)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	/* A rotated file cut short (a disk that failed, a copy not synced): say so. */
	if (gzclose(gz) == Z_BUF_ERROR && zerr == Z_OK) {
		zerr = Z_BUF_ERROR;
		snprintf(why, sizeof(why), "unexpected end of file");
	}
	if (zerr != Z_OK && zerr != Z_STREAM_END)
		fprintf(stderr,
			"livegrant: %s was not read whole (%s): the lines after those shown from it are missing\n",
			path, why);
	return end;
}

/* Print lines appended to @path from @pos on, following rotation. */
static int follow(const char *path, const struct lgc_denial_filter *f, long pos)
{
	char buf[LGC_DENIAL_LINE_MAX];
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
			if (o && lgc_denial_matches(f, o))
				lgc_denial_print(f, buf, stdout);
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
	struct lgc_denial_filter f = { 0 };
	struct lgc_denial_ring r = { 0 };
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
	lgc_denial_print_header(&f, stdout);
	for (size_t i = 0; i < r.n; i++)
		lgc_denial_print(&f, lgc_denial_ring_at(&r, i), stdout);
	lgc_denial_ring_free(&r);
	if (unreadable)
		fprintf(stderr,
			"livegrant: %lu lines of the denial log are not JSON (torn or corrupt) and are not shown\n",
			unreadable);
	return do_follow ? follow(path, &f, end) : LGC_OK;
}
