// SPDX-License-Identifier: GPL-2.0
/*
 * A small SMMUv3-shaped driver for modcheck's corpus, written to have the shape of v5.4's
 * drivers/iommu/arm-smmu-v3.c: built in only, core calls that v5.4 did not export.
 */
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>

struct arm_smmu_device {
	struct device *dev;
	struct iommu_device iommu;
	bool ats_capable;
};

/*
 * not really modular, but the easiest way to keep compat with existing
 * bootargs behaviour is to continue using module_param_named here.
 */
static bool disable_bypass = 1;
module_param_named(disable_bypass, disable_bypass, bool, 0444);
MODULE_PARM_DESC(disable_bypass, "Disable bypass streams");

static struct iommu_ops arm_smmu_ops;

static struct arm_smmu_device *arm_smmu_get_by_dev(struct device *dev)
{
	return dev_get_drvdata(dev->parent);
}

static int arm_smmu_add_device(struct device *dev)
{
	struct arm_smmu_device *smmu = arm_smmu_get_by_dev(dev);
	struct iommu_group *group;

	group = iommu_group_get_for_dev(dev);
	if (!group)
		return -ENODEV;
	iommu_group_put(group);
	if (dev_is_pci(dev) && !pci_ats_disabled())
		smmu->ats_capable = true;
	return iommu_device_link(&smmu->iommu, dev);
}

static void arm_smmu_remove_device(struct device *dev)
{
	struct arm_smmu_device *smmu = arm_smmu_get_by_dev(dev);

	iommu_device_unlink(&smmu->iommu, dev);
}

static struct iommu_group *arm_smmu_device_group(struct device *dev)
{
	if (dev_is_pci(dev))
		return pci_device_group(dev);
	return generic_device_group(dev);
}

static void arm_smmu_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(0x8000000, 0x100000, 0, 0);
	if (region)
		list_add_tail(&region->list, head);
}

static struct iommu_ops arm_smmu_ops = {
	.add_device		= arm_smmu_add_device,
	.remove_device		= arm_smmu_remove_device,
	.device_group		= arm_smmu_device_group,
	.get_resv_regions	= arm_smmu_get_resv_regions,
	.pgsize_bitmap		= -1UL,
};

static void arm_smmu_device_disable(struct arm_smmu_device *smmu)
{
	smmu->ats_capable = false;
}

static int arm_smmu_device_probe(struct platform_device *pdev)
{
	struct arm_smmu_device *smmu = platform_get_drvdata(pdev);
	int ret;

	ret = iommu_device_sysfs_add(&smmu->iommu, &pdev->dev, "smmu3.%d", 0);
	if (ret)
		return ret;

	iommu_device_set_ops(&smmu->iommu, &arm_smmu_ops);
	ret = iommu_device_register(&smmu->iommu);
	if (ret) {
		dev_err(&pdev->dev, "Failed to register iommu\n");
		return ret;
	}

#ifdef CONFIG_PCI
	if (pci_bus_type.iommu_ops != &arm_smmu_ops) {
		pci_request_acs();
		ret = bus_set_iommu(&pci_bus_type, &arm_smmu_ops);
		if (ret)
			return ret;
	}
#endif
	if (platform_bus_type.iommu_ops != &arm_smmu_ops) {
		ret = bus_set_iommu(&platform_bus_type, &arm_smmu_ops);
		if (ret)
			return ret;
	}
	return 0;
}

static void arm_smmu_device_shutdown(struct platform_device *pdev)
{
	struct arm_smmu_device *smmu = platform_get_drvdata(pdev);

	arm_smmu_device_disable(smmu);
}

static const struct of_device_id arm_smmu_of_match[] = {
	{ .compatible = "arm,smmu-v3", },
	{ },
};

static struct platform_driver arm_smmu_driver = {
	.driver	= {
		.name		= "arm-smmu-v3",
		.of_match_table	= of_match_ptr(arm_smmu_of_match),
		.suppress_bind_attrs = true,
	},
	.probe	= arm_smmu_device_probe,
	.shutdown = arm_smmu_device_shutdown,
};
builtin_platform_driver(arm_smmu_driver);
