// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - the stable names of ABI values. These strings appear in logs,
 * JSON and tests: never rename one, only add.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "livegrant.h"
#include <livegrant/capabilities.h>

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
	[LG_REASON_PATH_TOO_DEEP] = "path_too_deep",
	[LG_REASON_REFER_WIDENS] = "refer_widens",
	[LG_REASON_CONFINED] = "confined",
	[LG_REASON_OUT_OF_SCOPE] = "out_of_scope",
	[LG_REASON_NOT_CONTROL_SOCKET] = "not_control_socket",
	[LG_REASON_MULTICAST] = "multicast_not_allowed",
	[LG_REASON_PORT_SHARING] = "port_sharing_not_allowed",
};

/* Generated from the hook registry: every hook has a row, in id order. */
static const struct lg_hook_info hook_rows[LG_HOOK_MAX] = {
#define LG_HOOK_ROW(id, hname, hprog, hlsm, hclass, hflags) \
	[LG_HOOK_##id] = { .name = hname,                   \
			   .prog = #hprog,                  \
			   .lsm = #hlsm,                    \
			   .cls = LG_CLASS_##hclass,        \
			   .flags = hflags },
	LG_HOOK_TABLE(LG_HOOK_ROW)
#undef LG_HOOK_ROW
};

struct right_name {
	uint32_t bit;
	const char *name;
};

/* The rights tables of livegrant/abi.h, in their (print) order. */
#define RIGHT_NAME(id, rbit, rname) { .bit = rbit, .name = rname },
static const struct right_name file_rights[] = { LG_FILE_RIGHTS(RIGHT_NAME) };
static const struct right_name net_rights[] = { LG_NET_RIGHTS(RIGHT_NAME) };
static const struct right_name sys_rights[] = { LG_SYS_RIGHTS(RIGHT_NAME) };
#undef RIGHT_NAME

static const struct {
	const struct right_name *v;
	size_t n;
} rights[LG_CLASS_MAX] = {
	[LG_CLASS_FILE] = { file_rights, ARRAY_SIZE(file_rights) },
	[LG_CLASS_NET] = { net_rights, ARRAY_SIZE(net_rights) },
	[LG_CLASS_SYS] = { sys_rights, ARRAY_SIZE(sys_rights) },
};

/* The capability table of livegrant/capabilities.h, by number. */
static const char *const cap_names[] = {
#define CAP_NAME(num, cname, keep, why) [num] = cname,
	LG_CAPABILITY_TABLE(CAP_NAME)
#undef CAP_NAME
};

const char *lg_capability_name(unsigned int cap)
{
	return cap < ARRAY_SIZE(cap_names) && cap_names[cap] ? cap_names[cap] : NULL;
}

const char *lg_reason_name(unsigned int reason)
{
	return reason < ARRAY_SIZE(reason_names) && reason_names[reason] ? reason_names[reason] :
									   "unknown";
}

const struct lg_hook_info *lg_hook_info(unsigned int hook)
{
	return hook < ARRAY_SIZE(hook_rows) && hook_rows[hook].name ? &hook_rows[hook] : NULL;
}

const char *lg_hook_name(unsigned int hook)
{
	const struct lg_hook_info *h = lg_hook_info(hook);

	return h ? h->name : "unknown";
}

int lg_hook_by_prog(const char *prog)
{
	for (unsigned int h = 0; h < ARRAY_SIZE(hook_rows); h++)
		if (!strcmp(hook_rows[h].prog, prog))
			return (int)h;
	return -ENOENT;
}

const char *lg_action_name(unsigned int action)
{
	return action == LG_ACTION_AUDITED ? "audited" : "denied";
}

enum lg_access_class lg_hook_class(unsigned int hook)
{
	const struct lg_hook_info *h = lg_hook_info(hook);

	return h ? h->cls : LG_CLASS_MAX;
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
