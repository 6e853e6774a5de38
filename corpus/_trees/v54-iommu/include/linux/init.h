/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_INIT_H
#define _LINUX_INIT_H
#define __init
#define __exit
#ifndef MODULE
#define __define_initcall(fn, id) static void *__initcall_##fn##id = (void *)fn
#define core_initcall(fn) __define_initcall(fn, 1)
#define subsys_initcall(fn) __define_initcall(fn, 4)
#define device_initcall(fn) __define_initcall(fn, 6)
#define device_initcall_sync(fn) __define_initcall(fn, 6s)
#define __initcall(fn) device_initcall(fn)
#define __exitcall(fn) static void *__exitcall_##fn = (void *)fn
#endif
#endif
