/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MODULE_PARAMS_H
#define _LINUX_MODULE_PARAMS_H
#define MODULE_PARM_DESC(_parm, desc) static const char __parm_##_parm[] = desc
#define module_param_named(name, value, type, perm) static void *__param_##name = &value
#define module_param(name, type, perm) module_param_named(name, name, type, perm)
#endif
