/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: the parts of <linux/kernel.h> the pure core uses. */
#ifndef _SHIM_LINUX_KERNEL_H
#define _SHIM_LINUX_KERNEL_H

#include <linux/build_bug.h>
#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define U8_MAX		((u8)~0U)

/* Type-checked like the kernel's min(): mixing types is a warning. */
#define min(a, b) ({				\
	__typeof__(a) _a = (a);			\
	__typeof__(b) _b = (b);			\
	(void)(&_a == &_b);			\
	_a < _b ? _a : _b; })

#endif
