// SPDX-License-Identifier: GPL-2.0
/* cmd_admin.c - `livegrant revoke`, `agents` and `status` (uid 0, non-agent). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Options every admin command takes: --socket PATH, --json. */
struct admin_opts {
	const char *sock;
	bool json;
	const char *arg; /* the one positional argument, when the command takes one */
};

/*
 * Options every admin command takes, and @nargs (0 or 1) positional
 * arguments. Returns 0, -1 after --help, or LGC_USAGE.
 */
static int parse_admin(int argc, char **argv, const char *usage, int nargs, struct admin_opts *o)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sock = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return -1;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return LGC_USAGE;
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "usage: %s\n", usage);
		return LGC_USAGE;
	}
	o->arg = nargs ? argv[optind] : NULL;
	o->sock = lgc_socket_path(o->sock);
	return 0;
}

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s)
		puts(s);
	free(s);
}

int cmd_revoke(int argc, char **argv)
{
	static const char usage[] = "livegrant revoke [--socket PATH] [--json] AGENT|CGROUP|JTI";
	struct admin_opts o;
	json_t *resp, *done;
	size_t i;
	int rc = parse_admin(argc, argv, usage, 1, &o);

	if (rc)
		return rc < 0 ? LGC_OK : rc;
	rc = lgc_call(o.sock, json_pack("{s:s, s:s}", "op", "revoke", "target", o.arg), "revoke",
		      &resp);
	if (rc)
		return rc;
	done = json_object_get(resp, "revoked");
	if (o.json) {
		print_json(resp);
	} else if (!json_array_size(done)) {
		printf("livegrant: no live grant matched %s; remembered as a revoked token id\n",
		       o.arg);
	} else {
		json_t *v;

		for (i = 0; i < json_array_size(done) && (v = json_array_get(done, i)); i++)
			printf("livegrant: revoked the grant of %s\n", json_string_value(v));
	}
	json_decref(resp);
	return LGC_OK;
}

int cmd_agents(int argc, char **argv)
{
	static const char usage[] = "livegrant agents [--socket PATH] [--json]";
	struct admin_opts o;
	json_t *resp, *list, *v;
	size_t i;
	int rc = parse_admin(argc, argv, usage, 0, &o);

	if (rc)
		return rc < 0 ? LGC_OK : rc;
	rc = lgc_call(o.sock, json_pack("{s:s}", "op", "agents"), "agents", &resp);
	if (rc)
		return rc;
	list = json_object_get(resp, "agents");
	if (o.json) {
		print_json(list);
	} else {
		printf("%-32s %-40s %-8s %-8s %8s  %s\n", "AGENT", "CGROUP", "DOMAIN", "STATE",
		       "EXPIRES", "TASK");
		for (i = 0; i < json_array_size(list) && (v = json_array_get(list, i)); i++) {
			printf("%-32s %-40s %-8s %-8s %7llds  %s\n",
			       json_string_value(json_object_get(v, "agent")),
			       json_string_value(json_object_get(v, "cgroup")),
			       json_string_value(json_object_get(v, "domain")),
			       json_string_value(json_object_get(v, "state")),
			       json_integer_value(json_object_get(v, "kernel_expires_in")),
			       json_string_value(json_object_get(v, "task")));
		}
	}
	json_decref(resp);
	return LGC_OK;
}

/* One line per hook that is not enforced here, naming it and why. */
static void print_unenforced(json_t *hooks)
{
	json_t *h;
	size_t i;

	json_array_foreach(hooks, i, h) {
		if (json_is_true(json_object_get(h, "enforced")))
			continue;
		printf("NOT ENFORCED: hook %s (lsm/%s): %s\n",
		       json_string_value(json_object_get(h, "name")),
		       json_string_value(json_object_get(h, "lsm_hook")),
		       json_string_value(json_object_get(h, "why")));
	}
}

/* The options of @usage (no argument), then livegrantd's status: rc as parse_admin() and lgc_call(). */
static int status_call(int argc, char **argv, const char *usage, struct admin_opts *o,
		       json_t **resp)
{
	int rc = parse_admin(argc, argv, usage, 0, o);

	if (rc)
		return rc;
	return lgc_call(o->sock, json_pack("{s:s}", "op", "status"), "status", resp);
}

/* The kubernetes: section at work: the kubelet's last answer and the agent pods. */
static const char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : "?";
}

static void print_kube(json_t *k)
{
	const char *last = str_of(k, "last_result");
	json_int_t age = json_integer_value(json_object_get(k, "last_ok_age_s"));
	size_t i;
	json_t *p;

	if (!json_is_object(k))
		return;
	printf("kubelet:  %s: last answer %s", str_of(k, "kubelet"), last);
	if (strcmp(last, "ok") && strcmp(last, "none"))
		printf(" (%s)", str_of(k, "error"));
	if (age >= 0)
		printf(", last good list %llds ago\n", (long long)age);
	else
		printf(", no good list yet\n");
	printf("agent pods: %zu governed, %lld listed without a cgroup yet, %lld refused\n",
	       json_array_size(json_object_get(k, "pods")),
	       json_integer_value(json_object_get(k, "pending")),
	       json_integer_value(json_object_get(k, "refused")));
	json_array_foreach(json_object_get(k, "pods"), i, p) {
		printf("  %s/%s %s %s%s\n", str_of(p, "namespace"), str_of(p, "name"),
		       str_of(p, "uid"), str_of(p, "cgroup"),
		       json_is_true(json_object_get(p, "bootstrap")) ? " (bootstrap grant)" : "");
	}
}

/* One line a domain; a fetched one says how old its keys are and how its last fetch went. */
static void print_bundles(json_t *bs)
{
	const char *name;
	json_t *b;

	if (!json_is_object(bs))
		return;
	printf("trust bundles:\n");
	json_object_foreach(bs, name, b) {
		const char *last = str_of(b, "last_result");

		printf("  %-12s %s %s: %lld keys", name, str_of(b, "source"), str_of(b, "location"),
		       json_integer_value(json_object_get(b, "keys")));
		if (strcmp(str_of(b, "source"), "url")) {
			printf("\n");
			continue;
		}
		if (json_is_true(json_object_get(b, "usable")))
			printf(", %llds old (max %llds)%s",
			       json_integer_value(json_object_get(b, "age_s")),
			       json_integer_value(json_object_get(b, "max_age_s")),
			       json_is_true(json_object_get(b, "from_cache")) ? ", from the cache" :
										"");
		else
			printf(", NONE IN FORCE: its tokens are refused");
		printf("; last fetch %s", last);
		if (json_integer_value(json_object_get(b, "failures")))
			printf(" (%lld in a row: %s)",
			       json_integer_value(json_object_get(b, "failures")),
			       str_of(b, "error"));
		printf(", next in %llds\n", json_integer_value(json_object_get(b, "next_fetch_s")));
	}
}

/* The control socket: what it holds, and what it turned away and why. */
static void print_control(json_t *c)
{
	const char *why;
	json_t *n;

	if (!json_is_object(c))
		return;
	printf("control socket: %lld connections open, %lld accepted since start",
	       json_integer_value(json_object_get(c, "open")),
	       json_integer_value(json_object_get(c, "accepted")));
	json_object_foreach(json_object_get(c, "rejected"), why, n) {
		if (json_integer_value(n))
			printf(", %lld %s", json_integer_value(n), why);
	}
	printf("\n");
}

/* The denial log, loudly when its lines do not reach it. */
static void print_denial_log(json_t *l)
{
	if (!json_is_object(l))
		return;
	if (json_is_true(json_object_get(l, "writing")))
		printf("denial log: %s, %lld bytes", str_of(l, "path"),
		       json_integer_value(json_object_get(l, "bytes")));
	else
		printf("denial log: %s NOT WRITTEN for %llds: %s (%lld lines missing; they went to livegrantd's standard output)",
		       str_of(l, "path"), json_integer_value(json_object_get(l, "failing_for_s")),
		       str_of(l, "error"), json_integer_value(json_object_get(l, "unwritten")));
	if (json_integer_value(json_object_get(l, "unwritten_total")))
		printf(", %lld lines not written since start",
		       json_integer_value(json_object_get(l, "unwritten_total")));
	if (json_integer_value(json_object_get(l, "sync_running_for_s")))
		printf(", a sync running for %llds (the lines since the last one unconfirmed)",
		       json_integer_value(json_object_get(l, "sync_running_for_s")));
	if (json_integer_value(json_object_get(l, "sync_failures")))
		printf(", %lld failed syncs (lines the file system took, then could not keep)",
		       json_integer_value(json_object_get(l, "sync_failures")));
	printf("\n");
}

/* The state file, loudly when livegrantd cannot save it. */
static void print_state_file(json_t *s)
{
	if (!json_is_object(s))
		return;
	if (json_is_true(json_object_get(s, "saved")))
		printf("state file: %s, saved\n", str_of(s, "path"));
	else
		printf("state file: %s NOT SAVED for %llds (%lld tries): %s; agents and revocations are held in memory only\n",
		       str_of(s, "path"), json_integer_value(json_object_get(s, "failing_for_s")),
		       json_integer_value(json_object_get(s, "failing")), str_of(s, "error"));
}

int cmd_status(int argc, char **argv)
{
	static const char usage[] = "livegrant status [--socket PATH] [--json]";
	struct admin_opts o;
	json_t *resp;
	int rc = status_call(argc, argv, usage, &o, &resp);

	if (rc)
		return rc < 0 ? LGC_OK : rc;
	if (o.json) {
		print_json(resp);
	} else {
		printf("version:  %s (ABI %lld)\n"
		       "bpf lsm:  %s\n"
		       "programs: %lld of %lld attached (pinned under %s, %s)\n"
		       "attest:   %s\n"
		       "privileges: %s\n"
		       "mode:     %s\n"
		       "agents:   %lld\n"
		       "grants:   %lld\n"
		       "events lost: %lld, suppressed over agents' budgets: %lld\n",
		       json_string_value(json_object_get(resp, "version")),
		       json_integer_value(json_object_get(resp, "abi_version")),
		       json_is_true(json_object_get(resp, "bpf_lsm_active")) ? "active" :
									       "NOT ACTIVE",
		       json_integer_value(json_object_get(resp, "programs_attached")),
		       json_integer_value(json_object_get(resp, "programs")),
		       json_string_value(json_object_get(resp, "pinned")),
		       json_is_true(json_object_get(resp, "adopted")) ? "adopted" : "loaded",
		       json_string_value(json_object_get(resp, "attestation")),
		       json_string_value(json_object_get(resp, "privileges")),
		       json_string_value(json_object_get(resp, "mode")),
		       json_integer_value(json_object_get(resp, "agents")),
		       json_integer_value(json_object_get(resp, "grants")),
		       json_integer_value(json_object_get(resp, "events_lost")),
		       json_integer_value(json_object_get(resp, "events_suppressed")));
		print_unenforced(json_object_get(resp, "hooks"));
		print_kube(json_object_get(resp, "kubernetes"));
		print_bundles(json_object_get(resp, "trust_bundles"));
		print_state_file(json_object_get(resp, "state_file"));
		print_denial_log(json_object_get(resp, "denial_log"));
		print_control(json_object_get(resp, "control"));
	}
	json_decref(resp);
	return LGC_OK;
}

/*
 * Why livegrantd, as its status describes it, does not enforce fully, into
 * @why; NULL when it does: BPF LSM active, every hook this kernel has
 * attached, as many programs pinned as hooks enforced.
 */
static const char *unhealthy(json_t *resp, char *why, size_t size)
{
	json_int_t pinned = json_integer_value(json_object_get(resp, "programs_attached"));
	json_t *h, *hooks = json_object_get(resp, "hooks");
	json_int_t enforced = 0;
	size_t i;

	if (!json_is_true(json_object_get(resp, "bpf_lsm_active"))) {
		snprintf(why, size,
			 "BPF LSM is not active on this kernel (livegrant check-kernel)");
		return why;
	}
	json_array_foreach(hooks, i, h) {
		const char *reason = json_string_value(json_object_get(h, "why"));

		if (json_is_true(json_object_get(h, "enforced"))) {
			enforced++;
			continue;
		}
		/* A hook this kernel lacks is reported, not a failure (check-kernel). */
		if (reason && strcmp(reason, "this kernel has no such LSM hook")) {
			snprintf(why, size, "hook %s (lsm/%s): %s",
				 json_string_value(json_object_get(h, "name")),
				 json_string_value(json_object_get(h, "lsm_hook")), reason);
			return why;
		}
	}
	if (!enforced || pinned != enforced) {
		snprintf(why, size, "%lld programs pinned under %s for %lld hooks enforced",
			 (long long)pinned, json_string_value(json_object_get(resp, "pinned")),
			 (long long)enforced);
		return why;
	}
	return NULL;
}

int cmd_health(int argc, char **argv)
{
	static const char usage[] = "livegrant health [--socket PATH]";
	struct admin_opts o;
	char why[512];
	const char *bad;
	json_t *resp;
	int rc = status_call(argc, argv, usage, &o, &resp);

	if (rc)
		return rc < 0 ? LGC_OK : rc;
	bad = unhealthy(resp, why, sizeof(why));
	if (bad)
		printf("livegrant: unhealthy: %s\n", bad);
	else
		printf("livegrant: healthy: BPF LSM active, %lld programs attached and pinned\n",
		       (long long)json_integer_value(json_object_get(resp, "programs_attached")));
	json_decref(resp);
	return bad ? LGC_REFUSED : LGC_OK;
}

int cmd_grants(int argc, char **argv)
{
	static const char usage[] = "livegrant grants [--socket PATH] [--json] AGENT|CGROUP|JTI";
	struct admin_opts o;
	json_t *resp, *rules, *v;
	size_t i;
	int rc = parse_admin(argc, argv, usage, 1, &o);

	if (rc)
		return rc < 0 ? LGC_OK : rc;
	rc = lgc_call(o.sock, json_pack("{s:s, s:s}", "op", "grants", "agent", o.arg), "grants",
		      &resp);
	if (rc)
		return rc;
	if (o.json) {
		print_json(resp);
		json_decref(resp);
		return LGC_OK;
	}
	printf("agent %s (%s), domain %s, %s, generation %lld\n",
	       json_string_value(json_object_get(resp, "agent")),
	       json_string_value(json_object_get(resp, "cgroup")),
	       json_string_value(json_object_get(resp, "domain")),
	       json_string_value(json_object_get(resp, "state")),
	       json_integer_value(json_object_get(resp, "generation")));
	printf("%-8s %-48s %-8s %s\n", "KIND", "RULE", "SOURCE", "RIGHTS");
	rules = json_object_get(resp, "rules");
	for (i = 0; i < json_array_size(rules) && (v = json_array_get(rules, i)); i++) {
		const char *rights = json_string_value(json_object_get(v, "rights"));

		printf("%-8s %-48s %-8s %s\n", json_string_value(json_object_get(v, "kind")),
		       json_string_value(json_object_get(v, "rule")),
		       json_string_value(json_object_get(v, "source")), rights ? rights : "");
	}
	json_decref(resp);
	return LGC_OK;
}
