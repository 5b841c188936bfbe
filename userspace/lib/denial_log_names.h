/* SPDX-License-Identifier: GPL-2.0 */
/*
 * denial_log_names.h - where livegrantd's denial log lives, shared by the
 * writer (livegrantd/denial_log.c) and the reader (`livegrant denials`):
 * <state_dir>/denials.jsonl, rotated into denials.jsonl.1.gz (newest) ...
 * denials.jsonl.N.gz, N at most LG_DENIAL_LOG_KEEP_MAX.
 */
#ifndef LG_DENIAL_LOG_NAMES_H
#define LG_DENIAL_LOG_NAMES_H

#include <stddef.h>
#include <stdio.h>

#define LG_DENIAL_LOG_NAME "denials.jsonl"
/* The most rotated files denial_log_keep may ask for. */
#define LG_DENIAL_LOG_KEEP_MAX 100

/* The name of rotated file @n (1: the newest) of the log at @log; as snprintf. */
static inline int lg_denial_log_rotated(char *buf, size_t size, const char *log, unsigned int n)
{
	return snprintf(buf, size, "%s.%u.gz", log, n);
}

#endif /* LG_DENIAL_LOG_NAMES_H */
