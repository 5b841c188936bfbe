// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - Prometheus text format (version 0.0.4) on GET /metrics,
 * served by libmicrohttpd inside livegrantd's epoll loop.
 *
 * libmicrohttpd runs without a thread of its own (MHD_USE_EPOLL): it keeps
 * an epoll fd of its sockets, which livegrantd watches like any other fd,
 * and does its work in lgd_metrics_run(). So the values need no locks, and
 * a scrape is rendered from the daemon's state as it is at that moment.
 * The price is that a slow scraper must never block that one thread: the
 * sockets are non-blocking, and connections, request sizes and idle time
 * are bounded (metrics.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define LISTEN_BACKLOG 16
/* MHD_run() passes that may follow each other when work is left over. */
#define RUN_PASSES 4
/* Domain label of a denial whose domain id the configuration does not know. */
#define UNKNOWN_DOMAIN "(unknown)"

/*
 * Token presentation results. A fixed list keeps the label's cardinality
 * bounded whatever a caller sends: the token library's reasons
 * (lg_token_reasons(), test_metrics checks they are all here) and
 * livegrantd's own (docs/livegrantd.md); anything else counts as "other".
 */
static const char *const token_results[] = {
	"accepted",
	/* userspace/lib/token.c */
	"too_large", "malformed", "bad_base64", "bad_json", "duplicate_member", "alg_not_allowed",
	"bad_typ", "crit_unsupported", "unknown_kid", "bad_signature", "bad_claims", "wrong_domain",
	"wrong_audience", "expired", "not_yet_valid", "ttl_too_long", "bad_policy", "internal",
	/* livegrantd: agents.c, policy.c */
	"not_an_agent", "in_agent_root", "unknown_domain", "revoked", "token_in_use",
	"workload_mismatch", "attestation_failed", "bad_rules", "missing_claim", "beyond_ceiling",
	"no_trust_bundle", "other", /* last */
};
_Static_assert(ARRAY_SIZE(token_results) <= LGD_METRICS_TOKEN_RESULTS, "token results");

static const char *const state_names[LGD_MST_COUNT] = {
	[LGD_MST_ACTIVE] = "active",	   [LGD_MST_NO_GRANT] = "no_grant",
	[LGD_MST_EXPIRED] = "expired",	   [LGD_MST_REVOKED] = "revoked",
	[LGD_MST_LAPSED] = "lapsed",	   [LGD_MST_REAUTH_REQUIRED] = "reauth_required",
	[LGD_MST_SUSPENDED] = "suspended", [LGD_MST_OTHER] = "other",
};

static const char *const decision_names[LGD_MDEC_COUNT] = {
	[LGD_MDEC_ALLOWED] = "allowed",
	[LGD_MDEC_DENIED] = "denied",
	[LGD_MDEC_AUDITED] = "audited",
};

/*
 * Refresh pass durations: a pass verifies every agent's token and touches
 * its kernel entry, from well under a millisecond for a few agents to
 * seconds for thousands (or a reinstall waiting on RCU).
 */
static const double refresh_bounds[LGD_METRICS_REFRESH_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};
static const char *const refresh_les[LGD_METRICS_REFRESH_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "10",
};

/* ---- values ------------------------------------------------------------ */

/* Updates before lgd_metrics_init() (metrics off) change nothing. */
static bool ready(const struct lgd_metrics *m)
{
	return m && m->denials;
}

static size_t domain_slots(const struct lgd_metrics *m)
{
	return m->ndomains + 2;
}

static size_t denial_slot(size_t domain, size_t hook, size_t reason, size_t action)
{
	return ((domain * LGD_METRICS_HOOKS + hook) * LGD_METRICS_REASONS + reason) *
		       LGD_METRICS_ACTIONS +
	       action;
}

static void free_domains(struct lgd_metrics *m)
{
	free(m->bundles);
	m->bundles = NULL;
	for (size_t i = 0; i < m->ndomains; i++)
		free(m->domains[i]);
	free(m->domains);
	m->domains = NULL;
	m->ndomains = 0;
}

static int copy_domains(struct lgd_metrics *m, const struct lg_config *cfg)
{
	size_t n = cfg ? cfg->n_domains : 0;

	m->domains = calloc(n ? n : 1, sizeof(*m->domains));
	m->bundles = calloc(n ? n : 1, sizeof(*m->bundles));
	if (!m->domains || !m->bundles)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m->domains[i] = strdup(cfg->domains[i].name);
		if (!m->domains[i])
			return -ENOMEM;
		m->ndomains++;
	}
	return 0;
}

int lgd_metrics_init(struct lgd_metrics *m, const struct lg_config *cfg,
		     lgd_metrics_collect_fn collect, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->epoll_fd = -1;
	m->collect = collect;
	m->collect_ctx = ctx;
	m->kube = cfg->kube.enabled;
	if (copy_domains(m, cfg))
		goto oom;
	m->denials = calloc(denial_slot(domain_slots(m), 0, 0, 0), sizeof(*m->denials));
	if (!m->denials)
		goto oom;
	return 0;
oom:
	free_domains(m);
	return lg_err(-ENOMEM, "metrics: out of memory");
}

void lgd_metrics_event(struct lgd_metrics *m, const struct lg_event *ev)
{
	size_t domain = ev->domain, hook = ev->hook, reason = ev->reason;

	if (!ready(m))
		return;
	/* Out-of-range values land in the last ("unknown") slot of each label. */
	if (domain > m->ndomains)
		domain = m->ndomains + 1;
	if (hook >= LG_HOOK_MAX)
		hook = LG_HOOK_MAX;
	if (reason >= LG_REASON_MAX)
		reason = LG_REASON_MAX;
	m->denials[denial_slot(domain, hook, reason, ev->action == LG_ACTION_AUDITED)]++;
}

void lgd_metrics_token_result(struct lgd_metrics *m, const char *result)
{
	size_t i;

	if (!ready(m))
		return;
	for (i = 0; i < ARRAY_SIZE(token_results) - 1; i++)
		if (result && !strcmp(result, token_results[i]))
			break;
	m->tokens[i]++;
}

void lgd_metrics_kubelet_result(struct lgd_metrics *m, unsigned int kind)
{
	if (ready(m) && kind < LGD_KUBELET_RESULT_MAX)
		m->kubelet[kind]++;
}

void lgd_metrics_bundle(struct lgd_metrics *m, size_t i, const struct lgd_metrics_bundle *b)
{
	if (m->bundles && i < m->ndomains)
		m->bundles[i] = *b;
}

void lgd_metrics_denial_log(struct lgd_metrics *m, bool writing, uint64_t unwritten)
{
	if (!ready(m))
		return;
	m->log_writing = writing;
	m->log_unwritten = unwritten;
}

void lgd_metrics_state_file(struct lgd_metrics *m, bool saved, uint64_t failures)
{
	if (!ready(m))
		return;
	m->state_saved = saved;
	m->state_failures = failures;
}

void lgd_metrics_control(struct lgd_metrics *m, const struct lgd_control_stats *st)
{
	if (ready(m))
		m->control = *st;
}

void lgd_metrics_kube_pods(struct lgd_metrics *m, size_t n)
{
	if (ready(m))
		m->kube_pods = n;
}

void lgd_metrics_agents_reset(struct lgd_metrics *m)
{
	if (ready(m))
		memset(m->agents, 0, sizeof(m->agents));
}

void lgd_metrics_agent_add(struct lgd_metrics *m, const char *state)
{
	size_t i;

	if (!ready(m))
		return;
	for (i = 0; i < LGD_MST_OTHER; i++)
		if (state && !strcmp(state, state_names[i]))
			break;
	m->agents[i]++;
}

void lgd_metrics_kernel_counters(struct lgd_metrics *m, const uint64_t ctr[LG_COUNTERS])
{
	if (!ready(m))
		return;
	m->events_lost = 0;
	m->events_suppressed = 0;
	for (size_t h = 0; h < LG_HOOK_MAX; h++) {
		const uint64_t *c = &ctr[h * LG_CTR_MAX];

		m->kernel[h][LGD_MDEC_ALLOWED] = c[LG_CTR_ALLOWED];
		m->kernel[h][LGD_MDEC_DENIED] = c[LG_CTR_DENIED];
		m->kernel[h][LGD_MDEC_AUDITED] = c[LG_CTR_AUDITED];
		m->events_lost += c[LG_CTR_EVENTS_LOST];
		m->events_suppressed += c[LG_CTR_EVENTS_SUPPRESSED];
		m->cached[h] = c[LG_CTR_CACHED];
	}
}

void lgd_metrics_refresh_start(struct lgd_metrics *m)
{
	if (ready(m))
		m->refresh_start_ns = lg_monotonic_ns();
}

void lgd_metrics_refresh_done(struct lgd_metrics *m)
{
	if (!ready(m) || !m->refresh_start_ns)
		return;
	lgd_metrics_observe_refresh(m, (lg_monotonic_ns() - m->refresh_start_ns) / 1e9);
	m->refresh_start_ns = 0;
}

void lgd_metrics_observe_refresh(struct lgd_metrics *m, double seconds)
{
	if (!ready(m))
		return;
	for (size_t i = 0; i < LGD_METRICS_REFRESH_BUCKETS; i++) {
		if (seconds <= refresh_bounds[i]) {
			m->refresh_buckets[i]++;
			break;
		}
	}
	m->refresh_count++;
	m->refresh_sum += seconds;
}

/* ---- the text format --------------------------------------------------- */

/* A label value, escaped as the text format requires: \\, \" and \n. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *domain_label(const struct lgd_metrics *m, size_t slot)
{
	if (slot == 0)
		return ""; /* no grant, no domain: an empty label is an absent one */
	if (slot <= m->ndomains)
		return m->domains[slot - 1];
	return UNKNOWN_DOMAIN;
}

static void put_denial(FILE *f, const struct lgd_metrics *m, size_t d, size_t h, size_t r, size_t a)
{
	uint64_t v = m->denials[denial_slot(d, h, r, a)];

	/* Only combinations that happened: all of them would be thousands of zeros. */
	if (!v)
		return;
	fprintf(f, "livegrant_denials_total{hook=\"%s\",reason=\"%s\",domain=\"", lg_hook_name(h),
		lg_reason_name(r));
	put_label_value(f, domain_label(m, d));
	fprintf(f, "\",action=\"%s\"} %llu\n", lg_action_name(a ? LG_ACTION_AUDITED : 0),
		(unsigned long long)v);
}

static void put_denials(FILE *f, const struct lgd_metrics *m)
{
	put_family(
		f, "livegrant_denials_total", "counter",
		"Denials (action=denied) and audited would-be denials (action=audited) reported by the kernel, by hook, reason and the grant's trust domain.");
	for (size_t d = 0; d < domain_slots(m); d++)
		for (size_t h = 0; h < LGD_METRICS_HOOKS; h++)
			for (size_t r = 0; r < LGD_METRICS_REASONS; r++)
				for (size_t a = 0; a < LGD_METRICS_ACTIONS; a++)
					put_denial(f, m, d, h, r, a);
}

static void put_agents(FILE *f, const struct lgd_metrics *m)
{
	put_family(f, "livegrant_agents", "gauge", "Agent cgroups livegrantd knows, by state.");
	for (size_t i = 0; i < LGD_MST_COUNT; i++)
		fprintf(f, "livegrant_agents{state=\"%s\"} %llu\n", state_names[i],
			(unsigned long long)m->agents[i]);
}

static void put_tokens(FILE *f, const struct lgd_metrics *m)
{
	put_family(f, "livegrant_token_verifications_total", "counter",
		   "Token presentations by result: accepted, or the refusal reason.");
	for (size_t i = 0; i < ARRAY_SIZE(token_results); i++)
		fprintf(f, "livegrant_token_verifications_total{result=\"%s\"} %llu\n",
			token_results[i], (unsigned long long)m->tokens[i]);
}

static void put_kernel(FILE *f, const struct lgd_metrics *m)
{
	put_family(
		f, "livegrant_kernel_decisions_total", "counter",
		"Decisions of the kernel hooks on agent actions, by hook and decision (kernel counters).");
	for (size_t h = 0; h < LG_HOOK_MAX; h++)
		for (size_t d = 0; d < LGD_MDEC_COUNT; d++)
			fprintf(f,
				"livegrant_kernel_decisions_total{hook=\"%s\",decision=\"%s\"} %llu\n",
				lg_hook_name(h), decision_names[d],
				(unsigned long long)m->kernel[h][d]);
	put_family(
		f, "livegrant_events_lost_total", "counter",
		"Denial events the kernel's ring buffer had no room for (the decisions still stood).");
	fprintf(f, "livegrant_events_lost_total %llu\n", (unsigned long long)m->events_lost);
	put_family(
		f, "livegrant_events_suppressed_total", "counter",
		"Denial events over their agent's event budget, counted per agent in the kernel and summarized in the denial log instead of sent.");
	fprintf(f, "livegrant_events_suppressed_total %llu\n",
		(unsigned long long)m->events_suppressed);
	put_family(
		f, "livegrant_kernel_cached_decisions_total", "counter",
		"Of the allowed decisions, those the verdict cache made without matching the path again, by hook.");
	for (size_t h = 0; h < LG_HOOK_MAX; h++)
		if (m->cached[h] || h == LG_HOOK_FILE_OPEN)
			fprintf(f, "livegrant_kernel_cached_decisions_total{hook=\"%s\"} %llu\n",
				lg_hook_name(h), (unsigned long long)m->cached[h]);
}

static void put_refresh(FILE *f, const struct lgd_metrics *m)
{
	uint64_t cumulative = 0;

	put_family(f, "livegrant_refresh_seconds", "histogram",
		   "Duration of each refresh pass (re-attesting every agent).");
	for (size_t i = 0; i < LGD_METRICS_REFRESH_BUCKETS; i++) {
		cumulative += m->refresh_buckets[i];
		fprintf(f, "livegrant_refresh_seconds_bucket{le=\"%s\"} %llu\n", refresh_les[i],
			(unsigned long long)cumulative);
	}
	fprintf(f, "livegrant_refresh_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)m->refresh_count);
	fprintf(f, "livegrant_refresh_seconds_sum %.9f\n", m->refresh_sum);
	fprintf(f, "livegrant_refresh_seconds_count %llu\n", (unsigned long long)m->refresh_count);
}

static void put_kube(FILE *f, const struct lgd_metrics *m)
{
	if (!m->kube)
		return;
	put_family(
		f, "livegrant_kubelet_requests_total", "counter",
		"Requests for the kubelet's pod list, by result: ok, or why no list came (the agent pods stay governed).");
	for (unsigned int i = 0; i < LGD_KUBELET_RESULT_MAX; i++)
		fprintf(f, "livegrant_kubelet_requests_total{result=\"%s\"} %llu\n",
			lgd_kubelet_result_name(i), (unsigned long long)m->kubelet[i]);
	put_family(f, "livegrant_kube_agent_pods", "gauge",
		   "Agent pods whose cgroup is registered as an agent root.");
	fprintf(f, "livegrant_kube_agent_pods %llu\n", (unsigned long long)m->kube_pods);
}

static void put_denial_log(FILE *f, const struct lgd_metrics *m)
{
	put_family(
		f, "livegrant_denial_log_writing", "gauge",
		"1 while the denial log is written; 0 while writes fail (a full disk, a read-only state_dir).");
	fprintf(f, "livegrant_denial_log_writing %d\n", m->log_writing);
	put_family(
		f, "livegrant_denial_log_unwritten_total", "counter",
		"Denial log lines that could not be written (they still went to standard output).");
	fprintf(f, "livegrant_denial_log_unwritten_total %llu\n",
		(unsigned long long)m->log_unwritten);
	put_family(
		f, "livegrant_state_saved", "gauge",
		"1 when livegrantd's last save of its state file succeeded; 0 while saves fail (agents and revocations held in memory only).");
	fprintf(f, "livegrant_state_saved %d\n", m->state_saved);
	put_family(f, "livegrant_state_save_failures_total", "counter",
		   "Failed saves of the state file (each is retried).");
	fprintf(f, "livegrant_state_save_failures_total %llu\n",
		(unsigned long long)m->state_failures);
}

static void put_control(FILE *f, const struct lgd_metrics *m)
{
	put_family(f, "livegrant_control_connections", "gauge",
		   "Connections to the control socket held now.");
	fprintf(f, "livegrant_control_connections %llu\n", (unsigned long long)m->control.open);
	put_family(f, "livegrant_control_accepted_total", "counter",
		   "Connections accepted on the control socket, those turned away included.");
	fprintf(f, "livegrant_control_accepted_total %llu\n",
		(unsigned long long)m->control.accepted);
	put_family(
		f, "livegrant_control_rejected_total", "counter",
		"Control socket connections turned away or closed without an answer to their request, by reason.");
	for (unsigned int r = 0; r < LGD_REJECT_MAX; r++)
		fprintf(f, "livegrant_control_rejected_total{reason=\"%s\"} %llu\n",
			lgd_control_reject_name(r), (unsigned long long)m->control.rejected[r]);
}

/* NAME{domain="D"[,result="R"]} */
static void put_bundle_series(FILE *f, const char *name, const char *domain, const char *result)
{
	fprintf(f, "%s{domain=\"", name);
	put_label_value(f, domain);
	if (result)
		fprintf(f, "\",result=\"%s", result);
	fputs("\"} ", f);
}

static void put_bundles(FILE *f, const struct lgd_metrics *m)
{
	bool urls = false;

	put_family(
		f, "livegrant_trust_bundle_keys", "gauge",
		"Issuer keys in force per domain; 0: none, and the domain's tokens are refused.");
	for (size_t i = 0; i < m->ndomains; i++) {
		put_bundle_series(f, "livegrant_trust_bundle_keys", m->domains[i], NULL);
		fprintf(f, "%llu\n", (unsigned long long)m->bundles[i].keys);
		urls |= m->bundles[i].url;
	}
	if (!urls)
		return;
	put_family(
		f, "livegrant_trust_bundle_fetches_total", "counter",
		"Fetches of a domain's JWKS, by result: ok, or why no new keys came (the last good ones stay until max_age).");
	for (size_t i = 0; i < m->ndomains; i++)
		for (unsigned int k = 0; m->bundles[i].url && k < LGD_FETCH_RESULT_MAX; k++) {
			put_bundle_series(f, "livegrant_trust_bundle_fetches_total", m->domains[i],
					  lgd_fetch_result_name(k));
			fprintf(f, "%llu\n", (unsigned long long)m->bundles[i].fetches[k]);
		}
	put_family(f, "livegrant_trust_bundle_age_seconds", "gauge",
		   "How old a fetched domain's keys in force are (since their fetch).");
	for (size_t i = 0; i < m->ndomains; i++)
		if (m->bundles[i].url && m->bundles[i].keys) {
			put_bundle_series(f, "livegrant_trust_bundle_age_seconds", m->domains[i],
					  NULL);
			fprintf(f, "%.3f\n", m->bundles[i].age_s);
		}
}

/* The whole exposition in a malloc'd buffer (*len bytes); NULL without memory. */
static char *render(const struct lgd_metrics *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int failed;

	if (!f)
		return NULL;
	put_denials(f, m);
	put_agents(f, m);
	put_tokens(f, m);
	put_kernel(f, m);
	put_refresh(f, m);
	put_kube(f, m);
	put_bundles(f, m);
	put_denial_log(f, m);
	put_control(f, m);
	failed = ferror(f);
	if (fclose(f) || failed) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- HTTP -------------------------------------------------------------- */

static enum MHD_Result reply_static(struct MHD_Connection *c, unsigned int status, const char *body,
				    const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct lgd_metrics *m, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	if (m->collect)
		m->collect(m, m->collect_ctx);
	body = render(m, &len);
	if (!body)
		return reply_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Answer at the first call, when the headers are in: nothing here needs a
 * request body, and answering before it is read makes libmicrohttpd
 * discard it and close the connection instead of receiving it. HEAD is
 * answered like GET (RFC 9110 requires it wherever GET is served; the
 * library leaves the body out).
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(url, "/metrics"))
		return reply_static(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				    "GET, HEAD");
	return reply_metrics(cls, c);
}

/*
 * libmicrohttpd's own messages (a full connection table, a bad request).
 * A scraper must not be able to fill livegrantd's log with them: at most a
 * few lines a minute.
 */
static void log_httpd(void *cls, const char *fmt, va_list ap)
{
	static time_t window;
	static unsigned int lines;
	time_t now = time(NULL);

	(void)cls;
	if (!fmt)
		return;
	if (now - window >= 60) {
		window = now;
		lines = 0;
	}
	if (lines++ >= 5)
		return;
	fputs("livegrantd: metrics: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

/* "A.B.C.D:PORT" or "[V6]:PORT" -> @ss. Host names are not resolved. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	unsigned long port;

	if (!colon || !hlen || hlen >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = 0;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	*len = sizeof(*in4);
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

/*
 * The listening socket is made here rather than by libmicrohttpd so that a
 * failure (address in use, not local) is reported with its errno, and so
 * that an IPv6 address binds IPv6 only: "[::]" must not quietly take
 * every IPv4 address too.
 */
static int listen_socket(const char *listen_addr, int *fd_out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, err;

	if (parse_listen(listen_addr, &ss, &len))
		return lg_err(
			-EINVAL,
			"metrics_listen %s: not ADDR:PORT with an IPv4 address or a bracketed IPv6 address, e.g. 127.0.0.1:9464 or [::1]:9464",
			listen_addr);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lg_err(-errno, "metrics_listen %s: socket: %s", listen_addr,
			      strerror(errno));
	/* A restart must not wait for the old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return lg_err(err, "metrics_listen %s: %s", listen_addr, strerror(-err));
	}
	*fd_out = fd;
	return 0;
}

static struct MHD_Daemon *start_httpd(struct lgd_metrics *m, int fd)
{
	/* The logger first: the library logs about options as it reads them. */
	return MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, m,
				MHD_OPTION_EXTERNAL_LOGGER, log_httpd, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)LGD_METRICS_MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)LGD_METRICS_MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)LGD_METRICS_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)LGD_METRICS_MEMORY_LIMIT, MHD_OPTION_END);
}

int lgd_metrics_open(struct lgd_metrics *m, const char *listen_addr, int *epoll_fd_out)
{
	const union MHD_DaemonInfo *info;
	int fd = -1, err;

	if (!ready(m))
		return lg_err(-EINVAL, "metrics: lgd_metrics_init() was not called");
	err = listen_socket(listen_addr, &fd);
	if (err)
		return err;
	m->httpd = start_httpd(m, fd);
	if (!m->httpd) {
		/* Whether a failed start closed our socket is not documented: ask. */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		return lg_err(-EIO, "metrics_listen %s: libmicrohttpd failed to start",
			      listen_addr);
	}
	info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		MHD_stop_daemon(m->httpd);
		m->httpd = NULL;
		return lg_err(-EIO, "metrics_listen %s: libmicrohttpd has no epoll fd",
			      listen_addr);
	}
	m->epoll_fd = info->epoll_fd;
	*epoll_fd_out = m->epoll_fd;
	return 0;
}

/*
 * One MHD_run() may leave work it saw but did not finish (a connection
 * still readable); the library then asks to be run again at once
 * (timeout 0), and its epoll fd would not wake us for it. A few passes
 * finish a scrape; anything left waits for the next call (the tick).
 */
void lgd_metrics_run(struct lgd_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG timeout;

	if (!m || !m->httpd)
		return;
	for (int i = 0; i < RUN_PASSES; i++) {
		MHD_run(m->httpd);
		if (MHD_get_timeout(m->httpd, &timeout) != MHD_YES || timeout)
			break;
	}
}

uint16_t lgd_metrics_port(const struct lgd_metrics *m)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!m || !m->httpd)
		return 0;
	info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_LISTEN_FD);
	if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void lgd_metrics_close(struct lgd_metrics *m)
{
	if (!m)
		return;
	/* Stopping closes the listening socket, every connection and the epoll fd. */
	if (m->httpd)
		MHD_stop_daemon(m->httpd);
	free_domains(m);
	free(m->denials);
	memset(m, 0, sizeof(*m));
	m->epoll_fd = -1;
}
