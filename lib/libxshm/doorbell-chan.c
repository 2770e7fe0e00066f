// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Doorbell transports: what "ring the other side" and "sleep until rung"
 * mean on this machine.
 *
 *  - Xen static event channel: the integrator connects two domains with
 *    a port in the host device tree; Xen writes nothing about it in the
 *    guest tree, so the local port comes from /etc/xshm/doorbells
 *    ($XSHM_DOORBELLS), lines "<region> <channel> <local-port>".  The
 *    port is bound with IOCTL_EVTCHN_BIND_STATIC on /dev/xen/evtchn
 *    (Linux 6.5 and later); the fd is readable when the peer notified.
 *  - A pair of eventfds, for two ends in one process (tests, benchmarks,
 *    a machine without Xen): each end sleeps on its own eventfd and rings
 *    the other's, as two domains each sleep on their own port.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "doorbell.h"

/* Linux include/uapi/xen/evtchn.h; 6.5 added BIND_STATIC */
struct xshm__evtchn_port {
	unsigned int port;
};
#define XSHM_IOCTL_EVTCHN_NOTIFY \
	_IOC(_IOC_NONE, 'E', 4, sizeof(struct xshm__evtchn_port))
#define XSHM_IOCTL_EVTCHN_BIND_STATIC \
	_IOC(_IOC_NONE, 'E', 7, sizeof(struct xshm__evtchn_port))

#define XSHM_DOORBELLS_DEFAULT "/etc/xshm/doorbells"

static struct xshm_doorbell *db_new(void)
{
	struct xshm_doorbell *db = calloc(1, sizeof(*db));

	if (db) {
		db->wait_fd = -1;
		db->notify_fd = -1;
	}
	return db;
}

XSHM_API void xshm_doorbell_close(struct xshm_doorbell *db)
{
	if (!db)
		return;
	if (db->wait_fd >= 0)
		close(db->wait_fd);
	if (db->notify_fd >= 0 && db->notify_fd != db->wait_fd)
		close(db->notify_fd);
	free(db);
}

XSHM_API int xshm_doorbell_pair(struct xshm_doorbell **a,
				struct xshm_doorbell **b)
{
	struct xshm_doorbell *x, *y;
	int e0, e1, err;

	if (!a || !b)
		return -EINVAL;
	x = db_new();
	y = db_new();
	e0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = -errno;
	e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e1 < 0)
		err = -errno;
	if (!x || !y || e0 < 0 || e1 < 0) {
		if (e0 >= 0)
			close(e0);
		if (e1 >= 0)
			close(e1);
		free(x);
		free(y);
		return (!x || !y) ? -ENOMEM : err;
	}
	x->kind = XSHM__DB_EVENTFD;
	y->kind = XSHM__DB_EVENTFD;
	x->wait_fd = e0;
	x->notify_fd = dup(e1);
	y->wait_fd = e1;
	y->notify_fd = dup(e0);
	if (x->notify_fd < 0 || y->notify_fd < 0) {
		err = -errno;
		xshm_doorbell_close(x);
		xshm_doorbell_close(y);
		return err;
	}
	*a = x;
	*b = y;
	return 0;
}

/*
 * The local port configured for region/channel: 0 and *port, -ENOENT if
 * no line names them (or no file), -EINVAL for a malformed line.
 */
int xshm__doorbell_lookup(const char *region, const char *channel,
			  unsigned int *port)
{
	const char *path = getenv("XSHM_DOORBELLS");
	char line[256], r[128], c[64], extra[2];
	unsigned long p;
	int err = -ENOENT;
	FILE *f;

	if (!path || !*path)
		path = XSHM_DOORBELLS_DEFAULT;
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		char num[24], *end;
		int n;

		if (hash)
			*hash = '\0';
		n = sscanf(line, "%127s %63s %23s %1s", r, c, num, extra);
		if (n <= 0)
			continue;
		if (n != 3) {
			err = -EINVAL;
			break;
		}
		errno = 0;
		p = strtoul(num, &end, 0);
		if (errno || *end || p == 0 || p > 0xfffffffful) {
			err = -EINVAL;
			break;
		}
		if (!strcmp(r, region) && !strcmp(c, channel)) {
			*port = (unsigned int)p;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

XSHM_API int xshm_doorbell_open(const char *region, const char *channel,
				struct xshm_doorbell **out)
{
	struct xshm__evtchn_port bind;
	struct xshm_doorbell *db;
	unsigned int port;
	int fd, ret, err;

	if (!region || !channel || !out)
		return -EINVAL;
	err = xshm__doorbell_lookup(region, channel, &port);
	if (err)
		return err;
	fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	bind.port = port;
	ret = ioctl(fd, XSHM_IOCTL_EVTCHN_BIND_STATIC, &bind);
	if (ret < 0) {
		err = -errno;
		/* a kernel before 6.5 does not know the ioctl: its evtchn
		 * driver answers ENOSYS (6.1's drivers/xen/evtchn.c) */
		if (errno == ENOSYS || errno == ENOTTY)
			err = -EOPNOTSUPP;
		close(fd);
		return err;
	}
	db = db_new();
	if (!db) {
		close(fd);
		return -ENOMEM;
	}
	db->kind = XSHM__DB_EVTCHN;
	db->wait_fd = fd;
	db->notify_fd = fd;
	db->port = port;	/* the ioctl answers 0, not the port */
	*out = db;
	return 0;
}

XSHM_API int xshm_doorbell_fd(const struct xshm_doorbell *db)
{
	return db ? db->wait_fd : -EINVAL;
}

int xshm__doorbell_ring(struct xshm_doorbell *db)
{
	struct xshm__evtchn_port n = { db->port };
	uint64_t one = 1;

	if (db->kind == XSHM__DB_EVTCHN)
		return ioctl(db->notify_fd, XSHM_IOCTL_EVTCHN_NOTIFY, &n) < 0 ?
		       -errno : 0;
	return write(db->notify_fd, &one, sizeof(one)) < 0 ? -errno : 0;
}

XSHM_API int xshm_doorbell_ack(struct xshm_doorbell *db)
{
	uint32_t ports[16];
	uint64_t v;
	ssize_t n;

	if (!db)
		return -EINVAL;
	if (db->kind == XSHM__DB_EVENTFD)
		return read(db->wait_fd, &v, sizeof(v)) < 0 &&
		       errno != EAGAIN ? -errno : 0;
	/* evtchn: read the pending ports, write them back to unmask */
	n = read(db->wait_fd, ports, sizeof(ports));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n > 0 && write(db->wait_fd, ports, (size_t)n) < 0)
		return -errno;
	return 0;
}
