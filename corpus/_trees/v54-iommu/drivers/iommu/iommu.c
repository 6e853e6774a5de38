// SPDX-License-Identifier: GPL-2.0-only
/* The IOMMU core of the corpus kernel: registration and grouping, few exports (as in v5.4). */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>

static LIST_HEAD(iommu_device_list);
static DEFINE_SPINLOCK(iommu_device_lock);

int iommu_device_register(struct iommu_device *iommu)
{
	spin_lock(&iommu_device_lock);
	list_add_tail(&iommu->list, &iommu_device_list);
	spin_unlock(&iommu_device_lock);
	return 0;
}

void iommu_device_unregister(struct iommu_device *iommu)
{
	spin_lock(&iommu_device_lock);
	list_del(&iommu->list);
	spin_unlock(&iommu_device_lock);
}

struct iommu_group *iommu_group_get_for_dev(struct device *dev)
{
	const struct iommu_ops *ops = dev->bus->iommu_ops;

	return ops && ops->device_group ? ops->device_group(dev) : NULL;
}

struct iommu_group *generic_device_group(struct device *dev)
{
	return iommu_group_alloc();
}

struct iommu_group *pci_device_group(struct device *dev)
{
	if (!dev_is_pci(dev))
		return NULL;
	return generic_device_group(dev);
}

struct iommu_resv_region *iommu_alloc_resv_region(unsigned long start, size_t length, int prot, int type)
{
	struct iommu_resv_region *region = kzalloc(sizeof(*region), GFP_KERNEL);

	if (region) {
		region->start = start;
		region->length = length;
	}
	return region;
}

bool iommu_present(struct bus_type *bus)
{
	return bus->iommu_ops != NULL;
}
EXPORT_SYMBOL_GPL(iommu_present);

int bus_set_iommu(struct bus_type *bus, const struct iommu_ops *ops)
{
	if (bus->iommu_ops != NULL && ops != NULL)
		return -EBUSY;
	bus->iommu_ops = ops;
	return 0;
}
EXPORT_SYMBOL_GPL(bus_set_iommu);

void iommu_group_put(struct iommu_group *group)
{
	if (group)
		kobject_put(group->devices_kobj);
}
EXPORT_SYMBOL_GPL(iommu_group_put);
