// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - the stable names of ABI values. These strings appear in logs,
 * JSON and tests: never rename one, only add.
 */
#include <stdio.h>
#include <string.h>

#include "livegrant.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const reason_names[LG_REASON_MAX] = {
	[LG_REASON_NONE] = "none",
	[LG_REASON_NO_GRANT] = "no_grant",
	[LG_REASON_EXPIRED] = "expired",
	[LG_REASON_NOT_ALLOWED] = "not_allowed",
	[LG_REASON_PATH_TOO_LONG] = "path_too_long",
	[LG_REASON_PATH_UNRESOLVED] = "path_unresolved",
	[LG_REASON_BAD_ADDRESS] = "bad_address",
	[LG_REASON_FAMILY] = "family_not_allowed",
	[LG_REASON_CGROUP_TOO_DEEP] = "cgroup_too_deep",
	[LG_REASON_INTERNAL] = "internal_error",
	[LG_REASON_PROTOCOL] = "protocol_not_allowed",
	[LG_REASON_SOCKOPT] = "sockopt_not_allowed",
	[LG_REASON_SUSPENDED] = "suspended",
	[LG_REASON_DOMAIN_CROSSING] = "domain_crossing",
};

static const char *const hook_names[LG_HOOK_MAX] = {
	[LG_HOOK_EXEC] = "exec",
	[LG_HOOK_FILE_OPEN] = "file_open",
	[LG_HOOK_CONNECT] = "connect",
	[LG_HOOK_SENDMSG] = "sendmsg",
	[LG_HOOK_SOCKET] = "socket_create",
	[LG_HOOK_SETSOCKOPT] = "setsockopt",
};

struct right_name {
	uint32_t bit;
	const char *name;
};

/* The rights tables of livegrant/abi.h, in their (print) order. */
#define RIGHT_NAME(id, rbit, rname) { .bit = rbit, .name = rname },
static const struct right_name file_rights[] = { LG_FILE_RIGHTS(RIGHT_NAME) };
static const struct right_name net_rights[] = { LG_NET_RIGHTS(RIGHT_NAME) };
#undef RIGHT_NAME

static const struct {
	const struct right_name *v;
	size_t n;
} rights[LG_CLASS_MAX] = {
	[LG_CLASS_FILE] = { file_rights, ARRAY_SIZE(file_rights) },
	[LG_CLASS_NET] = { net_rights, ARRAY_SIZE(net_rights) },
};

const char *lg_reason_name(unsigned int reason)
{
	return reason < ARRAY_SIZE(reason_names) && reason_names[reason] ? reason_names[reason] :
									   "unknown";
}

const char *lg_hook_name(unsigned int hook)
{
	return hook < ARRAY_SIZE(hook_names) ? hook_names[hook] : "unknown";
}

const char *lg_action_name(unsigned int action)
{
	return action == LG_ACTION_AUDITED ? "audited" : "denied";
}

enum lg_access_class lg_hook_class(unsigned int hook)
{
	switch (hook) {
	case LG_HOOK_EXEC:
	case LG_HOOK_FILE_OPEN:
		return LG_CLASS_FILE;
	case LG_HOOK_CONNECT:
	case LG_HOOK_SENDMSG:
	case LG_HOOK_SOCKET:
	case LG_HOOK_SETSOCKOPT:
		return LG_CLASS_NET;
	default:
		return LG_CLASS_MAX;
	}
}

const char *lg_access_name(enum lg_access_class cls, uint32_t bit)
{
	if ((unsigned int)cls >= LG_CLASS_MAX)
		return NULL;
	for (size_t i = 0; i < rights[cls].n; i++)
		if (rights[cls].v[i].bit == bit)
			return rights[cls].v[i].name;
	return NULL;
}

const char *lg_access_str(enum lg_access_class cls, uint32_t access, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return buf;
	buf[0] = 0;
	if ((unsigned int)cls >= LG_CLASS_MAX)
		return buf;
	for (size_t i = 0; i < rights[cls].n; i++) {
		const struct right_name *r = &rights[cls].v[i];
		int n;

		if (!(access & (1u << r->bit)))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", r->name);
		/* Cut at a whole name: a reader never sees half of one. */
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = 0;
			break;
		}
		used += n;
	}
	return buf;
}
