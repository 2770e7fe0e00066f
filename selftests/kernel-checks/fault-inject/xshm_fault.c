// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only: make one kernel function fail when xen-static-shm calls it
 *
 * Debian's kernels have no fault injection, yet the driver's error paths
 * must run in a real kernel.  Two ways:
 *
 * memremap, kzalloc, dev_set_name, devm_action: a kretprobe on the function
 * undoes what a successful call from the driver did and replaces its
 * result with a failure, so the driver takes its error path and nothing
 * leaks.  Calls from anywhere else are left alone.
 * /sys/module/xshm_fault/parameters/hits counts the failures injected.
 *
 * class-taken, driver-taken, device-taken: this module takes the name the
 * driver's module init needs next (class "xshm", platform driver or device
 * "xen-static-shm"), so that registration really fails.
 *
 *   insmod xshm_fault.ko target=<one of the above> [count=N]
 */

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *target = "";
module_param(target, charp, 0444);
MODULE_PARM_DESC(target, "function to fail or name to take, see the top");

static int count = 1;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "how many calls to fail");

static int hits;
module_param(hits, int, 0444);
MODULE_PARM_DESC(hits, "failures injected so far");

static atomic_t left;

/* Arguments of devm_add_action(), kept from entry to return. */
struct xshm_fault_args {
	struct device *dev;
	void (*action)(void *data);
	void *data;
};

/* Claim one failure if the call came from the driver and any are left. */
static bool xshm_fault_take(struct kretprobe_instance *ri)
{
	char sym[KSYM_SYMBOL_LEN];

	if (atomic_read(&left) <= 0)
		return false;
	snprintf(sym, sizeof(sym), "%pS", (void *)get_kretprobe_retaddr(ri));
	if (!strstr(sym, "[xen_static_shm]"))
		return false;
	if (atomic_dec_if_positive(&left) < 0)
		return false;
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return true;
}

/* Undo the mapping and fail as memremap() does, with NULL. */
static int xshm_fault_memremap(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	void *addr = (void *)regs_return_value(regs);

	if (addr && xshm_fault_take(ri)) {
		memunmap(addr);
		regs_set_return_value(regs, 0);
	}
	return 0;
}

static int xshm_fault_kmalloc(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	void *obj = (void *)regs_return_value(regs);

	if (obj && xshm_fault_take(ri)) {
		kfree(obj);
		regs_set_return_value(regs, 0);
	}
	return 0;
}

/* The name stays set; put_device() frees it with the device. */
static int xshm_fault_set_name(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	if (!regs_return_value(regs) && xshm_fault_take(ri))
		regs_set_return_value(regs, -ENOMEM);
	return 0;
}

static int xshm_fault_action_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct xshm_fault_args *args = (void *)ri->data;

	args->dev = (void *)regs_get_kernel_argument(regs, 0);
	args->action = (void *)regs_get_kernel_argument(regs, 1);
	args->data = (void *)regs_get_kernel_argument(regs, 2);
	return 0;
}

/* Remove the action again, or devres would run it a second time. */
static int xshm_fault_action(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct xshm_fault_args *args = (void *)ri->data;

	if (!regs_return_value(regs) && xshm_fault_take(ri)) {
		devm_remove_action(args->dev, args->action, args->data);
		regs_set_return_value(regs, -ENOMEM);
	}
	return 0;
}

static const struct {
	const char *target;
	const char *symbol;
	kretprobe_handler_t entry;
	kretprobe_handler_t handler;
} xshm_fault_targets[] = {
	{ "memremap", "memremap", NULL, xshm_fault_memremap },
	{ "kzalloc", "kmalloc_trace", NULL, xshm_fault_kmalloc },
	{ "dev_set_name", "dev_set_name", NULL, xshm_fault_set_name },
	{ "devm_action", "devm_add_action", xshm_fault_action_entry,
	  xshm_fault_action },
};

static struct kretprobe xshm_fault_probe = {
	.data_size = sizeof(struct xshm_fault_args),
	/* kmalloc is busy: enough instances that the driver's call is seen. */
	.maxactive = 64,
};

static bool xshm_fault_probing;

static struct class *xshm_fault_class;

static int xshm_fault_no_probe(struct platform_device *pdev)
{
	return -ENODEV;
}

static struct platform_driver xshm_fault_driver = {
	.probe = xshm_fault_no_probe,
	.driver.name = "xen-static-shm",
};

static bool xshm_fault_driver_taken;

static struct platform_device *xshm_fault_pdev;

/* Take the name the driver registers next; returns 1 if @target is none. */
static int xshm_fault_take_name(void)
{
	if (!strcmp(target, "class-taken")) {
		xshm_fault_class = class_create(THIS_MODULE, "xshm");
		return PTR_ERR_OR_ZERO(xshm_fault_class);
	}
	if (!strcmp(target, "driver-taken")) {
		xshm_fault_driver_taken = true;
		return platform_driver_register(&xshm_fault_driver);
	}
	if (!strcmp(target, "device-taken")) {
		xshm_fault_pdev = platform_device_register_simple("xen-static-shm",
								  0, NULL, 0);
		return PTR_ERR_OR_ZERO(xshm_fault_pdev);
	}
	return 1;
}

static int __init xshm_fault_init(void)
{
	int i, ret;

	ret = xshm_fault_take_name();
	if (ret <= 0)
		return ret;

	for (i = 0; i < ARRAY_SIZE(xshm_fault_targets); i++)
		if (!strcmp(target, xshm_fault_targets[i].target))
			break;
	if (i == ARRAY_SIZE(xshm_fault_targets)) {
		pr_err("xshm_fault: unknown target \"%s\"\n", target);
		return -EINVAL;
	}

	atomic_set(&left, count);
	xshm_fault_probe.kp.symbol_name = xshm_fault_targets[i].symbol;
	xshm_fault_probe.entry_handler = xshm_fault_targets[i].entry;
	xshm_fault_probe.handler = xshm_fault_targets[i].handler;
	ret = register_kretprobe(&xshm_fault_probe);
	if (ret) {
		pr_err("xshm_fault: cannot probe %s: %d\n",
		       xshm_fault_targets[i].symbol, ret);
		return ret;
	}
	xshm_fault_probing = true;
	return 0;
}
module_init(xshm_fault_init);

static void __exit xshm_fault_exit(void)
{
	if (xshm_fault_probing) {
		unregister_kretprobe(&xshm_fault_probe);
		if (xshm_fault_probe.nmissed)
			pr_warn("xshm_fault: %d calls missed\n",
				xshm_fault_probe.nmissed);
	}
	if (xshm_fault_class)
		class_destroy(xshm_fault_class);
	if (xshm_fault_driver_taken)
		platform_driver_unregister(&xshm_fault_driver);
	platform_device_unregister(xshm_fault_pdev);
}
module_exit(xshm_fault_exit);

MODULE_DESCRIPTION("Test-only failure injection into xen-static-shm's probe");
MODULE_LICENSE("GPL");
