/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram of KEY=VALUE lines to $NOTIFY_SOCKET.
 */
#ifndef SD_NOTIFY_H
#define SD_NOTIFY_H

/*
 * Send the formatted lines, e.g. "READY=1\nSTATUS=...".  0 when sent or
 * when not run by a service manager (no $NOTIFY_SOCKET), else -errno.
 */
int notify_manager(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
