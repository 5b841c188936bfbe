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
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lg_msg, sizeof(lg_msg), fmt, ap);
	va_end(ap);
	return err;
}
