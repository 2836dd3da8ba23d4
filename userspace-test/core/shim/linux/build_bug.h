/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: static_assert() as include/linux/build_bug.h has it. */
#ifndef _SHIM_LINUX_BUILD_BUG_H
#define _SHIM_LINUX_BUILD_BUG_H

/* The message is optional, as in the kernel (C11 requires one). */
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)

#endif
