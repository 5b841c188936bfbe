// SPDX-License-Identifier: GPL-2.0
/* error.c - the per-thread message behind a negative errno. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "livegrant.h"

static __thread char lg_msg[1024];

const char *lg_errmsg(void)
{
	return lg_msg[0] ? lg_msg : "no error recorded";
}

int lg_err(int err, const char *fmt, ...)
{
	char msg[sizeof(lg_msg)];
	va_list ap;

	/* Formatted apart first: callers may wrap the last message (lg_errmsg()) in a new one. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(lg_msg, msg, sizeof(lg_msg));
	return err;
}
