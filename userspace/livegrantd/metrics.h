/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - livegrantd's Prometheus metrics (docs/metrics.md): the values,
 * the small functions the daemon updates them with, and the HTTP endpoint
 * (libmicrohttpd) that serves them from livegrantd's own epoll loop.
 *
 * Everything runs on livegrantd's one thread: no locks. Every update
 * function is a no-op on a zeroed struct that lgd_metrics_init() never
 * saw, so the daemon may call them unconditionally when metrics are off.
 *
 * Sources of the values:
 * - counted by the daemon as things happen: denial events
 *   (lgd_metrics_event), token presentations (lgd_metrics_token_result),
 *   refresh passes (lgd_metrics_refresh_start/done);
 * - set by the collect callback right before each scrape is rendered:
 *   agents by state (lgd_metrics_agents_reset/agent_add) and the kernel's
 *   counters (lgd_metrics_kernel_counters), so a scrape shows them as of
 *   that moment, not as of the last refresh.
 */
#ifndef LGD_METRICS_H
#define LGD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle_fetch.h"
#include "config.h"
#include "control.h"
#include "kubelet.h"
#include "livegrant.h"

/* Label slots: the fixed names plus one "unknown" slot each. */
#define LGD_METRICS_HOOKS (LG_HOOK_MAX + 1)
#define LGD_METRICS_REASONS (LG_REASON_MAX + 1)
#define LGD_METRICS_ACTIONS 2
/* Buckets of livegrant_refresh_seconds, without +Inf (metrics.c lists them). */
#define LGD_METRICS_REFRESH_BUCKETS 12
/* Upper bounds of what a scraper may cost livegrantd (libmicrohttpd options). */
#define LGD_METRICS_MAX_CONNECTIONS 8
#define LGD_METRICS_MAX_PER_IP 4
#ifndef LGD_METRICS_TIMEOUT_S /* test_metrics shortens it to see it work */
#define LGD_METRICS_TIMEOUT_S 5
#endif
#define LGD_METRICS_MEMORY_LIMIT (16 * 1024)

/* Agent states (livegrant_agents{state}); unknown names count as "other". */
enum lgd_metrics_state {
	LGD_MST_ACTIVE,
	LGD_MST_NO_GRANT,
	LGD_MST_EXPIRED,
	LGD_MST_REVOKED,
	LGD_MST_LAPSED,
	LGD_MST_REAUTH_REQUIRED,
	LGD_MST_SUSPENDED,
	LGD_MST_OTHER,
	LGD_MST_COUNT,
};

/* Results of token presentations: "accepted", the refusal reasons, "other". */
#define LGD_METRICS_TOKEN_RESULTS 32

/* Kernel decisions per hook (livegrant_kernel_decisions_total{decision}). */
enum lgd_metrics_decision {
	LGD_MDEC_ALLOWED,
	LGD_MDEC_DENIED,
	LGD_MDEC_AUDITED,
	LGD_MDEC_COUNT,
};

struct lgd_metrics;
struct MHD_Daemon;

/**
 * struct lgd_metrics_bundle - one domain's trust bundle, as of the last collect.
 * @url:     it is fetched (the fetch values below are served only then).
 * @fetches: fetches by result, since start.
 * @keys:    issuer keys in force (0: none, the domain's tokens are refused).
 * @age_s:   how old those keys are (a fetch's age).
 */
struct lgd_metrics_bundle {
	bool url;
	uint64_t fetches[LGD_FETCH_RESULT_MAX];
	uint64_t keys;
	double age_s;
};

/*
 * Called before every scrape is rendered: set the gauges and the kernel
 * counters there (agents_reset + agent_add per agent, kernel_counters).
 */
typedef void (*lgd_metrics_collect_fn)(struct lgd_metrics *m, void *ctx);

/**
 * struct lgd_metrics - every value served, and the endpoint.
 * @domains:   names of the configured domains (copies), in id order.
 * @denials:   denial events, indexed by denial_slot() in metrics.c over
 *             domain slot (0: no domain, 1..n: the domains, n+1: an id
 *             the configuration does not know) x hook x reason x action.
 * @tokens:    presentations by result, in the order of metrics.c's list.
 * @agents:    agents by state, as of the last collect.
 * @kernel:    kernel decisions by hook, as of the last collect.
 * @events_lost: events the kernel's ring had no room for (sum over hooks).
 * @events_suppressed: events over their agent's budget (sum over hooks).
 * @cached:    allowed decisions the verdict cache made, by hook.
 * @refresh_*: the histogram of refresh pass durations; @refresh_start_ns
 *             the CLOCK_MONOTONIC start of the pass being timed (0: none).
 * @kube:      a kubernetes: section is configured: @kubelet (requests to
 *             the kubelet by result) and @kube_pods (agent pods governed,
 *             as of the last collect) are served.
 * @bundles:   per domain, its trust bundle (lgd_metrics_bundle()).
 * @httpd, @epoll_fd: the endpoint while open (NULL, -1 otherwise).
 */
struct lgd_metrics {
	char **domains;
	size_t ndomains;
	uint64_t *denials;
	uint64_t tokens[LGD_METRICS_TOKEN_RESULTS];
	uint64_t agents[LGD_MST_COUNT];
	uint64_t kernel[LG_HOOK_MAX][LGD_MDEC_COUNT];
	uint64_t events_lost;
	uint64_t events_suppressed;
	uint64_t cached[LG_HOOK_MAX];
	uint64_t refresh_buckets[LGD_METRICS_REFRESH_BUCKETS];
	uint64_t refresh_count;
	double refresh_sum;
	uint64_t refresh_start_ns;
	bool kube;
	uint64_t kubelet[LGD_KUBELET_RESULT_MAX];
	uint64_t kube_pods;
	struct lgd_metrics_bundle *bundles;
	struct lgd_control_stats control;
	bool log_writing;
	uint64_t log_unwritten;
	bool state_saved;
	uint64_t state_failures;
	lgd_metrics_collect_fn collect;
	void *collect_ctx;
	struct MHD_Daemon *httpd;
	int epoll_fd;
};

/*
 * Prepare the values for the domains of @cfg; @collect (may be NULL) is
 * called with @ctx before each scrape. Returns 0 or -ENOMEM.
 */
int lgd_metrics_init(struct lgd_metrics *m, const struct lg_config *cfg,
		     lgd_metrics_collect_fn collect, void *ctx);

/*
 * Serve GET /metrics on @listen ("ADDR:PORT": IPv4, or IPv6 in brackets;
 * port 0 picks a free one, for tests) and only there. *epoll_fd_out is
 * the fd to add to the caller's epoll set (EPOLLIN): call
 * lgd_metrics_run() when it is readable, and also about once a second
 * (connection timeouts are only enforced while it runs). Needs
 * lgd_metrics_init() first. Returns 0 or a negative errno, lg_errmsg() set.
 */
int lgd_metrics_open(struct lgd_metrics *m, const char *listen, int *epoll_fd_out);
/* Accept, read and answer what is ready; never blocks. */
void lgd_metrics_run(struct lgd_metrics *m);
/* The bound port (after port 0), or 0 when not open. */
uint16_t lgd_metrics_port(const struct lgd_metrics *m);
/* Stop the endpoint and free everything; the struct is zeroed again. */
void lgd_metrics_close(struct lgd_metrics *m);

/* ---- updates (no-ops before lgd_metrics_init) ----------------------- */

/* One denial or audited would-be denial from the kernel's ring. */
void lgd_metrics_event(struct lgd_metrics *m, const struct lg_event *ev);
/* A presentation's outcome: "accepted" or the refusal reason. */
void lgd_metrics_token_result(struct lgd_metrics *m, const char *result);
/* Gauges: zero every state, then add each agent by its state's name. */
void lgd_metrics_agents_reset(struct lgd_metrics *m);
void lgd_metrics_agent_add(struct lgd_metrics *m, const char *state);
/* The kernel's counters (lg_counters_read): decisions and events lost. */
void lgd_metrics_kernel_counters(struct lgd_metrics *m, const uint64_t ctr[LG_COUNTERS]);
/* One kubelet request's outcome (enum lgd_kubelet_result_kind). */
void lgd_metrics_kubelet_result(struct lgd_metrics *m, unsigned int kind);
/* Gauge: the agent pods governed now. */
void lgd_metrics_kube_pods(struct lgd_metrics *m, size_t n);
/* The denial log: being written, and the lines it could not take since start. */
void lgd_metrics_denial_log(struct lgd_metrics *m, bool writing, uint64_t unwritten);
/* The state file: the last save succeeded, and the failed saves since start. */
void lgd_metrics_state_file(struct lgd_metrics *m, bool saved, uint64_t failures);
/* The control socket's connections now (lgd_control_stats()). */
void lgd_metrics_control(struct lgd_metrics *m, const struct lgd_control_stats *st);
/* The trust bundle of domain @i (0-based) now; out of range is ignored. */
void lgd_metrics_bundle(struct lgd_metrics *m, size_t i, const struct lgd_metrics_bundle *b);
/* Time one refresh pass: start before lgd_refresh(), done after it. */
void lgd_metrics_refresh_start(struct lgd_metrics *m);
void lgd_metrics_refresh_done(struct lgd_metrics *m);
/* Record one refresh pass of @seconds (what refresh_done calls). */
void lgd_metrics_observe_refresh(struct lgd_metrics *m, double seconds);

#endif /* LGD_METRICS_H */
