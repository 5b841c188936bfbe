/* SPDX-License-Identifier: GPL-2.0 */
/* control.h - the control socket (docs/livegrantd.md has the protocol). */
#ifndef LGD_CONTROL_H
#define LGD_CONTROL_H

#include <stdint.h>

struct lgd;
struct lgd_src;

/*
 * Why the control socket turned a connection away, or closed it without an
 * answer to its request; each is counted (status, metrics). The order is
 * the names' order: add at the end.
 */
#define LGD_CONTROL_REJECTS(X)                                                         \
	X(AGENT_CAP, "agent_cap") /* its agent held LGD_MAX_CONNS_PER_AGENT already */ \
	X(FULL, "full") /* every slot was taken */                                     \
	X(UNATTESTED, "unattested") /* the caller could not be attested */             \
	X(TIMEOUT, "timeout") /* no whole request within LGD_REQUEST_TIMEOUT_S */      \
	X(TOO_LARGE, "too_large") /* a request longer than LGD_MAX_REQUEST */          \
	X(REPLY_LOST, "reply_lost") /* answered, but the client did not take it */     \
	X(NOT_ADMIN, "not_admin") /* on the admin socket, a caller that is no admin */

enum lgd_control_reject {
#define LGD_REJECT_ENUM(id, name) LGD_REJECT_##id,
	LGD_CONTROL_REJECTS(LGD_REJECT_ENUM)
#undef LGD_REJECT_ENUM
		LGD_REJECT_MAX
};

struct lgd_control_stats {
	uint64_t open; /* connections held now */
	uint64_t accepted; /* since start, rejected ones included */
	uint64_t rejected[LGD_REJECT_MAX];
};

/* The name of reject reason @r (status, metrics); inline: the metrics' tests use it alone. */
static inline const char *lgd_control_reject_name(unsigned int r)
{
	static const char *const names[] = {
#define LGD_REJECT_NAME(id, name) [LGD_REJECT_##id] = name,
		LGD_CONTROL_REJECTS(LGD_REJECT_NAME)
#undef LGD_REJECT_NAME
	};

	return r < LGD_REJECT_MAX ? names[r] : "?";
}
void lgd_control_stats(struct lgd_control_stats *out);

/*
 * Refuse a control socket path whose directory (or one above it) someone
 * other than root could write: another listener could be put there.
 */
int lgd_control_check_dir(const char *socket_path);
int lgd_control_open(struct lgd *d, int epfd);
/*
 * Handle readiness of the listener or of a connection (@src). The listener
 * accepts until LGD_ACCEPT_BUDGET connections or CLOCK_MONOTONIC
 * @deadline_ns, whichever comes first; what is left waits for the next
 * turn of the loop.
 */
void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src, uint64_t deadline_ns);
/*
 * Close connections that did not send a whole request in time. One whose
 * request has arrived but was not read yet (the loop deferred it) is not
 * the client's fault: it is kept, and answered.
 */
void lgd_control_sweep(int epfd);
void lgd_control_close(int epfd);

#endif /* LGD_CONTROL_H */
