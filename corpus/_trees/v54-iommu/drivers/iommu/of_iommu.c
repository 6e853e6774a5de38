// SPDX-License-Identifier: GPL-2.0-only
/* OF helpers of the corpus kernel: configures a master's IOMMU linkage. */
#include <linux/iommu.h>
#include <linux/of.h>
#include <linux/pci.h>

const struct iommu_ops *of_iommu_configure(struct device *dev, struct device_node *master_np)
{
	const struct iommu_ops *ops = NULL;

	if (dev_is_pci(dev)) {
		ops = dev->bus->iommu_ops;
	} else if (master_np) {
		ops = platform_bus_type.iommu_ops;
	}
	return ops;
}
