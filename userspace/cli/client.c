// SPDX-License-Identifier: GPL-2.0
/* client.c - one request, one reply over livegrantd's control socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

/*
 * The largest reply read: the agents list of LG_MAX_AGENTS agents, at about
 * 1 KiB each, with room to spare. Allocated whole but touched only as far
 * as the reply goes.
 */
#define LGC_MAX_REPLY (64 << 20)

const char *lgc_socket_path(const char *opt)
{
	const char *env = getenv("LIVEGRANT_SOCKET");

	if (opt)
		return opt;
	return env && *env ? env : LGC_DEFAULT_SOCKET;
}

/* Why livegrantd was not reachable, into @why (when given). */
static int unreachable(char *why, size_t size, const char *what)
{
	if (why)
		snprintf(why, size, "%s", what);
	return LGC_UNREACHABLE;
}

/*
 * lgc_try_request(), and whether it got as far as a connection
 * (*@connected): once the request may have been sent, asking elsewhere
 * could do it twice.
 */
static int try_request(const char *path, json_t *req, json_t **resp, char *why, size_t size,
		       bool *connected)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	json_error_t jerr;
	char *text, *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return unreachable(why, size, "socket path too long");
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unreachable(why, size, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;

		close(fd);
		return unreachable(why, size,
				   e == ENOENT || e == ECONNREFUSED ?
					   "is livegrantd running? (no listener)" :
					   strerror(e));
	}
	*connected = true;
	text = json_dumps(req, JSON_COMPACT);
	buf = malloc(LGC_MAX_REPLY);
	if (!text || !buf) {
		free(text);
		free(buf);
		close(fd);
		return unreachable(why, size, "out of memory");
	}
	n = strlen(text);
	text[n] = '\n';
	/*
	 * MSG_NOSIGNAL: a daemon that closed on us is a message, not a SIGPIPE.
	 * One that turned us away at accept (busy, not attested) closed after
	 * its answer: the answer is still there to read.
	 */
	if (send(fd, text, n + 1, MSG_NOSIGNAL) != n + 1 && errno != EPIPE && errno != ECONNRESET) {
		int e = errno;

		free(text);
		free(buf);
		close(fd);
		return unreachable(why, size, strerror(e));
	}
	free(text);
	while (len < LGC_MAX_REPLY - 1 && (n = read(fd, buf + len, LGC_MAX_REPLY - 1 - len)) > 0) {
		/* Only the bytes just read can hold the newline. */
		bool end = memchr(buf + len, '\n', n) != NULL;

		len += n;
		if (end)
			break;
	}
	close(fd);
	*resp = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!json_is_object(*resp)) {
		json_decref(*resp);
		return unreachable(why, size, "no valid reply (livegrantd stopped or timed out)");
	}
	return LGC_OK;
}

int lgc_try_request(const char *path, json_t *req, json_t **resp, char *why, size_t size)
{
	bool connected = false;

	return try_request(path, req, resp, why, size, &connected);
}

int lgc_request(const char *path, json_t *req, json_t **resp)
{
	char why[256];
	int rc = lgc_try_request(path, req, resp, why, sizeof(why));

	if (rc)
		fprintf(stderr, "livegrant: livegrantd is not reachable at %s: %s\n", path, why);
	return rc;
}

int lgc_print_refusal(const char *what, json_t *resp)
{
	fprintf(stderr, "livegrant: %s refused: %s: %s\n", what,
		json_string_value(json_object_get(resp, "reason")) ?: "unknown",
		json_string_value(json_object_get(resp, "error")) ?: "");
	return LGC_REFUSED;
}

/*
 * The admin socket beside @socket_path when that is livegrantd's agent
 * socket by name (livegrant.sock: livegrant-admin.sock in the same
 * directory), into @out. False for any other name, which is then asked
 * as given, and if the path would not fit.
 */
static bool admin_socket_of(const char *socket_path, char *out, size_t size)
{
	const char *slash = strrchr(socket_path, '/');
	const char *base = slash ? slash + 1 : socket_path;
	int dir = (int)(base - socket_path);

	if (strcmp(base, LGC_SOCKET_NAME))
		return false;
	return snprintf(out, size, "%.*s%s", dir, socket_path, LGC_ADMIN_SOCKET_NAME) < (int)size;
}

/*
 * An admin request: on the admin socket when there is one we may use, which
 * livegrantd serves first however many agents queue on the agent socket;
 * else (a livegrantd before it, or a caller that is not root) on
 * @socket_path, which answers the same requests.
 */
static int admin_request(const char *socket_path, json_t *req, json_t **resp)
{
	char admin[108], why[256];
	bool connected = false;
	int rc;

	if (!admin_socket_of(socket_path, admin, sizeof(admin)))
		return lgc_request(socket_path, req, resp);
	rc = try_request(admin, req, resp, why, sizeof(why), &connected);
	if (rc == LGC_OK)
		return rc;
	/* Only a connection that failed is asked again elsewhere: never a request twice. */
	if (!connected)
		return lgc_request(socket_path, req, resp);
	fprintf(stderr, "livegrant: livegrantd is not reachable at %s: %s\n", admin, why);
	return rc;
}

int lgc_call(const char *socket_path, json_t *req, const char *what, json_t **resp)
{
	int rc = admin_request(socket_path, req, resp);

	json_decref(req);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(*resp, "ok"))) {
		rc = lgc_print_refusal(what, *resp);
		json_decref(*resp);
		return rc;
	}
	return LGC_OK;
}
