/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events_log.h - denial events as JSON lines on stdout and in the denial
 * log, and the summaries of those the kernel did not send.
 */
#ifndef LGD_EVENTS_LOG_H
#define LGD_EVENTS_LOG_H

#include "livegrant.h"

/* The ring-buffer callback; @ctx is the struct lgd. */
int lgd_print_event(void *ctx, const struct lg_event *ev);

struct lgd;

/*
 * Once a second: a summary line for each agent whose events the kernel
 * suppressed (over its budget: "rate_limited") or lost ("events_lost")
 * since the last. With @sweep, the budgets of agents that are gone are
 * removed too.
 */
void lgd_events_tally(struct lgd *d, bool sweep);

#endif /* LGD_EVENTS_LOG_H */
