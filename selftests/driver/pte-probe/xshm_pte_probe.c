// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only helper for the xshm driver tests: tells a process how one of
 * its own pages is mapped, so a test can check that /dev/xshm<N> mappings
 * are normal write-back memory over the right physical page.  Under QEMU's
 * TCG a Device or non-cacheable mapping behaves like RAM, so only the page
 * table can tell.
 *
 * /sys/kernel/debug/xshm_pte_probe: write a user address (any base) to the
 * open file, then read back "pfn=0x<pfn> attr=<memory type>".  arm64 only.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define RESULT_LEN	64

static struct dentry *probe_file;

static const char *attr_name(unsigned int attrindx)
{
	switch (attrindx) {
	case MT_NORMAL:
		return "normal";
	case MT_NORMAL_TAGGED:
		return "normal-tagged";
	case MT_NORMAL_NC:
		return "normal-nc";
	case MT_DEVICE_nGnRnE:
		return "device-nGnRnE";
	case MT_DEVICE_nGnRE:
		return "device-nGnRE";
	default:
		return "unknown";
	}
}

static int probe_open(struct inode *inode, struct file *file)
{
	file->private_data = kzalloc(RESULT_LEN, GFP_KERNEL);
	return file->private_data ? 0 : -ENOMEM;
}

static int probe_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/*
 * The page-table entry of @addr in @mm, walked by hand: follow_pte() is
 * gone since 6.12 and its successor only walks VM_PFNMAP mappings, while
 * the probe also checks itself on anonymous memory.  The caller holds
 * mmap_lock, so the tables stay; huge (block) mappings count as absent.
 */
static bool probe_pte(struct mm_struct *mm, unsigned long addr, pte_t *pte)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		return false;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd) || pmd_bad(*pmd))
		return false;
	*pte = ptep_get(pte_offset_kernel(pmd, addr));
	return pte_present(*pte);
}

static ssize_t probe_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct mm_struct *mm = current->mm;
	char *result = file->private_data;
	unsigned long addr;
	bool found;
	pte_t pte;
	int ret;

	ret = kstrtoul_from_user(buf, count, 0, &addr);
	if (ret)
		return ret;
	mmap_read_lock(mm);
	found = probe_pte(mm, addr, &pte);
	mmap_read_unlock(mm);
	if (!found)
		return -EFAULT;
	scnprintf(result, RESULT_LEN, "pfn=0x%llx attr=%s\n",
		  (unsigned long long)pte_pfn(pte),
		  attr_name((pte_val(pte) & PTE_ATTRINDX_MASK) >> 2));
	return count;
}

static ssize_t probe_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	const char *result = file->private_data;

	return simple_read_from_buffer(buf, count, ppos, result,
				       strlen(result));
}

static const struct file_operations probe_fops = {
	.owner = THIS_MODULE,
	.open = probe_open,
	.release = probe_release,
	.write = probe_write,
	.read = probe_read,
	.llseek = default_llseek,
};

static int __init probe_init(void)
{
	probe_file = debugfs_create_file("xshm_pte_probe", 0600, NULL, NULL,
					 &probe_fops);
	return 0;
}
module_init(probe_init);

static void __exit probe_exit(void)
{
	debugfs_remove(probe_file);
}
module_exit(probe_exit);

MODULE_DESCRIPTION("Test helper: memory type of a user page (xshm tests)");
MODULE_LICENSE("GPL");
