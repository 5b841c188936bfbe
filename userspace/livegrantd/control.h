/* SPDX-License-Identifier: GPL-2.0 */
/* control.h - the control socket (docs/livegrantd.md has the protocol). */
#ifndef LGD_CONTROL_H
#define LGD_CONTROL_H

struct lgd;
struct lgd_src;

/*
 * Refuse a control socket path whose directory (or one above it) someone
 * other than root could write: another listener could be put there.
 */
int lgd_control_check_dir(const char *socket_path);
int lgd_control_open(struct lgd *d, int epfd);
/* Handle readiness of the listener or of a connection (@src). */
void lgd_control_handle(struct lgd *d, int epfd, struct lgd_src *src);
/* Close connections that did not finish their request in time. */
void lgd_control_sweep(int epfd);
void lgd_control_close(int epfd);

#endif /* LGD_CONTROL_H */
