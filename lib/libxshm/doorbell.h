/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxshm private: doorbell transports (doorbell-chan.c) and the ring
 * hooks of the announce/re-check protocol (doorbell.c).
 */
#ifndef XSHM_DOORBELL_PRIV_H
#define XSHM_DOORBELL_PRIV_H

#include "internal.h"

enum xshm__db_kind { XSHM__DB_EVENTFD = 1, XSHM__DB_EVTCHN = 2 };

struct xshm_doorbell {
	enum xshm__db_kind kind;
	int wait_fd;		/* readable when the other side rang */
	int notify_fd;		/* eventfd of the other end, or wait_fd */
	unsigned int port;	/* evtchn: the bound local port */
};

int xshm__doorbell_lookup(const char *region, const char *channel,
			  unsigned int *port);
int xshm__doorbell_ring(struct xshm_doorbell *db);

/*
 * Waits poll instead of sleeping: say so on stderr, once per handle
 * (*said), naming the channel and why.
 */
void xshm__db_say(bool *said, const char *what, const char *chan, int err);

#endif
