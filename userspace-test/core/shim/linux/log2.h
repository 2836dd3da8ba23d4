/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: include/linux/log2.h for run-time values. */
#ifndef _SHIM_LINUX_LOG2_H
#define _SHIM_LINUX_LOG2_H

#include <linux/bitops.h>

/* Undefined for 0, as in the kernel. */
#define ilog2(n)	(fls64(n) - 1)

static inline int __order_base_2(unsigned long n)
{
	return n > 1 ? ilog2(n - 1) + 1 : 0;
}

#define order_base_2(n)	__order_base_2(n)

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

#endif
