// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_control_request.c - the control socket's requests
 * (userspace/livegrantd/control_request.c): what any local process can
 * send livegrantd, agents included, before anyone looks at who it is.
 * The input is what the connection delivered, fed as control.c reads it:
 * in pieces, each followed by a look for the end of the line
 * (lgd_request_frame()), then the line decoded (lgd_request_decode()).
 */
#include <stdbool.h>

#include "control_request.h"
#include "fuzz.h"

/* What lgd_control_dispatch() may rely on in a decoded request. */
static void check_request(const struct lgd_request *r)
{
	FUZZ_ASSERT(json_is_object(r->json) && r->op < LGD_OP_MAX);
	FUZZ_ASSERT(!strcmp(json_string_value(json_object_get(r->json, "op")), lgd_op_name(r->op)));
	fuzz_touch(r->arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As control.c's buffer: at most LGD_MAX_REQUEST bytes are ever read. */
	size_t len = size < LGD_MAX_REQUEST ? size : LGD_MAX_REQUEST, got = 0, line_len = 0;
	enum lgd_frame f = LGD_FRAME_MORE;
	/* Pieces of 1 to 64 bytes, their sizes from the data itself. */
	size_t step = size ? data[0] % 64 + 1 : 1;
	struct lgd_request req;
	const char *msg = NULL;

	while (f == LGD_FRAME_MORE && got < len) {
		got += step < len - got ? step : len - got;
		f = lgd_request_frame((const char *)data, got, &line_len);
	}
	if (f == LGD_FRAME_LINE) {
		FUZZ_ASSERT(line_len < got && data[line_len] == '\n');
		FUZZ_ASSERT(!memchr(data, '\n', line_len));
		if (!lgd_request_decode((const char *)data, line_len, &req, &msg))
			check_request(&req);
		else
			FUZZ_ASSERT(msg && !req.json);
		lgd_request_release(&req);
	} else {
		FUZZ_ASSERT(f == LGD_FRAME_TOO_LARGE ? got == LGD_MAX_REQUEST :
						       got < LGD_MAX_REQUEST);
	}
	return 0;
}
