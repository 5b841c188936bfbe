/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control_ops.h - the control socket's requests: who may ask for each, and
 * what answers it. control.c reads a request and hands it here.
 */
#ifndef LGD_CONTROL_OPS_H
#define LGD_CONTROL_OPS_H

#include <stdbool.h>

#include <jansson.h>

#include "attest.h"
#include "control_request.h"

struct lgd;

/* uid 0 from a process outside every agent root: the host's administrator. */
bool lgd_caller_is_admin(const struct lgd *d, const struct lgd_peer *p);
/* Answer the decoded request @req of attested caller @peer into @resp. */
void lgd_control_dispatch(struct lgd *d, struct lgd_peer *peer, const struct lgd_request *req,
			  json_t *resp);

#endif /* LGD_CONTROL_OPS_H */
