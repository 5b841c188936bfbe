// SPDX-License-Identifier: GPL-2.0
/*
 * duration.c - "30s", "10m", "1h": the one duration syntax of the config
 * file and the CLI (livegrant denials --since); and the monotonic clock
 * intervals are measured with.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "livegrant.h"

uint64_t lg_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A duration is at most this many seconds (it must fit a u32 of seconds). */
#define DURATION_MAX_S 4294967295ULL

int lg_duration_parse(const char *s, bool allow_zero, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0, mult;

	if (!s || !*s)
		return lg_err(-EINVAL, "empty duration; write 30s, 10m or 1h");
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		/* Stop before v * 10 could wrap; anything this big is refused below. */
		if (v > DURATION_MAX_S)
			return lg_err(-EINVAL, "\"%s\" is too long; a duration is at most %llus", s,
				      DURATION_MAX_S);
	}
	if (p == s)
		return lg_err(-EINVAL,
			      "\"%s\" is not a whole number with a unit; write 30s, 10m or 1h", s);
	if (!*p)
		return lg_err(-EINVAL, "\"%s\" has no unit; write 30s, 10m or 1h", s);
	if (p[1] || (*p != 's' && *p != 'm' && *p != 'h'))
		return lg_err(
			-EINVAL,
			"\"%s\": unit \"%s\" is not s, m or h; write one number and one unit, e.g. 30s, 10m or 1h",
			s, p);
	if (!v && !allow_zero)
		return lg_err(-EINVAL, "\"%s\" is zero; a duration is at least 1s", s);
	mult = *p == 'h' ? 3600 : *p == 'm' ? 60 : 1;
	if (v * mult > DURATION_MAX_S)
		return lg_err(-EINVAL, "\"%s\" is too long; a duration is at most %llus", s,
			      DURATION_MAX_S);
	*out = v * mult;
	return 0;
}

int lg_parse_duration(const char *s, uint64_t *out)
{
	return lg_duration_parse(s, false, out);
}
