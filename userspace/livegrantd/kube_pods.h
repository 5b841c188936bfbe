/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kube_pods.h - the agent pods of this node, from the kubelet's pod list
 * (GET /pods, a v1 PodList): which pods are agents (their namespace and
 * labels against the configured selector), and the cgroup directory the
 * kubelet made for each, under the systemd or the cgroupfs cgroup driver.
 * Pure functions over the JSON text: no network, no files; the fetch is
 * elsewhere. Nothing here decides a right: a pod it selects becomes an
 * agent (denied by default), a pod it drops stays one until its cgroup
 * goes (livegrantd never un-governs a registered pod on bad input).
 */
#ifndef LGD_KUBE_PODS_H
#define LGD_KUBE_PODS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h" /* enum lg_kube_driver */

/* Limits on what one pod list may hold; a list past them is refused whole. */
#define LGD_KUBE_MAX_PODS 4096
#define LGD_KUBE_UID_MAX 64 /* a pod UID is a 36-character UUID */

/** struct lgd_kube_selector - which pods are agents: all of them must match. */
struct lgd_kube_selector {
	const char *const *namespaces; /* a pod's namespace is one of these */
	size_t nnamespaces;
	const char *const *label_keys; /* and it has each label with its value */
	const char *const *label_values;
	size_t nlabels;
};

/** struct lgd_kube_pod - one selected pod. */
struct lgd_kube_pod {
	char uid[LGD_KUBE_UID_MAX];
	char namespace_[64];
	char name[254];
	char cgroup[256]; /* below the cgroup2 mount, e.g. "kubepods.slice/..." */
};

/**
 * lgd_kube_pods_parse() - the agent pods of a kubelet pod list.
 * @json: the response body, @len bytes.
 * @sel:  the selector.
 * @driver: the kubelet's cgroup driver.
 * @out, @max, @n: selected pods go into @out (room for @max), their count
 *                 into *@n.
 *
 * Pods that are not running or pending (succeeded, failed) are left out:
 * their containers are gone. A malformed document, a pod without a UID or
 * QoS class the kubelet always sets, a UID that is not a UUID, or more
 * than @max selected pods refuses the whole list: -EINVAL or -E2BIG with
 * lg_errmsg() saying what was wrong. The caller then keeps what it had.
 */
int lgd_kube_pods_parse(const char *json, size_t len, const struct lgd_kube_selector *sel,
			enum lg_kube_driver driver, struct lgd_kube_pod *out, size_t max,
			size_t *n);

/* Where the kubelet puts every pod cgroup under @driver, relative to the cgroup2 mount. */
static inline const char *lgd_kube_pods_dir(enum lg_kube_driver driver)
{
	return driver == LG_KUBE_CGROUPFS ? "kubepods" : "kubepods.slice";
}

/*
 * The cgroup the kubelet makes for pod @uid of QoS class @qos
 * ("Guaranteed", "Burstable", "BestEffort") under @driver, relative to the
 * cgroup2 mount, into @out. 0, or -EINVAL for an unknown class or a UID
 * that is not a UUID (it would name another directory).
 */
int lgd_kube_pod_cgroup(enum lg_kube_driver driver, const char *qos, const char *uid, char *out,
			size_t size);

#endif /* LGD_KUBE_PODS_H */
