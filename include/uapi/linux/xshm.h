/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Xen static shared memory regions: /dev/xshm<N> user ABI.
 *
 * Each region is a character device that supports read, write, lseek,
 * mmap (MAP_SHARED only, write-back cacheable, any page-aligned part) and
 * the ioctl below.  N is the node's position among the compatible nodes
 * of the device tree, so it may skip numbers of refused nodes.
 *
 * The same facts are in /sys/class/xshm/xshm<N>/, one line each:
 *   name       xen,id, empty when absent
 *   size       bytes, decimal
 *   phys_addr  guest-physical base, hexadecimal with 0x (root only)
 *   offset     xen,offset, hexadecimal with 0x
 *   flags      XSHM_INFO_* bits, hexadecimal with 0x
 */
#ifndef _UAPI_LINUX_XSHM_H
#define _UAPI_LINUX_XSHM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Longest xen,id accepted, without the terminating NUL. */
#define XSHM_ID_MAX		128

/* xshm_region_info.flags */
#define XSHM_INFO_HAS_ID	(1U << 0)	/* node has a xen,id */
#define XSHM_INFO_HAS_OFFSET	(1U << 1)	/* node has a xen,offset */
#define XSHM_INFO_NO_MAP	(1U << 2)	/* node has no-map */

/**
 * struct xshm_region_info - description of one region
 * @argsz:	in: bytes of this structure user space provides;
 *		out: bytes the kernel knows of (fields past the smaller of
 *		the two are neither read nor written).  Newer kernels only
 *		append fields, so old binaries keep working.
 * @flags:	XSHM_INFO_* bits
 * @size:	region size in bytes
 * @phys_addr:	guest-physical base address
 * @offset:	xen,offset (0 when absent)
 * @index:	N of /dev/xshm<N>
 * @reserved:	zero
 * @name:	xen,id, NUL-terminated ("" when absent)
 */
struct xshm_region_info {
	__u32 argsz;
	__u32 flags;
	__u64 size;
	__u64 phys_addr;
	__u64 offset;
	__u32 index;
	__u32 reserved;
	char name[XSHM_ID_MAX + 8];
};

/* Size of the first version of struct xshm_region_info: the least argsz. */
#define XSHM_REGION_INFO_SIZE_VER0	176

/*
 * 0xB9 is free in the kernel's list of ioctl numbers
 * (Documentation/userspace-api/ioctl/ioctl-number.rst: no entry for 0xB9,
 * checked in Linux 6.1); an upstream submission would add
 * "0xB9  00-0F  linux/xshm.h" there.
 */
#define XSHM_IOC_MAGIC		0xB9

/*
 * XSHM_IOC_INFO - fill a struct xshm_region_info
 *
 * The argument points to the structure, whose argsz user space sets first;
 * the kernel reads argsz and writes the structure, hence _IOWR.  The size
 * in the number is that of the first version and stays so when the
 * structure grows (argsz tells the versions apart).
 * Returns 0, or -1 with errno EINVAL (argsz too small), EFAULT, or ENODEV
 * (the region was unbound while the file was open).
 */
#define XSHM_IOC_INFO		_IOWR(XSHM_IOC_MAGIC, 0x00, \
				      __u8[XSHM_REGION_INFO_SIZE_VER0])

/*
 * Deprecated: the number of XSHM_IOC_INFO until 2026-12 (0xB900), which
 * lacked the direction and size bits.  The kernel still accepts it, so
 * binaries built against the old header keep working; new code must use
 * XSHM_IOC_INFO.
 */
#define XSHM_IOC_INFO_OLD	_IO(XSHM_IOC_MAGIC, 0x00)

#endif /* _UAPI_LINUX_XSHM_H */
