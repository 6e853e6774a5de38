// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small SMMUv2-shaped driver for modcheck's corpus, written to have the shape of v5.4's
 * drivers/iommu/arm-smmu.c: legacy "mmu-masters" binding, bus ops set late by an initcall.
 */
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include "arm-smmu.h"

static int force_stage;
/*
 * not really modular, but the easiest way to keep compat with existing
 * bootargs behaviour is to continue using module_param() here.
 */
module_param(force_stage, int, 0444);
MODULE_PARM_DESC(force_stage, "Force SMMU mappings to be installed at a particular stage");

static bool using_legacy_binding, using_generic_binding;

static struct platform_driver arm_smmu_driver;
static struct iommu_ops arm_smmu_ops;

static int arm_smmu_register_legacy_master(struct device *dev, struct arm_smmu_device **smmu)
{
	if (!of_find_property(dev->of_node, "mmu-masters", NULL))
		return -ENODEV;
	*smmu = dev_get_drvdata(dev->parent);
	return 0;
}

static int arm_smmu_add_device(struct device *dev)
{
	struct arm_smmu_device *smmu = NULL;
	struct iommu_group *group;
	int ret;

	if (using_legacy_binding) {
		ret = arm_smmu_register_legacy_master(dev, &smmu);
		if (ret)
			return ret;
	}
	group = iommu_group_get_for_dev(dev);
	iommu_group_put(group);
	return smmu ? iommu_device_link(&smmu->iommu, dev) : 0;
}

static void arm_smmu_remove_device(struct device *dev)
{
	struct arm_smmu_device *smmu = dev_get_drvdata(dev->parent);

	iommu_device_unlink(&smmu->iommu, dev);
}

static struct iommu_group *arm_smmu_device_group(struct device *dev)
{
	if (dev_is_pci(dev))
		return pci_device_group(dev);
	return generic_device_group(dev);
}

static struct iommu_ops arm_smmu_ops = {
	.add_device		= arm_smmu_add_device,
	.remove_device		= arm_smmu_remove_device,
	.device_group		= arm_smmu_device_group,
	.pgsize_bitmap		= -1UL,
};

static const struct of_device_id arm_smmu_of_match[] = {
	{ .compatible = "arm,mmu-500" },
	{ .compatible = "qcom,smmu-v2" },
	{ },
};

static void arm_smmu_bus_init(void)
{
	if (!iommu_present(&platform_bus_type))
		bus_set_iommu(&platform_bus_type, &arm_smmu_ops);
#ifdef CONFIG_PCI
	if (!iommu_present(&pci_bus_type)) {
		pci_request_acs();
		bus_set_iommu(&pci_bus_type, &arm_smmu_ops);
	}
#endif
}

static int arm_smmu_device_probe(struct platform_device *pdev)
{
	struct arm_smmu_device *smmu = platform_get_drvdata(pdev);
	int err;

	if (of_find_property(pdev->dev.of_node, "mmu-masters", NULL) && !using_generic_binding)
		using_legacy_binding = true;
	else
		using_generic_binding = true;

	smmu = arm_smmu_impl_init(smmu);
	err = iommu_device_sysfs_add(&smmu->iommu, smmu->dev, "smmu.%d", 0);
	if (err)
		return err;

	iommu_device_set_ops(&smmu->iommu, &arm_smmu_ops);
	err = iommu_device_register(&smmu->iommu);
	if (err)
		return err;

	/*
	 * For ACPI and generic DT bindings, an SMMU will be probed before
	 * any device which might need it, so we want the bus ops in place
	 * ready to handle default domain setup as soon as any SMMU exists.
	 */
	if (!using_legacy_binding)
		arm_smmu_bus_init();
	return 0;
}

/*
 * With the legacy DT binding in play, though, we have no guarantees about
 * probe order, so bus ops are set once every SMMU had its chance to probe.
 */
static int arm_smmu_legacy_bus_init(void)
{
	if (using_legacy_binding)
		arm_smmu_bus_init();
	return 0;
}
device_initcall_sync(arm_smmu_legacy_bus_init);

static void arm_smmu_device_shutdown(struct platform_device *pdev)
{
	struct arm_smmu_device *smmu = platform_get_drvdata(pdev);

	if (!smmu)
		return;
	if (smmu->context_map)
		dev_err(&pdev->dev, "removing device with active domains!\n");
	smmu->context_map = 0;
}

static struct platform_driver arm_smmu_driver = {
	.driver	= {
		.name			= "arm-smmu",
		.of_match_table		= of_match_ptr(arm_smmu_of_match),
		.suppress_bind_attrs	= true,
	},
	.probe	= arm_smmu_device_probe,
	.shutdown = arm_smmu_device_shutdown,
};
builtin_platform_driver(arm_smmu_driver);
