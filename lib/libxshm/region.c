// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening and mapping regions: /dev/xshm<N>, a xen,id looked up in sysfs,
 * or a plain file.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/xshm.h>

#include "internal.h"

#define XSHM_SYSFS_CLASS "/sys/class/xshm"

/* read a small sysfs attribute, without its trailing newline */
static int read_attr(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return 0;
}

/* size and xen,id of a /dev/xshm device: the driver's ioctl, else sysfs */
static int device_info(int fd, const struct stat *st, size_t *size,
		       char **name)
{
	struct xshm_region_info info;
	char path[PATH_MAX], buf[64];
	unsigned long long v;
	char *end;
	int err;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	if (ioctl(fd, XSHM_IOC_INFO, &info) == 0 && info.size) {
		*size = (size_t)info.size;
		info.name[sizeof(info.name) - 1] = '\0';
		if (info.name[0]) {
			*name = strdup(info.name);
			if (!*name)
				return -ENOMEM;
		}
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size",
		 major(st->st_rdev), minor(st->st_rdev));
	err = read_attr(path, buf, sizeof(buf));
	if (err)
		return -ENODEV;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf || *end || v == 0 || v > SIZE_MAX)
		return -ENODEV;
	*size = (size_t)v;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/name",
		 major(st->st_rdev), minor(st->st_rdev));
	if (read_attr(path, buf, sizeof(buf)) == 0 && buf[0]) {
		*name = strdup(buf);
		if (!*name)
			return -ENOMEM;
	}
	return 0;
}

XSHM_API int xshm_region_open_path(const char *path, unsigned int flags,
				   size_t size, struct xshm_region **out)
{
	bool rdonly = flags & XSHM_OPEN_RDONLY;
	int oflags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct xshm_region *r;
	struct stat st;
	size_t map_size;
	char *name = NULL;
	void *base;
	int fd, err;

	if (!path || !out || (flags & ~(XSHM_OPEN_RDONLY | XSHM_OPEN_CREATE)))
		return -EINVAL;
	if ((flags & XSHM_OPEN_CREATE) && (rdonly || size == 0))
		return -EINVAL;
	if (!(flags & XSHM_OPEN_CREATE) && size)
		return -EINVAL;
	if (flags & XSHM_OPEN_CREATE)
		oflags |= O_CREAT;
	fd = open(path, oflags, 0660);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto err_close;
	}
	if (S_ISREG(st.st_mode)) {
		if ((flags & XSHM_OPEN_CREATE) && (off_t)size > st.st_size &&
		    ftruncate(fd, (off_t)size)) {
			err = -errno;
			goto err_close;
		}
		map_size = (flags & XSHM_OPEN_CREATE) && (off_t)size > st.st_size ?
			   size : (size_t)st.st_size;
		if (map_size == 0) {
			err = -ENODATA;	/* an empty file holds no region */
			goto err_close;
		}
	} else if (S_ISCHR(st.st_mode)) {
		if (flags & XSHM_OPEN_CREATE) {
			err = -EINVAL;
			goto err_close;
		}
		err = device_info(fd, &st, &map_size, &name);
		if (err)
			goto err_close;
	} else {
		err = -ENODEV;
		goto err_close;
	}

	base = mmap(NULL, map_size, PROT_READ | (rdonly ? 0 : PROT_WRITE),
		    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	r = calloc(1, sizeof(*r));
	if (!r || (!name && !(name = strdup(path)))) {
		free(r);
		munmap(base, map_size);
		err = -ENOMEM;
		goto err_close;
	}
	r->fd = fd;
	r->base = base;
	r->size = map_size;
	r->flags = flags;
	r->name = name;
	*out = r;
	return 0;

err_close:
	free(name);
	close(fd);
	return err;
}

XSHM_API int xshm_region_open_index(unsigned int index, unsigned int flags,
				    struct xshm_region **out)
{
	char path[32];

	if (flags & XSHM_OPEN_CREATE)
		return -EINVAL;
	snprintf(path, sizeof(path), "/dev/xshm%u", index);
	return xshm_region_open_path(path, flags, 0, out);
}

/* index of the driver region whose xen,id is name, from sysfs */
static int lookup_name(const char *name, unsigned int *index)
{
	char path[PATH_MAX], buf[XSHM_ID_MAX + 8];
	struct dirent *de;
	unsigned long v;
	char *end;
	int err = -ENOENT;
	DIR *dir;

	dir = opendir(XSHM_SYSFS_CLASS);
	if (!dir)
		return -ENOENT;	/* no driver loaded: no names */
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "xshm", 4) || !isdigit((unsigned char)de->d_name[4]))
			continue;
		snprintf(path, sizeof(path), XSHM_SYSFS_CLASS "/%s/name",
			 de->d_name);
		if (read_attr(path, buf, sizeof(buf)) || strcmp(buf, name))
			continue;
		errno = 0;
		v = strtoul(de->d_name + 4, &end, 10);
		if (errno || *end || v > UINT_MAX)
			continue;
		*index = (unsigned int)v;
		err = 0;
		break;
	}
	closedir(dir);
	return err;
}

XSHM_API int xshm_region_open_name(const char *xen_id, unsigned int flags,
				   struct xshm_region **out)
{
	unsigned int index;
	int err;

	if (!xen_id || !*xen_id || (flags & XSHM_OPEN_CREATE))
		return -EINVAL;
	err = lookup_name(xen_id, &index);
	if (err)
		return err;
	return xshm_region_open_index(index, flags, out);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

XSHM_API int xshm_region_open(const char *spec, unsigned int flags,
			      size_t size, struct xshm_region **out)
{
	unsigned long v;
	int err;

	if (!spec || !*spec || !out)
		return -EINVAL;
	if (all_digits(spec)) {
		errno = 0;
		v = strtoul(spec, NULL, 10);
		if (errno || v > UINT_MAX)
			return -EINVAL;
		if (size)
			return -EINVAL;
		return xshm_region_open_index((unsigned int)v, flags, out);
	}
	if (!strncmp(spec, "name:", 5)) {
		if (size)
			return -EINVAL;
		return xshm_region_open_name(spec + 5, flags, out);
	}
	if (strchr(spec, '/'))
		return xshm_region_open_path(spec, flags, size, out);
	/* a bare word: a xen,id if the driver knows it, else a file here */
	if (!(flags & XSHM_OPEN_CREATE)) {
		err = xshm_region_open_name(spec, flags, out);
		if (err != -ENOENT)
			return err;
		if (access(spec, F_OK))
			return -ENOENT;
	}
	return xshm_region_open_path(spec, flags, size, out);
}

XSHM_API void xshm_region_close(struct xshm_region *r)
{
	if (!r)
		return;
	munmap(r->base, r->size);
	close(r->fd);
	free(r->name);
	free(r);
}

XSHM_API void *xshm_region_base(const struct xshm_region *r)
{
	return r->base;
}

XSHM_API size_t xshm_region_size(const struct xshm_region *r)
{
	return r->size;
}

XSHM_API const char *xshm_region_name(const struct xshm_region *r)
{
	return r->name;
}
