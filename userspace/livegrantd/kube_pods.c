// SPDX-License-Identifier: GPL-2.0
/* kube_pods.c - see kube_pods.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "livegrant.h"
#include "kube_pods.h"

/* 8-4-4-4-12 hexadecimal digits: nothing else may go into a directory name. */
static bool is_uuid(const char *s)
{
	static const int dashes[] = { 8, 13, 18, 23 };
	size_t d = 0;

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (d < 4 && i == dashes[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

int lgd_kube_pod_cgroup(enum lg_kube_driver driver, const char *qos, const char *uid, char *out,
			size_t size)
{
	char u[LGD_KUBE_UID_MAX];
	const char *q;
	int n;

	if (!uid || !is_uuid(uid))
		return lg_err(-EINVAL, "pod UID \"%s\" is not a UUID", uid ? uid : "");
	/* Guaranteed pods sit directly under kubepods; the others under their class. */
	if (!qos)
		q = NULL;
	else if (!strcmp(qos, "Guaranteed"))
		q = "";
	else if (!strcmp(qos, "Burstable"))
		q = "burstable";
	else if (!strcmp(qos, "BestEffort"))
		q = "besteffort";
	else
		q = NULL;
	if (!q)
		return lg_err(-EINVAL, "pod %s: unknown QoS class \"%s\"", uid, qos ? qos : "");
	if (driver == LG_KUBE_CGROUPFS) {
		n = *q ? snprintf(out, size, "kubepods/%s/pod%s", q, uid) :
			 snprintf(out, size, "kubepods/pod%s", uid);
	} else {
		/* systemd escapes '-' in unit names: the kubelet writes the UID with '_'. */
		snprintf(u, sizeof(u), "%s", uid);
		for (char *p = u; *p; p++)
			if (*p == '-')
				*p = '_';
		n = *q ? snprintf(out, size,
				  "kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice", q, q,
				  u) :
			 snprintf(out, size, "kubepods.slice/kubepods-pod%s.slice", u);
	}
	return n < 0 || (size_t)n >= size ?
		       lg_err(-ENAMETOOLONG, "pod %s: cgroup path too long", uid) :
		       0;
}

static bool in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

/* Does the pod's metadata (@meta) match @sel: its namespace listed, each label equal? */
static bool selected(json_t *meta, const struct lgd_kube_selector *sel)
{
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	json_t *labels = json_object_get(meta, "labels");

	if (!ns || !in_list(ns, sel->namespaces, sel->nnamespaces))
		return false;
	for (size_t i = 0; i < sel->nlabels; i++) {
		const char *v = json_string_value(json_object_get(labels, sel->label_keys[i]));

		if (!v || strcmp(v, sel->label_values[i]))
			return false;
	}
	return true;
}

/* One pod of the list: 1 if selected (written to @p), 0 if not, or a negative errno. */
static int one_pod(json_t *item, size_t i, const struct lgd_kube_selector *sel,
		   enum lg_kube_driver driver, struct lgd_kube_pod *p)
{
	json_t *meta = json_object_get(item, "metadata"), *status = json_object_get(item, "status");
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *phase = json_string_value(json_object_get(status, "phase"));
	const char *qos = json_string_value(json_object_get(status, "qosClass"));
	int err;

	if (!json_is_object(meta) || !uid || !name)
		return lg_err(-EINVAL, "pod list item %zu has no metadata.uid or metadata.name", i);
	if (!selected(meta, sel))
		return 0;
	/* Finished pods have no containers left to govern. */
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return 0;
	if (!qos)
		return lg_err(-EINVAL, "agent pod %s (%s) has no status.qosClass", name, uid);
	err = lgd_kube_pod_cgroup(driver, qos, uid, p->cgroup, sizeof(p->cgroup));
	if (err)
		return err;
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	snprintf(p->namespace_, sizeof(p->namespace_), "%s",
		 json_string_value(json_object_get(meta, "namespace")));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return 1;
}

int lgd_kube_pods_parse(const char *json, size_t len, const struct lgd_kube_selector *sel,
			enum lg_kube_driver driver, struct lgd_kube_pod *out, size_t max, size_t *n)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *items, *item;
	size_t i;
	int err = 0;

	*n = 0;
	if (!root)
		return lg_err(-EINVAL, "kubelet pod list is not JSON: %s (line %d)", jerr.text,
			      jerr.line);
	items = json_object_get(root, "items");
	if (!json_is_array(items) ||
	    strcmp(json_string_value(json_object_get(root, "kind")) ?: "", "PodList")) {
		json_decref(root);
		return lg_err(-EINVAL, "kubelet answer is not a PodList with items");
	}
	json_array_foreach(items, i, item) {
		struct lgd_kube_pod p;
		int r = one_pod(item, i, sel, driver, &p);

		if (r < 0) {
			err = r;
			break;
		}
		if (!r)
			continue;
		if (*n == max) {
			err = lg_err(-E2BIG, "more than %zu agent pods on this node", max);
			break;
		}
		out[(*n)++] = p;
	}
	json_decref(root);
	if (err)
		*n = 0;
	return err;
}
