/* SPDX-License-Identifier: GPL-2.0 */
/* The IOMMU API of the corpus kernel: shaped like v5.4, where struct iommu_ops has no owner. */
#ifndef __LINUX_IOMMU_H
#define __LINUX_IOMMU_H
#include <linux/device.h>
#include <linux/list.h>

struct iommu_group;
struct iommu_domain;

#ifdef CONFIG_IOMMU_API
struct iommu_ops {
	bool (*capable)(int cap);
	struct iommu_domain *(*domain_alloc)(unsigned type);
	void (*domain_free)(struct iommu_domain *);
	int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
	int (*add_device)(struct device *dev);
	void (*remove_device)(struct device *dev);
	struct iommu_group *(*device_group)(struct device *dev);
	void (*get_resv_regions)(struct device *dev, struct list_head *list);
	unsigned long pgsize_bitmap;
};

struct iommu_device {
	struct list_head list;
	const struct iommu_ops *ops;
	struct device *dev;
};

int iommu_device_register(struct iommu_device *iommu);
void iommu_device_unregister(struct iommu_device *iommu);
int iommu_device_sysfs_add(struct iommu_device *iommu, struct device *parent, const char *fmt, ...);
void iommu_device_sysfs_remove(struct iommu_device *iommu);
int iommu_device_link(struct iommu_device *iommu, struct device *link);
void iommu_device_unlink(struct iommu_device *iommu, struct device *link);
int bus_set_iommu(struct bus_type *bus, const struct iommu_ops *ops);
bool iommu_present(struct bus_type *bus);
struct iommu_group *iommu_group_get_for_dev(struct device *dev);
struct iommu_group *generic_device_group(struct device *dev);
struct iommu_group *pci_device_group(struct device *dev);
void iommu_group_put(struct iommu_group *group);
struct iommu_resv_region *iommu_alloc_resv_region(unsigned long start, size_t length, int prot, int type);

static inline void iommu_device_set_ops(struct iommu_device *iommu, const struct iommu_ops *ops)
{
	iommu->ops = ops;
}
#else
struct iommu_ops {};
struct iommu_device {};
static inline bool iommu_present(struct bus_type *bus)
{
	return false;
}
#endif
#endif /* __LINUX_IOMMU_H */
