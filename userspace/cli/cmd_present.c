// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_present.c - `livegrant present` and `livegrant exec`: an agent hands
 * its grant token to livegrantd, which attests the caller from the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/*
 * A refusal that says when to try again (an unknown kid while the issuer's
 * keys are fetched again, livegrantd busy): at most this many tries, this
 * long a wait for one, and this long a wait in all (each wait is a little
 * longer than asked, by chance, so that clients turned away together do
 * not come back together).
 */
#define LGC_PRESENT_TRIES 200
#define LGC_PRESENT_RETRY_MAX_MS 30000
#define LGC_PRESENT_WAIT_MAX_MS 30000

/* Read a token from @path ("-" is stdin); trailing whitespace dropped. */
char *lgc_read_token(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *buf = NULL;
	size_t cap = 0, len;

	if (!f) {
		fprintf(stderr, "livegrant: cannot read token %s: %s\n", path, strerror(errno));
		return NULL;
	}
	len = getdelim(&buf, &cap, 0, f) > 0 ? strlen(buf) : 0;
	if (f != stdin)
		fclose(f);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	if (!len) {
		fprintf(stderr, "livegrant: token %s is empty\n", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Present once. A refusal that says when it may pass (an unknown kid while
 * livegrantd fetches the issuer's keys again, or livegrantd busy) sets
 * *retry_ms and says so instead of being printed, unless this is the @last
 * try.
 */
static int present_once(const char *socket_path, const char *token, bool last, json_t **resp,
			uint32_t *retry_ms)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "present", "token", token);
	int rc = lgc_request(socket_path, req, resp);
	json_int_t ms;

	json_decref(req);
	*retry_ms = 0;
	if (rc)
		return rc;
	if (json_is_true(json_object_get(*resp, "ok")))
		return LGC_OK;
	ms = json_integer_value(json_object_get(*resp, "retry_after_ms"));
	if (!last && ms > 0 && ms <= LGC_PRESENT_RETRY_MAX_MS) {
		*retry_ms = (uint32_t)ms;
		fprintf(stderr, "livegrant: %s: presenting again in %u ms\n",
			json_string_value(json_object_get(*resp, "error")) ?:
				"livegrantd asks to wait",
			*retry_ms);
	} else
		rc = lgc_print_refusal("token", *resp);
	json_decref(*resp);
	*resp = NULL;
	return rc ? rc : LGC_REFUSED;
}

int lgc_present(const char *socket_path, const char *token, bool quiet)
{
	json_t *resp = NULL;
	uint32_t ms = 0, waited = 0;
	int rc;

	srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));
	/* Presentations until one is not told to wait, within the bounds above. */
	for (int i = 0;; i++) {
		bool last = i + 1 >= LGC_PRESENT_TRIES || waited >= LGC_PRESENT_WAIT_MAX_MS;

		rc = present_once(socket_path, token, last, &resp, &ms);
		if (!ms)
			break;
		ms += (uint32_t)random() % (ms / 2 + 1);
		usleep(ms * 1000U);
		waited += ms;
	}
	if (rc)
		return rc;
	if (!quiet)
		printf("livegrant: granted %s in domain %s to %s (generation %lld)\n",
		       json_string_value(json_object_get(resp, "agent")),
		       json_string_value(json_object_get(resp, "domain")),
		       json_string_value(json_object_get(resp, "cgroup")),
		       json_integer_value(json_object_get(resp, "generation")));
	json_decref(resp);
	return LGC_OK;
}

int cmd_present(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *token_path = NULL, *sock = NULL;
	char *token;
	int c, rc;

	while ((c = getopt_long(argc, argv, "t:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			token_path = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			printf("usage: livegrant present --token FILE|- [--socket PATH]\n"
			       "Present a grant token for the agent this process belongs to.\n");
			return LGC_OK;
		default:
			return LGC_USAGE;
		}
	}
	if (!token_path || optind != argc) {
		fprintf(stderr, "usage: livegrant present --token FILE|- [--socket PATH]\n");
		return LGC_USAGE;
	}
	token = lgc_read_token(token_path);
	if (!token)
		return LGC_REFUSED;
	rc = lgc_present(lgc_socket_path(sock), token, false);
	free(token);
	return rc;
}

/* The first agent root, as livegrantd reports it. */
static int first_root(const char *sock, char *out, size_t size)
{
	json_t *resp = NULL;
	const char *root;
	bool found;
	int rc = lgc_call(sock, json_pack("{s:s}", "op", "status"), "status", &resp);

	if (rc)
		return rc;
	root = json_string_value(json_array_get(json_object_get(resp, "agent_roots"), 0));
	found = root != NULL;
	if (found)
		snprintf(out, size, "%s", root);
	else
		fprintf(stderr, "livegrant: livegrantd has no agent root\n");
	json_decref(resp);
	return found ? LGC_OK : LGC_REFUSED;
}

/* Resolve @cmd on PATH now: once an agent, probing PATH would be denied. */
static char *resolve(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p;

		if (asprintf(&p, "%s/%s", dir, cmd) < 0)
			break;
		if (!access(p, X_OK))
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

static int join_cgroup(const char *dir)
{
	char procs[8192];
	int fd, ok;

	if (snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >= (int)sizeof(procs))
		return -ENAMETOOLONG;
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -errno;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "token", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *name = NULL, *token_path = NULL, *sock = NULL;
	char root[4096], dir[4096 + 256], *token = NULL, *prog;
	int c, rc, err;

	while ((c = getopt_long(argc, argv, "+c:t:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			name = optarg;
			break;
		case 't':
			token_path = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			printf("usage: livegrant exec --cgroup NAME [--token FILE] [--socket PATH] -- COMMAND...\n"
			       "Create agent cgroup NAME under the first agent root, join it, present the\n"
			       "token if given, and execute COMMAND as that agent.\n");
			return LGC_OK;
		default:
			return LGC_USAGE;
		}
	}
	if (!name || optind >= argc || !*name || strchr(name, '/') || name[0] == '.') {
		fprintf(stderr,
			"usage: livegrant exec --cgroup NAME [--token FILE] -- COMMAND... (NAME: one path component)\n");
		return LGC_USAGE;
	}
	sock = lgc_socket_path(sock);
	/* Everything the agent may not do once it has joined happens first. */
	if (token_path && !(token = lgc_read_token(token_path)))
		return LGC_REFUSED;
	prog = resolve(argv[optind]);
	if (!prog) {
		fprintf(stderr, "livegrant: %s: command not found\n", argv[optind]);
		free(token);
		return LGC_REFUSED;
	}
	rc = first_root(sock, root, sizeof(root));
	if (rc)
		goto out;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "livegrant: cannot create agent cgroup %s: %s\n", dir,
			strerror(errno));
		rc = LGC_REFUSED;
		goto out;
	}
	err = join_cgroup(dir);
	if (err) {
		fprintf(stderr, "livegrant: cannot join %s: %s\n", dir, strerror(-err));
		rc = LGC_REFUSED;
		goto out;
	}
	if (token) {
		rc = lgc_present(sock, token, true);
		if (rc)
			goto out;
	}
	execv(prog, argv + optind);
	fprintf(stderr, "livegrant: exec %s failed: %s%s\n", prog, strerror(errno),
		errno == EACCES ? " (does the agent's grant allow executing it?)" : "");
	rc = LGC_REFUSED;
out:
	free(token);
	free(prog);
	return rc;
}
