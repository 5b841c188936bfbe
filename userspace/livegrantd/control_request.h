/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control_request.h - a control socket request taken apart: where it ends
 * in what was read, the JSON object, its op and the op's one argument.
 * Pure: no daemon state, no syscalls, so that a fuzzer can drive exactly
 * what a hostile client reaches before anyone looks at who it is.
 */
#ifndef LGD_CONTROL_REQUEST_H
#define LGD_CONTROL_REQUEST_H

#include <stddef.h>

#include <jansson.h>

/* The longest request, its newline excluded; a longer one is refused whole. */
#define LGD_MAX_REQUEST 65536

/*
 * X(ID, name, arg): every op of the protocol (docs/livegrantd.md), and the
 * member holding its string argument (NULL: it takes none).
 */
#define LGD_OPS(X)                     \
	X(PRESENT, "present", "token") \
	X(REVOKE, "revoke", "target")  \
	X(AGENTS, "agents", NULL)      \
	X(STATUS, "status", NULL)      \
	X(GRANTS, "grants", "agent")   \
	X(GOVERNED, "governed", NULL)

enum lgd_op {
#define LGD_OP_ENUM(id, name, arg) LGD_OP_##id,
	LGD_OPS(LGD_OP_ENUM)
#undef LGD_OP_ENUM
		LGD_OP_MAX
};

/**
 * struct lgd_request - one decoded request.
 * @json: the request object (owned: lgd_request_release()).
 * @op:   which op it asks for.
 * @arg:  the op's argument when it is a string, else NULL; inside @json.
 *        Whether an absent or empty one is refused is the op's to say, after
 *        the caller's rights are checked (an agent asking for an admin's op
 *        learns only that it is not one).
 */
struct lgd_request {
	json_t *json;
	enum lgd_op op;
	const char *arg;
};

enum lgd_frame {
	LGD_FRAME_MORE, /* no newline yet, and room for more */
	LGD_FRAME_LINE, /* a whole line: *line_len bytes before its newline */
	LGD_FRAME_TOO_LARGE, /* LGD_MAX_REQUEST bytes and no newline */
};

/* Where the request in the @len bytes read so far at @buf ends. */
enum lgd_frame lgd_request_frame(const char *buf, size_t len, size_t *line_len);

/*
 * Decode the @len bytes of one request line at @line (no NUL needed).
 * Returns 0, or -EINVAL with *msg saying what the client got wrong; on
 * failure nothing is left to release.
 */
int lgd_request_decode(const char *line, size_t len, struct lgd_request *req, const char **msg);
void lgd_request_release(struct lgd_request *req);

/* The op's name in the protocol. */
const char *lgd_op_name(enum lgd_op op);

#endif /* LGD_CONTROL_REQUEST_H */
