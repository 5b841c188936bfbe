/* SPDX-License-Identifier: GPL-2.0 */
/*
 * results.h - what one benchmark run measured, kept per round so that
 * every figure is reported with its spread (report.c prints and writes it).
 */
#ifndef LG_BENCH_RESULTS_H
#define LG_BENCH_RESULTS_H

#include <stdint.h>

#include "prog_stats.h"
#include "workloads.h"

#define MAX_ROUNDS 64
#define MAX_PROGS 256

/* One figure, once per round. */
struct series {
	int n;
	double v[MAX_ROUNDS];
};

void series_add(struct series *s, double v);
double series_median(const struct series *s);
double series_min(const struct series *s);
double series_max(const struct series *s);

/* Who runs the workload in the per-hook phase. */
enum subject {
	SUBJ_NONAGENT, /* a process outside every agent cgroup */
	SUBJ_AGENT, /* an agent, on targets its grant allows */
	SUBJ_DENIED, /* the same agent, on targets its grant refuses */
	SUBJ_MAX,
};

/* What confines the workload in the wall-clock phase. */
enum config {
	CFG_NONE, /* no livegrant program attached, no Landlock */
	CFG_LANDLOCK, /* Landlock only */
	CFG_NONAGENT, /* livegrant attached, the caller is not an agent */
	CFG_AGENT, /* livegrant attached, the caller is an agent */
	CFG_MAX,
};

/* One program's cost in one workload: livegrant's and the floor's. */
struct hook_cost {
	struct series runs_per_op; /* how often it ran per iteration */
	struct series lg_ns; /* livegrant's program, ns per run */
	struct series empty_ns; /* the empty program on the same hook, ns per run */
};

#define SCALE_POINTS 4

struct scale_series {
	const char *what; /* "rules", "depth", "agents" */
	int npoints;
	long x[SCALE_POINTS];
	char error[SCALE_POINTS][160]; /* why a point could not be measured */
	struct series agent_ns[SCALE_POINTS]; /* livegrant ns per agent open */
	struct series nonagent_ns[SCALE_POINTS]; /* and per non-agent open */
	uint64_t path_entries[SCALE_POINTS]; /* lg_path_rules elements */
	uint64_t path_bytes[SCALE_POINTS]; /* their keys and values */
};

struct results {
	char kernel[128];
	char date[32];
	int rounds;
	int landlock_abi;
	struct prog_set lg; /* livegrant's programs: names, hooks, verified insns */
	struct prog_set empty; /* the floor's */
	struct hook_cost hooks[WL_MAX][SUBJ_MAX][MAX_PROGS]; /* by index in @lg */
	struct series bpf_per_op[WL_MAX][SUBJ_MAX]; /* livegrant's programs, ns per iteration */
	struct series floor_per_op[WL_MAX][SUBJ_MAX]; /* the empty programs, ns per iteration */
	struct series wall[WL_MAX][CFG_MAX]; /* ns per iteration */
	struct scale_series scale[3];
	uint32_t path_value_size, path_key_size;
};

extern const char *const subject_names[SUBJ_MAX];
extern const char *const config_names[CFG_MAX];

/* Print the tables; write @r as JSON to @json_path. 0 or -1. */
int report_print(const struct results *r);
int report_json(const struct results *r, const char *json_path);

#endif /* LG_BENCH_RESULTS_H */
