/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: the bit searches and counts the pure core uses, on the
 * compiler's builtins (same contracts as the kernel's: __ffs64() of 0 is
 * undefined, fls64() of 0 is 0).
 */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/types.h>

static inline unsigned long __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline unsigned int hweight64(u64 w)
{
	return __builtin_popcountll(w);
}

#endif
