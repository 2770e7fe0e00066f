// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen static shared memory regions as character devices
 *
 * A dom0less Xen guest finds the memory it shares with other domains as
 * children of /reserved-memory with compatible "xen,shared-memory-v1".
 * Linux creates no devices for such nodes (unless the kernel lists the
 * compatible in reserved_mem_matches[]), so this module creates one
 * platform device per node that has none, in device-tree order, and binds
 * them.  Each region becomes /dev/xshm<N>, N being the node's position
 * among the compatible children of /reserved-memory, so names stay stable
 * across boots.
 *
 * The tree may be wrong or hand-written, and must never turn this driver
 * into /dev/mem: a region is only exposed when the kernel's reserved-memory
 * code reserved exactly that range for that node, the CPU can address it,
 * and nothing else in the kernel (its image, a device) uses it.
 *
 * User space reads, writes and maps the region.  Every domain maps these
 * pages as normal write-back memory, so we do too: a cacheable kernel
 * mapping (memremap(MEMREMAP_WB)) and user mappings that keep the default
 * cacheable page protection.
 *
 * Device-tree errors are reported once per node as "<node path>: <reason>"
 * and only that node is refused; the other regions still work.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_platform.h>
#include <linux/of_reserved_mem.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xshm.h>

#ifdef CONFIG_ARM64
#include <asm/cpufeature.h>
#endif

#include "xshm-compat.h"

#define XSHM_DRIVER_NAME	"xen-static-shm"
#define XSHM_COMPATIBLE		"xen,shared-memory-v1"

/* Xen gives a domain at most 32 regions; hand-written trees may add some. */
#define XSHM_MAX_REGIONS	256

/* Xen aligns regions to its 4 KiB pages, not to the kernel's (16K, 64K). */
#define XSHM_XEN_PAGE_SIZE	SZ_4K

/*
 * Far above any real region; a larger size means a broken tree.  The
 * kernel mapping's size is a size_t, so a 32-bit kernel stops below 4 GiB.
 */
#define XSHM_MAX_SIZE		min_t(u64, SZ_1T, SIZE_MAX & PAGE_MASK)

/* Bytes per step of read() and write(), copied through a bounce buffer. */
#define XSHM_COPY_CHUNK		SZ_64K

/**
 * struct xshm_node - what a device-tree node says about its region
 * @phys:	guest-physical base address
 * @size:	size in bytes
 * @offset:	xen,offset, 0 when absent
 * @flags:	XSHM_INFO_* bits
 * @name:	xen,id, "" when absent
 */
struct xshm_node {
	u64 phys;
	u64 size;
	u64 offset;
	u32 flags;
	char name[XSHM_ID_MAX + 1];
};

/**
 * struct xshm_region - one bound region
 * @dev:	the xshm<N> class device; its refcount keeps this alive
 * @cdev:	the character device, a child of @dev
 * @list:	entry in xshm_bound, under xshm_lock
 * @vaddr:	kernel mapping; lives as long as @dev, so that no lock is
 *		needed around it (a user copy may stall for ever)
 * @unbound:	set at unbind: new calls fail with -ENODEV
 * @node:	what the device tree says
 * @np:		the device-tree node, for messages
 * @index:	N of /dev/xshm<N>
 */
struct xshm_region {
	struct device dev;
	struct cdev cdev;
	struct list_head list;
	void *vaddr;
	bool unbound;
	struct xshm_node node;
	struct device_node *np;
	unsigned int index;
};

static dev_t xshm_devt;

/* Bound regions, to refuse overlapping regions and duplicate xen,id. */
static DEFINE_MUTEX(xshm_lock);
static LIST_HEAD(xshm_bound);

/* Platform devices this module created, by index. */
static struct platform_device *xshm_pdevs[XSHM_MAX_REGIONS];

#define to_xshm_region(d)	container_of_const(d, struct xshm_region, dev)

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_xshm_region(dev)->node.name);
}
static DEVICE_ATTR_RO(name);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_xshm_region(dev)->node.size);
}
static DEVICE_ATTR_RO(size);

static ssize_t phys_addr_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", to_xshm_region(dev)->node.phys);
}
static DEVICE_ATTR_ADMIN_RO(phys_addr);	/* where another domain's memory is */

static ssize_t offset_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", to_xshm_region(dev)->node.offset);
}
static DEVICE_ATTR_RO(offset);

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "0x%x\n", to_xshm_region(dev)->node.flags);
}
static DEVICE_ATTR_RO(flags);

static struct attribute *xshm_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_size.attr,
	&dev_attr_phys_addr.attr,
	&dev_attr_offset.attr,
	&dev_attr_flags.attr,
	NULL
};
ATTRIBUTE_GROUPS(xshm);

/* Lets udev add /dev/xshm/by-name/<xen,id>. */
static int xshm_dev_uevent(const struct device *dev,
			   struct kobj_uevent_env *env)
{
	const struct xshm_region *region = to_xshm_region(dev);

	if (!region->node.name[0])
		return 0;
	return add_uevent_var(env, "XSHM_NAME=%s", region->node.name);
}

/* The region may hold another domain's data: root only by default. */
static char *xshm_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

XSHM_CLASS_CALLBACK_SHIMS(xshm_dev_uevent, xshm_devnode)

static struct class xshm_class = {
	.name = "xshm",
	.dev_groups = xshm_groups,
	.dev_uevent = XSHM_CLASS_CALLBACK(xshm_dev_uevent),
	.devnode = XSHM_CLASS_CALLBACK(xshm_devnode),
};

static int xshm_open(struct inode *inode, struct file *file)
{
	struct xshm_region *region = container_of(inode->i_cdev,
						  struct xshm_region, cdev);

	get_device(&region->dev);
	file->private_data = region;
	return 0;
}

static int xshm_release(struct inode *inode, struct file *file)
{
	struct xshm_region *region = file->private_data;

	put_device(&region->dev);
	return 0;
}

static loff_t xshm_llseek(struct file *file, loff_t offset, int whence)
{
	struct xshm_region *region = file->private_data;

	return fixed_size_llseek(file, offset, whence, region->node.size);
}

/*
 * read() and write() copy through a kernel bounce buffer, so that the user
 * copy (which may fault, or stall for ever on a userfaultfd page) touches
 * nothing of the region: no lock is held at any time, and unbind, rmmod
 * and other users never wait for it.  @vaddr stays mapped until the last
 * file is closed; after unbind, new calls fail with -ENODEV.
 */
static void *xshm_bounce(size_t count, size_t *chunk)
{
	*chunk = min_t(size_t, count, XSHM_COPY_CHUNK);
	return kvmalloc(*chunk, GFP_KERNEL);
}

static ssize_t xshm_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct xshm_region *region = file->private_data;
	loff_t pos = *ppos;
	size_t chunk, done = 0;
	void *bounce;

	if (READ_ONCE(region->unbound))
		return -ENODEV;
	if (pos < 0)
		return -EINVAL;
	if (pos >= region->node.size || !count)
		return 0;
	count = min_t(u64, count, region->node.size - pos);
	bounce = xshm_bounce(count, &chunk);
	if (!bounce)
		return -ENOMEM;

	while (done < count) {
		size_t n = min(chunk, count - done);
		size_t left;

		memcpy(bounce, region->vaddr + pos + done, n);
		left = copy_to_user(buf + done, bounce, n);
		done += n - left;
		if (left || fatal_signal_pending(current))
			break;
		cond_resched();
	}
	kvfree(bounce);
	if (!done)
		return -EFAULT;
	*ppos = pos + done;
	return done;
}

/* Like a block device: short write up to the end, then -ENOSPC. */
static ssize_t xshm_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct xshm_region *region = file->private_data;
	loff_t pos = *ppos;
	size_t chunk, done = 0;
	void *bounce;

	if (READ_ONCE(region->unbound))
		return -ENODEV;
	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	if (pos >= region->node.size)
		return -ENOSPC;
	count = min_t(u64, count, region->node.size - pos);
	bounce = xshm_bounce(count, &chunk);
	if (!bounce)
		return -ENOMEM;

	while (done < count) {
		size_t n = min(chunk, count - done);
		size_t got = n - copy_from_user(bounce, buf + done, n);

		memcpy(region->vaddr + pos + done, bounce, got);
		done += got;
		if (got < n || fatal_signal_pending(current))
			break;
		cond_resched();
	}
	kvfree(bounce);
	if (!done)
		return -EFAULT;
	*ppos = pos + done;
	return done;
}

/*
 * ptrace (PTRACE_PEEKDATA) and /proc/PID/mem reach a VM_PFNMAP mapping only
 * through ->access.  generic_access_phys() would ioremap the pages, which
 * arm64 refuses for RAM; the kernel mapping of the region is at hand.
 */
static int xshm_vm_access(struct vm_area_struct *vma, unsigned long addr,
			  void *buf, int len, int write)
{
	struct xshm_region *region = vma->vm_file->private_data;
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);

	if (off >= region->node.size)
		return -EIO;
	len = min_t(u64, len, region->node.size - off);
	if (write)
		memcpy(region->vaddr + off, buf, len);
	else
		memcpy(buf, region->vaddr + off, len);
	return len;
}

static const struct vm_operations_struct xshm_vm_ops = {
	.access = xshm_vm_access,
};

/*
 * The pages are guest memory that is never freed, so a mapping may outlive
 * the binding; it only needs the physical range.
 *
 * Only whole kernel pages inside the region are mapped, counted from its
 * base, so no byte outside it reaches user space.  With pages larger than
 * Xen's, a region whose base is not page-aligned cannot be mapped at all,
 * and the partial last page of one whose size is not a multiple cannot
 * either; read and write still reach every byte (xshm_note_partial_pages).
 */
static int xshm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct xshm_region *region = file->private_data;
	unsigned long pages = region->node.size >> PAGE_SHIFT;

	if (READ_ONCE(region->unbound))
		return -ENODEV;
	/* A private copy of memory another domain writes makes no sense. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!PAGE_ALIGNED(region->node.phys))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &xshm_vm_ops;
	/* vm_page_prot stays normal write-back, matching the other domain. */
	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(region->node.phys) + vma->vm_pgoff,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

/* Tells what mmap cannot reach of a region not aligned to kernel pages. */
static void xshm_note_partial_pages(struct device *dev, struct device_node *np,
				    const struct xshm_node *node)
{
	if (!PAGE_ALIGNED(node->phys))
		dev_warn(dev, "%pOF: reg base 0x%llx is not aligned to this kernel's %lu KiB pages: read and write only, no mmap\n",
			 np, node->phys, PAGE_SIZE / SZ_1K);
	else if (!PAGE_ALIGNED(node->size))
		dev_warn(dev, "%pOF: reg size 0x%llx is not a multiple of this kernel's %lu KiB pages: mmap stops at 0x%llx, read and write reach the end\n",
			 np, node->size, PAGE_SIZE / SZ_1K,
			 (u64)PAGE_ALIGN_DOWN(node->size));
}

static long xshm_ioctl_info(struct xshm_region *region,
			    struct xshm_region_info __user *uinfo)
{
	struct xshm_region_info info;
	u32 argsz;

	if (get_user(argsz, &uinfo->argsz))
		return -EFAULT;
	if (argsz < XSHM_REGION_INFO_SIZE_VER0)
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.flags = region->node.flags;
	info.size = region->node.size;
	info.phys_addr = region->node.phys;
	info.offset = region->node.offset;
	info.index = region->index;
	strscpy(info.name, region->node.name, sizeof(info.name));

	if (copy_to_user(uinfo, &info, min_t(u32, argsz, sizeof(info))))
		return -EFAULT;
	return 0;
}

static long xshm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xshm_region *region = file->private_data;

	if (READ_ONCE(region->unbound))
		return -ENODEV;

	switch (cmd) {
	case XSHM_IOC_INFO:
	case XSHM_IOC_INFO_OLD:
		return xshm_ioctl_info(region, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations xshm_fops = {
	.owner = THIS_MODULE,
	.open = xshm_open,
	.release = xshm_release,
	.llseek = xshm_llseek,
	.read = xshm_read,
	.write = xshm_write,
	.mmap = xshm_mmap,
	.unlocked_ioctl = xshm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * Physical address bits that both this kernel and the CPU reach.  An
 * address past the CPU's range faults on every access (arm64: "address
 * size fault"), so such a region must never be mapped.
 */
static unsigned int xshm_phys_bits(void)
{
	unsigned int bits = 8 * sizeof(phys_addr_t);

#ifdef MAX_PHYSMEM_BITS
	bits = min_t(unsigned int, bits, MAX_PHYSMEM_BITS);
#endif
#ifdef CONFIG_ARM64
	{
		/* Sanitised: the smallest PARange of all CPUs. */
		u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
		int parange = cpuid_feature_extract_unsigned_field(mmfr0,
					ID_AA64MMFR0_EL1_PARANGE_SHIFT);

		bits = min_t(unsigned int, bits,
			     id_aa64mmfr0_parange_to_phys_shift(parange));
	}
#endif
	return bits;
}

/* of_read_number() needs CONFIG_OF; this keeps the driver buildable without. */
static u64 xshm_read_cells(const __be32 *cell, u32 cells)
{
	u64 val = 0;

	while (cells--)
		val = (val << 32) | be32_to_cpup(cell++);
	return val;
}

static int xshm_parse_reg(struct device *dev, struct device_node *np,
			  struct xshm_node *node)
{
	const __be32 *reg;
	unsigned int bits;
	u32 na, ns;
	int len;

	na = of_n_addr_cells(np);
	ns = of_n_size_cells(np);
	if (na < 1 || na > 2 || ns < 1 || ns > 2) {
		dev_err(dev, "%pOF: parent #address-cells %u or #size-cells %u is not 1 or 2\n",
			np, na, ns);
		return -EINVAL;
	}

	reg = of_get_property(np, "reg", &len);
	if (!reg) {
		dev_err(dev, "%pOF: no reg property\n", np);
		return -EINVAL;
	}
	if (len != (na + ns) * sizeof(*reg)) {
		dev_err(dev, "%pOF: reg is %d bytes, expected %zu (one address and size)\n",
			np, len, (na + ns) * sizeof(*reg));
		return -EINVAL;
	}

	node->phys = xshm_read_cells(reg, na);
	node->size = xshm_read_cells(reg + na, ns);
	if (!node->size) {
		dev_err(dev, "%pOF: reg size is zero\n", np);
		return -EINVAL;
	}
	if (!IS_ALIGNED(node->phys, XSHM_XEN_PAGE_SIZE) ||
	    !IS_ALIGNED(node->size, XSHM_XEN_PAGE_SIZE)) {
		dev_err(dev, "%pOF: reg base 0x%llx or size 0x%llx is not aligned to 4 KiB pages\n",
			np, node->phys, node->size);
		return -EINVAL;
	}
	if (node->size > XSHM_MAX_SIZE) {
		dev_err(dev, "%pOF: reg size 0x%llx is larger than the 0x%llx bytes this kernel maps\n",
			np, node->size, (u64)XSHM_MAX_SIZE);
		return -EINVAL;
	}
	bits = xshm_phys_bits();
	if (bits < 64 && (node->phys >= BIT_ULL(bits) ||
			  node->size > BIT_ULL(bits) - node->phys)) {
		dev_err(dev, "%pOF: reg base 0x%llx size 0x%llx ends past the %u-bit physical address space of this CPU\n",
			np, node->phys, node->size, bits);
		return -EINVAL;
	}
	return 0;
}

static int xshm_parse_offset(struct device *dev, struct device_node *np,
			     struct xshm_node *node)
{
	const __be32 *prop;
	int len;

	prop = of_get_property(np, "xen,offset", &len);
	if (!prop)
		return 0;
	/* The binding says 64 bits, and Xen writes them: no one-cell form. */
	if (len != sizeof(u64)) {
		dev_err(dev, "%pOF: xen,offset is %d bytes, expected 8 (one 64-bit value)\n",
			np, len);
		return -EINVAL;
	}
	node->offset = xshm_read_cells(prop, 2);
	node->flags |= XSHM_INFO_HAS_OFFSET;
	return 0;
}

/*
 * The name becomes /dev/xshm/by-name/<name>.  udev keeps these characters
 * in a link name and replaces every other one with '_', so two names that
 * differ elsewhere would share a link: only these are accepted (ASCII
 * only; the kernel's isalnum() also takes Latin-1 letters).
 */
static bool xshm_id_char_ok(char c)
{
	return isascii(c) && (isalnum(c) || strchr("#+-.:=@_", c));
}

static int xshm_parse_id(struct device *dev, struct device_node *np,
			 struct xshm_node *node)
{
	const char *id, *c;
	size_t id_len;
	int len;

	id = of_get_property(np, "xen,id", &len);
	if (!id)
		return 0;
	/* Exactly one NUL-terminated string, nothing after it. */
	id_len = len > 0 ? strnlen(id, len) : 0;
	if (len <= 0 || id_len != len - 1) {
		dev_err(dev, "%pOF: xen,id is not one NUL-terminated string\n",
			np);
		return -EINVAL;
	}
	if (!id_len) {
		dev_err(dev, "%pOF: xen,id is empty\n", np);
		return -EINVAL;
	}
	if (id_len > XSHM_ID_MAX) {
		dev_err(dev, "%pOF: xen,id is longer than %d characters\n",
			np, XSHM_ID_MAX);
		return -EINVAL;
	}
	for (c = id; *c; c++) {
		if (!xshm_id_char_ok(*c)) {
			dev_err(dev, "%pOF: xen,id has character 0x%02x; allowed are ASCII letters, digits and #+-.:=@_\n",
				np, (u8)*c);
			return -EINVAL;
		}
	}
	if (!strcmp(id, ".") || !strcmp(id, "..")) {
		dev_err(dev, "%pOF: xen,id \"%s\" cannot be a file name\n",
			np, id);
		return -EINVAL;
	}
	strscpy(node->name, id, sizeof(node->name));
	node->flags |= XSHM_INFO_HAS_ID;
	return 0;
}

static int xshm_parse_node(struct device *dev, struct device_node *np,
			   struct xshm_node *node)
{
	int ret;

	memset(node, 0, sizeof(*node));
	ret = xshm_parse_reg(dev, np, node);
	if (ret)
		return ret;
	ret = xshm_parse_offset(dev, np, node);
	if (ret)
		return ret;
	ret = xshm_parse_id(dev, np, node);
	if (ret)
		return ret;
	if (of_property_read_bool(np, "no-map"))
		node->flags |= XSHM_INFO_NO_MAP;
	return 0;
}

/* Is @np a child of /reserved-memory, where Xen describes the regions? */
static bool xshm_in_reserved_memory(struct device_node *np)
{
	struct device_node *root = of_find_node_by_path("/reserved-memory");
	struct device_node *parent = of_get_parent(np);
	bool ret = root && parent == root;

	of_node_put(parent);
	of_node_put(root);
	return ret;
}

/*
 * The kernel's reserved-memory code must have reserved exactly this range
 * for this node.  It ignores /reserved-memory when its cell sizes differ
 * from the root's, and then the pages may be in use.  The range must not
 * overlap memory it reserved for another purpose either (regions of other
 * xshm nodes are checked against the bound ones, see xshm_check_unique()).
 */
static int xshm_check_reserved(struct device *dev, struct device_node *np,
			       const struct xshm_node *node)
{
	struct device_node *parent, *it;
	struct reserved_mem *rmem, *other;
	int ret = 0;

	rmem = of_reserved_mem_lookup(np);
	if (!rmem || rmem->base != node->phys || rmem->size != node->size) {
		dev_err(dev, "%pOF: the kernel reserved no memory for this node (are /reserved-memory's cell sizes the root's?)\n",
			np);
		return -EINVAL;
	}

	parent = of_get_parent(np);
	for_each_child_of_node(parent, it) {
		if (it == np || of_device_is_compatible(it, XSHM_COMPATIBLE))
			continue;
		other = of_reserved_mem_lookup(it);
		if (other && other->base < rmem->base + rmem->size &&
		    rmem->base < other->base + other->size) {
			dev_err(dev, "%pOF: reg overlaps the reserved memory of %pOF\n",
				np, it);
			of_node_put(it);
			ret = -EBUSY;
			break;
		}
	}
	of_node_put(parent);
	return ret;
}

static int xshm_count_ram(struct resource *res, void *arg)
{
	u64 *bytes = arg;

	*bytes += resource_size(res);
	return 0;
}

static void xshm_remove_resource(void *res)
{
	remove_resource(res);
}

static bool xshm_is_reservation(const struct resource *r)
{
	return (r->flags & IORESOURCE_BUSY) && !(r->flags & IORESOURCE_SYSRAM);
}

/*
 * Who owns the RAM that @res (inserted) covers, if not a reservation made
 * for it: walking up, the first System RAM range must be a top-level one;
 * a busy "reserved" range (arm64 lists every memblock reservation so) must
 * be on the way, or below @res with exactly its range (insert_resource()
 * puts an equal range below), as may be the device the OF core made for
 * the node.  A top-level System RAM range exactly @res's may be below it
 * too, with the reservation below that.  Returns NULL if so, else a name
 * to report.
 *
 * Read without the resource lock, which is not exported: these ranges are
 * ours, above or equal to ours, and are not removed while ours is in.
 */
static const char *xshm_ram_owner(const struct resource *res)
{
	const struct resource *r, *p, *ram = NULL;
	bool reserved = false;

	for (r = res->child; r; r = r->child) {
		if (r->sibling || r->start != res->start || r->end != res->end)
			return r->name;
		if (r->flags & IORESOURCE_SYSRAM) {
			/*
			 * Xen 4.19+ writes each region as a /memory range of
			 * its own: a top-level System RAM range exactly ours,
			 * which insert_resource() put below us.
			 */
			if (ram || res->parent != &iomem_resource)
				return r->name;
			ram = r;
			continue;
		}
		reserved |= xshm_is_reservation(r);
	}
	if (ram)
		return reserved ? NULL : ram->name;
	for (p = res->parent; p && p != &iomem_resource; p = p->parent) {
		if (p->flags & IORESOURCE_SYSRAM)
			break;
		reserved |= xshm_is_reservation(p);
	}
	if (!p || p == &iomem_resource)
		return "no System RAM";
	if (p->parent != &iomem_resource || !reserved)
		return p->name;	/* "Kernel code"; "System RAM": not reserved */
	return NULL;
}

/*
 * RAM in the linear map (Xen 4.19 and later list the region in /memory):
 * the reservation shows in /proc/iomem as a "reserved" range inside System
 * RAM.  Our resource must fit inside such a range, not in System RAM itself
 * (nothing reserved the pages) nor in the kernel image ("Kernel code" and
 * "Kernel data" are System RAM too), and must contain no other resource
 * (see xshm_ram_owner()).  The pages must still be reserved: init memory
 * is freed after boot.
 */
static int xshm_claim_ram(struct device *dev, struct device_node *np,
			  const struct xshm_node *node)
{
	unsigned long pfn, end_pfn;
	struct resource *res;
	const char *owner;
	int ret;

	res = devm_kzalloc(dev, sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	res->name = np->full_name;
	res->start = node->phys;
	res->end = node->phys + node->size - 1;
	res->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	if (insert_resource(&iomem_resource, res)) {
		dev_err(dev, "%pOF: reg covers RAM the kernel did not reserve for it (it straddles a range of /proc/iomem)\n",
			np);
		return -EBUSY;
	}
	ret = devm_add_action_or_reset(dev, xshm_remove_resource, res);
	if (ret)
		return ret;

	owner = xshm_ram_owner(res);
	if (owner) {
		dev_err(dev, "%pOF: reg covers RAM the kernel did not reserve for it (\"%s\")\n",
			np, owner);
		return -EBUSY;
	}

	end_pfn = PFN_UP(node->phys + node->size);
	for (pfn = PHYS_PFN(node->phys); pfn < end_pfn; pfn++) {
		if (!pfn_valid(pfn) || !PageReserved(pfn_to_page(pfn))) {
			dev_err(dev, "%pOF: reg covers RAM the kernel did not reserve for it (pages in use)\n",
				np);
			return -EBUSY;
		}
		cond_resched();
	}
	return 0;
}

/*
 * Claim the range in the resource tree (/proc/iomem names the node), so
 * that we get nothing the kernel or a driver owns and no driver gets it
 * after us.  The region must be all RAM or no RAM: the kernel maps RAM
 * through the linear map and anything else through a new mapping, never
 * both at once.  (region_intersects() would take RAM plus a hole for RAM.)
 *
 * Not RAM (Xen 4.17/4.18, or no-map): request_mem_region() fails when a
 * range a driver claimed overlaps, e.g. a UART's registers.  Whether
 * anything at all answers at that address cannot be told from here.
 */
static int xshm_claim(struct device *dev, struct device_node *np,
		      const struct xshm_node *node)
{
	u64 ram = 0;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, node->phys,
			    node->phys + node->size - 1, &ram, xshm_count_ram);
	if (ram && ram != node->size) {
		dev_err(dev, "%pOF: reg is partly System RAM and partly not\n",
			np);
		return -EINVAL;
	}
	if (ram)
		return xshm_claim_ram(dev, np, node);

	if (!devm_request_mem_region(dev, node->phys, node->size,
				     np->full_name)) {
		dev_err(dev, "%pOF: reg overlaps memory or registers that another driver claimed\n",
			np);
		return -EBUSY;
	}
	return 0;
}

/* Called with xshm_lock held. */
static int xshm_check_unique(struct device *dev, struct device_node *np,
			     const struct xshm_node *node)
{
	struct xshm_region *other;

	list_for_each_entry(other, &xshm_bound, list) {
		if (node->phys < other->node.phys + other->node.size &&
		    other->node.phys < node->phys + node->size) {
			dev_err(dev, "%pOF: reg overlaps the region of %pOF\n",
				np, other->np);
			return -EBUSY;
		}
		if (node->name[0] && !strcmp(node->name, other->node.name)) {
			dev_err(dev, "%pOF: xen,id \"%s\" is already used by %pOF\n",
				np, node->name, other->np);
			return -EBUSY;
		}
	}
	return 0;
}

/* Position of @np among the compatible children of /reserved-memory. */
static int xshm_node_index(struct device_node *np)
{
	struct device_node *root, *it;
	int index = 0, ret = -ENODEV;

	root = of_find_node_by_path("/reserved-memory");
	for_each_child_of_node(root, it) {
		if (!of_device_is_compatible(it, XSHM_COMPATIBLE))
			continue;
		if (it == np) {
			of_node_put(it);
			ret = index;
			break;
		}
		index++;
	}
	of_node_put(root);
	return ret;
}

static void xshm_region_release(struct device *dev)
{
	struct xshm_region *region = to_xshm_region(dev);

	memunmap(region->vaddr);
	kfree(region);
}

/* Undoes the registration at unbind; open files keep @region allocated. */
static void xshm_region_unregister(void *data)
{
	struct xshm_region *region = data;

	cdev_device_del(&region->cdev, &region->dev);

	mutex_lock(&xshm_lock);
	list_del(&region->list);
	mutex_unlock(&xshm_lock);

	/* Calls in progress finish on the mapping, which stays till release. */
	WRITE_ONCE(region->unbound, true);
	put_device(&region->dev);
}

static int xshm_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct device_node *np = dev->of_node;
	struct xshm_region *region;
	struct xshm_node node;
	void *vaddr;
	int index;
	int ret;

	if (!np) {
		dev_err(dev, "no device-tree node\n");
		return -ENODEV;
	}
	if (!xshm_in_reserved_memory(np)) {
		dev_err(dev, "%pOF: not a child of /reserved-memory\n", np);
		return -ENODEV;
	}
	index = xshm_node_index(np);
	if (index < 0 || index >= XSHM_MAX_REGIONS) {
		dev_err(dev, "%pOF: not among the first %d " XSHM_COMPATIBLE " nodes\n",
			np, XSHM_MAX_REGIONS);
		return -ENODEV;
	}

	ret = xshm_parse_node(dev, np, &node);
	if (ret)
		return ret;

	mutex_lock(&xshm_lock);
	ret = xshm_check_unique(dev, np, &node);
	if (ret)
		goto unlock;
	ret = xshm_check_reserved(dev, np, &node);
	if (ret)
		goto unlock;
	ret = xshm_claim(dev, np, &node);
	if (ret)
		goto unlock;

	/*
	 * Write-back: the other domain maps these pages cacheable too.  Not
	 * devm: the mapping lives as long as the last open file.
	 */
	vaddr = memremap(node.phys, node.size, MEMREMAP_WB);
	if (!vaddr) {
		ret = -ENOMEM;
		dev_err(dev, "%pOF: cannot map the region\n", np);
		goto unlock;
	}

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region) {
		memunmap(vaddr);
		ret = -ENOMEM;
		goto unlock;
	}
	region->vaddr = vaddr;
	region->node = node;
	region->np = np;
	region->index = index;

	device_initialize(&region->dev);
	region->dev.class = &xshm_class;
	region->dev.parent = dev;
	region->dev.devt = MKDEV(MAJOR(xshm_devt), index);
	region->dev.release = xshm_region_release;
	ret = dev_set_name(&region->dev, "xshm%d", index);
	if (ret)
		goto put_region;

	cdev_init(&region->cdev, &xshm_fops);
	region->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&region->cdev, &region->dev);
	if (ret) {
		dev_err(dev, "%pOF: cannot add xshm%d: %d\n", np, index, ret);
		goto put_region;
	}
	list_add_tail(&region->list, &xshm_bound);
	mutex_unlock(&xshm_lock);

	xshm_note_partial_pages(dev, np, &node);
	return devm_add_action_or_reset(dev, xshm_region_unregister, region);

put_region:
	put_device(&region->dev);
unlock:
	mutex_unlock(&xshm_lock);
	return ret;
}

static const struct of_device_id xshm_of_match[] = {
	{ .compatible = XSHM_COMPATIBLE },
	{ }
};
MODULE_DEVICE_TABLE(of, xshm_of_match);

static struct platform_driver xshm_driver = {
	.probe = xshm_probe,
	.driver = {
		.name = XSHM_DRIVER_NAME,
		.of_match_table = xshm_of_match,
	},
};

static void xshm_destroy_devices(void)
{
	int i;

	for (i = XSHM_MAX_REGIONS - 1; i >= 0; i--) {
		if (xshm_pdevs[i])
			platform_device_unregister(xshm_pdevs[i]);
		xshm_pdevs[i] = NULL;
	}
}

/* Did the OF core (or anyone) already create a device for @np? */
static bool xshm_node_has_device(struct device_node *np)
{
	struct platform_device *pdev = of_find_device_by_node(np);

	if (!pdev)
		return false;
	put_device(&pdev->dev);
	return true;
}

/*
 * Nodes elsewhere in the tree get no device; one the OF core created
 * anyway is refused by xshm_probe(), which reports it.
 */
static void xshm_report_misplaced(void)
{
	struct device_node *np;

	for_each_compatible_node(np, NULL, XSHM_COMPATIBLE)
		if (!xshm_in_reserved_memory(np) && !xshm_node_has_device(np))
			pr_err("%pOF: not a child of /reserved-memory, ignored\n",
			       np);
}

/*
 * One device per available node that has none yet: a kernel that lists
 * the compatible in reserved_mem_matches[] made them already, and they
 * bind through xshm_of_match.  A node that cannot get a device is
 * reported and skipped so the others still work.
 */
static void xshm_create_devices(void)
{
	struct platform_device_info info = {
		.name = XSHM_DRIVER_NAME,
	};
	struct platform_device *pdev;
	struct device_node *root, *np;
	int index = 0;

	xshm_report_misplaced();
	root = of_find_node_by_path("/reserved-memory");
	for_each_child_of_node(root, np) {
		if (!of_device_is_compatible(np, XSHM_COMPATIBLE))
			continue;
		if (index >= XSHM_MAX_REGIONS) {
			pr_err("%pOF: more than %d " XSHM_COMPATIBLE " nodes, ignoring the rest\n",
			       np, XSHM_MAX_REGIONS);
			of_node_put(np);
			break;
		}
		if (of_device_is_available(np) && !xshm_node_has_device(np)) {
			info.id = index;
			info.fwnode = of_fwnode_handle(np);
			pdev = platform_device_register_full(&info);
			if (IS_ERR(pdev))
				pr_err("%pOF: cannot create a device: %pe\n",
				       np, pdev);
			else
				xshm_pdevs[index] = pdev;
		}
		index++;
	}
	of_node_put(root);
}

static int __init xshm_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&xshm_devt, 0, XSHM_MAX_REGIONS, "xshm");
	if (ret)
		return ret;
	ret = class_register(&xshm_class);
	if (ret)
		goto unregister_chrdev;
	ret = platform_driver_register(&xshm_driver);
	if (ret)
		goto unregister_class;

	/* The driver is registered first, so devices probe in tree order. */
	xshm_create_devices();
	return 0;

unregister_class:
	class_unregister(&xshm_class);
unregister_chrdev:
	unregister_chrdev_region(xshm_devt, XSHM_MAX_REGIONS);
	return ret;
}
module_init(xshm_init);

static void __exit xshm_exit(void)
{
	xshm_destroy_devices();
	platform_driver_unregister(&xshm_driver);
	class_unregister(&xshm_class);
	unregister_chrdev_region(xshm_devt, XSHM_MAX_REGIONS);
}
module_exit(xshm_exit);

MODULE_DESCRIPTION("Xen static shared memory regions as character devices");
MODULE_LICENSE("GPL");
