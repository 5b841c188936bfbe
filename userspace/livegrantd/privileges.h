/* SPDX-License-Identifier: GPL-2.0 */
/*
 * privileges.h - what livegrantd keeps once it enforces. Loading and
 * attaching BPF programs, pinning, mounting securityfs and binding its
 * sockets need root's capabilities; running afterwards needs almost none.
 * livegrantd drops the rest before its event loop starts (docs/livegrantd.md,
 * "Privileges").
 */
#ifndef LGD_PRIVILEGES_H
#define LGD_PRIVILEGES_H

#include <stddef.h>

/*
 * Keep only the capabilities of the table in privileges.c (permitted and
 * effective; none inheritable or ambient; the bounding set cut to them)
 * and set no_new_privs, so that nothing livegrantd runs or becomes can
 * gain more. Must run while livegrantd has one thread: capabilities are
 * per thread. 0, or a negative errno with lg_errmsg(): livegrantd then
 * exits rather than run with more than it needs.
 */
int lgd_drop_privileges(void);

/*
 * This thread's capabilities as the kernel has them (libcap's text form,
 * "none" for none) and ", no_new_privs" if set, into @buf: for status and
 * the start-up log, read live rather than from the table.
 */
void lgd_privileges_describe(char *buf, size_t size);

#endif /* LGD_PRIVILEGES_H */
