// SPDX-License-Identifier: GPL-2.0
/*
 * test_control_request.c - the control socket's request decode
 * (userspace/livegrantd/control_request.c): framing, the JSON object, the
 * op and its argument, and each refusal's message (clients read them).
 *
 * control_request.c is included, not linked: the Makefile builds each
 * tests/unit/test_*.c against the libraries alone.
 */
#include "../../userspace/livegrantd/control_request.c"

#include <stdlib.h>

#include "check.h"

static void test_frame(void)
{
	char *big = malloc(LGD_MAX_REQUEST + 10);
	size_t n = 99;

	CHECK(lgd_request_frame("{\"op\":", 6, &n) == LGD_FRAME_MORE, "no newline yet: more");
	CHECK(lgd_request_frame("{}\n{}\n", 6, &n) == LGD_FRAME_LINE && n == 2,
	      "the first line ends the request: %zu", n);
	memset(big, 'x', LGD_MAX_REQUEST + 10);
	CHECK(lgd_request_frame(big, LGD_MAX_REQUEST, &n) == LGD_FRAME_TOO_LARGE,
	      "64 KiB without a newline: too large");
	big[LGD_MAX_REQUEST - 1] = '\n';
	CHECK(lgd_request_frame(big, LGD_MAX_REQUEST, &n) == LGD_FRAME_LINE &&
		      n == LGD_MAX_REQUEST - 1,
	      "a newline as the last byte of 64 KiB: a line");
	free(big);
}

static int decode(const char *s, struct lgd_request *r, const char **msg)
{
	return lgd_request_decode(s, strlen(s), r, msg);
}

static void test_decode(void)
{
	static const struct {
		const char *req, *msg;
	} bad[] = {
		{ "", "request is not one JSON object" },
		{ "[\"op\",\"status\"]", "request is not one JSON object" },
		{ "{\"op\":\"status\"} trailing", "request is not one JSON object" },
		{ "{\"op\":\"status\",\"op\":\"agents\"}", "request is not one JSON object" },
		{ "{\"token\":\"x\"}", "request has no \"op\"" },
		{ "{\"op\":7}", "request has no \"op\"" },
		{ "{\"op\":\"flood\"}", "unknown op" },
		{ "{\"op\":\"PRESENT\"}", "unknown op" },
	};
	struct lgd_request r;
	const char *msg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg = NULL;
		CHECK(decode(bad[i].req, &r, &msg) == -EINVAL && msg && !strcmp(msg, bad[i].msg) &&
			      !r.json,
		      "%s: %s", bad[i].req, msg ? msg : "(accepted)");
		lgd_request_release(&r);
	}
	CHECK(!decode("{\"op\":\"present\",\"token\":\"a.b.c\"}", &r, &msg) &&
		      r.op == LGD_OP_PRESENT && r.arg && !strcmp(r.arg, "a.b.c"),
	      "present and its token");
	lgd_request_release(&r);
	/* Refusing a missing or mistyped argument is the op's, after the rights. */
	CHECK(!decode("{\"op\":\"revoke\",\"target\":5}", &r, &msg) && r.op == LGD_OP_REVOKE &&
		      !r.arg,
	      "revoke with a target that is no string: decoded, no argument");
	lgd_request_release(&r);
	CHECK(!decode("{\"op\":\"status\",\"token\":\"x\"}", &r, &msg) && r.op == LGD_OP_STATUS &&
		      !r.arg,
	      "status takes no argument");
	lgd_request_release(&r);
	for (unsigned int op = 0; op < LGD_OP_MAX; op++) {
		char req[64];

		snprintf(req, sizeof(req), "{\"op\":\"%s\"}", lgd_op_name(op));
		CHECK(!decode(req, &r, &msg) && r.op == op, "op %s", lgd_op_name(op));
		lgd_request_release(&r);
	}
}

int main(void)
{
	RUN(test_frame);
	RUN(test_decode);
	return check_summary("control_request");
}
