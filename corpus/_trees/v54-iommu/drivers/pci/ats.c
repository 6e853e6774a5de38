// SPDX-License-Identifier: GPL-2.0
/* Address Translation Service helpers of the corpus kernel. */
#include <linux/module.h>
#include <linux/pci.h>

int pci_enable_ats(struct pci_dev *dev, int ps)
{
	if (dev->ats_enabled)
		return -EBUSY;
	dev->ats_stu = ps;
	dev->ats_enabled = 1;
	return 0;
}
EXPORT_SYMBOL_GPL(pci_enable_ats);

void pci_disable_ats(struct pci_dev *dev)
{
	dev->ats_enabled = 0;
}
EXPORT_SYMBOL_GPL(pci_disable_ats);
