// SPDX-License-Identifier: GPL-2.0
/*
 * test_kube_pods.c - the agent pods of a kubelet pod list (kube_pods.c):
 * a recorded /pods answer (tests/unit/kube/pods.json) selected by namespace
 * and label, the pod cgroups under both cgroup drivers as the kubelet
 * names them, and hostile lists refused whole.
 */
#include "../../userspace/livegrantd/kube_pods.c"

#include <stdlib.h>

#include "check.h"

static const char *const namespaces[] = { "agents", "agents-prod" };
static const char *const keys[] = { "livegrant.io/agent" };
static const char *const values[] = { "true" };
static const struct lgd_kube_selector sel = { namespaces, 2, keys, values, 1 };

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;

	if (f) {
		buf = malloc(1 << 20);
		*len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
		fclose(f);
	}
	return buf;
}

static const struct lgd_kube_pod *find(const struct lgd_kube_pod *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* The recorded list under each driver: three agent pods, each in its kubelet cgroup. */
static void test_recorded_list(void)
{
	static const struct {
		enum lg_kube_driver driver;
		const char *coder, *deployer, *scratch;
	} want[] = {
		{ LG_KUBE_SYSTEMD,
		  "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod4f1c2a7e_3b5d_4e8a_9c0f_1a2b3c4d5e6f.slice",
		  "kubepods.slice/kubepods-poda0b1c2d3_e4f5_4a6b_8c7d_9e0f1a2b3c4d.slice",
		  "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_4333_8444_555555555555.slice" },
		{ LG_KUBE_CGROUPFS, "kubepods/burstable/pod4f1c2a7e-3b5d-4e8a-9c0f-1a2b3c4d5e6f",
		  "kubepods/poda0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
		  "kubepods/besteffort/pod11111111-2222-4333-8444-555555555555" },
	};
	size_t len = 0;
	char *json = read_file("tests/unit/kube/pods.json", &len);

	CHECK(json != NULL, "tests/unit/kube/pods.json: run from the top of the source tree");
	if (!json)
		return;
	for (size_t d = 0; d < 2; d++) {
		struct lgd_kube_pod pods[8];
		const struct lgd_kube_pod *p;
		size_t n = 0;
		int err = lgd_kube_pods_parse(json, len, &sel, want[d].driver, pods, 8, &n);

		CHECK(!err && n == 3, "driver %zu: 3 agent pods (running, pending), got %zu: %s", d,
		      n, err ? lg_errmsg() : "");
		p = find(pods, n, "coder-7f9c");
		CHECK(p && !strcmp(p->cgroup, want[d].coder) && !strcmp(p->namespace_, "agents"),
		      "burstable pod: %s", p ? p->cgroup : "missing");
		p = find(pods, n, "deployer-0");
		CHECK(p && !strcmp(p->cgroup, want[d].deployer), "guaranteed pod: %s",
		      p ? p->cgroup : "missing");
		p = find(pods, n, "scratch");
		CHECK(p && !strcmp(p->cgroup, want[d].scratch), "besteffort pod: %s",
		      p ? p->cgroup : "missing");
		CHECK(!find(pods, n, "finished-job") && !find(pods, n, "web-5d8f") &&
			      !find(pods, n, "coredns-abc"),
		      "not selected: a finished pod, a pod without the label, another namespace");
	}
	free(json);
}

/* Anything malformed refuses the whole list, and says why: nothing half-read. */
static void test_hostile_lists(void)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "<html>502 Bad Gateway</html>", "not JSON" },
		{ "{\"kind\":\"Status\",\"status\":\"Failure\"}", "not a PodList" },
		{ "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"agents\"}}]}",
		  "no metadata.uid" },
		{ "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"agents\",\"uid\":\"../../../sys/fs/cgroup\",\"labels\":{\"livegrant.io/agent\":\"true\"}},\"status\":{\"qosClass\":\"BestEffort\"}}]}",
		  "not a UUID" },
		{ "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"agents\",\"uid\":\"11111111-2222-4333-8444-555555555555\",\"labels\":{\"livegrant.io/agent\":\"true\"}},\"status\":{\"qosClass\":\"Platinum\"}}]}",
		  "unknown QoS class" },
		{ "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"agents\",\"uid\":\"11111111-2222-4333-8444-555555555555\",\"labels\":{\"livegrant.io/agent\":\"true\"}},\"status\":{}}]}",
		  "no status.qosClass" },
		{ "{\"kind\":\"PodList\",\"kind\":\"PodList\",\"items\":[]}", "duplicate key" },
	};
	struct lgd_kube_pod pods[2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 7;
		int err = lgd_kube_pods_parse(bad[i].json, strlen(bad[i].json), &sel,
					      LG_KUBE_SYSTEMD, pods, 2, &n);

		CHECK(err == -EINVAL && n == 0, "%s: refused whole (%d, %zu pods): %s", bad[i].why,
		      err, n, lg_errmsg());
	}
}

/* More agent pods than there is room for: refused whole, not cut short. */
static void test_too_many(void)
{
	size_t len = 0, n = 9;
	char *json = read_file("tests/unit/kube/pods.json", &len);
	struct lgd_kube_pod pods[2];
	int err = json ? lgd_kube_pods_parse(json, len, &sel, LG_KUBE_SYSTEMD, pods, 2, &n) : 0;

	CHECK(err == -E2BIG && n == 0, "3 agent pods, room for 2: refused (%d, %zu)", err, n);
	free(json);
}

int main(void)
{
	RUN(test_recorded_list);
	RUN(test_hostile_lists);
	RUN(test_too_many);
	return check_summary("kube_pods");
}
