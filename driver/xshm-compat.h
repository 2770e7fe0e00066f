/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel interfaces the xshm driver uses that changed between Linux 6.1
 * and today.  The driver is written for the current kernel; older kernels
 * get the shims below, each under the release that made the change.
 */
#ifndef XSHM_COMPAT_H
#define XSHM_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/version.h>

/*
 * 6.2: class callbacks take a const device.  Before, the class calls the
 * driver's callbacks through wrappers of the old type.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define XSHM_CLASS_CALLBACK(fn)	fn##_nonconst
#define XSHM_CLASS_CALLBACK_SHIMS(uevent, devnode)			\
static int uevent##_nonconst(struct device *dev,			\
			     struct kobj_uevent_env *env)		\
{									\
	return uevent(dev, env);					\
}									\
static char *devnode##_nonconst(struct device *dev, umode_t *mode)	\
{									\
	return devnode(dev, mode);					\
}
#else
#define XSHM_CLASS_CALLBACK(fn)	fn
#define XSHM_CLASS_CALLBACK_SHIMS(uevent, devnode)
#endif

/* 6.3: vma->vm_flags became read-only, changed through helpers. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#endif /* XSHM_COMPAT_H */
