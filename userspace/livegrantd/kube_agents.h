/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kube_agents.h - agent pods as agent roots, on livegrantd's event loop.
 *
 * Each agent pod the kubelet lists (kubelet.h) has its pod cgroup
 * registered as an agent root, and the pod cgroup itself is the agent:
 * every container of the pod, the `livegrant wait` init container
 * included, shares the one grant the pod presents for.
 *
 * A registered pod stays governed until its cgroup is gone (the kubelet
 * removes it once the pod's last process has exited). Nothing else
 * un-governs it: not a pod list without it, not a label removed, not a
 * kubelet that is down, slow or answers garbage. Those are reported
 * (status, metrics, the log), and the next good list goes on from there.
 *
 * With kubernetes.bootstrap configured, a pod holds a bootstrap grant of
 * those rules from its registration until it presents a token: enough to
 * start its sandbox and its init step (livegrant wait), which the kubelet
 * may start after the pod is governed. The first token's grant replaces it.
 *
 * Across a restart the pods are found again from the kernel's root map
 * (lg_root_ids()) and the pod cgroups on disk, before the new programs
 * decide anything: no kubelet answer is needed to stay governed.
 */
#ifndef LGD_KUBE_AGENTS_H
#define LGD_KUBE_AGENTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kube_pods.h"
#include "kubelet.h"

struct lgd;

/**
 * struct lgd_pod_root - one registered agent pod.
 * @uid:   the pod's UID; @namespace_, @name: "" until a list names it
 *         (a pod found again after a restart).
 * @path:  its cgroup directory; @id its cgroup id (the root's key).
 * @bootstrap: the pod holds its bootstrap grant (kubernetes.bootstrap),
 *         until @bootstrap_expires_ns unless extended: it has presented
 *         no token yet. Its first token's grant replaces it for good
 *         (@bootstrap_done, while this livegrantd runs).
 */
struct lgd_pod_root {
	char uid[LGD_KUBE_UID_MAX];
	char namespace_[64];
	char name[254];
	char path[PATH_MAX];
	uint64_t id;
	bool bootstrap, bootstrap_done;
	uint64_t bootstrap_expires_ns;
};

/**
 * struct lgd_kube - the kubernetes: section at work.
 * @client:  the kubelet client (NULL until lgd_kube_start(), or when off).
 * @pods, @n, @cap: the registered agent pods.
 * @last:    kind of the last result; @error its message ("" when ok).
 * @last_ok_ns, @last_ns: CLOCK_BOOTTIME of the last good list and of the
 *           last result of any kind (0: none yet).
 * @results: results by kind since start (status and metrics).
 * @pending: pods of the last good list whose cgroup does not exist yet.
 * @refused: pods of the last good list that cannot be agents (nested in
 *           a root, livegrantd's own, or no room left in the root map).
 */
struct lgd_kube {
	struct lgd_kubelet *client;
	struct lgd_pod_root *pods;
	size_t n, cap;
	unsigned int last;
	char error[768];
	uint64_t last_ok_ns, last_ns;
	uint64_t results[LGD_KUBELET_RESULT_MAX];
	size_t pending, refused;
	char own_pod[PATH_MAX]; /* livegrantd's own pod cgroup, "" outside pods */
};

/*
 * At start, before anything loads: the kubelet URL expands, and where
 * livegrantd's own pod is (its callers may administer).
 */
int lgd_kube_check(struct lgd *d);
/*
 * May a uid-0 caller in @cgroup administer livegrantd? Not from a pod
 * (registered as an agent or not yet: a pending, refused or unselected
 * pod's root user is no host administrator), except livegrantd's own.
 */
bool lgd_kube_may_admin(const struct lgd *d, const char *cgroup);
/*
 * At start, after the configured roots are registered and before the
 * saved grants are restored: find the agent pods registered before this
 * start again. No-op without a kubernetes: section.
 */
int lgd_kube_recover(struct lgd *d);
/* After the commit: in a replacing start, every task alive in a pod is judged. */
void lgd_kube_committed(struct lgd *d);
/* After the privileges are dropped: start the kubelet client. *@fd: its eventfd, or -1. */
int lgd_kube_start(struct lgd *d, int *fd);
/* The client's fd was readable: apply its newest result. */
void lgd_kube_handle(struct lgd *d);
/* Forget the pods whose cgroup is gone (their root with them). Every tick. */
void lgd_kube_sweep(struct lgd *d);
/* Ask the kubelet now: a process outside every root asked whether it is governed. */
void lgd_kube_kick(struct lgd *d);
void lgd_kube_stop(struct lgd *d);

/* The registered pod whose cgroup holds @cgroup (at or below it), or NULL. */
const struct lgd_pod_root *lgd_kube_pod_of(const struct lgd *d, const char *cgroup);
/* The registered pod whose cgroup id is @id, or NULL. */
const struct lgd_pod_root *lgd_kube_pod_by_id(const struct lgd *d, uint64_t id);
/* "kubernetes": {...} of livegrant status. */
json_t *lgd_kube_status_json(const struct lgd *d);

#endif /* LGD_KUBE_AGENTS_H */
