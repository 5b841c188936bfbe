/* SPDX-License-Identifier: GPL-2.0 */
/* events_log.h - denial events as JSON lines on stdout and in the denial log. */
#ifndef LGD_EVENTS_LOG_H
#define LGD_EVENTS_LOG_H

#include "livegrant.h"

/* The ring-buffer callback; @ctx is the struct lgd. */
int lgd_print_event(void *ctx, const struct lg_event *ev);

#endif /* LGD_EVENTS_LOG_H */
