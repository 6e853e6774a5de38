/* SPDX-License-Identifier: GPL-2.0 */
/* Module support of the corpus kernel (macros only; written for modcheck). */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H
#include <linux/init.h>

struct module;
extern struct module __this_module;
#define THIS_MODULE (&__this_module)

#define MODULE_INFO(tag, info) static const char __mod_##tag[] = #tag "=" info
#define MODULE_LICENSE(_license) MODULE_INFO(license, _license)
#define MODULE_AUTHOR(_author) MODULE_INFO(author, _author)
#define MODULE_DESCRIPTION(_description) MODULE_INFO(description, _description)
#define MODULE_DEVICE_TABLE(type, name) extern typeof(name) __mod_##type##__##name##_device_table
#define MODULE_PARM_DESC(_parm, desc) MODULE_INFO(parm, #_parm ":" desc)
#define module_param_named(name, value, type, perm) static void *__param_##name = &value
#define module_param(name, type, perm) module_param_named(name, name, type, perm)

#define EXPORT_SYMBOL(sym) extern typeof(sym) sym
#define EXPORT_SYMBOL_GPL(sym) extern typeof(sym) sym

#ifdef MODULE
#define module_init(initfn) int init_module(void) __attribute__((alias(#initfn)))
#define module_exit(exitfn) void cleanup_module(void) __attribute__((alias(#exitfn)))
#else
#define module_init(fn) __initcall(fn)
#define module_exit(fn) __exitcall(fn)
#endif

#define module_driver(__driver, __register, __unregister, ...) \
static int __init __driver##_init(void) \
{ \
	return __register(&(__driver) , ##__VA_ARGS__); \
} \
module_init(__driver##_init); \
static void __exit __driver##_exit(void) \
{ \
	__unregister(&(__driver) , ##__VA_ARGS__); \
} \
module_exit(__driver##_exit);

bool try_module_get(struct module *module);
void module_put(struct module *module);
#endif /* _LINUX_MODULE_H */
