// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_wait.c - `livegrant wait`: block until the caller's own cgroup is
 * governed, that is at or below an agent root in the kernel's root map.
 *
 * An agent pod runs it as its init container, so that no agent container
 * starts before livegrantd has registered the pod: once it returns 0, every
 * process of the pod is an agent and is judged by its grant (none yet means
 * everything is denied). livegrantd answers from the caller's attested
 * cgroup, never from anything the caller says. It exits 1 when the time
 * is up, so the pod's start fails loudly instead of running ungoverned.
 *
 * With --token, the token is read before the first question (once governed
 * and without a grant, this process may open nothing) and presented once
 * the cgroup is governed: the pod's containers then start with its grant.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "livegrant.h"

/* Between two questions: short beside a pod start, light on livegrantd. */
#define LGC_WAIT_POLL_MS 200
#define LGC_WAIT_DEFAULT "5m"

static const char usage[] = "livegrant wait [--socket PATH] [--timeout DURATION] [--token FILE|-]";

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * One question. 1: governed; 0: not yet (@last says why); < 0: refused for
 * good (printed), waiting longer would not help.
 */
static int ask(const char *sock, char *last, size_t size)
{
	json_t *req = json_pack("{s:s}", "op", "governed"), *resp;
	char why[256];
	int rc = lgc_try_request(sock, req, &resp, why, sizeof(why));
	int ans;

	json_decref(req);
	if (rc) {
		snprintf(last, size, "livegrantd is not reachable at %s: %s", sock, why);
		return 0;
	}
	/* Busy (the caller's agent, or livegrantd, holds its most connections): not yet. */
	if (!json_is_true(json_object_get(resp, "ok")) &&
	    json_integer_value(json_object_get(resp, "retry_after_ms")) > 0) {
		snprintf(last, size, "livegrantd is busy: %s",
			 json_string_value(json_object_get(resp, "error")) ?: "try again");
		json_decref(resp);
		return 0;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		lgc_print_refusal("wait", resp);
		json_decref(resp);
		return -1;
	}
	ans = json_is_true(json_object_get(resp, "governed"));
	if (ans)
		printf("livegrant: cgroup %s is governed\n",
		       json_string_value(json_object_get(resp, "cgroup")));
	else
		snprintf(last, size,
			 "cgroup %s is not at or below an agent root (livegrantd's agent_cgroups)",
			 json_string_value(json_object_get(resp, "cgroup")));
	json_decref(resp);
	return ans;
}

int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "token", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *sock = NULL, *timeout = LGC_WAIT_DEFAULT, *token_path = NULL;
	char *token = NULL;
	char last[512] = "no answer yet";
	uint64_t secs, deadline;
	int c, ans, rc;

	while ((c = getopt_long(argc, argv, "s:t:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout = optarg;
			break;
		case 'T':
			token_path = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return LGC_OK;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return LGC_USAGE;
		}
	}
	if (optind != argc || lg_parse_duration(timeout, &secs)) {
		fprintf(stderr, "usage: %s (a timeout such as 30s, 5m)\n", usage);
		return LGC_USAGE;
	}
	if (token_path && !(token = lgc_read_token(token_path)))
		return LGC_REFUSED;
	sock = lgc_socket_path(sock);
	deadline = lg_monotonic_ns() + secs * 1000000000ULL;
	/* livegrantd may still be starting, or not yet know the pod: ask again. */
	while ((ans = ask(sock, last, sizeof(last))) == 0) {
		if (lg_monotonic_ns() >= deadline) {
			fprintf(stderr, "livegrant: wait: not governed after %s: %s\n", timeout,
				last);
			free(token);
			return LGC_REFUSED;
		}
		sleep_ms(LGC_WAIT_POLL_MS);
	}
	rc = ans < 0 ? LGC_REFUSED : token ? lgc_present(sock, token, false) : LGC_OK;
	free(token);
	return rc;
}
