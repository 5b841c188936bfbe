// SPDX-License-Identifier: GPL-2.0
/*
 * control_ops.c - see control_ops.h. ops[] is the protocol: for each op of
 * control_request.h, who may make it and its handler. Agents may only
 * "present" a token for themselves; everything else needs the host's
 * administrator. An op not in the table is refused before the caller's
 * rights are looked at (lgd_request_decode()).
 */
#define _GNU_SOURCE
#include <string.h>

#include "admission.h"
#include "control_ops.h"
#include "daemon.h"
#include "upkeep.h"
#include "views.h"

enum caller {
	CALLER_ANY, /* any attested process (an agent acts only for itself) */
	CALLER_ADMIN, /* lgd_caller_is_admin() */
};

struct op {
	enum caller who;
	void (*handle)(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		       json_t *resp);
};

bool lgd_caller_is_admin(const struct lgd *d, const struct lgd_peer *p)
{
	return p->uid == 0 && !lgd_under_root(d, p->cgroup) && lgd_kube_may_admin(d, p->cgroup);
}

static void op_present(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		       json_t *resp)
{
	struct lgd_admit_req ad = { .mode = LGD_ADMIT_PRESENT, .peer = peer };
	const struct lgd_agent *a;

	ad.token = req->arg;
	if (!ad.token) {
		lgd_refuse(resp, "bad_request", "present needs a \"token\" string");
		return;
	}
	if (lgd_admit(d, &ad)) {
		lgd_refuse(resp, ad.reason, lg_errmsg());
		if (ad.retry_after_ms)
			json_object_set_new(resp, "retry_after_ms",
					    json_integer(ad.retry_after_ms));
		return;
	}
	a = ad.agent;
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agent", json_string(a->sub));
	json_object_set_new(resp, "cgroup", json_string(a->cgroup));
	json_object_set_new(resp, "domain", json_string(a->domain->name));
	json_object_set_new(resp, "jti", json_string(a->jti));
	json_object_set_new(resp, "generation", json_integer(a->generation));
	json_object_set_new(resp, "token_exp", json_integer(a->times.exp));
}

static void op_revoke(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		      json_t *resp)
{
	const char *target = req->arg;

	(void)peer;
	if (!target || !*target)
		lgd_refuse(resp, "bad_request",
			   "revoke needs a \"target\": agent sub, cgroup or jti");
	else
		lgd_revoke(d, target, resp);
}

static void op_grants(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		      json_t *resp)
{
	const char *agent = req->arg;

	(void)peer;
	if (!agent || !*agent)
		lgd_refuse(resp, "bad_request", "grants needs an \"agent\": sub, cgroup or jti");
	else
		lgd_grants_json(d, agent, resp);
}

static void op_agents(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		      json_t *resp)
{
	(void)peer;
	(void)req;
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "agents", lgd_agents_json(d));
}

static void op_status(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
		      json_t *resp)
{
	(void)peer;
	(void)req;
	lgd_status_json(d, resp);
}

/*
 * Is the caller's own cgroup, as attested from the kernel, governed: at or
 * below a root in the kernel's root map? `livegrant wait` asks this from an
 * agent pod's init container, before the pod's first container starts.
 */
static void op_governed(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
			json_t *resp)
{
	bool governed;

	(void)req;
	if (lg_cgroup_governed(d->e, peer->cgroup, &governed)) {
		lgd_refuse(resp, "internal", lg_errmsg());
		return;
	}
	/*
	 * An agent pod's init step is waiting (livegrant wait): ask the
	 * kubelet now rather than at the next poll. The client spaces its
	 * requests whoever asks (LGD_KUBELET_MIN_GAP_MS).
	 */
	if (!governed && d->kube.client)
		lgd_kube_kick(d);
	json_object_set_new(resp, "ok", json_true());
	json_object_set_new(resp, "governed", json_boolean(governed));
	json_object_set_new(resp, "cgroup", json_string(peer->cgroup));
}

/* By enum lgd_op: who may ask for each op of control_request.h, and what answers it. */
static const struct op ops[LGD_OP_MAX] = {
	[LGD_OP_PRESENT] = { CALLER_ANY, op_present },
	[LGD_OP_REVOKE] = { CALLER_ADMIN, op_revoke },
	[LGD_OP_AGENTS] = { CALLER_ADMIN, op_agents },
	[LGD_OP_STATUS] = { CALLER_ADMIN, op_status },
	[LGD_OP_GRANTS] = { CALLER_ADMIN, op_grants },
	[LGD_OP_GOVERNED] = { CALLER_ANY, op_governed },
};

void lgd_control_dispatch(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
			  json_t *resp)
{
	const struct op *op = &ops[req->op];

	/* An op of control_request.h this table forgot: unknown, never a NULL call. */
	if (!op->handle) {
		lgd_refuse(resp, "bad_request", "unknown op");
		return;
	}
	if (op->who == CALLER_ADMIN && !lgd_caller_is_admin(d, peer)) {
		lgd_refuse(resp, "not_admin",
			   "this request needs uid 0 from a process outside every agent root");
		return;
	}
	op->handle(d, peer, req, resp);
}
