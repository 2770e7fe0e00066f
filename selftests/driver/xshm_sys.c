// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xshm_sys.h"

int sys_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

bool sys_read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;

	if (sys_read_str(path, buf, sizeof(buf)))
		return false;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	return !errno && end != buf && !*end;
}

int sys_write(const char *path, const char *text)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

bool xshm_sysdev_load(int index, struct xshm_sysdev *d)
{
	char path[128];

	memset(d, 0, sizeof(*d));
	d->index = index;
#define ATTR(a) (snprintf(path, sizeof(path), XSHM_CLASS "/xshm%d/" a, index), path)
	if (sys_read_str(ATTR("name"), d->name, sizeof(d->name)))
		return false;
	return sys_read_u64(ATTR("size"), &d->size) &&
	       sys_read_u64(ATTR("phys_addr"), &d->phys) &&
	       sys_read_u64(ATTR("offset"), &d->offset);
#undef ATTR
}

int xshm_sysdev_count(void)
{
	struct dirent *e;
	DIR *dir;
	int n = 0;

	dir = opendir(XSHM_CLASS);
	if (!dir)
		return 0;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "xshm", 4))
			n++;
	closedir(dir);
	return n;
}
