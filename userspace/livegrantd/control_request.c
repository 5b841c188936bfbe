// SPDX-License-Identifier: GPL-2.0
/*
 * control_request.c - see control_request.h. What control.c did inline
 * with the bytes of a request before the dispatch, now in one place that
 * the control socket and its fuzzer (tests/fuzz/fuzz_control_request.c)
 * share.
 */
#include <errno.h>
#include <string.h>

#include "control_request.h"

static const struct {
	const char *name, *arg;
} op_table[LGD_OP_MAX] = {
#define LGD_OP_ROW(id, n, a) [LGD_OP_##id] = { .name = n, .arg = a },
	LGD_OPS(LGD_OP_ROW)
#undef LGD_OP_ROW
};

enum lgd_frame lgd_request_frame(const char *buf, size_t len, size_t *line_len)
{
	const char *nl = memchr(buf, '\n', len < LGD_MAX_REQUEST ? len : LGD_MAX_REQUEST);

	if (nl) {
		*line_len = nl - buf;
		return LGD_FRAME_LINE;
	}
	return len < LGD_MAX_REQUEST ? LGD_FRAME_MORE : LGD_FRAME_TOO_LARGE;
}

static int op_find(const char *name, enum lgd_op *op)
{
	for (unsigned int i = 0; i < LGD_OP_MAX; i++) {
		if (!strcmp(op_table[i].name, name)) {
			*op = i;
			return 0;
		}
	}
	return -ENOENT;
}

int lgd_request_decode(const char *line, size_t len, struct lgd_request *req, const char **msg)
{
	json_error_t jerr;
	const char *name;

	memset(req, 0, sizeof(*req));
	/* Duplicates refused: two readers of one request must see one request. */
	req->json = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(req->json)) {
		*msg = "request is not one JSON object";
		goto bad;
	}
	name = json_string_value(json_object_get(req->json, "op"));
	if (!name) {
		*msg = "request has no \"op\"";
		goto bad;
	}
	if (op_find(name, &req->op)) {
		*msg = "unknown op";
		goto bad;
	}
	if (op_table[req->op].arg)
		req->arg = json_string_value(json_object_get(req->json, op_table[req->op].arg));
	return 0;
bad:
	lgd_request_release(req);
	return -EINVAL;
}

void lgd_request_release(struct lgd_request *req)
{
	json_decref(req->json);
	req->json = NULL;
	req->arg = NULL;
}

const char *lgd_op_name(enum lgd_op op)
{
	return op < LGD_OP_MAX ? op_table[op].name : "?";
}
