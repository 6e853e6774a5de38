// SPDX-License-Identifier: GPL-2.0-only
/* sysfs presence of IOMMUs in the corpus kernel. */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>

int iommu_device_sysfs_add(struct iommu_device *iommu, struct device *parent, const char *fmt, ...)
{
	iommu->dev = parent;
	return 0;
}

void iommu_device_sysfs_remove(struct iommu_device *iommu)
{
	iommu->dev = NULL;
}

int iommu_device_link(struct iommu_device *iommu, struct device *link)
{
	return iommu->dev && link ? 0 : -EINVAL;
}

void iommu_device_unlink(struct iommu_device *iommu, struct device *link)
{
	iommu->dev = iommu->dev;
}
