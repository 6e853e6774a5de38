/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared definitions of the corpus SMMUv2-shaped driver. */
#ifndef _ARM_SMMU_H
#define _ARM_SMMU_H
#include <linux/iommu.h>

struct arm_smmu_device {
	struct device *dev;
	struct iommu_device iommu;
	unsigned long context_map;
	int model;
};

#define ARM_SMMU_MAX_CBS 128

struct arm_smmu_device *arm_smmu_impl_init(struct arm_smmu_device *smmu);
#endif
