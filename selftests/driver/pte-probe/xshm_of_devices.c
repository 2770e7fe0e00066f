// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: creates an OF platform device for every
 * xen,shared-memory-v1 child of /reserved-memory, as the OF core does at
 * boot on a kernel that lists the compatible in reserved_mem_matches[].
 * Loaded before xen-static-shm, it lets the driver tests check that the
 * driver binds these devices and creates no second one per node.
 * Unloading destroys the devices it created (unbound first).
 */

#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_platform.h>
#include <linux/platform_device.h>

#define MAX_NODES	64

static struct platform_device *created[MAX_NODES];

static int __init xshm_of_devices_init(void)
{
	struct device_node *root, *np;
	int n = 0;

	root = of_find_node_by_path("/reserved-memory");
	for_each_child_of_node(root, np) {
		if (!of_device_is_compatible(np, "xen,shared-memory-v1") ||
		    !of_device_is_available(np))
			continue;
		if (n == MAX_NODES) {
			of_node_put(np);
			break;
		}
		created[n] = of_platform_device_create(np, NULL, NULL);
		if (created[n])
			n++;
		else
			pr_info("xshm_of_devices: no device for %pOF\n", np);
	}
	of_node_put(root);
	pr_info("xshm_of_devices: created %d devices\n", n);
	return 0;
}

static void __exit xshm_of_devices_exit(void)
{
	int i;

	for (i = MAX_NODES - 1; i >= 0; i--)
		if (created[i])
			of_platform_device_destroy(&created[i]->dev, NULL);
}

module_init(xshm_of_devices_init);
module_exit(xshm_of_devices_exit);
MODULE_DESCRIPTION("xshm driver tests: OF devices for shared-memory nodes");
MODULE_LICENSE("GPL");
