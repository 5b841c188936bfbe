/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - livegrantd's configuration file (YAML, read with libyaml).
 * docs/config.md documents every field. A config error names the file, the
 * line and the field ("FILE:LINE: FIELD: what is wrong"), and livegrantd
 * refuses to start rather than guess.
 */
#ifndef LG_CONFIG_H
#define LG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "livegrant.h"

/*
 * Rule lists in grant syntax (docs/rules.md), one per enum lg_rule_kind;
 * memory owned by the config.
 */
struct lg_rules_config {
	struct lg_strv rules[LG_RULE_KIND_MAX];
};

enum lg_on_crossing {
	LG_ON_CROSSING_DENY = 0, /* only the crossing is denied */
	LG_ON_CROSSING_SUSPEND, /* the agent's grant is suspended too */
};

/**
 * struct lg_bundle_fetch_config - how a trust bundle that is an https URL
 * is fetched (trust_bundle_fetch:). Defaults in brackets.
 * @ca_file:        the CAs that verify the issuer's server [the system's].
 * @refresh_s:      fetched again this often [5m] (sooner when a SPIFFE
 *                  bundle's spiffe_refresh_hint says so).
 * @min_interval_s: never two fetches closer than this: an unknown kid, a
 *                  failure's retry [30s, or refresh when shorter].
 * @max_age_s:      the last good bundle is kept this long after it was
 *                  fetched, never longer [24h].
 * @timeout_s:      one fetch's whole time [10s].
 */
struct lg_bundle_fetch_config {
	char *ca_file;
	uint64_t refresh_s, min_interval_s, max_age_s, timeout_s;
};

/**
 * struct lg_domain_config - one trust domain.
 * @name:          the key under "domains:"; tokens carry it as "domain".
 * @id:            1-based index, the domain id written into grants.
 * @trust_bundle:  JWKS or PEM file of the issuer keys trusted for it, or
 *                 (@trust_bundle_url) the https URL of a JWKS, fetched as
 *                 @fetch says (@has_fetch: the section was written).
 * @max_ttl_s:     longest token lifetime accepted.
 * @networks:      CIDR prefixes of the domain (IPv4 or IPv6).
 * @require_claims: claims a token must carry, non-empty.
 * @on_crossing:   what a crossing into another domain does.
 * @ceiling:       the most a token may grant; has_ceiling when set.
 */
struct lg_domain_config {
	char *name;
	uint32_t id;
	char *trust_bundle;
	bool trust_bundle_url, has_fetch;
	struct lg_bundle_fetch_config fetch;
	uint64_t max_ttl_s;
	struct lg_strv networks;
	struct lg_strv require_claims;
	enum lg_on_crossing on_crossing;
	bool has_ceiling;
	struct lg_rules_config ceiling;
};

/* The kubelet's cgroup driver, which decides the names of pod cgroups. */
enum lg_kube_driver { LG_KUBE_SYSTEMD = 0, LG_KUBE_CGROUPFS };

/**
 * struct lg_kube_config - the kubernetes: section: agent pods from the
 * kubelet's pod list (docs/config.md). Defaults in brackets.
 * @enabled:        the section is present.
 * @kubelet_url:    https://HOST:PORT, ${NODE_NAME} and ${NODE_IP} replaced
 *                  from the environment at start [https://127.0.0.1:10250].
 * @ca_file:        CA bundle that verifies the kubelet's serving certificate
 *                  [/var/run/secrets/kubernetes.io/serviceaccount/ca.crt].
 * @token_file:     bearer token, read at every request
 *                  [/var/run/secrets/kubernetes.io/serviceaccount/token].
 * @driver:         the kubelet's cgroup driver [systemd].
 * @namespaces:     an agent pod is in one of these (required).
 * @label_keys, @label_values: and carries each of these labels [none].
 * @poll_interval_s: time between two pod lists [5s].
 * @timeout_s:      one request's whole time [10s].
 * @bootstrap:      what an agent pod may do before it presents a token
 *                  (@has_bootstrap): start its sandbox and its init step
 *                  (livegrant wait). Rules in grant syntax [none].
 */
struct lg_kube_config {
	bool enabled;
	char *kubelet_url;
	char *ca_file;
	char *token_file;
	enum lg_kube_driver driver;
	struct lg_strv namespaces;
	struct lg_strv label_keys, label_values;
	uint64_t poll_interval_s;
	uint64_t timeout_s;
	bool has_bootstrap;
	struct lg_rules_config bootstrap;
};

/**
 * struct lg_config - the whole file. Defaults in brackets.
 * @path:             the file it was read from.
 * @state_dir:        control socket, state, denial log [/run/livegrant].
 * @bpffs_dir:        pins [/sys/fs/bpf/livegrant].
 * @audience:         required "aud" of tokens (required field).
 * @mode:             enforce or audit [enforce].
 * @refresh_interval_s: re-attestation period [30s].
 * @token_leeway_s:   clock skew allowed on exp/nbf [30s].
 * @max_token_bytes:  token size limit [16384].
 * @agent_cgroups:    agent roots (required, at least one, unless
 *                    @kube selects agent pods).
 * @baseline:         rules added to every live grant.
 * @domains:          trust domains (at least one).
 * @metrics_listen:   "ADDR:PORT" for Prometheus metrics, NULL: off.
 * @denial_log_max_bytes: size at which denials.jsonl rotates [8 MiB].
 * @denial_log_keep:  rotated, gzip-compressed files kept [5].
 * @kube:             agent pods of this node, when enabled.
 */
struct lg_config {
	char *path;
	char *state_dir;
	char *bpffs_dir;
	char *audience;
	enum lg_mode mode;
	uint64_t refresh_interval_s;
	uint64_t token_leeway_s;
	size_t max_token_bytes;
	struct lg_strv agent_cgroups;
	struct lg_rules_config baseline;
	struct lg_domain_config *domains;
	size_t n_domains;
	char *metrics_listen;
	uint64_t denial_log_max_bytes;
	uint32_t denial_log_keep;
	struct lg_kube_config kube;
};

/* Returns 0 or a negative errno; lg_errmsg() is "FILE:LINE: FIELD: ...". */
int lg_config_load(const char *path, struct lg_config **out);
/*
 * The same from the @len bytes at @buf (no NUL needed), named @name in
 * messages and in lg_config.path: what lg_config_load() does once it has
 * read the file, and all of it.
 */
int lg_config_parse(const char *name, const char *buf, size_t len, struct lg_config **out);
void lg_config_free(struct lg_config *c);
const struct lg_domain_config *lg_config_domain(const struct lg_config *c, const char *name);

#endif /* LG_CONFIG_H */
