// SPDX-License-Identifier: GPL-2.0
/*
 * lg-bench - livegrant's benchmark, run as root in the test VM (make bench).
 *
 * Three phases, each in rounds so that every figure comes with its spread:
 *   1. per hook: livegrant's programs and an empty program on the same LSM
 *      hooks (the floor) both attached; each workload runs as a non-agent,
 *      as an agent on targets its grant allows, and on targets it refuses;
 *      the kernel's BPF statistics give each program's ns per run.
 *   2. per syscall: the wall clock of each workload with nothing attached,
 *      under Landlock alone, and with livegrant for a non-agent and for an
 *      agent, interleaved within every round (the order alternates).
 *   3. scale: an agent's open with 8 to 4096 rules, at path depths 2 to 32,
 *      and with 1 to 10,000 agents registered; the path rules' memory.
 * The agent's grant is a realistic one: 64 path rules and 32 network rules.
 * Every iteration's result is checked (an allowed open must open, a denied
 * one must be refused): a workload that did not do what it claims fails the
 * run instead of being timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "enforcer.h"
#include "landlock.h"
#include "results.h"
#include "runner.h"

#define CG_ROOT "/sys/fs/cgroup/lgb-agents"
#define CG_AGENT CG_ROOT "/a"
#define CG_OTHER "/sys/fs/cgroup/lgb-other"
#define GRANT_TTL_NS (3600ULL * 1000000000ULL)
#define SCALE_AGENTS_MAX 10000

static struct lg_enforcer *e;
static struct bench_empty *floor_skel;
static struct lg_event_reader *reader;
static uint64_t agent_id;
static char noop[4096];
static struct results *res;
static double iter_scale = 1.0;
/* -a: the largest agent count of the scale phase (the smoke run keeps it small). */
static long agents_max = SCALE_AGENTS_MAX;
/* An untimed pass after a switch: a tenth of the iterations, nothing kept. */
static bool settling;

static int fail(const char *what)
{
	fprintf(stderr, "lg-bench: %s: %s\n", what, lg_errmsg());
	return -1;
}

static int on_event(void *ctx, const struct lg_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

/* Denials fill the ring buffer: empty it so every round takes the same path. */
static void drain_events(void)
{
	while (lg_events_poll(reader, 0) > 0)
		;
}

static long iters_of(enum wl_id id)
{
	long n = (long)(workloads[id].iters * iter_scale * (settling ? 0.1 : 1.0));

	return n < 10 ? 10 : n;
}

/* ---- the grant -------------------------------------------------------- */

#define MAX_RULES 4096
static char rule_buf[MAX_RULES + 64][512];
static const char *exec_rules[1];
static const char *net_rules[WL_NET_RULES];

/*
 * The realistic grant, with @nrules path rules (64 unless told): read
 * beneath the read folders, write beneath the write folders, one read
 * rule for @extra_dir (the depth test's folder; NULL: another bench
 * folder), exec of the noop program, and filler rules beyond 64 that name
 * folders no workload touches. Fewer than 64: only read rules, the open's
 * folder among them, and the exec rule.
 */
static struct lg_grant_spec grant_spec(int nrules, const char *extra_dir)
{
	struct lg_grant_spec s = {
		.expires_ns = lg_boottime_ns() + GRANT_TTL_NS,
		.mode = LG_MODE_ENFORCE,
		.domain = 1,
	};
	static const char *read_rules[MAX_RULES];
	static const char *write_rules[WL_WRITE_DIRS];
	int nread = 0;

	for (int i = 0; i < WL_READ_DIRS + WL_WRITE_DIRS; i++) {
		snprintf(rule_buf[i], sizeof(rule_buf[i]), WL_DIR "/d%d/", i);
		if (i < WL_READ_DIRS)
			read_rules[nread++] = rule_buf[i];
		else
			write_rules[i - WL_READ_DIRS] = rule_buf[i];
	}
	if (extra_dir)
		snprintf(rule_buf[62], sizeof(rule_buf[62]), "%s/", extra_dir);
	else
		snprintf(rule_buf[62], sizeof(rule_buf[62]), WL_DIR "/d62/");
	read_rules[nread++] = rule_buf[62];
	/* 63 path rules so far, and the exec rule makes 64. */
	for (int i = 64; i < nrules && i < MAX_RULES; i++) {
		snprintf(rule_buf[i], sizeof(rule_buf[i]), "/srv/lgb-filler/r%d/", i);
		read_rules[nread++] = rule_buf[i];
	}
	exec_rules[0] = noop;
	s.rules[LG_RULE_READ] = (struct lg_strv){ read_rules, nread };
	s.rules[LG_RULE_WRITE] = (struct lg_strv){ write_rules, WL_WRITE_DIRS };
	s.rules[LG_RULE_EXEC] = (struct lg_strv){ exec_rules, 1 };
	s.rules[LG_RULE_CONNECT] = (struct lg_strv){ net_rules, WL_NET_RULES };
	if (nrules < 64) {
		/*
		 * A smaller grant: the open's folder first, then as many other
		 * read folders as make @nrules with the exec rule; no writes.
		 */
		const char *first = read_rules[0];

		read_rules[0] = read_rules[17]; /* WL_OPEN_FILE's folder, d17 */
		read_rules[17] = first;
		s.rules[LG_RULE_READ].n = nrules > 1 ? nrules - 1 : 1;
		s.rules[LG_RULE_WRITE].n = 0;
	}
	return s;
}

static int install_grant(int nrules, const char *extra_dir, char *why, size_t whylen)
{
	struct lg_grant_spec s = grant_spec(nrules, extra_dir);

	if (lg_grant_install(e, agent_id, &s, NULL)) {
		snprintf(why, whylen, "%s", lg_errmsg());
		return -1;
	}
	return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static int make_cgroup(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "lg-bench: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The floor: loaded for the hooks livegrant loads, attached in phase 1. */
static int floor_open(void)
{
	struct bpf_program *p;
	int err;

	floor_skel = bench_empty__open();
	if (!floor_skel)
		return fail("opening the empty programs");
	bpf_object__for_each_program(p, floor_skel->obj) {
		const char *name = bpf_program__name(p) + strlen("empty_");
		int hook = lg_hook_by_prog(name);
		struct bpf_program *lp;

		lp = bpf_object__find_program_by_name(lg_enforcer_object(e), name);
		/* A hook this kernel lacks: livegrant did not load it either. */
		if (hook < 0 || !lp || bpf_program__fd(lp) < 0)
			bpf_program__set_autoload(p, false);
	}
	err = bench_empty__load(floor_skel);
	if (err) {
		fprintf(stderr, "lg-bench: loading the empty programs: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

static int setup(void)
{
	struct lg_enforcer_opts o = { 0 };
	char self[4096];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = 0;
	snprintf(noop, sizeof(noop), "%.*s/lg-bench-noop", (int)(strrchr(self, '/') - self), self);
	for (int i = 0; i < WL_NET_RULES; i++) {
		static char buf[WL_NET_RULES][32];

		snprintf(buf[i], sizeof(buf[i]), "127.0.0.1:%d", WL_PORT_BASE + i);
		net_rules[i] = buf[i];
	}
	if (lg_bpf_lsm_active() != 1) {
		fprintf(stderr, "lg-bench: the BPF LSM is not active in this kernel\n");
		return -1;
	}
	if (prog_stats_enable(true)) {
		fprintf(stderr, "lg-bench: enabling BPF statistics: %s\n", strerror(errno));
		return -1;
	}
	if (wl_setup(noop) || make_cgroup(CG_ROOT) || make_cgroup(CG_AGENT) ||
	    make_cgroup(CG_OTHER))
		return -1;
	if (lg_enforcer_open(&o, &e))
		return fail("lg_enforcer_open");
	if (lg_root_add(e, CG_ROOT) || lg_agent_add(e, CG_AGENT, &agent_id))
		return fail("registering the agent");
	if (lg_events_open(e, on_event, NULL, &reader))
		return fail("events");
	if (floor_open())
		return -1;
	if (prog_set_init(&res->lg, lg_enforcer_object(e), "") ||
	    prog_set_init(&res->empty, floor_skel->obj, "empty_"))
		return -1;
	res->landlock_abi = landlock_abi();
	return 0;
}

/* ---- running ---------------------------------------------------------- */

/*
 * One round of workload @id by a non-agent (@agent false) or the agent;
 * @sets: the program sets to read around it. Fails the run on any
 * iteration that did not give the expected result.
 */
static int run(enum wl_id id, bool agent, bool denied, bool landlock, struct prog_set *lg_set,
	       struct prog_set *floor_set, const char *path, struct run_req *rq,
	       struct run_res *out)
{
	memset(rq, 0, sizeof(*rq));
	rq->path = path;
	rq->cgroup = agent ? CG_AGENT : CG_OTHER;
	rq->landlock = landlock;
	rq->noop = noop;
	rq->wl = id;
	rq->denied = denied;
	rq->iters = iters_of(id);
	rq->sets[0] = lg_set;
	rq->sets[1] = floor_set;
	if (run_round(rq, out))
		return -1;
	wl_drain();
	drain_events();
	if (out->errors) {
		fprintf(stderr,
			"lg-bench: %s (%s%s%s%s%s): %ld of %ld iterations did not give the expected result\n",
			workloads[id].name, agent ? "agent" : "non-agent", denied ? ", denied" : "",
			landlock ? ", landlock" : "", path ? ", " : "", path ? path : "",
			out->errors, rq->iters);
		return -1;
	}
	return 0;
}

/* Sum of a set's run time over the round, per iteration. */
static double set_ns_per_op(const struct prog_set *before, const struct prog_set *after, long iters)
{
	double ns = 0;

	for (int i = 0; i < after->n; i++)
		ns += prog_set_delta(before, after, i).ns;
	return ns / iters;
}

/* Phase 1: every program's cost beside the empty program on its hook. */
static int phase_hooks(void)
{
	struct prog_set lg = res->lg, fl = res->empty;
	struct run_req rq;
	struct run_res out;

	if (bench_empty__attach(floor_skel))
		return fail("attaching the empty programs");
	for (int r = 0; r < res->rounds; r++) {
		for (int w = 0; w < WL_MAX; w++) {
			for (int s = 0; s < SUBJ_MAX; s++) {
				if (s == SUBJ_DENIED && !workloads[w].has_denied)
					continue;
				if (run(w, s != SUBJ_NONAGENT, s == SUBJ_DENIED, false, &lg, &fl,
					NULL, &rq, &out))
					return -1;
				series_add(&res->bpf_per_op[w][s],
					   set_ns_per_op(&rq.before[0], &lg, rq.iters));
				series_add(&res->floor_per_op[w][s],
					   set_ns_per_op(&rq.before[1], &fl, rq.iters));
				for (int i = 0; i < lg.n; i++) {
					struct prog_delta d = prog_set_delta(&rq.before[0], &lg, i);
					struct hook_cost *h = &res->hooks[w][s][i];
					int j = prog_set_find(&fl, lg.hook[i]);
					struct prog_delta f;

					/* A program that ran less than once in ten iterations is noise. */
					if (d.cnt * 10 < rq.iters || j < 0)
						continue;
					f = prog_set_delta(&rq.before[1], &fl, j);
					series_add(&h->runs_per_op, (double)d.cnt / rq.iters);
					series_add(&h->lg_ns, (double)d.ns / d.cnt);
					series_add(&h->empty_ns, f.cnt ? (double)f.ns / f.cnt : 0);
				}
			}
		}
		printf("per-hook round %d/%d done\n", r + 1, res->rounds);
		fflush(stdout);
	}
	bench_empty__detach(floor_skel);
	return 0;
}

static int attach_livegrant(bool on)
{
	return lg_enforcer_set_attached(e, on) ? fail("attaching or detaching livegrant") : 0;
}

/* The two configurations of one half-round, in the order @swap says. */
static int wall_round(int w, bool attached, bool swap)
{
	enum config cfg[2] = { attached ? CFG_NONAGENT : CFG_NONE,
			       attached ? CFG_AGENT : CFG_LANDLOCK };
	struct run_req rq;
	struct run_res out;

	for (int i = 0; i < 2; i++) {
		enum config c = cfg[swap ? 1 - i : i];

		if (c == CFG_LANDLOCK && res->landlock_abi < 1)
			continue;
		if (run(w, c == CFG_AGENT, false, c == CFG_LANDLOCK, NULL, NULL, NULL, &rq, &out))
			return -1;
		if (!settling)
			series_add(&res->wall[w][c], out.ns_per_op);
	}
	return 0;
}

/*
 * Phase 2: wall clock, A/B/A/B. Each round runs every workload detached
 * (none, Landlock) and attached (non-agent, agent); even rounds start
 * detached, odd ones attached, and the two configurations of a half swap
 * places every other round, so a drift of the machine favours no side.
 * Attaching and detaching patch kernel text, which the emulator must
 * translate again: a short untimed pass of every workload follows each
 * switch. The BPF statistics are off: they add two clock reads to every
 * program run.
 */
static int phase_wall(void)
{
	prog_stats_enable(false);
	for (int r = 0; r < res->rounds; r++) {
		for (int half = 0; half < 2; half++) {
			bool attached = (half == 0) == (r % 2 == 1);

			if (attach_livegrant(attached))
				return -1;
			settling = true;
			for (int w = 0; w < WL_MAX; w++)
				if (wall_round(w, attached, false))
					return -1;
			settling = false;
			for (int w = 0; w < WL_MAX; w++)
				if (wall_round(w, attached, (r / 2) % 2 == 1))
					return -1;
		}
		printf("wall-clock round %d/%d done\n", r + 1, res->rounds);
		fflush(stdout);
	}
	if (prog_stats_enable(true)) {
		fprintf(stderr, "lg-bench: enabling BPF statistics: %s\n", strerror(errno));
		return -1;
	}
	return attach_livegrant(true);
}

/* ---- scale ------------------------------------------------------------ */

static int path_rules_usage(uint64_t *entries, uint64_t *bytes)
{
	int fd = e->fds[LG_MAP_PATH_RULES];
	struct lg_path_key k, next;
	void *prev = NULL;
	uint64_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	*entries = n;
	*bytes = n * (res->path_key_size + res->path_value_size);
	return 0;
}

/* An open by the agent (and one by a non-agent) of @file: livegrant's ns per open. */
static int scale_point(struct scale_series *sc, int p, const char *file)
{
	struct prog_set lg = res->lg;
	struct run_req rq;
	struct run_res out;

	path_rules_usage(&sc->path_entries[p], &sc->path_bytes[p]);
	if (run(WL_OPEN, true, false, false, &lg, NULL, file, &rq, &out))
		return -1;
	series_add(&sc->agent_ns[p], set_ns_per_op(&rq.before[0], &lg, rq.iters));
	if (run(WL_OPEN, false, false, false, &lg, NULL, file, &rq, &out))
		return -1;
	series_add(&sc->nonagent_ns[p], set_ns_per_op(&rq.before[0], &lg, rq.iters));
	return 0;
}

static int phase_rules(void)
{
	static const long counts[SCALE_POINTS] = { 8, 64, 512, 4096 };
	struct scale_series *sc = &res->scale[0];

	sc->what = "rules";
	sc->npoints = SCALE_POINTS;
	for (int r = 0; r < res->rounds; r++) {
		for (int p = 0; p < SCALE_POINTS; p++) {
			sc->x[p] = counts[p];
			if (install_grant((int)counts[p], NULL, sc->error[p], sizeof(sc->error[p])))
				continue;
			if (scale_point(sc, p, WL_OPEN_FILE))
				return -1;
		}
	}
	return install_grant(64, NULL, sc->error[0], sizeof(sc->error[0]));
}

/* Make the folders of a file @depth components deep; its path in @file. */
static int make_depth(int depth, char *file, size_t size, char *dir, size_t dsize)
{
	size_t off = (size_t)snprintf(dir, dsize, "/tmp");

	/* "/tmp" is one component and the file another. */
	for (int i = 0; i < depth - 2 && off < dsize; i++) {
		off += (size_t)snprintf(dir + off, dsize - off, i ? "/n%d" : "/lgb-depth%d",
					i ? i : depth);
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
	}
	snprintf(file, size, "%s/f%d", dir, depth);
	return close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

static int phase_depth(void)
{
	static const long depths[] = { 2, 8, 32 };
	struct scale_series *sc = &res->scale[1];
	char file[3][512], dir[3][512];

	sc->what = "depth";
	sc->npoints = 3;
	for (int p = 0; p < 3; p++) {
		sc->x[p] = depths[p];
		if (make_depth((int)depths[p], file[p], sizeof(file[p]), dir[p], sizeof(dir[p]))) {
			fprintf(stderr, "lg-bench: making %s: %s\n", file[p], strerror(errno));
			return -1;
		}
	}
	for (int r = 0; r < res->rounds; r++)
		for (int p = 0; p < 3; p++) {
			/* The grant reads beneath the file's folder, and 63 other rules. */
			if (install_grant(64, dir[p], sc->error[p], sizeof(sc->error[p])))
				continue;
			if (scale_point(sc, p, file[p]))
				return -1;
		}
	return install_grant(64, NULL, sc->error[0], sizeof(sc->error[0]));
}

/*
 * Register agents up to @n (registration only: the extra agents hold no
 * grant). Returns how many are registered, with the reason of a refusal
 * in @why.
 */
static int register_agents(int have, int n, uint64_t *ids, char *why, size_t whylen)
{
	char path[128];

	for (; have < n; have++) {
		snprintf(path, sizeof(path), CG_ROOT "/n%d", have);
		if (mkdir(path, 0755) && errno != EEXIST) {
			snprintf(why, whylen, "mkdir %s: %s", path, strerror(errno));
			break;
		}
		if (lg_agent_add(e, path, &ids[have])) {
			snprintf(why, whylen, "agent %d: %s", have + 2, lg_errmsg());
			break;
		}
	}
	return have;
}

static void unregister_agents(int have, const uint64_t *ids)
{
	char path[128];

	for (int i = 0; i < have; i++) {
		snprintf(path, sizeof(path), CG_ROOT "/n%d", i);
		lg_agent_remove(e, ids[i]);
		rmdir(path);
	}
}

/* The hooks' cost with 1, 100 and 10,000 agents registered. */
static int phase_agents(void)
{
	const long counts[] = { 1, 100, agents_max };
	struct scale_series *sc = &res->scale[2];
	uint64_t *ids = calloc(SCALE_AGENTS_MAX, sizeof(*ids));
	int have = 0, err = 0;

	if (!ids)
		return -1;
	sc->what = "agents";
	sc->npoints = 3;
	for (int p = 0; p < 3 && !err; p++) {
		sc->x[p] = counts[p];
		/* The measured agent is one of them. */
		have = register_agents(have, (int)counts[p] - 1, ids, sc->error[p],
				       sizeof(sc->error[p]));
		if (have < counts[p] - 1)
			break;
		for (int r = 0; r < res->rounds && !err; r++)
			err = scale_point(sc, p, WL_OPEN_FILE);
	}
	unregister_agents(have, ids);
	free(ids);
	return err;
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	struct utsname u;
	time_t now = time(NULL);
	int opt, rc = 1;

	res = calloc(1, sizeof(*res));
	if (!res)
		return 1;
	res->rounds = 10;
	while ((opt = getopt(argc, argv, "r:s:j:a:")) != -1) {
		switch (opt) {
		case 'r':
			res->rounds = atoi(optarg);
			break;
		case 's':
			iter_scale = atof(optarg);
			break;
		case 'j':
			json = optarg;
			break;
		case 'a':
			agents_max = atol(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: lg-bench [-r ROUNDS] [-s ITER_SCALE] [-a MAX_AGENTS] [-j JSON]\n");
			return 2;
		}
	}
	if (res->rounds < 1 || res->rounds > MAX_ROUNDS || iter_scale <= 0 || agents_max < 101 ||
	    agents_max > SCALE_AGENTS_MAX) {
		fprintf(stderr, "lg-bench: -r must be 1..%d, -s positive, -a 101..%d\n", MAX_ROUNDS,
			SCALE_AGENTS_MAX);
		return 2;
	}
	uname(&u);
	snprintf(res->kernel, sizeof(res->kernel), "%s", u.release);
	strftime(res->date, sizeof(res->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	libbpf_set_print(NULL);
	if (setup())
		goto out;
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(e->fds[LG_MAP_PATH_RULES], &info, &len))
			goto out;
		res->path_key_size = info.key_size;
		res->path_value_size = info.value_size;
	}
	{
		char why[256];

		if (install_grant(64, NULL, why, sizeof(why))) {
			fprintf(stderr, "lg-bench: installing the grant: %s\n", why);
			goto out;
		}
	}
	if (phase_hooks() || phase_wall() || phase_rules() || phase_depth() || phase_agents())
		goto out;
	if (report_print(res) || (json && report_json(res, json)))
		goto out;
	rc = 0;
out:
	return rc;
}
