// SPDX-License-Identifier: GPL-2.0
/* report.c - the benchmark's tables and its JSON (results.h). */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "livegrant.h"
#include "results.h"

const char *const subject_names[SUBJ_MAX] = { "non-agent", "agent", "agent-denied" };
const char *const config_names[CFG_MAX] = { "none", "landlock", "non-agent", "agent" };

void series_add(struct series *s, double v)
{
	if (s->n < MAX_ROUNDS)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double series_median(const struct series *s)
{
	double v[MAX_ROUNDS];

	if (!s->n)
		return NAN;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double series_min(const struct series *s)
{
	double m = s->n ? s->v[0] : NAN;

	for (int i = 1; i < s->n; i++)
		m = s->v[i] < m ? s->v[i] : m;
	return m;
}

double series_max(const struct series *s)
{
	double m = s->n ? s->v[0] : NAN;

	for (int i = 1; i < s->n; i++)
		m = s->v[i] > m ? s->v[i] : m;
	return m;
}

/* The per-round ratios a[i] / b[i] of two series taken in the same rounds. */
static struct series series_ratio(const struct series *a, const struct series *b)
{
	struct series r = { 0 };

	for (int i = 0; i < a->n && i < b->n; i++)
		if (b->v[i] > 0)
			series_add(&r, a->v[i] / b->v[i]);
	return r;
}

/* ---- tables ----------------------------------------------------------- */

static void print_hooks(const struct results *r)
{
	printf("\nPer-hook cost, BPF statistics (ns per run: median [min-max] of %d rounds)\n",
	       r->rounds);
	printf("%-10s %-13s %-22s %7s %22s %20s %18s\n", "workload", "subject", "hook", "runs/op",
	       "livegrant ns", "empty program ns", "ratio");
	for (int w = 0; w < WL_MAX; w++)
		for (int s = 0; s < SUBJ_MAX; s++)
			for (int i = 0; i < r->lg.n; i++) {
				const struct hook_cost *h = &r->hooks[w][s][i];
				struct series ratio = series_ratio(&h->lg_ns, &h->empty_ns);

				if (!h->lg_ns.n)
					continue;
				printf("%-10s %-13s %-22s %7.2f %8.0f [%5.0f-%5.0f] %6.0f [%5.0f-%5.0f] %5.2f [%4.2f-%4.2f]\n",
				       workloads[w].name, subject_names[s],
				       lg_hook_name(r->lg.hook[i]), series_median(&h->runs_per_op),
				       series_median(&h->lg_ns), series_min(&h->lg_ns),
				       series_max(&h->lg_ns), series_median(&h->empty_ns),
				       series_min(&h->empty_ns), series_max(&h->empty_ns),
				       series_median(&ratio), series_min(&ratio),
				       series_max(&ratio));
			}
}

static void print_wall(const struct results *r)
{
	printf("\nWall clock per operation, ns (median of %d interleaved rounds; +%% against none, same rounds)\n",
	       r->rounds);
	printf("%-10s %10s %18s %18s %18s %22s\n", "workload", "none", "landlock", "non-agent",
	       "agent", "agent BPF/bare");
	for (int w = 0; w < WL_MAX; w++) {
		double none = series_median(&r->wall[w][CFG_NONE]);
		struct series share =
			series_ratio(&r->bpf_per_op[w][SUBJ_AGENT], &r->wall[w][CFG_NONE]);

		printf("%-10s %10.0f", workloads[w].name, none);
		for (int c = CFG_LANDLOCK; c < CFG_MAX; c++) {
			struct series rel = series_ratio(&r->wall[w][c], &r->wall[w][CFG_NONE]);

			if (!r->wall[w][c].n)
				printf(" %18s", "-");
			else
				printf(" %10.0f (%+5.1f%%)", series_median(&r->wall[w][c]),
				       (series_median(&rel) - 1) * 100);
		}
		printf(" %6.1f%% [%4.1f-%4.1f]\n", series_median(&share) * 100,
		       series_min(&share) * 100, series_max(&share) * 100);
	}
}

/*
 * The least-squares slope of the medians of @ns against log2 of the
 * points, in ns per doubling: "flat" is a slope within the spread.
 */
static double scale_slope(const struct scale_series *sc, const struct series *ns)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	int n = 0;

	for (int p = 0; p < sc->npoints; p++) {
		double x, y;

		if (!ns[p].n)
			continue;
		x = log2((double)sc->x[p]);
		y = series_median(&ns[p]);
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		n++;
	}
	if (n < 2 || n * sxx - sx * sx == 0)
		return NAN;
	return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void print_scale(const struct results *r)
{
	for (int k = 0; k < 3; k++) {
		const struct scale_series *sc = &r->scale[k];

		if (!sc->what)
			continue;
		printf("\nScale: %s (livegrant ns per open, BPF statistics, median [min-max])\n",
		       sc->what);
		printf("%8s %22s %22s %12s %14s\n", sc->what, "agent", "non-agent", "path entries",
		       "path bytes");
		for (int p = 0; p < sc->npoints; p++) {
			if (sc->error[p][0] && !sc->agent_ns[p].n) {
				printf("%8ld refused: %s\n", sc->x[p], sc->error[p]);
				continue;
			}
			printf("%8ld %8.0f [%5.0f-%5.0f] %8.0f [%5.0f-%5.0f] %12llu %14llu\n",
			       sc->x[p], series_median(&sc->agent_ns[p]),
			       series_min(&sc->agent_ns[p]), series_max(&sc->agent_ns[p]),
			       series_median(&sc->nonagent_ns[p]), series_min(&sc->nonagent_ns[p]),
			       series_max(&sc->nonagent_ns[p]),
			       (unsigned long long)sc->path_entries[p],
			       (unsigned long long)sc->path_bytes[p]);
		}
		printf("slope (least squares of the medians against log2 %s): agent %+.0f ns, non-agent %+.0f ns per doubling\n",
		       sc->what, scale_slope(sc, sc->agent_ns), scale_slope(sc, sc->nonagent_ns));
	}
}

static int cmp_insns(const void *a, const void *b, void *set)
{
	const struct prog_set *s = set;
	uint32_t x = s->verified_insns[*(const int *)a], y = s->verified_insns[*(const int *)b];

	return x > y ? -1 : x < y;
}

static void print_verifier(const struct results *r)
{
	int idx[MAX_PROGS];
	uint64_t total = 0;

	for (int i = 0; i < r->lg.n; i++) {
		idx[i] = i;
		total += r->lg.verified_insns[i];
	}
	qsort_r(idx, r->lg.n, sizeof(idx[0]), cmp_insns, (void *)&r->lg);
	printf("\nVerifier: %llu instructions processed over %d programs; the largest:\n",
	       (unsigned long long)total, r->lg.n);
	for (int i = 0; i < r->lg.n && i < 8; i++)
		printf("  %-26s %8u\n", r->lg.name[idx[i]], r->lg.verified_insns[idx[i]]);
}

int report_print(const struct results *r)
{
	printf("\nlivegrant benchmark: kernel %s, %s, %d rounds, Landlock ABI %d\n", r->kernel,
	       r->date, r->rounds, r->landlock_abi);
	print_hooks(r);
	print_wall(r);
	print_scale(r);
	print_verifier(r);
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *series_json(const struct series *s)
{
	json_t *v = json_array();

	for (int i = 0; i < s->n; i++)
		json_array_append_new(v, json_real(s->v[i]));
	if (!s->n)
		return json_pack("{s:n, s:o}", "median", "values", v);
	return json_pack("{s:f, s:f, s:f, s:o}", "median", series_median(s), "min", series_min(s),
			 "max", series_max(s), "values", v);
}

static json_t *hooks_json(const struct results *r)
{
	json_t *a = json_array();

	for (int w = 0; w < WL_MAX; w++)
		for (int s = 0; s < SUBJ_MAX; s++)
			for (int i = 0; i < r->lg.n; i++) {
				const struct hook_cost *h = &r->hooks[w][s][i];
				struct series ratio = series_ratio(&h->lg_ns, &h->empty_ns);

				if (!h->lg_ns.n)
					continue;
				json_array_append_new(
					a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
						     "workload", workloads[w].name, "subject",
						     subject_names[s], "hook",
						     lg_hook_name(r->lg.hook[i]), "program",
						     r->lg.name[i], "runs_per_op",
						     series_json(&h->runs_per_op), "livegrant_ns",
						     series_json(&h->lg_ns), "empty_ns",
						     series_json(&h->empty_ns), "ratio",
						     series_json(&ratio)));
			}
	return a;
}

static json_t *wall_json(const struct results *r)
{
	json_t *a = json_array();

	for (int w = 0; w < WL_MAX; w++) {
		json_t *cfg = json_object();
		struct series share =
			series_ratio(&r->bpf_per_op[w][SUBJ_AGENT], &r->wall[w][CFG_NONE]);

		for (int c = 0; c < CFG_MAX; c++) {
			struct series rel = series_ratio(&r->wall[w][c], &r->wall[w][CFG_NONE]);

			if (!r->wall[w][c].n)
				continue;
			json_object_set_new(cfg, config_names[c],
					    json_pack("{s:o, s:o}", "ns_per_op",
						      series_json(&r->wall[w][c]), "ratio_to_none",
						      series_json(&rel)));
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "workload",
						   workloads[w].name, "what", workloads[w].what,
						   "iterations", (json_int_t)workloads[w].iters,
						   "configs", cfg, "agent_bpf_ns_per_op",
						   series_json(&r->bpf_per_op[w][SUBJ_AGENT]),
						   "agent_bpf_share_of_bare", series_json(&share)));
	}
	return a;
}

static json_t *per_op_json(const struct results *r)
{
	json_t *a = json_array();

	for (int w = 0; w < WL_MAX; w++)
		for (int s = 0; s < SUBJ_MAX; s++) {
			if (!r->bpf_per_op[w][s].n)
				continue;
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:o, s:o}", "workload", workloads[w].name,
					     "subject", subject_names[s], "livegrant_ns",
					     series_json(&r->bpf_per_op[w][s]), "empty_ns",
					     series_json(&r->floor_per_op[w][s])));
		}
	return a;
}

static json_t *scale_json(const struct results *r)
{
	json_t *o = json_object();

	for (int k = 0; k < 3; k++) {
		const struct scale_series *sc = &r->scale[k];
		json_t *pts = json_array();

		if (!sc->what)
			continue;
		for (int p = 0; p < sc->npoints; p++) {
			json_t *pt = json_pack("{s:I}", "x", (json_int_t)sc->x[p]);

			if (sc->error[p][0] && !sc->agent_ns[p].n) {
				json_object_set_new(pt, "refused", json_string(sc->error[p]));
			} else {
				json_object_set_new(pt, "agent_ns", series_json(&sc->agent_ns[p]));
				json_object_set_new(pt, "nonagent_ns",
						    series_json(&sc->nonagent_ns[p]));
				json_object_set_new(pt, "path_entries",
						    json_integer((json_int_t)sc->path_entries[p]));
				json_object_set_new(pt, "path_bytes",
						    json_integer((json_int_t)sc->path_bytes[p]));
			}
			json_array_append_new(pts, pt);
		}
		json_object_set_new(
			o, sc->what,
			json_pack("{s:o, s:f, s:f}", "points", pts, "agent_ns_per_doubling",
				  scale_slope(sc, sc->agent_ns), "nonagent_ns_per_doubling",
				  scale_slope(sc, sc->nonagent_ns)));
	}
	return o;
}

static json_t *verifier_json(const struct results *r)
{
	json_t *o = json_object();

	for (int i = 0; i < r->lg.n; i++)
		json_object_set_new(o, r->lg.name[i], json_integer(r->lg.verified_insns[i]));
	return o;
}

static const char method[] =
	"BPF statistics (kernel.bpf_stats_enabled): run time / run count per program, read "
	"around each timed loop; the floor is an empty LSM program attached to the same hook "
	"in the same run. Wall clock: CLOCK_MONOTONIC around the timed loop of a fresh child "
	"process per round, configurations interleaved within each round with alternating order. "
	"Every iteration's result is checked.";

int report_json(const struct results *r, const char *json_path)
{
	json_t *root = json_pack("{s:s, s:s, s:i, s:i, s:s}", "kernel", r->kernel, "date", r->date,
				 "rounds", r->rounds, "landlock_abi", r->landlock_abi, "method",
				 method);
	int err;

	json_object_set_new(root, "per_hook", hooks_json(r));
	json_object_set_new(root, "per_op_bpf", per_op_json(r));
	json_object_set_new(root, "wall_clock", wall_json(r));
	json_object_set_new(root, "scale", scale_json(r));
	json_object_set_new(root, "verified_insns", verifier_json(r));
	err = json_dump_file(root, json_path, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (err)
		fprintf(stderr, "lg-bench: writing %s failed\n", json_path);
	return err ? -1 : 0;
}
