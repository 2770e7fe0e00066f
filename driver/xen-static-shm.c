// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen static shared memory regions as character devices
 *
 * A dom0less Xen guest finds the memory it shares with other domains as
 * children of /reserved-memory with compatible "xen,shared-memory-v1".
 * Linux creates no devices for such nodes, so this module creates one
 * platform device per node, in device-tree order, and binds them.  Each
 * region becomes /dev/xshm<N>, N being the node's position among the
 * compatible nodes of the tree, so names stay stable across boots.
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
#include <linux/platform_device.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xshm.h>

#include "xshm-compat.h"

#define XSHM_DRIVER_NAME	"xen-static-shm"
#define XSHM_COMPATIBLE		"xen,shared-memory-v1"

/* Xen gives a domain at most 32 regions; hand-written trees may add some. */
#define XSHM_MAX_REGIONS	256

/* Far above any real region; a larger size means a broken tree. */
#define XSHM_MAX_SIZE		SZ_1T

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
 * @lock:	held for reading while @vaddr is used
 * @vaddr:	kernel mapping, NULL once the region is unbound
 * @node:	what the device tree says
 * @np:		the device-tree node, for messages
 * @index:	N of /dev/xshm<N>
 */
struct xshm_region {
	struct device dev;
	struct cdev cdev;
	struct list_head list;
	struct rw_semaphore lock;
	void *vaddr;
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
static DEVICE_ATTR_RO(phys_addr);

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

static ssize_t xshm_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct xshm_region *region = file->private_data;
	loff_t pos = *ppos;
	size_t left;
	ssize_t ret;

	down_read(&region->lock);
	if (!region->vaddr) {
		ret = -ENODEV;
		goto out;
	}
	if (pos < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (pos >= region->node.size || !count) {
		ret = 0;
		goto out;
	}
	count = min_t(u64, count, region->node.size - pos);
	left = copy_to_user(buf, region->vaddr + pos, count);
	if (left == count) {
		ret = -EFAULT;
		goto out;
	}
	ret = count - left;
	*ppos = pos + ret;
out:
	up_read(&region->lock);
	return ret;
}

/* Like a block device: short write up to the end, then -ENOSPC. */
static ssize_t xshm_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct xshm_region *region = file->private_data;
	loff_t pos = *ppos;
	size_t left;
	ssize_t ret;

	down_read(&region->lock);
	if (!region->vaddr) {
		ret = -ENODEV;
		goto out;
	}
	if (pos < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (!count) {
		ret = 0;
		goto out;
	}
	if (pos >= region->node.size) {
		ret = -ENOSPC;
		goto out;
	}
	count = min_t(u64, count, region->node.size - pos);
	left = copy_from_user(region->vaddr + pos, buf, count);
	if (left == count) {
		ret = -EFAULT;
		goto out;
	}
	ret = count - left;
	*ppos = pos + ret;
out:
	up_read(&region->lock);
	return ret;
}

/*
 * The pages are guest memory that is never freed, so a mapping may outlive
 * the binding; it only needs the physical range.  No lock is taken here:
 * mmap runs under mmap_lock, which read and write take inside region->lock.
 */
static int xshm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct xshm_region *region = file->private_data;
	unsigned long pages = region->node.size >> PAGE_SHIFT;

	if (!READ_ONCE(region->vaddr))
		return -ENODEV;
	/* A private copy of memory another domain writes makes no sense. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	/* vm_page_prot stays normal write-back, matching the other domain. */
	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(region->node.phys) + vma->vm_pgoff,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
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

	if (!READ_ONCE(region->vaddr))
		return -ENODEV;

	switch (cmd) {
	case XSHM_IOC_INFO:
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

/* Highest physical address plus one, where the architecture says. */
static u64 xshm_phys_limit(void)
{
#ifdef MAX_PHYSMEM_BITS
	if (MAX_PHYSMEM_BITS < 64)
		return BIT_ULL(MAX_PHYSMEM_BITS);
#endif
	return (u64)(phys_addr_t)-1;
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
	if (!PAGE_ALIGNED(node->phys) || !PAGE_ALIGNED(node->size)) {
		dev_err(dev, "%pOF: reg base 0x%llx or size 0x%llx is not page-aligned\n",
			np, node->phys, node->size);
		return -EINVAL;
	}
	if (node->size > XSHM_MAX_SIZE) {
		dev_err(dev, "%pOF: reg size 0x%llx is larger than 1 TiB\n",
			np, node->size);
		return -EINVAL;
	}
	if (node->phys > xshm_phys_limit() - node->size) {
		dev_err(dev, "%pOF: reg base 0x%llx size 0x%llx ends past the physical address space\n",
			np, node->phys, node->size);
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
	if (len != sizeof(u32) && len != sizeof(u64)) {
		dev_err(dev, "%pOF: xen,offset is %d bytes, expected 4 or 8\n",
			np, len);
		return -EINVAL;
	}
	node->offset = xshm_read_cells(prop, len / sizeof(*prop));
	node->flags |= XSHM_INFO_HAS_OFFSET;
	return 0;
}

/* The name becomes a path under /dev/xshm/by-name: keep it a file name. */
static bool xshm_name_is_safe(const char *name)
{
	const char *c;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (c = name; *c; c++)
		if (!isgraph(*c) || *c == '/')
			return false;
	return true;
}

static int xshm_parse_id(struct device *dev, struct device_node *np,
			 struct xshm_node *node)
{
	const char *id;
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
	if (!xshm_name_is_safe(id)) {
		dev_err(dev, "%pOF: xen,id has characters unfit for a file name\n",
			np);
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

static int xshm_count_ram(struct resource *res, void *arg)
{
	u64 *bytes = arg;

	*bytes += resource_size(res);
	return 0;
}

/*
 * The region must be all RAM or no RAM: the kernel maps RAM through the
 * linear map and anything else through a new mapping, never both at once.
 * (region_intersects() would take RAM plus a hole for all RAM.)
 *
 * RAM in the region must be reserved.  The kernel reserves /reserved-memory
 * children early, but only when /reserved-memory has the root's cell sizes;
 * otherwise the pages may be in use and must not reach user space.
 */
static int xshm_check_memory(struct device *dev, struct device_node *np,
			     const struct xshm_node *node)
{
	unsigned long pfn, end_pfn;
	u64 ram = 0;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, node->phys,
			    node->phys + node->size - 1, &ram, xshm_count_ram);
	if (!ram)
		return 0;
	if (ram != node->size) {
		dev_err(dev, "%pOF: reg is partly System RAM and partly not\n",
			np);
		return -EINVAL;
	}

	end_pfn = PHYS_PFN(node->phys + node->size);
	for (pfn = PHYS_PFN(node->phys); pfn < end_pfn; pfn++) {
		if (!pfn_valid(pfn) || !PageReserved(pfn_to_page(pfn))) {
			dev_err(dev, "%pOF: reg covers RAM the kernel did not reserve\n",
				np);
			return -EINVAL;
		}
		cond_resched();
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

/* Position of @np among the compatible nodes, in device-tree order. */
static int xshm_node_index(struct device_node *np)
{
	struct device_node *it;
	int index = 0;

	for_each_compatible_node(it, NULL, XSHM_COMPATIBLE) {
		if (it == np) {
			of_node_put(it);
			return index;
		}
		index++;
	}
	return -ENODEV;
}

static void xshm_region_release(struct device *dev)
{
	kfree(to_xshm_region(dev));
}

/* Undoes the registration at unbind; open files keep @region allocated. */
static void xshm_region_unregister(void *data)
{
	struct xshm_region *region = data;

	cdev_device_del(&region->cdev, &region->dev);

	mutex_lock(&xshm_lock);
	list_del(&region->list);
	mutex_unlock(&xshm_lock);

	/* Wait for read and write; the mapping is unmapped after this. */
	down_write(&region->lock);
	WRITE_ONCE(region->vaddr, NULL);
	up_write(&region->lock);

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
	ret = xshm_check_memory(dev, np, &node);
	if (ret)
		goto unlock;

	/* Write-back: the other domain maps these pages cacheable too. */
	vaddr = devm_memremap(dev, node.phys, node.size, MEMREMAP_WB);
	if (IS_ERR(vaddr)) {
		ret = PTR_ERR(vaddr);
		dev_err(dev, "%pOF: cannot map the region: %d\n", np, ret);
		goto unlock;
	}

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region) {
		ret = -ENOMEM;
		goto unlock;
	}
	init_rwsem(&region->lock);
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

/*
 * One device per available node; a node that cannot get a device is
 * reported and skipped so the others still work.
 */
static void xshm_create_devices(void)
{
	struct platform_device_info info = {
		.name = XSHM_DRIVER_NAME,
	};
	struct platform_device *pdev;
	struct device_node *np;
	int index = 0;

	for_each_compatible_node(np, NULL, XSHM_COMPATIBLE) {
		if (index >= XSHM_MAX_REGIONS) {
			pr_err("%pOF: more than %d " XSHM_COMPATIBLE " nodes, ignoring the rest\n",
			       np, XSHM_MAX_REGIONS);
			of_node_put(np);
			break;
		}
		if (of_device_is_available(np)) {
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
