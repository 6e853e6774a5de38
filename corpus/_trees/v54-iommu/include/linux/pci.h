/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LINUX_PCI_H
#define LINUX_PCI_H
struct pci_dev {
	struct device dev;
	unsigned int ats_enabled:1;
	int ats_stu;
};
extern struct bus_type pci_bus_type;
#define to_pci_dev(n) container_of(n, struct pci_dev, dev)
#define dev_is_pci(d) ((d)->bus == &pci_bus_type)
bool pci_ats_disabled(void);
void pci_request_acs(void);
int pci_enable_ats(struct pci_dev *dev, int ps);
void pci_disable_ats(struct pci_dev *dev);
#endif
