// SPDX-License-Identifier: GPL-2.0
/*
 * test_kubelet.c - the kubelet client (kubelet.c) against a stand-in
 * kubelet over real HTTPS (build/tests/lg-https-stub): a good pod list,
 * and every way an answer can fail, each reported with its own kind and
 * never as a list. What the results do to agent roots is the VM's
 * (tests/kernel/kubelet.sh).
 */
#include "../../userspace/livegrantd/kubelet.c"
#include "../../userspace/livegrantd/kube_pods.c"
#include "../../userspace/livegrantd/https_get.c"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "https_stub.h"

#define UID_A "3b2f6a4e-1c0d-4d6e-9a51-6f1f0c2b7a11"

/* The next result of @kind within @ms, taking (and dropping) the others. */
static struct lgd_kubelet_result *next_of(struct lgd_kubelet *k, unsigned int kind, int ms)
{
	for (int waited = 0; waited < ms; waited += 100) {
		struct pollfd p = { .fd = lgd_kubelet_fd(k), .events = POLLIN };
		struct lgd_kubelet_result *r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = lgd_kubelet_take(k);
		if (r && r->kind == kind)
			return r;
		if (r && getenv("LG_TEST_VERBOSE"))
			printf("    (got %s: %s)\n", lgd_kubelet_result_name(r->kind), r->error);
		lgd_kubelet_result_free(r);
	}
	return NULL;
}

static const char *const ns[] = { "agents" };
static const char *const keys[] = { "livegrant.io/agent" };
static const char *const values[] = { "true" };

static void config(struct lg_kube_config *c, char *url, char *ca, char *token)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->kubelet_url = url;
	c->ca_file = ca;
	c->token_file = token;
	c->driver = LG_KUBE_SYSTEMD;
	c->namespaces = (struct lg_strv){ ns, 1 };
	c->label_keys = (struct lg_strv){ keys, 1 };
	c->label_values = (struct lg_strv){ values, 1 };
	c->poll_interval_s = 1;
	c->timeout_s = 2;
}

static const char pods[] = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":["
			   "{\"metadata\":{\"name\":\"a\",\"namespace\":\"agents\",\"uid\":\"" UID_A
			   "\","
			   "\"labels\":{\"livegrant.io/agent\":\"true\"}},"
			   "\"status\":{\"phase\":\"Running\",\"qosClass\":\"Burstable\"}},"
			   "{\"metadata\":{\"name\":\"b\",\"namespace\":\"default\",\"uid\":"
			   "\"9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e22\"},"
			   "\"status\":{\"phase\":\"Running\",\"qosClass\":\"Guaranteed\"}}]}";

/* One mode of the stub: the client must report @want, with no pod list. */
static void expect_mode(struct lgd_kubelet *k, const char *mode, unsigned int want, int ms)
{
	struct lgd_kubelet_result *r;

	put("mode", mode);
	r = next_of(k, want, ms);
	CHECK(r && !r->pods && !r->n && *r->error, "mode %s: reported as %s, no list (%s)", mode,
	      lgd_kubelet_result_name(want), r ? r->error : "nothing");
	lgd_kubelet_result_free(r);
}

static void test_answers(void)
{
	char url[64], ca[128], token[128], other[128];
	struct lg_kube_config c;
	struct lgd_kubelet *k = NULL;
	struct lgd_kubelet_result *r;

	put("token", "tok-123\n");
	put("sa-token", "tok-123\n");
	put("pods.json", pods);
	CHECK(!start_stub(), "the stand-in kubelet starts");
	if (stub < 0)
		return;
	snprintf(url, sizeof(url), "https://${NODE_IP}:%s", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(token, sizeof(token), "%s/sa-token", dir);
	snprintf(other, sizeof(other), "%s/other-ca.pem", dir);
	setenv("NODE_IP", "127.0.0.1", 1);
	config(&c, url, ca, token);
	CHECK(!lgd_kubelet_start(&c, &k), "client starts: %s", lg_errmsg());
	if (!k)
		goto out;
	r = next_of(k, LGD_KUBELET_OK, 5000);
	CHECK(r && r->n == 1 && !strcmp(r->pods[0].uid, UID_A) &&
		      !strcmp(r->pods[0].cgroup,
			      "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			      "3b2f6a4e_1c0d_4d6e_9a51_6f1f0c2b7a11.slice"),
	      "a good list: the one selected pod, its cgroup under the systemd driver");
	lgd_kubelet_result_free(r);
	expect_mode(k, "garbage", LGD_KUBELET_BAD_RESPONSE, 5000);
	expect_mode(k, "notpodlist", LGD_KUBELET_BAD_RESPONSE, 5000);
	expect_mode(k, "500", LGD_KUBELET_HTTP_STATUS, 5000);
	expect_mode(k, "slow", LGD_KUBELET_TIMEOUT, 8000);
	expect_mode(k, "huge", LGD_KUBELET_TOO_LARGE, 15000);
	put("mode", "ok");
	put("token", "another\n");
	expect_mode(k, "ok", LGD_KUBELET_UNAUTHORIZED, 5000);
	put("token", "tok-123\n");
	r = next_of(k, LGD_KUBELET_OK, 5000);
	CHECK(r && r->n == 1, "the right token again: a list");
	lgd_kubelet_result_free(r);
	put("sa-token", "");
	expect_mode(k, "ok", LGD_KUBELET_TOKEN, 5000);
	put("sa-token", "tok-123\n");
	stop_stub();
	expect_mode(k, "ok", LGD_KUBELET_UNREACHABLE, 5000);
	lgd_kubelet_stop(k);
	k = NULL;

	/* A CA that did not sign the kubelet's certificate: never a list. */
	CHECK(!start_stub(), "the stand-in kubelet starts again");
	snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
	config(&c, url, other, token);
	CHECK(!lgd_kubelet_start(&c, &k), "client with the wrong CA starts");
	if (k) {
		r = next_of(k, LGD_KUBELET_TLS, 5000);
		CHECK(r && !r->n, "wrong CA: reported as tls (%s)", r ? r->error : "nothing");
		lgd_kubelet_result_free(r);
	}
out:
	lgd_kubelet_stop(k);
	stop_stub();
}

/* A kick answers sooner than the poll interval, never sooner than the gap. */
static void test_kick(void)
{
	char url[64], ca[128], token[128];
	struct lg_kube_config c;
	struct lgd_kubelet *k = NULL;
	struct lgd_kubelet_result *r;
	uint64_t t0;

	put("mode", "ok");
	CHECK(!start_stub(), "the stand-in kubelet starts");
	if (stub < 0)
		return;
	snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(token, sizeof(token), "%s/sa-token", dir);
	config(&c, url, ca, token);
	c.poll_interval_s = 60;
	if (lgd_kubelet_start(&c, &k))
		goto out;
	r = next_of(k, LGD_KUBELET_OK, 5000);
	lgd_kubelet_result_free(r);
	t0 = lg_boottime_ns();
	lgd_kubelet_kick(k);
	r = next_of(k, LGD_KUBELET_OK, 5000);
	CHECK(r && lg_boottime_ns() - t0 < 4000000000ULL,
	      "a kick brings a list within seconds, not the 60 s poll");
	lgd_kubelet_result_free(r);
out:
	lgd_kubelet_stop(k);
	stop_stub();
}

static void test_url(void)
{
	struct lg_kube_config c = { .kubelet_url = "https://${NODE_NAME}:10250" };
	char out[128];

	unsetenv("NODE_NAME");
	CHECK(lgd_kubelet_url(&c, out, sizeof(out)) == -EINVAL &&
		      strstr(lg_errmsg(), "NODE_NAME is not set"),
	      "unset NODE_NAME is an error naming it: %s", lg_errmsg());
	setenv("NODE_NAME", "node-1.example", 1);
	CHECK(!lgd_kubelet_url(&c, out, sizeof(out)) &&
		      !strcmp(out, "https://node-1.example:10250"),
	      "NODE_NAME replaced: %s", out);
	setenv("NODE_NAME", "evil/path", 1);
	CHECK(lgd_kubelet_url(&c, out, sizeof(out)) == -EINVAL,
	      "a NODE_NAME that is no host name is refused");
	c.kubelet_url = "https://${HOME}:1";
	CHECK(lgd_kubelet_url(&c, out, sizeof(out)) == -EINVAL &&
		      strstr(lg_errmsg(), "only ${NODE_NAME} and ${NODE_IP}"),
	      "other variables are refused");
}

int main(void)
{
	if (stub_init("kubelet"))
		return 2;
	RUN(test_url);
	RUN(test_answers);
	RUN(test_kick);
	stub_cleanup();
	return check_summary("kubelet");
}
