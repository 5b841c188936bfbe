/* SPDX-License-Identifier: GPL-2.0 */
/* client.h - talking to livegrantd over its control socket. */
#ifndef LGC_CLIENT_H
#define LGC_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#define LGC_DEFAULT_SOCKET "/run/livegrant/" LGC_SOCKET_NAME
/* livegrantd's sockets, in one directory (livegrantd/daemon.h). */
#define LGC_SOCKET_NAME "livegrant.sock"
#define LGC_ADMIN_SOCKET_NAME "livegrant-admin.sock"

/* Exit codes of the livegrant command (docs/cli.md). */
enum lgc_exit {
	LGC_OK = 0,
	LGC_REFUSED = 1, /* livegrantd (or the kernel check) said no */
	LGC_USAGE = 2, /* bad command line */
	LGC_UNREACHABLE = 3, /* livegrantd not running or not answering */
};

/* --socket, else $LIVEGRANT_SOCKET, else the default. */
const char *lgc_socket_path(const char *opt);

/*
 * Send @req and return the reply in *resp. Returns LGC_OK, or
 * LGC_UNREACHABLE after printing one line naming the socket.
 */
int lgc_request(const char *socket_path, json_t *req, json_t **resp);
/* lgc_request() without the line: why it was unreachable goes to @why. */
int lgc_try_request(const char *socket_path, json_t *req, json_t **resp, char *why, size_t size);

/*
 * Send @req (consumed), an admin's request, and check the reply: LGC_OK
 * with *resp to free, or the exit code after printing what was refused
 * (@what) or why livegrantd was not reachable. It goes to the admin socket
 * beside @socket_path when that is named livegrant.sock and the admin
 * socket answers, else to @socket_path.
 */
int lgc_call(const char *socket_path, json_t *req, const char *what, json_t **resp);

/* Print a refusal reply ("livegrant: REASON: ERROR") and return LGC_REFUSED. */
int lgc_print_refusal(const char *what, json_t *resp);

/* Read a token from @path ("-" is stdin), printing why not; free() it. */
char *lgc_read_token(const char *path);
/* Present @token for the caller's agent; a line saying what was granted unless @quiet. */
int lgc_present(const char *socket_path, const char *token, bool quiet);

int cmd_present(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_agents(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* Exit 0 only when livegrantd enforces fully: the DaemonSet's probes. */
int cmd_health(int argc, char **argv);
int cmd_denials(int argc, char **argv);
/* Block until this process's cgroup is governed: an agent pod's init step. */
int cmd_wait(int argc, char **argv);
int cmd_grants(int argc, char **argv);

#endif /* LGC_CLIENT_H */
