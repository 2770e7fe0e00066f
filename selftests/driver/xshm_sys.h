/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the driver publishes: /sys/class/xshm/xshm<N> and /dev/xshm<N>,
 * plus small file helpers the driver tests share.
 */
#ifndef XSHM_SYS_H
#define XSHM_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define XSHM_CLASS	"/sys/class/xshm"

/* The kernel's page size: 4 KiB, or 16 KiB on a 16K-page kernel. */
#define PAGE		((unsigned long)sysconf(_SC_PAGESIZE))

struct xshm_sysdev {
	int index;		/* N */
	char name[512];
	uint64_t size;
	uint64_t phys;
	uint64_t offset;
};

/* Read a sysfs-style file without its trailing newline; -1 on error. */
int sys_read_str(const char *path, char *buf, size_t len);
/* Parse a number in any C base; false when absent or malformed. */
bool sys_read_u64(const char *path, uint64_t *val);
/* Write @text to @path in one write(); returns 0 or -errno. */
int sys_write(const char *path, const char *text);

/* Load xshm<N>'s attributes; false if the device does not exist. */
bool xshm_sysdev_load(int index, struct xshm_sysdev *d);
/* How many xshm class devices exist now. */
int xshm_sysdev_count(void);

#endif
