/* SPDX-License-Identifier: GPL-2.0 */
/*
 * notify.h - telling systemd (Type=notify) that livegrantd enforces: the
 * sd_notify(3) datagram protocol, a line per field, sent to the socket named
 * by $NOTIFY_SOCKET (a path, or an abstract name written with '@'). Without
 * $NOTIFY_SOCKET it does nothing.
 */
#ifndef LGD_NOTIFY_H
#define LGD_NOTIFY_H

/* Send @state ("READY=1\nSTATUS=..."): 0, or a negative errno with lg_errmsg(). */
int lgd_notify(const char *state);

#endif /* LGD_NOTIFY_H */
