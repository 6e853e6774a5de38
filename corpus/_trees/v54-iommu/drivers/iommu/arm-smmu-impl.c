// SPDX-License-Identifier: GPL-2.0-only
/* Implementation quirks of the corpus SMMUv2-shaped driver: its own object, as in v5.4. */
#include <linux/of.h>
#include "arm-smmu.h"

static int cavium_quirks_applied;

struct arm_smmu_device *arm_smmu_impl_init(struct arm_smmu_device *smmu)
{
	if (smmu->model == 2)
		cavium_quirks_applied++;
	return smmu;
}
