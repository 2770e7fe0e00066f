// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify(3)'s wire protocol: $NOTIFY_SOCKET names an AF_UNIX datagram
 * socket, a path or, with a leading '@', an abstract name.
 */
#define _GNU_SOURCE
#include "sd-notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_manager(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[1024];
	socklen_t salen;
	size_t plen;
	va_list ap;
	int fd, len, ret = 0;

	if (!path || !path[0])
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract: the name is not 0-terminated */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EMSGSIZE;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, buf, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   salen) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
