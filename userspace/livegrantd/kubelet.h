/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kubelet.h - the kubelet client: GET https://KUBELET/pods with the
 * service-account token, on a thread of its own, every poll_interval
 * (and sooner when asked), parsed into the node's agent pods
 * (kube_pods.h). The thread touches nothing but its own state: no map,
 * no agent record. It hands each result to the event loop through an
 * eventfd, so a slow or hung kubelet never holds up an enforcement
 * decision, a refresh or the control socket. What the results do to
 * agent roots is kube_agents.h's.
 */
#ifndef LGD_KUBELET_H
#define LGD_KUBELET_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kube_pods.h"

/* The outcome of one request; kubelet.c names each (status, metrics). */
#define LGD_KUBELET_RESULTS(X)                                                      \
	X(OK, "ok") /* a PodList, parsed */                                         \
	X(UNREACHABLE, "unreachable") /* no connection: refused, no route, DNS */   \
	X(TIMEOUT, "timeout") /* no whole answer within timeout */                  \
	X(TLS, "tls") /* the certificate did not verify, or TLS failed */           \
	X(UNAUTHORIZED, "unauthorized") /* 401 or 403: the token or its RBAC */     \
	X(HTTP_STATUS, "http_status") /* another status than 200 */                 \
	X(TOO_LARGE, "too_large") /* an answer past LGD_KUBELET_MAX_BODY */         \
	X(BAD_RESPONSE, "bad_response") /* not a PodList, or a pod refused whole */ \
	X(TOKEN, "token") /* the token file could not be read */                    \
	X(INTERNAL, "internal") /* out of memory, libcurl setup */

#define LGD_KUBELET_ENUM(name, str) LGD_KUBELET_##name,
enum lgd_kubelet_result_kind { LGD_KUBELET_RESULTS(LGD_KUBELET_ENUM) LGD_KUBELET_RESULT_MAX };
#undef LGD_KUBELET_ENUM

/* A pod list of a full node is a few MiB; more is not a kubelet's answer. */
#define LGD_KUBELET_MAX_BODY (32 << 20)
#define LGD_KUBELET_MAX_TOKEN (64 << 10)
/* Asking sooner than poll_interval (lgd_kubelet_kick()): at most this often. */
#define LGD_KUBELET_MIN_GAP_MS 1000

/**
 * struct lgd_kubelet_result - one request's outcome.
 * @kind:  what happened; LGD_KUBELET_OK only with a parsed list.
 * @error: what went wrong, for status and the log ("" when OK).
 * @pods, @n: the agent pods (OK only), malloc'd.
 * @at_ns: CLOCK_BOOTTIME when the request ended.
 */
struct lgd_kubelet_result {
	enum lgd_kubelet_result_kind kind;
	char error[768];
	struct lgd_kube_pod *pods;
	size_t n;
	uint64_t at_ns;
};

struct lgd_kubelet;

/* "ok", "unreachable", ... for @kind; "internal" when out of range. */
static inline const char *lgd_kubelet_result_name(unsigned int kind)
{
#define LGD_KUBELET_NAME(name, str) [LGD_KUBELET_##name] = str,
	static const char *const names[] = { LGD_KUBELET_RESULTS(LGD_KUBELET_NAME) };
#undef LGD_KUBELET_NAME
	_Static_assert(sizeof(names) / sizeof(names[0]) == LGD_KUBELET_RESULT_MAX,
		       "every kubelet result has a name");

	return kind < LGD_KUBELET_RESULT_MAX ? names[kind] : "internal";
}

/*
 * The kubelet URL of @cfg with ${NODE_NAME} and ${NODE_IP} replaced from
 * the environment, into @out. -EINVAL with lg_errmsg() naming the
 * variable when one is unset or would not make a host name.
 */
int lgd_kubelet_url(const struct lg_kube_config *cfg, char *out, size_t size);

/*
 * Start the client for @cfg (which must outlive it). Call it after the
 * privileges are dropped: capabilities are per thread, and this thread
 * needs none. Its first request goes out at once.
 */
int lgd_kubelet_start(const struct lg_kube_config *cfg, struct lgd_kubelet **out);
/* Readable (EPOLLIN) while a result waits for lgd_kubelet_take(). */
int lgd_kubelet_fd(const struct lgd_kubelet *k);
/* The newest result not taken yet (older ones are dropped), or NULL. */
struct lgd_kubelet_result *lgd_kubelet_take(struct lgd_kubelet *k);
void lgd_kubelet_result_free(struct lgd_kubelet_result *r);
/* Ask again now rather than at the next poll (at most every LGD_KUBELET_MIN_GAP_MS). */
void lgd_kubelet_kick(struct lgd_kubelet *k);
/* Stop the thread (an answer under way is aborted) and free everything. */
void lgd_kubelet_stop(struct lgd_kubelet *k);

#endif /* LGD_KUBELET_H */
