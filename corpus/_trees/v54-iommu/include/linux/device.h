/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DEVICE_H_
#define _DEVICE_H_
struct device_driver {
	const char *name;
	struct bus_type *bus;
	struct module *owner;
	bool suppress_bind_attrs;
	const struct of_device_id *of_match_table;
	const struct acpi_device_id *acpi_match_table;
};
struct device {
	struct device *parent;
	struct bus_type *bus;
	struct device_node *of_node;
	void *driver_data;
};
struct bus_type {
	const char *name;
	const struct iommu_ops *iommu_ops;
};
int driver_register(struct device_driver *drv);
void driver_unregister(struct device_driver *drv);
#define dev_err(dev, fmt, ...) _dev_err(dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) _dev_info(dev, fmt, ##__VA_ARGS__)
void _dev_err(const struct device *dev, const char *fmt, ...);
void _dev_info(const struct device *dev, const char *fmt, ...);
static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}
#endif
