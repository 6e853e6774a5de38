// SPDX-License-Identifier: GPL-2.0
/* Platform bus core of the corpus kernel. */
#include <linux/module.h>
#include <linux/platform_device.h>

struct bus_type platform_bus_type = {
	.name		= "platform",
};
EXPORT_SYMBOL_GPL(platform_bus_type);

int __platform_driver_register(struct platform_driver *drv, struct module *owner)
{
	drv->driver.owner = owner;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__platform_driver_register);

void platform_driver_unregister(struct platform_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(platform_driver_unregister);

struct resource *platform_get_resource(struct platform_device *dev, unsigned int type, unsigned int num)
{
	return dev->resource ? &dev->resource[num] : NULL;
}
EXPORT_SYMBOL_GPL(platform_get_resource);

int driver_register(struct device_driver *drv)
{
	return drv->name ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(driver_register);

void driver_unregister(struct device_driver *drv)
{
	drv->bus = NULL;
}
EXPORT_SYMBOL_GPL(driver_unregister);

void _dev_err(const struct device *dev, const char *fmt, ...)
{
}
EXPORT_SYMBOL(_dev_err);

void _dev_info(const struct device *dev, const char *fmt, ...)
{
}
EXPORT_SYMBOL(_dev_info);
