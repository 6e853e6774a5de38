// SPDX-License-Identifier: GPL-2.0
/* PCI core of the corpus kernel: just what IOMMU drivers call. */
#include <linux/module.h>
#include <linux/pci.h>

static bool pcie_ats_off;
static bool pci_acs_on;

struct bus_type pci_bus_type = {
	.name		= "pci",
};
EXPORT_SYMBOL(pci_bus_type);

bool pci_ats_disabled(void)
{
	return pcie_ats_off;
}

void pci_request_acs(void)
{
	pci_acs_on = true;
}
