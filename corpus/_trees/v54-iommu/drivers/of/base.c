// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/of.h>

struct property *of_find_property(const struct device_node *np, const char *name, int *lenp)
{
	return np ? np->properties : NULL;
}
EXPORT_SYMBOL(of_find_property);
