/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_OF_H
#define _LINUX_OF_H
struct device_node {
	const char *name;
	struct property *properties;
};
struct of_device_id {
	char compatible[128];
	const void *data;
};
struct property *of_find_property(const struct device_node *np, const char *name, int *lenp);
#define of_match_ptr(_ptr) (_ptr)
#endif
