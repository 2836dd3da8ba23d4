/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: the kernel's branch hints, on the compiler's builtin. */
#ifndef _SHIM_LINUX_COMPILER_H
#define _SHIM_LINUX_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#endif
